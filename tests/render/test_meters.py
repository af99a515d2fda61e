"""Program meters: sample peaks with hold and fall-back, short-term loudness (BS.1770)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aladdin_studio.render.meters import FLOOR_DB, ProgramMeter


def sine(amplitude: float, seconds: float, hz: float = 997.0, rate: int = 48_000):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_peaks_per_channel_and_short_term_loudness_of_a_sine():
    meter = ProgramMeter()
    left = sine(0.1, 3.0)  # -20 dBFS
    stereo = np.stack([left, left * 0.5], axis=1)  # right 6 dB lower
    for i in range(0, len(stereo), 2000):  # one video frame of samples at a time
        meter.add(stereo[i:i + 2000])
    reading = meter.read(10.0)
    assert reading.peak_db[0] == pytest.approx(-20.0, abs=0.05)
    assert reading.peak_db[1] == pytest.approx(-26.02, abs=0.05)
    # L at -20 dBFS and R at -26 dBFS, each a 997 Hz sine: -20 + 10·log10(1 + 1/4) - 3.01
    expected = -20.0 + 10 * math.log10(1.25) - 3.01
    assert reading.short_term == pytest.approx(expected, abs=0.2)


def test_peak_falls_back_and_the_hold_line_waits_then_drops():
    meter = ProgramMeter(hold_s=1.5, fall_db_per_s=24.0)
    meter.add(np.full((480, 2), 0.5, dtype=np.float32))  # -6 dBFS burst
    assert meter.read(0.0).peak_db[0] == pytest.approx(-6.02, abs=0.01)
    after_1s = meter.read(1.0)
    assert after_1s.peak_db[0] == pytest.approx(-30.02, abs=0.01)  # 24 dB/s
    assert after_1s.hold_db[0] == pytest.approx(-6.02, abs=0.01)  # still held
    after_2s = meter.read(2.0)
    assert after_2s.hold_db[0] == pytest.approx(after_2s.peak_db[0])  # released
    assert meter.read(10.0).silent


def test_silence_reads_the_floor_and_no_loudness():
    meter = ProgramMeter()
    meter.add(np.zeros((48_000, 2), dtype=np.float32))
    reading = meter.read(1.0)
    assert reading.peak_db == (FLOOR_DB, FLOOR_DB) and reading.short_term == -math.inf
