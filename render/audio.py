"""Audio for preview and export: decoding, the clip mixer, ducking and the master bus.

Pipeline (all numpy float32, 48 kHz stereo, no Qt)::

    AudioReader (per clip) -> tempo (atempo) -> volume, fades, pan -> role buses
    music bus x duck gain + dialogue bus + sfx/clip bus = Mixer.mix (the pre-master mix)
    Mixer.mix x loudness gain -> look-ahead limiter = MasterBus.read

Everything is addressed in timeline samples at :data:`SAMPLE_RATE` and can be called in any
order. Sequential calls (each one starting where the previous ended, as the export does in
~1 s chunks) carry their state forward and decode each file once, front to back; any other
call (preview seeking) rebuilds the state from a short look-back and agrees with the
sequential result: exactly for PCM sources and the limiter, to < 0.1 dB for the ducker.
Two things cannot match sample for sample: AAC noise substitution (the decoder's random
noise depends on where decoding started; same level, different noise) and tempo clips
(WSOLA restarts: same level and pitch, phase may differ by up to a millisecond).

Laws used:

* **Fades** are equal-power (quarter sine): a fade-out and a fade-in over the same samples
  (a crossfade across a transition) keep the power of uncorrelated material constant.
* **Pan** keeps the centre at unity. A mono source is panned with the constant-power law
  ``L = √2·cos θ, R = √2·sin θ, θ = (pan + 1)·π/4`` (unity both sides at 0, +3 dB on one
  side at ±1). A stereo source gets a balance control on the same curve capped at unity:
  the near side stays at 1, the far side follows ``√2·sin θ`` down to silence at ±1.
* **Ducking**: the dialogue bus level is measured in 10 ms blocks (RMS); while it is above
  ``duck_threshold_db`` the music gain moves toward ``duck_db`` with the ``duck_attack``
  time constant, otherwise back to 0 dB with ``duck_release`` (one-pole, in dB). The gain is
  interpolated across each block and lags the level by one block, so it depends only on
  audio already mixed.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Iterator
from fractions import Fraction
from types import TracebackType
from typing import Any

import av
import av.filter
import numpy as np

from aladdin_studio.errors import AladdinError, ErrorKind
from aladdin_studio.timeline.probe import describe_av_error

from .loudness import LoudnessMeter, integrated_loudness
from .plan import SAMPLE_RATE, AudioClipPlan, ScenePlan

__all__ = [
    "AudioDecodeError",
    "AudioReader",
    "LoudnessMeter",
    "MasterBus",
    "Mixer",
    "integrated_loudness",
    "render_audio",
    "tempo_factors",
]

R = SAMPLE_RATE
#: Seconds decoded and dropped before a seek target: codecs (AAC, MP3, Opus) need a frame or
#: two of history before their output is exact.
PREROLL = 0.1
#: Decode forward instead of seeking when the target is at most this far ahead (seconds).
FORWARD_WINDOW = 2.0
_SILENCE = np.zeros((0, 2), np.float32)

# atempo (WSOLA) uses a 2048-sample window at 48 kHz and drops the first half window of its
# input; feeding that much earlier input keeps a tempo clip in sync with its position.
_ATEMPO_SKIP = 1024
_TEMPO_FEED = 4096  # input samples pushed through the tempo graph per step
_TEMPO_PREROLL = 4800  # timeline samples re-rendered before a random-access start

_DUCK_BLOCK = 480  # 10 ms level window of the ducker
_DUCK_LOOKBACK_TAUS = 5.0  # envelope rebuilt over 5 time constants (< 1 % residual)

# Limiter: gain = two cascaded moving averages of (min of the needed gain over a window
# reaching HOLD back and LOOKAHEAD ahead). Any sample's gain is then an average of values
# each at most that sample's own need, so the ceiling holds exactly, with S-shaped 20 ms
# attack and release ramps and a 10 ms hold. Finite memory: random access is exact.
_LIM_SMOOTH = 480
_LIM_LOOKAHEAD = 2 * (_LIM_SMOOTH - 1)
_LIM_HOLD = 480
_LIM_LEFT = _LIM_LOOKAHEAD + _LIM_HOLD  # mix context needed before a read
_LIM_RIGHT = _LIM_LOOKAHEAD  # and after
#: The loudness gain never asks the limiter to take more than this off the loudest peak.
MAX_LIMITING_DB = 6.0


class AudioDecodeError(AladdinError):
    """A file cannot be opened or decoded; ``str(err)`` names the file and the reason."""

    kind = ErrorKind.CORRUPT

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"Cannot decode audio '{self.path}': {reason}")


def _describe(exc: BaseException) -> str:
    return describe_av_error(exc, "corrupt or truncated media (invalid data)")


# =========================================================================== reading


class AudioReader:
    """Random-access reader of a file's first audio stream as 48 kHz stereo float32.

    Decoded audio is kept only from the end of the last read onwards (plus what a forward
    jump decodes), so memory stays flat however long the file is. Positions come from the
    frames' timestamps, which makes 48 kHz sources sample-accurate; other rates go through
    libswresample (mono stays mono there and is duplicated here, so it is not attenuated).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise AudioDecodeError(self.path, "file not found")
        try:
            self._container: Any = av.open(self.path, mode="r", metadata_errors="ignore")
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise AudioDecodeError(self.path, _describe(exc)) from exc
        stream = next(iter(self._container.streams.audio), None)
        if stream is None:
            self._container.close()
            raise AudioDecodeError(self.path, "no audio stream")
        self._stream: Any = stream
        self._tb = float(stream.time_base) if stream.time_base else 1.0 / av.time_base
        self._origin = (stream.start_time or 0) * self._tb
        ctx = stream.codec_context
        self.rate: int = int(ctx.sample_rate or R)
        self.channels: int = int(ctx.channels or 2)
        self.duration: float | None = self._duration()
        # Samples (at 48 kHz) the stream declares exactly; decoder padding past it is cut.
        self._end: int | None = (
            int(round(stream.duration * self._tb * R)) if stream.duration else None
        )
        self._chunks: deque[tuple[int, np.ndarray]] = deque()  # (position, (ch, k) array)
        self._dec_pos = 0  # position just after the last decoded sample
        self._frames: Iterator[av.AudioFrame] | None = None
        self._resampler: av.AudioResampler | None = None
        self._eof = False
        self._closed = False
        self.seeks = 0  # number of seeks so far (diagnostics and tests)
        self._frames = self._decode_iter()  # a fresh container is already at the start
        try:
            if not self._decode_more():
                raise AudioDecodeError(self.path, "no decodable audio")
        except AudioDecodeError:
            self.close()
            raise

    def _duration(self) -> float | None:
        s = self._stream
        if s.duration:
            return s.duration * self._tb
        if self._container.duration:
            return self._container.duration / av.time_base
        return None

    # ------------------------------------------------------------------ public API

    def read(self, t: float, n: int) -> np.ndarray:
        """``n`` samples ``(n, 2)`` float32 from media time ``t`` (seconds from the first
        sample); silence before 0 and past the end."""
        if self._closed:
            raise ValueError("AudioReader is closed")
        n = max(0, int(n))
        out = np.zeros((n, 2), np.float32)
        first = int(round(float(t) * R))
        lo, hi = max(first, 0), first + n
        if self._end is not None:
            hi = min(hi, self._end)
        if hi <= lo:
            return out
        if self._needs_seek(lo):
            self._seek(lo)
        self._fill(hi)
        self._copy(out, first, lo, hi)
        self._drop_before(hi)
        return out

    def close(self) -> None:
        """Release the decoder and the file."""
        if self._closed:
            return
        self._closed = True
        self._drop_iter()
        self._chunks.clear()
        self._container.close()

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    # ------------------------------------------------------------------ positioning

    def _needs_seek(self, lo: int) -> bool:
        """Seek unless ``lo`` is buffered or a short forward decode away."""
        if self._frames is None:
            return True
        start = self._chunks[0][0] if self._chunks else self._dec_pos
        return not start <= lo <= self._dec_pos + FORWARD_WINDOW * R

    def _seek(self, lo: int) -> None:
        """Restart decoding so the first buffered sample is at or before ``lo``."""
        self.seeks += 1
        seek_t = max(0.0, lo / R - PREROLL)
        backoff = 1.0
        while True:
            self._drop_iter()
            try:
                offset = int(math.floor((seek_t + self._origin) / self._tb))
                self._container.seek(offset, stream=self._stream, backward=True,
                                     any_frame=False)
            except av.error.FFmpegError as exc:
                if seek_t <= 0.0:
                    raise AudioDecodeError(self.path, f"seek failed: {_describe(exc)}") from exc
                seek_t = 0.0
                continue
            self._frames = self._decode_iter()
            self._dec_pos = -1 << 62  # unknown until the first frame arrives
            while not self._chunks and self._decode_more():
                pass
            first = self._chunks[0][0] if self._chunks else None
            if seek_t <= 0.0 or (first is not None and first <= lo):
                if first is None:
                    self._dec_pos = lo
                return
            seek_t = max(0.0, seek_t - backoff)
            backoff *= 2.0

    def _fill(self, hi: int) -> None:
        """Decode until samples up to ``hi`` are buffered (or the stream ends)."""
        while self._dec_pos < hi and self._decode_more():
            pass
        if self._eof and self._end is not None and self.duration:
            slack = max(0.2 * R, 0.02 * self._end)
            if self._dec_pos + slack < hi:
                raise AudioDecodeError(
                    self.path, f"truncated or corrupt: audio ends at {self._dec_pos / R:.3f} s "
                               f"of {self._end / R:.3f} s")

    def _copy(self, out: np.ndarray, first: int, lo: int, hi: int) -> None:
        for pos, arr in self._chunks:
            a, b = max(pos, lo), min(pos + arr.shape[1], hi)
            if b > a:
                out[a - first:b - first] = arr[:, a - pos:b - pos].T

    def _drop_before(self, p: int) -> None:
        chunks = self._chunks
        while chunks and chunks[0][0] + chunks[0][1].shape[1] <= p:
            chunks.popleft()
        if chunks and chunks[0][0] < p:
            pos, arr = chunks[0]
            chunks[0] = (p, arr[:, p - pos:])

    # ------------------------------------------------------------------ decoding

    def _decode_iter(self) -> Iterator[av.AudioFrame]:
        for packet in self._container.demux(self._stream):
            yield from packet.decode()

    def _drop_iter(self) -> None:
        if self._frames is not None:
            close = getattr(self._frames, "close", None)
            if close is not None:
                close()
        self._frames = None
        self._resampler = None
        self._chunks.clear()
        self._eof = False

    def _decode_more(self) -> bool:
        """Decode one frame into the buffer; False at the end of the stream."""
        if self._frames is None or self._eof:
            return False
        try:
            frame = next(self._frames)
        except StopIteration:
            self._eof = True
            if self._resampler is not None:
                for out in self._resampler.resample(None):
                    self._append(self._resampled_pos(out), out.to_ndarray())
            return False
        except av.error.FFmpegError as exc:
            self._drop_iter()
            raise AudioDecodeError(self.path, _describe(exc)) from exc
        if (frame.format.name == "fltp" and frame.sample_rate == R
                and frame.layout.nb_channels <= 2 and self._resampler is None):
            self._append(self._frame_pos(frame), frame.to_ndarray())
        else:
            self._resample(frame)
        return True

    def _resample(self, frame: av.AudioFrame) -> None:
        if self._resampler is None:
            layout = "mono" if frame.layout.nb_channels == 1 else "stereo"
            self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=R)
        try:
            outs = self._resampler.resample(frame)
        except (av.error.FFmpegError, ValueError) as exc:
            raise AudioDecodeError(self.path, f"cannot convert audio: {_describe(exc)}") from exc
        for out in outs:
            self._append(self._resampled_pos(out), out.to_ndarray())

    def _frame_pos(self, frame: av.AudioFrame) -> int:
        if frame.pts is None:
            return max(self._dec_pos, 0)
        tb = float(frame.time_base) if frame.time_base else self._tb
        return int(round((frame.pts * tb - self._origin) * R))

    def _resampled_pos(self, out: av.AudioFrame) -> int:
        if out.pts is None or out.time_base is None:
            return max(self._dec_pos, 0)
        return int(round((out.pts * float(out.time_base) - self._origin) * R))

    def _append(self, pos: int, arr: np.ndarray) -> None:
        k = arr.shape[1]
        if self._end is not None and pos + k > self._end:
            arr = arr[:, :max(0, self._end - pos)]
            k = arr.shape[1]
        if k == 0:
            self._dec_pos = max(self._dec_pos, pos)
            return
        self._chunks.append((pos, arr))
        self._dec_pos = max(self._dec_pos, pos + k)


# =========================================================================== tempo


def tempo_factors(speed: float) -> list[float]:
    """Split ``speed`` into equal atempo stages within 0.5–2 (where WSOLA sounds best)."""
    if speed <= 0:
        raise ValueError(f"speed must be > 0, got {speed}")
    stages = max(1, math.ceil(abs(math.log2(speed)) - 1e-9))
    return [speed ** (1.0 / stages)] * stages


class _Tempo:
    """Pitch-preserving speed change through an FFmpeg ``atempo`` chain."""

    def __init__(self, speed: float) -> None:
        self.factors = tempo_factors(speed)
        graph = av.filter.Graph()
        node = graph.add_abuffer(format="fltp", sample_rate=R, layout="stereo",
                                 time_base=Fraction(1, R))
        for f in self.factors:
            stage = graph.add("atempo", tempo=f"{f:.10g}")
            node.link_to(stage)
            node = stage
        fmt = graph.add("aformat", sample_fmts="fltp", channel_layouts="stereo")
        node.link_to(fmt)
        sink = graph.add("abuffersink")
        fmt.link_to(sink)
        graph.configure()
        self._graph = graph
        self._pts = 0

    @property
    def latency(self) -> int:
        """Input samples each restart must be fed early (each stage drops half a window)."""
        total, scale = 0.0, 1.0
        for f in self.factors:
            total += _ATEMPO_SKIP * scale
            scale *= f
        return int(round(total))

    def process(self, x: np.ndarray) -> list[np.ndarray]:
        """Push ``(n, 2)`` input; return the ``(2, k)`` output arrays now available."""
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(x.T), format="fltp",
                                           layout="stereo")
        frame.sample_rate = R
        frame.pts = self._pts
        frame.time_base = Fraction(1, R)
        self._pts += x.shape[0]
        self._graph.push(frame)
        out = []
        while True:
            try:
                out.append(self._graph.pull().to_ndarray())
            except (BlockingIOError, av.error.EOFError):
                return out


# =========================================================================== clips


def _fade(x: np.ndarray) -> np.ndarray:
    """Equal-power fade curve for progress ``x`` (clipped to 0..1)."""
    return np.sin(0.5 * np.pi * np.clip(x, 0.0, 1.0))


def pan_gains(pan: float, mono: bool) -> tuple[float, float]:
    """Left/right gains for ``pan`` in -1..1 (see the module docstring for the law)."""
    theta = (min(1.0, max(-1.0, float(pan))) + 1.0) * math.pi / 4.0
    left, right = math.sqrt(2.0) * math.cos(theta), math.sqrt(2.0) * math.sin(theta)
    if not mono:
        left, right = min(1.0, left), min(1.0, right)
    # cos(pi/2) is 6e-17, not 0: hard-panned means silent on the far side.
    return (left if left > 1e-9 else 0.0), (right if right > 1e-9 else 0.0)


class _Voice:
    """One clip on the timeline: its reader, tempo state and gain curve."""

    def __init__(self, clip: AudioClipPlan) -> None:
        self.clip = clip
        self._reader: AudioReader | None = None
        self._media0 = int(round(clip.source_start * R))
        self._tempo: _Tempo | None = None
        self._pending: list[np.ndarray] = []  # tempo output not yet used, (2, k) each
        self._pending_pos = 0  # timeline sample of the first pending sample
        self._media = 0  # next media sample fed to the tempo graph
        self._next: int | None = None  # where a sequential render continues

    @property
    def reader(self) -> AudioReader:
        if self._reader is None:
            assert self.clip.path is not None
            self._reader = AudioReader(self.clip.path)
        return self._reader

    def render(self, a: int, b: int) -> np.ndarray:
        """Timeline samples ``[a, b)`` (inside the clip) with volume, fades and pan."""
        clip = self.clip
        if abs(clip.speed - 1.0) < 1e-9:
            media = self._media0 + (a - clip.start)
            raw = self.reader.read(media / R, b - a)
        else:
            raw = self._render_tempo(a, b)
        self._next = b
        gain = self._gain(a, b)
        left, right = pan_gains(clip.pan, self.reader.channels == 1)
        raw[:, 0] *= gain * np.float32(left)
        raw[:, 1] *= gain * np.float32(right)
        return raw

    def _gain(self, a: int, b: int) -> np.ndarray | np.float32:
        """Volume times the fade curves over ``[a, b)``."""
        clip = self.clip
        fi, fo = clip.fade_in * R, clip.fade_out * R
        vol = np.float32(clip.volume)
        if not (fi > 0 and a < clip.start + fi) and not (fo > 0 and b > clip.end - fo):
            return vol
        s = np.arange(a, b, dtype=np.float64)
        g = np.full(b - a, clip.volume)
        if fi > 0:
            g *= _fade((s - clip.start) / fi)
        if fo > 0:
            g *= _fade((clip.end - s) / fo)
        return g.astype(np.float32)

    def _render_tempo(self, a: int, b: int) -> np.ndarray:
        if self._tempo is None or a != self._next:
            self._restart_tempo(a)
        reader = self.reader
        have = sum(p.shape[1] for p in self._pending)
        while self._pending_pos + have < b:
            x = reader.read(self._media / R, _TEMPO_FEED)
            self._media += _TEMPO_FEED
            assert self._tempo is not None
            for out in self._tempo.process(x):
                self._pending.append(out)
                have += out.shape[1]
        data = np.concatenate(self._pending, axis=1)
        skip = a - self._pending_pos
        result = data[:, skip:skip + b - a].T.copy()
        self._pending = [data[:, skip + b - a:]]
        self._pending_pos = b
        return result

    def _restart_tempo(self, a: int) -> None:
        """A fresh tempo graph, started a little before ``a`` so it has settled there."""
        clip = self.clip
        s0 = max(clip.start, a - _TEMPO_PREROLL)
        self._tempo = _Tempo(clip.speed)
        media = clip.source_start * R + (s0 - clip.start) * clip.speed - self._tempo.latency
        self._media = int(round(media))
        self._pending = []
        self._pending_pos = s0

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._tempo = None
        self._pending = []
        self._next = None


# =========================================================================== ducking


class _Ducker:
    """Music gain envelope driven by the dialogue bus level (see the module docstring).

    State is kept per 10 ms block on an absolute grid (block ``k`` covers samples
    ``[k·B, (k+1)·B)``): the gains after the last two complete blocks and the energy of the
    incomplete one, so chunk boundaries anywhere give the same envelope.
    """

    def __init__(self, duck_db: float, attack: float, release: float,
                 threshold_db: float) -> None:
        self.duck_db = float(duck_db)
        self._att = math.exp(-_DUCK_BLOCK / (attack * R)) if attack > 0 else 0.0
        self._rel = math.exp(-_DUCK_BLOCK / (release * R)) if release > 0 else 0.0
        self._threshold = 10.0 ** (threshold_db / 10.0)  # mean-square threshold
        taus = _DUCK_LOOKBACK_TAUS * max(attack, release, 0.0)
        self.lookback = int(taus * R) + 2 * _DUCK_BLOCK
        self.reset(0)

    def reset(self, pos: int) -> None:
        """Start at ``pos`` as if no dialogue had played before it."""
        self.pos = pos
        self._acc = 0.0
        self._g1 = self._g2 = 0.0  # gain (dB) after the last and the one before

    def process(self, dialogue: np.ndarray) -> np.ndarray:
        """Advance over the dialogue bus ``(m, 2)`` at ``pos``; the music gain (linear)."""
        B = _DUCK_BLOCK
        m = dialogue.shape[0]
        if m == 0:
            return np.ones(0, np.float32)
        power = np.einsum("ij,ij->i", dialogue, dialogue, dtype=np.float64) * 0.5
        pos = self.pos
        k0 = pos // B
        cuts = np.arange((k0 + 1) * B, pos + m, B) - pos  # block starts inside the chunk
        sums = np.add.reduceat(power, np.concatenate([[0], cuts]))
        sums[0] += self._acc
        complete = len(cuts) + (1 if (pos + m) % B == 0 else 0)
        gains = [self._g2, self._g1]
        for energy in sums[:complete]:
            target = self.duck_db if energy / B > self._threshold else 0.0
            prev = gains[-1]
            coef = self._att if target < prev else self._rel
            gains.append(target + (prev - target) * coef)
        self._acc = 0.0 if complete == len(sums) else float(sums[-1])
        self._g2, self._g1 = gains[-2], gains[-1]
        self.pos = pos + m
        # Across block k the gain goes from g[k-2] to g[k-1]: knots at the block starts.
        knots = (k0 + np.arange(len(gains))) * B
        db = np.interp(np.arange(pos, pos + m), knots, gains)
        return (10.0 ** (db / 20.0)).astype(np.float32)


# =========================================================================== mixer


class Mixer:
    """The pre-master mix of a :class:`ScenePlan`, addressed in timeline samples."""

    def __init__(self, plan: ScenePlan, *, duck_db: float = -12.0, duck_attack: float = 0.05,
                 duck_release: float = 0.3, duck_threshold_db: float = -45.0) -> None:
        self.plan = plan
        # Offline clips (no path), empty, muted or reversed clips are silent.
        self._clips = [c for c in plan.audio
                       if c.path is not None and c.length > 0 and c.volume > 0 and c.speed > 0]
        self._voices: dict[int, _Voice] = {}
        roles = {c.role for c in self._clips}
        self._ducker = (_Ducker(duck_db, duck_attack, duck_release, duck_threshold_db)
                        if "dialogue" in roles and "music" in roles else None)
        self._next = 0  # where a sequential call continues

    def mix(self, start: int, n: int) -> np.ndarray:
        """Float32 ``(n, 2)``: timeline samples ``[start, start + n)`` before mastering."""
        start, n = int(start), max(0, int(n))
        out = np.zeros((n, 2), np.float32)
        lead = min(n, max(0, -start))  # nothing plays before sample 0
        if n - lead > 0:
            out[lead:] = self._mix(start + lead, n - lead)
        return out

    def _mix(self, start: int, n: int) -> np.ndarray:
        end = start + n
        if self._ducker is not None and start != self._next:
            self._rewind_ducker(start)  # first: it reads the dialogue just before ``start``
        out = self._bus(start, end, lambda c: c.role not in ("dialogue", "music"))
        dialogue = self._bus(start, end, lambda c: c.role == "dialogue")
        music = self._bus(start, end, lambda c: c.role == "music")
        if self._ducker is not None:
            gain = self._ducker.process(dialogue)
            music *= gain[:, None]
        out += dialogue
        out += music
        self._next = end
        self._close_before(end)
        return out

    def _rewind_ducker(self, start: int) -> None:
        """Rebuild the envelope at ``start`` from the dialogue just before it."""
        assert self._ducker is not None
        B = _DUCK_BLOCK
        lo = max(0, (start - self._ducker.lookback) // B * B)
        if any(c.role == "dialogue" and c.start < start and c.end > lo for c in self._clips):
            self._ducker.reset(lo)
            self._ducker.process(self._bus(lo, start, lambda c: c.role == "dialogue"))
        else:
            self._ducker.reset(start)

    def _bus(self, start: int, end: int, wanted: Callable[[AudioClipPlan], bool]) -> np.ndarray:
        """Sum of the wanted clips over ``[start, end)``."""
        bus = np.zeros((end - start, 2), np.float32)
        for i, clip in enumerate(self._clips):
            if clip.end <= start or clip.start >= end or not wanted(clip):
                continue
            a, b = max(start, clip.start), min(end, clip.end)
            voice = self._voices.get(i)
            if voice is None:
                voice = self._voices[i] = _Voice(clip)
            bus[a - start:b - start] += voice.render(a, b)
        return bus

    def _close_before(self, pos: int) -> None:
        """Close the readers of clips that end at or before ``pos``."""
        for i in [i for i, v in self._voices.items() if v.clip.end <= pos]:
            self._voices.pop(i).close()

    @property
    def open_readers(self) -> int:
        return sum(1 for v in self._voices.values() if v._reader is not None)

    def close(self) -> None:
        for voice in self._voices.values():
            voice.close()
        self._voices.clear()

    def __enter__(self) -> Mixer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def render_audio(plan: ScenePlan, start: int, n: int, **mixer_kwargs: float) -> np.ndarray:
    """The pre-master mix of ``[start, start + n)`` from a fresh :class:`Mixer`."""
    with Mixer(plan, **mixer_kwargs) as mixer:
        return mixer.mix(start, n)


# =========================================================================== master


def _sliding_min(x: np.ndarray, width: int) -> np.ndarray:
    """``out[i] = min(x[i:i + width])`` (van Herk / Gil-Werman, vectorised)."""
    n = len(x)
    blocks = -(-n // width)
    padded = np.concatenate([x, np.full(blocks * width - n, np.inf)]).reshape(blocks, width)
    prefix = np.minimum.accumulate(padded, axis=1).ravel()
    suffix = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    m = n - width + 1
    return np.minimum(suffix[:m], prefix[width - 1:width - 1 + m])


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """``out[i] = mean(x[i:i + width])``."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    return (c[width:] - c[:-width]) / width


def limiter_gains(x: np.ndarray, ceiling: float) -> np.ndarray:
    """Gains for the middle ``len(x) - _LIM_LEFT - _LIM_RIGHT`` samples of ``x``.

    ``x`` carries ``_LIM_LEFT`` samples of context before and ``_LIM_RIGHT`` after.
    """
    peak = np.abs(x).max(axis=1).astype(np.float64)
    n = len(x) - _LIM_LEFT - _LIM_RIGHT
    if peak.max(initial=0.0) <= ceiling:
        return np.ones(n)
    need = np.minimum(1.0, ceiling / np.maximum(peak, 1e-30))
    held = _sliding_min(need, _LIM_HOLD + _LIM_LOOKAHEAD + 1)
    return _moving_average(_moving_average(held, _LIM_SMOOTH), _LIM_SMOOTH)


class MasterBus:
    """Loudness-normalised, peak-limited master of a :class:`Mixer`.

    :meth:`analyze` measures the whole mix once (EBU R128 integrated loudness and sample
    peak) and picks a constant gain toward ``target_lufs``; :meth:`read` applies it and a
    look-ahead limiter so no sample exceeds ``ceiling_dbtp`` (sample peak; true-peak
    overshoot from a later lossy encode is not modelled).
    """

    def __init__(self, mixer: Mixer, total_samples: int, *, target_lufs: float | None = -14.0,
                 ceiling_dbtp: float = -1.0, chunk: int = 48_000) -> None:
        self.mixer = mixer
        self.total_samples = int(total_samples)
        self.target_lufs = target_lufs
        self.ceiling_dbtp = ceiling_dbtp
        self.ceiling = 10.0 ** (ceiling_dbtp / 20.0)
        self.chunk = max(1, int(chunk))
        self.gain_db: float | None = None
        self.loudness: float | None = None  # measured integrated loudness of the mix (LUFS)
        self.peak_db: float | None = None  # its sample peak (dBFS)
        self._cache: np.ndarray = _SILENCE
        self._cache_pos = 0

    def analyze(self, cancel: Callable[[], bool] | None = None) -> float:
        """Measure the mix and store the gain (dB) toward the target; 0 without a target or
        for silence. The gain is capped so the limiter never takes more than
        ``MAX_LIMITING_DB`` off the loudest sample. Cancelled: returns 0, stores nothing."""
        if self.target_lufs is None:
            self.gain_db = 0.0
            return 0.0
        meter = LoudnessMeter(R)
        for pos in range(0, self.total_samples, self.chunk):
            if cancel is not None and cancel():
                return 0.0
            meter.add(self.mixer.mix(pos, min(self.chunk, self.total_samples - pos)))
        self.loudness = meter.integrated()
        self.peak_db = 20.0 * math.log10(meter.peak) if meter.peak > 0 else float("-inf")
        if math.isinf(self.loudness):
            gain = 0.0
        else:
            gain = self.target_lufs - self.loudness
            gain = min(gain, self.ceiling_dbtp + MAX_LIMITING_DB - self.peak_db)
        self.gain_db = gain
        return gain

    def read(self, start: int, n: int) -> np.ndarray:
        """Float32 ``(n, 2)`` of the master at timeline samples ``[start, start + n)``."""
        if self.gain_db is None:
            self.analyze()
        assert self.gain_db is not None
        n = max(0, int(n))
        x = self._mixed(start - _LIM_LEFT, start + n + _LIM_RIGHT)
        if self.gain_db != 0.0:
            x = x * np.float32(10.0 ** (self.gain_db / 20.0))
        gains = limiter_gains(x, self.ceiling)
        y = x[_LIM_LEFT:_LIM_LEFT + n] * gains[:, None].astype(np.float32)
        return np.clip(y, -self.ceiling, self.ceiling).astype(np.float32, copy=False)

    def _mixed(self, lo: int, hi: int) -> np.ndarray:
        """Mix over ``[lo, hi)`` (silence outside the scene), reusing the previous read's
        tail so sequential reads ask the mixer for each sample once, in order."""
        c0, c1 = self._cache_pos, self._cache_pos + len(self._cache)
        if c0 <= lo <= c1 <= hi:
            data = np.concatenate([self._cache[lo - c0:], self._mix_range(c1, hi)])
        else:
            data = self._mix_range(lo, hi)
        keep = _LIM_LEFT + _LIM_RIGHT
        self._cache = data[-keep:]
        self._cache_pos = hi - len(self._cache)
        return data

    def _mix_range(self, lo: int, hi: int) -> np.ndarray:
        out = np.zeros((max(0, hi - lo), 2), np.float32)
        a, b = max(lo, 0), min(hi, self.total_samples)
        if b > a:
            out[a - lo:b - lo] = self.mixer.mix(a, b - a)
        return out
