"""SMPTE-style ``HH:MM:SS:FF`` timecode at a scene's frame rate (non-drop-frame).

Fractional rates (23.976, 29.97) count frames at the nominal integer rate (24, 30), as
non-drop timecode does, so a timecode always names exactly one frame.
"""

from __future__ import annotations

import re

__all__ = ["format_timecode", "nominal_fps", "parse_timecode"]

_SEPARATORS = re.compile(r"[:;.,]")


def nominal_fps(fps: float) -> int:
    """The frame count per timecode second: ``fps`` rounded, at least 1."""
    return max(1, int(round(fps)))


def format_timecode(frame: int, fps: float) -> str:
    """``frame`` as ``HH:MM:SS:FF`` (negative frames get a leading ``-``)."""
    base = nominal_fps(fps)
    sign = "-" if frame < 0 else ""
    frame = abs(int(frame))
    ff = frame % base
    seconds = frame // base
    return f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{ff:02d}"


def parse_timecode(text: str, fps: float, current: int | None = None) -> int:
    """The frame named by ``text``; raises ``ValueError`` if it is not a timecode.

    Accepted, as in editing software:

    * ``HH:MM:SS:FF`` or a shorter right-aligned form (``SS:FF``, ``MM:SS:FF``); ``;``,
      ``.`` and ``,`` also separate fields, and fields may overflow (``00:90:00`` is 90 s);
    * bare digits, read right-aligned as ``HHMMSSFF`` (``1000`` = 10 s 00 frames);
    * ``+`` or ``-`` followed by either form: an offset from ``current``.
    """
    base = nominal_fps(fps)
    s = text.strip().replace(" ", "")
    offset = 0
    if s[:1] in ("+", "-"):
        if current is None:
            raise ValueError("A relative timecode needs a current position.")
        offset = 1 if s[0] == "+" else -1
        s = s[1:]
    if not s:
        raise ValueError("Empty timecode.")
    if _SEPARATORS.search(s):
        fields = _SEPARATORS.split(s)
    elif s.isdigit():
        if len(s) > 8:
            raise ValueError(f"Timecode {text!r} has too many digits.")
        s = s.rjust(8, "0")
        fields = [s[0:2], s[2:4], s[4:6], s[6:8]]
    else:
        raise ValueError(f"{text!r} is not a timecode (HH:MM:SS:FF).")
    if len(fields) > 4 or not all(f.isdigit() for f in fields):
        raise ValueError(f"{text!r} is not a timecode (HH:MM:SS:FF).")
    hh, mm, ss, ff = [0] * (4 - len(fields)) + [int(f) for f in fields]
    frames = ((hh * 60 + mm) * 60 + ss) * base + ff
    if offset:
        return int(current or 0) + offset * frames
    return frames
