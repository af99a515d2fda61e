"""Word timings: from a provider's character alignment, or estimated from the audio when the
provider gives none (espeak-ng). Estimated timings are marked so (``estimated=True``)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["Word", "estimate_words", "strip_tags", "words_from_alignment"]

_TAG = re.compile(r"\[[^\]]{1,40}\]")


@dataclass(frozen=True)
class Word:
    text: str  # with its trailing punctuation ("dawn,")
    start: float  # seconds from the start of the audio
    end: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Word:
        return cls(str(data["text"]), float(data["start"]), float(data["end"]))


def strip_tags(text: str) -> str:
    """``text`` without v3 audio tags (``[whispers]``), spaces tidied."""
    return " ".join(_TAG.sub(" ", text).split())


def words_from_alignment(chars: list[str], starts: list[float],
                         ends: list[float]) -> list[Word]:
    """Group a character alignment into words (audio tags dropped)."""
    text = "".join(chars)
    hidden = np.zeros(len(chars), bool)
    for m in _TAG.finditer(text):
        hidden[m.start():m.end()] = True
    words: list[Word] = []
    current, w_start, w_end = "", 0.0, 0.0
    for i, ch in enumerate(chars):
        if hidden[i] or ch.isspace():
            if current.strip():
                words.append(Word(current, w_start, w_end))
            current = ""
            continue
        if not current:
            w_start = float(starts[i])
        current += ch
        w_end = float(ends[i])
    if current.strip():
        words.append(Word(current, w_start, w_end))
    return _monotonic(words)


def _monotonic(words: list[Word]) -> list[Word]:
    out: list[Word] = []
    last = 0.0
    for w in words:
        start = max(w.start, last)
        end = max(w.end, start + 0.01)
        out.append(Word(w.text, round(float(start), 4), round(float(end), 4)))
        last = end
    return out


def _weight(word: str) -> float:
    """Rough spoken length of a word: its letters and digits, plus a pause after punctuation."""
    core = sum(ch.isalnum() for ch in word)
    pause = 3.0 if word[-1:] in ".!?;:" else 1.5 if word[-1:] == "," else 0.0
    return max(1.0, core + 1.0) + pause


def estimate_words(text: str, samples: np.ndarray, rate: int,
                   threshold_db: float = -40.0) -> list[Word]:
    """Spread the words of ``text`` over the voiced part of ``samples`` in proportion to their
    length (plus punctuation pauses). An estimate: no recogniser checks it."""
    tokens = strip_tags(text).split()
    if not tokens:
        return []
    total = len(samples) / float(rate)
    level = np.abs(samples) if len(samples) else np.zeros(1)
    loud = np.nonzero(level > 10 ** (threshold_db / 20.0))[0]
    lo, hi = (loud[0] / rate, (loud[-1] + 1) / rate) if len(loud) else (0.0, total)
    weights = [_weight(t) for t in tokens]
    trailing = weights[-1] - max(1.0, sum(ch.isalnum() for ch in tokens[-1]) + 1.0)
    scale = (hi - lo) / max(1e-6, sum(weights) - trailing)
    words, t = [], lo
    for token, w in zip(tokens, weights, strict=True):
        spoken = max(1.0, sum(ch.isalnum() for ch in token) + 1.0) * scale
        words.append(Word(token, t, min(hi, t + spoken)))
        t += w * scale
    return _monotonic(words)
