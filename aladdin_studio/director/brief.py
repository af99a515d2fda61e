"""The scene brief: a YAML or JSON file checked against ``resources/briefs/schema.json``,
with every problem reported at its line ("line 12: shots[2].duration: 9 is greater than
the maximum of 7").

YAML and JSON go through the same reader: ``yaml.compose`` keeps each node's position, so
a schema error's path (``shots/2/duration``) is mapped back to where the value is written.
Shots, and the ``after``/``shot`` fields that point at them, count from 1.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import AladdinError, ErrorKind

__all__ = [
    "BRIEF_DIR",
    "SCHEMA_PATH",
    "Brief",
    "BriefError",
    "BriefProblem",
    "load_brief",
    "parse_brief",
    "schema",
]

BRIEF_DIR = Path(__file__).resolve().parents[2] / "resources" / "briefs"
SCHEMA_PATH = BRIEF_DIR / "schema.json"
MAX_SHOTS = 10
MAX_SHOT_SECONDS = 7.0
DEFAULTS = {"method": "text-to-video", "duration": 5.0, "quality": "standard"}
_FILE_FIELDS = ("image", "first_frame", "last_frame")


@dataclass(frozen=True)
class BriefProblem:
    """One problem, at ``line`` (1-based; None when not tied to a place)."""

    message: str
    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        what = f"{self.path}: " if self.path else ""
        return f"{where}{what}{self.message}"


class BriefError(AladdinError):
    """A brief that cannot be used; ``problems`` lists every one (the message: the first
    few, one per line)."""

    kind = ErrorKind.INVALID_INPUT

    def __init__(self, problems: list[BriefProblem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{head}{len(problems)} problem(s) in the brief: {shown}{more}")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The published JSON schema of a brief."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- reading


def _construct(node: yaml.Node) -> Any:
    return yaml.SafeLoader(b"").construct_document(node) if node is not None else None


def _node_at(root: yaml.Node | None, path: Iterable[Any]) -> yaml.Node | None:
    """The node at a JSON-schema error path (keys and indexes), or the deepest found."""
    node = root
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if child is None:  # a missing key: report the mapping itself
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            child = node.value[part]
        if child is None:
            return node
        node = child
    return node


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _path_text(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_message(error: Any) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        known = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown field(s) {', '.join(extra)} (known: {known})"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "oneOf" and error.schema.get("oneOf"):
        return "expected none, a file path, or {file, volume}"
    return error.message


def parse_brief(text: str, *, base_dir: str | Path = ".", source: str = "") -> Brief:
    """Parse and check a brief (YAML or JSON text); raise :class:`BriefError` listing every
    problem with its line."""
    import jsonschema

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = _construct(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BriefError([BriefProblem(f"not valid YAML/JSON: {problem}", line)],
                         source) from None
    if not isinstance(data, dict):
        raise BriefError([BriefProblem("a brief is a mapping with at least 'scene' and "
                                       "'shots'", _line(root))], source)
    validator = jsonschema.Draft202012Validator(schema())
    problems = [BriefProblem(_schema_message(e), _line(_node_at(root, e.absolute_path)),
                             _path_text(e.absolute_path))
                for e in sorted(validator.iter_errors(data),
                                key=lambda e: (_line(_node_at(root, e.absolute_path)) or 0))]
    if problems:
        raise BriefError(problems, source)
    brief = Brief.from_dict(data, base_dir=base_dir)
    problems = [BriefProblem(msg, _line(_node_at(root, path)), _path_text(path))
                for path, msg in brief.semantic_problems()]
    if problems:
        raise BriefError(problems, source)
    return brief


def load_brief(path: str | Path) -> Brief:
    """Read and check the brief at ``path`` (relative files resolve from its folder)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BriefError([BriefProblem(f"no such file: {path}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BriefError([BriefProblem(f"cannot read {path}: {exc}")]) from None
    return parse_brief(text, base_dir=path.absolute().parent, source=path.name)


# --------------------------------------------------------------------------- the brief


@dataclass
class Brief:
    """A checked brief; ``data`` is the document with defaults filled in (what
    :meth:`to_dict` writes), ``base_dir`` the folder relative paths start from."""

    data: dict[str, Any]
    base_dir: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | Path = ".") -> Brief:
        doc = json.loads(json.dumps(data))  # a plain copy
        doc.setdefault("version", 1)
        for shot in doc.get("shots", []):
            for key, value in DEFAULTS.items():
                shot.setdefault(key, value)
        for t in doc.get("transitions", []):
            t.setdefault("duration", 0.0 if t.get("type") == "cut" else 1.0)
        for line in doc.get("dialogue", []):
            line.setdefault("shot", 1)
            line.setdefault("offset", 0.0)
        for sfx in doc.get("sfx", []):
            sfx.setdefault("duration", 2.0)
        doc.setdefault("publish", False)
        return cls(doc, Path(base_dir).absolute())

    # --- views ------------------------------------------------------------------------

    @property
    def scene(self) -> str:
        return str(self.data["scene"])

    @property
    def shots(self) -> list[dict[str, Any]]:
        return self.data.get("shots", [])

    @property
    def characters(self) -> list[dict[str, Any]]:
        return self.data.get("characters", [])

    @property
    def locations(self) -> list[dict[str, Any]]:
        return self.data.get("locations", [])

    @property
    def transitions(self) -> list[dict[str, Any]]:
        return self.data.get("transitions", [])

    @property
    def dialogue(self) -> list[dict[str, Any]]:
        return self.data.get("dialogue", [])

    @property
    def sfx(self) -> list[dict[str, Any]]:
        return self.data.get("sfx", [])

    @property
    def music(self) -> dict[str, Any] | None:
        music = self.data.get("music")
        if music is None:
            return None
        return {"file": music, "volume": 0.5} if isinstance(music, str) else \
            {"volume": 0.5, **music}

    @property
    def publish(self) -> bool:
        return bool(self.data.get("publish", False))

    def transition_after(self, shot: int) -> dict[str, Any] | None:
        """The transition between shot ``shot`` and the next (1-based), if any."""
        return next((t for t in self.transitions if t["after"] == shot), None)

    def total_seconds(self) -> float:
        """Shot durations minus the overlap of transitions (roughly the scene length)."""
        shots = sum(float(s["duration"]) for s in self.shots)
        return shots - sum(float(t["duration"]) for t in self.transitions
                           if t["type"] != "cut")

    def path(self, value: str) -> Path:
        """A file named in the brief (relative to the brief's folder)."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.data))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    # --- checks the schema cannot express ---------------------------------------------

    def semantic_problems(self) -> list[tuple[list[Any], str]]:
        """(path, message) for references between fields and method requirements."""
        out: list[tuple[list[Any], str]] = []
        chars = [c["name"] for c in self.characters]
        locs = [c["name"] for c in self.locations]
        for kind, names in (("characters", chars), ("locations", locs)):
            seen = set()
            for i, name in enumerate(names):
                if name.lower() in seen:
                    out.append(([kind, i, "name"], f"'{name}' is named twice"))
                seen.add(name.lower())
        n = len(self.shots)
        for i, shot in enumerate(self.shots):
            method = shot["method"]
            if shot.get("character") and shot["character"] not in chars:
                out.append((["shots", i, "character"], f"no character '{shot['character']}' "
                            f"in characters ({', '.join(chars) or 'none'})"))
            if shot.get("location") and shot["location"] not in locs:
                out.append((["shots", i, "location"], f"no location '{shot['location']}' "
                            f"in locations ({', '.join(locs) or 'none'})"))
            need = {"image-to-video": ("image",), "composite-to-video": ("image",),
                    "first-last-frame": ("first_frame", "last_frame")}.get(method, ())
            for name in need:
                if not shot.get(name):
                    out.append((["shots", i], f"{method} needs '{name}'"))
            for name in _FILE_FIELDS:
                if shot.get(name) and name not in need:
                    out.append((["shots", i, name], f"{method} does not use '{name}'"))
        seen_after: set[int] = set()
        for i, t in enumerate(self.transitions):
            after = t["after"]
            if after >= n:
                out.append((["transitions", i, "after"], f"there is no shot after shot "
                            f"{after} (the brief has {n} shot(s))"))
                continue
            if after in seen_after:
                out.append((["transitions", i, "after"], f"two transitions after shot {after}"))
            seen_after.add(after)
            shortest = min(float(self.shots[after - 1]["duration"]),
                           float(self.shots[after]["duration"]))
            if t["type"] != "cut" and float(t["duration"]) > shortest / 2:
                out.append((["transitions", i, "duration"], f"{t['duration']:g} s is more than "
                            f"half of the shorter shot it joins ({shortest:g} s)"))
        for i, line in enumerate(self.dialogue):
            if line["character"] not in chars and chars:
                out.append((["dialogue", i, "character"], f"no character "
                            f"'{line['character']}' in characters ({', '.join(chars)})"))
            if line["shot"] > n:
                out.append((["dialogue", i, "shot"], f"there is no shot {line['shot']} "
                            f"(the brief has {n})"))
            elif float(line["offset"]) >= float(self.shots[line["shot"] - 1]["duration"]):
                out.append((["dialogue", i, "offset"], f"{line['offset']:g} s is past the end "
                            f"of shot {line['shot']}"))
        total = self.total_seconds()
        for i, sfx in enumerate(self.sfx):
            if float(sfx["at"]) >= total:
                out.append((["sfx", i, "at"], f"{sfx['at']:g} s is past the end of the scene "
                            f"(about {total:.1f} s)"))
        if not math.isfinite(total) or total <= 0:
            out.append((["shots"], "the shots leave no scene"))
        return out
