"""Synthesize the offline sample project's media with PyAV + numpy (no network, no binaries).

Everything is deterministic (fixed seeds, fixed encoder thread count), so the same call on
the same PyAV build yields byte-identical files. Files are written atomically: to a temporary
name in the destination directory, then ``os.replace``-d into place.

Pattern clips carry their frame number twice: as digits in the top-left corner and as a
16-bit binary strip in the bottom-left corner that :func:`read_frame_number` decodes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .files import atomic_path

__all__ = [
    "AUDIO_RATE",
    "PATTERN_COUNT",
    "make_dialogue",
    "make_music_bed",
    "make_pattern_video",
    "make_still",
    "read_frame_number",
]

AUDIO_RATE = 48_000
PATTERN_COUNT = 5
_AAC_FRAME = 1024
_STRIP_BITS = 16
_ENCODER_THREADS = 4  # fixed so x264 output does not depend on the machine's core count

StrPath = str | os.PathLike[str]


# --------------------------------------------------------------------------- file helpers




def _audio_format_for(path: Path) -> str:
    return "ipod" if path.suffix.lower() in {".m4a", ".m4b"} else "mp4"


# --------------------------------------------------------------------------- colour helpers


def _rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.709 limited-range Y, Cb, Cr (uint8) from RGB values in 0..255 (last axis = 3)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    cb = (b - y) / 1.8556
    cr = (r - y) / 1.5748
    to8 = lambda a: np.clip(np.rint(a), 0, 255).astype(np.uint8)  # noqa: E731
    return to8(16 + 219 * y), to8(128 + 224 * cb), to8(128 + 224 * cr)


def _blend_lut(dark: tuple[int, int, int], light: tuple[int, int, int]) -> np.ndarray:
    """256-entry RGB palette going dark -> light -> dark along a cosine (one period)."""
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(256) / 256.0)
    return np.asarray(dark)[None, :] * (1 - w[:, None]) + np.asarray(light)[None, :] * w[:, None]


# --------------------------------------------------------------------------- frame overlays

_GLYPHS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001010010",
    "8": "111101111101111",
    "9": "111101111001111",
}


def _strip_cell(height: int) -> int:
    return max(8, height // 45)


def _digits_mask(text: str, scale: int) -> np.ndarray:
    cols = []
    for ch in text:
        glyph = np.array([int(b) for b in _GLYPHS[ch]], dtype=bool).reshape(5, 3)
        cols.extend([glyph, np.zeros((5, 1), dtype=bool)])
    mask = np.concatenate(cols[:-1], axis=1)
    return np.kron(mask, np.ones((scale, scale), dtype=bool))


def _draw_overlays(y: np.ndarray, u: np.ndarray, v: np.ndarray, index: int, digits: int) -> None:
    """Draw the frame number as digits (top-left) and as a binary strip (bottom-left)."""
    h, w = y.shape
    scale = max(2, h // 90)
    mask = _digits_mask(f"{index:0{digits}d}", scale)
    pad = scale
    mh, mw = mask.shape
    if mh + 3 * pad < h and mw + 3 * pad < w:
        y0 = x0 = pad
        box = y[y0 : y0 + mh + 2 * pad, x0 : x0 + mw + 2 * pad]
        box[...] = 16
        box[pad : pad + mh, pad : pad + mw][mask] = 235
        u[y0 // 2 : (y0 + mh + 2 * pad + 1) // 2, x0 // 2 : (x0 + mw + 2 * pad + 1) // 2] = 128
        v[y0 // 2 : (y0 + mh + 2 * pad + 1) // 2, x0 // 2 : (x0 + mw + 2 * pad + 1) // 2] = 128
    cell = _strip_cell(h)
    if (_STRIP_BITS + 2) * cell > w or 3 * cell > h:
        return
    sy0, sy1 = h - 2 * cell, h - cell
    y[sy0 - cell // 2 : sy1 + cell // 2, cell // 2 : (_STRIP_BITS + 1) * cell + cell // 2] = 128
    for bit in range(_STRIP_BITS):
        on = (index >> (_STRIP_BITS - 1 - bit)) & 1
        y[sy0:sy1, (bit + 1) * cell : (bit + 2) * cell] = 235 if on else 16
    u[(sy0 - cell // 2) // 2 : (sy1 + cell // 2) // 2 + 1, : ((_STRIP_BITS + 2) * cell) // 2] = 128
    v[(sy0 - cell // 2) // 2 : (sy1 + cell // 2) // 2 + 1, : ((_STRIP_BITS + 2) * cell) // 2] = 128


def read_frame_number(image: np.ndarray) -> int:
    """Decode the binary frame-number strip from a decoded frame.

    ``image`` is a luma (H, W) array or an RGB/BGR (H, W, 3) uint8 array at the clip's size.
    """
    arr = np.asarray(image)
    luma = arr.mean(axis=2) if arr.ndim == 3 else arr.astype(np.float64)
    h, w = luma.shape
    cell = _strip_cell(h)
    if (_STRIP_BITS + 2) * cell > w or 3 * cell > h:
        raise ValueError(f"frame {w}x{h} is too small to carry a frame-number strip")
    yc = h - 2 * cell + cell // 2
    value = 0
    q = max(1, cell // 4)
    for bit in range(_STRIP_BITS):
        xc = (bit + 1) * cell + cell // 2
        sample = float(luma[yc - q : yc + q, xc - q : xc + q].mean())
        value = (value << 1) | int(sample > 128)
    return value


# --------------------------------------------------------------------------- video patterns

# Each pattern fills Y (h, w), U and V (h/2, w/2) in place for frame ``index``.
_PatternFn = Callable[[int, np.ndarray, np.ndarray, np.ndarray], None]


def _reflect(pos: float, span: int) -> int:
    """Position bouncing between 0 and ``span``."""
    if span <= 0:
        return 0
    m = pos % (2 * span)
    return int(m if m <= span else 2 * span - m)


def _scrolling_lut(grid: np.ndarray, grid_c: np.ndarray,
                   luts: tuple[np.ndarray, np.ndarray, np.ndarray],
                   step: Callable[[int], int]) -> _PatternFn:
    """A pattern whose planes look up ``luts`` at ``grid`` (luma) / ``grid_c`` (chroma)
    shifted by ``-step(i)`` (mod 256) at frame ``i``: moving rings, sweeps."""
    ly, lu, lv = luts
    tmp, tmp_c = np.empty_like(grid), np.empty_like(grid_c)

    def fill(i: int, Y: np.ndarray, U: np.ndarray, V: np.ndarray) -> None:
        off = np.uint8((-step(i)) & 255)
        np.add(grid, off, out=tmp)
        np.take(ly, tmp, out=Y)
        np.add(grid_c, off, out=tmp_c)
        np.take(lu, tmp_c, out=U)
        np.take(lv, tmp_c, out=V)

    return fill


def _make_pattern(pattern: int, w: int, h: int, fps: Fraction) -> _PatternFn:
    cw, ch = w // 2, h // 2
    s = h / 1080.0
    f = float(fps)
    x, yy = np.arange(w), np.arange(h)
    xc, yc = np.arange(cw) * 2, np.arange(ch) * 2

    if pattern == 0:  # warm colour bars scrolling horizontally
        pal = np.array(
            [(220, 30, 40), (240, 90, 40), (200, 20, 90), (250, 130, 110),
             (160, 10, 20), (235, 60, 70), (255, 110, 60), (190, 40, 50)]
        )  # fmt: skip
        ly, lu, lv = _rgb_to_yuv(pal)
        bar = max(2, w // 8)

        def bars(i: int, Y: np.ndarray, U: np.ndarray, V: np.ndarray) -> None:
            off = int(i * w / (6 * f))
            Y[:] = ly[((x + off) // bar) % 8][None, :]
            idx_c = ((xc + off) // bar) % 8
            U[:] = lu[idx_c][None, :]
            V[:] = lv[idx_c][None, :]

        return bars

    if pattern == 1:  # green concentric rings expanding from the centre
        ly, lu, lv = _rgb_to_yuv(_blend_lut((10, 60, 25), (140, 235, 120)))
        period = max(8.0, 96 * s)
        r = np.hypot(x[None, :] - w / 2, yy[:, None] - h / 2)
        rc = np.hypot(xc[None, :] - w / 2, yc[:, None] - h / 2)
        grid = (np.rint(r * 256 / period).astype(np.int64) & 255).astype(np.uint8)
        grid_c = (np.rint(rc * 256 / period).astype(np.int64) & 255).astype(np.uint8)
        return _scrolling_lut(grid, grid_c, (ly, lu, lv), lambda i: int(i * 256 / f))

    if pattern == 2:  # blue diagonal gradient sweeping across the frame
        ly, lu, lv = _rgb_to_yuv(_blend_lut((8, 18, 80), (120, 180, 255)))
        period = (w + h) / 1.5
        grid = np.rint((x[None, :] + yy[:, None]) * 256 / period).astype(np.int64) & 255
        grid = grid.astype(np.uint8)
        grid_c = np.rint((xc[None, :] + yc[:, None]) * 256 / period).astype(np.int64) & 255
        grid_c = grid_c.astype(np.uint8)
        return _scrolling_lut(grid, grid_c, (ly, lu, lv), lambda i: int(i * 256 / (3 * f)))

    if pattern == 3:  # amber checkerboard scrolling diagonally
        ly, lu, lv = _rgb_to_yuv(np.array([(245, 200, 40), (165, 115, 10)]))
        cell = max(4, int(120 * s))
        tmp = np.empty((h, w), dtype=np.uint8)
        tmp_c = np.empty((ch, cw), dtype=np.uint8)

        def checker(i: int, Y: np.ndarray, U: np.ndarray, V: np.ndarray) -> None:
            ox, oy = int(i * cell / f), int(i * cell / (2 * f))
            a = (((x + ox) // cell) & 1).astype(np.uint8)
            b = (((yy + oy) // cell) & 1).astype(np.uint8)
            np.bitwise_xor(a[None, :], b[:, None], out=tmp)
            np.take(ly, tmp, out=Y)
            ac = (((xc + ox) // cell) & 1).astype(np.uint8)
            bc = (((yc + oy) // cell) & 1).astype(np.uint8)
            np.bitwise_xor(ac[None, :], bc[:, None], out=tmp_c)
            np.take(lu, tmp_c, out=U)
            np.take(lv, tmp_c, out=V)

        return checker

    if pattern == 4:  # light box bouncing on a magenta field
        t = np.linspace(0.0, 1.0, h)[:, None]
        field = np.array([150, 25, 150]) * (1 - t) + np.array([85, 10, 105]) * t
        fy, fu, fv = _rgb_to_yuv(field)  # one value per row
        fu, fv = fu[0::2][:ch], fv[0::2][:ch]
        (by,), (bu,), (bv,) = _rgb_to_yuv(np.array([(255, 200, 245)]))
        bw = bh = max(4, (h // 4) & ~1)

        def bounce(i: int, Y: np.ndarray, U: np.ndarray, V: np.ndarray) -> None:
            t_s = i / f
            bx = _reflect(w * 0.1 + t_s * w / 3, w - bw) & ~1
            byy = _reflect(h * 0.2 + t_s * h / 2.5, h - bh) & ~1
            Y[:] = fy[:, None]
            U[:] = fu[:, None]
            V[:] = fv[:, None]
            Y[byy : byy + bh, bx : bx + bw] = by
            U[byy // 2 : (byy + bh) // 2, bx // 2 : (bx + bw) // 2] = bu
            V[byy // 2 : (byy + bh) // 2, bx // 2 : (bx + bw) // 2] = bv

        return bounce

    raise ValueError(f"pattern must be in 0..{PATTERN_COUNT - 1}, got {pattern}")


# --------------------------------------------------------------------------- audio helpers


def _tone(start: int, n: int, total: int, tone_hz: float) -> np.ndarray:
    """Stereo (2, n) float32 sine with a gentle amplitude swell, faded at both ends."""
    idx = np.arange(start, start + n, dtype=np.float64)
    t = idx / AUDIO_RATE
    env = 0.22 * (0.8 + 0.2 * np.sin(2 * np.pi * 0.5 * t - np.pi / 2))
    fade = min(0.02 * AUDIO_RATE, total / 4)
    env *= np.clip(np.minimum(idx / fade, (total - idx) / fade), 0.0, 1.0)
    sig = np.sin(2 * np.pi * tone_hz * t) * env
    pan = 0.5 + 0.15 * np.sin(2 * np.pi * 0.25 * t)
    return np.stack([sig * np.sqrt(2 * (1 - pan)), sig * np.sqrt(2 * pan)]).astype(np.float32)


def _audio_frame(samples: np.ndarray, pts: int, layout: str) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.float32), format="fltp", layout=layout
    )
    frame.sample_rate = AUDIO_RATE
    frame.pts = pts
    frame.time_base = Fraction(1, AUDIO_RATE)
    return frame


def _add_aac_stream(container: av.container.OutputContainer, layout: str) -> av.AudioStream:
    stream = container.add_stream("aac", rate=AUDIO_RATE, layout=layout)
    stream.codec_context.bit_rate = 160_000 if layout == "stereo" else 96_000
    return stream


def _write_audio_file(path: StrPath, samples: np.ndarray) -> Path:
    """Encode (channels, n) float samples as AAC 48 kHz into an .m4a/.mp4 atomically."""
    dest = Path(path)
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    n_total = samples.shape[1]
    with atomic_path(dest) as tmp:
        with av.open(
            str(tmp), "w", format=_audio_format_for(dest), options={"movflags": "+faststart"}
        ) as out:
            stream = _add_aac_stream(out, layout)
            for start in range(0, n_total, _AAC_FRAME):
                chunk = samples[:, start : start + _AAC_FRAME]
                out.mux(stream.encode(_audio_frame(chunk, start, layout)))
            out.mux(stream.encode(None))
    return dest


def _fade_edges(sig: np.ndarray, fade_in: float, fade_out: float) -> None:
    n = sig.shape[-1]
    fi = min(int(fade_in * AUDIO_RATE), n // 2)
    fo = min(int(fade_out * AUDIO_RATE), n // 2)
    if fi:
        sig[..., :fi] *= np.linspace(0.0, 1.0, fi)
    if fo:
        sig[..., n - fo :] *= np.linspace(1.0, 0.0, fo)


def _normalize(sig: np.ndarray, peak: float) -> np.ndarray:
    m = float(np.max(np.abs(sig))) if sig.size else 0.0
    return sig * (peak / m) if m > 0 else sig


# --------------------------------------------------------------------------- public makers


def make_pattern_video(
    path: StrPath,
    *,
    seconds: float,
    size: tuple[int, int] = (1920, 1080),
    fps: int | float | Fraction = 24,
    pattern: int = 0,
    tone_hz: float = 440.0,
    gop: int = 48,
    crf: int = 23,
    preset: str = "veryfast",
) -> Path:
    """Write an H.264/AAC MP4 of a moving colour pattern with a sine tone.

    Exactly ``round(seconds * fps)`` frames and ``round(seconds * 48000)`` audio samples.
    A float ``fps`` is snapped to the nearest fraction with denominator <= 1001.
    ``pattern`` 0..4: warm scrolling bars, green rings, blue diagonal sweep, amber
    checkerboard, light box bouncing on magenta. The frame number is drawn as digits and as
    a binary strip (see :func:`read_frame_number`).
    """
    w, h = size
    if w <= 0 or h <= 0 or w % 2 or h % 2:
        raise ValueError(f"size must be positive and even, got {w}x{h}")
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    rate = Fraction(fps).limit_denominator(1001) if isinstance(fps, float) else Fraction(fps)
    if rate <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    n_frames = max(1, round(seconds * rate))
    n_samples = max(1, round(seconds * AUDIO_RATE))
    fill = _make_pattern(pattern, w, h, rate)
    digits = max(4, len(str(n_frames - 1)))

    buf = np.empty((h * 3 // 2, w), dtype=np.uint8)
    flat = buf.reshape(-1)
    Y = flat[: w * h].reshape(h, w)
    U = flat[w * h : w * h + (w // 2) * (h // 2)].reshape(h // 2, w // 2)
    V = flat[w * h + (w // 2) * (h // 2) :].reshape(h // 2, w // 2)

    dest = Path(path)
    with atomic_path(dest) as tmp:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            # scenecut=0: keyframes exactly every `gop` frames. no-mbtree: x264's SIMD
            # macroblock-tree pass made small clips (e.g. 320x180) nondeterministic.
            x264_params = "scenecut=0:no-mbtree=1"
            vs = out.add_stream(
                "libx264",
                rate=rate,
                options={"preset": preset, "crf": str(crf), "x264-params": x264_params},
            )
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
            vs.codec_context.gop_size = gop
            vs.codec_context.thread_type = "FRAME"
            vs.codec_context.thread_count = _ENCODER_THREADS
            vs.color_range, vs.color_primaries, vs.color_trc, vs.colorspace = 1, 1, 1, 1
            vs.time_base = 1 / rate
            aus = _add_aac_stream(out, "stereo")

            audio_done = 0
            for i in range(n_frames):
                fill(i, Y, U, V)
                _draw_overlays(Y, U, V, i, digits)
                frame = av.VideoFrame.from_ndarray(buf, format="yuv420p")
                frame.pts = i
                frame.time_base = 1 / rate
                out.mux(vs.encode(frame))
                # Keep audio level with video so the file interleaves well.
                audio_target = (
                    n_samples
                    if i == n_frames - 1
                    else min(n_samples, math.floor((i + 1) * AUDIO_RATE / rate))
                )
                while audio_target - audio_done >= _AAC_FRAME or (
                    i == n_frames - 1 and audio_done < n_samples
                ):
                    n = min(_AAC_FRAME, n_samples - audio_done)
                    chunk = _tone(audio_done, n, n_samples, tone_hz)
                    out.mux(aus.encode(_audio_frame(chunk, audio_done, "stereo")))
                    audio_done += n
            out.mux(vs.encode(None))
            out.mux(aus.encode(None))
    return dest


def make_music_bed(path: StrPath, *, seconds: float) -> Path:
    """Write a soft I-vi-IV-V chord progression (pad, bass pulse, arpeggio) as AAC stereo."""
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    n = max(1, round(seconds * AUDIO_RATE))
    t = np.arange(n) / AUDIO_RATE
    bpm = 100.0
    beat = 60.0 / bpm
    bar = 4 * beat
    midi = lambda m: 440.0 * 2 ** ((m - 69) / 12)  # noqa: E731
    chords = [(48, [60, 64, 67]), (45, [57, 60, 64]), (41, [57, 60, 65]), (43, [59, 62, 67])]
    out = np.zeros((2, n))
    release = 0.35
    for k in range(int(math.ceil(seconds / bar))):
        root, notes = chords[k % len(chords)]
        t0 = k * bar
        a = int(t0 * AUDIO_RATE)
        b = min(n, int((t0 + bar + release) * AUDIO_RATE))
        if a >= n:
            break
        tt = t[a:b] - t0
        env = np.minimum(1.0, tt / 0.4) * np.clip((bar + release - tt) / release, 0.0, 1.0)
        # Pad: three chord tones, slightly detuned left/right for width.
        for j, m in enumerate(notes):
            fr = midi(m)
            for ch, det in ((0, -0.7), (1, 0.7)):
                ph = 2 * np.pi * (fr + det * (1 if j % 2 else -1)) * tt
                out[ch, a:b] += 0.11 * env * (np.sin(ph) + 0.25 * np.sin(2 * ph))
        # Bass: triangle on the root, re-struck softly on every beat.
        beat_pos = tt % beat
        pulse = np.exp(-beat_pos / 0.35) * np.minimum(1.0, beat_pos / 0.01)
        tri = 2 / np.pi * np.arcsin(np.sin(2 * np.pi * midi(root) * tt))
        out[:, a:b] += 0.22 * env * pulse * tri
        # Arpeggio pulse: eighth notes cycling through the chord an octave up.
        eighth = beat / 2
        step = (tt // eighth).astype(np.int64)
        e_pos = tt - step * eighth
        freqs = np.array([midi(m + 12) for m in notes + [notes[1]]])[step % 4]
        pluck = np.exp(-e_pos / 0.12) * np.minimum(1.0, e_pos / 0.005)
        arp = 0.07 * env * pluck * np.sin(2 * np.pi * freqs * e_pos)
        out[0, a:b] += arp * np.where(step % 2 == 0, 1.0, 0.55)
        out[1, a:b] += arp * np.where(step % 2 == 0, 0.55, 1.0)
    _fade_edges(out, 0.5, min(1.5, seconds / 3))
    return _write_audio_file(path, _normalize(out, 0.5).astype(np.float32))


_VOWELS = [
    (730, 1090, 2440),  # a
    (530, 1840, 2480),  # e
    (270, 2290, 3010),  # i
    (570, 840, 2410),  # o
    (300, 870, 2240),  # u
    (660, 1720, 2410),  # ae
]


def make_dialogue(path: StrPath, *, seconds: float, seed: int = 7) -> Path:
    """Write speech-like mono audio: voiced formant syllables in phrases with pauses (AAC)."""
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    rng = np.random.default_rng(seed)
    n = max(1, round(seconds * AUDIO_RATE))
    out = np.zeros(n)
    pos = int(0.15 * AUDIO_RATE)
    while pos < n:
        syllables = int(rng.integers(3, 9))
        base_f0 = float(rng.uniform(105, 150))
        for s_i in range(syllables):
            dur = float(rng.uniform(0.12, 0.28))
            m = int(dur * AUDIO_RATE)
            if pos >= n:
                break
            # Optional consonant onset: a short burst of high-passed noise.
            if rng.random() < 0.5:
                c_len = int(rng.uniform(0.01, 0.07) * AUDIO_RATE)
                noise = np.diff(rng.standard_normal(c_len + 2), n=2)
                noise *= np.hanning(c_len) * float(rng.uniform(0.05, 0.15))
                end = min(n, pos + c_len)
                out[pos:end] += noise[: end - pos]
                pos += int(c_len * 0.7)
            # Voiced nucleus: harmonics of a falling f0 shaped by vowel formants.
            decl = 1.0 - 0.25 * s_i / max(1, syllables - 1)
            f0_0 = base_f0 * decl * float(rng.uniform(0.92, 1.1))
            f0_1 = f0_0 * float(rng.uniform(0.85, 1.05))
            tt = np.arange(m) / AUDIO_RATE
            f0 = np.linspace(f0_0, f0_1, m) * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * tt))
            phase = 2 * np.pi * np.cumsum(f0) / AUDIO_RATE
            formants = _VOWELS[int(rng.integers(len(_VOWELS)))]
            mean_f0 = float(f0.mean())
            voiced = np.zeros(m)
            for k in range(1, int(5000 // mean_f0) + 1):
                fk = k * mean_f0
                gain = sum(
                    wgt / (1 + ((fk - fm) / bw) ** 2)
                    for fm, bw, wgt in zip(formants, (90, 110, 170), (1.0, 0.6, 0.3), strict=True)
                )
                voiced += (gain / k**0.7) * np.sin(k * phase)
            att = min(m, int(0.015 * AUDIO_RATE))
            env = np.sin(np.pi * np.arange(m) / m) ** 0.6
            env[:att] *= np.linspace(0.0, 1.0, att)
            voiced *= env * float(rng.uniform(0.6, 1.0))
            voiced += 0.01 * rng.standard_normal(m) * env  # breathiness
            end = min(n, pos + m)
            out[pos:end] += voiced[: end - pos]
            pos += m + int(rng.uniform(0.02, 0.07) * AUDIO_RATE)
        pos += int(rng.uniform(0.25, 0.6) * AUDIO_RATE)
    _fade_edges(out, 0.01, 0.05)
    return _write_audio_file(path, _normalize(out, 0.5)[None, :].astype(np.float32))


def make_still(
    path: StrPath, *, size: tuple[int, int] = (1920, 1080), text: str = "Aladdin Studio"
) -> Path:
    """Write a PNG: diagonal gradient background, a lamp-like shape and centred text."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = size
    if w <= 0 or h <= 0:
        raise ValueError(f"size must be positive, got {w}x{h}")
    gx = np.linspace(0.0, 1.0, w)[None, :]
    gy = np.linspace(0.0, 1.0, h)[:, None]
    g = (0.6 * gx + 0.4 * gy)[..., None]
    top, bottom = np.array([40, 20, 90]), np.array([20, 140, 150])
    rgb = np.clip(top * (1 - g) + bottom * g, 0, 255).astype(np.uint8)
    img = Image.fromarray(rgb, "RGB")
    draw = ImageDraw.Draw(img)
    u = min(w, h)
    cx, cy = w // 2, int(h * 0.38)
    r = max(2, u // 7)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 200, 60), outline=(255, 240, 200),
                 width=max(1, u // 120))  # fmt: skip
    draw.rounded_rectangle(
        (cx - 2 * r, cy + r // 2, cx + 2 * r, cy + r // 2 + max(2, r // 3)),
        radius=max(1, r // 6),
        fill=(200, 120, 40),
    )
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default(
            size=max(8, h // 10)
        )
    except (OSError, ImportError, TypeError):  # Pillow built without FreeType
        font = ImageFont.load_default()
    ty = int(h * 0.72)
    draw.text((cx, ty), text, fill=(255, 255, 255), font=font, anchor="mm")
    dest = Path(path)
    with atomic_path(dest) as tmp:
        img.save(tmp, format="PNG")
    return dest
