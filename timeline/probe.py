"""Media probing with PyAV: duration, rate, size, rotation, audio layout and a fingerprint.

This module must stay free of Qt imports so it can run in workers and tests.

Rotation convention: :attr:`MediaInfo.rotation` is the *clockwise* rotation (0/90/180/270)
a player must apply to show the picture upright. This matches the legacy ``rotate``
stream tag (a phone's portrait clip reads 90); FFmpeg's display matrix angle is
counter-clockwise and is converted accordingly.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from dataclasses import asdict, dataclass, fields
from fractions import Fraction
from typing import Any

import av

from aladdin_studio.errors import ErrorKind
from aladdin_studio.timeline.errors import TimelineError

__all__ = ["MediaInfo", "MediaProbeError", "clear_probe_cache", "content_fingerprint", "probe"]

_HASH_CHUNK = 1024 * 1024
# Container formats produced by FFmpeg's still-image demuxers.
_IMAGE_FORMATS = {"image2", "image2pipe", "apng", "gif"}
_IMAGE_CODECS = frozenset(
    "png mjpeg jpeg2000 bmp tiff webp gif apng ppm pgm pgmyuv pbm pam sgi targa qoi jpegxl"
    " exr dpx xbm xwd photocd".split()
)
# Upper bound on packets read while looking for the first decodable frame.
_MAX_PROBE_PACKETS = 2000
MAX_DIMENSION = 16384  # pixels, either side: larger pictures are refused, not decoded
MAX_MEDIA_SECONDS = 24 * 3600.0  # a scene holds at most 24 h (timeline.document_check)


class MediaProbeError(TimelineError):
    """A file could not be read as media; ``str(err)`` names the file and the reason."""

    kind = ErrorKind.CORRUPT

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        from .names import printable  # a name may hold newlines or bidi overrides

        super().__init__(f"Cannot read media '{printable(self.path)}': {reason}")


@dataclass(frozen=True)
class MediaInfo:
    """What the editor needs to know about one media file.

    ``width``/``height`` are the display size after applying ``rotation`` (sample aspect
    ratio is not applied). ``duration`` is ``None`` for still images. ``content_hash`` is a
    fast fingerprint (see :func:`content_fingerprint`), not a full-content hash.
    """

    path: str
    duration: float | None = None
    fps: Fraction | None = None
    width: int = 0
    height: int = 0
    rotation: int = 0
    has_video: bool = False
    has_audio: bool = False
    audio_rate: int | None = None
    audio_channels: int | None = None
    audio_stream_count: int = 0
    video_codec: str | None = None
    audio_codec: str | None = None
    is_still: bool = False
    frame_count: int | None = None
    content_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; ``fps`` becomes a ``"num/den"`` string."""
        data = asdict(self)
        data["fps"] = None if self.fps is None else f"{self.fps.numerator}/{self.fps.denominator}"
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaInfo:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, missing ones get defaults."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        fps = kwargs.get("fps")
        if fps is not None and not isinstance(fps, Fraction):
            kwargs["fps"] = Fraction(str(fps))
        return cls(**kwargs)


def content_fingerprint(path: str | os.PathLike[str], size: int | None = None) -> str:
    """Fast content fingerprint: sha256 over file size + first and last 1 MiB (16 hex chars).

    Files up to 2 MiB are hashed whole. This detects replaced or re-encoded media cheaply
    but is *not* a full hash: edits confined to the middle of a large file go unnoticed.
    """
    p = os.fspath(path)
    if size is None:
        size = os.path.getsize(p)
    h = hashlib.sha256()
    h.update(str(size).encode("ascii") + b"\0")
    with open(p, "rb") as fh:
        if size <= 2 * _HASH_CHUNK:
            h.update(fh.read())
        else:
            h.update(fh.read(_HASH_CHUNK))
            fh.seek(size - _HASH_CHUNK)
            h.update(fh.read(_HASH_CHUNK))
    return h.hexdigest()[:16]


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Probe ``path`` and return its :class:`MediaInfo`.

    Results are cached in-process by (absolute path, mtime_ns, size). Any failure, including
    missing files, directories, empty or corrupt files and files without audio or video,
    raises :class:`MediaProbeError`.
    """
    try:
        raw = os.fspath(path)
    except TypeError as exc:
        raise MediaProbeError(repr(path), "not a file path") from exc
    abs_path = os.path.abspath(raw)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(raw).decode("utf-8", "backslashreplace")
        raise MediaProbeError(shown, "the file name is not valid UTF-8 text, which a project "
                                     "cannot store; rename the file") from None
    try:
        st = os.stat(abs_path)
    except FileNotFoundError as exc:
        raise MediaProbeError(raw, "file not found") from exc
    except PermissionError as exc:
        raise MediaProbeError(raw, "permission denied") from exc
    except OSError as exc:
        raise MediaProbeError(raw, exc.strerror or str(exc)) from exc
    if stat.S_ISDIR(st.st_mode):
        raise MediaProbeError(raw, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "a device")
        raise MediaProbeError(raw, f"is {kind}, not a media file")
    if st.st_size == 0:
        raise MediaProbeError(raw, "empty file (0 bytes)")
    try:
        return _probe_cached(abs_path, st.st_mtime_ns, st.st_size)
    except MediaProbeError as exc:
        raise MediaProbeError(raw, exc.reason) from exc.__cause__
    except Exception as exc:  # noqa: BLE001 - contract: only MediaProbeError escapes
        raise MediaProbeError(raw, describe_av_error(exc)) from exc


def clear_probe_cache() -> None:
    """Forget all cached probe results."""
    _probe_cached.cache_clear()


@functools.lru_cache(maxsize=1024)
def _probe_cached(abs_path: str, mtime_ns: int, size: int) -> MediaInfo:
    del mtime_ns  # part of the cache key only
    try:
        container = av.open(abs_path, mode="r", metadata_errors="ignore")
    except av.error.InvalidDataError as exc:
        raise MediaProbeError(abs_path, _oversized_picture(abs_path)
                              or "not a media file (invalid data)") from exc
    except av.error.EOFError as exc:
        raise MediaProbeError(abs_path, "the file ends too early (truncated)") from exc
    except av.error.FFmpegError as exc:  # e.g. EBUSY/EINVAL for absurd header values
        raise MediaProbeError(abs_path, _oversized_picture(abs_path) or
                              "its header is damaged or asks for more than a media file can "
                              f"(FFmpeg: {describe_av_error(exc)})") from exc
    try:
        return _inspect(container, abs_path, size)
    except av.error.InvalidDataError as exc:
        raise MediaProbeError(abs_path, _oversized_picture(abs_path)
                              or "corrupt or truncated media (invalid data)") from exc
    except av.error.FFmpegError as exc:  # a decoder failing on damaged data
        raise MediaProbeError(abs_path, _oversized_picture(abs_path)
                              or "its picture or sound data is damaged and cannot be decoded "
                              f"(FFmpeg: {describe_av_error(exc)})") from exc
    finally:
        container.close()


def _oversized_picture(abs_path: str) -> str | None:
    """'the picture is 100000×100000 ...' when an image header asks for an absurd size
    (FFmpeg then fails with an unrelated-sounding error), else None."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(abs_path) as image:
                w, h = image.size
    except Image.DecompressionBombError as exc:
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        count = f"{int(pixels.group(1)):,} pixels" if pixels else "too many pixels"
        return f"the picture is too large ({count}; at most {MAX_DIMENSION}×{MAX_DIMENSION})"
    except Exception:  # not an image Pillow knows: nothing to add
        return None
    if max(w, h) > MAX_DIMENSION:
        return f"the picture is {w}×{h}, larger than {MAX_DIMENSION}×{MAX_DIMENSION}"
    return None


def _inspect(container: Any, abs_path: str, size: int) -> MediaInfo:
    cover_art = av.stream.Disposition.attached_pic
    video = next((s for s in container.streams.video
                  if not s.disposition & cover_art and s.codec_context is not None), None)
    audios = [s for s in container.streams.audio if s.codec_context is not None]
    audio = audios[0] if audios else None
    if video is None and audio is None:
        raise MediaProbeError(abs_path, "no audio or video stream")

    fmt_names = set((container.format.name or "").split(","))
    vcodec = _codec_name(video)
    acodec = _codec_name(audio)
    is_image_file = video is not None and (
        bool(fmt_names & _IMAGE_FORMATS)
        or any(n.endswith("_pipe") for n in fmt_names)
        or (vcodec in _IMAGE_CODECS and audio is None and not video.frames and not video.duration)
    )

    first_frame = _first_decodable_frame(container, video if video is not None else audio)
    if first_frame is None:
        raise MediaProbeError(abs_path, "no decodable frames (truncated or corrupt)")

    width = height = rotation = 0
    fps: Fraction | None = None
    frame_count: int | None = None
    if video is not None:
        width = int(video.codec_context.width or first_frame.width)
        height = int(video.codec_context.height or first_frame.height)
        if max(width, height) > MAX_DIMENSION:
            raise MediaProbeError(abs_path, f"the picture is {width}×{height}, larger than "
                                            f"{MAX_DIMENSION}×{MAX_DIMENSION}")
        rotation = _rotation(video, first_frame)
        if rotation in (90, 270):
            width, height = height, width
        if is_image_file:
            animated = bool(fmt_names & {"gif", "apng"})
            frame_count = (_count_packets(abs_path, video.index) or 1) if animated else 1
        elif video.frames and video.frames > 0:
            frame_count = int(video.frames)
        if frame_count != 1:
            rate = video.average_rate or video.guessed_rate
            fps = Fraction(rate) if rate else None

    is_still = video is not None and frame_count == 1

    duration: float | None = None
    if not (is_still and audio is None):
        main = video if video is not None and not is_still else audio
        duration = _duration(container, main, abs_path)
        if duration is not None and not 0 < duration <= MAX_MEDIA_SECONDS:
            raise MediaProbeError(abs_path, f"it claims to last {duration:g} s; media longer "
                                            "than 24 h (or of no length) cannot be edited")
        if main is video and frame_count is None and duration is not None and fps:
            frame_count = max(1, round(duration * fps))

    return MediaInfo(
        path=abs_path,
        duration=duration,
        fps=fps,
        width=width,
        height=height,
        rotation=rotation,
        has_video=video is not None,
        has_audio=audio is not None,
        audio_rate=int(audio.codec_context.sample_rate) if audio is not None else None,
        audio_channels=_channels(audio),
        audio_stream_count=len(audios),
        video_codec=vcodec,
        audio_codec=acodec,
        is_still=is_still,
        frame_count=frame_count,
        content_hash=content_fingerprint(abs_path, size),
    )


def _codec_name(stream: Any) -> str | None:
    if stream is None:
        return None
    ctx = stream.codec_context
    if ctx is None:
        return None
    # canonical_name is the codec id ("mp3"), not the decoder's name ("mp3float").
    return getattr(ctx.codec, "canonical_name", None) or ctx.name


def _channels(audio: Any) -> int | None:
    if audio is None or audio.codec_context is None:
        return None
    ctx = audio.codec_context
    n = getattr(ctx, "channels", 0) or getattr(ctx.layout, "nb_channels", 0)
    return int(n) if n else None


def _first_decodable_frame(container: Any, stream: Any) -> Any:
    """Decode until the first frame of ``stream``; ``None`` if none can be decoded."""
    for n, packet in enumerate(container.demux(stream)):
        if n >= _MAX_PROBE_PACKETS:
            break
        frames = packet.decode()
        if frames:
            return frames[0]
    return None


def _rotation(video: Any, frame: Any) -> int:
    """Clockwise display rotation from the display matrix, else the ``rotate`` tag."""
    ccw = 0
    try:
        ccw = int(round(frame.rotation))
    except Exception:  # noqa: BLE001 - side data is best effort
        ccw = 0
    if ccw:
        return _snap90(-ccw)
    tag = video.metadata.get("rotate")
    if tag:
        try:
            return _snap90(int(float(tag)))
        except ValueError:
            return 0
    return 0


def _snap90(degrees: float) -> int:
    return int(round(degrees / 90.0)) % 4 * 90


def _duration(container: Any, stream: Any, abs_path: str) -> float | None:
    """Stream duration, else container duration, else a demux (packet) count."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    with av.open(abs_path, mode="r", metadata_errors="ignore") as fresh:
        return _demux_duration(fresh.streams[stream.index])


def _demux_duration(stream: Any) -> float | None:
    container = stream.container
    count = 0
    start: int | None = None
    end: int | None = None
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        count += 1
        if packet.pts is not None:
            start = packet.pts if start is None else min(start, packet.pts)
            stop = packet.pts + (packet.duration or 0)
            end = stop if end is None else max(end, stop)
    if start is not None and end is not None and end > start and stream.time_base:
        return float((end - start) * stream.time_base)
    if stream.type == "video" and count:
        rate = stream.average_rate or stream.guessed_rate
        if rate:
            return float(count / Fraction(rate))
    return None


def _count_packets(abs_path: str, index: int) -> int:
    with av.open(abs_path, mode="r", metadata_errors="ignore") as fresh:
        return sum(1 for p in fresh.demux(fresh.streams[index]) if p.size)


def describe_av_error(exc: BaseException,
                      invalid_data: str = "not a media file (invalid data)") -> str:
    """A short, readable reason for a PyAV/FFmpeg failure."""
    if isinstance(exc, av.error.InvalidDataError):
        return invalid_data
    if isinstance(exc, av.error.FFmpegError):
        return getattr(exc, "strerror", None) or str(exc)
    return f"{type(exc).__name__}: {exc}"
