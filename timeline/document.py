"""The project document: the one OTIO collection every view and service reads.

``Project`` owns the ``SerializableCollection`` of scenes and is the only
writer. Edits run inside :meth:`Project.edit`, which records primitives in a
:class:`~.transaction.Transaction`, tidies the touched tracks, validates them
and either commits (emitting ``changed``) or rolls back so that a refused edit
changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import QObject, Signal

from . import schema as S
from .errors import (
    ClipLimitError,
    EditError,
    ItemNotFound,
    LockedTrackError,
    TransitionError,
    TransitionTooLongError,
    TrimRangeError,
)
from .layout import Slot, item_frames, layout, media_bounds
from .transaction import InsertChild, SetTakes, SetVector, Transaction


@dataclass
class ChangeSet:
    """What an edit, undo or redo touched; views refresh just these."""

    kind: str  # "edit" | "undo" | "redo" | "reset"
    scenes: list[Any] = field(default_factory=list)
    tracks: list[Any] = field(default_factory=list)
    headers: list[Any] = field(default_factory=list)
    structure: bool = False
    topics: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProjectLocation:
    """Where a project lives: a ``NAME.aladdin`` bundle or a plain ``.otio`` file."""

    file: Path
    bundle: bool

    @property
    def root(self) -> Path:
        if self.bundle:
            return self.file.parent
        return self.file.parent / f"{self.file.stem}.aladdin-data"

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    @property
    def renders_dir(self) -> Path:
        return self.root / "renders"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def recovery_file(self) -> Path:
        return self.file.with_name(self.file.name + ".recovery")

    @property
    def backups_dir(self) -> Path:
        return self.root / "backups"

    @classmethod
    def for_path(cls, path: str | Path) -> ProjectLocation:
        path = Path(path).absolute()
        if path.suffix == ".aladdin" or (path.is_dir() and (path / "project.otio").exists()):
            return cls(path / "project.otio", True)
        if path.name == "project.otio" and path.parent.suffix == ".aladdin":
            return cls(path, True)
        if path.suffix == ".otio":
            return cls(path, False)
        raise EditError(f"'{path}' is not a project: use a NAME.aladdin folder or a .otio file.")


class Project(QObject):
    changed = Signal(object)

    def __init__(self, collection: otio.schema.SerializableCollection | None = None,
                 location: ProjectLocation | None = None, name: str = "Untitled") -> None:
        super().__init__()
        self.collection = (collection if collection is not None
                           else S.new_project_collection(name))
        self.location = location
        self.revision = 0
        self.saved_revision = 0
        self.warnings: list[str] = []
        self.offline: dict[str, str] = {}  # media url -> reason, from probing at load
        self.recovery_available = False
        # The clip limit refuses manual edits only when the user's setting says so; scene
        # assembly and generation (commands with ``enforce_clip_limit``) always refuse.
        self.enforce_clip_limit = False
        self._ids: dict[str, Any] | None = None  # see _id_index
        self._ids_of: Any = None

    # --- access ---
    @property
    def name(self) -> str:
        return self.collection.name

    @property
    def scenes(self) -> list[otio.schema.Timeline]:
        return [s for s in self.collection if isinstance(s, otio.schema.Timeline)]

    def scene(self, key: str | int | None = None) -> otio.schema.Timeline:
        scenes = self.scenes
        if not scenes:
            raise EditError("The project has no scenes.")
        if key is None:
            return scenes[0]
        if isinstance(key, int):
            if not 0 <= key < len(scenes):
                raise EditError(f"There is no scene number {key + 1}.")
            return scenes[key]
        for scene in scenes:
            if scene.name == key or S.get(scene, "id") == key:
                return scene
        names = ", ".join(repr(s.name) for s in scenes)
        raise EditError(f"No scene named {key!r}. Scenes: {names}.")

    def scene_of(self, track: otio.schema.Track) -> otio.schema.Timeline:
        for scene in self.scenes:
            if any(t is track for t in scene.tracks):
                return scene
        raise EditError(f"Track {track.name!r} is not in this project.")

    @property
    def dirty(self) -> bool:
        return self.revision != self.saved_revision

    def resolve_media(self, url: str) -> Path:
        """A media reference's file path; relative paths are relative to the project."""
        if url.startswith("file://"):
            from urllib.parse import unquote, urlparse
            return Path(unquote(urlparse(url).path))
        path = Path(url)
        if path.is_absolute() or self.location is None:
            return path
        return (self.location.file.parent / path).resolve()

    # --- editing ---
    @contextlib.contextmanager
    def edit(self, *, enforce_clip_limit: bool = False) -> Iterator[Transaction]:
        """Run an edit: yields a transaction, then validates and commits or rolls back.

        Past a scene's clip limit the edit is refused when ``enforce_clip_limit`` (or the
        project's setting) asks for it, else it goes through with a warning notice.
        """
        tx = Transaction()
        try:
            yield tx
            for track in tx.tracks:
                normalize(tx, track, self.scene_of(track))
            self.validate(tx, enforce_clip_limit=enforce_clip_limit or self.enforce_clip_limit)
        except BaseException:
            tx.revert()
            raise
        self._stamp_ids(tx)
        self._notify("edit", tx)

    def _stamp_ids(self, tx: Transaction) -> None:
        """New objects of this edit get ids: missing ones, and copies' (a split, paste or
        duplicate repeats the id of another object; the original keeps it). Objects only
        moved keep theirs. Runs once per edit, not on undo/redo (the objects keep their
        ids). Costs only the new objects: the id index is built once per document."""
        new: list[Any] = []
        for op in tx.ops:
            if isinstance(op, InsertChild):
                new.append(op.item)
            elif isinstance(op, SetTakes):
                new.extend(op.new_refs.values())
            elif isinstance(op, SetVector) and op.attr == "markers":
                new.extend(op.new)
        if not new:
            return
        index = self._id_index()
        for root in new:
            for obj in S.addressable(root):
                md = obj.metadata.get(S.NS) if S.NS in obj.metadata else None
                current = md.get("id") if md is not None else None
                owner = index.get(current) if current else None
                if not current or (owner is not None and owner is not obj):
                    current = S.ns(obj)["id"] = S.new_id()
                index[str(current)] = obj

    def _id_index(self) -> dict[str, Any]:
        """id -> the object that holds it (removed objects stay: a copy of one gets a new
        id too). Built on first use, dropped when the document is replaced."""
        if self._ids is None or self._ids_of is not self.collection:
            self._ids = {}
            for obj in S.addressable(self.collection):
                item_id = S.get(obj, "id")
                if item_id and item_id not in self._ids:
                    self._ids[str(item_id)] = obj
            self._ids_of = self.collection
        return self._ids

    # --- lookup by id ---
    def find(self, item_id: str) -> Any:
        """The scene, track, clip, transition, marker or take whose stable id is
        ``item_id``; raises ItemNotFound."""
        for obj in S.addressable(self.collection):
            if S.get(obj, "id") == item_id:
                return obj
        raise ItemNotFound(f"Nothing in '{self.name}' has the id {item_id!r}.")

    def undo_tx(self, tx: Transaction) -> None:
        tx.revert()
        self._notify("undo", tx)

    def redo_tx(self, tx: Transaction) -> None:
        tx.apply()
        self._notify("redo", tx)

    def _notify(self, kind: str, tx: Transaction) -> None:
        self.revision += 1
        scenes = list(tx.scenes)
        for track in tx.tracks + tx.headers:
            try:
                scene = self.scene_of(track)
            except EditError:
                continue  # a track removed by this change
            if not any(s is scene for s in scenes):
                scenes.append(scene)
        self.changed.emit(ChangeSet(kind, scenes, list(tx.tracks), list(tx.headers),
                                    tx.structure, frozenset(tx.topics)))

    def reset(self, collection: otio.schema.SerializableCollection) -> None:
        """Replace the whole document (open, recover); views rebuild everything."""
        self.collection = collection
        self.revision += 1
        self.changed.emit(ChangeSet("reset", list(self.scenes), structure=True))

    # --- validation ---
    def validate(self, tx: Transaction, *, enforce_clip_limit: bool = True) -> None:
        focus = set(tx.items)
        for track in tx.tracks:
            scene = self.scene_of(track)
            validate_track(track, S.scene_rate(scene), focus)
        if tx.added_clip:
            scenes = {id(scene): scene for scene in map(self.scene_of, tx.tracks)}
            for scene in scenes.values():
                if enforce_clip_limit:
                    check_clip_limit(scene)
                elif (warning := clip_limit_warning(scene)) is not None:
                    tx.notices.append(warning)


def video_clip_count(scene: otio.schema.Timeline) -> int:
    """Video clips that count against the clip limit (titles are overlays, not shots).
    Counted per track once per change of it (views ask on every edit)."""
    return sum(track_clip_count(track) for track in scene.tracks if not S.is_audio(track))


def track_clip_count(track: otio.schema.Track) -> int:
    """Clips on ``track`` that are not titles; remembered on the track until a recorded
    insert, removal or take switch on it (``transaction.content_version``)."""
    from .titles import is_title
    from .transaction import content_version

    key = (content_version(track), len(track))  # (len: appends made outside an edit)
    cached = getattr(track, "_aladdin_clip_count", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    count = 0
    for item in track:
        if isinstance(item, otio.schema.Clip):
            changes = getattr(item, "_aladdin_changes", 0)  # transaction.change_count
            title = getattr(item, "_aladdin_title", None)  # (its change count, is a title)
            if title is None or title[0] != changes:
                item._aladdin_title = title = (changes, is_title(item))
            count += not title[1]
    track._aladdin_clip_count = (key, count)
    return count


def _over_clip_limit(scene: otio.schema.Timeline) -> tuple[int, int] | None:
    """``(video clip count, limit)`` for a scene past its clip limit, else None."""
    limit = S.scene_max_clips(scene)
    count = video_clip_count(scene)
    return (count, limit) if count > limit else None


def clip_limit_warning(scene: otio.schema.Timeline) -> str | None:
    """The warning for a scene past its clip limit (None within it)."""
    if (over := _over_clip_limit(scene)) is None:
        return None
    count, limit = over
    return (f"Scene '{scene.name}' now has {count} video clips, over its limit of {limit} "
            "(scene assembly and generation keep to it).")


def check_clip_limit(scene: otio.schema.Timeline) -> None:
    if (over := _over_clip_limit(scene)) is not None:
        count, limit = over
        raise ClipLimitError(
            f"Scene '{scene.name}' can hold at most {limit} video clips; this edit would make "
            f"{count}. Split the scene or remove a clip first.")


def normalize(tx: Transaction, track: otio.schema.Track, scene: otio.schema.Timeline) -> None:
    """Tidy a track after an edit: drop empty or trailing gaps, merge neighbouring
    gaps, and remove transitions that no longer sit between two clips."""
    rate = S.scene_rate(scene)
    changed = True
    while changed:
        changed = False
        items = list(track)
        for i, item in enumerate(items):
            prev = items[i - 1] if i > 0 else None
            nxt = items[i + 1] if i + 1 < len(items) else None
            if isinstance(item, otio.schema.Gap):
                if item_frames(item, rate) <= 0 or nxt is None:
                    tx.remove(track, i)
                    changed = True
                    break
                if isinstance(prev, otio.schema.Gap):
                    total = item_frames(prev, rate) + item_frames(item, rate)
                    tx.set_range(prev, S.tr(0, total, rate))
                    tx.remove(track, i)
                    changed = True
                    break
            elif isinstance(item, otio.schema.Transition):
                if not (isinstance(prev, otio.schema.Clip) and isinstance(nxt, otio.schema.Clip)):
                    tx.remove(track, i)
                    tx.notices.append(f"Removed the {S.transition_kind(item).value} that no "
                                      "longer sits between two clips.")
                    changed = True
                    break


def seconds(frames_: float, rate: float) -> str:
    return f"{frames_ / rate:.2f} s"


def validate_track(track: otio.schema.Track, rate: float,
                   focus: set[int] | None = None) -> None:
    """Raise a readable EditError if the track breaks a document rule.

    With ``focus`` (ids of items an edit changed) only those items and the two
    items on each side are checked: the rest of the track was valid before.
    """
    if S.track_flag(track, "locked"):
        raise LockedTrackError(f"Track '{track.name}' is locked. Unlock it to change its clips.")
    slots = layout(track, rate)
    from .document_check import MAX_SCENE_SECONDS  # the load check's bound: it must reopen

    if slots and slots[-1].end > MAX_SCENE_SECONDS * rate:
        raise EditError(f"Track '{track.name}' would last {slots[-1].end / rate / 3600:.1f} h; "
                        "a scene holds at most 24 h.")
    if focus is None:
        positions = range(len(slots))
    else:
        near: set[int] = set()
        for pos, slot in enumerate(slots):
            if id(slot.item) in focus:
                near.update(range(max(0, pos - 2), min(len(slots), pos + 3)))
        positions = sorted(near)
    for pos in positions:
        slot = slots[pos]
        item = slot.item
        if slot.is_transition:
            _validate_transition(track, slots, pos, rate)
            continue
        if item.source_range is None or slot.duration < 1:
            raise EditError(f"'{item.name or 'An item'}' on track '{track.name}' would be "
                            "shorter than one frame.")
        if slot.is_clip:
            _validate_media(slots, pos, rate)


def _validate_transition(track: otio.schema.Track, slots: list[Slot], pos: int,
                         rate: float) -> None:
    slot = slots[pos]
    kind = S.transition_kind(slot.item).value
    if S.is_audio(track):
        raise TransitionError(f"Audio track '{track.name}' uses fades, not transitions.")
    a_in = S.frames(slot.item.in_offset, rate)
    a_out = S.frames(slot.item.out_offset, rate)
    if a_in < 0 or a_out < 0 or a_in + a_out <= 0:
        raise TransitionError(f"The {kind} on track '{track.name}' needs a positive duration.")
    prev, nxt = slots[pos - 1], slots[pos + 1]
    before = slots[pos - 2].item if pos >= 2 and slots[pos - 2].is_transition else None
    after = slots[pos + 2].item if pos + 2 < len(slots) and slots[pos + 2].is_transition else None
    prev_need = a_in + (S.frames(before.out_offset, rate) if before is not None else 0)
    next_need = a_out + (S.frames(after.in_offset, rate) if after is not None else 0)
    dur = seconds(a_in + a_out, rate)
    for clip_slot, need in ((prev, prev_need), (nxt, next_need)):
        if need > clip_slot.duration:
            raise TransitionTooLongError(
                f"The {dur} {kind} is longer than clip '{clip_slot.item.name}' "
                f"({seconds(clip_slot.duration, rate)}) can carry. Shorten the transition "
                "or lengthen the clip.")


def handles(slots: list[Slot], pos: int, rate: float) -> tuple[int, int]:
    """Frames of unused media a clip shows before its start and after its end."""
    head = tail = 0
    if pos > 0 and slots[pos - 1].is_transition:
        tr_ = slots[pos - 1].item
        if S.transition_kind(tr_) in S.KINDS_NEEDING_HANDLES:
            head = S.frames(tr_.in_offset, rate)
    if pos + 1 < len(slots) and slots[pos + 1].is_transition:
        tr_ = slots[pos + 1].item
        if S.transition_kind(tr_) in S.KINDS_NEEDING_HANDLES:
            tail = S.frames(tr_.out_offset, rate)
    return head, tail


def _validate_media(slots: list[Slot], pos: int, rate: float) -> None:
    clip = slots[pos].item
    bounds = media_bounds(clip, rate)
    if bounds is None or S.is_still(clip.media_reference):
        return
    speed = S.clip_speed(clip)
    head, tail = handles(slots, pos, rate)
    start = S.frames_exact(clip.source_range.start_time, rate)
    need_from = start - head * speed
    need_to = start + (slots[pos].duration + tail) * speed
    eps = 1e-6
    if need_from < bounds[0] - eps or need_to > bounds[1] + eps:
        extra = " including transition handles" if head or tail else ""
        raise TrimRangeError(
            f"Clip '{clip.name}' would need media from {seconds(need_from, rate)} to "
            f"{seconds(need_to, rate)}{extra}, but its media runs from "
            f"{seconds(bounds[0], rate)} to {seconds(bounds[1], rate)}.")
