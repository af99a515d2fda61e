"""Real, decodable audio for the emulator: speech-like tone bursts per word (with a
character alignment that matches the audio), noise sound effects, and encoders for the
output formats the SDK asks for (``mp3_*`` via PyAV's libmp3lame, ``pcm_*`` raw s16le,
``wav_*``)."""

from __future__ import annotations

import hashlib
import io
import wave
from dataclasses import dataclass

import av
import numpy as np

CHAR_SECONDS = 0.065  # one character of speech
LEAD_SECONDS = 0.05  # silence before the first character
TAIL_SECONDS = 0.10  # and after the last


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # mono float32 in [-1, 1]
    rate: int
    characters: list[str]
    starts: list[float]
    ends: list[float]

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


def _pitch(voice_id: str) -> float:
    """A stable pitch per voice (110–260 Hz) so voices sound (and measure) different."""
    digest = hashlib.sha256(voice_id.encode()).digest()
    return 110.0 + (digest[0] / 255.0) * 150.0


def speech(text: str, voice_id: str, rate: int, speed: float = 1.0) -> Speech:
    """Tone bursts for the words of ``text`` and silence for spaces and punctuation."""
    step = CHAR_SECONDS / max(0.25, float(speed))
    chars = list(text)
    starts = [LEAD_SECONDS + i * step for i in range(len(chars))]
    ends = [s + step for s in starts]
    total = LEAD_SECONDS + len(chars) * step + TAIL_SECONDS
    out = np.zeros(int(round(total * rate)), dtype=np.float32)
    f0 = _pitch(voice_id)
    for i, ch in enumerate(chars):
        if not ch.isalnum():
            continue
        a, b = int(starts[i] * rate), int(ends[i] * rate)
        t = np.arange(b - a, dtype=np.float32) / rate
        f = f0 * (1.0 + 0.15 * ((ord(ch.lower()) % 7) / 7.0))
        tone = 0.4 * np.sin(2 * np.pi * f * t) + 0.15 * np.sin(2 * np.pi * 2 * f * t)
        out[a:b] = tone.astype(np.float32)
    return Speech(out, rate, chars, starts, ends)


def noise(duration: float, rate: int, seed: str) -> np.ndarray:
    """Band-limited noise under a rise-and-fall envelope (a sound effect)."""
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8],
                                               "little"))
    n = max(1, int(round(duration * rate)))
    white = rng.standard_normal(n).astype(np.float32)
    kernel = np.ones(8, dtype=np.float32) / 8
    smooth = np.convolve(white, kernel, mode="same")
    env = np.sqrt(np.clip(np.sin(np.linspace(0, np.pi, n, dtype=np.float32)), 0, 1))
    return (0.5 * smooth * env).astype(np.float32)


def parse_format(output_format: str | None, default: str = "mp3_44100_128") -> tuple[str, int]:
    """``("mp3" | "pcm" | "wav", sample rate)``; raises ValueError for unknown formats."""
    fmt = output_format or default
    parts = fmt.split("_")
    codec = parts[0]
    if codec not in ("mp3", "pcm", "wav") or len(parts) < 2 or not parts[1].isdigit():
        raise ValueError(fmt)
    return codec, int(parts[1])


def encode(samples: np.ndarray, rate: int, codec: str) -> tuple[bytes, str]:
    """``(bytes, media type)`` of mono ``samples`` in ``codec``."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    if codec == "pcm":
        return pcm.tobytes(), "audio/pcm"
    if codec == "wav":
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
        return buf.getvalue(), "audio/wav"
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.bit_rate = 128_000
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue(), "audio/mpeg"
