"""Audio meters beside the player: fed by what the player plays, repainted at ≤ 30 Hz."""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtMultimedia import QAudio

from aladdin_studio.render.meters import FLOOR_DB
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.audio_meters import FPS_LIMIT, AudioMeters
from aladdin_studio.ui.audio_output import AudioOutput
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.player import PlayerWidget


class RealTimeSink:
    """Consumes bytes in real time like a sound device (the parts AudioOutput uses)."""

    def __init__(self, fmt) -> None:
        self.bps = fmt.bytesPerFrame() * fmt.sampleRate()
        self.size = self.queued = 0
        self.last = time.perf_counter()

    def setBufferSize(self, n: int) -> None:  # noqa: N802
        self.size = n

    def bufferSize(self) -> int:  # noqa: N802
        return self.size

    def start(self):
        self.queued, self.last = 0, time.perf_counter()
        return self

    def bytesFree(self) -> int:  # noqa: N802
        now = time.perf_counter()
        self.queued = max(0, self.queued - int((now - self.last) * self.bps) // 8 * 8)
        self.last = now
        return self.size - self.queued

    def write(self, data: bytes) -> int:
        n = min(len(data), self.bytesFree())
        self.queued += n
        return n

    def stop(self) -> None:
        pass

    def error(self):
        return QAudio.Error.NoError


def test_meters_repaint_at_most_30_times_a_second_and_stop_when_quiet(qtbot):
    meters = AudioMeters()
    qtbot.addWidget(meters)
    meters.show()
    qtbot.waitExposed(meters)
    tone = (0.3 * np.sin(np.arange(2000) / 5.0)).astype(np.float32)
    block = np.stack([tone, tone], axis=1)
    start, paints = time.perf_counter(), meters.paints
    while time.perf_counter() - start < 0.6:  # a burst of 200+ feeds
        meters.feed(block)
        qtbot.wait(2)
    elapsed = time.perf_counter() - start
    assert meters.paints - paints <= elapsed * FPS_LIMIT + 3
    assert meters.reading.peak_db[0] > -11.0
    meters.stopped()
    qtbot.waitUntil(lambda: not meters._timer.isActive(), timeout=10_000)
    assert meters.reading.silent


def test_playing_the_sample_moves_the_meters(qtbot, sample_project):
    ctx = EditorContext(project_io.load(sample_project))
    ctx.preview.loudness_lufs = None  # skip the whole-mix loudness scan (not under test)
    player = PlayerWidget(ctx, audio=AudioOutput(sink_factory=RealTimeSink))
    qtbot.addWidget(player)
    player.resize(640, 420)
    player.show()
    try:
        qtbot.waitUntil(lambda: player.displayed_frame == 0, timeout=5000)
        assert player.meters.reading.peak_db == (FLOOR_DB, FLOOR_DB)
        player.play()
        assert player.playing_with_audio
        qtbot.waitUntil(lambda: player.meters.reading.peak_db[0] > -40.0, timeout=10_000)
        qtbot.waitUntil(lambda: math.isfinite(player.meters.reading.short_term),
                        timeout=10_000)
        player.pause()
    finally:
        player.shutdown()
        ctx.close()
