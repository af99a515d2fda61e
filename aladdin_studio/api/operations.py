"""Verify, render and publish through the packages that implement them; a package that is
not in this build answers 501 with a clear message."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ErrorKind
from .errors import ApiError
from .schemas import PublishBody, RenderRequest, VerifyRequest

if TYPE_CHECKING:
    from ..jobs import Job
    from ..project_registry import ProjectEntry
    from .backend import ApiBackend

__all__ = ["not_available", "render_payload", "submit_publish", "submit_render", "verify"]


def not_available(what: str, package: str) -> ApiError:
    return ApiError(f"{what} is not available in this build (the {package} package has no "
                    "entry point for it yet).", ErrorKind.UNAVAILABLE, status=501)


# ------------------------------------------------------------------ verify (design doc 7.3)


def verify(backend: ApiBackend, entry: ProjectEntry, body: VerifyRequest) -> dict[str, Any]:
    """Score a video of the project synchronously; the design doc's VerifyVideoResponse."""
    try:
        from ..quality import CHECK_TYPES, VerifyParams, params_for_request, verify_video
        from ..quality.verify import apply_settings
    except ImportError:
        raise not_available("Quality verification", "aladdin_studio.quality") from None
    from .media import media_file

    types = [t for t in body.checkTypes if t != "all"]
    unknown = [t for t in types if t not in CHECK_TYPES]
    if unknown:
        raise ApiError(f"checkTypes: unknown check {unknown[0]!r}; known: all, "
                       f"{', '.join(CHECK_TYPES)}.", field="checkTypes")
    path = media_file(backend, entry, body.videoId)
    job = _job_of(backend, body.videoId)
    stored = (job.info or {}).get("quality_report", {}).get("params") if job else None
    if isinstance(stored, dict) and stored:
        # The parameters the generation step checked this take with (the local provider's
        # render size included), so the route gives the job's own verdict.
        from ..quality.job_kind import VerifyPayload

        params = VerifyPayload("", stored).verify_params()
    elif job is not None and job.kind == "generation":
        from ..generation.request import GenerationRequest

        request = GenerationRequest.from_dict(dict(job.payload))
        registry = backend.queue.registry
        model = registry.get(job.model) if job.model in registry else None
        params = params_for_request(request, model, settings=backend.settings)
    else:
        params = apply_settings(VerifyParams(), backend.settings)
    params.check_types = types or None
    project = None
    for field, attr in (("characterReference", "character_refs"),
                        ("locationReference", "location_ref")):
        ref_id = getattr(body, field)
        if ref_id is None:
            continue
        from ..generation import references as R

        project = project or backend.load(entry)
        found = R.find_reference(project, ref_id)
        if found is None:
            raise ApiError(f"{field}: no reference '{ref_id}' in this project.", field=field)
        setattr(params, attr, [Path(found["path"])] if attr == "character_refs"
                else Path(found["path"]))
    result = verify_video(path, params)
    data = result.to_dict()
    data["videoId"] = body.videoId
    data.pop("video", None)  # a local path
    return data


def _job_of(backend: ApiBackend, video_id: str) -> Job | None:
    try:
        return backend.store.get(video_id)
    except KeyError:
        return None


# ------------------------------------------------------------------ render (an export job)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:60] or "scene"


def submit_render(backend: ApiBackend, entry: ProjectEntry, scene: str,
                  body: RenderRequest, *, hold: bool = False) -> Job:
    """Queue an export job of ``scene`` as saved; the file goes to the project's
    ``renders/`` folder under a name the server chooses. ``hold``: see
    ``JobQueue.submit``."""
    payload = render_payload(backend, entry, scene, body)
    job = backend.queue.submit(payload, payload.project_file, hold=hold)
    backend.ensure_running()
    return job


def render_payload(backend: ApiBackend, entry: ProjectEntry, scene: str,
                   body: RenderRequest, extra: dict[str, Any] | None = None) -> Any:
    """The ``ExportPayload`` of a render of ``scene`` (preset and range checked)."""
    try:
        from ..services.render import ExportPayload
    except ImportError:
        raise not_available("Rendering through the API", "aladdin_studio.services") from None
    from ..render.presets import default_preset, get_preset
    from ..timeline.document import ProjectLocation

    try:
        preset = (get_preset(body.preset) if body.preset else
                  default_preset(backend.settings.video_default_resolution,
                                 backend.settings.video_default_fps))
    except KeyError as exc:
        raise ApiError(f"preset: {exc.args[0]}", field="preset") from None
    if body.range is not None and not 0 <= body.range[0] < body.range[1]:
        raise ApiError("range: expected [start, end] seconds with start < end.", field="range")
    project = backend.load(entry)
    found = _scene(project, scene)
    location = ProjectLocation.for_path(entry.path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    suffix = ".mov" if preset.name == "prores" else ".mp4"
    out = location.renders_dir / f"{_safe_name(found.name)}-{stamp}-api{suffix}"
    location.renders_dir.mkdir(parents=True, exist_ok=True)
    return ExportPayload(project_file=str(location.file), out=str(out), preset=preset,
                         scene=found.name, time_range=tuple(body.range) if body.range
                         else None, extra=dict(extra or {}))


def _scene(project: Any, name: str) -> Any:
    for scene in project.scenes:
        from ..timeline import schema as S

        if scene.name == name or S.get(scene, "id") == name:
            return scene
    names = ", ".join(s.name for s in project.scenes)
    raise ApiError(f"No scene '{name[:60]}' in this project (scenes: {names}).",
                   ErrorKind.NOT_FOUND)


# ------------------------------------------------------------------ publish (a publish job)


def submit_publish(backend: ApiBackend, entry: ProjectEntry, scene: str,
                   body: PublishBody, *, hold: bool = False) -> Job:
    """Queue a publish job of ``scene``: the given or latest render of it, or a new one."""
    try:
        from ..publish.job_kind import PublishPayload
    except ImportError:
        raise not_available("Publishing", "aladdin_studio.publish") from None
    from ..timeline.document import ProjectLocation

    found = _scene(backend.load(entry), scene)
    location = ProjectLocation.for_path(entry.path)
    render = None
    if body.renderId is not None:
        job = _job_of(backend, body.renderId)
        if job is None or job.kind != "export" or job.project != backend.key(entry) \
                or job.status != "succeeded" or not job.output_path:
            raise ApiError(f"renderId: no finished render '{body.renderId[:64]}' in this "
                           "project.", field="renderId")
        render = job.output_path
    elif not body.renderNow:
        renders = [j for j in backend.store.list(project=backend.key(entry), limit=200,
                                                 status=("succeeded",), kind="export")
                   if (j.payload or {}).get("scene") == found.name and j.output_path
                   and Path(j.output_path).is_file()]
        render = renders[0].output_path if renders else None
    payload = PublishPayload(project=str(location.file), scene=found.name, render=render,
                             render_now=render is None, preset=body.preset if render is None
                             else None, media=body.media, destination=body.destination)
    payload.validate()
    job = backend.queue.submit(payload, str(location.file), hold=hold)
    backend.ensure_running()
    return job
