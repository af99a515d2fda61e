"""The publish manifest: what was published, where, and what made it.

Beside the render (in the store and in the project's ``renders/``): the scene as OTIO with
the media references of published files rewritten to their URLs (so the published scene can
be reopened), the provenance of every generated clip and line (model, prompt, seed, cost,
references, quality report when present), and each file's key, URL, size and SHA-256. Never
a secret: credentials are not part of any of these (presigned URLs carry the access key id
in ``X-Amz-Credential`` by the S3 protocol's design, never the secret key).
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath, PureWindowsPath
from typing import Any

import opentimelineio as otio

from ..library.record import quality_score
from ..timeline import schema as S

__all__ = ["FORMAT", "VERSION", "build_manifest", "local_paths_to_names", "provenance_rows"]

FORMAT = "aladdin-publish-manifest"
VERSION = 1


def _reference_name(project: Any, ref_id: str | None) -> str | None:
    if not ref_id:
        return None
    from ..generation.references import find_reference

    entry = find_reference(project, ref_id)
    return entry.get("name") if entry else None


_ABSOLUTE = re.compile(r"^(/|[A-Za-z]:[\\/]|\\\\)")


def local_paths_to_names(value: Any) -> Any:
    """``value`` with absolute local paths cut to their file names: a published manifest
    says which file went in (and its sha256 beside it), not where this machine keeps it."""
    if isinstance(value, dict):
        return {k: local_paths_to_names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [local_paths_to_names(v) for v in value]
    if isinstance(value, str) and _ABSOLUTE.match(value) and "://" not in value:
        return PurePath(value).name if "/" in value else PureWindowsPath(value).name
    return value


def provenance_rows(project: Any, scene: otio.schema.Timeline) -> list[dict[str, Any]]:
    """One row per clip whose active take was generated (video, dialogue, sfx)."""
    rows = []
    for track in scene.tracks:
        for clip in track.find_clips():
            ref = clip.media_reference
            md = S.to_py(ref.metadata.get(S.NS, {})) if S.NS in ref.metadata else {}
            prov = md.get("provenance")
            if not prov:
                continue
            row = {"clip": clip.name, "clipId": S.get(clip, "id"), "track": track.name,
                   "role": S.get(track, "role"), "take": clip.active_media_reference_key,
                   "mediaId": prov.get("job_id"), "provenance": local_paths_to_names(prov),
                   "characterName": _reference_name(project, prov.get("character_reference")),
                   "locationName": _reference_name(project, prov.get("location_reference"))}
            report = S.get(clip, "quality") or prov.get("quality") or prov.get("quality_report")
            if report is not None:
                row["quality"] = report
                row["qualityScore"] = quality_score(clip, prov)
            rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _rewritten_scene(project: Any, scene: otio.schema.Timeline,
                     urls: dict[str, str]) -> dict[str, Any]:
    """The scene as OTIO JSON; every take whose file was published points at its URL."""
    copy = scene.deepcopy()
    for clip in copy.find_clips():
        refs = clip.media_references()
        changed = False
        for key, ref in refs.items():
            if isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
                path = str(project.resolve_media(ref.target_url))
                if path in urls:
                    ref.metadata[S.NS] = {**S.to_py(ref.metadata.get(S.NS, {})),
                                          "source_url": ref.target_url}
                    ref.target_url = urls[path]
                    refs[key] = ref
                    changed = True
        if changed:
            clip.set_media_references(refs, clip.active_media_reference_key)
    return json.loads(otio.adapters.write_to_string(copy, "otio_json"))


def build_manifest(project: Any, scene: otio.schema.Timeline, project_id: str, scene_id: str,
                   store: Any, items: list[dict[str, Any]], results: list[Any],
                   published_at: str, manifest_key: str | None = None) -> dict[str, Any]:
    files = []
    urls: dict[str, str] = {}
    render = None
    for item, result in zip(items, results, strict=True):
        entry = {"kind": item["kind"], "name": item["name"], "key": result.key,
                 "url": result.url, "urlExpiresAt": result.url_expires_at,
                 "sha256": result.sha256, "size": result.size, "etag": result.etag,
                 "metadataNotStored": result.metadata_dropped or None}
        if item["kind"] == "media":
            entry["mediaId"] = item["media"].media_id
            entry["type"] = item["media"].type
            urls[str(item["path"])] = result.url
        else:
            entry["mediaId"] = item["media_id"]
            render = {k: v for k, v in entry.items() if v is not None}
        files.append({k: v for k, v in entry.items() if v is not None})
    size = S.get(scene, "size") or []
    return {
        "format": FORMAT, "version": VERSION, "publishedAt": published_at,
        "destination": {"kind": store.name, "where": store.describe()},
        "manifestKey": manifest_key,
        "project": {"id": project_id, "name": project.name},
        "scene": {"id": scene_id, "name": scene.name, "fps": S.scene_rate(scene),
                  "size": list(size), "duration": round(scene.duration().to_seconds(), 3)},
        "render": render,
        "files": files,
        "provenance": provenance_rows(project, scene),
        "otio": local_paths_to_names(_rewritten_scene(project, scene, urls)),
    }
