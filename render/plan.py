"""A scene of the timeline document, flattened into what the renderer needs.

:func:`build_plan` walks one OTIO scene once and produces plain, hashable data: per video
track a sorted list of non-overlapping *segments* (a clip on its own, or a transition
between two clips), and a flat list of audio clips placed in samples at 48 kHz. The
compositor, the audio mixer, the preview and the export all read this plan, never the
OTIO objects, so a render in a worker process needs only the serialized document.

Timeline positions are whole frames at the scene rate; media positions are seconds from
the first frame/sample of the file (what :class:`render.decode.VideoSource` expects).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio

from aladdin_studio.errors import AladdinError, ErrorKind
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.layout import layout, track_end
from aladdin_studio.timeline.subtitle_cues import burn_in_params, scene_cues, subtitle_style
from aladdin_studio.timeline.titles import TITLE_KIND, title_params

from .plan_memo import PlanMemo, make, moved

__all__ = [
    "SAMPLE_RATE",
    "AudioClipPlan",
    "ClipSegment",
    "OfflineMediaError",
    "PlanMemo",
    "ScenePlan",
    "TrackPlan",
    "TransitionPlan",
    "VideoClipPlan",
    "build_plan",
]

SAMPLE_RATE = 48_000

#: Constant-power pan positions per audio role (-1 left … +1 right); a clip's own
#: ``pan`` metadata overrides it. Dialogue is centred (design doc: priority 1, center).
ROLE_PAN = {"dialogue": 0.0, "music": 0.0, "sfx": 0.0, "clip": 0.0}

Resolver = Callable[[str], "Path | None"]


class OfflineMediaError(AladdinError):
    """A clip's media file is missing; names the clip and the file."""

    kind = ErrorKind.NOT_FOUND

    def __init__(self, clip_name: str, url: str, reason: str = "file not found") -> None:
        self.clip_name = clip_name
        self.url = url
        if url.startswith(GENERATION_PREFIX):
            super().__init__(f"Clip '{clip_name}' is still being generated: wait for it to "
                             "finish, or remove it, before exporting.")
        else:
            super().__init__(f"Clip '{clip_name}': media '{url}' is offline ({reason}).")


@dataclass(frozen=True)
class VideoClipPlan:
    name: str
    clip_id: str
    path: str | None  # None when the media is offline
    url: str
    start: int  # first timeline frame the clip is visible on its own
    end: int  # one past the last
    source_start: float  # media seconds shown at timeline frame ``start``
    speed: float
    fit: str
    opacity: float
    is_still: bool
    has_audio: bool
    volume: float
    effects_key: str  # canonical JSON of ``effects``; part of the hash
    effects: dict[str, Any] = field(compare=False, hash=False, repr=False)
    title: str = ""  # a title clip's settings as canonical JSON (render.titles); else ""

    def source_time(self, frame: float, fps: float) -> float:
        """Media time for a timeline frame (also valid in transition handles)."""
        if self.is_still:
            return 0.0
        return max(0.0, self.source_start + (frame - self.start) / fps * self.speed)

    @property
    def has_effects(self) -> bool:
        e = self.effects
        return bool(
            (e.get("grade") or "none") != "none"
            or e.get("lut")
            or e.get("stabilize")
            or e.get("denoise")
            or float(e.get("sharpen") or 0.0) > 0.0
        )


@dataclass(frozen=True)
class TransitionPlan:
    kind: str
    direction: str
    easing: str
    start: int
    end: int
    cut: int  # the frame where the outgoing clip's own span ends
    a: VideoClipPlan
    b: VideoClipPlan

    def progress(self, frame: float) -> float:
        """Linear progress: 0 at the first frame of the transition, 1 just after it."""
        return min(1.0, max(0.0, (frame - self.start) / max(1, self.end - self.start)))


@dataclass(frozen=True)
class ClipSegment:
    """Where a clip is on screen on its own: its span minus adjacent transitions."""

    start: int
    end: int
    clip: VideoClipPlan


Segment = ClipSegment | TransitionPlan


@dataclass(frozen=True)
class TrackPlan:
    name: str
    index: int  # 0 = bottom
    segments: tuple[Segment, ...]
    starts: tuple[int, ...] = field(compare=False, repr=False)

    def at(self, frame: int) -> Segment | None:
        i = bisect.bisect_right(self.starts, frame) - 1
        if i < 0:
            return None
        seg = self.segments[i]
        return seg if frame < seg.end else None

    @property
    def end(self) -> int:
        return max((s.end for s in self.segments), default=0)


@dataclass(frozen=True)
class AudioClipPlan:
    name: str
    clip_id: str
    path: str | None
    url: str
    role: str  # dialogue, music, sfx, or "clip" for a video clip's own sound
    start: int  # first timeline sample at SAMPLE_RATE
    length: int  # samples on the timeline
    source_start: float  # media seconds heard at ``start``
    speed: float
    volume: float  # linear gain
    pan: float  # -1 (left) … +1 (right)
    fade_in: float  # seconds
    fade_out: float

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True)
class ScenePlan:
    name: str
    scene_id: str
    fps: float
    size: tuple[int, int]
    frames: int  # timeline duration in frames (longest track)
    video: tuple[TrackPlan, ...]  # bottom first; hidden (muted) tracks left out
    audio: tuple[AudioClipPlan, ...]
    subtitles: tuple[SubtitlePlan, ...] = ()  # burned in when the scene's style says so

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def samples(self) -> int:
        return frame_to_sample(self.frames, self.fps)

    def clips(self) -> list[VideoClipPlan]:
        out: dict[str, VideoClipPlan] = {}
        for track in self.video:
            for seg in track.segments:
                for clip in (seg.a, seg.b) if isinstance(seg, TransitionPlan) else (seg.clip,):
                    out.setdefault(f"{track.index}:{clip.clip_id}:{clip.start}", clip)
        return list(out.values())

    def offline(self) -> list[VideoClipPlan | AudioClipPlan]:
        items: dict[tuple[str, str], VideoClipPlan | AudioClipPlan] = {}
        for item in [*self.clips(), *self.audio]:
            if item.path is None and not getattr(item, "title", ""):
                items.setdefault((item.clip_id, item.url), item)
        return list(items.values())

    def require_online(self) -> None:
        """Raise :class:`OfflineMediaError` for the first clip whose media is missing."""
        missing = self.offline()
        if missing:
            raise OfflineMediaError(missing[0].name, missing[0].url)


def frame_to_sample(frame: float, fps: float) -> int:
    return int(round(frame * SAMPLE_RATE / fps))


# --------------------------------------------------------------------------- building

def build_plan(scene: otio.schema.Timeline, resolve: Resolver,
               memo: PlanMemo | None = None) -> ScenePlan:
    """Flatten ``scene``. ``resolve(url)`` returns the media path, or None if offline.

    ``memo`` (the preview's, kept between builds of one scene) reuses the clip plans of the
    previous build for clips without a recorded change; see :class:`PlanMemo`.
    """
    fps = S.scene_rate(scene)
    resolved: dict[str, str | None] = {} if memo is None else memo.begin()

    def path_of(url: str) -> str | None:
        if url not in resolved:
            p = resolve(url) if url else None
            resolved[url] = str(p) if p is not None and Path(p).is_file() else None
        return resolved[url]

    video_tracks = [t for t in scene.tracks if not S.is_audio(t)]
    audio_tracks = [t for t in scene.tracks if S.is_audio(t)]
    total = max((track_end(t, fps) for t in scene.tracks), default=0)

    video: list[TrackPlan] = []
    audio: list[AudioClipPlan] = []
    for index, track in enumerate(video_tracks):
        if S.track_flag(track, "muted"):
            continue
        key = ("video", index, fps)
        built = memo.track(track, key, path_of) if memo is not None else None
        if built is None:
            if memo is not None:
                memo.start_track()
            segments = _video_segments(track, fps, path_of, memo)
            built = (TrackPlan(track.name, index, tuple(segments),
                               tuple(s.start for s in segments)),
                     tuple(_clip_audio(segments, fps, memo)))
            if memo is not None:
                memo.keep_track(track, key, built, path_of)
        video.append(built[0])
        audio += built[1]

    solo = [t for t in audio_tracks if S.track_flag(t, "solo")]
    for track in solo or audio_tracks:
        if S.track_flag(track, "muted"):
            continue
        role = S.track_role(track).value
        key = ("audio", role, fps)
        clips = memo.track(track, key, path_of) if memo is not None else None
        if clips is None:
            if memo is not None:
                memo.start_track()
            clips = tuple(_audio_track(track, role, fps, path_of, memo))
            if memo is not None:
                memo.keep_track(track, key, clips, path_of)
        audio += clips

    w, h = S.scene_size(scene)
    if memo is not None:
        memo.end()
    return ScenePlan(scene.name, S.get(scene, "id", ""), fps, (w, h), total, tuple(video),
                     tuple(audio), _subtitles(scene, fps))


def _audio_track(track: otio.schema.Track, role: str, fps: float,
                 path_of: Callable[[str], str | None],
                 memo: PlanMemo | None) -> list[AudioClipPlan]:
    out = []
    for slot in layout(track, fps):
        if not slot.is_clip or slot.duration <= 0:
            continue
        clip = slot.item
        start = frame_to_sample(slot.start, fps)
        length = frame_to_sample(slot.end, fps) - start
        plan = memo.clip(clip, (fps, role), path_of) if memo is not None else None
        if plan is None:
            url = _url(clip)
            plan = AudioClipPlan(
                name=clip.name or "clip", clip_id=S.clip_id(clip), path=path_of(url), url=url,
                role=role, start=start, length=length,
                source_start=_media_seconds(clip, fps), speed=S.clip_speed(clip),
                volume=float(S.get(clip, "volume", 1.0)),
                pan=float(S.get(clip, "pan", ROLE_PAN[role])),
                fade_in=float(S.get(clip, "fade_in", 0.0)),
                fade_out=float(S.get(clip, "fade_out", 0.0)))
        elif (plan.start, plan.length) != (start, length):
            plan = moved(plan, start=start, length=length)
        if memo is not None:
            memo.keep_clip(clip, (fps, role), plan)
        out.append(plan)
    return out


@dataclass(frozen=True)
class SubtitlePlan:
    """A subtitle cue to burn in over frames ``[start, end)``: ``params`` is the cue as title
    settings (canonical JSON), rasterised by ``render.titles`` like a title."""

    start: int
    end: int
    params: str


def _subtitles(scene: otio.schema.Timeline, fps: float) -> tuple[SubtitlePlan, ...]:
    style = subtitle_style(scene)
    if not style["burn_in"]:
        return ()
    return tuple(SubtitlePlan(int(round(c.start * fps)), int(round(c.end * fps)),
                              burn_in_params(style, c.text)) for c in scene_cues(scene))


GENERATION_PREFIX = "generation:"
TITLE_URL = "title:"  # titles have no file; their text is rendered (render.titles)


def _url(clip: otio.schema.Clip) -> str:
    ref = clip.media_reference
    if isinstance(ref, otio.schema.GeneratorReference) and ref.generator_kind == TITLE_KIND:
        return TITLE_URL
    if isinstance(ref, otio.schema.GeneratorReference):
        # A generation placeholder: no file yet (rendered as a "generating" slate).
        return GENERATION_PREFIX + str(ref.parameters.get("job_id", ""))
    return getattr(ref, "target_url", "") or ""


def _media_seconds(clip: otio.schema.Clip, fps: float) -> float:
    """Seconds into the file at the clip's in-point (available range start subtracted)."""
    start = S.frames_exact(clip.source_range.start_time, fps)
    available = getattr(clip.media_reference, "available_range", None)
    if available is not None:
        start -= S.frames_exact(available.start_time, fps)
    return max(0.0, start / fps)


def _video_clip(clip: otio.schema.Clip, start: int, end: int, fps: float,
                path_of: Callable[[str], str | None]) -> VideoClipPlan:
    url = _url(clip)
    ref = clip.media_reference
    media = S.get(ref, "media", {}) or {}
    effects = {**S.DEFAULT_CLIP_EFFECTS, **(S.get(clip, "effects", {}) or {})}
    title = json.dumps(title_params(clip), sort_keys=True) if url == TITLE_URL else ""
    return VideoClipPlan(
        name=clip.name or "clip", clip_id=S.clip_id(clip), path=path_of(url), url=url,
        start=start, end=end, source_start=_media_seconds(clip, fps), speed=S.clip_speed(clip),
        fit=str(S.get(clip, "fit", "fit")), opacity=float(S.get(clip, "opacity", 1.0)),
        is_still=S.is_still(ref), has_audio=bool(media.get("has_audio", False)),
        volume=float(S.get(clip, "volume", 1.0)),
        effects_key=json.dumps(effects, sort_keys=True), effects=effects, title=title)


def _video_segments(track: otio.schema.Track, fps: float,
                    path_of: Callable[[str], str | None],
                    memo: PlanMemo | None = None) -> list[Segment]:
    slots = layout(track, fps)
    clips: dict[int, VideoClipPlan] = {}
    for slot in slots:
        if not slot.is_clip or slot.duration <= 0:
            continue
        clip = slot.item
        if memo is None:
            clips[slot.index] = _video_clip(clip, slot.start, slot.end, fps, path_of)
            continue
        extra = (fps,)
        plan = memo.clip(clip, extra, path_of)
        if plan is None:
            plan = _video_clip(clip, slot.start, slot.end, fps, path_of)
        elif (plan.start, plan.end) != (slot.start, slot.end):
            plan = moved(plan, start=slot.start, end=slot.end)
        memo.keep_clip(clip, extra, plan)
        clips[slot.index] = plan

    segments: list[Segment] = []
    transitions: list[TransitionPlan] = []
    for slot in slots:
        if not slot.is_transition or slot.end <= slot.start:
            continue
        a, b = clips.get(slot.index - 1), clips.get(slot.index + 1)
        if a is None or b is None:
            continue
        tr = slot.item
        transitions.append(TransitionPlan(
            kind=S.transition_kind(tr).value, direction=S.transition_direction(tr).value,
            easing=S.transition_easing(tr).value, start=slot.start, end=slot.end,
            cut=a.end, a=a, b=b))

    # Clip spans minus the transition regions that overlap them.
    ends: dict[int, int] = {}  # id(clip plan) -> where its outgoing transition starts
    starts: dict[int, int] = {}  # ... where its incoming one ends
    for t in transitions:
        ends[id(t.a)] = min(ends.get(id(t.a), t.a.end), t.start)
        starts[id(t.b)] = max(starts.get(id(t.b), t.b.start), t.end)
    kept = memo.segments if memo is not None else {}
    for clip in clips.values():
        lo, hi = starts.get(id(clip), clip.start), ends.get(id(clip), clip.end)
        if hi > lo:
            entry = kept.get(id(clip))
            if entry is None or entry[0] is not clip or entry[1] != lo or entry[2] != hi:
                entry = (clip, lo, hi, make(ClipSegment, start=lo, end=hi, clip=clip))
            if memo is not None:
                memo.fresh_segments[id(clip)] = entry
            segments.append(entry[3])
    segments += transitions
    segments.sort(key=lambda s: s.start)
    return segments


def _clip_audio(segments: list[Segment], fps: float,
                memo: PlanMemo | None = None) -> list[AudioClipPlan]:
    """The sound of video clips, crossfaded across transitions. (With ``memo``, a clip plan
    outside transitions reuses the sound made for that same plan object last build.)"""
    fades: dict[tuple[str, int], list[float]] = {}  # only clips next to a transition
    span: dict[tuple[str, int], list[int]] = {}
    seen: dict[tuple[str, int], VideoClipPlan] = {}
    for seg in segments:
        if not isinstance(seg, TransitionPlan):
            c = seg.clip
            key = (c.clip_id, c.start)
            if key not in seen:
                seen[key] = c
            continue
        ka, kb = (seg.a.clip_id, seg.a.start), (seg.b.clip_id, seg.b.start)
        for c, key in ((seg.a, ka), (seg.b, kb)):
            seen.setdefault(key, c)
            fades.setdefault(key, [0.0, 0.0])
            span.setdefault(key, [c.start, c.end])
        if seg.kind == "fade":  # no handles: fade out to the cut, fade in from it
            fades[ka][1] = (seg.cut - seg.start) / fps
            fades[kb][0] = (seg.end - seg.cut) / fps
        else:  # both sides play through the overlap: crossfade
            d = (seg.end - seg.start) / fps
            span[ka][1] = max(span[ka][1], seg.end)
            span[kb][0] = min(span[kb][0], seg.start)
            fades[ka][1] = fades[kb][0] = d
    kept = memo.sounds if memo is not None else {}
    out = []
    for key, c in seen.items():
        if not c.has_audio or c.volume <= 0.0:
            continue
        plain = key not in fades
        if plain:
            entry = kept.get(id(c))
            if entry is not None and entry[0] is c:
                if memo is not None:
                    memo.fresh_sounds[id(c)] = entry
                out.append(entry[1])
                continue
        lo, hi = span[key] if not plain else (c.start, c.end)
        fade_in, fade_out = fades[key] if not plain else (0.0, 0.0)
        start = frame_to_sample(lo, fps)
        sound = make(  # AudioClipPlan(...) for hundreds of clips: see make
            AudioClipPlan,
            name=c.name, clip_id=c.clip_id, path=c.path, url=c.url, role="clip", start=start,
            length=frame_to_sample(hi, fps) - start, source_start=c.source_time(lo, fps),
            speed=c.speed, volume=c.volume, pan=ROLE_PAN["clip"], fade_in=fade_in,
            fade_out=fade_out)
        if plain and memo is not None:
            memo.fresh_sounds[id(c)] = (c, sound)
        out.append(sound)
    return out
