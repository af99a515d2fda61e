"""Per-project media cache: preview proxies, filmstrip thumbnails and audio waveforms.

Everything lives under the project's ``cache/`` folder::

    cache/proxies/KEY.mp4               see render.proxies
    cache/thumbs/KEY-COUNTxHEIGHT.jpg   filmstrip: COUNT frames side by side
    cache/waveforms/KEY-PPS.npy         float32 (n, 2) min/max peaks, PPS buckets a second

``KEY`` is the source's content fingerprint plus :data:`CACHE_VERSION`, so a replaced file
gets fresh entries, identical files share them, and stale entries are simply never read
again. Files appear atomically (temporary name in the same folder, then ``os.replace``):
a path returned or found here is always complete.

:class:`MediaCache` does the work synchronously (thread-safe); :class:`BackgroundCache`
runs it on a small thread pool for the UI. No Qt here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import av
import numpy as np

from aladdin_studio.files import atomic_path
from aladdin_studio.render.decode import DecodeError, VideoSource
from aladdin_studio.render.proxies import (
    PROXY_SIZE,
    BuildCancelled,
    Cancel,
    Progress,
    describe,
    encode_proxy,
)
from aladdin_studio.timeline.probe import MediaInfo, MediaProbeError, content_fingerprint, probe

__all__ = [
    "CACHE_VERSION",
    "KINDS",
    "PROXY_SIZE",
    "BackgroundCache",
    "BuildCancelled",
    "MediaCache",
]

#: Bump when the format of any cached file changes; old entries are then ignored.
CACHE_VERSION = 1
KINDS = ("proxy", "thumbnails", "waveform")
_JPEG_QUALITY = 85
_MAX_PEAKS_PER_SECOND = 1000
_FINGERPRINT_MEMO = 4096

StrPath = str | os.PathLike[str]
OnDone = Callable[[str, StrPath, Any], None]


class MediaCache:
    """Proxies, filmstrips and waveforms of source files, cached under ``cache_dir``.

    Methods may be called from any thread. Unreadable sources raise
    :class:`~aladdin_studio.render.decode.DecodeError` (its message names the file).
    """

    def __init__(self, cache_dir: StrPath) -> None:
        self.root = Path(cache_dir)
        self.proxies_dir = self.root / "proxies"
        self.thumbs_dir = self.root / "thumbs"
        self.waveforms_dir = self.root / "waveforms"
        self._memo: dict[tuple[str, int, int, int], str] = {}
        self._memo_lock = threading.Lock()

    # ------------------------------------------------------------------ keys

    def key(self, src: StrPath) -> str:
        """Cache key of ``src``: its content fingerprint and :data:`CACHE_VERSION`.

        Memoised per (path, inode, mtime, size), so calling it per frame costs one ``stat``.
        """
        path = os.path.abspath(os.fspath(src))
        try:
            st = os.stat(path)
        except OSError as exc:
            raise DecodeError(src, exc.strerror or str(exc)) from exc
        sig = (path, st.st_ino, st.st_mtime_ns, st.st_size)
        with self._memo_lock:
            fingerprint = self._memo.get(sig)
        if fingerprint is None:
            try:
                fingerprint = content_fingerprint(path, st.st_size)
            except OSError as exc:
                raise DecodeError(src, exc.strerror or str(exc)) from exc
            with self._memo_lock:
                if len(self._memo) >= _FINGERPRINT_MEMO:
                    self._memo.clear()
                self._memo[sig] = fingerprint
        return f"{fingerprint}-v{CACHE_VERSION}"

    # ------------------------------------------------------------------ proxies

    def proxy(self, src: StrPath) -> Path | None:
        """The finished proxy of ``src``, or ``None`` (not built yet, a still, unreadable)."""
        try:
            path = self._proxy_path(src)
        except DecodeError:
            return None
        return path if path.is_file() else None

    def build_proxy(
        self, src: StrPath, *, cancel: Cancel | None = None, progress: Progress | None = None
    ) -> Path:
        """Build (or reuse) the proxy of ``src`` and return its path.

        Stills get no proxy: their own path is returned (the preview decodes them directly).
        ``cancel`` is polled once a frame; when it returns true the partial file is deleted
        and :class:`BuildCancelled` is raised. ``progress`` gets fractions up to 1.0.
        """
        info = _probe(src)
        if info.is_still:
            return Path(src)
        if not info.has_video:
            raise DecodeError(src, "no video stream")
        dest = self._proxy_path(src)
        if dest.is_file():
            if progress is not None:
                progress(1.0)
            return dest
        before = self.key(src)
        with atomic_path(dest) as tmp:
            try:
                encode_proxy(
                    src,
                    tmp,
                    rotation=info.rotation,
                    duration=info.duration,
                    cancel=cancel,
                    progress=progress,
                )
            except av.error.FFmpegError as exc:
                raise DecodeError(src, describe(exc)) from exc
            if self.key(src) != before:
                raise DecodeError(src, "file changed while its proxy was being built")
        return dest

    def _proxy_path(self, src: StrPath) -> Path:
        return self.proxies_dir / f"{self.key(src)}.mp4"

    # ------------------------------------------------------------------ thumbnails

    def thumbnail_times(self, src: StrPath, count: int) -> list[float]:
        """Source times (s) of a filmstrip's frames: centres of ``count`` equal slices."""
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        info = _probe(src)
        if info.is_still or not info.duration:
            return [0.0] * count
        step = info.duration / count
        return [(i + 0.5) * step for i in range(count)]

    def thumbnails(self, src: StrPath, *, count: int = 10, height: int = 72) -> Path:
        """A JPEG filmstrip of ``count`` frames side by side, each ``height`` pixels high.

        Frames are taken at :meth:`thumbnail_times` (from the proxy when one is ready) and
        keep the picture's upright aspect: the image is ``count * w`` x ``height`` with
        ``w = round(height * width / height_of_source)``.
        """
        if count < 1 or height < 2:
            raise ValueError(f"need count >= 1 and height >= 2, got {count} and {height}")
        info = _probe(src)
        if not info.has_video:
            raise DecodeError(src, "no video stream")
        dest = self.thumbs_dir / f"{self.key(src)}-{count}x{height}.jpg"
        if dest.is_file():
            return dest
        times = self.thumbnail_times(src, count)
        width = max(1, round(height * info.width / max(1, info.height)))
        strip = _filmstrip(self.proxy(src) or src, times, (width, height))
        from PIL import Image

        with atomic_path(dest) as tmp:
            Image.fromarray(strip, "RGB").save(tmp, format="JPEG", quality=_JPEG_QUALITY)
        return dest

    # ------------------------------------------------------------------ waveforms

    def waveform(self, src: StrPath, *, peaks_per_second: int = 100) -> np.ndarray:
        """Float32 ``(n, 2)`` min/max of the mono mix (channel mean) per bucket, in [-1, 1].

        Bucket ``i`` covers ``[i, i + 1) / peaks_per_second`` seconds from the first audio
        sample; ``n = ceil(samples * peaks_per_second / rate)``. Files without audio give a
        ``(0, 2)`` array.
        """
        if not 1 <= peaks_per_second <= _MAX_PEAKS_PER_SECOND:
            raise ValueError(f"peaks_per_second must be in 1..{_MAX_PEAKS_PER_SECOND}")
        info = _probe(src)
        dest = self.waveforms_dir / f"{self.key(src)}-{peaks_per_second}.npy"
        if dest.is_file():
            return np.load(dest)
        if info.has_audio:
            peaks = _audio_peaks(src, peaks_per_second)
        else:
            peaks = np.zeros((0, 2), dtype=np.float32)
        with atomic_path(dest) as tmp, open(tmp, "wb") as fh:
            np.save(fh, peaks)
        return peaks

    # ------------------------------------------------------------------ lookups

    def cached(self, kind: str, src: StrPath, **kwargs: Any) -> Path | np.ndarray | None:
        """The finished result of ``kind`` for ``src`` if it is on disk, else ``None``.

        Never generates anything; ``kwargs`` are those of the method named ``kind``
        (extra ones such as ``progress`` are ignored).
        """
        try:
            if kind == "proxy":
                return self.proxy(src)
            key = self.key(src)
        except DecodeError:
            return None
        if kind == "thumbnails":
            count, height = kwargs.get("count", 10), kwargs.get("height", 72)
            path = self.thumbs_dir / f"{key}-{count}x{height}.jpg"
            return path if path.is_file() else None
        if kind == "waveform":
            path = self.waveforms_dir / f"{key}-{kwargs.get('peaks_per_second', 100)}.npy"
            return np.load(path) if path.is_file() else None
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


class BackgroundCache:
    """Runs :class:`MediaCache` work on a thread pool (one worker by default).

    ``on_done(kind, src, result_or_exception)``, if set, is called once per request from
    the thread that completes it: the worker thread, the caller's thread for results that
    were already cached, or the thread calling :meth:`cancel_all` / :meth:`shutdown` for
    requests cancelled before they started (with :class:`BuildCancelled`, a
    ``concurrent.futures.CancelledError``). It must not block;
    a Qt UI should forward it through a queued signal.
    """

    def __init__(self, cache: MediaCache, *, workers: int = 1) -> None:
        self.cache = cache
        self.on_done: OnDone | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="media-cache")
        self._pending: dict[tuple[Any, ...], Future[Any]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._closed = False

    def request(self, kind: str, src: StrPath, **kwargs: Any) -> Future[Any]:
        """Future of ``MediaCache.<kind>(src, **kwargs)`` (``build_proxy`` for ``"proxy"``).

        While a request is pending, the same ``(kind, src, kwargs)`` returns the same
        future (``progress`` is not part of that identity: a repeated request's callback
        is not called); a result already on disk returns a future that is already done.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        options = tuple(sorted((k, v) for k, v in kwargs.items() if k != "progress"))
        key = (kind, os.path.abspath(os.fspath(src)), options)
        with self._lock:
            if self._closed:
                raise RuntimeError("BackgroundCache is shut down")
            future = self._pending.get(key)
            if future is not None:
                return future
            hit = self.cache.cached(kind, src, **kwargs)
            if hit is not None:
                future = Future()
                future.set_result(hit)
            else:
                generation = self._generation
                future = self._pool.submit(self._run, kind, src, kwargs, generation)
                self._pending[key] = future
        future.add_done_callback(lambda f: self._finished(key, kind, src, f))
        return future

    def cancel_all(self) -> None:
        """Cancel queued requests and stop running ones (their futures raise)."""
        with self._lock:
            self._generation += 1
            pending = list(self._pending.values())
            self._pending.clear()
        for future in pending:
            future.cancel()

    def shutdown(self, wait: bool = True) -> None:
        """Cancel everything (see :meth:`cancel_all`) and stop the workers."""
        with self._lock:
            self._closed = True
        self.cancel_all()
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def _run(self, kind: str, src: StrPath, kwargs: dict[str, Any], generation: int) -> Any:
        if kind == "proxy":
            return self.cache.build_proxy(
                src, cancel=lambda: self._generation != generation, **kwargs
            )
        if kind == "thumbnails":
            return self.cache.thumbnails(src, **kwargs)
        return self.cache.waveform(src, **kwargs)

    def _finished(self, key: tuple[Any, ...], kind: str, src: StrPath, future: Future[Any]) -> None:
        with self._lock:
            if self._pending.get(key) is future:
                del self._pending[key]
        callback = self.on_done
        if callback is None:
            return
        if future.cancelled():
            outcome: Any = BuildCancelled(f"{kind} of '{os.fspath(src)}' cancelled")
        else:
            outcome = future.exception() or future.result()
        callback(kind, src, outcome)


# --------------------------------------------------------------------------- helpers


def _probe(src: StrPath) -> MediaInfo:
    try:
        return probe(src)
    except MediaProbeError as exc:
        raise DecodeError(src, exc.reason) from exc


def _filmstrip(src: StrPath, times: list[float], size: tuple[int, int]) -> np.ndarray:
    """RGB frames of ``src`` at ``times`` (each ``size``), concatenated left to right."""
    order = sorted(range(len(times)), key=times.__getitem__)
    tiles: list[np.ndarray] = [np.empty(0)] * len(times)
    with VideoSource(src, out_size=size, pix_fmt="rgb24") as video:
        for i in order:
            tiles[i] = video.frame_at(times[i])
    return np.concatenate(tiles, axis=1)


def _audio_peaks(src: StrPath, peaks_per_second: int) -> np.ndarray:
    """Decode the first audio stream once and reduce its mono mix to min/max buckets."""
    reducer: _PeakReducer | None = None
    resampler = av.AudioResampler(format="fltp")
    try:
        with av.open(os.fspath(src), mode="r", metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            for packet in container.demux(stream):
                for frame in packet.decode():
                    if reducer is None:
                        reducer = _PeakReducer(frame.sample_rate, peaks_per_second)
                    for out in resampler.resample(frame):
                        reducer.add(out.to_ndarray().mean(axis=0, dtype=np.float32))
            for out in resampler.resample(None):
                if reducer is not None:
                    reducer.add(out.to_ndarray().mean(axis=0, dtype=np.float32))
    except av.error.FFmpegError as exc:
        raise DecodeError(src, describe(exc)) from exc
    if reducer is None:
        return np.zeros((0, 2), dtype=np.float32)
    return reducer.finish()


class _PeakReducer:
    """Streaming min/max per bucket; bucket ``i`` is samples ``[i*rate//pps, (i+1)*rate//pps)``."""

    def __init__(self, rate: int, pps: int) -> None:
        self.rate, self.pps = rate, pps
        self._parts: list[np.ndarray] = []
        self._buffered = 0
        self._base = 0  # sample index of the first buffered sample
        self._bucket = 0  # index of the first bucket not reduced yet
        self._peaks: list[np.ndarray] = []

    def add(self, mono: np.ndarray) -> None:
        self._parts.append(mono)
        self._buffered += len(mono)
        if self._buffered >= self.rate:  # reduce about once a second of audio
            self._reduce(final=False)

    def finish(self) -> np.ndarray:
        self._reduce(final=True)
        if not self._peaks:
            return np.zeros((0, 2), dtype=np.float32)
        return np.clip(np.concatenate(self._peaks), -1.0, 1.0).astype(np.float32)

    def _edge(self, i: int) -> int:
        return i * self.rate // self.pps

    def _reduce(self, final: bool) -> None:
        data = np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)
        end = self._base + len(data)
        stop = end * self.pps // self.rate  # buckets [_bucket, stop) are complete
        while self._edge(stop + 1) <= end:
            stop += 1
        if final and self._edge(stop) < end:
            stop += 1  # the last, partial bucket
        if stop > self._bucket:
            starts = [self._edge(i) - self._base for i in range(self._bucket, stop)]
            used = min(len(data), self._edge(stop) - self._base)
            chunk = data[:used]
            lo = np.minimum.reduceat(chunk, starts)
            hi = np.maximum.reduceat(chunk, starts)
            self._peaks.append(np.stack([lo, hi], axis=1))
            data = data[used:]
            self._base += used
            self._bucket = stop
        self._parts = [data] if len(data) else []
        self._buffered = len(data)
