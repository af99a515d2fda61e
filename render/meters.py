"""Program audio meters without Qt: per-channel sample peak with a peak hold, and EBU R128
short-term loudness (3 s, BS.1770 K-weighting from :mod:`render.loudness`).

Fed with the samples as they are played; read at display rate. Peaks fall at
``fall_db_per_s`` after a transient and the hold line stays ``hold_s`` seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .loudness import LoudnessMeter

__all__ = ["FLOOR_DB", "MeterReading", "ProgramMeter", "to_db"]

FLOOR_DB = -60.0


def to_db(amplitude: float) -> float:
    """dBFS of a linear amplitude, clamped to the floor."""
    return max(FLOOR_DB, 20.0 * math.log10(amplitude)) if amplitude > 0 else FLOOR_DB


@dataclass(frozen=True)
class MeterReading:
    peak_db: tuple[float, ...]  # per channel, with fall-back ballistics
    hold_db: tuple[float, ...]  # per channel peak hold
    short_term: float  # LUFS over the last 3 s (-inf in silence)

    @property
    def silent(self) -> bool:
        return all(p <= FLOOR_DB for p in self.peak_db + self.hold_db)


class ProgramMeter:
    def __init__(self, rate: int = 48_000, channels: int = 2, *, hold_s: float = 1.5,
                 fall_db_per_s: float = 24.0) -> None:
        self.rate, self.channels = rate, channels
        self.hold_s, self.fall = hold_s, fall_db_per_s
        self.reset()

    def reset(self) -> None:
        """Forget everything (a seek or a new playback)."""
        self._loudness = LoudnessMeter(self.rate)
        self._since = np.zeros(self.channels)  # max |sample| since the last read
        self._shown = [FLOOR_DB] * self.channels
        self._hold = [FLOOR_DB] * self.channels
        self._hold_at = [0.0] * self.channels
        self._read_at: float | None = None

    def add(self, samples: np.ndarray) -> None:
        """Samples ``(n, channels)`` that were just played."""
        x = np.asarray(samples)
        if x.size == 0:
            return
        if x.ndim == 1:
            x = np.repeat(x[:, None], self.channels, axis=1)
        self._since = np.maximum(self._since, np.abs(x[:, :self.channels]).max(axis=0))
        self._loudness.add(x[:, :self.channels])

    def read(self, now: float) -> MeterReading:
        """The levels to show at time ``now`` (seconds, monotonic)."""
        dt = 0.0 if self._read_at is None else max(0.0, now - self._read_at)
        self._read_at = now
        for c in range(self.channels):
            fresh = to_db(float(self._since[c]))
            shown = max(fresh, self._shown[c] - self.fall * dt)
            self._shown[c] = max(FLOOR_DB, shown)
            if fresh >= self._hold[c] or now - self._hold_at[c] > self.hold_s:
                self._hold[c], self._hold_at[c] = max(fresh, self._shown[c]), now
        self._since[:] = 0.0
        return MeterReading(tuple(self._shown), tuple(self._hold),
                            self._loudness.recent(3.0))
