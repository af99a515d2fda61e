"""What the preview keeps between two :func:`render.plan.build_plan` calls of one scene.

The player re-plans its scene after every edit. Reading a clip's settings from OTIO costs
~0.2 ms, so planning a 1,000-clip scene from scratch took ~200 ms of the GUI thread per edit.
With a :class:`PlanMemo` a build reuses:

* a whole track's plan (its segments and its clips' sound) while the track, its items and
  their active takes show no recorded change: same layout version
  (``transaction.bump``), same items, same change counts (``transaction.change_count``:
  every recorded edit, undo and redo of an object's attributes, metadata, effects or takes
  bumps it), and none of its offline media has come back;
* on a changed track, each clip's plan while the clip and its take have no recorded change
  (a clip that only moved gets a copy at its new place);
* for a clip plan the build yields again (same object): its on-screen segment while its span
  is the same, and its sound while it is not next to a transition (``segments``/``sounds``,
  filled by ``render.plan``).

Media paths found online are kept (an edit that changes a clip's media changes its URL;
a project moved elsewhere needs :meth:`PlanMemo.clear`); offline ones are looked up on every
build, so media that comes back shows. Entries not used
by a build are dropped. Not thread-safe: one memo per caller, used on the thread that edits
the document (only it may read OTIO while edits happen).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import opentimelineio as otio

from aladdin_studio.timeline.layout import layout
from aladdin_studio.timeline.transaction import change_count

PathOf = Callable[[str], "str | None"]


def moved(plan: Any, **changes: Any) -> Any:
    """A copy of the frozen dataclass ``plan`` with ``changes`` (``dataclasses.replace``
    runs ``__init__``: ~10x slower, and a ripple moves hundreds of clips)."""
    new = object.__new__(type(plan))
    new.__dict__.update(plan.__dict__)
    new.__dict__.update(changes)
    return new


def make(cls: type, **fields: Any) -> Any:
    """``cls(**fields)`` for a frozen dataclass given *every* field, without its
    ``__init__`` (one ``object.__setattr__`` per field: 5x slower)."""
    if len(fields) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__}: every field is needed, got {sorted(fields)}")
    new = object.__new__(cls)
    new.__dict__.update(fields)
    return new


def _signature(track: otio.schema.Track, rate: float) -> list[tuple[int, ...]]:
    """Identity and change counts of a track's items and their active takes."""
    out: list[tuple[int, ...]] = []
    for slot in layout(track, rate):
        item = slot.item
        if isinstance(item, otio.schema.Clip):
            ref = item.media_reference
            out.append((id(item), change_count(item), id(ref), change_count(ref)))
        else:
            out.append((id(item), change_count(item)))
    return out


class PlanMemo:
    """Plans of the previous build of one scene (see the module docstring)."""

    def __init__(self) -> None:
        self._clips: dict[int, tuple[Any, ...]] = {}
        self._fresh_clips: dict[int, tuple[Any, ...]] = {}
        self._tracks: dict[int, tuple[Any, ...]] = {}
        self._fresh_tracks: dict[int, tuple[Any, ...]] = {}
        self._collecting: dict[int, tuple[Any, ...]] | None = None
        self._paths: dict[str, str | None] = {}
        self._last: tuple[Any, Any] = (None, None)  # (clip, key) of the latest lookup
        # Derived from one clip plan (by its id; the entry holds the plan): its on-screen
        # segment (plan, start, end, segment) and, outside transitions, its sound (plan,
        # sound). An edit that moves no clip reuses them instead of making 2,000 objects.
        self.segments: dict[int, tuple[Any, ...]] = {}
        self.fresh_segments: dict[int, tuple[Any, ...]] = {}
        self.sounds: dict[int, tuple[Any, Any]] = {}
        self.fresh_sounds: dict[int, tuple[Any, Any]] = {}

    # ------------------------------------------------------------------ a build

    def begin(self) -> dict[str, str | None]:
        """Start a build; returns the media paths to reuse (the online ones), which the
        build fills in."""
        self._fresh_clips, self._fresh_tracks = {}, {}
        self.fresh_segments, self.fresh_sounds = {}, {}
        self._paths = {url: path for url, path in self._paths.items() if path is not None}
        return self._paths

    def end(self) -> None:
        self._clips, self._fresh_clips = self._fresh_clips, {}
        self._tracks, self._fresh_tracks = self._fresh_tracks, {}
        self.segments, self.fresh_segments = self.fresh_segments, {}
        self.sounds, self.fresh_sounds = self.fresh_sounds, {}
        self._collecting = None

    def clear(self) -> None:
        """Forget everything (another scene or project; media looked up again)."""
        self._clips, self._fresh_clips = {}, {}
        self._tracks, self._fresh_tracks = {}, {}
        self.segments, self.fresh_segments, self.sounds, self.fresh_sounds = {}, {}, {}, {}
        self._collecting = None
        self._paths = {}

    # ------------------------------------------------------------------ tracks

    def _track_key(self, track: otio.schema.Track, key: tuple) -> tuple:
        return (getattr(track, "_aladdin_version", 0), change_count(track), *key)

    def track(self, track: otio.schema.Track, key: tuple, path_of: PathOf) -> Any:
        """The result kept for ``track`` under ``key`` (whose last element is the scene
        rate) if nothing on the track changed since, else None."""
        entry = self._tracks.get(id(track))
        if entry is None or entry[0] is not track or entry[1] != self._track_key(track, key):
            return None
        _, _, signature, offline, clips, result = entry
        if any(path_of(url) is not None for url in offline):
            return None  # media came back
        if _signature(track, key[-1]) != signature:
            return None
        self._fresh_tracks[id(track)] = entry
        self._fresh_clips.update(clips)
        return result

    def start_track(self) -> None:
        """The clips kept from here on belong to the track about to be built."""
        self._collecting = {}

    def keep_track(self, track: otio.schema.Track, key: tuple, result: Any,
                   path_of: PathOf) -> None:
        clips = self._collecting or {}
        self._collecting = None
        offline = {entry[2].url for entry in clips.values() if entry[2].path is None}
        self._fresh_tracks[id(track)] = (track, self._track_key(track, key),
                                         _signature(track, key[-1]), offline, clips, result)

    # ------------------------------------------------------------------ clips

    @staticmethod
    def _clip_key(clip: otio.schema.Clip, extra: tuple) -> tuple:
        ref = clip.media_reference
        return (ref, change_count(clip), change_count(ref), *extra)

    def clip(self, clip: otio.schema.Clip, extra: tuple, path_of: PathOf) -> Any:
        """The plan kept for ``clip`` under ``extra`` (rate, …) if neither the clip nor its
        take changed since and its offline media has not come back, else None. (A media
        path changes only with the URL, i.e. with a recorded change of the take.)"""
        entry = self._clips.get(id(clip))
        if entry is None or entry[0] is not clip:
            return None
        old, new = entry[1], self._clip_key(clip, extra)
        self._last = (clip, new)  # keep_clip reuses it
        if old[0] is not new[0] or old[1:] != new[1:]:
            return None
        plan = entry[2]
        if plan.path is None and path_of(plan.url) is not None:
            return None
        return plan

    def keep_clip(self, clip: otio.schema.Clip, extra: tuple, plan: Any) -> None:
        """Keep ``plan`` (it has the clip's ``url`` and ``path``) for ``clip``."""
        # The clip itself is held, so its id() is not reused while the entry lives.
        last = self._last
        key = last[1] if last[0] is clip else self._clip_key(clip, extra)
        self._last = (None, None)
        entry = (clip, key, plan)
        self._fresh_clips[id(clip)] = entry
        if self._collecting is not None:
            self._collecting[id(clip)] = entry

