"""Audio files of the voice package: everything lands as 48 kHz mono 16-bit WAV (the render
engine's rate), written atomically."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import av
import numpy as np

from aladdin_studio.files import atomic_path

__all__ = ["RATE", "decode", "duration", "read_wav", "resample", "wav_info", "write_wav"]

RATE = 48_000


def decode(data: bytes | str | Path, rate: int = RATE) -> np.ndarray:
    """Mono float32 samples at ``rate`` of encoded audio (bytes or a file: MP3, WAV...)."""
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    chunks = []
    with av.open(source) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def pcm16(data: bytes) -> np.ndarray:
    """Float samples of raw little-endian 16-bit mono PCM."""
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def write_wav(path: str | Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """Write mono ``samples`` as 16-bit WAV at ``path`` (atomically)."""
    path = Path(path)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with atomic_path(path) as tmp:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
    return path


def duration(samples: np.ndarray, rate: int = RATE) -> float:
    return len(samples) / float(rate)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the rate of a 16-bit PCM WAV (the stdlib reader: no decoder,
    so worker threads leave the GIL to the editor)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: not 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        channels, rate = w.getnchannels(), w.getframerate()
    samples = data.astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def wav_info(path: str | Path) -> dict:
    """What ``timeline.probe`` reports for one of our 16-bit PCM WAVs (read from its header)."""
    from aladdin_studio.timeline.probe import MediaInfo, content_fingerprint

    with wave.open(str(path), "rb") as w:
        frames, rate, channels = w.getnframes(), w.getframerate(), w.getnchannels()
    return MediaInfo(str(path), duration=frames / rate, has_audio=True, audio_rate=rate,
                     audio_channels=channels, audio_stream_count=1, audio_codec="pcm_s16le",
                     content_hash=content_fingerprint(path)).to_dict()


def resample(samples: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    """Mono float32 ``samples`` from ``rate`` to ``to`` Hz with libswresample (no container,
    no child process)."""
    if rate == to or len(samples) == 0:
        return samples.astype(np.float32)
    frame = av.AudioFrame.from_ndarray(samples.astype(np.float32).reshape(1, -1), format="flt",
                                       layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=to)
    parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
