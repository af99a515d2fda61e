"""Names shown to the user (clips, bin items) made safe to display.

A file name may hold newlines, tabs, terminal control codes or Unicode bidi overrides
("rtl-\u202egnp.exe.png" shows as "rtl-exe.png"): in a clip name they break ``info`` lines
and the timeline's labels and can disguise what a file is. Generated names are cleaned the
same way (generation.sanitize, for prompts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["clean_name", "printable", "unique_name"]

_SPACES = re.compile(r"\s+")


def clean_name(text: str, fallback: str = "clip", *, max_length: int = 200) -> str:
    """``text`` as one printable line: NFC, control/format/unassigned characters (Cc, Cf,
    Cs, Co, Cn: newlines, bidi overrides, zero-width marks, lone surrogates) dropped or, for
    whitespace, made a space; runs of spaces collapsed; trimmed to ``max_length``."""
    text = unicodedata.normalize("NFC", str(text))
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch)[0] != "C":
            kept.append(ch)
    name = _SPACES.sub(" ", "".join(kept)).strip()
    if len(name) > max_length:
        name = name[: max_length - 1].rstrip() + "…"
    return name or fallback


def printable(text: str) -> str:
    """``text`` with every control/format character shown as an escape (``\\n``,
    ``\\u202e``): for paths, which must stay recognisable rather than cleaned."""
    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(ch)[0] == "C" else ch for ch in str(text))


def unique_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``"base 2"``, ``"base 3"``... the first not in ``taken`` (new scenes,
    tracks)."""
    names = set(taken)
    if base not in names:
        return base
    number = 2
    while f"{base} {number}" in names:
        number += 1
    return f"{base} {number}"
