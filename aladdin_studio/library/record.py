"""What the app writes into the media collection and the Brain, from the timeline document.

Called when a generation lands on the timeline (``GenerationService.mark_applied``), when a
scene or its media are published (``publish``) and by the voice work (``record_voiced`` on
the Brain). Media ids: a generated take is known by its job id; any other file by a content
id (project + sha256), so re-recording the same file is an update, never a second document.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import opentimelineio as otio

from ..timeline import schema as S
from .media import MediaDocument

if TYPE_CHECKING:
    from ..timeline.document import Project
    from .brain import Brain
    from .media import MediaRepository

__all__ = [
    "ClipMedia",
    "clip_media",
    "content_media_id",
    "file_sha256",
    "media_document",
    "project_id",
    "quality_score",
    "record_clip",
    "record_generation_landed",
]

log = logging.getLogger(__name__)
AUDIO_EXTS = {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus"}
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def project_id(project: Project) -> str:
    """The project's id: ``metadata["aladdin"]["id"]`` of the collection when it has one,
    else a stable id derived from the project file's location (12 hex digits)."""
    pid = S.get(project.collection, "id")
    if pid:
        return str(pid)
    where = str(project.location.file) if project.location is not None else project.name
    return hashlib.sha256(where.encode()).hexdigest()[:12]


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while data := fh.read(chunk):
            h.update(data)
    return h.hexdigest()


def content_media_id(project: str, sha256: str) -> str:
    return hashlib.sha256(f"{project}:{sha256}".encode()).hexdigest()[:20]


def media_type(path: str | Path, info: dict[str, Any] | None = None) -> str:
    ext = Path(str(path)).suffix.lower()
    if ext in IMAGE_EXTS or (info or {}).get("is_still"):
        return "image"
    if ext in AUDIO_EXTS or (info and not info.get("has_video", True)):
        return "audio"
    return "video"


def quality_score(clip: Any, provenance: dict[str, Any]) -> float | None:
    """A 0..1 score from a quality report on the take or the clip, when there is one."""
    for report in (provenance.get("quality"), provenance.get("quality_report"),
                   S.get(clip, "quality") if clip is not None else None):
        if isinstance(report, int | float):
            return float(report)
        if isinstance(report, dict):
            for name in ("overall", "overallQuality", "overall_quality", "score",
                         "qualityScore"):
                if isinstance(report.get(name), int | float):
                    return float(report[name])
    return None


@dataclass(frozen=True)
class ClipMedia:
    """The active take of a clip as an asset: its file, id, type and what made it."""

    media_id: str
    path: Path
    type: str
    sha256: str
    size: int
    provenance: dict[str, Any]
    info: dict[str, Any]

    @property
    def generated(self) -> bool:
        return bool(self.provenance.get("job_id"))


def clip_media(project: Project, clip: otio.schema.Clip,
               ref: otio.schema.MediaReference | None = None) -> ClipMedia | None:
    """The file behind ``clip``'s active take (or ``ref``); None for placeholders, missing
    files and generators."""
    ref = ref if ref is not None else clip.media_reference
    if not isinstance(ref, otio.schema.ExternalReference) or not ref.target_url:
        return None
    path = project.resolve_media(ref.target_url)
    if not path.is_file():
        return None
    md = S.to_py(ref.metadata.get(S.NS, {})) if S.NS in ref.metadata else {}
    provenance = dict(md.get("provenance") or {})
    info = dict(md.get("media") or {})
    sha = file_sha256(path)
    job_id = provenance.get("job_id")
    media_id = str(job_id) if job_id else content_media_id(project_id(project), sha)
    return ClipMedia(media_id, path, media_type(path, info), sha, path.stat().st_size,
                     provenance, info)


def _reference(project: Project, ref_id: str | None) -> dict[str, Any] | None:
    if not ref_id:
        return None
    from ..generation.references import find_reference

    entry = find_reference(project, ref_id)
    return {"id": ref_id, "name": entry.get("name"), "hash": entry.get("hash")} if entry else None


def _fps(value: Any) -> float | None:
    try:
        if isinstance(value, str) and "/" in value:
            num, den = value.split("/")
            return round(float(num) / float(den), 3)
        return None if value is None else round(float(value), 3)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def media_document(project: Project, scene: otio.schema.Timeline | None, clip: Any,
                   media: ClipMedia, *, url: str | None = None,
                   storage_key: str | None = None,
                   existing: MediaDocument | None = None) -> MediaDocument:
    """The media document for ``media`` (merging into ``existing``: its createdAt stays)."""
    prov = media.provenance
    info = media.info
    character = _reference(project, prov.get("character_reference"))
    location = _reference(project, prov.get("location_reference"))
    width, height = info.get("width"), info.get("height")
    cost = prov.get("cost") or {}
    metadata = {
        "method": prov.get("method") or ("import" if not media.generated else None),
        "duration": info.get("duration"),
        "fps": _fps(info.get("fps")),
        "resolution": f"{width}x{height}" if width and height else None,
        "qualityScore": quality_score(clip, prov),
        "characterReference": prov.get("character_reference"),
        "characterName": character.get("name") if character else prov.get("character"),
        "locationReference": prov.get("location_reference"),
        "locationName": location.get("name") if location else None,
        "sceneId": S.get(scene, "id") if scene is not None else None,
        "voice": prov.get("voice") or prov.get("voice_id"),
        "provider": prov.get("provider"),
        "model": prov.get("model"),
        "cost": (cost.get("actual") if isinstance(cost, dict) else cost),
        "name": getattr(clip, "name", None) or media.path.stem,
        "path": str(media.path),  # the local file (the library panel drags it to a timeline)
    }
    metadata = {k: v for k, v in metadata.items() if v is not None}
    fields: dict[str, Any] = dict(
        id=media.media_id, project_id=project_id(project), type=media.type,
        url=url or (existing.url if existing and existing.url else media.path.as_uri()),
        storage_key=storage_key or (existing.storage_key if existing else None),
        sha256=media.sha256, size=media.size)
    if existing is not None:
        return existing.with_changes(metadata=metadata, **fields)
    return MediaDocument(metadata=metadata, **fields)


def record_clip(project: Project, scene: otio.schema.Timeline | None, clip: Any,
                media: ClipMedia, repo: MediaRepository, brain: Brain, *,
                url: str | None = None, storage_key: str | None = None,
                replaced: str | None = None) -> MediaDocument:
    """Write (or update) ``media``'s document and its Brain relationships."""
    doc = media_document(project, scene, clip, media, url=url, storage_key=storage_key,
                         existing=repo.get(media.media_id))
    repo.put(doc)
    pid = doc.project_id
    prov = media.provenance
    brain.record_generated(
        pid, doc.id, character=_reference(project, prov.get("character_reference")),
        location=_reference(project, prov.get("location_reference")),
        name=doc.meta("name"), type=doc.type, method=doc.meta("method"), url=doc.url,
        storageKey=doc.storage_key, createdAt=doc.created_at.isoformat())
    if prov.get("voice_id") and prov.get("character"):  # a generated dialogue line
        brain.record_voiced(pid, str(prov["character"]), str(prov["voice_id"]),
                            media_id=doc.id, provider=prov.get("provider"))
    if scene is not None and clip is not None:
        brain.record_placed(pid, doc.id, str(S.get(scene, "id") or scene.name), scene.name,
                            replaced=replaced, clip=S.get(clip, "id"))
    return doc


def _replaced_take(project: Project, clip: otio.schema.Clip, active: str) -> str | None:
    """The media id of the take the active one replaced (the previous take key)."""
    keys = list(clip.media_references())
    if active not in keys or keys.index(active) == 0:
        return None
    previous = clip.media_references()[keys[keys.index(active) - 1]]
    media = clip_media(project, clip, previous)
    return media.media_id if media else None


def record_generation_landed(project: Project, job_id: str, settings: Any = None) -> str | None:
    """A finished generation's take is on the timeline: record it (media document,
    Brain: used references, depicts, set in, part of the scene, take of). Returns the media
    id, or None when the job's clip or file is not there."""
    from ..generation.placement import find_generation_clips
    from .backends import open_brain, open_media

    found = next((c for c, j in find_generation_clips(project) if j == job_id), None)
    if found is None:
        return None
    media = clip_media(project, found)
    if media is None or media.provenance.get("job_id") != job_id:
        return None
    track = found.parent()
    scene = project.scene_of(track) if isinstance(track, otio.schema.Track) else None
    repo = open_media(settings)
    brain = open_brain(settings)
    try:
        record_clip(project, scene, found, media, repo, brain,
                    replaced=_replaced_take(project, found, found.active_media_reference_key))
    finally:
        repo.close()
        brain.close()
    return media.media_id
