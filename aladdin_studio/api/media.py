"""``GET .../videos/{videoId}``: the media document (design doc 7.4).

A generated video is named by its job id (the ledger knows its file, model and cost; the
take on the timeline carries the same id in its provenance); other media of the project by
a media id derived from its media-bin entry. When the media collection
(``aladdin_studio.library``) offers a lookup, it is asked first.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ErrorKind
from ..jobs.webhook import quality_score
from .errors import ApiError
from .views import iso, media_id, probe_summary, video_url

if TYPE_CHECKING:
    from ..project_registry import ProjectEntry
    from ..timeline.document import Project
    from .backend import ApiBackend

__all__ = ["find_bin_media", "media_document", "media_file"]

log = logging.getLogger(__name__)


def _bin(project: Project) -> list[dict[str, Any]]:
    from ..timeline.media import bin_entries

    return bin_entries(project)


def find_bin_media(project: Project, mid: str) -> Path | None:
    """The file of the media-bin entry with id ``mid`` (inside the project's media)."""
    for entry in _bin(project):
        if media_id(str(entry.get("url"))) == mid:
            return project.resolve_media(str(entry["url"]))
    return None


def _generated(backend: ApiBackend, entry: ProjectEntry, video_id: str) -> dict | None:
    try:
        job = backend.store.get(video_id)
    except KeyError:
        return None
    if job.project != backend.key(entry):
        raise ApiError("Video not found in this project.", ErrorKind.NOT_FOUND)
    if job.status != "succeeded" or not job.output_path:
        raise ApiError(f"Video {video_id[:12]} is not ready: its job is {job.status}.",
                       ErrorKind.NOT_FOUND)
    payload = dict(getattr(job, "payload", None) or {})
    path = Path(job.output_path)
    info = probe_summary(path)
    refs = {}
    for field, key in (("character_ref", "characterReference"),
                       ("location_ref", "locationReference")):
        if payload.get(field):
            refs[key] = Path(str(payload[field])).name
    return {"_id": job.id, "projectId": entry.id, "url": video_url(entry.id, job.id) + "/file",
            "type": "video", "name": path.name,
            "metadata": {"method": payload.get("method"), **info,
                         "qualityScore": quality_score(job),
                         "prompt": payload.get("prompt"), "model": job.model,
                         "provider": job.provider, "cost": job.actual_cost,
                         "seed": (job.info or {}).get("seed"), **refs},
            "createdAt": iso(job.finished_at or job.created_at), "_file": str(path)}


def _from_bin(project: Project, entry: ProjectEntry, video_id: str) -> dict | None:
    for item in _bin(project):
        url = str(item.get("url"))
        if media_id(url) != video_id:
            continue
        path = project.resolve_media(url)
        media = item.get("media") or {}
        kind = "image" if media.get("is_still") else (
            "video" if media.get("has_video") else "audio")
        meta = {"duration": media.get("duration"), "fps": _fps(media.get("fps")),
                "resolution": (f"{media['width']}x{media['height']}"
                               if media.get("width") else None)}
        return {"_id": video_id, "projectId": entry.id, "url": video_url(entry.id, video_id)
                + "/file", "type": kind, "name": item.get("name") or path.name,
                "metadata": meta, "createdAt": iso(item.get("added")), "_file": str(path)}
    return None


def _fps(value: Any) -> float | None:
    if isinstance(value, str) and "/" in value:
        num, _, den = value.partition("/")
        return round(int(num) / int(den), 3) if int(den) else None
    return value


def _from_library(backend: ApiBackend, entry: ProjectEntry, video_id: str) -> dict | None:
    """The media collection's document (published or recorded media), if it has one."""
    repo = backend.media_repository()
    if repo is None:
        return None
    try:
        doc = repo.get(video_id)
    except Exception as exc:  # the collection is down: the ledger and project still answer
        log.warning("media collection lookup of %s failed: %s", video_id, exc)
        return None
    if doc is None:
        return None
    from ..library.record import project_id

    if doc.project_id != project_id(backend.load(entry)):
        raise ApiError("Video not found in this project.", ErrorKind.NOT_FOUND)
    data = doc.to_dict()
    data["_id"] = data.pop("id")
    data["publicUrl"] = data["url"] or None
    data["url"] = video_url(entry.id, video_id) + "/file"
    data["projectId"] = entry.id
    return data


def media_document(backend: ApiBackend, entry: ProjectEntry, video_id: str) -> dict:
    """The document of ``video_id`` in this project (404 when it is another project's or
    unknown): the media collection's when it has one, over what the ledger (generated
    videos) or the media bin knows. ``_file`` is the local path, for the file route only."""
    library = _from_library(backend, entry, video_id)
    doc = _generated(backend, entry, video_id)
    if doc is None:
        doc = _from_bin(backend.load(entry), entry, video_id)
    if doc is None and library is not None and str(library.get("publicUrl") or "").startswith(
            "file://"):
        from urllib.parse import unquote, urlparse

        doc = {"_file": unquote(urlparse(library["publicUrl"]).path)}
    if doc is None:
        raise ApiError("Video not found in this project.", ErrorKind.NOT_FOUND)
    if library is not None:
        meta = {**doc.get("metadata", {}),
                **{k: v for k, v in library["metadata"].items() if v is not None}}
        doc = {**doc, **library, "metadata": meta}
    return doc


def media_file(backend: ApiBackend, entry: ProjectEntry, video_id: str) -> Path:
    doc = media_document(backend, entry, video_id)
    path = Path(doc["_file"])
    if not path.is_file():
        raise ApiError(f"The file of {video_id[:12]} is missing.", ErrorKind.NOT_FOUND)
    return path
