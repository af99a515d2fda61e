"""Run an export in a separate process (never on the GUI thread).

The editor serializes the document as it is on screen (unsaved edits included) into an
:class:`ExportRequest`; a ``spawn``-ed child process (no inherited Qt state) rebuilds the
scene plan and calls :func:`render.export.render_scene`, streaming progress back through a
queue. :meth:`ExportProcess.cancel` asks the child to stop; if it does not within a few
seconds it is terminated and its temporary files are removed, so a cancelled export never
leaves a file under the output name.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .export import (
    Progress,
    RenderCancelled,
    RenderError,
    RenderResult,
    leftover_workdirs,
    render_scene,
)
from .plan import ScenePlan, build_plan
from .presets import Preset

__all__ = ["ExportProcess", "ExportRequest", "plan_from_document", "run_request"]


@dataclass(frozen=True)
class ExportRequest:
    document: str  # the OTIO JSON of the project collection
    project_file: str | None  # resolves relative media paths
    out: str
    preset: Preset
    scene: str | None = None
    time_range: tuple[float, float] | None = None
    segments: int = 1
    duck_db: float = -12.0
    cache_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _project_from_document(document: str, project_file: str | None) -> Any:
    from aladdin_studio.timeline.document import Project, ProjectLocation
    from aladdin_studio.timeline.project_io import parse

    collection, _ = parse(document, project_file or "<export>")
    location = ProjectLocation.for_path(project_file) if project_file else None
    return Project(collection, location)


def plan_from_document(document: str, project_file: str | None,
                       scene: str | None) -> ScenePlan:
    """Rebuild the scene plan from serialized OTIO, resolving media like the editor does."""
    project = _project_from_document(document, project_file)
    return build_plan(project.scene(scene), project.resolve_media)


def run_request(request: ExportRequest, progress=None, cancelled=None) -> RenderResult:
    from aladdin_studio.timeline.output_guard import check_output_path

    project = _project_from_document(request.document, request.project_file)
    # whoever queued it (dialog, API, job), the output never replaces the project or media
    check_output_path(project, request.out)
    plan = build_plan(project.scene(request.scene), project.resolve_media)
    return render_scene(plan, request.out, request.preset, time_range=request.time_range,
                        segments=request.segments, progress=progress, cancelled=cancelled,
                        cache_dir=Path(request.cache_dir) if request.cache_dir else None,
                        duck_db=request.duck_db)


def _child(request: ExportRequest, events: Any, cancel: Any) -> None:
    def progress(p: Progress) -> None:
        events.put(("progress", p))

    try:
        result = run_request(request, progress, cancel.is_set)
    except RenderCancelled:
        events.put(("cancelled", None))
    except RenderError as exc:
        events.put(("error", str(exc)))
    except Exception as exc:  # noqa: BLE001 - reported to the user, logged by the parent
        from aladdin_studio.errors import AladdinError

        kind = "error" if isinstance(exc, AladdinError) else "crash"
        events.put((kind, f"{type(exc).__name__}: {exc}" if kind == "crash" else str(exc)))
    else:
        events.put(("done", result))


class ExportProcess:
    """One export running in a child process; poll it from the GUI's event loop."""

    def __init__(self, request: ExportRequest) -> None:
        self.request = request
        ctx = mp.get_context("spawn")
        self._events = ctx.Queue()
        self._cancel = ctx.Event()
        self._process = ctx.Process(target=_child, args=(request, self._events, self._cancel),
                                    name="aladdin-export", daemon=True)
        self.progress: Progress | None = None
        self.result: RenderResult | None = None
        self.error: str | None = None
        self.cancelled = False
        self.finished = False

    def start(self) -> ExportProcess:
        self._process.start()
        return self

    def poll(self) -> list[tuple[str, Any]]:
        """Drain the events the child sent so far (non-blocking)."""
        out = []
        while True:
            try:
                kind, payload = self._events.get_nowait()
            except queue.Empty:
                break
            out.append((kind, payload))
            self._apply(kind, payload)
        if not self.finished and not self._process.is_alive() and self._process.exitcode:
            self.finished = True
            self.error = self.error or (f"The export process stopped unexpectedly "
                                        f"(exit code {self._process.exitcode}).")
            self._cleanup()
        return out

    def _apply(self, kind: str, payload: Any) -> None:
        if kind == "progress":
            self.progress = payload
            return
        self.finished = True
        if kind == "done":
            self.result = payload
        elif kind == "cancelled":
            self.cancelled = True
        else:
            self.error = payload

    def request_cancel(self) -> None:
        """Ask the child to stop at its next frame (returns at once; see ``cancel``)."""
        self._cancel.set()

    def cancel(self, grace: float = 5.0) -> None:
        """Stop the export; returns when the child is gone and temporary files removed."""
        self._cancel.set()
        deadline = time.monotonic() + grace
        while self._process.is_alive() and time.monotonic() < deadline:
            self.poll()
            self._process.join(0.05)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(2)
        self.poll()
        self.finished = self.cancelled = True
        self._cleanup()

    def wait(self, timeout: float | None = None) -> RenderResult:
        """Block until the export ends; raises RenderError / RenderCancelled / TimeoutError."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.finished:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("export still running")
            try:
                kind, payload = self._events.get(timeout=0.1)
                self._apply(kind, payload)
            except queue.Empty:
                self.poll()
        self._process.join(5)
        if self.cancelled:
            raise RenderCancelled()
        if self.error is not None:
            raise RenderError(self.error)
        assert self.result is not None
        return self.result

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def _cleanup(self) -> None:
        for leftover in leftover_workdirs(self.request.out):
            shutil.rmtree(leftover, ignore_errors=True)
