"""Playback clocks: where the player is, in (fractional) timeline frames.

Two kinds drive the display:

* :class:`AudioClock` at 1× forward when a sound device is open: the position is the
  audio actually handed to the device (samples written minus those still buffered), so
  picture follows sound and the two cannot drift apart.
* :class:`MonotonicClock` otherwise (2×…8×, reverse, or no device): a ``QElapsedTimer``
  scaled by the rate. Its reads are safe from any thread, so the render thread uses it to
  skip frames it can no longer deliver in time.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QElapsedTimer

__all__ = ["AudioClock", "Clock", "MonotonicClock"]


class Clock(Protocol):
    rate: float

    def position(self) -> float:
        """The timeline frame (fractional) playing now."""
        ...


class MonotonicClock:
    """``start + elapsed × rate × fps`` frames; frozen at ``start`` until :meth:`start`."""

    def __init__(self, start_frame: float, rate: float, fps: float) -> None:
        self.origin = float(start_frame)
        self.rate = float(rate)
        self.fps = float(fps)
        self._timer = QElapsedTimer()
        self._running = False

    def start(self) -> None:
        """Start counting (when the first frame is on screen, so a slow first render
        does not make the player skip the opening frames)."""
        if not self._running:
            self._timer.start()
            self._running = True

    @property
    def running(self) -> bool:
        return self._running

    def elapsed(self) -> float:
        """Wall seconds since :meth:`start` (0 before)."""
        return self._timer.nsecsElapsed() / 1e9 if self._running else 0.0

    def position(self) -> float:
        return self.origin + self.elapsed() * self.rate * self.fps


class _PlayedSeconds(Protocol):
    def played_seconds(self) -> float: ...


class AudioClock:
    """``start + seconds of sound played`` frames, read from an audio output (GUI thread)."""

    rate = 1.0

    def __init__(self, start_frame: float, fps: float, audio: _PlayedSeconds) -> None:
        self.origin = float(start_frame)
        self.fps = float(fps)
        self.audio = audio

    def position(self) -> float:
        return self.origin + self.audio.played_seconds() * self.fps
