"""Damaged project files: truncation, wrong types at every level, extreme numbers, non-files.

``build_corpus(sample_bundle, dest)`` writes one bundle per case (a copy of the sample's
``project.otio`` changed one way; media shared by symlink) and returns ``{name: bundle}``.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

Doc = dict[str, Any]


def _scene(d: Doc) -> Doc:
    return d["children"][0]


def _track(d: Doc, i: int = 0) -> Doc:
    return _scene(d)["tracks"]["children"][i]


def _clip(d: Doc, i: int = 0) -> Doc:
    return [c for c in _track(d)["children"] if c["OTIO_SCHEMA"].startswith("Clip")][i]


def _trans(d: Doc) -> Doc:
    return next(c for c in _track(d)["children"] if c["OTIO_SCHEMA"].startswith("Transition"))


def _take(d: Doc) -> Doc:
    return _clip(d)["media_references"]["take1"]


def _set(getter: Callable[[Doc], Any], key: str, value: Any) -> Callable[[Doc], None]:
    def change(d: Doc) -> None:
        getter(d)[key] = value
    return change


def _md(getter: Callable[[Doc], Doc]) -> Callable[[Doc], Doc]:
    return lambda d: getter(d)["metadata"]["aladdin"]


def _dur(getter: Callable[[Doc], Doc]) -> Callable[[Doc], Doc]:
    return lambda d: getter(d)["source_range"]["duration"]


def _speed(value: float) -> Callable[[Doc], None]:
    def change(d: Doc) -> None:
        _clip(d)["effects"] = [{"OTIO_SCHEMA": "LinearTimeWarp.1", "metadata": {},
                                "name": "", "effect_name": "LinearTimeWarp",
                                "time_scalar": value}]
    return change


def _plain_rate(d: Doc) -> None:  # a plain OTIO file whose clips claim 1e6 fps
    d["metadata"] = {}
    _scene(d)["metadata"] = {}
    for track in _scene(d)["tracks"]["children"]:
        track["metadata"] = {}
        for item in track["children"]:
            for key in ("source_range", "in_offset", "out_offset"):
                if isinstance(item.get(key), dict):
                    for t in (item[key].get("start_time"), item[key].get("duration"),
                              item[key]):
                        if isinstance(t, dict) and "rate" in t:
                            t["value"] = t["value"] * 1e6 / t["rate"]
                            t["rate"] = 1e6


DOC_CASES: dict[str, Callable[[Doc], None]] = {
    "schema_version_abc": _set(_md(lambda d: d), "schema_version", "abc"),
    "schema_version_negative": _set(_md(lambda d: d), "schema_version", -5),
    "schema_version_float": _set(_md(lambda d: d), "schema_version", 1.5),
    "schema_version_list": _set(_md(lambda d: d), "schema_version", [1]),
    "schema_version_newer": _set(_md(lambda d: d), "schema_version", 999),
    "aladdin_md_list": _set(lambda d: d["metadata"], "aladdin", [1, 2]),
    "metadata_string": _set(lambda d: d, "metadata", "x"),
    "bin_object": _set(_md(lambda d: d), "bin", {"a": 1}),
    "bin_of_numbers": _set(_md(lambda d: d), "bin", [1, 2]),
    "bin_url_number": _set(_md(lambda d: d), "bin", [{"url": 5}]),
    "bin_without_url": _set(_md(lambda d: d), "bin", [{"name": "x"}]),
    "children_string": _set(lambda d: d, "children", "x"),
    "children_object": _set(lambda d: d, "children", {"a": 1}),
    "scene_not_object": lambda d: d["children"].__setitem__(0, 7),
    "scene_tracks_number": _set(_scene, "tracks", 5),
    "scene_tracks_missing": lambda d: _scene(d).pop("tracks"),
    "stack_children_string": _set(lambda d: _scene(d)["tracks"], "children", "x"),
    "track_children_string": _set(_track, "children", "x"),
    "track_children_numbers": _set(_track, "children", [1, 2]),
    "scene_fps_zero": _set(_md(_scene), "fps", 0),
    "scene_fps_negative": _set(_md(_scene), "fps", -24),
    "scene_fps_huge": _set(_md(_scene), "fps", 1e9),
    "scene_fps_string": _set(_md(_scene), "fps", "24"),
    "scene_size_strings": _set(_md(_scene), "size", ["a", 2]),
    "scene_size_zero": _set(_md(_scene), "size", [0, 0]),
    "scene_size_string": _set(_md(_scene), "size", "1920x1080"),
    "scene_size_three": _set(_md(_scene), "size", [1, 2, 3]),
    "scene_max_clips_string": _set(_md(_scene), "max_clips", "ten"),
    "scene_aladdin_list": _set(lambda d: _scene(d)["metadata"], "aladdin", []),
    "global_start_string": _set(_scene, "global_start_time", "x"),
    "track_role_bogus": _set(_md(_track), "role", "bogus"),
    "track_locked_string": _set(_md(_track), "locked", "yes"),
    "track_name_number": _set(_track, "name", 5),
    "clip_duration_1e300": _set(_dur(_clip), "value", 1e300),
    "clip_duration_1e11_frames": _set(_dur(_clip), "value", 1e11),
    "clip_duration_negative": _set(_dur(_clip), "value", -24),
    "clip_duration_zero": _set(_dur(_clip), "value", 0),
    "clip_duration_string": _set(_dur(_clip), "value", "168"),
    "clip_rate_zero": _set(_dur(_clip), "rate", 0),
    "clip_rate_negative": _set(_dur(_clip), "rate", -24),
    "clip_start_1e300": _set(lambda d: _clip(d)["source_range"]["start_time"], "value", 1e300),
    "clip_source_range_string": _set(_clip, "source_range", "all"),
    "clip_range_missing_duration": lambda d: _clip(d)["source_range"].pop("duration"),
    "clip_schema_missing": lambda d: _clip(d).pop("OTIO_SCHEMA"),
    "clip_without_any_range": lambda d: (_clip(d).__setitem__("source_range", None),
                                         _take(d).__setitem__("available_range", None)),
    "clip_aladdin_list": _set(lambda d: _clip(d)["metadata"], "aladdin", ["x"]),
    "clip_effects_string": _set(_md(_clip), "effects", "none"),
    "clip_sharpen_string": lambda d: _md(_clip)(d)["effects"].__setitem__("sharpen", "x"),
    "clip_volume_huge": _set(_md(_clip), "volume", 1e9),
    "clip_volume_string": _set(_md(_clip), "volume", "loud"),
    "clip_fade_negative": _set(_md(_clip), "fade_in", -1),
    "clip_generation_list": _set(_md(_clip), "generation", [1]),
    "clip_media_refs_string": _set(_clip, "media_references", "x"),
    "take_rate_zero": lambda d: _take(d)["available_range"]["duration"].__setitem__("rate", 0),
    "take_url_number": _set(_take, "target_url", 5),
    "take_aladdin_list": _set(lambda d: _take(d)["metadata"], "aladdin", [1]),
    "transition_offset_negative": _set(lambda d: _trans(d)["in_offset"], "value", -10),
    "transition_kind_bogus": _set(_md(_trans), "kind", "explode"),
    "transition_offset_string": _set(_trans, "out_offset", "x"),
    "speed_zero": _speed(0.0),
    "speed_negative": _speed(-1.0),
    "speed_huge": _speed(1e9),
    "plain_otio_fps_1e6": _plain_rate,
}

TEXT_CASES: dict[str, Callable[[str], str | bytes]] = {
    "truncated_half": lambda t: t[: len(t) // 2],
    "truncated_one_byte": lambda t: t[:1],
    "empty": lambda t: "",
    "garbage_bytes": lambda t: bytes(range(256)) * 4,
    "latin1_bytes": lambda t: t.replace("Scene 1", "Sc\xe8ne").encode("latin-1"),
    "nan_duration": lambda t: t.replace('"value": 168.0', '"value": NaN', 1),
    "infinity_duration": lambda t: t.replace('"value": 168.0', '"value": Infinity', 1),
    "overflow_number": lambda t: t.replace('"value": 168.0', '"value": 1e400', 1),
    "deep_nesting": lambda t: "[" * 100_000 + "]" * 100_000,
    "json_array": lambda t: "[1, 2, 3]",
    "json_string": lambda t: '"hello"',
    "json_null": lambda t: "null",
}


def _indented(path: Path) -> str:
    return json.dumps(json.loads(path.read_text()), indent=4)


def _bundle(dest: Path, name: str, media: Path) -> Path:
    bundle = dest / f"{name}.aladdin"
    bundle.mkdir(parents=True)
    (bundle / "media").symlink_to(media)
    return bundle


def build_corpus(sample: Path, dest: Path) -> dict[str, Path]:
    """One damaged bundle per case; see the module docstring."""
    base = json.loads((sample / "project.otio").read_text())
    text = _indented(sample / "project.otio")
    media = (sample / "media").resolve()
    cases: dict[str, Path] = {}
    for name, change in DOC_CASES.items():
        doc = copy.deepcopy(base)
        change(doc)
        bundle = _bundle(dest, name, media)
        (bundle / "project.otio").write_text(json.dumps(doc, indent=4))
        cases[name] = bundle
    for name, change in TEXT_CASES.items():
        bundle = _bundle(dest, name, media)
        data = change(text)
        target = bundle / "project.otio"
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data)
        cases[name] = bundle
    special = {
        "symlink_dev_zero": lambda p: p.symlink_to("/dev/zero"),
        "symlink_dev_null": lambda p: p.symlink_to("/dev/null"),
        "fifo": lambda p: os.mkfifo(p),
        "directory": lambda p: p.mkdir(),
        "sparse_huge": lambda p: os.truncate(p.open("wb").name, 300 * 2**20),
        "symlink_loop": lambda p: p.symlink_to(p),
    }
    for name, make in special.items():
        bundle = _bundle(dest, name, media)
        make(bundle / "project.otio")
        cases[name] = bundle
    return cases
