"""Edit commands over the OTIO document, one class per edit.

A command's first ``redo`` builds the edit from recorded primitives inside
:meth:`Project.edit` (which validates and rolls back a refused edit); later
``redo``/``undo`` calls replay or revert exactly those primitives. Commands with
the same ``merge_key`` fold into one undo step (a drag, a volume slider).
Positions and durations are whole frames at the scene rate.
"""

from __future__ import annotations

import math
from typing import Any

import opentimelineio as otio

from . import schema as S
from .document import Project
from .errors import (
    EditError,
    InvalidEditError,
    NoRoomError,
    TransitionError,
    TransitionTooLongError,
)
from .layout import Slot, item_frames, layout, media_bounds, slot_at, slot_of, track_end
from .names import unique_name
from .transaction import Transaction

Clip = otio.schema.Clip
Gap = otio.schema.Gap
Transition = otio.schema.Transition


class Command:
    text = "Edit"
    merge_key: tuple | None = None
    # Refuse the edit past the scene's clip limit (scene assembly, generation, the API);
    # manual edits only warn unless the project enforces the limit.
    enforce_clip_limit = False

    def __init__(self) -> None:
        self.tx: Transaction | None = None

    @property
    def notices(self) -> list[str]:
        return self.tx.notices if self.tx else []

    def build(self, project: Project, tx: Transaction) -> None:
        raise NotImplementedError

    def redo(self, project: Project) -> None:
        if self.tx is None:
            with project.edit(enforce_clip_limit=self.enforce_clip_limit) as tx:
                self.build(project, tx)
            self.tx = tx
        else:
            project.redo_tx(self.tx)

    def undo(self, project: Project) -> None:
        assert self.tx is not None, "undo before redo"
        project.undo_tx(self.tx)

    def merge(self, other: Command) -> bool:
        """Fold ``other`` (already applied) into this command if they share a merge key."""
        if self.merge_key is None or other.merge_key != self.merge_key or other.tx is None:
            return False
        assert self.tx is not None
        self.tx.extend(other.tx)
        return True


# --- helpers -----------------------------------------------------------------------

def _track_of(item: Any) -> otio.schema.Track:
    parent = item.parent()
    if not isinstance(parent, otio.schema.Track):
        raise InvalidEditError(f"'{item.name or 'The item'}' is not on a track.")
    return parent


def _rate(project: Project, track: otio.schema.Track) -> float:
    return S.scene_rate(project.scene_of(track))


def _name(item: Any) -> str:
    return item.name or ("gap" if isinstance(item, Gap) else "clip")


def _time(frame: float, rate: float) -> str:
    return f"{frame / rate:.2f} s"


def _check_frames(value: int, what: str) -> int:
    if not isinstance(value, int):
        raise InvalidEditError(f"{what} must be a whole number of frames.")
    return value


def split_item(tx: Transaction, track: otio.schema.Track, slot: Slot, frame: int,
               rate: float) -> int:
    """Split the clip or gap in ``slot`` at ``frame``; returns the right part's index."""
    item = slot.item
    offset = frame - slot.start
    right = item.clone()
    speed = S.clip_speed(item) if isinstance(item, Clip) else 1.0
    start = S.frames_exact(item.source_range.start_time, rate)
    if isinstance(item, Clip):
        S.assign_ids(right, fresh=True)  # the right part and its takes are new items
        if "fade_in" in S.ns(item):
            S.ns(right)["fade_in"] = 0.0  # the fade-in stays with the left part
            tx.set_meta(item, "fade_out", 0.0)  # and the fade-out moves to the right part
        while len(right.markers):
            right.markers.pop()
    tx.set_range(item, S.tr(start, offset, rate))
    right.source_range = S.tr(start + offset * speed if isinstance(item, Clip) else 0,
                              slot.duration - offset, rate)
    tx.insert(track, slot.index + 1, right)
    return slot.index + 1


def cut_at(tx: Transaction, track: otio.schema.Track, frame: int, rate: float,
           break_transition: bool) -> int:
    """Make an item boundary at ``frame`` and return the index an insert there uses.

    Pads the track with a gap when ``frame`` is past its end. With
    ``break_transition`` a transition sitting on that boundary is removed.
    """
    if frame < 0:
        raise InvalidEditError("Edits cannot start before the beginning of the scene.")
    end = track_end(track, rate)
    if frame >= end:
        if frame > end:
            tx.insert(track, len(track), S.new_gap(frame - end, rate))
        return len(track)
    for slot in layout(track, rate):
        if slot.is_transition:
            continue
        if slot.start == frame:
            index = slot.index
            if break_transition and index > 0 and isinstance(track[index - 1], Transition):
                removed = tx.remove(track, index - 1)
                tx.notices.append(f"Removed the {S.transition_kind(removed).value} at "
                                  f"{_time(frame, rate)}.")
                index -= 1
            return index
        if slot.start < frame < slot.end:
            return split_item(tx, track, slot, frame, rate)
    return len(track)


def clear_range(tx: Transaction, track: otio.schema.Track, start: int, end: int,
                rate: float) -> int:
    """Remove everything in ``[start, end)``; returns the index where the range began."""
    first = cut_at(tx, track, start, rate, True)
    last = cut_at(tx, track, min(end, max(track_end(track, rate), start)), rate, True)
    for index in range(last - 1, first - 1, -1):
        tx.remove(track, index)
    return first


def ripple_sync_tracks(tx: Transaction, project: Project, edited: otio.schema.Track,
                       at: int, delta: int) -> None:
    """Keep sync-locked tracks in step with a ripple on ``edited``: the time from frame
    ``at`` on moved by ``delta`` frames (``delta`` > 0: a gap of that length is inserted at
    ``at``; < 0: the frames ``[at, at - delta)`` are taken out, cutting what lies there)."""
    if delta == 0:
        return
    scene = project.scene_of(edited)
    rate = S.scene_rate(scene)
    for track in scene.tracks:
        if track is edited or not S.sync_locked(track, scene) or \
                S.track_flag(track, "locked") or at >= track_end(track, rate):
            continue
        slot = slot_at(track, at, rate)
        gap = slot is not None and slot.is_gap
        if delta > 0:
            if gap:  # the usual case under dialogue and music: the gap grows
                tx.set_range(slot.item, S.tr(0, slot.duration + delta, rate))
            else:
                index = cut_at(tx, track, at, rate, True)
                tx.insert(track, index, S.new_gap(delta, rate))
            continue
        end = at - delta
        if gap and slot.end >= end:  # taken out of one gap: it shrinks
            tx.set_range(slot.item, S.tr(0, slot.duration + delta, rate))
            continue
        cut = [slot.item.name for slot in layout(track, rate)
               if slot.is_clip and slot.start < end and slot.end > at]
        clear_range(tx, track, at, end, rate)
        if cut:
            tx.notices.append(f"Sync lock: took {_time(-delta, rate)} out of track "
                              f"'{track.name}' too ({', '.join(cut)}) to keep it in sync.")


def _require_clip(item: Any) -> otio.schema.Clip:
    if not isinstance(item, Clip):
        raise InvalidEditError("Select a clip first.")
    return item


# --- placing clips -------------------------------------------------------------------

class _PlaceClip(Command):
    """Put a new clip on a track at a frame; subclasses choose how room is made."""

    def __init__(self, track: otio.schema.Track, clip: otio.schema.Clip, at: int) -> None:
        super().__init__()
        self.track, self.clip, self.at = track, clip, _check_frames(at, "The position")

    ripples = False  # pushes later items right (sync-locked tracks follow)

    def build(self, project: Project, tx: Transaction) -> None:
        _check_kind(self.track, self.clip)
        rate = _rate(project, self.track)
        tx.insert(self.track, self.place(tx, rate), self.clip)
        if self.ripples:
            ripple_sync_tracks(tx, project, self.track, self.at, item_frames(self.clip, rate))

    def place(self, tx: Transaction, rate: float) -> int:
        raise NotImplementedError


class InsertClip(_PlaceClip):
    """Insert a clip at a time, pushing later items right (splits a clip under it)."""

    text = "Insert Clip"
    ripples = True

    def place(self, tx: Transaction, rate: float) -> int:
        return cut_at(tx, self.track, self.at, rate, True)


class OverwriteClip(_PlaceClip):
    """Place a clip at a time, replacing whatever lies under it."""

    text = "Overwrite Clip"

    def place(self, tx: Transaction, rate: float) -> int:
        end = self.at + item_frames(self.clip, rate)
        return clear_range(tx, self.track, self.at, end, rate)


class AppendClip(Command):
    text = "Append Clip"

    def __init__(self, track: otio.schema.Track, clip: otio.schema.Clip) -> None:
        super().__init__()
        self.track, self.clip = track, clip

    def build(self, project: Project, tx: Transaction) -> None:
        _check_kind(self.track, self.clip)
        tx.insert(self.track, len(self.track), self.clip)


def _check_kind(track: otio.schema.Track, clip: otio.schema.Clip) -> None:
    if clip.parent() is not None:
        raise InvalidEditError(f"Clip '{clip.name}' is already on a track; move it instead.")
    info = S.get(clip.media_reference, "media", {}) or {}
    if S.is_audio(track) and info and not info.get("has_audio", True):
        raise InvalidEditError(f"'{clip.name}' has no sound, so it cannot go on audio track "
                               f"'{track.name}'.")
    if not S.is_audio(track) and info and not info.get("has_video", True):
        raise InvalidEditError(f"'{clip.name}' is audio only; put it on an audio track.")


class InsertSpace(Command):
    """Open ``frames`` of empty time at ``at`` on ``tracks`` and on the scene's sync-locked
    tracks (later items move right), e.g. to make room for duplicates."""

    text = "Insert Space"

    def __init__(self, tracks: list[otio.schema.Track], at: int, frames_: int) -> None:
        super().__init__()
        self.tracks, self.at = list(tracks), _check_frames(at, "The position")
        self.frames = _check_frames(frames_, "The length")

    def build(self, project: Project, tx: Transaction) -> None:
        if not self.tracks or self.frames < 1:
            raise InvalidEditError("Nothing to make room for.")
        scene = project.scene_of(self.tracks[0])
        rate = S.scene_rate(scene)
        chosen = [t for t in scene.tracks if any(t is c for c in self.tracks)
                  or (S.sync_locked(t, scene) and not S.track_flag(t, "locked"))]
        for track in chosen:
            if self.at < track_end(track, rate):
                index = cut_at(tx, track, self.at, rate, True)
                tx.insert(track, index, S.new_gap(self.frames, rate))


class MoveClip(Command):
    """Move a clip within its track or to another one.

    The clip overwrites what lies at the destination (``insert=True`` pushes it
    right instead); its old place becomes a gap unless ``ripple`` closes it.
    """

    text = "Move Clip"

    def __init__(self, clip: otio.schema.Clip, to_track: otio.schema.Track, at: int, *,
                 ripple: bool = False, insert: bool = False) -> None:
        super().__init__()
        self.clip, self.to_track, self.at = clip, to_track, _check_frames(at, "The position")
        self.ripple, self.insert = ripple, insert
        self.merge_key = None

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        src = _track_of(clip)
        if S.is_audio(src) != S.is_audio(self.to_track):
            raise InvalidEditError("Video clips stay on video tracks and audio clips on "
                                   "audio tracks.")
        rate = _rate(project, src)
        slot = slot_of(src, clip, rate)
        tx.remove(src, slot.index)
        if not self.ripple:
            tx.insert(src, slot.index, S.new_gap(slot.duration, rate))
        if self.ripple:
            ripple_sync_tracks(tx, project, src, slot.start, -slot.duration)
        if self.insert:
            index = cut_at(tx, self.to_track, self.at, rate, True)
        else:
            index = clear_range(tx, self.to_track, self.at, self.at + slot.duration, rate)
        tx.insert(self.to_track, index, clip)
        if self.insert:
            ripple_sync_tracks(tx, project, self.to_track, self.at, slot.duration)


class RippleDelete(Command):
    """Remove an item from its track; later items close the space."""

    text = "Ripple Delete"

    def __init__(self, item: Any) -> None:
        super().__init__()
        self.item = item

    def build(self, project: Project, tx: Transaction) -> None:
        track = _track_of(self.item)
        if isinstance(self.item, Transition):
            tx.remove(track, track.index(self.item))  # takes no track time
            return
        rate = _rate(project, track)
        slot = slot_of(track, self.item, rate)
        tx.remove(track, slot.index)
        ripple_sync_tracks(tx, project, track, slot.start, -slot.duration)


class Lift(Command):
    """Remove a clip and leave a gap of the same length."""

    text = "Lift"

    def __init__(self, clip: otio.schema.Clip) -> None:
        super().__init__()
        self.clip = clip

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        track = _track_of(clip)
        rate = _rate(project, track)
        slot = slot_of(track, clip, rate)
        tx.remove(track, slot.index)
        tx.insert(track, slot.index, S.new_gap(slot.duration, rate))


class Split(Command):
    text = "Split"

    def __init__(self, track: otio.schema.Track, at: int) -> None:
        super().__init__()
        self.track, self.at = track, _check_frames(at, "The split position")

    def build(self, project: Project, tx: Transaction) -> None:
        rate = _rate(project, self.track)
        for slot in layout(self.track, rate):
            if slot.is_clip and slot.start < self.at < slot.end:
                split_item(tx, self.track, slot, self.at, rate)
                return
        raise InvalidEditError(f"There is no clip to split at {_time(self.at, rate)} on track "
                               f"'{self.track.name}'.")


# --- trimming -------------------------------------------------------------------------------

class Trim(Command):
    """Move a clip's in or out point by ``delta`` frames.

    Positive ``delta`` moves the edge later. Without ``ripple`` the rest of the
    track stays put (a gap opens, or a neighbouring gap is used up); with
    ``ripple`` later items shift.
    """

    def __init__(self, clip: otio.schema.Clip, edge: str, delta: int, *,
                 ripple: bool = False) -> None:
        super().__init__()
        if edge not in ("in", "out"):
            raise InvalidEditError("Trim the in or the out edge.")
        self.clip, self.edge, self.delta, self.ripple = clip, edge, delta, ripple
        _check_frames(delta, "The trim")
        self.text = f"{'Ripple ' if ripple else ''}Trim {'In' if edge == 'in' else 'Out'}"
        self.merge_key = ("trim", S.item_id(clip), edge, ripple)

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        track = _track_of(clip)
        rate = _rate(project, track)
        slot = slot_of(track, clip, rate)
        speed = S.clip_speed(clip)
        start = S.frames_exact(clip.source_range.start_time, rate)
        d = self.delta
        if d == 0:
            return
        if self.edge == "in":
            new_dur = slot.duration - d
            if new_dur < 1:
                raise InvalidEditError(f"Clip '{clip.name}' cannot be trimmed shorter than one "
                                       "frame.")
            if not self.ripple and d < 0:
                _take_room(tx, track, slot.index, -1, -d, rate, clip)
            tx.set_range(clip, S.tr(start + d * speed, new_dur, rate))
            if not self.ripple and d > 0:
                tx.insert(track, track.index(clip), S.new_gap(d, rate))
        else:
            new_dur = slot.duration + d
            if new_dur < 1:
                raise InvalidEditError(f"Clip '{clip.name}' cannot be trimmed shorter than one "
                                       "frame.")
            if not self.ripple and d > 0:
                _take_room(tx, track, slot.index, +1, d, rate, clip)
            tx.set_range(clip, S.tr(start, new_dur, rate))
            if not self.ripple and d < 0 and track.index(clip) + 1 < len(track):
                tx.insert(track, track.index(clip) + 1, S.new_gap(-d, rate))
        if self.ripple:  # later items moved: sync-locked tracks follow
            at = slot.start if self.edge == "in" else slot.end + min(d, 0)
            ripple_sync_tracks(tx, project, track, at, -d if self.edge == "in" else d)


def _take_room(tx: Transaction, track: otio.schema.Track, index: int, side: int, amount: int,
               rate: float, clip: otio.schema.Clip) -> None:
    """Shrink the gap beside ``index`` by ``amount`` frames or refuse with NoRoomError."""
    j = index + side
    if side > 0 and j >= len(track):
        return  # the end of the track: room enough
    if side < 0 and j < 0:
        raise NoRoomError(f"Clip '{clip.name}' starts the track; there is no room before it. "
                          "Use a ripple trim (Shift) to extend it.")
    neighbour = track[j]
    if not isinstance(neighbour, Gap) or item_frames(neighbour, rate) < amount:
        what = f"clip '{neighbour.name}'" if isinstance(neighbour, Clip) else "a transition"
        if isinstance(neighbour, Gap):
            what = f"the gap of only {_time(item_frames(neighbour, rate), rate)}"
        raise NoRoomError(f"No room to extend clip '{clip.name}': {what} is in the way. "
                          "Use a ripple trim (Shift) instead.")
    tx.set_range(neighbour, S.tr(0, item_frames(neighbour, rate) - amount, rate))


class Slip(Command):
    """Show a different part of the media without moving or resizing the clip."""

    text = "Slip"

    def __init__(self, clip: otio.schema.Clip, delta: int) -> None:
        super().__init__()
        self.clip, self.delta = clip, _check_frames(delta, "The slip")
        self.merge_key = ("slip", S.item_id(clip))

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        rate = _rate(project, _track_of(clip))
        src = clip.source_range
        start = S.frames_exact(src.start_time, rate) + self.delta * S.clip_speed(clip)
        tx.set_range(clip, S.tr(start, S.frames(src.duration, rate), rate))


class Roll(Command):
    """Move the cut after ``left`` by ``delta`` frames, trimming both sides of it."""

    text = "Roll"

    def __init__(self, left: Any, delta: int) -> None:
        super().__init__()
        self.left, self.delta = left, _check_frames(delta, "The roll")
        self.merge_key = ("roll", S.item_id(left))

    def build(self, project: Project, tx: Transaction) -> None:
        track = _track_of(self.left)
        rate = _rate(project, track)
        index = track.index(self.left)
        j = index + 1
        if j < len(track) and isinstance(track[j], Transition):
            j += 1
        if j >= len(track):
            raise InvalidEditError(f"'{_name(self.left)}' has nothing after it to roll into.")
        right = track[j]
        d = self.delta
        ldur, rdur = item_frames(self.left, rate), item_frames(right, rate)
        if ldur + d < 1 or rdur - d < 1:
            raise InvalidEditError("A roll cannot make either side shorter than one frame.")
        lstart = S.frames_exact(self.left.source_range.start_time, rate)
        tx.set_range(self.left, S.tr(lstart, ldur + d, rate))
        rstart = S.frames_exact(right.source_range.start_time, rate)
        rspeed = S.clip_speed(right) if isinstance(right, Clip) else 1.0
        rstart = rstart + d * rspeed if isinstance(right, Clip) else 0
        tx.set_range(right, S.tr(rstart, rdur - d, rate))


class SetSpeed(Command):
    """Change playback speed; the clip keeps its media and its length changes (ripple)."""

    text = "Change Speed"
    MIN, MAX = 0.1, 10.0

    def __init__(self, clip: otio.schema.Clip, speed: float) -> None:
        super().__init__()
        self.clip, self.speed = clip, float(speed)

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        if not self.MIN <= self.speed <= self.MAX:
            raise InvalidEditError(f"Speed must be between {self.MIN:g}× and {self.MAX:g}×.")
        track = _track_of(clip)
        rate = _rate(project, track)
        old = S.clip_speed(clip)
        dur = S.frames(clip.source_range.duration, rate)
        new_dur = max(1, round(dur * old / self.speed))
        end = slot_of(track, clip, rate).end
        ripple_sync_tracks(tx, project, track, end + min(new_dur - dur, 0), new_dur - dur)
        effects = [e for e in clip.effects if not isinstance(e, otio.schema.LinearTimeWarp)]
        if abs(self.speed - 1.0) > 1e-9:
            effects.append(otio.schema.LinearTimeWarp(name="speed", time_scalar=self.speed))
        tx.set_effects(clip, effects)
        tx.set_range(clip, S.tr(S.frames_exact(clip.source_range.start_time, rate), new_dur,
                                rate))


# --- transitions -----------------------------------------------------------------------------

def _cut_neighbours(track: otio.schema.Track, left: otio.schema.Clip) -> tuple[Any, Any]:
    index = track.index(left)
    if index + 1 >= len(track):
        raise TransitionError(f"Clip '{left.name}' is the last on its track; a transition "
                              "needs a clip on each side of a cut.")
    nxt = track[index + 1]
    existing = nxt if isinstance(nxt, Transition) else None
    right = track[index + 2] if existing is not None and index + 2 < len(track) else nxt
    if not isinstance(right, Clip):
        raise TransitionError(f"Clip '{left.name}' is not followed directly by another clip; "
                              "a transition needs a cut between two clips.")
    return existing, right


def _available_after(clip: otio.schema.Clip, dur: int, rate: float) -> float:
    bounds = media_bounds(clip, rate)
    if bounds is None or S.is_still(clip.media_reference):
        return float("inf")
    speed = S.clip_speed(clip)
    used_end = S.frames_exact(clip.source_range.start_time, rate) + dur * speed
    return (bounds[1] - used_end) / speed


def _available_before(clip: otio.schema.Clip, rate: float) -> float:
    bounds = media_bounds(clip, rate)
    if bounds is None or S.is_still(clip.media_reference):
        return float("inf")
    return (S.frames_exact(clip.source_range.start_time, rate) - bounds[0]) / S.clip_speed(clip)


def _shortfall(need: int, available: float) -> int:
    if available >= need:
        return 0
    return max(0, math.ceil(need - available - 1e-9))


def place_transition(tx: Transaction, track: otio.schema.Track, left: otio.schema.Clip,
                     kind: S.TransitionKind, frames_: int, rate: float, *,
                     direction: str, easing: str,
                     project: Project | None = None) -> Transition | None:
    """Put a transition on the cut after ``left``, trimming the clips to make room for
    handles they lack (the scene gets shorter by that overlap, like ffmpeg's xfade)."""
    existing, right = _cut_neighbours(track, left)
    if existing is not None:
        tx.remove(track, track.index(existing))
    if kind == S.TransitionKind.CUT or frames_ == 0:
        return None
    if frames_ < 0:
        raise TransitionError("A transition needs a positive duration.")
    a_in = frames_ // 2
    a_out = frames_ - a_in
    ldur, rdur = item_frames(left, rate), item_frames(right, rate)
    label = f"{_time(frames_, rate)} {kind.value}"
    if frames_ > ldur or frames_ > rdur:
        short = left if ldur < rdur else right
        raise TransitionTooLongError(
            f"The {label} is longer than clip '{short.name}' "
            f"({_time(min(ldur, rdur), rate)}). Shorten the transition.")
    if kind in S.KINDS_NEEDING_HANDLES:
        need_tail = _shortfall(a_out, _available_after(left, ldur, rate))
        need_head = _shortfall(a_in, _available_before(right, rate))
        if need_tail:
            start = S.frames_exact(left.source_range.start_time, rate)
            tx.set_range(left, S.tr(start, ldur - need_tail, rate))
        if need_head:
            start = S.frames_exact(right.source_range.start_time, rate)
            tx.set_range(right, S.tr(start + need_head * S.clip_speed(right), rdur - need_head,
                                     rate))
        if (need_tail or need_head) and project is not None:  # the track got shorter
            cut = slot_of(track, left, rate).end + need_tail
            ripple_sync_tracks(tx, project, track, cut - need_tail, -(need_tail + need_head))
        if need_tail or need_head:
            tx.notices.append(
                f"Made room for the {label}: clip '{left.name}' lost {_time(need_tail, rate)} at "
                f"its end and clip '{right.name}' {_time(need_head, rate)} at its start, so the "
                f"track is {_time(need_tail + need_head, rate)} shorter.")
    transition = S.new_transition(kind, a_in, a_out, rate, direction=direction, easing=easing)
    tx.insert(track, track.index(left) + 1, transition)
    return transition


class AddTransition(Command):
    """Add (or replace) the transition on the cut after ``left``."""

    def __init__(self, left: otio.schema.Clip, kind: str, seconds: float | None = None, *,
                 direction: str = "left", easing: str = "linear") -> None:
        super().__init__()
        self.left = left
        self.kind = S.TransitionKind(kind)
        self.seconds = S.DEFAULT_TRANSITION_SECONDS[self.kind] if seconds is None else seconds
        self.direction = S.Direction(direction).value
        self.easing = S.Easing(easing).value
        self.text = f"Add {self.kind.value.title()}"
        self.transition: Transition | None = None

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.left)
        track = _track_of(clip)
        if S.is_audio(track):
            raise TransitionError(f"Audio track '{track.name}' uses fades, not transitions.")
        rate = _rate(project, track)
        self.transition = place_transition(
            tx, track, clip, self.kind, S.seconds_to_frames(self.seconds, rate), rate,
            direction=self.direction, easing=self.easing, project=project)


class ChangeTransition(Command):
    """Change a transition's kind, duration, direction or easing."""

    text = "Change Transition"

    def __init__(self, transition: Transition, *, kind: str | None = None,
                 seconds: float | None = None, direction: str | None = None,
                 easing: str | None = None) -> None:
        super().__init__()
        self.transition = transition
        self.kind, self.seconds, self.direction, self.easing = kind, seconds, direction, easing
        self.merge_key = ("transition", S.item_id(transition), seconds is not None)

    def build(self, project: Project, tx: Transaction) -> None:
        tr_ = self.transition
        if not isinstance(tr_, Transition):
            raise InvalidEditError("Select a transition first.")
        track = _track_of(tr_)
        rate = _rate(project, track)
        kind = S.TransitionKind(self.kind) if self.kind else S.transition_kind(tr_)
        direction = self.direction or S.transition_direction(tr_).value
        easing = self.easing or S.transition_easing(tr_).value
        S.Direction(direction)
        S.Easing(easing)
        if self.seconds is None and kind == S.transition_kind(tr_) and kind != S.TransitionKind.CUT:
            tx.set_meta(tr_, "direction", direction)
            tx.set_meta(tr_, "easing", easing)
            return
        total = (S.frames(tr_.in_offset, rate) + S.frames(tr_.out_offset, rate)
                 if self.seconds is None else S.seconds_to_frames(self.seconds, rate))
        left = track[track.index(tr_) - 1]
        placed = place_transition(tx, track, left, kind, total, rate, direction=direction,
                                  easing=easing, project=project)
        if placed is not None:
            self.transition = placed


class RemoveTransition(RippleDelete):
    """Remove a transition; the clips keep their current trims."""

    text = "Remove Transition"


# --- clip properties -------------------------------------------------------------------------

class SetClipAudio(Command):
    """Volume (linear gain, 0–4), pan (-1 left … +1 right) and fades (seconds) of a clip."""

    text = "Change Audio"

    def __init__(self, clip: otio.schema.Clip, *, volume: float | None = None,
                 fade_in: float | None = None, fade_out: float | None = None,
                 pan: float | None = None) -> None:
        super().__init__()
        self.clip = clip
        self.values = {k: v for k, v in (("volume", volume), ("fade_in", fade_in),
                                         ("fade_out", fade_out), ("pan", pan)) if v is not None}
        self.merge_key = ("audio", S.item_id(clip), tuple(sorted(self.values)))
        if list(self.values) == ["volume"]:
            self.text = "Change Volume"
        elif self.values and set(self.values) <= {"fade_in", "fade_out"}:
            self.text = "Change Fade"

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        rate = _rate(project, _track_of(clip))
        length = S.frames(clip.source_range.duration, rate) / rate
        volume = self.values.get("volume")
        if volume is not None and not 0.0 <= volume <= 4.0:
            raise InvalidEditError("Volume must be between 0 (silent) and 4 (+12 dB).")
        pan = self.values.get("pan")
        if pan is not None and not -1.0 <= pan <= 1.0:
            raise InvalidEditError("Pan must be between -1 (left) and 1 (right).")
        fade_in = self.values.get("fade_in", S.get(clip, "fade_in", 0.0))
        fade_out = self.values.get("fade_out", S.get(clip, "fade_out", 0.0))
        if fade_in < 0 or fade_out < 0:
            raise InvalidEditError("Fades cannot be negative.")
        if fade_in + fade_out > length + 1e-9:
            raise InvalidEditError(f"Fades of {fade_in:.2f} s and {fade_out:.2f} s do not fit in "
                                   f"clip '{clip.name}' ({length:.2f} s).")
        for key, value in self.values.items():
            tx.set_meta(clip, key, float(value))


class SetClipEffects(Command):
    """Colour grade, LUT, stabilize, denoise, sharpen, fit mode and opacity of a clip."""

    text = "Change Effects"
    KEYS = ("grade", "lut", "grade_params", "stabilize", "denoise", "sharpen")
    CLIP_KEYS = ("fit", "opacity")  # stored on the clip itself, not in its effects

    def __init__(self, clip: otio.schema.Clip, **changes: Any) -> None:
        super().__init__()
        unknown = set(changes) - set(self.KEYS) - set(self.CLIP_KEYS)
        if unknown:
            raise InvalidEditError(f"Unknown effect setting: {', '.join(sorted(unknown))}.")
        self.clip, self.changes = clip, changes
        self.merge_key = ("effects", S.item_id(clip), tuple(sorted(changes)))

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        effects = dict(S.DEFAULT_CLIP_EFFECTS)
        effects.update(S.get(clip, "effects", {}) or {})
        for key, value in self.changes.items():
            if key == "fit":
                if value not in S.FIT_MODES:
                    raise InvalidEditError(f"Fit must be one of {', '.join(S.FIT_MODES)}.")
                tx.set_meta(clip, "fit", value)
                continue
            if key == "opacity":
                if not 0.0 <= float(value) <= 1.0:
                    raise InvalidEditError("Opacity must be between 0 and 1.")
                tx.set_meta(clip, "opacity", float(value))
                continue
            effects[key] = value
        if effects["grade"] not in S.GRADE_PRESETS:
            raise InvalidEditError(f"Unknown colour grade {effects['grade']!r}; choose one of "
                                   f"{', '.join(S.GRADE_PRESETS)}.")
        if not 0.0 <= float(effects["sharpen"]) <= 1.0:
            raise InvalidEditError("Sharpen amount must be between 0 and 1.")
        if effects["grade"] == "custom" and not (effects["lut"] or effects["grade_params"]):
            raise InvalidEditError("A custom grade needs a .cube LUT file or grade parameters.")
        if effects["lut"] and not str(effects["lut"]).lower().endswith(".cube"):
            raise InvalidEditError("LUT files must be .cube files.")
        effects["sharpen"] = float(effects["sharpen"])
        effects["stabilize"] = bool(effects["stabilize"])
        effects["denoise"] = bool(effects["denoise"])
        if any(k not in self.CLIP_KEYS for k in self.changes):
            tx.set_meta(clip, "effects", effects)


class RenameItem(Command):
    text = "Rename"

    def __init__(self, item: Any, name: str) -> None:
        super().__init__()
        self.item, self.name = item, name

    def build(self, project: Project, tx: Transaction) -> None:
        if not self.name.strip():
            raise InvalidEditError("A name cannot be empty.")
        tx.set_attr(self.item, "name", self.name.strip())
        if isinstance(self.item, otio.schema.Timeline):
            tx.touch_scene(self.item)
            tx.structure = True


# --- takes -------------------------------------------------------------------------------

class AddTake(Command):
    """Add a media reference as a new take of a clip and make it active."""

    text = "Add Take"

    def __init__(self, clip: otio.schema.Clip, reference: otio.schema.MediaReference,
                 key: str | None = None, *, activate: bool = True) -> None:
        super().__init__()
        self.clip, self.reference, self.key, self.activate = clip, reference, key, activate

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        refs = dict(clip.media_references())
        key = self.key or f"take{len(refs) + 1}"
        while key in refs:
            key += "'"
        self.key = key
        refs[key] = self.reference
        tx.set_takes(clip, refs, key if self.activate else clip.active_media_reference_key)
        if self.activate:
            _fit_to_take(tx, project, clip)


class SetActiveTake(Command):
    text = "Switch Take"

    def __init__(self, clip: otio.schema.Clip, key: str) -> None:
        super().__init__()
        self.clip, self.key = clip, key

    def build(self, project: Project, tx: Transaction) -> None:
        clip = _require_clip(self.clip)
        refs = dict(clip.media_references())
        if self.key not in refs:
            raise InvalidEditError(f"Clip '{clip.name}' has no take {self.key!r}; takes: "
                                   f"{', '.join(refs)}.")
        tx.set_takes(clip, refs, self.key)
        _fit_to_take(tx, project, clip)


def _fit_to_take(tx: Transaction, project: Project, clip: otio.schema.Clip) -> None:
    """Keep the clip inside its newly active media (shorter takes shorten the clip)."""
    track = _track_of(clip)
    rate = _rate(project, track)
    bounds = media_bounds(clip, rate)
    if bounds is None:
        return
    speed = S.clip_speed(clip)
    dur = S.frames(clip.source_range.duration, rate)
    start = S.frames_exact(clip.source_range.start_time, rate)
    if start < bounds[0] or start >= bounds[1]:
        start = bounds[0]
    fits = int((bounds[1] - start) // speed)
    if fits < dur:
        tx.notices.append(f"The new take is shorter; clip '{clip.name}' is now "
                          f"{_time(fits, rate)} long.")
        dur = fits
    tx.set_range(clip, S.tr(start, max(1, dur), rate))


class Relink(Command):
    """Point every clip that uses ``old_url`` at a new file (offline media)."""

    text = "Relink Media"

    def __init__(self, old_url: str, new_url: str, available: otio.opentime.TimeRange | None,
                 info: dict | None = None) -> None:
        super().__init__()
        self.old_url, self.new_url, self.available, self.info = old_url, new_url, available, info

    def build(self, project: Project, tx: Transaction) -> None:
        found = False
        for scene in project.scenes:
            for clip in scene.find_clips():
                for ref in clip.media_references().values():
                    if getattr(ref, "target_url", None) == self.old_url:
                        found = True
                        tx.set_attr(ref, "target_url", self.new_url)
                        tx.set_attr(ref, "available_range", self.available)
                        if self.info is not None:
                            tx.set_meta(ref, "media", self.info)
                        tx.touch_track(_track_of(clip))
        if not found:
            raise InvalidEditError(f"No clip uses {self.old_url!r}.")
        tx.topics.add("media")


# --- markers ---------------------------------------------------------------------------------

class AddMarker(Command):
    text = "Add Marker"

    def __init__(self, scene: otio.schema.Timeline, at: int, name: str = "",
                 color: str = "RED", note: str = "") -> None:
        super().__init__()
        self.scene, self.at, self.name, self.color, self.note = scene, at, name, color, note
        _check_frames(at, "The marker position")

    def build(self, project: Project, tx: Transaction) -> None:
        rate = S.scene_rate(self.scene)
        if self.at < 0:
            raise InvalidEditError("A marker cannot sit before the start of the scene.")
        color = self.color.upper()
        if not hasattr(otio.schema.MarkerColor, color):
            raise InvalidEditError(f"Unknown marker colour {self.color!r}.")
        name = self.name or f"Marker {len(self.scene.tracks.markers) + 1}"
        marker = otio.schema.Marker(name=name, marked_range=S.tr(self.at, 0, rate),
                                    color=getattr(otio.schema.MarkerColor, color))
        if self.note:
            marker.metadata[S.NS] = {"note": self.note}
        markers = sorted(list(self.scene.tracks.markers) + [marker],
                         key=lambda m: m.marked_range.start_time.value)
        tx.set_markers(self.scene.tracks, markers)
        tx.touch_scene(self.scene)
        tx.topics.add("markers")


class RemoveMarker(Command):
    text = "Remove Marker"

    def __init__(self, scene: otio.schema.Timeline, marker: otio.schema.Marker) -> None:
        super().__init__()
        self.scene, self.marker = scene, marker

    def build(self, project: Project, tx: Transaction) -> None:
        markers = [m for m in self.scene.tracks.markers if m is not self.marker]
        if len(markers) == len(self.scene.tracks.markers):
            raise InvalidEditError("That marker is not in this scene.")
        tx.set_markers(self.scene.tracks, markers)
        tx.touch_scene(self.scene)
        tx.topics.add("markers")


# --- tracks and scenes --------------------------------------------------------------------------

class AddTrack(Command):
    def __init__(self, scene: otio.schema.Timeline, kind: str, name: str | None = None,
                 role: str | None = None, index: int | None = None) -> None:
        super().__init__()
        if kind not in ("video", "audio"):
            raise InvalidEditError("A track is either video or audio.")
        self.scene, self.kind, self.name, self.role, self.index = scene, kind, name, role, index
        self.text = f"Add {kind.title()} Track"
        self.track: otio.schema.Track | None = None

    def build(self, project: Project, tx: Transaction) -> None:
        same = [t for t in self.scene.tracks if S.is_audio(t) == (self.kind == "audio")]
        prefix = "A" if self.kind == "audio" else "V"
        taken = {t.name for t in self.scene.tracks}
        number = len(same) + 1
        while f"{prefix}{number}" in taken:
            number += 1
        name = (self.name or "").strip() or f"{prefix}{number}"
        try:
            self.track = S.new_track(self.kind, name, self.role)
        except ValueError as exc:
            raise InvalidEditError(str(exc)) from None
        index = len(self.scene.tracks) if self.index is None else self.index
        tx.insert(self.scene.tracks, index, self.track)
        tx.touch_scene(self.scene)


class RemoveTrack(Command):
    text = "Remove Track"

    def __init__(self, track: otio.schema.Track) -> None:
        super().__init__()
        self.track = track

    def build(self, project: Project, tx: Transaction) -> None:
        scene = project.scene_of(self.track)
        if S.track_flag(self.track, "locked"):
            raise EditError(f"Track '{self.track.name}' is locked. Unlock it to remove it.")
        tx.remove(scene.tracks, scene.tracks.index(self.track))
        tx.touch_scene(scene)


class SetTrackFlags(Command):
    """Lock, mute, solo, role or height of a track (allowed on locked tracks)."""

    text = "Change Track"
    FLAGS = ("locked", "muted", "solo", "height", "role", "sync_lock")

    def __init__(self, track: otio.schema.Track, **flags: Any) -> None:
        super().__init__()
        bad = set(flags) - set(self.FLAGS)
        if bad:
            raise InvalidEditError(f"Unknown track setting: {', '.join(sorted(bad))}.")
        self.track, self.flags = track, flags
        if list(flags) == ["locked"]:
            self.text = "Lock Track" if flags["locked"] else "Unlock Track"
        elif list(flags) == ["sync_lock"]:
            self.text = "Sync Lock On" if flags["sync_lock"] else "Sync Lock Off"

    def build(self, project: Project, tx: Transaction) -> None:
        for key, value in self.flags.items():
            if key == "role":
                role = S.TrackRole(value)
                if S.is_audio(self.track) != (role in S.AUDIO_ROLES):
                    raise InvalidEditError("Audio tracks take dialogue, music or sfx roles.")
                value = role.value
            elif key == "height":
                value = int(value)
            else:
                value = bool(value)
            tx.set_meta(self.track, key, value)


class MoveTrack(Command):
    """Put a track at another position among the scene's tracks (video tracks stack
    bottom-up in document order: a later video track covers an earlier one)."""

    text = "Move Track"

    def __init__(self, track: otio.schema.Track, index: int) -> None:
        super().__init__()
        self.track, self.index = track, index

    def build(self, project: Project, tx: Transaction) -> None:
        scene = project.scene_of(self.track)
        tracks = scene.tracks
        old = tracks.index(self.track)
        index = min(max(0, self.index), len(tracks) - 1)
        if index == old:
            raise InvalidEditError(f"Track '{self.track.name}' is already there.")
        tx.remove(tracks, old)
        tx.insert(tracks, index, self.track)
        tx.touch_scene(scene)


def unique_scene_name(project: Project, base: str) -> str:
    return unique_name(base, (s.name for s in project.scenes))


def _scene_index(project: Project, scene: otio.schema.Timeline) -> int:
    for i, item in enumerate(project.collection):
        if item is scene:
            return i
    raise InvalidEditError(f"Scene '{scene.name}' is not in this project.")


class AddScene(Command):
    text = "Add Scene"

    def __init__(self, name: str, fps: float = S.DEFAULT_FPS,
                 size: tuple[int, int] = S.DEFAULT_SIZE, max_clips: int = S.DEFAULT_MAX_CLIPS,
                 with_tracks: bool = True, index: int | None = None) -> None:
        super().__init__()
        self.name, self.fps, self.size, self.max_clips = name, fps, size, max_clips
        self.with_tracks, self.index = with_tracks, index
        self.scene: otio.schema.Timeline | None = None

    def build(self, project: Project, tx: Transaction) -> None:
        self.name = (self.name or "").strip()
        if not self.name:
            raise InvalidEditError("A scene needs a name.")
        if any(s.name == self.name for s in project.scenes):
            raise InvalidEditError(f"There is already a scene named {self.name!r}.")
        from .document_check import scene_settings_problem

        problem = scene_settings_problem(self.fps, self.size)  # else the file won't reopen
        if problem:
            raise InvalidEditError(problem)
        scene = S.new_scene(self.name, self.fps, self.size, self.max_clips)
        if self.with_tracks:
            scene.tracks.append(S.new_track("video", "V1"))
            scene.tracks.append(S.new_track("audio", "Dialogue", S.TrackRole.DIALOGUE))
            scene.tracks.append(S.new_track("audio", "Music", S.TrackRole.MUSIC))
        self.scene = scene
        coll = project.collection
        index = len(coll) if self.index is None else min(max(0, self.index), len(coll))
        tx.insert(coll, index, scene)
        tx.touch_scene(scene)

    @classmethod
    def like(cls, project: Project, scene: otio.schema.Timeline, name: str,
             **kwargs: Any) -> AddScene:
        """A new scene with ``scene``'s frame rate, size and clip limit."""
        return cls(name, S.scene_rate(scene), S.scene_size(scene), S.scene_max_clips(scene),
                   **kwargs)


class RemoveScene(Command):
    text = "Remove Scene"

    def __init__(self, scene: otio.schema.Timeline) -> None:
        super().__init__()
        self.scene = scene

    def build(self, project: Project, tx: Transaction) -> None:
        if len(project.scenes) <= 1:
            raise InvalidEditError("A project keeps at least one scene; add another before "
                                   f"deleting '{self.scene.name}'.")
        tx.remove(project.collection, _scene_index(project, self.scene))


class MoveScene(Command):
    """Reorder the scenes: ``scene`` goes to position ``index`` among them."""

    text = "Move Scene"

    def __init__(self, scene: otio.schema.Timeline, index: int) -> None:
        super().__init__()
        self.scene, self.index = scene, index

    def build(self, project: Project, tx: Transaction) -> None:
        scenes = project.scenes
        if not any(s is self.scene for s in scenes):
            raise InvalidEditError(f"Scene '{self.scene.name}' is not in this project.")
        index = min(max(0, self.index), len(scenes) - 1)
        others = [s for s in scenes if s is not self.scene]
        if others[:index] + [self.scene] + others[index:] == scenes:
            raise InvalidEditError(f"Scene '{self.scene.name}' is already there.")
        coll = project.collection
        tx.remove(coll, _scene_index(project, self.scene))
        # the collection may hold non-scene children: go by the scene now at ``index``
        at = _scene_index(project, others[index]) if index < len(others) else len(coll)
        tx.insert(coll, at, self.scene)
        tx.touch_scene(self.scene)


def _fresh_ids(scene: otio.schema.Timeline) -> None:
    """New ids for a copied scene and everything in it (copies are separate objects)."""
    S.assign_ids(scene, fresh=True)


class DuplicateScene(Command):
    """A copy of a scene (its tracks, clips, transitions and markers) after it."""

    text = "Duplicate Scene"

    def __init__(self, scene: otio.schema.Timeline, name: str | None = None) -> None:
        super().__init__()
        self.source, self.name = scene, name
        self.scene: otio.schema.Timeline | None = None

    def build(self, project: Project, tx: Transaction) -> None:
        index = _scene_index(project, self.source)
        name = (self.name or "").strip() or unique_scene_name(project,
                                                              f"{self.source.name} copy")
        if any(s.name == name for s in project.scenes):
            raise InvalidEditError(f"There is already a scene named {name!r}.")
        scene = self.source.clone()
        scene.name = name
        _fresh_ids(scene)
        self.scene = scene
        tx.insert(project.collection, index + 1, scene)
        tx.touch_scene(scene)


class ClipsToNewScene(Command):
    """Move (or copy) clips into a new scene after theirs, keeping their tracks and their
    timing relative to the first of them; moved clips leave gaps behind."""

    def __init__(self, clips: list[otio.schema.Clip], name: str | None = None, *,
                 copy: bool = False) -> None:
        super().__init__()
        self.clips, self.name, self.copy = list(clips), name, copy
        self.text = "Copy Clips to New Scene" if copy else "Move Clips to New Scene"
        self.scene: otio.schema.Timeline | None = None

    def build(self, project: Project, tx: Transaction) -> None:
        clips = [_require_clip(c) for c in self.clips]
        if not clips:
            raise InvalidEditError("Select the clips to put in the new scene first.")
        source = project.scene_of(_track_of(clips[0]))
        if any(project.scene_of(_track_of(c)) is not source for c in clips):
            raise InvalidEditError("Select clips of one scene.")
        rate = S.scene_rate(source)
        placed = []  # (track index, start, clip)
        for clip in clips:
            track = _track_of(clip)
            placed.append((source.tracks.index(track), slot_of(track, clip, rate).start, clip))
        first = min(start for _, start, _ in placed)
        name = (self.name or "").strip() or unique_scene_name(project, f"{source.name} part")
        add = AddScene.like(project, source, name, with_tracks=False,
                            index=_scene_index(project, source) + 1)
        add.build(project, tx)
        scene = self.scene = add.scene
        assert scene is not None
        for track in source.tracks:
            copy_ = S.new_track("audio" if S.is_audio(track) else "video", track.name,
                                S.track_role(track))
            for key in ("locked", "muted", "solo", "height", "sync_lock"):
                if key in S.ns(track):
                    S.ns(copy_)[key] = S.get(track, key)
            S.ns(copy_)["locked"] = False
            tx.insert(scene.tracks, len(scene.tracks), copy_)
        for index, start, clip in sorted(placed, key=lambda p: (p[0], p[1])):
            track = _track_of(clip)
            if self.copy:
                moved = clip.clone()
                S.assign_ids(moved, fresh=True)
            else:
                moved = clip
                slot = slot_of(track, clip, rate)
                tx.remove(track, slot.index)
                tx.insert(track, slot.index, S.new_gap(slot.duration, rate))
            target = scene.tracks[index]
            at = start - first
            end = track_end(target, rate)
            if at > end:
                tx.insert(target, len(target), S.new_gap(at - end, rate))
            tx.insert(target, len(target), moved)


class SetProjectMeta(Command):
    """Project-level Aladdin metadata such as the media bin."""

    def __init__(self, key: str, value: Any, text: str = "Change Project") -> None:
        super().__init__()
        self.key, self.value, self.text = key, value, text

    def build(self, project: Project, tx: Transaction) -> None:
        tx.set_meta(project.collection, self.key, self.value)
        tx.topics.add(self.key)


class Macro(Command):
    """Several commands as one undo step; if one is refused, none applies."""

    def __init__(self, text: str, commands: list[Command]) -> None:
        super().__init__()
        self.text, self.commands = text, commands
        self.enforce_clip_limit = any(c.enforce_clip_limit for c in commands)

    def build(self, project: Project, tx: Transaction) -> None:
        for command in self.commands:
            command.build(project, tx)
