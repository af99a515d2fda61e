"""What the API routes call: the projects registry, the job ledger and queue, and project
edits through the same services the editor and the CLI use.

The standalone server (``aladdin-studio serve``) owns a queue with an embedded consumer and
edits projects on disk in a writer :class:`ProjectSession` (load under the project's lock,
push the service's command, save), exactly like ``aladdin-studio generate``; finished jobs
are landed on their project's timeline as soon as the job watcher sees them finish, like
``aladdin-studio jobs --apply``.
Inside the editor (:class:`EditorHost`) the open project is edited on the GUI thread by the
editor itself, and its generation controller lands the results.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import project_registry as registry
from ..errors import ErrorKind
from ..jobs import ACTIVE, EmbeddedConsumer, Job, JobQueue, JobStore, make_huey
from .errors import ApiError

if TYPE_CHECKING:
    from ..config import Settings
    from ..project_registry import ProjectEntry
    from ..timeline.document import Project

__all__ = ["ApiBackend", "EditorHost", "ProjectEdit"]

log = logging.getLogger(__name__)

EditFn = Callable[..., Any]  # fn(project, push) (or fn(project, push, save): see edit)


class ProjectEdit(Protocol):
    """Runs ``fn(project, push)`` on an open project and saves it (the editor's bridge)."""

    def __call__(self, path: Path, fn: EditFn) -> Any: ...


class EditorHost(Protocol):
    """The editor, when it hosts the API in-process."""

    def open_project_file(self) -> Path | None:
        """The project file the editor has open (its results land there by the editor)."""

    def run_edit(self, fn: EditFn, save: bool = False) -> Any:
        """Run ``fn(project, push)`` on the GUI thread (push = the editor's undo stack) and
        return its result (exceptions propagate); with ``save``, then save the project."""

    def ensure_consumer(self) -> None:
        """Start the editor's job consumer."""


@functools.lru_cache(maxsize=1024)
def project_key(path: str | Path) -> str:
    """How the job ledger names a project: its project file's absolute path."""
    from ..timeline.document import ProjectLocation

    return str(ProjectLocation.for_path(path).file)


class ApiBackend:
    """State shared by the routes of one API app."""

    def __init__(self, settings: Settings, *, store: JobStore | None = None,
                 queue: JobQueue | None = None, huey: Any = None,
                 provider_factory: Any = None, queue_options: dict[str, Any] | None = None,
                 consumer: bool = True, workers: int | None = None,
                 editor: EditorHost | None = None) -> None:
        self.settings = settings
        if queue is None:
            store = store if store is not None else JobStore()
            queue = JobQueue(huey if huey is not None else make_huey(settings), store,
                             provider_factory, settings, **(queue_options or {}))
        self.queue = queue
        self.store = queue.store
        self.editor = editor
        self._consumer: EmbeddedConsumer | None = None
        self._want_consumer = consumer and editor is None
        self._workers = workers or settings.max_concurrent_generations
        self._lander = ThreadPoolExecutor(1, thread_name_prefix="api-land")
        self._land_lock = threading.Lock()
        self._edit_locks: dict[str, threading.Lock] = {}
        self._landing: set[str] = set()
        self._closed = False
        self._media: Any = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the job consumer (the editor starts its own on demand)."""
        if self._want_consumer and self._consumer is None:
            self._consumer = EmbeddedConsumer(self.queue.huey, self._workers, queue=self.queue,
                                              tick=0.25)
            self._consumer.start()

    def close(self) -> None:
        self._closed = True
        self._lander.shutdown(wait=True)
        if self._media:
            self._media.close()
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            consumer.close(10)
        if self.queue.webhook is not None:
            self.queue.webhook.wait(10)

    def ensure_running(self) -> None:
        if self.editor is not None:
            self.editor.ensure_consumer()
        else:
            self.start()

    def media_repository(self) -> Any:
        """The media collection (``aladdin_studio.library``), opened once; None when this
        build has none or it cannot be opened."""
        if self._media is None:
            try:
                from ..library.backends import open_media

                self._media = open_media(self.settings)
            except Exception as exc:  # ImportError, or the configured server is down
                log.warning("the media collection is not available: %s", exc)
                self._media = False
        return self._media or None

    # ------------------------------------------------------------------ projects

    def project(self, project_id: str) -> ProjectEntry:
        """The registered project ``project_id`` (404 when unknown or gone)."""
        entry = registry.find(project_id) if _plain_id(project_id) else None
        if entry is None:
            raise ApiError(f"No project with id '{project_id[:40]}'. GET /api/v1/projects "
                           "lists the projects opened in the editor or the CLI.",
                           ErrorKind.NOT_FOUND)
        return entry

    def key(self, entry: ProjectEntry) -> str:
        return project_key(entry.path)

    def load(self, entry: ProjectEntry) -> Project:
        """The project as saved (read-only use)."""
        from ..timeline.project_io import load

        return load(entry.path)

    def edit(self, entry: ProjectEntry, fn: EditFn, holder: str = "the automation API", *,
             saving: bool = False, saved: bool = False) -> Any:
        """Run ``fn(project, push)`` on the project: in the editor when it has this project
        open (on its undo stack; saved only when ``saved``: a job that reads the project
        file needs it), else on disk under the writer lock, then saved. ``saving``: ``fn``
        is called as ``fn(project, push, save)`` to save at a point of its own (``save`` is
        None in the editor, whose timeline holds the edit)."""
        if self._in_editor(self.key(entry)):
            return self.editor.run_edit(
                (lambda project, push: fn(project, push, None)) if saving else fn, save=saved)
        from ..services.session import ProjectSession

        # The writer lock keeps other processes out but is re-entrant inside this one, so
        # this process's own edits of a project (requests, landing) take turns here.
        with self._edit_lock(self.key(entry)), \
                ProjectSession.open(entry.path, writer=holder) as session:
            result = (fn(session.project, session.push, session.save) if saving
                      else fn(session.project, session.push))
            if session.dirty:
                session.save()
        return result

    def _in_editor(self, key: str) -> bool:
        """Whether the hosting editor has this project open (compared after resolving, so
        no second spelling of the path edits it on disk behind the editor's back)."""
        if self.editor is None:
            return False
        open_file = self.editor.open_project_file()
        return open_file is not None and Path(open_file).resolve() == Path(key).resolve()

    def _edit_lock(self, key: str) -> threading.Lock:
        with self._land_lock:
            return self._edit_locks.setdefault(key, threading.Lock())

    # ------------------------------------------------------------------ jobs

    def job(self, entry: ProjectEntry, job_id: str) -> Job:
        """A job of this project (404 for an unknown job or another project's)."""
        try:
            job = self.store.get(job_id) if _plain_id(job_id) else None
        except KeyError:
            job = None
        if job is None or job.project != self.key(entry):
            raise ApiError(f"No job '{job_id[:40]}' in this project.", ErrorKind.NOT_FOUND)
        return job

    def project_jobs(self, entry: ProjectEntry, limit: int = 200) -> list[Job]:
        return self.store.list(project=self.key(entry), limit=limit)

    def land_soon(self, path: str | Path) -> None:
        """Land the project's finished results in the background (see land_finished)."""
        if not self._closed:
            self._lander.submit(self._land_logged, path)

    def _land_logged(self, path: str | Path) -> None:
        try:
            self.land_finished(path)
        except Exception as exc:  # e.g. the editor holds the project: it lands them itself
            log.warning("could not land finished jobs of %s: %s", path, exc)

    def land_finished(self, path: str | Path) -> int:
        """Put the project's finished, unapplied generation results on its timeline
        (the editor does this itself for the project it has open). Returns how many."""
        key = project_key(path)
        if self._in_editor(key):
            return 0
        with self._land_lock:
            if key in self._landing:
                return 0
            self._landing.add(key)
        try:
            entry = registry.find_path(Path(key).parent if key.endswith("project.otio")
                                       else key)
            if entry is None:
                return 0
            from ..generation.service import GenerationService
            from ..timeline.errors import TimelineError

            def land(project: Project, push: Callable[[Any], None]) -> int:
                service = GenerationService(project, self.queue, self.store)
                landed = 0
                for command in service.finished_commands(budget_s=None):
                    try:
                        push(command)
                        landed += 1
                    except TimelineError as exc:
                        log.warning("job %s: cannot land its result: %s", command.job_id, exc)
                    service.mark_applied(command.job_id)
                return landed

            return self.edit(entry, land, "the automation API (landing results)")
        finally:
            with self._land_lock:
                self._landing.discard(key)

    def active_projects(self) -> set[str]:
        """Ledger names of projects with jobs still queued or running."""
        return {j.project for j in self.store.list(limit=10_000, status=ACTIVE)}

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is active (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.active_projects():
                return True
            time.sleep(0.05)
        return False


_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _plain_id(value: str) -> bool:
    """Ids are short hex/word strings; anything else (paths, dots) never reaches a lookup."""
    return _ID.fullmatch(value) is not None


