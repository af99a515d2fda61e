"""Recorded primitive changes to OTIO objects.

Every edit is built from a handful of primitives (insert/remove a child, set a
range, attribute or metadata key, replace effects, markers or takes). Each
primitive applies itself and remembers its inverse, so undo restores the very
same objects (no dangling references from snapshot restores) and redo replays
the recorded changes exactly, giving byte-identical documents.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import opentimelineio as otio

from .schema import NS, to_py

_MISSING = object()


def bump(track: Any) -> None:
    """Mark a track's cached layout stale (see ``layout.layout``)."""
    if isinstance(track, otio.schema.Track):
        track._aladdin_version = getattr(track, "_aladdin_version", 0) + 1


def change_count(obj: Any) -> int:
    """How many recorded changes of its own attributes, metadata, effects, markers or takes
    ``obj`` has had (applied or reverted). Views skip re-reading objects whose count is
    unchanged: OTIO reads are slow (a missing metadata key costs tens of µs)."""
    return getattr(obj, "_aladdin_changes", 0)


def _count_change(obj: Any) -> None:
    obj._aladdin_changes = change_count(obj) + 1


def content_version(track: Any) -> int:
    """Counts recorded changes of which items ``track`` holds or what media they show
    (an insert, a removal, a take switch), not of their ranges: the key of per-track
    memos such as the clip count, which a ripple trim of every clip leaves valid."""
    return getattr(track, "_aladdin_content", 0)


def _bump_content(track: Any) -> None:
    if isinstance(track, otio.schema.Track):
        track._aladdin_content = content_version(track) + 1


class Op:
    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


@dataclass
class InsertChild(Op):
    parent: Any
    index: int
    item: Any

    def apply(self) -> None:
        self.parent.insert(self.index, self.item)
        bump(self.parent)
        _bump_content(self.parent)

    def revert(self) -> None:
        del self.parent[self.index]
        bump(self.parent)
        _bump_content(self.parent)


@dataclass
class RemoveChild(Op):
    parent: Any
    index: int
    item: Any

    def apply(self) -> None:
        del self.parent[self.index]
        bump(self.parent)
        _bump_content(self.parent)

    def revert(self) -> None:
        self.parent.insert(self.index, self.item)
        bump(self.parent)
        _bump_content(self.parent)


@dataclass
class SetAttr(Op):
    obj: Any
    name: str
    old: Any
    new: Any

    def apply(self) -> None:
        setattr(self.obj, self.name, self.new)
        self._bump()

    def revert(self) -> None:
        setattr(self.obj, self.name, self.old)
        self._bump()

    def _bump(self) -> None:
        _count_change(self.obj)
        if self.name in ("media_reference", "active_media_reference_key"):
            _bump_content(self.obj.parent())
        if self.name in ("source_range", "in_offset", "out_offset"):
            bump(self.obj.parent())


@dataclass
class SetMeta(Op):
    """Set or delete one key of ``obj.metadata["aladdin"]``."""

    obj: Any
    key: str
    old: Any
    new: Any
    had_ns: bool

    def _put(self, value: Any) -> None:
        _count_change(self.obj)
        md = self.obj.metadata
        if NS not in md:
            md[NS] = {}
        if value is _MISSING:
            if self.key in md[NS]:
                del md[NS][self.key]
        else:
            md[NS][self.key] = copy.deepcopy(value)

    def apply(self) -> None:
        self._put(self.new)

    def revert(self) -> None:
        self._put(self.old)
        if not self.had_ns and NS in self.obj.metadata and len(self.obj.metadata[NS]) == 0:
            del self.obj.metadata[NS]


@dataclass
class SetVector(Op):
    """Replace the contents of an OTIO vector attribute (``effects``, ``markers``)."""

    owner: Any
    attr: str
    old: list
    new: list

    def _put(self, values: list) -> None:
        _count_change(self.owner)
        vector = getattr(self.owner, self.attr)
        while len(vector):
            vector.pop()
        for value in values:
            vector.append(value)

    def apply(self) -> None:
        self._put(self.new)

    def revert(self) -> None:
        self._put(self.old)


@dataclass
class SetTakes(Op):
    clip: Any
    old_refs: dict
    old_key: str
    new_refs: dict
    new_key: str

    def apply(self) -> None:
        _count_change(self.clip)
        _bump_content(self.clip.parent())
        self.clip.set_media_references(self.new_refs, self.new_key)

    def revert(self) -> None:
        _count_change(self.clip)
        _bump_content(self.clip.parent())
        self.clip.set_media_references(self.old_refs, self.old_key)


@dataclass
class Transaction:
    """An ordered list of applied primitives plus what they touched."""

    ops: list[Op] = field(default_factory=list)
    tracks: list[Any] = field(default_factory=list)
    scenes: list[Any] = field(default_factory=list)
    headers: list[Any] = field(default_factory=list)  # tracks whose own flags changed
    notices: list[str] = field(default_factory=list)
    structure: bool = False  # scenes or tracks added/removed
    added_clip: bool = False
    topics: set[str] = field(default_factory=set)  # e.g. "bin", "markers", "project"
    items: dict[int, Any] = field(default_factory=dict)  # id -> item changed or moved beside
    # (track, its layout version, its cached layout) when this transaction first touched it:
    # a revert restores the track exactly, so its layout need not be computed again.
    layouts: list[tuple[Any, int, Any]] = field(default_factory=list, repr=False)

    def touch_item(self, item: Any) -> None:
        if item is not None:
            self.items[id(item)] = item

    def _run(self, op: Op) -> None:
        op.apply()
        self.ops.append(op)

    def touch_track(self, track: Any) -> None:
        if not any(t is track for t in self.tracks):
            self.tracks.append(track)
            if not any(t is track for t, _, _ in self.layouts):  # before any op changes it
                self.layouts.append((track, getattr(track, "_aladdin_version", 0),
                                     getattr(track, "_aladdin_layout", None)))

    def touch_scene(self, scene: Any) -> None:
        if not any(s is scene for s in self.scenes):
            self.scenes.append(scene)

    # --- primitives ---
    def insert(self, parent: Any, index: int, item: Any) -> None:
        if isinstance(parent, otio.schema.Track):
            self.touch_track(parent)
            self.touch_item(item)
            self.added_clip = self.added_clip or isinstance(item, otio.schema.Clip)
        else:
            self.structure = True
        self._run(InsertChild(parent, index, item))

    def remove(self, parent: Any, index: int) -> Any:
        item = parent[index]
        if isinstance(parent, otio.schema.Track):
            self.touch_track(parent)
        else:
            self.structure = True
        self._run(RemoveChild(parent, index, item))
        if isinstance(parent, otio.schema.Track):  # the items that are now neighbours
            for j in (index - 1, index):
                if 0 <= j < len(parent):
                    self.touch_item(parent[j])
        return item

    def set_attr(self, obj: Any, name: str, value: Any) -> None:
        old = getattr(obj, name)
        if _same(old, value):
            return
        self._touch_parent(obj)
        self._run(SetAttr(obj, name, old, value))

    def set_range(self, item: Any, value: otio.opentime.TimeRange) -> None:
        self.set_attr(item, "source_range", value)

    def set_meta(self, obj: Any, key: str, value: Any) -> None:
        md = obj.metadata
        had_ns = NS in md
        old = to_py(md[NS][key]) if had_ns and key in md[NS] else _MISSING
        if old is not _MISSING and old == value and type(old) is type(value):
            return
        self._touch_parent(obj)
        self._run(SetMeta(obj, key, old, value, had_ns))

    def del_meta(self, obj: Any, key: str) -> None:
        md = obj.metadata
        if NS in md and key in md[NS]:
            self._touch_parent(obj)
            self._run(SetMeta(obj, key, to_py(md[NS][key]), _MISSING, True))

    def set_effects(self, item: Any, effects: list) -> None:
        self._touch_parent(item)
        self._run(SetVector(item, "effects", list(item.effects), list(effects)))

    def set_markers(self, owner: Any, markers: list) -> None:
        self._run(SetVector(owner, "markers", list(owner.markers), list(markers)))

    def set_takes(self, clip: Any, refs: dict, active: str) -> None:
        self._touch_parent(clip)
        old_refs = dict(clip.media_references())
        self._run(SetTakes(clip, old_refs, clip.active_media_reference_key, dict(refs), active))

    def _touch_parent(self, obj: Any) -> None:
        if isinstance(obj, otio.schema.Track):
            if not any(t is obj for t in self.headers):
                self.headers.append(obj)
            return
        parent = obj.parent() if hasattr(obj, "parent") else None
        if isinstance(parent, otio.schema.Track):
            self.touch_track(parent)
            self.touch_item(obj)

    # --- replay ---
    def revert(self) -> None:
        for op in reversed(self.ops):
            op.revert()
        for track, version, cached in self.layouts:
            if cached is not None and cached[0] == version:  # still valid: keep using it
                track._aladdin_layout = (getattr(track, "_aladdin_version", 0), *cached[1:])

    def apply(self) -> None:
        for op in self.ops:
            op.apply()

    def extend(self, other: Transaction) -> None:
        self.ops.extend(other.ops)
        for entry in other.layouts:  # other's tracks as they were before its ops
            if not any(t is entry[0] for t, _, _ in self.layouts):
                self.layouts.append(entry)
        for track in other.tracks:
            self.touch_track(track)
        for scene in other.scenes:
            self.touch_scene(scene)
        for track in other.headers:
            if not any(t is track for t in self.headers):
                self.headers.append(track)
        self.notices.extend(other.notices)
        self.structure = self.structure or other.structure
        self.topics |= other.topics
        self.items.update(other.items)
        self.added_clip = self.added_clip or other.added_clip


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return type(a) is type(b) and a == b
    except TypeError:
        return False
