"""Voice results on the timeline (pure document logic, no Qt).

* :func:`place_lines_command`: a script's lines as audio clips on the scene's dialogue track
  (created with role ``dialogue`` if missing), one after another from a time with a gap, or
  at the lines' own times; plus the files in the media bin and any characters created with a
  default voice. ONE undo step ("Generate Dialogue").
* :func:`line_take_command`: a regenerated line as a new take of its clip (switchable).
* :func:`place_sfx_command`: a sound effect on the sfx track.

Each take's media reference carries its provenance (``metadata.aladdin.provenance``: provider,
voice id, model, settings, text, seed, characters billed, request id, cost, job id) and its
subtitle cues (media-relative seconds), so the cues travel with the clip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..generation.commands import AppendProjectEntry
from ..timeline import commands as C
from ..timeline import schema as S
from ..timeline.document import Project
from ..timeline.errors import InvalidEditError
from ..timeline.layout import item_frames
from ..timeline.media import bin_entry, reference_for
from ..timeline.probe import MediaInfo, content_fingerprint, probe
from ..timeline.transaction import Transaction
from .providers.base import SpeechResult
from .subtitles import META_KEY as CUES_KEY
from .subtitles import cues_from_words

__all__ = ["LINE_KEY", "PlacedLine", "PlaceOnRoleTrack", "dialogue_clips", "line_record",
           "line_take_command", "place_lines_command", "place_sfx_command", "voice_reference"]

LINE_KEY = "voice"  # the clip's ``metadata["aladdin"]["voice"]``: which script line it is


@dataclass
class PlacedLine:
    """One generated line to put on the timeline."""

    result: SpeechResult
    character: str
    text: str
    emotion: str = ""
    job_id: str = ""
    at: float | None = None  # seconds; None: after the previous line plus the gap
    settings: dict[str, Any] = field(default_factory=dict)
    cached_from: str | None = None
    media: dict[str, Any] | None = None  # the file's probe, made by the job (else probed here)
    _info: MediaInfo | None = field(default=None, repr=False, compare=False)

    def info(self) -> MediaInfo:
        """The file's media info: the job's probe when it still matches the file."""
        if self._info is None:
            self._info = self._probe()
        return self._info

    def _probe(self) -> MediaInfo:
        if self.media:
            info = MediaInfo.from_dict({**self.media, "path": str(self.result.path)})
            try:
                if content_fingerprint(self.result.path) == info.content_hash:
                    return info
            except OSError:
                pass
        return probe(self.result.path)


def provenance(line: PlacedLine, kind: str = "dialogue") -> dict[str, Any]:
    r = line.result
    data = {"kind": kind, "provider": r.provider, "voice_id": r.voice_id, "model": r.model,
            "settings": dict(line.settings), "text": line.text, "emotion": line.emotion,
            "character": line.character, "seed": r.seed, "characters_billed": r.characters,
            "request_id": r.request_id, "job_id": line.job_id,
            "cost": {"currency": "USD", "actual": float(r.cost)},
            "timing": "estimated" if r.estimated else "aligned"}
    if r.extra:
        data["extra"] = dict(r.extra)
    if line.cached_from:
        data["cached_from"] = line.cached_from
    return {k: v for k, v in data.items() if v is not None}


def voice_reference(project: Project, line: PlacedLine, rate: float,
                    kind: str = "dialogue") -> otio.schema.ExternalReference:
    """The take for ``line``: its WAV with provenance, words and subtitle cues."""
    info = line.info()
    ref = reference_for(project, line.result.path, info, rate, provenance(line, kind))
    if line.result.words:  # the words stay in the job ledger; the take keeps its cues
        ref.metadata[S.NS][CUES_KEY] = [
            c.to_dict() for c in cues_from_words(line.result.words,
                                                 end_limit=line.result.duration)]
    return ref


def line_record(clip: Any) -> dict[str, Any]:
    if not isinstance(clip, otio.schema.Clip):
        return {}
    record = S.get(clip, LINE_KEY, {})
    return dict(record) if isinstance(record, dict) else {}


def _line_clip(project: Project, line: PlacedLine, rate: float) -> otio.schema.Clip:
    ref = voice_reference(project, line, rate)
    frames = max(1, int(S.frames_exact(ref.available_range.duration, rate))) \
        if ref.available_range is not None else max(1, round(line.result.duration * rate))
    name = f"{line.character}: {line.text}"
    clip = S.new_clip(name[:48] + ("…" if len(name) > 48 else ""), ref, start=0,
                      duration=frames, rate=rate, audio=True)
    S.ns(clip)[LINE_KEY] = {"character": line.character, "text": line.text,
                            "emotion": line.emotion, "job_id": line.job_id,
                            "settings": dict(line.settings)}
    return clip


def _role_track(scene: otio.schema.Timeline, role: S.TrackRole) -> otio.schema.Track | None:
    return next((t for t in scene.tracks if S.is_audio(t) and S.track_role(t) == role), None)


class PlaceOnRoleTrack(C.Command):
    """Put clips at frames on the scene's first audio track of ``role`` (creating it), each
    overwriting what lies under it. ``self.track`` is the track used."""

    def __init__(self, scene: otio.schema.Timeline, role: S.TrackRole,
                 placed: list[tuple[otio.schema.Clip, int]], text: str) -> None:
        super().__init__()
        self.scene, self.role, self.placed, self.text = scene, role, placed, text
        self.track: otio.schema.Track | None = None

    def build(self, project: Project, tx: Transaction) -> None:
        track = _role_track(self.scene, self.role)
        if track is None:
            name = {"dialogue": "Dialogue", "sfx": "SFX", "music": "Music"}[self.role.value]
            track = S.new_track("audio", name, self.role)
            tx.insert(self.scene.tracks, len(self.scene.tracks), track)
            tx.touch_scene(self.scene)
        if S.track_flag(track, "locked"):
            raise InvalidEditError(f"Track '{track.name}' is locked; unlock it to add "
                                   f"{self.role.value}.")
        self.track = track
        rate = S.scene_rate(self.scene)
        for clip, at in self.placed:
            end = at + item_frames(clip, rate)
            index = C.clear_range(tx, track, at, end, rate)
            tx.insert(track, index, clip)


def place_lines_command(project: Project, scene: otio.schema.Timeline, lines: list[PlacedLine],
                        *, start: float = 0.0, gap: float = 0.3,
                        extra: list[C.Command] | None = None) -> C.Macro:
    """All ``lines`` on the dialogue track of ``scene`` as one undo step."""
    if not lines:
        raise InvalidEditError("There are no dialogue lines to place.")
    if gap < 0 or start < 0:
        raise InvalidEditError("The start time and the gap between lines cannot be negative.")
    rate = S.scene_rate(scene)
    placed: list[tuple[otio.schema.Clip, int]] = []
    cursor = S.seconds_to_frames(start, rate)
    entries: dict[str, dict[str, Any]] = {}
    for line in lines:
        clip = _line_clip(project, line, rate)
        at = S.seconds_to_frames(line.at, rate) if line.at is not None else cursor
        placed.append((clip, at))
        cursor = at + item_frames(clip, rate) + S.seconds_to_frames(gap, rate)
        entry = bin_entry(project, line.result.path, line.info())
        entries[entry["url"]] = entry
    commands: list[C.Command] = list(extra or [])
    commands.append(PlaceOnRoleTrack(scene, S.TrackRole.DIALOGUE, placed, "Generate Dialogue"))
    commands += [AppendProjectEntry("bin", e, "Generate Dialogue", unique="url")
                 for e in entries.values()]
    macro = C.Macro("Generate Dialogue", commands)
    macro.clips = [c for c, _ in placed]  # type: ignore[attr-defined]
    return macro


def line_take_command(project: Project, clip: otio.schema.Clip, line: PlacedLine) -> C.Macro:
    """A regenerated line as a new, active take of ``clip`` (one undo step)."""
    track = clip.parent()
    if not isinstance(track, otio.schema.Track):
        raise InvalidEditError(f"Clip '{clip.name}' is not on a track any more.")
    rate = S.scene_rate(project.scene_of(track))
    ref = voice_reference(project, line, rate)
    record = {**line_record(clip), "job_id": line.job_id, "settings": dict(line.settings)}
    return C.Macro("Regenerate Line", [
        C.AddTake(clip, ref),
        _GrowToTake(clip),
        AppendProjectEntry("bin", bin_entry(project, line.result.path, line.info()),
                           "Regenerate Line", unique="url"),
        _SetClipMeta(clip, LINE_KEY, record),
    ])


class _GrowToTake(C.Command):
    """A longer new take keeps all its words: the clip grows into the silence after it (as
    far as the next clip allows; a shorter take already shortened it)."""

    def __init__(self, clip: otio.schema.Clip) -> None:
        super().__init__()
        self.clip = clip

    def build(self, project: Project, tx: Transaction) -> None:
        from ..timeline.layout import layout, media_bounds, slot_of

        track = self.clip.parent()
        rate = S.scene_rate(project.scene_of(track))
        bounds = media_bounds(self.clip, rate)
        if bounds is None:
            return
        slot = slot_of(track, self.clip, rate)
        start = S.frames_exact(self.clip.source_range.start_time, rate)
        want = int((bounds[1] - start) / (S.clip_speed(self.clip) or 1.0)) - slot.duration
        if want <= 0:
            return
        slots = layout(track, rate)
        after = slots[slot.index + 1] if slot.index + 1 < len(slots) else None
        room = want if after is None else (after.duration if after.is_gap else 0)
        grow = min(want, room)
        if grow > 0:
            C.Trim(self.clip, "out", int(grow)).build(project, tx)


class _SetClipMeta(C.Command):
    def __init__(self, clip: otio.schema.Clip, key: str, value: Any) -> None:
        super().__init__()
        self.clip, self.key, self.value = clip, key, value

    def build(self, project: Project, tx: Transaction) -> None:
        tx.set_meta(self.clip, self.key, self.value)


def place_sfx_command(project: Project, scene: otio.schema.Timeline, line: PlacedLine,
                      at: float, prompt: str) -> C.Macro:
    """A sound effect on the scene's sfx track (created if missing) at ``at`` seconds."""
    rate = S.scene_rate(scene)
    ref = voice_reference(project, line, rate, kind="sfx")
    frames = max(1, int(S.frames_exact(ref.available_range.duration, rate)))
    name = prompt.strip()[:40] or "Sound effect"
    clip = S.new_clip(name, ref, start=0, duration=frames, rate=rate, audio=True)
    S.ns(clip)["sfx"] = {"prompt": prompt, "job_id": line.job_id, **line.settings}
    entry = bin_entry(project, line.result.path, line.info())
    macro = C.Macro("Generate Sound Effect", [
        PlaceOnRoleTrack(scene, S.TrackRole.SFX, [(clip, S.seconds_to_frames(at, rate))],
                         "Generate Sound Effect"),
        AppendProjectEntry("bin", entry, "Generate Sound Effect", unique="url")])
    macro.clips = [clip]  # type: ignore[attr-defined]
    return macro


def dialogue_clips(scene: otio.schema.Timeline) -> list[otio.schema.Clip]:
    """The scene's clips that are generated dialogue lines, in track order."""
    out = []
    for track in scene.tracks:
        if S.is_audio(track):
            out += [c for c in track if isinstance(c, otio.schema.Clip) and line_record(c)]
    return out


def media_path(project: Project, clip: otio.schema.Clip) -> Path | None:
    ref = clip.media_reference
    url = getattr(ref, "target_url", None)
    return Path(project.resolve_media(url)) if url else None
