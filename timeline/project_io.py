"""Reading and writing projects without ever losing one.

* Save is atomic: the JSON goes to a temporary file in the same folder, is
  fsynced, and replaces the project with ``os.replace``; the previous version is
  kept in ``backups/`` (the newest five).
* Autosave writes a separate ``project.otio.recovery`` file, never the project, a few
  seconds after the last edit.
  Opening a project whose recovery file is newer reports it; ``recover=True``
  opens the recovered state instead.
* A corrupt or newer-schema file raises a readable error and is left untouched.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import opentimelineio as otio
from PySide6.QtCore import QObject, QTimer, Signal

from ..files import sweep_stale
from . import document_check
from . import schema as S
from .document import Project, ProjectLocation
from .errors import CorruptProjectError, NewerSchemaError, ProjectFileError
from .interchange import adopt

BACKUPS_KEPT = 5


def serialize(project: Project) -> str:
    return project.collection.to_json_string()


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never a torn one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        reason = "the disk is full" if exc.errno == 28 else exc.strerror or str(exc)
        raise ProjectFileError(f"Could not save '{path}': {reason}. The previous version is "
                               "unchanged.") from None
    except BaseException:  # Ctrl+C / SIGTERM mid-write: no half-written temp file stays
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _same_content(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _rotate_backups(loc: ProjectLocation, keep: int) -> None:
    if not loc.file.exists() or keep <= 0:
        return
    loc.backups_dir.mkdir(parents=True, exist_ok=True)
    pattern = f"{loc.file.stem}-*{loc.file.suffix}"
    existing = sorted(loc.backups_dir.glob(pattern))
    if not (existing and _same_content(existing[-1], loc.file)):
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
        target = loc.backups_dir / f"{loc.file.stem}-{stamp}{loc.file.suffix}"
        try:
            os.link(loc.file, target)  # the old file's inode survives the replace
        except OSError:
            import shutil
            shutil.copy2(loc.file, target)
    # else a killed save already kept this version (older distinct ones stay); it may have
    # died before pruning, so prune either way
    for old in sorted(loc.backups_dir.glob(pattern))[:-keep]:
        old.unlink(missing_ok=True)


def ensure_layout(loc: ProjectLocation) -> None:
    if loc.bundle:
        for folder in (loc.root, loc.media_dir, loc.renders_dir, loc.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
    else:
        loc.file.parent.mkdir(parents=True, exist_ok=True)


def save(project: Project, path: str | Path | None = None, *, backups: int = BACKUPS_KEPT) -> Path:
    """Save atomically (to ``path`` for Save As); returns the project file written."""
    loc = ProjectLocation.for_path(path) if path is not None else project.location
    if loc is None:
        raise ProjectFileError("Choose where to save the project first (Save As).")
    ensure_layout(loc)
    data = serialize(project)
    try:
        _rotate_backups(loc, backups)
    except OSError as exc:
        raise ProjectFileError(f"Could not save '{loc.file}': no backup of the previous version "
                               f"can be kept in '{loc.backups_dir}' ({exc.strerror or exc}). "
                               "The previous version is unchanged.") from None
    atomic_write(loc.file, data)
    project.location = loc
    project.saved_revision = project.revision
    loc.recovery_file.unlink(missing_ok=True)
    return loc.file


def autosave(project: Project) -> Path | None:
    """Write the recovery file (never the project itself)."""
    if project.location is None:
        return None
    ensure_layout(project.location)
    atomic_write(project.location.recovery_file, serialize(project))
    return project.location.recovery_file


def recovery_newer(loc: ProjectLocation) -> bool:
    rec = loc.recovery_file
    if not rec.exists():
        return False
    if not loc.file.exists():
        return True
    return rec.stat().st_mtime_ns > loc.file.stat().st_mtime_ns


def parse(text: str, source: str) -> tuple[otio.schema.SerializableCollection, list[str]]:
    """Parse OTIO JSON into a migrated collection; raise readable errors (the shape and
    numbers are checked once, in ``document_check``, before anything uses them)."""
    head = document_check.loads(text, source)
    version = _schema_version(head)
    if version > S.SCHEMA_VERSION:
        raise NewerSchemaError(f"'{source}' was saved by a newer Aladdin Studio (project format "
                               f"{version}; this version reads up to {S.SCHEMA_VERSION}). "
                               "Update Aladdin Studio to open it.")
    document_check.check_shape(head, source)
    try:
        obj = otio.adapters.read_from_string(text, "otio_json")
    except Exception as exc:  # OTIO raises several types for bad documents
        raise CorruptProjectError(f"'{source}' is not a valid OpenTimelineIO document: "
                                  f"{exc}.") from None
    coll, warnings = adopt(obj, source)
    S.migrate(coll)
    document_check.check_limits(coll, source)
    return coll, warnings


def _schema_version(head: object) -> int:
    if isinstance(head, dict):
        md = head.get("metadata")
        if isinstance(md, dict) and isinstance(md.get(S.NS), dict):
            try:
                return int(md[S.NS].get("schema_version", 0))
            except (TypeError, ValueError):
                return 0
    return 0


def read_text(path: Path) -> str:
    """A project file's text: a regular UTF-8 file of bounded size (document_check)."""
    return document_check.read_capped(path)


def load(path: str | Path, *, recover: bool = False) -> Project:
    """Open a bundle or plain .otio file. ``project.recovery_available`` tells whether an
    autosave newer than the project exists; ``recover=True`` opens that instead."""
    loc = ProjectLocation.for_path(path)
    for folder in (loc.file.parent, loc.media_dir):  # temporaries of killed saves/downloads
        sweep_stale(folder)
    source = loc.recovery_file if recover else loc.file
    if recover and not source.exists():
        raise ProjectFileError(f"There is no recovery file for '{loc.file}'.")
    coll, warnings = parse(read_text(source), str(source))
    project = Project(coll, loc)
    project.warnings = warnings
    project.recovery_available = (not recover) and recovery_newer(loc)
    check_media(project)
    if recover:
        project.revision = 1  # recovered state differs from what is saved
    return project


def check_media(project: Project) -> None:
    """Mark clips whose media file is missing as offline (they stay in the document)."""
    project.offline.clear()
    for scene in project.scenes:
        for clip in scene.find_clips():
            for ref in clip.media_references().values():
                if isinstance(ref, otio.schema.MissingReference):
                    project.offline[f"missing:{clip.name}"] = "no media"
                    continue
                url = getattr(ref, "target_url", None)
                if url and not project.resolve_media(url).is_file():
                    project.offline[url] = "file not found"


def new_project(path: str | Path, *, name: str | None = None, fps: float = S.DEFAULT_FPS,
                size: tuple[int, int] = S.DEFAULT_SIZE,
                max_clips: int = S.DEFAULT_MAX_CLIPS) -> Project:
    """Create and save a project with one empty scene (video, dialogue, music tracks)."""
    from .commands import AddScene

    loc = ProjectLocation.for_path(path)
    if loc.file.exists():
        raise ProjectFileError(f"'{loc.file}' already exists.")
    project_name = name or (loc.root.stem if loc.bundle else loc.file.stem)
    project = Project(S.new_project_collection(project_name), loc)
    AddScene("Scene 1", fps, size, max_clips).redo(project)
    save(project)
    return project


class Autosaver(QObject):
    """Writes the recovery file ``delay_s`` seconds after the last edit (debounced).

    While edits keep coming it still writes at least every ``max_wait_s`` seconds. The
    document is serialised on the caller's (GUI) thread, which takes milliseconds; the
    write and its fsync, the slow part, run on a background thread. ``delay_s`` 0 turns
    autosave off. Only the recovery file is ever written, never the project.
    """

    saved = Signal(object)  # the recovery file's Path, after a background write
    failed = Signal(str)  # why a write failed (``failures``: how many in a row)

    def __init__(self, project: Project, delay_s: float = 3.0,
                 parent: QObject | None = None, *, max_wait_s: float = 30.0) -> None:
        super().__init__(parent)
        self.project = project
        self.delay_s = delay_s
        self.max_wait_s = max(max_wait_s, delay_s)
        self._last = project.revision
        self._first_unsaved: float | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(delay_s * 1000))
        self.timer.timeout.connect(self.tick_async)
        self.last_error: str | None = None  # the last write's failure; None once one works
        self.failures = 0  # failed writes in a row
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._pending: Future | None = None
        self._listening = delay_s > 0
        if self._listening:
            project.changed.connect(self._on_changed)

    def _on_changed(self, _change: object = None) -> None:
        if not self.project.dirty:
            self.timer.stop()
            self._first_unsaved = None
            return
        now = time.monotonic()
        if self._first_unsaved is None:
            self._first_unsaved = now
        if now - self._first_unsaved >= self.max_wait_s:
            self.tick_async()
        else:
            self.timer.start()  # restarts: the delay counts from the last edit

    def _due(self) -> bool:
        return (self.project.location is not None and self.project.dirty
                and self.project.revision != self._last)

    def tick(self) -> Path | None:
        """Write the recovery file now, on this thread (if there are unsaved edits)."""
        self.wait()
        if not self._due():
            return None
        try:
            written = autosave(self.project)
        except (ProjectFileError, OSError) as exc:
            self._failed(exc)
            return None
        self._done(self.project.revision)
        self._succeeded()
        return written

    def tick_async(self) -> Future | None:
        """Serialise now, write the recovery file on the background thread."""
        self.timer.stop()
        if not self._due():
            return None
        project, revision = self.project, self.project.revision
        loc = project.location
        data = serialize(project)
        self._done(revision)

        def write() -> Path | None:
            if project.saved_revision >= revision:
                return None  # saved meanwhile: the project file is newer
            ensure_layout(loc)
            atomic_write(loc.recovery_file, data)
            if project.saved_revision >= revision:  # saved during the write
                loc.recovery_file.unlink(missing_ok=True)
                return None
            return loc.recovery_file

        self._pending = self._pool.submit(write)
        self._pending.add_done_callback(self._written)
        return self._pending

    def _done(self, revision: int) -> None:
        self._last = revision
        self._first_unsaved = None

    def _written(self, future: Future) -> None:
        exc = future.exception()
        if exc is not None:
            self._failed(exc)
        elif future.result() is not None:
            self._succeeded()
            self.saved.emit(future.result())  # queued to the GUI thread by Qt

    def _failed(self, exc: BaseException) -> None:
        self.last_error = " ".join(str(exc).split()) or type(exc).__name__
        self.failures += 1
        self._last = -1  # the edits are not protected: try again at the next chance
        self.failed.emit(self.last_error)  # queued to the GUI thread by Qt

    def _succeeded(self) -> None:
        self.last_error = None
        self.failures = 0

    def wait(self, timeout: float = 30.0) -> None:
        """Let a background write in flight finish."""
        pending = self._pending
        if pending is not None:
            try:
                pending.result(timeout)
            except Exception:  # noqa: BLE001 - reported through last_error
                pass

    def discard(self) -> None:
        """The user threw the unsaved edits away: no recovery file is left to offer."""
        self.timer.stop()
        self.wait()
        self._last = self.project.revision
        if self.project.location is not None:
            self.project.location.recovery_file.unlink(missing_ok=True)

    def close(self) -> None:
        self.timer.stop()
        if self._listening:  # disconnecting twice makes PySide6 warn "Failed to disconnect"
            self._listening = False
            try:
                self.project.changed.disconnect(self._on_changed)
            except (RuntimeError, TypeError):
                pass
        self._pool.shutdown(wait=True)
