"""Timeline → brief: a scene's clips become shots (their generation request when they were
generated, else a text-to-video shot named after the clip); its transitions, dialogue
lines, music and sound effects become the brief's.

A scene the director made keeps its brief in its metadata; what the user changed since
(order, durations, transitions, lines) is read from the timeline, so the brief written is
the scene as it is now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..timeline import schema as S
from ..timeline.document import Project
from ..timeline.layout import layout
from ..timeline.titles import is_title
from .assembly import DIRECTOR_KEY
from .brief import MAX_SHOTS, Brief, BriefError, BriefProblem

__all__ = ["brief_from_scene"]

_METHOD_FIELDS = ("negative_prompt", "style", "camera", "motion", "interpolation", "seed")


def _request_of(clip: otio.schema.Clip) -> dict[str, Any] | None:
    provenance = S.get(clip.media_reference, "provenance") or {}
    request = provenance.get("request") if isinstance(provenance, dict) else None
    if isinstance(request, dict):
        return S.to_py(request)
    record = S.get(clip, "generation") or {}
    if isinstance(record, dict) and record.get("prompt"):
        return {"method": record.get("method", "text-to-video"), "prompt": record["prompt"]}
    return None


def _rebased(brief: dict[str, Any], old_base: str | None, base: Path) -> dict[str, Any]:
    """The stored brief with its relative file names made relative to ``base``."""
    if not old_base or not brief:
        return dict(brief)
    old = Path(old_base)

    def move(value: Any) -> Any:
        if not isinstance(value, str) or Path(value).is_absolute():
            return value
        return _rel(old / value, base) if (old / value).exists() else value

    out = dict(brief)
    for table in ("characters", "locations"):
        out[table] = [{**e, "reference": move(e["reference"])} if e.get("reference") else e
                      for e in brief.get(table, [])]
    out["shots"] = [{**s, **{k: move(s[k]) for k in ("image", "first_frame", "last_frame")
                             if s.get(k)}} for s in brief.get("shots", [])]
    return out


def _rel(path: str | Path, base: Path) -> str:
    path = Path(path)
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def brief_from_scene(project: Project, scene: otio.schema.Timeline,
                     base_dir: str | Path | None = None) -> Brief:
    """The brief of ``scene`` as it is on the timeline (files relative to ``base_dir``)."""
    base = Path(base_dir or Path.cwd()).absolute()
    rate = S.scene_rate(scene)
    made = S.get(scene, DIRECTOR_KEY) or {}
    old = _rebased(made.get("brief") or {}, made.get("base_dir"), base)
    old_shots = old.get("shots") or []
    video = next((t for t in scene.tracks if not S.is_audio(t)), None)
    if video is None:
        raise BriefError([BriefProblem(f"scene '{scene.name}' has no video track")])
    shots: list[dict[str, Any]] = []
    transitions: list[dict[str, Any]] = []
    starts: list[float] = []
    characters: dict[str, dict[str, Any]] = {c["name"]: c for c in old.get("characters", [])}
    locations: dict[str, dict[str, Any]] = {c["name"]: c for c in old.get("locations", [])}
    pending_transition: dict[str, Any] | None = None
    for slot in layout(video, rate):
        item = slot.item
        if isinstance(item, otio.schema.Transition):
            frames = S.frames(item.in_offset, rate) + S.frames(item.out_offset, rate)
            pending_transition = {"type": S.transition_kind(item).value,
                                  "duration": round(frames / rate, 3)}
            continue
        if not slot.is_clip:
            continue
        seconds = round(min(slot.duration / rate, 7.0), 3)
        if seconds < 1.0:
            continue
        number = (S.get(item, DIRECTOR_KEY) or {}).get("shot")
        shot: dict[str, Any] = {}
        if number and 0 < number <= len(old_shots):
            shot = dict(old_shots[number - 1])
        request = _request_of(item) if not is_title(item) else None
        if request:
            shot.update({"method": request.get("method", "text-to-video"),
                         "prompt": request.get("prompt") or item.name})
            for name in _METHOD_FIELDS:
                if request.get(name) not in (None, ""):
                    shot[name] = request[name]
            if request.get("quality"):
                shot["quality"] = request["quality"]
            for name in ("image", "first_frame", "last_frame"):
                if request.get(name):
                    shot[name] = _rel(request[name], base)
            for field, kind, table in (("character_ref", "character", characters),
                                       ("location_ref", "location", locations)):
                if request.get(field) and kind not in shot:
                    ref = _rel(request[field], base)
                    name = next((n for n, c in table.items() if c.get("reference") == ref),
                                None) or Path(ref).stem
                    table.setdefault(name, {"name": name, "reference": ref})
                    shot[kind] = name
        elif not shot:
            shot = {"method": "text-to-video", "prompt": item.name or f"Shot {len(shots) + 1}"}
        shot.setdefault("name", item.name)
        shot["duration"] = seconds
        if shot.get("method") not in ("image-to-video", "composite-to-video"):
            shot.pop("image", None)
        if shot.get("method") != "first-last-frame":
            shot.pop("first_frame", None)
            shot.pop("last_frame", None)
        if pending_transition is not None and shots:
            transitions.append({"after": len(shots), **pending_transition})
        pending_transition = None
        starts.append(slot.start / rate)
        shots.append(shot)
        if len(shots) == MAX_SHOTS:
            break
    if not shots:
        raise BriefError([BriefProblem(f"scene '{scene.name}' has no clip of 1 s or more on "
                                       f"'{video.name}' to make a shot of")])
    dialogue, sfx, music = _audio(project, scene, rate, starts, shots, base)
    for line in dialogue:
        characters.setdefault(line["character"], {"name": line["character"]})
    data: dict[str, Any] = {"version": 1, "scene": scene.name,
                            "size": list(S.scene_size(scene)), "fps": rate}
    if characters:
        data["characters"] = list(characters.values())
    if locations:
        data["locations"] = list(locations.values())
    data["shots"] = shots
    if transitions:
        data["transitions"] = transitions
    if dialogue:
        data["dialogue"] = dialogue
    data["music"] = music
    if sfx:
        data["sfx"] = sfx
    if dialogue:
        from ..timeline.subtitles import subtitle_style

        data["subtitles"] = bool(subtitle_style(scene).get("burn_in"))
    data["publish"] = bool(old.get("publish", False))
    if old.get("preset"):
        data["preset"] = old["preset"]
    return Brief.from_dict(data, base_dir=base)


def _audio(project: Project, scene: otio.schema.Timeline, rate: float, starts: list[float],
           shots: list[dict[str, Any]], base: Path
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
    dialogue: list[dict[str, Any]] = []
    sfx: list[dict[str, Any]] = []
    music: Any = None
    for track in scene.tracks:
        if not S.is_audio(track):
            continue
        role = S.track_role(track)
        for slot in layout(track, rate):
            if not slot.is_clip:
                continue
            at = slot.start / rate
            clip = slot.item
            if role == S.TrackRole.DIALOGUE:
                record = S.get(clip, "voice") or {}
                if not record.get("text"):
                    continue
                index = max((i for i, s in enumerate(starts) if s <= at + 1e-6), default=0)
                offset = round(at - starts[index], 3)
                if offset >= float(shots[index]["duration"]):
                    offset = round(float(shots[index]["duration"]) - 0.1, 3)
                line = {"character": str(record.get("character") or "Narrator"),
                        "text": str(record["text"]), "shot": index + 1, "offset": offset}
                if record.get("emotion"):
                    line["emotion"] = str(record["emotion"])
                dialogue.append(line)
            elif role == S.TrackRole.SFX:
                record = S.get(clip, "sfx") or {}
                prompt = record.get("prompt") or clip.name
                sfx.append({"prompt": str(prompt)[:450], "at": round(at, 3),
                            "duration": round(min(max(slot.duration / rate, 0.5), 22.0), 3)})
            elif role == S.TrackRole.MUSIC and music is None:
                url = getattr(clip.media_reference, "target_url", None)
                if url:
                    volume = S.get(clip, "volume", 0.5)
                    music = {"file": _rel(project.resolve_media(url), base),
                             "volume": round(float(volume), 3)}
    return dialogue, sfx, music
