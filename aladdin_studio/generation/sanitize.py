"""Prompt clean-up before anything is sent to a model or hashed into a cache key.

The design doc ("Security Considerations / Content Policy Enforcement") rejects prompts that
contain one of a few blocked terms with an INVALID_INPUT error; :func:`check_blocked_terms`
implements that rule (whole words, case-insensitive). Everything else here is hygiene:
invisible characters, chat-template tokens and runaway whitespace have no place in a prompt.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidInputError

__all__ = ["BLOCKED_TERMS", "check_blocked_terms", "sanitize_prompt"]

# Design doc, sanitizeVideoInput(): checked in the prompt, action and motion fields.
BLOCKED_TERMS: tuple[str, ...] = ("explicit", "violent", "illegal", "harmful")

# Chat-template / instruction markup: <|im_start|>, <|endoftext|>, [INST], <<SYS>> ...
_MARKUP = re.compile(r"<\|[^<>|]{0,64}\|>|\[/?INST\]|<</?SYS>>", re.IGNORECASE)
_H_SPACE = re.compile(r"[^\S\n]+")  # whitespace other than newline (tabs, NBSP, em space ...)
_BLANK_LINES = re.compile(r"\n{3,}")
_KEEP = {"\n", "\t"}


def _visible(ch: str) -> bool:
    if ch in _KEEP:
        return True
    cat = unicodedata.category(ch)
    # Cc controls, Cf format chars (zero-width space/joiners, BOM, bidi overrides, soft
    # hyphen), Cs lone surrogates, Co private use, Cn unassigned/noncharacters.
    return cat[0] != "C"


def sanitize_prompt(text: str, *, max_length: int = 2000) -> str:
    """Return ``text`` normalised for a model: NFC, no control/format characters (newline and
    tab survive), no chat-template tokens, single spaces, at most one blank line in a row,
    trimmed, and cut to ``max_length`` characters on a word boundary.

    Raises :class:`InvalidInputError` when nothing is left.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"The prompt must be text, got {type(text).__name__}.")
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1, got {max_length}")
    s = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    s = "".join(ch for ch in s if _visible(ch))
    # Markup is removed after invisible characters so "<|\u200bim_start|>" cannot hide it;
    # repeat until stable so removals cannot splice a new token together.
    while True:
        stripped = _MARKUP.sub(" ", s)
        if stripped == s:
            break
        s = stripped
    s = _H_SPACE.sub(" ", s)
    s = "\n".join(line.strip(" ") for line in s.split("\n"))
    s = _BLANK_LINES.sub("\n\n", s).strip()
    if len(s) > max_length:
        s = _cut(s, max_length)
    if not s:
        raise InvalidInputError("The prompt is empty. Describe what the clip should show.")
    return s


def _cut(s: str, max_length: int) -> str:
    """Cut at the last whitespace within ``max_length``, or hard-cut if the only break would
    throw away more than half of the allowed length (one enormous "word")."""
    head = s[: max_length + 1]
    brk = max(head.rfind(" "), head.rfind("\n"))
    if brk >= max_length // 2:
        return head[:brk].rstrip()
    return s[:max_length].rstrip()


def check_blocked_terms(text: str, terms: tuple[str, ...] = BLOCKED_TERMS, *,
                        field: str = "prompt") -> None:
    """Raise :class:`InvalidInputError` if ``text`` contains one of ``terms`` as a whole word.

    Whole-word matching keeps "nonviolent" or "harmfulness" from tripping the rule; the
    design doc's substring test would reject them too.
    """
    for term in terms:
        if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE):
            raise InvalidInputError(
                f"The {field} contains the blocked term '{term}' (content policy). "
                "Rephrase it and try again."
            )
