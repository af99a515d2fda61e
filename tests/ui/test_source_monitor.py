"""The source monitor: a bin item in the player's Source mode, its in/out, and the
three-point edit (insert / overwrite at the timeline playhead) with the item's own sound."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from aladdin_studio.render.plan import build_plan
from aladdin_studio.sample_media import read_frame_number
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.layout import layout
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.media_bin import MediaBin
from aladdin_studio.ui.player import PlayerWidget

FPS = 24


@pytest.fixture
def opened(qtbot, sample_project):
    ctx = EditorContext(project_io.load(sample_project))
    player = PlayerWidget(ctx)
    qtbot.addWidget(player)
    player.resize(640, 420)
    player.show()
    qtbot.waitUntil(lambda: player.displayed_frame == 0, timeout=5000)
    yield ctx, player
    player.shutdown()
    ctx.close()


def media(ctx, name: str) -> str:
    return str(ctx.project.resolve_media(f"media/{name}"))


def spans(track):
    return [(s.item.name, s.start, s.end) for s in layout(track, FPS) if s.is_clip]


def shown(qtbot, player, frame: int) -> int:
    qtbot.waitUntil(lambda: player.displayed_frame == frame and player.rate == 0, timeout=5000)
    return read_frame_number(player.image)


def test_source_mode_shows_the_item_with_its_own_in_out_and_leaves_the_program_alone(
        qtbot, opened):
    ctx, player = opened
    monitor = player.source_monitor
    program_frames = player.frames
    ctx.set_playhead(30)
    assert not monitor.insert_action.isEnabled()
    assert monitor.open(media(ctx, "pattern-3.mp4"), "media/pattern-3.mp4")
    assert monitor.tabs.currentIndex() == 1 and "pattern-3.mp4" in monitor.tabs.tabText(1)
    assert player.frames == 7 * FPS and monitor.insert_action.isEnabled()
    player.seek(24)
    assert shown(qtbot, player, 24) == 24  # the file's own frame 24
    player.mark_in()
    player.seek(71)
    shown(qtbot, player, 71)
    player.mark_out()
    assert player.source_in_out == (24, 72) and ctx.in_out is None
    assert ctx.playhead == 30  # the program playhead did not follow the source

    monitor.tabs.setCurrentIndex(0)  # back to the program
    assert player.source is None and player.frames == program_frames
    shown(qtbot, player, 30)
    monitor.tabs.setCurrentIndex(1)  # the source again, with its in/out
    assert player.source is not None and player.source_in_out == (24, 72)

    player.release_preview()
    ctx.set_project(project_io.load(ctx.project.location.root))  # another project
    assert player.source is None and not monitor.tabs.isTabEnabled(1)
    assert not monitor.insert_action.isEnabled()


def test_insert_and_overwrite_at_the_playhead_keep_the_items_sound(qtbot, opened):
    ctx, player = opened
    monitor = player.source_monitor
    v1 = ctx.scene.tracks[0]
    monitor.open(media(ctx, "pattern-3.mp4"))
    player.set_in_out((24, 72))
    ctx.set_playhead(48)
    before = spans(v1)
    assert monitor.edit(insert=True)
    inserted = v1[1]
    assert spans(v1)[:3] == [("pattern-1", 0, 48), ("pattern-3", 48, 96),
                             ("pattern-1", 96, 216)]
    assert S.frames(inserted.source_range.start_time, FPS) == 24
    assert ctx.playhead == 96  # after the new clip, ready for the next edit
    plan = build_plan(ctx.scene, ctx.project.resolve_media)
    sound = [a for a in plan.audio if a.clip_id == S.clip_id(inserted)]
    assert sound and sound[0].source_start == pytest.approx(1.0)  # its own audio, from 1 s
    ctx.stack.undo()
    assert spans(v1) == before

    end = layout(v1, FPS)[-1].end
    ctx.set_playhead(0)
    qtbot.keyClick(player, Qt.Key.Key_Period)  # "." overwrites
    assert spans(v1)[:2] == [("pattern-3", 0, 48), ("pattern-1", 48, 168)]
    assert layout(v1, FPS)[-1].end == end  # nothing pushed right


def test_audio_only_item_goes_to_an_audio_track_and_needs_a_span(qtbot, opened):
    ctx, player = opened
    errors: list[str] = []
    ctx.error.connect(errors.append)
    monitor = player.source_monitor
    monitor.open(media(ctx, "dialogue-1.m4a"))
    assert player.frames == 4 * FPS
    ctx.set_playhead(0)
    dialogue = next(t for t in ctx.scene.tracks if t.name == "Dialogue")
    assert monitor.edit(insert=False)
    assert spans(dialogue)[0] == ("dialogue-1", 0, 96)
    player.source_in_out = (10, 10)
    assert not monitor.edit(insert=True)
    assert errors == ["Mark an in point before the out point in the source monitor."]


def test_bin_double_click_asks_for_the_source_monitor(qtbot, ctx):
    media_bin = MediaBin(ctx)
    qtbot.addWidget(media_bin)
    item = media_bin.item_for("media/pattern-2.mp4")
    with qtbot.waitSignal(media_bin.source_requested) as signal:
        media_bin.view.itemDoubleClicked.emit(item)
    assert signal.args[1] == "media/pattern-2.mp4"
    assert signal.args[0].endswith("pattern-2.mp4")


def test_in_the_main_window_keys_reach_the_title_and_three_point_actions(qtbot,
                                                                        sample_project):
    from aladdin_studio.ui.main_window import MainWindow

    window = MainWindow(project_io.load(sample_project))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    ctx = window.ctx
    try:
        # Every shortcut of the window is bound once (a second binding fires nothing).
        keys = [k.toString() for a in window.findChildren(type(window.undo_action))
                for k in a.shortcuts() if a.isEnabled() or k.toString() in (",", ".")]
        for key in ("Ctrl+T", "Ctrl+Shift+E", ",", "."):
            assert keys.count(key) == 1, key
        ctx.set_playhead(24)
        qtbot.keyClick(window.timeline, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
        assert ctx.scene.tracks[1].name == "V2" and len(ctx.scene.tracks[1]) == 2
        item = window.bin.item_for("media/pattern-4.mp4")
        window.bin.view.itemDoubleClicked.emit(item)
        assert window.player.source is not None
        v1 = ctx.scene.tracks[0]
        count = len(v1)
        ctx.set_playhead(0)
        qtbot.keyClick(window.timeline, Qt.Key.Key_Comma)
        assert len(v1) == count + 1 and v1[0].name == "pattern-4"
    finally:
        window.close()


def test_dragging_the_source_picture_drops_its_span_where_it_lands(qtbot, opened):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

    from aladdin_studio.ui.timeline_view import TimelineWidget

    ctx, player = opened
    timeline = TimelineWidget(ctx, previews=False)
    qtbot.addWidget(timeline)
    timeline.resize(1600, 420)
    timeline.show()
    qtbot.waitExposed(timeline)
    timeline.set_zoom(8.0, 0)  # 8 px per frame
    timeline.set_snapping(False)  # the frame under the pointer, exactly
    timeline.view.horizontalScrollBar().setValue(0)
    monitor = player.source_monitor
    monitor.open(media(ctx, "pattern-3.mp4"))
    player.set_in_out((24, 48))
    mime = monitor.drag_data()
    v1 = ctx.scene.tracks[0]
    row = timeline.view.row_for(v1)
    pos = timeline.view.mapFromScene(QPointF(96, row.top + row.height / 2))
    viewport, copy = timeline.view.viewport(), Qt.DropAction.CopyAction
    left, ctrl = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier
    for event in (QDragEnterEvent(pos, copy, mime, left, ctrl),
                  QDragMoveEvent(pos, copy, mime, left, ctrl)):
        QApplication.sendEvent(viewport, event)
        assert event.isAccepted()
    drop = QDropEvent(QPointF(pos), copy, mime, left, ctrl)  # Ctrl: insert
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()
    assert spans(v1)[:3] == [("pattern-1", 0, 96), ("pattern-3", 96, 120),
                             ("pattern-1", 120, 192)]
    assert S.frames(v1[1].source_range.start_time, FPS) == 24
    assert ctx.stack.undoText() == "Insert from Source"


def test_a_mouse_drag_on_the_source_picture_starts_a_drag_only_in_source_mode(
        qtbot, opened, monkeypatch):
    ctx, player = opened
    monitor = player.source_monitor
    started: list[bool] = []
    monkeypatch.setattr(monitor, "start_drag", lambda: started.append(True))
    view, left = player.view, Qt.MouseButton.LeftButton

    def swipe() -> None:
        qtbot.mousePress(view, left, pos=view.rect().center())
        qtbot.mouseMove(view, view.rect().center() + QPoint(40, 0))
        qtbot.mouseRelease(view, left, pos=view.rect().center() + QPoint(40, 0))

    swipe()
    assert not started  # the program picture is not draggable
    monitor.open(media(ctx, "pattern-1.mp4"))
    swipe()
    assert started == [True]
