"""One check of a project document's shape and numbers, on load, before anything uses it.

A damaged or hostile ``project.otio`` (wrong types, NaN, 1e300-second clips, rate 0, a
``metadata.aladdin`` that is a list ...) must become one readable line, not a traceback,
a hang or a division by zero deep in the editor or the renderer. Three steps, all here:

* :func:`read_capped`: the file is read only if it is a regular file of at most
  :data:`MAX_PROJECT_BYTES` (a symlink to ``/dev/zero`` or a FIFO is refused at once);
* :func:`loads`: JSON with ``NaN``/``Infinity`` (and numbers that overflow to them) refused;
* :func:`check_shape`: one typed walk over the raw JSON before OTIO reads it: every OTIO
  object's kind-specific fields (times finite with positive rates, clip durations positive,
  lists that are lists ...) and our ``metadata["aladdin"]`` keys against the declarative
  tables :data:`ALADDIN` (types, ranges, enums); then :func:`check_limits` on the parsed,
  migrated collection for what needs seconds (scene fps, scene length ≤ 24 h).

  (A JSON Schema of the same rules, run by ``jsonschema``, took 5.8 s on a 2,000-clip
  scene, ~20x OTIO's own parse; this walk takes ~0.2x of it: ``bench/document_check.py``.)

Every failure raises :class:`~.errors.CorruptProjectError` whose message names the file,
where in it (scene › track › clip) and what is wrong.
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema as S
from .errors import CorruptProjectError, ProjectFileError

__all__ = ["ALADDIN", "MAX_FPS", "MAX_PROJECT_BYTES", "MAX_SCENE_SECONDS", "MIN_FPS", "Field",
           "check_limits", "check_shape", "loads", "read_capped", "scene_settings_problem"]

MAX_PROJECT_BYTES = 256 * 1024 * 1024
MAX_SCENE_SECONDS = 24 * 3600.0
MIN_FPS, MAX_FPS = 1.0, 240.0
MAX_RATE = 1_000_000.0  # RationalTime rates (audio media can be timed in samples)
MAX_VALUE = 1e12  # any RationalTime value (2.6 h of 96 kHz samples is 1e9)

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "number": (int, float), "integer": (int,), "string": (str,), "boolean": (bool,),
    "object": (dict,), "array": (list,), "null": (type(None),)}


@dataclass(frozen=True)
class Field:
    """What one JSON value may be: its types, a numeric range, or one of ``enum``."""

    types: tuple[str, ...]
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False  # lo itself is not allowed
    enum: tuple[str, ...] | None = None
    items: Field | None = None  # for arrays: each item
    length: int | None = None  # for arrays: exactly this many items

    def __post_init__(self) -> None:  # the Python types, computed once (the walk is hot)
        py = tuple(t for name in self.types for t in _PY_TYPES[name])
        object.__setattr__(self, "py", py)
        object.__setattr__(self, "bool_ok", "boolean" in self.types)


def _f(*types: str, **kw: Any) -> Field:
    return Field(types, **kw)


NUMBER, STRING, BOOL, OBJECT = _f("number"), _f("string"), _f("boolean"), _f("object")
SECONDS = _f("number", lo=0.0, hi=MAX_SCENE_SECONDS)

# Our metadata["aladdin"] keys, per OTIO object kind. Other keys are allowed (later
# packages add theirs and check them where they are used); these are read everywhere.
ALADDIN: dict[str, dict[str, Field]] = {
    "SerializableCollection": {
        "schema_version": _f("integer", lo=0), "app": STRING,
        "bin": _f("array", items=_f("object")),
    },
    "Timeline": {
        "fps": _f("number", lo=MIN_FPS, hi=MAX_FPS),
        "size": _f("array", length=2, items=_f("integer", lo=2, hi=16384)),  # MAX_SIDE
        "max_clips": _f("integer", lo=1, hi=100_000), "id": STRING,
    },
    "Track": {
        "role": _f("string", enum=tuple(r.value for r in S.TrackRole)),
        "locked": BOOL, "muted": BOOL, "solo": BOOL, "sync_lock": BOOL,
        "height": _f("number", lo=0, hi=10_000),
    },
    "Clip": {
        "id": STRING, "fit": STRING, "volume": _f("number", lo=0.0, hi=4.0),
        "pan": _f("number", lo=-1.0, hi=1.0), "fade_in": SECONDS, "fade_out": SECONDS,
        "opacity": _f("number", lo=0.0, hi=1.0), "effects": OBJECT,
        "generation": OBJECT, "title": OBJECT, "voice": OBJECT, "sfx": OBJECT,
    },
    "Transition": {
        "kind": _f("string", enum=tuple(k.value for k in S.TransitionKind)),
        "direction": _f("string", enum=tuple(d.value for d in S.Direction)),
        "easing": _f("string", enum=tuple(e.value for e in S.Easing)),
    },
    "Reference": {"media": OBJECT, "provenance": OBJECT},
}
CLIP_EFFECTS: dict[str, Field] = {
    "grade": STRING, "lut": _f("string", "null"), "grade_params": OBJECT,
    "stabilize": BOOL, "denoise": BOOL, "sharpen": _f("number", lo=0.0, hi=1.0),
}
BIN_ITEM: dict[str, Field] = {"url": STRING, "name": STRING, "media": OBJECT,
                              "added": NUMBER}
RATE = _f("number", lo=0.0, lo_open=True, hi=MAX_RATE)
SPEED = _f("number", lo=0.01, hi=100.0)  # LinearTimeWarp (the editor allows 0.1-10)


def read_capped(path: Path) -> str:
    """The text of a project file: a regular file of at most MAX_PROJECT_BYTES, UTF-8."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ProjectFileError(f"There is no project at '{path}'.") from None
    except OSError as exc:
        raise ProjectFileError(f"Cannot read '{path}': {exc.strerror or exc}.") from None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a device, FIFO or socket"
        raise CorruptProjectError(f"'{path}' is {what}, not a project file. It was not "
                                  "changed.")
    if st.st_size > MAX_PROJECT_BYTES:
        raise CorruptProjectError(f"'{path}' is {st.st_size / 2**20:.0f} MB, larger than any "
                                  f"project ({MAX_PROJECT_BYTES // 2**20} MB at most); it is "
                                  "not a project file. It was not changed.")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_PROJECT_BYTES + 1)
    except OSError as exc:
        raise ProjectFileError(f"Cannot read '{path}': {exc.strerror or exc}.") from None
    if len(raw) > MAX_PROJECT_BYTES:
        raise CorruptProjectError(f"'{path}' is larger than any project "
                                  f"({MAX_PROJECT_BYTES // 2**20} MB at most).")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CorruptProjectError(f"'{path}' is not a text project file.") from None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a project may hold")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def loads(text: str, source: str) -> Any:
    """JSON without NaN/Infinity; a readable CorruptProjectError otherwise."""
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise CorruptProjectError(
            f"'{source}' is damaged and cannot be opened ({_short(str(exc))}). The file was "
            "not changed; a backup may be in the backups folder.") from None


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class _Bad(Exception):
    """A problem at ``field`` (dotted) below the named items in ``where``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field, self.problem, self.where = field, problem, []

    def under(self, key: str) -> _Bad:
        self.field = f"{key}.{self.field}" if self.field else key
        return self


def _show(value: Any) -> str:
    return _short(repr(value) if isinstance(value, str) else json.dumps(value), 40)


def _value(value: Any, spec: Field, field: str) -> None:
    kind = type(value)
    if not (spec.bool_ok if kind is bool else isinstance(value, spec.py)):  # type: ignore[attr-defined]
        want = " or ".join(spec.types)
        raise _Bad(field, f"must be {'an' if want[0] in 'aeiou' else 'a'} {want}, "
                          f"not {_show(value)}")
    if kind is int or kind is float:
        low = spec.lo is not None and (value <= spec.lo if spec.lo_open else value < spec.lo)
        if low or (spec.hi is not None and value > spec.hi) or value != value or \
                value in (math.inf, -math.inf):
            bounds = []
            if spec.lo is not None:
                bounds.append(f"{'more than' if spec.lo_open else 'at least'} {spec.lo:g}")
            if spec.hi is not None:
                bounds.append(f"at most {spec.hi:g}")
            raise _Bad(field, f"{_show(value)} is out of range (must be "
                              f"{' and '.join(bounds)})")
    elif kind is str and spec.enum is not None and value not in spec.enum:
        raise _Bad(field, f"{_show(value)} is not one of {', '.join(spec.enum)}")
    elif kind is list:
        if spec.length is not None and len(value) != spec.length:
            raise _Bad(field, f"must have {spec.length} items, not {len(value)}")
        if spec.items is not None:
            for i, item in enumerate(value):
                _value(item, spec.items, f"{field}[{i}]")


def _fields(obj: dict, specs: dict[str, Field], prefix: str) -> None:
    for key, spec in specs.items():
        if key in obj:
            _value(obj[key], spec, f"{prefix}{key}")


def _object(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise _Bad(field, f"must be an object, not {_show(value)}")
    return value


def _list(obj: dict, key: str) -> list:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(key, f"must be a list, not {_show(value)}")
    return value


_TIME_VALUES = {(lo, open_): _f("number", lo=lo, lo_open=open_, hi=MAX_VALUE)
                for lo, open_ in ((-MAX_VALUE, False), (0.0, False), (0.0, True))}


def _time(value: Any, field: str, *, minimum: float = -MAX_VALUE,
          exclusive: bool = False) -> None:
    obj = _object(value, field)
    _value(obj.get("rate"), RATE, f"{field}.rate")
    _value(obj.get("value"), _TIME_VALUES[minimum, exclusive], f"{field}.value")


def _range(value: Any, field: str, *, positive: bool = False) -> None:
    if value is None:
        return
    obj = _object(value, field)
    _time(obj.get("start_time"), f"{field}.start_time")
    _time(obj.get("duration"), f"{field}.duration", minimum=0.0, exclusive=positive)


def _children(obj: dict, key: str) -> None:
    for i, child in enumerate(_list(obj, key)):
        _node(child, f"{key}[{i}]")


def _kind_rules(kind: str, obj: dict) -> None:
    """What each OTIO object kind holds, beyond its metadata."""
    if kind in ("SerializableCollection", "Stack", "Track"):
        _children(obj, "children")
    elif kind == "Timeline":
        if "tracks" not in obj:
            raise _Bad("tracks", "is missing")
        _node(obj["tracks"], "tracks")
        if obj.get("global_start_time") is not None:
            _time(obj["global_start_time"], "global_start_time")
    elif kind == "Clip":
        _range(obj.get("source_range"), "source_range", positive=True)
        _children(obj, "effects")
        _children(obj, "markers")
        refs = obj.get("media_references")
        if refs is not None:
            for key, ref in _object(refs, "media_references").items():
                _node(ref, f"media_references.{key}")
        if obj.get("media_reference") is not None:
            _node(obj["media_reference"], "media_reference")
    elif kind == "Gap":
        _range(obj.get("source_range"), "source_range")
    elif kind == "Transition":
        _time(obj.get("in_offset"), "in_offset", minimum=0.0)
        _time(obj.get("out_offset"), "out_offset", minimum=0.0)
    elif kind == "LinearTimeWarp":
        _value(obj.get("time_scalar"), SPEED, "time_scalar")
    elif kind == "Marker":
        _range(obj.get("marked_range"), "marked_range")
    elif kind.endswith("Reference"):
        _range(obj.get("available_range"), "available_range")
        if obj.get("target_url") is not None:
            _value(obj["target_url"], STRING, "target_url")


def _aladdin_md(kind: str, obj: dict) -> None:
    md = obj.get("metadata")
    if md is None:
        return
    md = _object(md, "metadata")
    ours = md.get(S.NS)
    if ours is None:
        return
    ours = _object(ours, f"metadata.{S.NS}")
    prefix = f"metadata.{S.NS}."
    specs = ALADDIN.get("Reference" if kind.endswith("Reference") else kind)
    if specs:
        _fields(ours, specs, prefix)
    if kind == "Clip" and isinstance(ours.get("effects"), dict):
        _fields(ours["effects"], CLIP_EFFECTS, prefix + "effects.")
    if kind == "SerializableCollection":
        for i, item in enumerate(ours.get("bin") or []):
            if "url" not in item:
                raise _Bad(f"{prefix}bin[{i}].url", "is missing")
            _fields(item, BIN_ITEM, f"{prefix}bin[{i}].")


_NAMED = {"Timeline": "scene", "Track": "track", "Clip": "clip", "Gap": "gap",
          "Transition": "transition", "Marker": "marker"}


def _node(value: Any, field: str) -> None:
    """Check one OTIO object (``field`` is where its parent holds it); on a problem, name
    the nearest scene/track/clip around it, else the path to it."""
    kind = name = None
    try:
        obj = _object(value, "")
        schema_name = obj.get("OTIO_SCHEMA")
        if not isinstance(schema_name, str):
            raise _Bad("OTIO_SCHEMA", "is missing" if schema_name is None else
                       f"must be a string, not {_show(schema_name)}")
        kind = schema_name.split(".", 1)[0]
        name = obj.get("name")
        if name is not None and not isinstance(name, str):
            raise _Bad("name", f"must be a string, not {_show(name)}")
        _aladdin_md(kind, obj)
        _kind_rules(kind, obj)
    except _Bad as bad:
        label = _NAMED.get(kind or "")
        if label:
            bad.where.insert(0, f"{label} {name!r}" if isinstance(name, str) and name
                             else f"{label} {field or '(top)'}")
        elif not bad.where and field:
            bad.under(field)
        raise


def check_shape(head: Any, source: str) -> None:
    """Check the raw JSON document (types, ranges, our metadata) before OTIO reads it."""
    try:
        _node(head, "")
    except _Bad as bad:
        where = " › ".join(bad.where)
        if bad.field:
            where = f"{where}: {bad.field}" if where else bad.field
        raise CorruptProjectError(f"'{source}' is damaged: {where or 'the document'} "
                                  f"{bad.problem}. The file was not changed.") from None


MAX_SIDE = 16384


def scene_settings_problem(fps: Any, size: Any) -> str | None:
    """Why a new scene's frame rate or size would make a project that cannot be opened
    again (the same bounds as the load check), or None."""
    if isinstance(fps, bool) or not isinstance(fps, int | float) or \
            not MIN_FPS <= fps <= MAX_FPS:
        return f"The frame rate must be from {MIN_FPS:g} to {MAX_FPS:g} fps, not {fps!r}."
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        return f"The size must be a width and a height, not {size!r}."
    if not (2 <= w <= MAX_SIDE and 2 <= h <= MAX_SIDE):
        return f"The size must be from 2×2 to {MAX_SIDE}×{MAX_SIDE}, not {w}×{h}."
    return None


def check_limits(collection: Any, source: str) -> None:
    """Scene rates and lengths, after parsing and migration (plain OTIO files get their fps
    from their clips, so this is where that guess is bounded too)."""
    import opentimelineio as otio

    for scene in collection:
        if not isinstance(scene, otio.schema.Timeline):
            continue
        fps = S.scene_rate(scene)
        if not MIN_FPS <= fps <= MAX_FPS:
            raise CorruptProjectError(f"'{source}' is damaged: scene {scene.name!r} has "
                                      f"{fps:g} fps (must be {MIN_FPS:g} to {MAX_FPS:g}).")
        for track in scene.tracks:
            try:
                seconds = track.duration().to_seconds()
            except Exception:  # OTIO refuses some inconsistent tracks here
                seconds = math.inf
            if not math.isfinite(seconds) or seconds > MAX_SCENE_SECONDS:
                raise CorruptProjectError(
                    f"'{source}' is damaged: scene {scene.name!r} › track {track.name!r} is "
                    f"{_length(seconds)} long (a scene holds at most 24 h).")


def _length(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "endlessly"
    return f"{seconds / 3600:.3g} h"
