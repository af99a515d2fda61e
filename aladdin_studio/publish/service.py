"""Publishing a scene (its render and/or its media) to R2 or the local publish folder.

One call, no Qt, run by the ``publish`` job kind in a queue consumer (never on the GUI
thread): load the saved project → (render the scene) → upload each file (skipped when the same
content is already there) → the manifest beside the render → media documents and Brain
relationships. Progress is reported per file.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..library.record import ClipMedia, clip_media, file_sha256, project_id, record_clip
from ..timeline import schema as S
from .errors import PublishCancelled, PublishError
from .keys import content_type, manifest_key, media_key, scene_key
from .manifest import build_manifest
from .store import LocalStore, ObjectStore, UploadResult

__all__ = ["DESTINATIONS", "MEDIA_CHOICES", "PublishRequest", "PublishResult", "open_store",
           "publish"]

log = logging.getLogger(__name__)
DESTINATIONS = ("auto", "r2", "local")
MEDIA_CHOICES = ("none", "generated", "all")
ProgressFn = Callable[[dict[str, Any]], None]


@dataclass
class PublishRequest:
    project: str  # the project file or bundle (saved)
    scene: str | None = None  # name or id (default: the first)
    render: str | None = None  # an existing render of the scene to publish
    render_now: bool = False  # render the scene first (with ``preset``)
    preset: str | None = None
    media: str = "none"  # the scene's clips too: none | generated | all
    clips: list[str] = field(default_factory=list)  # only these clip ids' media
    destination: str = "auto"  # auto (R2 when configured) | r2 | local

    def validate(self) -> None:
        if self.destination not in DESTINATIONS:
            raise PublishError(f"Unknown destination '{self.destination}': use r2 or local.")
        if self.media not in MEDIA_CHOICES:
            raise PublishError(f"--media takes generated or all, not '{self.media}'.")
        if self.render and self.render_now:
            raise PublishError("Give --render FILE or --render-now, not both.")
        if self.render and not Path(self.render).is_file():
            raise PublishError(f"The render {self.render} does not exist.")
        if not (self.render or self.render_now or self.media != "none" or self.clips):
            raise PublishError("Nothing to publish: give --render FILE, --render-now or "
                               "--media generated|all.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PublishRequest:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class PublishResult:
    destination: str  # "r2" | "local"
    where: str  # describes the bucket or folder
    project_id: str
    scene_id: str
    files: list[dict[str, Any]]  # UploadResult dicts + name, kind, mediaId
    manifest: dict[str, Any]  # key, url, path
    uploaded_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def open_store(settings: Any, destination: str = "auto", **options: Any) -> ObjectStore:
    """R2 when asked (or, for "auto", when R2 is configured), else the local folder."""
    from .r2 import R2Store, r2_configured

    if destination == "r2" or (destination == "auto" and r2_configured(settings)):
        return R2Store(settings, **options)
    return LocalStore(options.get("root"))


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40] or "scene"


def _render_now(project: Any, scene: Any, preset_name: str | None, settings: Any,
                progress: ProgressFn, cancel: threading.Event | None) -> Path:
    from ..render.export import render_scene
    from ..render.plan import build_plan
    from ..render.presets import default_preset, get_preset

    try:
        preset = (get_preset(preset_name) if preset_name else
                  default_preset(settings.video_default_resolution, settings.video_default_fps))
    except KeyError as exc:
        raise PublishError(str(exc.args[0])) from None
    out = project.location.renders_dir / f"{_safe_name(scene.name)}-{preset.name}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    plan = build_plan(scene, project.resolve_media)
    progress({"stage": "render", "message": f"Rendering {scene.name}"})
    render_scene(plan, out, preset, cache_dir=project.location.cache_dir)
    if cancel is not None and cancel.is_set():
        raise PublishCancelled("Publishing was cancelled.")
    return out


def _scene_media(project: Any, scene: Any, which: str, clip_ids: list[str]
                 ) -> list[tuple[Any, ClipMedia]]:
    """(clip, media) of the scene's clips to publish, one per distinct file."""
    seen: set[str] = set()
    out = []
    for clip in scene.find_clips():
        if clip_ids and S.get(clip, "id") not in clip_ids:
            continue
        media = clip_media(project, clip)
        if media is None or media.media_id in seen:
            continue
        if which == "generated" and not media.generated and not clip_ids:
            continue
        seen.add(media.media_id)
        out.append((clip, media))
    return out


def publish(request: PublishRequest, settings: Any, *, store: ObjectStore | None = None,
            progress: ProgressFn | None = None, cancel: threading.Event | None = None,
            media_repo: Any = None, brain: Any = None) -> PublishResult:
    """Publish per ``request``; see the module docstring. Raises PublishError (and
    TimelineError for a project or scene that cannot be opened)."""
    from ..library.backends import open_brain, open_media
    from ..timeline.project_io import load

    request.validate()
    report = progress or (lambda state: None)
    project = load(request.project)
    scene = project.scene(request.scene)
    pid = project_id(project)
    sid = str(S.get(scene, "id") or _safe_name(scene.name))
    own_store = store is None
    store = store or open_store(settings, request.destination)
    own_repo, own_brain = media_repo is None, brain is None
    media_repo = media_repo or open_media(settings)
    brain = brain or open_brain(settings)
    try:
        render = Path(request.render) if request.render else None
        if request.render_now:
            render = _render_now(project, scene, request.preset, settings, report, cancel)
        items: list[dict[str, Any]] = []
        which = "all" if request.clips and request.media == "none" else request.media
        if which != "none":
            for clip, media in _scene_media(project, scene, which, request.clips):
                ext = media.path.suffix or ".bin"
                items.append({"kind": "media", "name": clip.name, "clip": clip, "media": media,
                              "path": media.path, "sha256": media.sha256,
                              "key": media_key(pid, media.type, media.media_id, ext)})
        render_id = None
        if render is not None:
            sha = file_sha256(render)
            render_id = sha[:16]
            items.append({"kind": "render", "name": render.name, "path": render,
                          "sha256": sha, "media_id": f"render-{render_id}",
                          "key": scene_key(pid, sid, render_id, render.suffix or ".mp4")})
        files = [{"name": i["name"], "kind": i["kind"], "key": i["key"],
                  "size": i["path"].stat().st_size, "done": 0, "status": "waiting"}
                 for i in items]
        state = {"stage": "upload", "destination": store.name, "files": files}
        lock = threading.Lock()

        def file_progress(index: int) -> Callable[[int, int], None]:
            def update(done: int, total: int) -> None:
                with lock:
                    files[index].update(done=done, status="uploading")
                    report({**state, "message": f"Uploading {files[index]['name']}"})
            return update

        now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        results: list[UploadResult] = []
        for index, item in enumerate(items):
            if cancel is not None and cancel.is_set():
                raise PublishCancelled("Publishing was cancelled.")
            metadata = _object_metadata(pid, sid, item, project, scene, now)
            result = store.upload(item["key"], item["path"], sha256=item["sha256"],
                                  content_type=content_type(item["path"].name),
                                  metadata=metadata, progress=file_progress(index),
                                  cancel=cancel)
            results.append(result)
            with lock:
                files[index].update(done=result.size, url=result.url,
                                    status="unchanged" if result.skipped else "published")
                report({**state, "message": f"Published {item['name']}"})

        mkey = manifest_key(pid, sid, render_id or "media-" + re.sub(r"\D", "", now)[:14])
        manifest = build_manifest(project, scene, pid, sid, store, items, results, now, mkey)
        manifest_bytes = json.dumps(manifest, indent=2).encode()
        mresult = store.put_bytes(mkey, manifest_bytes, content_type="application/json",
                                  metadata={"project-id": pid, "scene-id": sid,
                                            "uploaded-at": now})
        local_manifest = _write_local_manifest(project, scene, render, manifest_bytes)

        for item, result in zip(items, results, strict=True):
            _record(project, scene, item, result, media_repo, brain, manifest)
        out_files = []
        for item, result in zip(items, results, strict=True):
            out_files.append({**result.to_dict(), "name": item["name"], "kind": item["kind"],
                              "mediaId": item["media"].media_id if item["kind"] == "media"
                              else item["media_id"]})
        report({**state, "stage": "done", "message": "Published"})
        return PublishResult(store.name, store.describe(), pid, sid, out_files,
                             {"key": mkey, "url": mresult.url,
                              "urlExpiresAt": mresult.url_expires_at,
                              "path": str(local_manifest)},
                             sum(r.uploaded_bytes for r in results) + mresult.uploaded_bytes)
    finally:
        if own_store:
            store.close()
        if own_repo:
            media_repo.close()
        if own_brain:
            brain.close()


def _object_metadata(pid: str, sid: str, item: dict[str, Any], project: Any, scene: Any,
                     now: str) -> dict[str, Any]:
    """S3 metadata per the design doc (trimmed to the S3 limit by the store)."""
    rate = S.scene_rate(scene)
    size = S.get(scene, "size") or []
    meta: dict[str, Any] = {"project-id": pid, "scene-id": sid, "uploaded-at": now,
                            "fps": rate, "resolution": "x".join(map(str, size)) or None}
    if item["kind"] == "render":
        meta["render-id"] = item["media_id"]
        meta["duration"] = round(scene.duration().to_seconds(), 3)
        return meta
    media: ClipMedia = item["media"]
    prov, info = media.provenance, media.info
    cost = prov.get("cost") or {}
    meta.update({"media-id": media.media_id, "method": prov.get("method"),
                 "duration": info.get("duration"), "provider": prov.get("provider"),
                 "model": prov.get("model"), "seed": prov.get("seed"),
                 "cost": cost.get("actual") if isinstance(cost, dict) else cost,
                 "prompt": prov.get("prompt")})
    if info.get("width") and info.get("height"):
        meta["resolution"] = f"{info['width']}x{info['height']}"
    return meta


def _write_local_manifest(project: Any, scene: Any, render: Path | None, data: bytes) -> Path:
    from ..files import atomic_path

    if render is not None:
        path = render.with_name(render.stem + ".manifest.json")
    else:
        path = project.location.renders_dir / f"{_safe_name(scene.name)}-media.manifest.json"
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def _record(project: Any, scene: Any, item: dict[str, Any], result: UploadResult,
            media_repo: Any, brain: Any, manifest: dict[str, Any]) -> None:
    """The published file in the media collection and the Brain."""
    if item["kind"] == "media":
        record_clip(project, scene, item["clip"], item["media"], media_repo, brain,
                    url=result.url, storage_key=result.key)
        brain.record_published(project_id(project), item["media"].media_id, result.url,
                               result.key)
        return
    from ..library.media import MediaDocument

    pid = project_id(project)
    characters = sorted({p["characterName"] for p in manifest["provenance"]
                         if p.get("characterName")})
    locations = sorted({p["locationName"] for p in manifest["provenance"]
                        if p.get("locationName")})
    size = S.get(scene, "size") or []
    existing = media_repo.get(item["media_id"])
    metadata = {"method": "render", "sceneId": manifest["scene"]["id"],
                "duration": round(scene.duration().to_seconds(), 3),
                "fps": S.scene_rate(scene), "name": f"{scene.name} (render)",
                "resolution": "x".join(map(str, size)) or None,
                "characters": characters, "locations": locations,
                "path": str(item["path"]),
                "manifestKey": manifest.get("manifestKey")}
    metadata = {k: v for k, v in metadata.items() if v not in (None, [])}
    fields = dict(url=result.url, storage_key=result.key, sha256=result.sha256,
                  size=result.size)
    doc = (existing.with_changes(metadata=metadata, **fields) if existing else
           MediaDocument(id=item["media_id"], project_id=pid, type="video",
                         metadata=metadata, **fields))
    media_repo.put(doc)
    brain.record_media(pid, doc.id, name=metadata["name"], type="video", url=result.url,
                       storageKey=result.key, method="render",
                       createdAt=doc.created_at.isoformat())
    sid = manifest["scene"]["id"]
    brain.record_placed(pid, doc.id, sid, scene.name)
    brain.record_depicts(pid, doc.id, characters)

