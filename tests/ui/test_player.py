"""The preview player dock on the sample project (320×180, 24 fps, pattern clip first)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QAudio
from PySide6.QtWidgets import QApplication

from aladdin_studio.render.media_cache import MediaCache
from aladdin_studio.render.plan import build_plan
from aladdin_studio.render.preview import Preview
from aladdin_studio.sample_media import read_frame_number
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.audio_output import AudioOutput
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.player import PlayerWidget, render_size
from aladdin_studio.ui.timecode import format_timecode, parse_timecode

FPS = 24


@pytest.fixture(scope="module")
def proxied_master(sample_master, tmp_path_factory) -> Path:
    """The sample with its proxies already built, so no test waits for (or competes with)
    background proxy encoding."""
    root = tmp_path_factory.mktemp("player") / "Sample.aladdin"
    shutil.copytree(sample_master, root)
    project = project_io.load(root)
    preview = Preview(project.resolve_media, media_cache=MediaCache(project.location.cache_dir))
    preview.build_proxies(project.scenes[0])
    preview.close()
    return root


@pytest.fixture
def sample(proxied_master, tmp_path) -> Path:
    target = tmp_path / "Sample.aladdin"
    shutil.copytree(proxied_master, target)
    return target


def open_player(qtbot, path: Path, **kwargs) -> tuple[EditorContext, PlayerWidget]:
    ctx = EditorContext(project_io.load(path))
    player = PlayerWidget(ctx, **kwargs)
    qtbot.addWidget(player)
    player.resize(640, 420)
    player.show()
    player.activateWindow()
    qtbot.waitActive(player)
    qtbot.waitUntil(lambda: player.displayed_frame == 0, timeout=5000)
    return ctx, player


@pytest.fixture
def opened(qtbot, sample):
    ctx, player = open_player(qtbot, sample)
    yield ctx, player
    player.shutdown()
    ctx.close()


def show_frame(qtbot, player: PlayerWidget, frame: int) -> None:
    qtbot.waitUntil(lambda: player.displayed_frame == frame and player.rate == 0, timeout=5000)


def key(qtbot, player, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Type ``k`` where the keyboard focus is, as a user would."""
    qtbot.keyClick(QApplication.focusWidget() or player, k, modifier)


# --------------------------------------------------------------------------- timecode


def test_timecode_formats_and_parses():
    assert format_timecode(0, 24) == "00:00:00:00"
    assert format_timecode(24 * 3661 + 5, 24) == "01:01:01:05"
    assert format_timecode(30, 29.97) == "00:00:01:00"  # nominal 30, non-drop
    assert parse_timecode("00:00:02:05", 24) == 53
    assert parse_timecode("2:05", 24) == 53
    assert parse_timecode("1000", 24) == 240  # right-aligned digits: 10 s 00 f
    assert parse_timecode("+1:00", 24, current=10) == 34
    assert parse_timecode("-12", 24, current=30) == 18
    for bad in ("", "ab", "1:2:3:4:5", "123456789"):
        with pytest.raises(ValueError):
            parse_timecode(bad, 24)


def test_render_size_is_even_fraction_of_the_scene():
    assert render_size((320, 180), 1.0) == (320, 180)
    assert render_size((320, 180), 0.5) == (160, 90)
    assert render_size((320, 180), 0.25) == (80, 44)  # 45 rounded down to even


# --------------------------------------------------------------------------- transport


def test_jkl_shuttle_changes_the_rate(qtbot, opened):
    ctx, player = opened
    rates: list[float] = []
    player.rate_changed.connect(rates.append)
    player.seek(100)
    show_frame(qtbot, player, 100)
    for k, expected in ((Qt.Key.Key_L, 1), (Qt.Key.Key_L, 2), (Qt.Key.Key_L, 4),
                        (Qt.Key.Key_L, 8), (Qt.Key.Key_L, 8), (Qt.Key.Key_K, 0),
                        (Qt.Key.Key_J, -1), (Qt.Key.Key_J, -2), (Qt.Key.Key_L, 1),
                        (Qt.Key.Key_K, 0)):
        key(qtbot, player, k)
        assert player.rate == expected, k
    assert rates == [1, 2, 4, 8, 0, -1, -2, 1, 0]


def test_k_held_with_j_or_l_steps_one_frame(qtbot, opened):
    ctx, player = opened
    player.seek(50)
    show_frame(qtbot, player, 50)
    qtbot.keyPress(player, Qt.Key.Key_K)
    qtbot.keyClick(player, Qt.Key.Key_L)
    assert player.rate == 0 and ctx.playhead == 51
    qtbot.keyClick(player, Qt.Key.Key_L)
    qtbot.keyClick(player, Qt.Key.Key_J)
    qtbot.keyClick(player, Qt.Key.Key_J)
    qtbot.keyClick(player, Qt.Key.Key_J)
    assert player.rate == 0 and ctx.playhead == 49
    qtbot.keyRelease(player, Qt.Key.Key_K)
    qtbot.keyClick(player, Qt.Key.Key_L)  # K is up again: plays
    assert player.rate == 1
    player.actions_by_name["pause"].trigger()  # from the menu: K is not held
    assert player.rate == 0
    qtbot.keyClick(player, Qt.Key.Key_L)
    assert player.rate == 1
    player.pause()


def test_space_toggles_and_arrows_home_end_move(qtbot, opened):
    ctx, player = opened
    key(qtbot, player, Qt.Key.Key_Space)
    assert player.rate == 1
    key(qtbot, player, Qt.Key.Key_Space)
    assert player.rate == 0
    player.seek(20)
    key(qtbot, player, Qt.Key.Key_Right)
    key(qtbot, player, Qt.Key.Key_Right)
    key(qtbot, player, Qt.Key.Key_Left)
    assert ctx.playhead == player.frame == 21
    show_frame(qtbot, player, 21)
    assert read_frame_number(player.image) == 21
    key(qtbot, player, Qt.Key.Key_End)
    assert ctx.playhead == player.frames - 1 == ctx.duration_frames - 1
    key(qtbot, player, Qt.Key.Key_Home)
    assert ctx.playhead == 0
    show_frame(qtbot, player, 0)


def test_in_out_marks_and_go_to(qtbot, opened):
    ctx, player = opened
    player.seek(30)
    key(qtbot, player, Qt.Key.Key_I)
    assert ctx.in_out == (30, player.frames)
    player.seek(60)
    key(qtbot, player, Qt.Key.Key_O)
    assert ctx.in_out == (30, 61)  # half-open: frame 60 is the last one in
    key(qtbot, player, Qt.Key.Key_Home)
    key(qtbot, player, Qt.Key.Key_I, Qt.KeyboardModifier.ShiftModifier)
    assert ctx.playhead == 30
    key(qtbot, player, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    assert ctx.playhead == 60
    show_frame(qtbot, player, 60)
    assert "In 00:00:01:06  Out 00:00:02:12" in player.info_label.text()


def test_actions_for_menu_have_window_shortcuts(opened):
    ctx, player = opened
    actions = player.actions_for_menu()
    keys = {a.shortcut().toString() for a in actions}
    assert {"Space", "J", "K", "L", "Left", "Right", "Home", "End", "I", "O", "Shift+I",
            "Shift+O"} <= keys
    assert all(a.parent() is player for a in actions)
    assert all(a.shortcutContext() == Qt.ShortcutContext.WindowShortcut for a in actions)


# --------------------------------------------------------------------------- picture


def test_typing_a_timecode_seeks(qtbot, opened):
    ctx, player = opened
    edit = player.timecode
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "00:00:02:05")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert ctx.playhead == 53
    show_frame(qtbot, player, 53)
    assert read_frame_number(player.image) == 53
    edit.selectAll()
    qtbot.keyClicks(edit, "312")  # 3 s 12 f
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    show_frame(qtbot, player, 84)
    assert edit.text() == "00:00:03:12"
    assert not edit.hasFocus()
    key(qtbot, player, Qt.Key.Key_L)  # the keys are the transport's again
    assert player.rate == 1
    player.pause()
    edit.setFocus()
    qtbot.keyClicks(edit, "99")
    qtbot.keyClick(edit, Qt.Key.Key_Escape)  # cancel: back to the playhead's timecode
    assert edit.text() == format_timecode(player.frame, FPS) and ctx.playhead == player.frame


def test_seek_shows_the_frame_for_that_time(qtbot, opened):
    ctx, player = opened
    reference = Preview(ctx.project.resolve_media, media_cache=ctx.media_cache)
    plan = build_plan(ctx.scene, ctx.project.resolve_media)
    reference.build_proxies(plan)  # decode the same files as the player
    for frame in (40, 131, 12):
        player.seek(frame)
        show_frame(qtbot, player, frame)
        assert read_frame_number(player.image) == frame
        expected = reference.frame_at(plan, frame / FPS, (320, 180))
        assert np.array_equal(player.image, expected)
    # What is painted is that image, letterboxed into the view.
    shot = player.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rect = player.view.image_rect().toRect()
    assert rect.width() / rect.height() == pytest.approx(16 / 9, rel=0.02)
    centre = shot.pixelColor(rect.center())
    sy = player.image.shape[0] // 2
    sx = player.image.shape[1] // 2
    assert abs(centre.red() - int(player.image[sy, sx, 0])) < 40
    assert player.last_seek_ms > 0
    reference.close()


def test_half_resolution_renders_half_size(qtbot, opened):
    ctx, player = opened
    player.resolution.setCurrentText("Half")
    assert player.render_size == (160, 90)
    qtbot.waitUntil(lambda: player.image is not None and player.image.shape == (90, 160, 3),
                    timeout=5000)


def test_frames_are_rendered_off_the_gui_thread(qtbot, opened):
    ctx, player = opened
    threads: set[int] = set()
    original = ctx.preview._frame

    def recording(*args, **kwargs):
        threads.add(threading.get_ident())
        return original(*args, **kwargs)

    ctx.preview._frame = recording  # under frame_at and playback alike
    player.seek(77)
    show_frame(qtbot, player, 77)
    player.play()
    qtbot.waitUntil(lambda: player.displayed_frame > 80, timeout=5000)
    player.pause()
    assert threads and threading.main_thread().ident not in threads
    assert threads == {player.server.thread_ident}


def test_playback_runs_in_real_time_and_keeps_the_gui_responsive(qtbot, opened):
    ctx, player = opened
    ticks: list[float] = []
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(5)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    shown: list[float] = []
    player.frame_shown.connect(lambda _: shown.append(time.perf_counter()))
    probe.start()
    qtbot.wait(50)
    start = time.perf_counter()
    player.play()  # with a sound device the first play also scans the mix's loudness
    qtbot.waitUntil(lambda: player.displayed_frame >= 1, timeout=8000)
    first = time.perf_counter()
    qtbot.wait(600)
    frames, elapsed = ctx.playhead - 1, time.perf_counter() - first
    player.pause()
    probe.stop()
    assert frames == pytest.approx(elapsed * FPS, rel=0.3)
    assert len([t for t in shown if first < t]) == pytest.approx(elapsed * FPS, rel=0.3)
    # Loose: the machine is shared (2 cores, load up to ~14); typical worst gaps here are
    # 10–25 ms when quiet. A real stall (a loudness scan or decode on the GUI thread) is
    # seconds long.
    gaps = np.diff([t for t in ticks if t >= start])
    assert gaps.max() < 0.4, f"GUI thread stalled {gaps.max() * 1e3:.0f} ms"


def test_fast_and_reverse_play_move_the_playhead(qtbot, opened):
    ctx, player = opened
    player.seek(200)
    show_frame(qtbot, player, 200)
    player.shuttle(1)
    player.shuttle(1)  # 2×
    qtbot.waitUntil(lambda: ctx.playhead >= 210, timeout=3000)
    player.pause()
    assert (ctx.playhead - 200) % 2 == 0  # 2×: every other frame
    at = ctx.playhead
    player.shuttle(-1)
    qtbot.waitUntil(lambda: ctx.playhead <= at - 4, timeout=3000)
    player.pause()
    show_frame(qtbot, player, ctx.playhead)


def test_playback_stops_at_the_end(qtbot, opened):
    ctx, player = opened
    player.seek(player.frames - 5)
    player.play()
    qtbot.waitUntil(lambda: player.rate == 0, timeout=3000)
    assert ctx.playhead == player.displayed_frame == player.frames - 1
    player.play()  # from the end: starts over
    qtbot.waitUntil(lambda: player.displayed_frame in range(0, 10), timeout=3000)
    player.pause()


def test_follows_the_playhead_without_feedback(qtbot, opened):
    ctx, player = opened
    moves: list[int] = []
    ctx.playhead_moved.connect(moves.append)
    for frame in range(60, 90):  # a scrub: stale requests are coalesced
        ctx.set_playhead(frame)
    show_frame(qtbot, player, 89)
    assert read_frame_number(player.image) == 89
    assert moves == list(range(60, 90)) and ctx.playhead == 89
    player.play()
    qtbot.waitUntil(lambda: ctx.playhead > 92, timeout=3000)
    ctx.set_playhead(10)  # the ruler moved during playback: play on from there
    qtbot.waitUntil(lambda: 10 < ctx.playhead < 60, timeout=3000)
    assert player.rate == 1
    player.pause()


def test_an_edit_rerenders_the_current_frame(qtbot, opened):
    ctx, player = opened
    player.seek(40)
    show_frame(qtbot, player, 40)
    before = player.image
    first = next(c for c in ctx.scene.tracks[0] if isinstance(c, otio.schema.Clip))
    assert ctx.push(C.SetClipEffects(first, grade="cool"))
    qtbot.waitUntil(lambda: player.image is not before, timeout=5000)
    assert player.displayed_frame == 40
    assert not np.array_equal(player.image, before)
    ctx.stack.undo()
    qtbot.waitUntil(lambda: np.array_equal(player.image, before), timeout=5000)


def test_empty_scene_shows_a_status(qtbot, opened):
    ctx, player = opened
    add = C.AddScene("Empty", FPS, (320, 180))
    assert ctx.push(add)
    ctx.set_scene(add.scene)
    assert "empty" in player.view.status
    assert player.image is None
    player.play()
    assert player.rate == 0
    ctx.set_scene(ctx.project.scenes[0])
    qtbot.waitUntil(lambda: player.image is not None, timeout=5000)
    assert player.view.status == ""


# --------------------------------------------------------------------------- audio clock


class FakeSink:
    """Plays bytes in real time like a sound device (what AudioOutput uses of QAudioSink)."""

    def __init__(self, fmt) -> None:
        self.bps = fmt.bytesPerFrame() * fmt.sampleRate()
        self.size = 0
        self.data = bytearray()
        self.queued = 0
        self.last = time.perf_counter()

    def setBufferSize(self, n: int) -> None:  # noqa: N802
        self.size = n

    def bufferSize(self) -> int:  # noqa: N802
        return self.size

    def start(self) -> FakeSink:
        self.data.clear()
        self.queued = 0
        self.last = time.perf_counter()
        return self

    def _play(self) -> None:
        now = time.perf_counter()
        played = int((now - self.last) * self.bps) // 8 * 8
        self.queued = max(0, self.queued - played)
        self.last = now

    def bytesFree(self) -> int:  # noqa: N802
        self._play()
        return self.size - self.queued

    def write(self, data: bytes) -> int:
        n = min(len(data), self.bytesFree())
        self.data += data[:n]
        self.queued += n
        return n

    def stop(self) -> None:
        pass

    def error(self):
        return QAudio.Error.NoError


def test_with_a_sound_device_the_audio_is_the_clock(qtbot, sample):
    sinks: list[FakeSink] = []

    def factory(fmt):
        sinks.append(FakeSink(fmt))
        return sinks[-1]

    ctx, player = open_player(qtbot, sample, audio=AudioOutput(sink_factory=factory))
    ctx.preview.loudness_lufs = None  # skip the whole-mix loudness scan (not under test)
    try:
        player.seek(24)
        show_frame(qtbot, player, 24)
        player.play()
        assert player.playing_with_audio
        qtbot.waitUntil(lambda: player.displayed_frame >= 26, timeout=5000)
        first, start = ctx.playhead, time.perf_counter()
        qtbot.wait(500)
        frames, elapsed = ctx.playhead - first, time.perf_counter() - start
        shown = player.displayed_frame
        player.pause()
        assert frames == pytest.approx(elapsed * FPS, rel=0.3)
        sent = np.frombuffer(bytes(sinks[0].data), dtype=np.float32).reshape(-1, 2)
        # The picture never runs ahead of the sound handed to the device.
        assert len(sent) / 48_000 >= (shown - 24) / FPS
        reference = Preview(ctx.project.resolve_media, loudness_lufs=None)
        expected = reference.audio(ctx.scene, 1.0, 1.0 + len(sent) / 48_000)
        reference.close()
        np.testing.assert_allclose(sent, expected[: len(sent)], atol=1e-4)
    finally:
        player.shutdown()
        ctx.close()


def test_without_a_sound_device_playback_is_silent_on_the_monotonic_clock(qtbot, opened):
    ctx, player = opened
    player.audio = AudioOutput(sink_factory=None)
    player.audio._choose_format = lambda: None  # as on a machine with no device
    player.play()
    assert player.rate == 1 and not player.playing_with_audio
    assert "no sound device" in player.info_label.text()
    player.pause()


def test_a_stuck_sound_device_falls_back_to_the_monotonic_clock(qtbot, sample):
    class StuckSink(FakeSink):
        def _play(self) -> None:  # accepts sound, never plays it
            pass

    audio = AudioOutput(sink_factory=StuckSink)
    audio.stall_seconds = 0.2
    ctx, player = open_player(qtbot, sample, audio=audio)
    ctx.preview.loudness_lufs = None
    try:
        player.play()
        assert player.playing_with_audio
        qtbot.waitUntil(lambda: not player.playing_with_audio and player.rate == 1,
                        timeout=8000)
        at = ctx.playhead
        qtbot.waitUntil(lambda: ctx.playhead >= at + 5, timeout=3000)
    finally:
        player.shutdown()
        ctx.close()
