"""Aladdin's conventions on top of plain OpenTimelineIO objects.

The document is ordinary OTIO: a ``SerializableCollection`` of scenes, each an
``otio.schema.Timeline``. Everything Aladdin adds lives in ``metadata["aladdin"]``
so plain OTIO tools read the file and keep our data.

Time convention: every range in a scene is expressed at the scene's frame rate
with whole frames for positions and durations. A clip's ``source_range`` holds
the media in-point (``start_time``) and the clip's duration *on the timeline*
(``duration``); with a speed change (``LinearTimeWarp``) the clip consumes
``duration * speed`` of media.
"""

from __future__ import annotations

import copy
import enum
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import opentimelineio as otio

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange

NS = "aladdin"
SCHEMA_VERSION = 2  # 2: every scene, track, clip, transition, marker and take has an id
DEFAULT_FPS = 24
DEFAULT_SIZE = (1920, 1080)
DEFAULT_MAX_CLIPS = 10


class TrackRole(enum.StrEnum):
    VIDEO = "video"
    DIALOGUE = "dialogue"
    MUSIC = "music"
    SFX = "sfx"


AUDIO_ROLES = (TrackRole.DIALOGUE, TrackRole.MUSIC, TrackRole.SFX)


class TransitionKind(enum.StrEnum):
    CUT = "cut"
    FADE = "fade"
    DISSOLVE = "dissolve"
    WIPE = "wipe"
    SLIDE = "slide"


class Direction(enum.StrEnum):
    LEFT = "left"
    RIGHT = "right"
    UP = "up"
    DOWN = "down"


class Easing(enum.StrEnum):
    LINEAR = "linear"
    EASE_IN = "ease-in"
    EASE_OUT = "ease-out"
    EASE_IN_OUT = "ease-in-out"


# The design doc's default transition durations, in seconds.
DEFAULT_TRANSITION_SECONDS = {
    TransitionKind.CUT: 0.0,
    TransitionKind.FADE: 0.5,
    TransitionKind.DISSOLVE: 1.0,
    TransitionKind.WIPE: 0.75,
    TransitionKind.SLIDE: 0.75,
}

# Kinds that show both neighbours at once and so need unused media (handles).
KINDS_NEEDING_HANDLES = (TransitionKind.DISSOLVE, TransitionKind.WIPE, TransitionKind.SLIDE)

GRADE_PRESETS = ("none", "natural", "cinematic", "warm", "cool", "high-contrast", "custom")
FIT_MODES = ("fit", "fill")

DEFAULT_CLIP_EFFECTS: dict[str, Any] = {
    "grade": "none",
    "lut": None,
    "grade_params": {},
    "stabilize": False,
    "denoise": False,
    "sharpen": 0.0,
}


# --- metadata ---------------------------------------------------------------

def to_py(value: Any) -> Any:
    """Convert OTIO AnyDictionary/AnyVector values to plain Python containers."""
    if isinstance(value, (dict, otio._otio.AnyDictionary)):
        return {k: to_py(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, otio._otio.AnyVector)):
        return [to_py(v) for v in value]
    return value


def ns(obj: Any) -> Any:
    """The object's ``metadata["aladdin"]`` dictionary, created on first use."""
    md = obj.metadata
    if NS not in md:
        md[NS] = {}
    return md[NS]


def get(obj: Any, key: str, default: Any = None) -> Any:
    md = obj.metadata
    if NS not in md:
        return copy.deepcopy(default)
    value = md[NS].get(key, default)
    return to_py(value) if value is not default else copy.deepcopy(default)


def is_still(ref: Any) -> bool:
    """Whether a media reference is a still image (probed at import)."""
    md = ref.metadata
    if NS not in md or "media" not in md[NS]:
        return False
    return bool(md[NS]["media"].get("is_still", False))


def new_id() -> str:
    return uuid.uuid4().hex[:12]


# --- stable ids ----------------------------------------------------------------
# Every scene, track, clip, transition, marker and take (media reference) carries an id in
# ``metadata["aladdin"]["id"]``, unique in the project: commands, the API and the director
# address items by it (``Project.find``). Copies (split, duplicate, paste) get new ids.


def item_id(obj: Any) -> str:
    """``obj``'s stable id, given one first if it has none."""
    md = ns(obj)
    if not md.get("id"):
        md["id"] = new_id()
    return str(md["id"])


def addressable(root: Any) -> Iterator[Any]:
    """Every object with a stable id under ``root`` (a collection, scene, track or clip), in
    document order: scenes, their tracks, items (clips, transitions), markers and takes."""
    if isinstance(root, otio.schema.SerializableCollection):
        for child in root:
            if isinstance(child, otio.schema.Timeline):
                yield from addressable(child)
    elif isinstance(root, otio.schema.Timeline):
        yield root
        yield from root.tracks.markers
        for track in root.tracks:
            yield from addressable(track)
    elif isinstance(root, otio.schema.Track):
        yield root
        yield from root.markers
        for item in root:
            if isinstance(item, otio.schema.Clip | otio.schema.Transition):
                yield from addressable(item)
    elif isinstance(root, otio.schema.Clip):
        yield root
        yield from root.markers
        yield from root.media_references().values()
    elif isinstance(root, otio.schema.Transition | otio.schema.Marker):
        yield root


def assign_ids(root: Any, *, fresh: bool = False, taken: set[str] | None = None) -> int:
    """Give every object under ``root`` (see :func:`addressable`) an id: missing ones and
    repeats of an id met earlier (or in ``taken``) get a new one; ``fresh`` renews all (a
    copy). Returns how many were assigned."""
    seen = taken if taken is not None else set()
    count = 0
    for obj in addressable(root):
        current = get(obj, "id")
        if fresh or not current or current in seen:
            current = ns(obj)["id"] = new_id()
            count += 1
        seen.add(str(current))
    return count


# --- time ---------------------------------------------------------------------

def rt(frames: float, rate: float) -> otio.opentime.RationalTime:
    return RT(frames, rate)


def tr(start: float, duration: float, rate: float) -> otio.opentime.TimeRange:
    return TR(RT(start, rate), RT(duration, rate))


def frames(t: otio.opentime.RationalTime, rate: float) -> int:
    """Whole frames of ``t`` at ``rate`` (rounded to nearest)."""
    if t.rate == rate:
        return int(round(t.value))
    return int(round(t.rescaled_to(rate).value))


def frames_exact(t: otio.opentime.RationalTime, rate: float) -> float:
    return t.value if t.rate == rate else t.rescaled_to(rate).value


def seconds_to_frames(seconds: float, rate: float) -> int:
    return int(round(seconds * rate))


# --- scene, track, clip accessors -----------------------------------------

def scene_rate(scene: otio.schema.Timeline) -> float:
    return float(get(scene, "fps", DEFAULT_FPS))


def scene_size(scene: otio.schema.Timeline) -> tuple[int, int]:
    w, h = get(scene, "size", list(DEFAULT_SIZE))
    return int(w), int(h)


def scene_max_clips(scene: otio.schema.Timeline) -> int:
    return int(get(scene, "max_clips", DEFAULT_MAX_CLIPS))


def track_role(track: otio.schema.Track) -> TrackRole:
    default = "video" if track.kind == otio.schema.TrackKind.Video else "dialogue"
    return TrackRole(get(track, "role", default))


def is_audio(track: otio.schema.Track) -> bool:
    return track.kind == otio.schema.TrackKind.Audio


def track_flag(track: otio.schema.Track, name: str) -> bool:
    return bool(get(track, name, False))


def sync_locked(track: otio.schema.Track, scene: otio.schema.Timeline | None = None) -> bool:
    """Whether ripple edits on other tracks keep this track in sync. Unless set on the
    track, audio tracks are locked to the pictures above them and video tracks are not."""
    value = get(track, "sync_lock")
    if value is not None:
        return bool(value)
    if not is_audio(track):
        return False
    return scene is None or any(not is_audio(t) for t in scene.tracks)


def clip_speed(clip: otio.schema.Clip) -> float:
    for effect in clip.effects:
        if isinstance(effect, otio.schema.LinearTimeWarp):
            return float(effect.time_scalar)
    return 1.0


def clip_id(item: Any) -> str:
    return get(item, "id", "")


def transition_kind(tr_: otio.schema.Transition) -> TransitionKind:
    kind = get(tr_, "kind")
    if kind:
        return TransitionKind(kind)
    # OTIO's standard transition type, written by other tools.
    return TransitionKind.DISSOLVE


def transition_direction(tr_: otio.schema.Transition) -> Direction:
    return Direction(get(tr_, "direction", "left"))


def transition_easing(tr_: otio.schema.Transition) -> Easing:
    return Easing(get(tr_, "easing", "linear"))


# --- factories -----------------------------------------------------------------

def new_project_collection(name: str) -> otio.schema.SerializableCollection:
    coll = otio.schema.SerializableCollection(name=name)
    # "id": the project's identity in published keys and the media library (stays when the
    # bundle is moved; older projects fall back to one derived from their location).
    coll.metadata[NS] = {"schema_version": SCHEMA_VERSION, "app": "aladdin-studio",
                         "id": new_id()}
    return coll


def new_scene(name: str, fps: float = DEFAULT_FPS, size: tuple[int, int] = DEFAULT_SIZE,
              max_clips: int = DEFAULT_MAX_CLIPS) -> otio.schema.Timeline:
    scene = otio.schema.Timeline(name=name)
    scene.metadata[NS] = {"id": new_id(), "fps": fps, "size": list(size), "max_clips": max_clips}
    return scene


def new_track(kind: str, name: str, role: TrackRole | str | None = None) -> otio.schema.Track:
    otio_kind = otio.schema.TrackKind.Audio if kind == "audio" else otio.schema.TrackKind.Video
    track = otio.schema.Track(name=name, kind=otio_kind)
    role = TrackRole(role or ("video" if kind == "video" else "dialogue"))
    if kind == "audio" and role not in AUDIO_ROLES:
        raise ValueError(f"audio track role must be one of {[r.value for r in AUDIO_ROLES]}")
    track.metadata[NS] = {"id": new_id(), "role": role.value, "locked": False, "muted": False,
                          "solo": False}
    return track


def new_reference(path_or_url: str, *, duration_frames: float | None, rate: float,
                  start_frames: float = 0.0, info: dict | None = None,
                  provenance: dict | None = None) -> otio.schema.ExternalReference:
    available = None if duration_frames is None else tr(start_frames, duration_frames, rate)
    ref = otio.schema.ExternalReference(target_url=path_or_url, available_range=available)
    md: dict[str, Any] = {"id": new_id()}
    if info:
        md["media"] = info
    if provenance:
        md["provenance"] = provenance
    ref.metadata[NS] = md
    return ref


def new_clip(name: str, reference: otio.schema.MediaReference, *, start: float, duration: int,
             rate: float, take_key: str = "take1", audio: bool = False) -> otio.schema.Clip:
    clip = otio.schema.Clip(name=name, source_range=tr(start, duration, rate))
    clip.set_media_references({take_key: reference}, take_key)
    md: dict[str, Any] = {"id": new_id(), "fit": "fit"}
    if audio:
        md.update({"volume": 1.0, "fade_in": 0.0, "fade_out": 0.0})
    else:
        md["effects"] = copy.deepcopy(DEFAULT_CLIP_EFFECTS)
        md["volume"] = 1.0
    clip.metadata[NS] = md
    return clip


def new_gap(duration: int, rate: float) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=tr(0, duration, rate))


def new_transition(kind: TransitionKind | str, in_frames: int, out_frames: int, rate: float, *,
                   direction: Direction | str = Direction.LEFT,
                   easing: Easing | str = Easing.LINEAR) -> otio.schema.Transition:
    kind = TransitionKind(kind)
    otio_type = (otio.schema.TransitionTypes.SMPTE_Dissolve if kind == TransitionKind.DISSOLVE
                 else otio.schema.TransitionTypes.Custom)
    transition = otio.schema.Transition(
        name=kind.value, transition_type=otio_type,
        in_offset=rt(in_frames, rate), out_offset=rt(out_frames, rate))
    transition.metadata[NS] = {"id": new_id(), "kind": kind.value,
                               "direction": Direction(direction).value,
                               "easing": Easing(easing).value}
    return transition


# --- schema migration ------------------------------------------------------------

MIGRATIONS: dict[int, Callable[[otio.schema.SerializableCollection], None]] = {}


def migration(from_version: int):
    """Register a function that upgrades a collection from ``from_version`` by one."""
    def register(fn):
        MIGRATIONS[from_version] = fn
        return fn
    return register


@migration(0)
def _v0_to_v1(coll: otio.schema.SerializableCollection) -> None:
    """Version 0 is a plain OTIO file: give scenes and tracks Aladdin metadata."""
    for scene in coll:
        if not isinstance(scene, otio.schema.Timeline):
            continue
        md = ns(scene)
        if "fps" not in md:
            md["fps"] = _guess_rate(scene)
        md.setdefault("size", list(DEFAULT_SIZE))
        md.setdefault("max_clips", DEFAULT_MAX_CLIPS)
        md.setdefault("id", new_id())
        for track in scene.tracks:
            tmd = ns(track)
            tmd.setdefault("role", "dialogue" if is_audio(track) else "video")
            for key in ("locked", "muted", "solo"):
                tmd.setdefault(key, False)
            for item in track:
                if isinstance(item, otio.schema.Clip):
                    ns(item).setdefault("id", new_id())


@migration(1)
def _v1_to_v2(coll: otio.schema.SerializableCollection) -> None:
    """Stable ids for every scene, track, clip, transition, marker and take (scenes and
    clips had some; repeats from copies are renewed)."""
    assign_ids(coll)


def _guess_rate(scene: otio.schema.Timeline) -> float:
    for clip in scene.find_clips():
        if clip.source_range is not None:
            return float(clip.source_range.duration.rate)
    return float(DEFAULT_FPS)


def migrate(coll: otio.schema.SerializableCollection) -> int:
    """Bring ``coll`` up to SCHEMA_VERSION in place; returns the version it had."""
    md = ns(coll)
    version = int(md.get("schema_version", 0))
    start = version
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](coll)
        version += 1
    md["schema_version"] = SCHEMA_VERSION
    md.setdefault("app", "aladdin-studio")
    return start
