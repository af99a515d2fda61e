"""``POST .../videos/generate``: the API body as a :class:`GenerationRequest`, submitted
through ``services.generation.submit_placed`` exactly like ``aladdin-studio generate`` and
the editor (a placeholder clip on the timeline, a job in the ledger, held until placed)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import atomic_path
from .errors import ApiError
from .schemas import GenerateRequest

if TYPE_CHECKING:
    from ..jobs import Job
    from ..timeline.document import Project
    from .backend import ApiBackend, ProjectEntry

__all__ = ["submit_generation", "to_generation_request"]

UPLOAD_DIR = "api-uploads"
_DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|webp);base64,(.*)$", re.S)
_IMAGE_FIELDS = (("sourceImage", "image"), ("compositeImage", "image"),
                 ("firstFrame", "first_frame"), ("lastFrame", "last_frame"))


def _image(project: Project, value: str, field: str) -> Path:
    """A data URL (saved into the project's media folder) or the id of an image the project
    already has (master reference or media-bin entry). Paths are never accepted."""
    match = _DATA_URL.match(value)
    if match:
        try:
            data = base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(f"{field}: the data URL is not valid base64.", field=field) from None
        ext = {"jpeg": "jpg"}.get(match.group(1), match.group(1))
        folder = project.location.media_dir / UPLOAD_DIR
        path = folder / f"{hashlib.sha256(data).hexdigest()[:20]}.{ext}"
        if not path.is_file():
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
        return path
    from ..generation import references as R
    from .media import find_bin_media

    entry = R.find_reference(project, value)
    if entry is not None:
        return Path(entry["path"])
    found = find_bin_media(project, value)
    if found is not None:
        return found
    raise ApiError(f"{field}: '{value[:64]}' is neither a data:image/...;base64 URL nor the "
                   "id of an image in this project.", field=field)


def to_generation_request(body: GenerateRequest, project: Project,
                          default_duration: float) -> Any:
    from ..generation.request import GenerationRequest

    p = body.parameters
    files: dict[str, Path] = {}
    for api_field, name in _IMAGE_FIELDS:
        value = getattr(body.input, api_field)
        if value:
            files[name] = _image(project, value, f"input.{api_field}")
    for kind in ("character", "location"):
        value = getattr(body.references, kind)
        if value:
            files[f"{kind}_ref"] = _image(project, value, f"references.{kind}")
    return GenerationRequest(
        body.method, body.input.prompt, negative_prompt=body.input.negativePrompt,
        style=p.style, aspect=p.aspectRatio,
        duration=p.duration if p.duration is not None else default_duration,
        motion=p.motion, camera=p.camera, interpolation=p.interpolation, quality=p.quality,
        model=p.model, seed=p.seed, **files)


def submit_generation(backend: ApiBackend, entry: ProjectEntry, body: GenerateRequest,
                      before_release: Callable[[Job], Any] | None = None) -> Job:
    """Validate, place the placeholder clip, save, queue the job: the held-submit sequence
    of the CLI and the editor (``services.generation.submit_placed``); ``before_release``
    runs while the job is still held. Returns the released job."""
    from ..services.generation import GenerationService, submit_placed
    from ..timeline import schema as S

    if body.parameters.model is not None and body.parameters.model not in backend.queue.registry:
        raise ApiError(f"parameters.model: unknown model '{body.parameters.model}'.",
                       field="parameters.model")

    def submit(project: Project, push: Any, save: Callable[[], Any] | None) -> Job:
        request = to_generation_request(body, project,
                                        min(backend.settings.video_default_duration, 7.0))
        service = GenerationService(project, backend.queue, backend.store)
        scene = project.scene(body.placement.scene)
        rate = S.scene_rate(scene)
        at = None if body.placement.at is None else S.seconds_to_frames(body.placement.at, rate)
        return submit_placed(service, request, push, save=save, before_release=before_release,
                             scene=scene, track=body.placement.track, at=at,
                             insert=body.placement.insert)

    job = backend.edit(entry, submit, saving=True)
    backend.ensure_running()
    return job
