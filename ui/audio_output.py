"""The player's sound: a push-mode ``QAudioSink`` at 48 kHz stereo that is also its clock.

The player hands over each playback frame's samples (:meth:`AudioOutput.write`); they wait
in a backlog and are pushed into the sink as room frees up (:meth:`AudioOutput.pump`,
called from the player's display timer). :meth:`AudioOutput.played_seconds` is the sound
handed to the device so far: bytes written minus the bytes still in the sink's buffer.

Without a sound device (CI, offscreen, headless servers) :meth:`start` returns False and
the player falls back to a monotonic clock; this is logged once per process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

__all__ = ["CHANNELS", "SAMPLE_RATE", "AudioOutput"]

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
CHANNELS = 2
BUFFER_SECONDS = 0.1  # what the device holds; more sits in our backlog until there is room

_warned = False


def _warn_once(message: str, *args: Any) -> None:
    global _warned
    if not _warned:
        _warned = True
        log.info(message, *args)


def _healthy(error: Any) -> bool:
    """No error, or only an underrun (by name: Qt 6.11 has both ``QAudio`` and ``QtAudio``
    enums, which do not compare equal)."""
    return getattr(error, "name", str(error)) in ("NoError", "UnderrunError")


SinkFactory = Callable[[QAudioFormat], Any]


class AudioOutput:
    """Push-mode 48 kHz stereo output (Float or Int16, whichever the device prefers).

    A device that holds sound but stops playing it for ``stall_seconds`` counts as failed
    (as does one reporting an error), so a stuck device cannot freeze the picture.

    ``sink_factory(format)`` builds the sink (a ``QAudioSink`` by default); tests pass a
    fake with the same methods: ``start()`` → device, ``bytesFree()``, ``bufferSize()``,
    ``setBufferSize()``, ``stop()``, ``error()``.
    """

    stall_seconds = 1.0

    def __init__(self, sink_factory: SinkFactory | None = None,
                 sample_format: QAudioFormat.SampleFormat | None = None) -> None:
        self._factory = sink_factory
        self._sample_format = sample_format
        self._sink: Any = None
        self._io: Any = None
        self._format: QAudioFormat | None = None
        self._backlog = bytearray()
        self.written = 0  # bytes accepted by the sink since start()
        self.failed = False  # True after a device error (or stall) while playing
        self._progress = (0.0, 0.0)  # (played seconds, monotonic time it last grew)

    # ------------------------------------------------------------------ format

    @property
    def bytes_per_frame(self) -> int:
        assert self._format is not None
        return self._format.bytesPerFrame()

    @property
    def sample_format(self) -> QAudioFormat.SampleFormat | None:
        return self._format.sampleFormat() if self._format is not None else None

    def _choose_format(self) -> tuple[QAudioFormat, Any] | None:
        """The format and device to open, or None when there is no usable device."""
        fmt = QAudioFormat()
        fmt.setSampleRate(SAMPLE_RATE)
        fmt.setChannelCount(CHANNELS)
        if self._factory is not None:
            fmt.setSampleFormat(self._sample_format or QAudioFormat.SampleFormat.Float)
            return fmt, None
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            _warn_once("No audio output device: the player runs silent on a monotonic clock.")
            return None
        preferred = device.preferredFormat().sampleFormat()
        order = [QAudioFormat.SampleFormat.Float, QAudioFormat.SampleFormat.Int16]
        if preferred == QAudioFormat.SampleFormat.Int16:
            order.reverse()
        for sample_format in order:
            fmt.setSampleFormat(sample_format)
            if device.isFormatSupported(fmt):
                return fmt, device
        _warn_once("Audio device %r takes neither Float nor Int16 at 48 kHz stereo: "
                   "the player runs silent.", device.description())
        return None

    # ------------------------------------------------------------------ lifecycle

    def prepare(self) -> bool:
        """Open the device (once; tens of ms, so the player does it ahead of the first
        play); False if there is no usable device."""
        if self._sink is not None:
            return True
        chosen = self._choose_format()
        if chosen is None:
            return False
        fmt, device = chosen
        try:
            sink = self._factory(fmt) if self._factory is not None else QAudioSink(device, fmt)
        except Exception as exc:  # a broken backend must not take the player down
            _warn_once("Could not open the audio output (%s): playing silent.", exc)
            return False
        sink.setBufferSize(int(SAMPLE_RATE * BUFFER_SECONDS) * fmt.bytesPerFrame())
        self._format, self._sink = fmt, sink
        return True

    def start(self) -> bool:
        """Start the sink (opening it if needed); False if there is no usable device."""
        self.stop()
        self.failed = False
        if not self.prepare():
            return False
        self._io = self._sink.start()
        if self._io is None or not _healthy(self._sink.error()):
            _warn_once("The audio output did not start (%s): playing silent.",
                       self._sink.error())
            self._io = None
            return False
        self.written = 0
        self._backlog.clear()
        self._progress = (0.0, time.monotonic())
        return True

    def stop(self) -> None:
        """Stop and drop whatever has not been played."""
        if self._sink is not None and self._io is not None:
            reset = getattr(self._sink, "reset", None)
            if reset is not None:
                reset()  # drop buffered sound now rather than letting it play out
            self._sink.stop()
        self._io = None
        self._backlog.clear()
        self.written = 0

    def close(self) -> None:
        self.stop()
        self._sink = None

    @property
    def active(self) -> bool:
        return self._io is not None

    # ------------------------------------------------------------------ data

    def write(self, samples: np.ndarray) -> None:
        """Queue float32 ``(n, 2)`` samples at 48 kHz and push what fits now."""
        if self._io is None or len(samples) == 0:
            return
        data = np.ascontiguousarray(samples, dtype=np.float32)
        if self.sample_format == QAudioFormat.SampleFormat.Int16:
            data = (np.clip(data, -1.0, 1.0) * 32767.0).astype("<i2")
        self._backlog += data.tobytes()
        self.pump()

    def pump(self) -> None:
        """Push as much of the backlog as the sink has room for."""
        if self._io is None:
            return
        error = self._sink.error()
        if not _healthy(error):
            self._fail(f"Audio output failed ({error}): continuing without sound.")
            return
        played, now = self.played_seconds(), time.monotonic()
        if played > self._progress[0]:
            self._progress = (played, now)
        elif (self.written and now - self._progress[1] > self.stall_seconds
              and self._sink.bytesFree() < self._sink.bufferSize()):
            self._fail(f"Audio output stopped playing for {self.stall_seconds:g} s: "
                       "continuing without sound.")
            return
        if not self._backlog:
            return
        room = min(self._sink.bytesFree(), len(self._backlog))
        room -= room % self.bytes_per_frame
        if room <= 0:
            return
        n = self._io.write(bytes(self._backlog[:room]))
        if n and n > 0:
            if not self.written:  # the stall watch starts with the first sound
                self._progress = (0.0, now)
            self.written += n
            del self._backlog[:n]

    def _fail(self, message: str) -> None:
        if not self.failed:
            log.warning(message)
        self.failed = True

    @property
    def backlog_seconds(self) -> float:
        if self._format is None:
            return 0.0
        return len(self._backlog) / (self.bytes_per_frame * SAMPLE_RATE)

    def played_seconds(self) -> float:
        """Seconds of sound handed to the device since :meth:`start`."""
        if self._io is None or self._format is None:
            return 0.0
        buffered = max(0, self._sink.bufferSize() - self._sink.bytesFree())
        return max(0, self.written - buffered) / (self.bytes_per_frame * SAMPLE_RATE)
