"""Dialogue scripts: ``CHARACTER: text`` lines with an optional ``(emotion)``, or
fountain-style blocks (a CHARACTER line in capitals, an optional ``(parenthetical)``, then the
dialogue lines up to a blank line)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import VoiceInputError

__all__ = ["ScriptLine", "clean_text", "format_settings", "parse_script", "read_script",
           "with_line_overrides"]

MAX_LINE_CHARS = 5000  # ElevenLabs' limit per request
_COLON = re.compile(r"^\s*([^\s:(){}][^:(){}]{0,40}?)\s*(?:\(([^)]{1,40})\))?\s*"
                    r"(?:\{([^}]{0,200})\})?\s*:\s*(.+?)\s*$")
# A line's own TTS settings: "{speed=1.1, stability=0.3, model=eleven_v3, seed=7}"
SETTING_NAMES = {"model": str, "stability": float, "similarity": float, "similarity_boost": float,
                 "style": float, "speed": float, "seed": int, "speaker_boost": bool}
_LEADING_EMOTION = re.compile(r"^\(([^)]{1,40})\)\s*(.*)$")
_CUE = re.compile(r"^\s*@?([A-Z][A-Z0-9 .'\-]{0,40}?)\s*(\(V\.O\.\)|\(O\.S\.\)|\(CONT'D\))?\s*$")
_SCENE = re.compile(r"^\s*(INT|EXT|EST|INT\./EXT|I/E)[. ]", re.IGNORECASE)


@dataclass(frozen=True)
class ScriptLine:
    character: str
    text: str
    emotion: str = ""
    at: float | None = None  # seconds from the scene start, when the script gives times
    settings: dict[str, Any] = field(default_factory=dict)  # this line's TTS overrides

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_text(text: str, max_length: int = MAX_LINE_CHARS, what: str = "line") -> str:
    """``text`` as it may leave the machine: the prompt hygiene of generation (no control or
    format characters, no chat-template tokens, tidy spaces), cut to ``max_length``."""
    from aladdin_studio.generation.errors import InvalidInputError
    from aladdin_studio.generation.sanitize import sanitize_prompt

    try:
        return sanitize_prompt(text, max_length=max_length)
    except InvalidInputError:
        raise VoiceInputError(f"The {what} is empty.") from None


def _clean_emotion(value: str | None) -> str:
    return (value or "").strip().strip("()").strip().lower()


def _check(lines: list[ScriptLine]) -> list[ScriptLine]:
    if not lines:
        raise VoiceInputError("The script has no dialogue lines; write them as "
                              "'NAME: text' or 'NAME (emotion): text'.")
    out = []
    for n, line in enumerate(lines, 1):
        if len(line.text) > MAX_LINE_CHARS:
            raise VoiceInputError(f"Line {n} ({line.character}) is {len(line.text)} characters; "
                                  f"the limit is {MAX_LINE_CHARS}.")
        text = clean_text(line.text, what=f"line {n} ({line.character})")
        out.append(ScriptLine(clean_text(line.character, 80, f"speaker of line {n}"), text,
                              line.emotion, line.at, dict(line.settings)))
    return out


def _name(raw: str) -> str:
    return " ".join(raw.split()).title() if raw.isupper() else " ".join(raw.split())


def _parse_colon(text: str) -> list[ScriptLine] | None:
    lines: list[ScriptLine] = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith(("#", "//")):
            continue
        m = _COLON.match(raw)
        if m is None:
            return None if not lines else _bad(n, raw)
        name, emotion, settings, said = m.group(1), m.group(2), m.group(3), m.group(4)
        lead = _LEADING_EMOTION.match(said)
        if lead and not emotion:
            emotion, said = lead.group(1), lead.group(2)
        if not said.strip():
            _bad(n, raw)
        lines.append(ScriptLine(_name(name), said.strip(), _clean_emotion(emotion),
                                settings=_settings(settings or "", n)))
    return lines


def _settings(text: str, n: int) -> dict[str, Any]:
    """``"speed=1.1, stability=0.3"`` → TTS overrides (names as in ``TTSSettings``)."""
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = (x.strip() for x in part.partition("="))
        kind = SETTING_NAMES.get(name)
        if kind is None or not value:
            raise VoiceInputError(f"Script line {n}: unknown setting '{part}'; use "
                                  f"{', '.join(SETTING_NAMES)} as name=value.")
        try:
            parsed: Any = (value.lower() in ("1", "true", "on", "yes")) if kind is bool \
                else kind(value)
        except ValueError:
            raise VoiceInputError(f"Script line {n}: '{value}' is not a valid {name}.") from None
        out["similarity_boost" if name == "similarity" else name] = parsed
    if out:
        from .profiles import TTSSettings

        try:  # validated now, with the line number in the message
            TTSSettings().override(out)
        except VoiceInputError as exc:
            raise VoiceInputError(f"Script line {n}: {exc}") from None
    return out


def _bad(n: int, raw: str) -> list[ScriptLine]:
    raise VoiceInputError(f"Script line {n} is not 'NAME: text': {raw.strip()[:60]!r}")


def _parse_fountain(text: str) -> list[ScriptLine]:
    lines: list[ScriptLine] = []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    for block in blocks:
        rows = [r for r in block.split("\n") if r.strip()]
        if len(rows) < 2 or _SCENE.match(rows[0]):
            continue
        m = _CUE.match(rows[0])
        if m is None or not rows[0].strip().isupper() and not rows[0].lstrip().startswith("@"):
            continue
        emotion, body = "", rows[1:]
        if body and body[0].strip().startswith("(") and body[0].strip().endswith(")"):
            emotion, body = _clean_emotion(body[0]), body[1:]
        said = " ".join(r.strip() for r in body if not r.strip().startswith("("))
        if said:
            lines.append(ScriptLine(_name(m.group(1)), said, emotion))
    return lines


def parse_script(text: str) -> list[ScriptLine]:
    """The dialogue lines of a script (colon lines, else fountain blocks)."""
    colon = _parse_colon(text)
    if colon:
        return _check(colon)
    return _check(_parse_fountain(text))


def read_script(path: str | Path) -> list[ScriptLine]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VoiceInputError(f"No script file {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise VoiceInputError(f"Cannot read the script {path}: {exc}") from None
    return parse_script(text)


def format_settings(settings: dict[str, Any]) -> str:
    """TTS overrides as the script writes them: ``speed=1.1, stability=0.3``."""
    parts = []
    for name in SETTING_NAMES:
        key = "similarity_boost" if name == "similarity" else name
        if name == "similarity_boost" or key not in settings or settings[key] is None:
            continue
        value = settings[key]
        text = ("true" if value else "false") if isinstance(value, bool) else \
            f"{value:g}" if isinstance(value, float) else str(value)
        parts.append(f"{name}={text}")
    return ", ".join(parts)


_EMOTION_OK = re.compile(r"^[^(){}\[\]:\n]{0,40}$")


def with_line_overrides(text: str, index: int, emotion: str,
                        settings: dict[str, Any]) -> tuple[int, str]:
    """The ``index``-th dialogue line (0-based, as :func:`parse_script` counts) of a
    ``NAME: text`` script rewritten with its ``(emotion)`` and its own TTS settings (the
    ``{…}`` block; empty: the character's): ``(line number in text, 0-based; new line)``.
    Everything else on the line stays as written."""
    emotion = _clean_emotion(emotion)
    if not _EMOTION_OK.match(emotion):
        raise VoiceInputError("An emotion is up to 40 characters without brackets or colons.")
    found = -1
    for number, raw in enumerate(text.splitlines()):
        if not raw.strip() or raw.lstrip().startswith(("#", "//")):
            continue
        m = _COLON.match(raw)
        if m is None:
            raise VoiceInputError("Per-line settings need a script of 'NAME: text' lines "
                                  "(this one is fountain-style).")
        found += 1
        if found != index:
            continue
        said = m.group(4)
        lead = _LEADING_EMOTION.match(said)
        if lead and not m.group(2):
            said = lead.group(2)
        indent = raw[:len(raw) - len(raw.lstrip())]
        block = format_settings(settings)
        line = (f"{indent}{m.group(1).strip()}" + (f" ({emotion})" if emotion else "")
                + (f" {{{block}}}" if block else "") + f": {said.strip()}")
        check = _COLON.match(line)  # what the next parse reads from it
        if check is None or _settings(check.group(3) or "", number + 1) != \
                {("similarity_boost" if k == "similarity" else k): v
                 for k, v in settings.items() if v is not None}:
            raise VoiceInputError(f"Script line {number + 1} cannot hold these settings.")
        return number, line
    raise VoiceInputError(f"The script has no dialogue line {index + 1}.")
