"""Subtitle cues from word timings, exported with pysubs2. They are stored on the dialogue
clip's take (see ``timeline/subtitles.py``), so they move, trim and undo with the clip.

Cue rules: at most 2 lines of at most 42 characters, at least 1 s on screen (extended into
the following silence when the words are quicker; only a last cue cut short by the end of the
media can be shorter), broken at sentence ends and, when a cue
is already half full, at commas.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from ..timeline.subtitles import (
    MAX_CHARS,
    MAX_LINES,
    META_KEY,
    Cue,
    SetCues,
    SetSubtitleStyle,
    clip_cues,
    scene_cues,
    take_cues,
)
from .errors import VoiceInputError
from .timing import Word

__all__ = ["MAX_CHARS", "MAX_LINES", "META_KEY", "MIN_SECONDS", "Cue", "SetCues",
           "SetSubtitleStyle", "clip_cues", "cues_from_words", "export_cues", "read_cues",
           "scene_cues", "take_cues", "wrap"]

MIN_SECONDS = 1.0


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
