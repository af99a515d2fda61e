"""Subtitle cues from word timings, kept on the dialogue clip's take, exported with pysubs2.

A take (media reference) of a dialogue clip holds ``metadata["aladdin"]["subtitles"]``: cues
``{"start", "end", "text"}`` in seconds of *its media*. The scene time of a cue follows from
where the clip sits and which part of the media it shows, so moving, trimming, switching
takes and undo carry the cues along with no extra bookkeeping.

Cue rules: at most 2 lines of at most 42 characters, at least 1 s on screen (extended into
the following silence when the words are quicker; only a last cue cut short by the end of the
media can be shorter), broken at sentence ends and, when a cue
is already half full, at commas.
"""

from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..timeline import schema as S
from ..timeline.commands import Command
from ..timeline.document import Project
from ..timeline.errors import InvalidEditError
from ..timeline.layout import layout
from ..timeline.transaction import Transaction
from .errors import VoiceInputError
from .timing import Word

__all__ = ["MAX_CHARS", "MAX_LINES", "MIN_SECONDS", "Cue", "SetCues", "clip_cues",
           "cues_from_words", "export_cues", "read_cues", "scene_cues", "wrap"]

MAX_CHARS = 42
MAX_LINES = 2
MIN_SECONDS = 1.0
META_KEY = "subtitles"


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str  # lines joined by "\n"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cue:
        return cls(float(data["start"]), float(data["end"]), str(data["text"]))


def wrap(text: str, width: int = MAX_CHARS) -> list[str]:
    """Lines of at most ``width`` characters, the break as balanced as possible."""
    text = " ".join(text.split())
    if len(text) <= width:
        return [text]
    words = text.split(" ")
    best: list[str] | None = None
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        if len(a) <= width and len(b) <= width and (
                best is None or abs(len(a) - len(b)) < abs(len(best[0]) - len(best[1]))):
            best = [a, b]
    return best or textwrap.wrap(text, width)


def _fits(words: list[str]) -> bool:
    return len(wrap(" ".join(words))) <= MAX_LINES


def cues_from_words(words: list[Word], end_limit: float | None = None) -> list[Cue]:
    """Cues of at most 2 × 42 characters, split at punctuation, each shown ≥ 1 s (as far as
    the audio allows: ``end_limit`` is the end of the media)."""
    groups: list[list[Word]] = []
    current: list[Word] = []
    capacity = MAX_CHARS * MAX_LINES
    for word in words:
        if current and not _fits([w.text for w in current] + [word.text]):
            groups.append(current)
            current = []
        current.append(word)
        text = " ".join(w.text for w in current)
        if word.text[-1:] in ".!?" or (word.text[-1:] in ",;:" and len(text) > capacity // 2):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    merged: list[list[Word]] = []
    while groups:  # a group that cannot stay 1 s before the next one takes the next one in
        group = groups.pop(0)
        while groups and max(group[-1].end, groups[0][0].start) - group[0].start < MIN_SECONDS \
                and _fits([w.text for w in group + groups[0]]):
            group = group + groups.pop(0)
        merged.append(group)
    cues: list[Cue] = []
    for i, group in enumerate(merged):
        start, end = group[0].start, group[-1].end
        nxt = merged[i + 1][0].start if i + 1 < len(merged) else end_limit
        if end - start < MIN_SECONDS:
            end = start + MIN_SECONDS if nxt is None else max(end, min(start + MIN_SECONDS, nxt))
        text = "\n".join(wrap(" ".join(w.text for w in group)))
        if cues and end - start < MIN_SECONDS and start - cues[-1].end < 0.5 and len(
                wrap(cues[-1].text.replace("\n", " ") + " " + text)) <= MAX_LINES:
            prev = cues.pop()  # the last one, still too short: join the previous cue
            start, text = prev.start, "\n".join(wrap(prev.text.replace("\n", " ") + " " + text))
        cues.append(Cue(round(start, 3), round(end, 3), text))
    return cues


# --------------------------------------------------------------------------- the document


def take_cues(ref: Any) -> list[Cue]:
    """The cues stored on a take (media-relative seconds)."""
    if ref is None or S.NS not in ref.metadata:
        return []
    raw = S.to_py(ref.metadata[S.NS].get(META_KEY)) or []
    return [Cue.from_dict(c) for c in raw if isinstance(c, dict)]


def clip_cues(clip: otio.schema.Clip, start_frame: int, rate: float) -> list[Cue]:
    """The active take's cues in scene seconds for ``clip`` starting at ``start_frame``,
    cut to the part of the media the clip shows."""
    cues = take_cues(clip.media_reference)
    if not cues or clip.source_range is None:
        return []
    speed = S.clip_speed(clip) or 1.0
    media_in = S.frames_exact(clip.source_range.start_time, rate) / rate
    length = S.frames(clip.source_range.duration, rate) / rate
    media_out = media_in + length * speed
    at = start_frame / rate
    out = []
    for cue in cues:
        a, b = max(cue.start, media_in), min(cue.end, media_out)
        if b - a < 0.05:
            continue
        out.append(Cue(round(at + (a - media_in) / speed, 3), round(at + (b - media_in) / speed, 3),
                       cue.text))
    return out


def scene_cues(scene: otio.schema.Timeline) -> list[Cue]:
    """All cues of a scene's dialogue tracks (unmuted), in time order."""
    rate = S.scene_rate(scene)
    cues: list[Cue] = []
    for track in scene.tracks:
        if not S.is_audio(track) or S.track_role(track) != S.TrackRole.DIALOGUE \
                or S.track_flag(track, "muted"):
            continue
        for slot in layout(track, rate):
            if slot.is_clip:
                cues += clip_cues(slot.item, slot.start, rate)
    return sorted(cues, key=lambda c: (c.start, c.end))


class SetCues(Command):
    """Replace the cues of a clip's active take (the Subtitles view's edits)."""

    text = "Edit Subtitles"

    def __init__(self, clip: otio.schema.Clip, cues: list[Cue]) -> None:
        super().__init__()
        self.clip, self.cues = clip, cues

    def build(self, project: Project, tx: Transaction) -> None:
        if not isinstance(self.clip, otio.schema.Clip) or self.clip.media_reference is None:
            raise InvalidEditError("Select a dialogue clip first.")
        for cue in self.cues:
            if cue.end <= cue.start:
                raise InvalidEditError(f"Subtitle '{cue.text[:30]}' ends before it starts.")
            if any(len(line) > MAX_CHARS for line in cue.text.split("\n")) or \
                    cue.text.count("\n") >= MAX_LINES:
                raise InvalidEditError(f"Subtitle '{cue.text[:30]}' is longer than {MAX_LINES} "
                                       f"lines of {MAX_CHARS} characters.")
        tx.set_meta(self.clip.media_reference, META_KEY, [c.to_dict() for c in self.cues])
        track = self.clip.parent()
        if isinstance(track, otio.schema.Track):
            tx.touch_track(track)


# --------------------------------------------------------------------------- files


def export_cues(cues: list[Cue], path: str | Path) -> Path:
    """Write SRT or WebVTT (by the file's suffix) with pysubs2."""
    import pysubs2

    from aladdin_studio.files import atomic_path

    path = Path(path)
    fmt = {".srt": "srt", ".vtt": "vtt"}.get(path.suffix.lower())
    if fmt is None:
        raise VoiceInputError(f"Subtitles are written as .srt or .vtt, not '{path.suffix}'.")
    subs = pysubs2.SSAFile()
    for cue in cues:
        subs.append(pysubs2.SSAEvent(start=int(round(cue.start * 1000)),
                                     end=int(round(cue.end * 1000)),
                                     text=cue.text.replace("\n", "\\N")))
    with atomic_path(path) as tmp:
        subs.save(str(tmp), format_=fmt, encoding="utf-8")
    return path


def read_cues(path: str | Path) -> list[Cue]:
    import pysubs2

    subs = pysubs2.load(str(path), encoding="utf-8")
    return [Cue(e.start / 1000.0, e.end / 1000.0, e.plaintext) for e in subs]
