"""What the app writes into the media collection and the Brain, from the timeline document.

Called when a generation lands on the timeline (``GenerationService.mark_applied``), when a
scene or its media are published (``publish``) and by the voice work (``record_voiced`` on
the Brain). Media ids: a generated take is known by its job id; any other file by a content
id (project + sha256), so re-recording the same file is an update, never a second document.
"""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
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
    "ClipRecord",
    "clip_media",
    "content_media_id",
    "file_sha256",
    "media_document",
    "prepare_record",
    "project_id",
    "quality_score",
    "record_clip",
    "record_generation_landed",
    "wait_for_records",
    "write_record",
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


_HASHES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256
_HASHES_MAX = 4096


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file, remembered while its size and modification time stay the same
    (the Inspector asks again at every selection)."""
    st = os.stat(path)
    key = (str(Path(path).absolute()), st.st_size, st.st_mtime_ns)
    if (known := _HASHES.get(key)) is not None:
        return known
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while data := fh.read(chunk):
            h.update(data)
    if len(_HASHES) >= _HASHES_MAX:
        _HASHES.clear()
    _HASHES[key] = h.hexdigest()
    return _HASHES[key]


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
    sha256: str | None  # None: not hashed yet (a generated take is known by its job id)
    size: int
    provenance: dict[str, Any]
    info: dict[str, Any]

    @property
    def generated(self) -> bool:
        return bool(self.provenance.get("job_id"))


def clip_media(project: Project, clip: otio.schema.Clip,
               ref: otio.schema.MediaReference | None = None, *,
               hash_file: bool = True) -> ClipMedia | None:
    """The file behind ``clip``'s active take (or ``ref``); None for placeholders, missing
    files and generators. ``hash_file=False`` leaves a generated take's sha256 for later."""
    ref = ref if ref is not None else clip.media_reference
    if not isinstance(ref, otio.schema.ExternalReference) or not ref.target_url:
        return None
    path = project.resolve_media(ref.target_url)
    if not path.is_file():
        return None
    md = S.to_py(ref.metadata.get(S.NS, {})) if S.NS in ref.metadata else {}
    provenance = dict(md.get("provenance") or {})
    info = dict(md.get("media") or {})
    job_id = provenance.get("job_id")
    sha = file_sha256(path) if hash_file or not job_id else None
    media_id = str(job_id) if job_id else content_media_id(project_id(project), str(sha))
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


@dataclass(frozen=True)
class ClipRecord:
    """What recording a clip writes, read from the document (plain data: it may be written
    on another thread while the document changes)."""

    doc: MediaDocument  # sha256 may still be None
    path: Path
    character: dict[str, Any] | None
    location: dict[str, Any] | None
    scene: tuple[str, str] | None  # (scene id, name)
    clip_id: str | None
    replaced: str | None
    voice: tuple[str, str, str | None] | None  # (character, voice id, provider)
    url_given: bool
    key_given: bool


def prepare_record(project: Project, scene: otio.schema.Timeline | None, clip: Any,
                   media: ClipMedia, *, url: str | None = None,
                   storage_key: str | None = None, replaced: str | None = None) -> ClipRecord:
    prov = media.provenance
    voice = None
    if prov.get("voice_id") and prov.get("character"):  # a generated dialogue line
        voice = (str(prov["character"]), str(prov["voice_id"]), prov.get("provider"))
    return ClipRecord(
        doc=media_document(project, scene, clip, media, url=url, storage_key=storage_key),
        path=media.path, character=_reference(project, prov.get("character_reference")),
        location=_reference(project, prov.get("location_reference")),
        scene=(str(S.get(scene, "id") or scene.name), scene.name) if scene is not None
        else None, clip_id=S.get(clip, "id") if clip is not None else None,
        replaced=replaced, voice=voice, url_given=url is not None,
        key_given=storage_key is not None)


def write_record(record: ClipRecord, repo: MediaRepository, brain: Brain) -> MediaDocument:
    """Write (or update) the media document and the Brain relationships of ``record``."""
    doc = record.doc
    if doc.sha256 is None:
        doc = doc.with_changes(sha256=file_sha256(record.path))
    existing = repo.get(doc.id)
    if existing is not None:  # keep createdAt, and a published URL / key not given now
        keep: dict[str, Any] = {}
        if not record.url_given and existing.url:
            keep["url"] = existing.url
        if not record.key_given and existing.storage_key:
            keep["storage_key"] = existing.storage_key
        doc = existing.with_changes(
            metadata=doc.metadata, type=doc.type, sha256=doc.sha256, size=doc.size,
            url=keep.get("url", doc.url), storage_key=keep.get("storage_key", doc.storage_key))
    repo.put(doc)
    pid = doc.project_id
    brain.record_generated(
        pid, doc.id, character=record.character, location=record.location,
        name=doc.meta("name"), type=doc.type, method=doc.meta("method"), url=doc.url,
        storageKey=doc.storage_key, createdAt=doc.created_at.isoformat())
    if record.voice is not None:
        character, voice_id, provider = record.voice
        brain.record_voiced(pid, character, voice_id, media_id=doc.id, provider=provider)
    if record.scene is not None:
        brain.record_placed(pid, doc.id, record.scene[0], record.scene[1],
                            replaced=record.replaced, clip=record.clip_id)
    return doc


def record_clip(project: Project, scene: otio.schema.Timeline | None, clip: Any,
                media: ClipMedia, repo: MediaRepository, brain: Brain, *,
                url: str | None = None, storage_key: str | None = None,
                replaced: str | None = None) -> MediaDocument:
    """Write (or update) ``media``'s document and its Brain relationships now."""
    return write_record(prepare_record(project, scene, clip, media, url=url,
                                       storage_key=storage_key, replaced=replaced), repo, brain)


def _replaced_take(project: Project, clip: otio.schema.Clip, active: str) -> str | None:
    """The media id of the take the active one replaced (the previous take key)."""
    keys = list(clip.media_references())
    if active not in keys or keys.index(active) == 0:
        return None
    previous = clip.media_references()[keys[keys.index(active) - 1]]
    media = clip_media(project, clip, previous)
    return media.media_id if media else None


def _clip_of_job(project: Project, job_id: str) -> otio.schema.Clip | None:
    """The clip whose generation record or active take names ``job_id`` (a follow-up job,
    e.g. a quality retry, may have taken the record over)."""
    from ..generation.placement import generation_record

    for scene in project.scenes:
        for clip in scene.find_clips():
            ref = clip.media_reference
            md = S.to_py(ref.metadata.get(S.NS, {})) if S.NS in ref.metadata else {}
            if job_id in (generation_record(clip).get("job_id"),
                          (md.get("provenance") or {}).get("job_id")):
                return clip
    return None


_writer = ThreadPoolExecutor(1, thread_name_prefix="library-record")
_pending: list[Future] = []


def record_generation_landed(project: Project, job_id: str, settings: Any = None,
                             *, wait: bool = False) -> str | None:
    """A finished generation's take is on the timeline: record it (media document,
    Brain: used references, depicts, set in, part of the scene, take of). Returns the media
    id, or None when the job's clip or file is not there.

    The document is read here (cheap); hashing the file and the writes (a MongoDB or Neo4j
    server may be remote) run on one background thread, so the editor never waits for them;
    the process still finishes them before it exits. ``wait`` waits for this one."""
    found = _clip_of_job(project, job_id)
    if found is None:
        return None
    media = clip_media(project, found, hash_file=False)
    if media is None or not media.generated:  # (a take made by a follow-up job counts too)
        return None
    track = found.parent()
    scene = project.scene_of(track) if isinstance(track, otio.schema.Track) else None
    record = prepare_record(project, scene, found, media, replaced=_replaced_take(
        project, found, found.active_media_reference_key))
    future = _writer.submit(_write_in_background, record, settings)
    _pending[:] = [f for f in _pending if not f.done()] + [future]
    if wait:
        future.result()
    return media.media_id


def _write_in_background(record: ClipRecord, settings: Any) -> None:
    from .backends import open_brain, open_media

    try:
        repo = open_media(settings)
        brain = open_brain(settings)
        try:
            write_record(record, repo, brain)
        finally:
            repo.close()
            brain.close()
    except Exception as exc:  # noqa: BLE001 - logged: the take has landed regardless
        log.warning("media %s: not recorded in the media library: %s", record.doc.id, exc)


def wait_for_records(timeout: float | None = 30.0) -> None:
    """Wait until the background writes queued so far are done (tests, shutdown)."""
    from concurrent.futures import wait

    done, _ = wait(list(_pending), timeout=timeout)
    for future in done:
        _pending.remove(future)
