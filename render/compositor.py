"""One compositor for preview and export: a :class:`ScenePlan` frame → an I420 image.

Per frame, each visible video track (bottom first) contributes a layer: a clip frame
(decoded, scaled to the output size with fit/fill, then the clip's effect chain) or a
transition between two such frames. The bottom layer is the canvas; upper layers cover it
(only inside their picture when letterboxed) and blend by their opacity. Everything stays
in I420 planes, so frames outside transitions and effects cost one decode and one scale.

:meth:`Compositor.passthrough` lets the export hand a decoded frame straight to the
encoder when nothing about it changes (single layer, same size, no effects).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np

from aladdin_studio.errors import AladdinError, ErrorKind

from . import titles
from . import transitions as T
from .decode import DecodeError, VideoSource
from .plan import GENERATION_PREFIX, ClipSegment, ScenePlan, TransitionPlan, VideoClipPlan

__all__ = ["ClipRenderError", "Compositor", "SourcePool", "black_frame", "to_rgb"]

ProxyLookup = Callable[[str], "str | os.PathLike[str] | None"]


class ClipRenderError(AladdinError):
    """Rendering a clip failed; names the clip and says why."""

    kind = ErrorKind.INTERNAL

    def __init__(self, clip: VideoClipPlan, reason: str) -> None:
        self.clip_name = clip.name
        self.reason = reason
        where = os.path.basename(clip.path or clip.url) or "no media"
        super().__init__(f"Clip '{clip.name}' ({where}): {reason}")


def black_frame(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    out = np.empty((h * 3 // 2, w), dtype=np.uint8)
    out[:h] = T.BLACK_Y
    out[h:] = T.BLACK_C
    return out


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """I420 → RGB24 (what the preview widget draws)."""
    return cv2.cvtColor(frame, cv2.COLOR_YUV2RGB_I420)


class SourcePool:
    """Open decoders keyed by (file, output size, fit), least recently used closed first.

    ``proxy_for(path)`` may return a proxy file to decode instead (the preview's proxies).
    """

    def __init__(self, *, max_open: int = 8, proxy_for: ProxyLookup | None = None) -> None:
        self.max_open = max_open
        self.proxy_for = proxy_for
        self._open: OrderedDict[tuple[str, tuple[int, int], str], VideoSource] = OrderedDict()

    def get(self, path: str, size: tuple[int, int], fit: str) -> VideoSource:
        actual = path
        if self.proxy_for is not None:
            proxy = self.proxy_for(path)
            if proxy is not None:
                actual = os.fspath(proxy)
        key = (actual, size, fit)
        src = self._open.get(key)
        if src is not None:
            self._open.move_to_end(key)
            return src
        src = VideoSource(actual, out_size=size, fit=fit)
        self._open[key] = src
        while len(self._open) > self.max_open:
            _, old = self._open.popitem(last=False)
            old.close()
        return src

    def keep_only(self, paths: set[str]) -> None:
        """Close decoders for files not in ``paths`` (the export frees finished clips)."""
        for key in [k for k in self._open if k[0] not in paths]:
            self._open.pop(key).close()

    def close(self) -> None:
        for src in self._open.values():
            src.close()
        self._open.clear()


class Compositor:
    """Renders frames of one scene plan at one output size."""

    def __init__(self, plan: ScenePlan, size: tuple[int, int] | None = None, *,
                 pool: SourcePool | None = None, cache_dir: Path | None = None,
                 resolve_lut: Callable[[str], Path | None] | None = None) -> None:
        self.plan = plan
        self.size = tuple(size or plan.size)
        w, h = self.size
        if w % 2 or h % 2:
            raise ValueError(f"output size must be even: {w}x{h}")
        self.pool = pool or SourcePool()
        self.cache_dir = cache_dir
        self.resolve_lut = resolve_lut
        self._black = black_frame(self.size)
        self._black.flags.writeable = False
        self._chains: dict[VideoClipPlan, object] = {}  # None: effects that do nothing
        self._analysis: dict[str, VideoSource] = {}

    # ------------------------------------------------------------------ public API

    def set_plan(self, plan: ScenePlan) -> None:
        """Switch to an edited version of the scene (decoders stay open)."""
        if plan != self.plan:
            self.plan = plan
            self._chains.clear()

    def frame(self, n: int) -> np.ndarray:
        """The I420 image of timeline frame ``n`` (black outside every clip)."""
        out: np.ndarray | None = None
        for track in self.plan.video:
            seg = track.at(n)
            if seg is None:
                continue
            if isinstance(seg, ClipSegment) and seg.clip.title:  # text with alpha
                out = titles.blend(self._black if out is None else out,
                                   self._title(seg.clip), self._title_opacity(seg.clip, n))
                continue
            layer, rect, opacity = self._layer(seg, n)
            if out is None and opacity >= 1.0 and rect is None:
                out = layer
                continue
            base = self._black if out is None else out
            out = _cover(base, layer, rect, opacity)
        out = self._black if out is None else out
        for sub in self.plan.subtitles:  # burned-in subtitles: over every track
            if sub.start <= n < sub.end:
                out = titles.blend(out, titles.title_layer(sub.params, self.size), 1.0)
        return out

    def passthrough(self, n: int) -> av.VideoFrame | None:
        """The decoded frame for ``n`` if it can go to the encoder unchanged, else None."""
        visible = [seg for seg in (t.at(n) for t in self.plan.video) if seg is not None]
        if any(sub.start <= n < sub.end for sub in self.plan.subtitles):
            return None
        if len(visible) != 1 or not isinstance(visible[0], ClipSegment):
            return None
        clip = visible[0].clip
        if clip.path is None or clip.opacity < 1.0 or self._chain(clip) is not None:
            return None
        src = self._source(clip)
        try:
            return src.raw_frame_at(clip.source_time(n, self.plan.fps))
        except DecodeError as exc:
            raise ClipRenderError(clip, exc.reason) from exc

    def recipe(self, n: int) -> tuple:
        """A hashable description of frame ``n``: equal recipes give equal images."""
        parts: list[tuple] = []
        fps = self.plan.fps
        for track in self.plan.video:
            seg = track.at(n)
            if isinstance(seg, ClipSegment) and seg.clip.title:
                parts.append((seg.clip, round(self._title_opacity(seg.clip, n), 4)))
            elif isinstance(seg, ClipSegment):
                parts.append((seg.clip, round(seg.clip.source_time(n, fps), 6)))
            elif isinstance(seg, TransitionPlan):
                parts.append((seg, round(seg.progress(n), 6),
                              round(seg.a.source_time(n, fps), 6),
                              round(seg.b.source_time(n, fps), 6)))
        subs = tuple(sub.params for sub in self.plan.subtitles if sub.start <= n < sub.end)
        if subs:
            parts.append(("subtitles", subs))
        return (self.size, tuple(parts))

    def release_before(self, n: int) -> None:
        """Close decoders no longer needed from frame ``n`` on (the export walks forward)."""
        needed = {c.path for c in self.plan.clips() if c.path and c.end > n}
        for track in self.plan.video:
            for seg in track.segments:
                if isinstance(seg, TransitionPlan) and seg.end > n:
                    needed |= {p for p in (seg.a.path, seg.b.path) if p}
        self.pool.keep_only(_actual_paths(self.pool, needed))

    def close(self) -> None:
        self.pool.close()
        for src in self._analysis.values():
            src.close()
        self._analysis.clear()

    # ------------------------------------------------------------------ layers

    def _layer(self, seg: ClipSegment | TransitionPlan,
               n: int) -> tuple[np.ndarray, tuple[int, int, int, int] | None, float]:
        if isinstance(seg, ClipSegment):
            img, rect = self._clip_frame(seg.clip, n)
            return img, rect, seg.clip.opacity
        if seg.kind == "fade":
            # Fades have no handles: the outgoing clip until the cut, the incoming after it.
            a, _ = self._clip_frame(seg.a, min(n, seg.a.end - 1))
            b, _ = self._clip_frame(seg.b, max(n, seg.b.start))
        else:
            a, _ = self._clip_frame(seg.a, n)
            b, _ = self._clip_frame(seg.b, n)
        img = T.apply(seg.kind, a, b, seg.progress(n), direction=seg.direction,
                      easing=seg.easing)
        return img, None, min(seg.a.opacity, seg.b.opacity)

    def _clip_frame(self, clip: VideoClipPlan,
                    n: int) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
        if clip.title:  # inside a transition: the title on black, the transition fades it
            return titles.over_black(self._title(clip), self.size, clip.opacity), None
        if clip.path is None:
            generating = clip.url.startswith(GENERATION_PREFIX)
            title = "GENERATING…" if generating else "MEDIA OFFLINE"
            return _offline_slate(self.size, clip.name, title), None
        src = self._source(clip)
        t = clip.source_time(n, self.plan.fps)
        try:
            img = src.frame_at(t)
            rect = src.content_rect()
        except DecodeError as exc:
            raise ClipRenderError(clip, exc.reason) from exc
        chain = self._chain(clip)
        if chain is not None:
            img = chain.apply(img, source_time=t, source=self._analysis_reader(clip),
                              span=self._media_span(clip))
        full = rect == (0, 0, *self.size)
        return img, None if full else rect

    def _title(self, clip: VideoClipPlan) -> titles.TitleLayer | None:
        return titles.title_layer(clip.title, self.size)

    def _title_opacity(self, clip: VideoClipPlan, n: int) -> float:
        fade = titles.fade_factor(titles.params(clip.title), clip.start, clip.end, n,
                                  self.plan.fps)
        return clip.opacity * fade

    def _source(self, clip: VideoClipPlan) -> VideoSource:
        assert clip.path is not None
        try:
            return self.pool.get(clip.path, self.size, clip.fit)
        except DecodeError as exc:
            raise ClipRenderError(clip, exc.reason) from exc

    def _chain(self, clip: VideoClipPlan):
        if not clip.has_effects:
            return None
        if clip not in self._chains:
            from .effects import EffectChain, EffectError

            kwargs = {} if self.resolve_lut is None else {"resolve_lut": self.resolve_lut}
            try:
                chain = EffectChain(clip.effects, size=self.size, fps=self.plan.fps,
                                    cache_dir=self.cache_dir,
                                    clip_key=f"{clip.clip_id}-{clip.effects_key}-{self.size}",
                                    **kwargs)
            except EffectError as exc:
                raise ClipRenderError(clip, str(exc)) from exc
            self._chains[clip] = chain if chain.active else None
        return self._chains[clip]

    def _analysis_reader(self, clip: VideoClipPlan) -> Callable[[float], np.ndarray] | None:
        """A separate decoder for whole-clip analysis (stabilization), so reading ahead
        never disturbs the sequential decoder the frames come from."""
        if not clip.effects.get("stabilize") or clip.path is None:
            return None

        def read(t: float) -> np.ndarray:
            src = self._analysis.get(clip.path)
            if src is None:
                src = self._analysis[clip.path] = VideoSource(clip.path, out_size=self.size,
                                                              fit=clip.fit)
            return src.frame_at(t)
        return read

    def _media_span(self, clip: VideoClipPlan) -> tuple[float, float]:
        fps = self.plan.fps
        return clip.source_time(clip.start, fps), clip.source_time(clip.end, fps)


def _actual_paths(pool: SourcePool, paths: set[str]) -> set[str]:
    if pool.proxy_for is None:
        return paths
    out = set(paths)
    for p in paths:
        proxy = pool.proxy_for(p)
        if proxy is not None:
            out.add(os.fspath(proxy))
    return out


def _cover(base: np.ndarray, layer: np.ndarray, rect: tuple[int, int, int, int] | None,
           opacity: float) -> np.ndarray:
    """``layer`` over ``base``, inside ``rect`` only (None = whole frame), at ``opacity``."""
    if rect is None:
        return layer if opacity >= 1.0 else T.dissolve(base, layer, opacity)
    out = base.copy()
    x, y, w, h = rect
    for po, pl, div in zip(T.planes(out), T.planes(layer), (1, 2, 2), strict=True):
        sl = (slice(y // div, (y + h) // div), slice(x // div, (x + w) // div))
        po[sl] = pl[sl] if opacity >= 1.0 else T.dissolve(po[sl], pl[sl], opacity)
    return out


_SLATES: dict[tuple[tuple[int, int], str, str], np.ndarray] = {}


def _offline_slate(size: tuple[int, int], name: str, title: str) -> np.ndarray:
    """A frame saying the media is offline or still generating (preview only; export
    refuses both)."""
    key = (size, name, title)
    if key not in _SLATES:
        w, h = size
        rgb = np.zeros((h, w, 3), dtype=np.uint8)
        rgb[:] = (90, 10, 10) if title == "MEDIA OFFLINE" else (20, 30, 80)
        scale = max(0.4, h / 540)
        for i, text in enumerate((title, name[:40])):
            (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
            org = ((w - tw) // 2, h // 2 + int((i - 0.3) * th * 2.2))
            cv2.putText(rgb, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 230, 230), 2,
                        cv2.LINE_AA)
        slate = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
        slate.flags.writeable = False
        _SLATES[key] = slate
    return _SLATES[key]
