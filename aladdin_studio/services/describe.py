"""A JSON-safe summary of a project (``aladdin-studio info``, the API, the director)."""

from __future__ import annotations

from typing import Any

import opentimelineio as otio

from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.document import Project
from aladdin_studio.timeline.layout import layout, track_end
from aladdin_studio.timeline.otioz_media import outside_project

__all__ = ["describe"]


def describe(project: Project) -> dict[str, Any]:
    """Scenes, tracks, items (clips with takes, generation state and offline flag;
    transitions), markers, offline media, warnings and whether an autosave is newer."""
    scenes = []
    outside: set[str] = set()  # media files outside the project folder (they leave with it)
    for scene in project.scenes:
        rate = S.scene_rate(scene)
        tracks = []
        for track in scene.tracks:
            items = []
            for slot in layout(track, rate):
                item = slot.item
                entry: dict[str, Any] = {"type": type(item).__name__.lower(),
                                         "start": slot.start / rate, "end": slot.end / rate}
                if slot.is_clip:
                    ref = item.media_reference
                    entry.update(name=item.name, media=getattr(ref, "target_url", None),
                                 source_in=S.frames_exact(item.source_range.start_time, rate)
                                 / rate,
                                 speed=S.clip_speed(item),
                                 takes=list(item.media_references()),
                                 active_take=item.active_media_reference_key,
                                 offline=getattr(ref, "target_url", None) in project.offline)
                    url = getattr(ref, "target_url", None)
                    path = project.resolve_media(url) if url else None
                    entry["outside_project"] = bool(path and outside_project(project, path))
                    if entry["outside_project"]:
                        outside.add(str(path))
                    generation = S.get(item, "generation")
                    if isinstance(generation, dict):
                        entry["generation"] = {
                            "job_id": generation.get("job_id"),
                            "status": generation.get("status"),
                            "message": generation.get("message") or None,
                            "placeholder": isinstance(ref, otio.schema.GeneratorReference)}
                elif slot.is_transition:
                    entry.update(kind=S.transition_kind(item).value,
                                 duration=(slot.end - slot.start) / rate,
                                 direction=S.transition_direction(item).value,
                                 easing=S.transition_easing(item).value)
                items.append(entry)
            tracks.append({"name": track.name, "kind": "audio" if S.is_audio(track) else "video",
                           "role": S.track_role(track).value,
                           "locked": S.track_flag(track, "locked"),
                           "duration": track_end(track, rate) / rate, "items": items})
        duration = max((t["duration"] for t in tracks), default=0.0)
        scenes.append({"name": scene.name, "fps": rate, "size": list(S.scene_size(scene)),
                       "duration": duration, "tracks": tracks,
                       "markers": [{"name": m.name,
                                    "time": S.frames_exact(m.marked_range.start_time, rate) / rate}
                                   for m in scene.tracks.markers]})
    return {"name": project.name, "file": str(project.location.file) if project.location else None,
            "scenes": scenes, "offline_media": sorted(project.offline),
            "media_outside_project": sorted(outside),
            "warnings": project.warnings, "recovery_available": project.recovery_available}
