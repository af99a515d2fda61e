"""Render/export service and the "export" job kind.

Every export is a job in the one ledger, so the Jobs dock and ``aladdin-studio jobs`` list
yesterday's exports after a restart. Two ways to run one, both in the export worker process
(``render.worker.ExportProcess``, never on the GUI thread):

* queued (``queue.submit(ExportPayload(...), project)``): a consumer thread runs
  :func:`run_export`, which renders the project as saved on disk;
* run by its owner (the editor's export dialog renders the document as it is on screen,
  unsaved edits included): :func:`start_export` records the job ``running`` under the
  caller's claim and :class:`ExportRecord` writes its progress and outcome. If the owner
  dies, the queue's recovery marks the job failed ("Interrupted").
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from aladdin_studio.jobs import lease
from aladdin_studio.jobs.context import JobContext
from aladdin_studio.jobs.kinds import JobKind, JobStopped, KindLimits, register_kind
from aladdin_studio.jobs.store import ACTIVE, Job, JobStore
from aladdin_studio.render.presets import Preset
from aladdin_studio.render.worker import ExportProcess, ExportRequest

__all__ = ["EXPORT", "ExportPayload", "ExportRecord", "preset_for", "preset_from_dict",
           "render_project", "run_export", "start_export"]

POLL_S = 0.1


def preset_for(name: str | None, settings: Any = None) -> Preset:
    """The preset ``name`` (PresetError if unknown), or without a name the default from
    VIDEO_DEFAULT_RESOLUTION / VIDEO_DEFAULT_FPS (1080p24 unless changed)."""
    from aladdin_studio.render.presets import default_preset, get_preset

    if name:
        return get_preset(name)
    if settings is None:
        return default_preset()
    return default_preset(settings.video_default_resolution, settings.video_default_fps)


def render_project(project: Any, out: str | Path, preset: Preset, *, scene: Any = None,
                   time_range: tuple[float, float] | None = None, segments: int = 1,
                   duck_db: float = -12.0, progress: Any = None, cancelled: Any = None) -> Any:
    """Render a scene of an open project to ``out`` in this process (the CLI, a worker):
    the output path is checked first (never the project, its backups or its media), then
    the scene is planned and rendered with the project's cache. Returns the RenderResult;
    raises RenderError / OutputPathError (AladdinErrors)."""
    from aladdin_studio.render.export import render_scene
    from aladdin_studio.render.plan import build_plan
    from aladdin_studio.timeline.output_guard import check_output_path

    check_output_path(project, out)  # before any work
    plan = build_plan(project.scene(scene), project.resolve_media)
    cache = project.location.cache_dir if project.location else None
    return render_scene(plan, out, preset, time_range=time_range, segments=segments,
                        progress=progress, cancelled=cancelled, cache_dir=cache,
                        duck_db=duck_db)


def preset_from_dict(data: dict[str, Any]) -> Preset:
    values = {f.name: data[f.name] for f in fields(Preset) if f.name in data}
    if values.get("size") is not None:
        values["size"] = tuple(values["size"])
    return Preset(**values)


@dataclass(frozen=True)
class ExportPayload:
    """One export: the scene of ``project_file`` rendered to ``out`` with ``preset``."""

    project_file: str | None
    out: str
    preset: Preset
    scene: str | None = None
    time_range: tuple[float, float] | None = None
    segments: int = 1
    duck_db: float = -12.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["preset"] = asdict(self.preset)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportPayload:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["preset"] = preset_from_dict(values["preset"])
        if values.get("time_range") is not None:
            values["time_range"] = tuple(values["time_range"])
        return cls(**values)

    @classmethod
    def from_request(cls, request: ExportRequest) -> ExportPayload:
        return cls(project_file=request.project_file, out=request.out, preset=request.preset,
                   scene=request.scene, time_range=request.time_range,
                   segments=request.segments, duck_db=request.duck_db,
                   extra=dict(request.extra))

    def request(self) -> ExportRequest:
        """The worker-process request for the project as saved on disk."""
        from aladdin_studio.timeline.document import ProjectLocation

        if not self.project_file:
            raise ValueError("an export job needs a saved project")
        location = ProjectLocation.for_path(self.project_file)
        document = location.file.read_text(encoding="utf-8")
        return ExportRequest(document=document, project_file=str(location.file), out=self.out,
                             preset=self.preset, scene=self.scene, time_range=self.time_range,
                             segments=self.segments, duck_db=self.duck_db,
                             cache_dir=str(location.cache_dir), extra=dict(self.extra))


def _result_values(result: Any) -> dict[str, Any]:
    return {"output_path": result.path, "actual_cost": 0.0, "info": result.to_dict()}


def run_export(job: Job, ctx: JobContext) -> dict[str, Any]:
    """The export kind's runner: the export process, its progress into the ledger."""
    from aladdin_studio.render.export import RenderCancelled, RenderError

    payload = ExportPayload.from_dict(job.payload)
    process = ExportProcess(payload.request()).start()
    try:
        while not process.finished:
            process.poll()
            if process.progress is not None:
                p = process.progress
                ctx.progress(p.fraction, f"Exporting ({p.stage})", status="running")
            elif ctx.stopping.is_set():
                raise JobStopped
            time.sleep(POLL_S)
        return _result_values(process.wait(5))
    except JobStopped:  # cancelled (or handed back): stop the child, leave nothing
        process.cancel()
        if ctx.stopping.is_set() and ctx.store.get(job.id).status in ACTIVE:
            ctx.requeue(0.0)
        raise
    except RenderCancelled:
        raise JobStopped from None
    except RenderError:
        raise


def _label(job: Job) -> str:
    return f"export: {Path(str(job.payload.get('out', ''))).name}"


EXPORT = register_kind(JobKind(
    name="export", payload=ExportPayload, run=run_export, label=_label, noun="export",
    limits=KindLimits(concurrent=1, max_attempts=1)))  # the render retries once itself


def start_export(store: JobStore, request: ExportRequest) -> ExportRecord:
    """Record an export its caller runs itself (the editor's export process)."""
    payload = ExportPayload.from_request(request)
    project = str(Path(request.project_file).absolute()) if request.project_file else ""
    now = time.time()
    job = store.create(kind="export", project=project, payload=payload.to_dict(),
                       provider="local", model=payload.preset.name, status="running",
                       message="Starting the export", worker=lease.worker_id(),
                       heartbeat=now, submitted_at=now, info={"external": True})
    return ExportRecord(store, job.id)


@dataclass
class ExportRecord:
    """The ledger row of an export run by its caller; ``update`` as it goes, then
    ``finish`` with the ExportProcess's outcome. Writes never raise into the caller."""

    store: JobStore
    job_id: str
    _last: float = 0.0

    def update(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:  # the ledger is not a progress bar: twice a second
            return
        self._last = now
        try:
            self.store.transition(self.job_id, ACTIVE, progress=float(fraction),
                                  message=message, heartbeat=time.time())
        except Exception:  # noqa: BLE001 - the export goes on without its ledger row
            pass

    def finish(self, process: ExportProcess) -> Job | None:
        now = time.time()
        if process.result is not None:
            values = dict(status="succeeded", progress=1.0, message="Exported",
                          **_result_values(process.result))
        elif process.cancelled:
            values = dict(status="cancelled", message="Cancelled")
        else:
            error = process.error or "The export failed."
            values = dict(status="failed", message=error, error_kind="RenderError",
                          error_message=error)
        try:
            self.store.transition(self.job_id, ACTIVE, finished_at=now, worker=None, **values)
            return self.store.get(self.job_id)
        except Exception:  # noqa: BLE001
            return None
