"""The preview player's view of the renderer: the export's compositor, made interactive.

``frame_at(scene, t, size)`` and ``audio(scene, t0, t1)`` go through the same
:class:`Compositor` and audio master as the export, with three things added for speed:
decoding from 960×540 short-GOP proxies once they exist (built in the background, keyed by
the source's content hash), an LRU cache of finished frames keyed by each frame's recipe
(so an edit invalidates exactly the frames it changes), and a sequential
:meth:`Preview.playback` iterator that yields each frame with the audio samples that play
during it, so audio and video share one clock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio

from .compositor import Compositor, SourcePool, to_rgb
from .plan import SAMPLE_RATE, ScenePlan, build_plan, frame_to_sample

__all__ = ["PlaybackFrame", "Preview"]

Resolver = Callable[[str], "Path | None"]


@dataclass(frozen=True)
class PlaybackFrame:
    frame: int  # timeline frame
    time: float  # seconds
    image: np.ndarray  # RGB (h, w, 3)
    audio: np.ndarray  # float32 (n, 2) at 48 kHz: the samples heard during this frame


class Preview:
    """Frames and sound for the player. Not thread-safe: use from one thread."""

    def __init__(self, resolve: Resolver | None = None, *, media_cache: Any = None,
                 background: Any = None, use_proxies: bool = True,
                 cache_bytes: int = 256 * 1024 * 1024, duck_db: float = -12.0,
                 loudness_lufs: float | None = -14.0) -> None:
        self.resolve = resolve
        self.media_cache = media_cache
        self.background = background
        self.use_proxies = use_proxies and media_cache is not None
        self.duck_db = duck_db
        self.loudness_lufs = loudness_lufs
        self._proxies: dict[str, str | None] = {}
        self._lock = threading.Lock()  # guards _proxies (background callbacks)
        self.pool = SourcePool(max_open=12, proxy_for=self._proxy_for)
        self._compositors: dict[tuple[int, int], Compositor] = {}
        self._plan: ScenePlan | None = None
        self._frames: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._used = 0
        self._master: Any = None
        self._master_key: tuple | None = None
        self.hits = self.misses = 0

    # ------------------------------------------------------------------ public API

    def plan(self, scene: otio.schema.Timeline | ScenePlan) -> ScenePlan:
        if isinstance(scene, ScenePlan):
            plan = scene
        else:
            if self.resolve is None:
                raise ValueError("Preview needs a resolver to render OTIO scenes")
            plan = build_plan(scene, self.resolve)
        if plan != self._plan:
            self._plan = plan
            for comp in self._compositors.values():
                comp.set_plan(plan)
            self._request_proxies(plan)
        return self._plan

    def frame_at(self, scene: otio.schema.Timeline | ScenePlan, t: float,
                 size: tuple[int, int]) -> np.ndarray:
        """The RGB image (h, w, 3) at ``t`` seconds, ``size`` = (w, h)."""
        plan = self.plan(scene)
        n = min(max(0, int(t * plan.fps + 1e-6)), max(0, plan.frames - 1))
        return self._frame(plan, n, size)

    def audio(self, scene: otio.schema.Timeline | ScenePlan, t0: float, t1: float) -> np.ndarray:
        """Float32 (n, 2) samples at 48 kHz of the loudness-normalised mix for [t0, t1)."""
        plan = self.plan(scene)
        s0, s1 = round(t0 * SAMPLE_RATE), round(t1 * SAMPLE_RATE)
        return self._audio(plan, s0, max(0, s1 - s0))

    def playback(self, scene: otio.schema.Timeline | ScenePlan, t0: float,
                 size: tuple[int, int]) -> Iterator[PlaybackFrame]:
        """Frames from ``t0`` to the end, each with the audio that plays during it."""
        plan = self.plan(scene)
        n = max(0, int(t0 * plan.fps + 1e-6))
        while n < plan.frames:
            s0, s1 = frame_to_sample(n, plan.fps), frame_to_sample(n + 1, plan.fps)
            yield PlaybackFrame(n, n / plan.fps, self._frame(plan, n, size),
                                self._audio(plan, s0, s1 - s0))
            n += 1

    def invalidate(self) -> None:
        """Forget cached frames (e.g. after relinking media to changed files)."""
        self._frames.clear()
        self._used = 0

    def close(self) -> None:
        for comp in self._compositors.values():
            comp.close()
        self._compositors.clear()
        self.pool.close()
        if self._master is not None:
            self._master.mixer.close()
            self._master = None

    # ------------------------------------------------------------------ frames

    def _frame(self, plan: ScenePlan, n: int, size: tuple[int, int]) -> np.ndarray:
        comp = self._compositor(size)
        key = comp.recipe(n) + (self._proxy_state(plan),)
        hit = self._frames.get(key)
        if hit is not None:
            self._frames.move_to_end(key)
            self.hits += 1
            return hit
        self.misses += 1
        image = to_rgb(comp.frame(n))
        image.flags.writeable = False
        self._store(key, image)
        return image

    def _compositor(self, size: tuple[int, int]) -> Compositor:
        size = (int(size[0]) - int(size[0]) % 2, int(size[1]) - int(size[1]) % 2)
        comp = self._compositors.get(size)
        if comp is None:
            assert self._plan is not None
            cache_dir = self.media_cache.root if self.media_cache is not None else None
            comp = self._compositors[size] = Compositor(self._plan, size, pool=self.pool,
                                                        cache_dir=cache_dir)
        return comp

    def _store(self, key: tuple, image: np.ndarray) -> None:
        self._frames[key] = image
        self._used += image.nbytes
        while self._used > self._cache_bytes and self._frames:
            _, old = self._frames.popitem(last=False)
            self._used -= old.nbytes

    # ------------------------------------------------------------------ proxies

    def _proxy_for(self, path: str) -> str | None:
        with self._lock:
            return self._proxies.get(path)

    def _proxy_state(self, plan: ScenePlan) -> int:
        """Changes when a proxy becomes available, so frames decoded from the original
        and from the proxy are cached apart (they differ slightly)."""
        with self._lock:
            return sum(1 for p in self._proxies.values() if p)

    def _request_proxies(self, plan: ScenePlan) -> None:
        if not self.use_proxies:
            return
        for clip in plan.clips():
            path = clip.path
            if path is None or clip.is_still:
                continue
            with self._lock:
                if path in self._proxies:
                    continue
                self._proxies[path] = None
            ready = self.media_cache.proxy(path)
            if ready is not None:
                with self._lock:
                    self._proxies[path] = str(ready)
            elif self.background is not None:
                future = self.background.request("proxy", path)
                future.add_done_callback(lambda f, p=path: self._proxy_done(p, f))

    def _proxy_done(self, path: str, future: Any) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        with self._lock:
            self._proxies[path] = str(future.result())

    def build_proxies(self, scene: otio.schema.Timeline | ScenePlan) -> None:
        """Build every missing proxy of ``scene`` now (blocking; tests and benchmarks)."""
        plan = self.plan(scene)
        for clip in plan.clips():
            if clip.path and not clip.is_still:
                proxy = self.media_cache.build_proxy(clip.path)
                with self._lock:
                    self._proxies[clip.path] = str(proxy)

    # ------------------------------------------------------------------ audio

    def _audio(self, plan: ScenePlan, start: int, n: int) -> np.ndarray:
        from .audio import MasterBus, Mixer

        key = (plan.audio, plan.samples)
        if self._master is None or self._master_key != key:
            if self._master is not None:
                self._master.mixer.close()
            mixer = Mixer(plan, duck_db=self.duck_db)
            self._master = MasterBus(mixer, plan.samples, target_lufs=self.loudness_lufs)
            self._master_key = key
        return self._master.read(start, n)
