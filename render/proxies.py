"""Preview proxies: small, short-GOP H.264 copies of a video with the source's exact timing.

A proxy keeps every source frame at its presentation time: pts are copied in the source's
time base, so variable-frame-rate sources stay VFR. Hence ``VideoSource(proxy).frame_at(t)``
shows the same frame as ``VideoSource(source).frame_at(t)`` for every ``t``. (MP4 can only
store 1/N time bases; a source in, say, AVI's 1001/30000 gets 1/30000 with its ticks scaled
exactly, and since ``VideoSource`` rounds by one tick, frame boundaries may then move by
less than half a frame.) The picture is scaled to fit :data:`PROXY_SIZE` and rotated
upright; the proxy carries no rotation metadata and no audio.

Two normalisations keep that promise without changing what is on screen: the first frame is
placed at time 0 (``VideoSource`` shows the first frame for any earlier time anyway), and a
frame whose time is not after the previous one replaces it (``VideoSource`` shows the last
frame with time <= t, so the earlier one is never visible).

Encoding runs in one thread (decoder, scaler and x264) so a build uses about one core.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import av
import numpy as np

from aladdin_studio.timeline.probe import describe_av_error

__all__ = ["PROXY_CRF", "PROXY_GOP", "PROXY_SIZE", "BuildCancelled", "encode_proxy", "proxy_size"]

PROXY_SIZE = (960, 540)
#: Keyframe interval in frames: a random access decodes at most this many proxy frames.
PROXY_GOP = 12
#: x264 constant-rate factor; >= 40 dB PSNR against the source on the synthetic patterns.
PROXY_CRF = 18
_X264_PARAMS = (
    f"keyint={PROXY_GOP}:min-keyint={PROXY_GOP}:scenecut=0:bframes=0"
    ":threads=1:lookahead-threads=1:sliced-threads=0"
)
_PROGRESS_STEP = 0.01

Cancel = Callable[[], bool]
Progress = Callable[[float], None]


class BuildCancelled(concurrent.futures.CancelledError):
    """A build was stopped by its ``cancel`` callback; nothing was written."""


def proxy_size(width: int, height: int, limit: tuple[int, int] = PROXY_SIZE) -> tuple[int, int]:
    """Even size fitting ``width``x``height`` (upright) inside ``limit``, never upscaled."""
    scale = min(1.0, limit[0] / width, limit[1] / height)
    return _even(width * scale), _even(height * scale)


def encode_proxy(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    rotation: int = 0,
    duration: float | None = None,
    cancel: Cancel | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the proxy of the video ``src`` to ``dest`` (MP4; any file name).

    ``rotation`` is the clockwise rotation that shows ``src`` upright (``MediaInfo.rotation``);
    ``duration`` (seconds) only scales ``progress`` reports (0..1). Raises
    :class:`BuildCancelled` when ``cancel()`` turns true and ``av.error.FFmpegError`` on
    decode errors; ``dest`` is left for the caller to delete.
    """
    with av.open(os.fspath(src), mode="r", metadata_errors="ignore") as inp:
        stream = _video_stream(inp)
        cc = stream.codec_context
        cc.thread_type = "NONE"
        cc.thread_count = 1
        tb = stream.time_base or Fraction(1, av.time_base)
        rate = stream.average_rate or stream.guessed_rate or Fraction(24)
        # MP4 tick = 1/timescale; pinning the timescale keeps 1/N time bases (all but a few
        # containers, e.g. AVI) identical, which matters: VideoSource's rounding tolerance
        # is one tick. Without it the muxer would double a small timescale (1/1000 -> 1/16000).
        out_tb, ticks = Fraction(1, tb.denominator), tb.numerator
        options = {"video_track_timescale": str(out_tb.denominator)}
        with av.open(os.fspath(dest), mode="w", format="mp4", options=options) as out:
            enc: Any = None
            reporter = _Reporter(progress, duration, tb)
            for frame, pts, dur in _timed_frames(inp, stream, tb, rate):
                if cancel is not None and cancel():
                    raise BuildCancelled(f"proxy build of '{os.fspath(src)}' cancelled")
                if enc is None:
                    enc = _add_encoder(out, stream, frame, rotation, out_tb, rate)
                picture = _picture(frame, enc, rotation)
                picture.pts, picture.duration = pts * ticks, dur * ticks
                picture.time_base = out_tb
                picture.pict_type = av.video.frame.PictureType.NONE
                out.mux(enc.encode(picture))
                reporter.report(pts)
            if enc is None:
                raise av.error.InvalidDataError(0, "no decodable video frames")
            out.mux(enc.encode(None))
    reporter.done()


def describe(exc: BaseException) -> str:
    """Readable reason for a failed build."""
    return describe_av_error(exc, "corrupt or truncated media (invalid data)")


# --------------------------------------------------------------------------- decoding


def _video_stream(container: Any) -> Any:
    cover_art = av.stream.Disposition.attached_pic
    stream = next((s for s in container.streams.video if not s.disposition & cover_art), None)
    if stream is None:
        raise av.error.InvalidDataError(0, "no video stream")
    return stream


def _timed_frames(
    container: Any, stream: Any, tb: Fraction, rate: Fraction
) -> Iterator[tuple[av.VideoFrame, int, int]]:
    """``(frame, pts, duration)`` in ``tb`` ticks from the stream start, pts strictly rising.

    The first frame is moved to 0; a frame not after the previous one replaces it (see the
    module docstring). A missing pts continues one nominal frame after the previous one.
    """
    start = stream.start_time or 0
    nominal = max(1, round(1 / (rate * tb)))
    held: tuple[av.VideoFrame, int] | None = None
    for packet in container.demux(stream):
        for frame in packet.decode():
            if held is None:
                held = (frame, 0)
                continue
            pts = held[1] + nominal if frame.pts is None else max(0, frame.pts - start)
            if pts > held[1]:
                yield held[0], held[1], pts - held[1]
                held = (frame, pts)
            else:
                held = (frame, held[1])
    if held is not None:
        last = held[0].duration or nominal
        yield held[0], held[1], last


# --------------------------------------------------------------------------- encoding


def _add_encoder(
    out: Any, src_stream: Any, first: av.VideoFrame, rotation: int, tb: Fraction, rate: Fraction
) -> Any:
    """The libx264 stream for a proxy of ``first``'s size (upright), timed in ``tb``."""
    w, h = first.width, first.height
    upright = (h, w) if rotation % 180 == 90 else (w, h)
    width, height = proxy_size(*upright)
    enc = out.add_stream(
        "libx264",
        rate=rate,
        options={
            "preset": "veryfast",
            "tune": "fastdecode",
            "crf": str(PROXY_CRF),
            "x264-params": _X264_PARAMS,
        },
    )
    enc.width, enc.height, enc.pix_fmt = width, height, "yuv420p"
    cc = enc.codec_context
    cc.time_base = tb
    enc.time_base = tb
    cc.gop_size = PROXY_GOP
    cc.max_b_frames = 0
    cc.thread_type = "NONE"
    cc.thread_count = 1
    src_cc = src_stream.codec_context
    full_range_fmt = (first.format.name or "").startswith("yuvj")
    cc.color_range = 1 if full_range_fmt else src_cc.color_range
    cc.color_primaries = src_cc.color_primaries
    cc.color_trc = src_cc.color_trc
    cc.colorspace = src_cc.colorspace
    return enc


def _picture(frame: av.VideoFrame, enc: Any, rotation: int) -> av.VideoFrame:
    """``frame`` scaled (single-threaded) to the proxy size and rotated upright, yuv420p."""
    rot = rotation % 360
    if rot in (90, 270):
        sw, sh = enc.height, enc.width
    else:
        sw, sh = enc.width, enc.height
    scaled = frame.reformat(width=sw, height=sh, format="yuv420p", threads=1)
    if rot == 0:
        return scaled
    arr = scaled.to_ndarray()
    q = (sh // 2) * (sw // 2)
    flat = arr[sh:].reshape(-1)
    planes = (arr[:sh], flat[:q].reshape(sh // 2, sw // 2), flat[q:].reshape(sh // 2, sw // 2))
    k = -(rot // 90)  # np.rot90: negative k turns clockwise
    buf = np.concatenate([np.rot90(p, k).reshape(-1) for p in planes])
    return av.VideoFrame.from_ndarray(buf.reshape(enc.height * 3 // 2, enc.width), "yuv420p")


class _Reporter:
    """Calls ``progress`` with the encoded fraction, at most every 1 % and once at 1.0."""

    def __init__(self, progress: Progress | None, duration: float | None, tb: Fraction) -> None:
        self._progress = progress
        self._scale = float(tb) / duration if duration and duration > 0 else 0.0
        self._last = -1.0

    def report(self, pts: int) -> None:
        if self._progress is None or not self._scale:
            return
        fraction = min(0.999, pts * self._scale)
        if fraction - self._last >= _PROGRESS_STEP:
            self._last = fraction
            self._progress(fraction)

    def done(self) -> None:
        if self._progress is not None:
            self._progress(1.0)


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)
