"""The timeline widget on the sample project: drops, mouse edits, keys, undo/redo, zoom."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QListWidget

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.layout import layout
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.timeline_view import ROLL, SLIP, TimelineWidget
from aladdin_studio.ui.timeline_view.drops import media_mime
from aladdin_studio.ui.timeline_view.geometry import tick_steps
from aladdin_studio.ui.timeline_view.items import ClipItem, TransitionItem
from aladdin_studio.ui.timeline_view.palette import transition_mime

PPS = 36.0  # 1.5 px per frame at 24 fps: the 801-frame sample scene fits in 1400 px
LEFT, NOMOD = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def tl(qtbot, sample_project):
    ctx = EditorContext(project_io.load(sample_project))
    widget = TimelineWidget(ctx, previews=False)
    qtbot.addWidget(widget)
    undo = ctx.stack.createUndoAction(widget, "Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = ctx.stack.createRedoAction(widget, "Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z")])
    widget.addActions([undo, redo])
    widget.errors = []
    ctx.error.connect(widget.errors.append)
    widget.resize(1600, 420)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=2000)
    widget.set_zoom(PPS, 0)
    widget.view.horizontalScrollBar().setValue(0)
    yield widget
    ctx.close()


# --- helpers ---------------------------------------------------------------------------------

def track(tl, name):
    return next(t for t in tl.ctx.scene.tracks if t.name == name)


def row(tl, name):
    return tl.view.row_for(track(tl, name))


def clip(tl, track_name, name, nth=0):
    return [c for c in track(tl, track_name) if isinstance(c, C.Clip) and c.name == name][nth]


def at(tl, frame, track_name, dy=0.5):
    """Viewport point over ``frame`` on a track, ``dy`` of the way down its row."""
    r = row(tl, track_name)
    y = r.top + r.height * dy
    return tl.view.mapFromScene(QPointF(frame, y))


def drag(qtbot, tl, start, end, modifier=NOMOD, steps=4, check=None):
    vp = tl.view.viewport()
    qtbot.mousePress(vp, LEFT, modifier, start)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        qtbot.mouseMove(vp, QPoint(round(p.x()), round(p.y())))
    if check is not None:
        check()
    qtbot.mouseRelease(vp, LEFT, modifier, end)


def doc_state(tl):
    """Every track as (kind, name, start, end), document side."""
    rate = tl.view.rate
    return {t.name: [(type(s.item).__name__, s.item.name, s.start, s.end)
                     for s in layout(t, rate) if not s.is_gap] for t in tl.ctx.scene.tracks}


def view_state(tl):
    """The same, read from the graphics items' positions and sizes."""
    out = {}
    for r in tl.view.rows:
        spans = []
        for item in r.childItems():
            x, w = item.pos().x(), item.boundingRect().width()
            if isinstance(item, ClipItem):
                spans.append(("Clip", item.clip.name, round(x), round(x + w)))
            elif isinstance(item, TransitionItem):
                spans.append(("Transition", item.transition.name, round(x), round(x + w)))
        out[r.track.name] = sorted(spans, key=lambda s: (s[2], s[0] == "Clip"))
    return out


def assert_shown(tl, expected=None):
    state = doc_state(tl)
    assert view_state(tl) == {k: sorted(v, key=lambda s: (s[2], s[0] == "Clip"))
                              for k, v in state.items()}
    if expected is not None:
        assert state == expected
    return state


def check_undo_redo(qtbot, tl, before, after):
    """Undo/redo through the stack and through key presses; the view follows each step."""
    stack = tl.ctx.stack
    stack.undo()
    assert_shown(tl, before)
    stack.redo()
    assert_shown(tl, after)
    qtbot.keyClick(tl.view, Qt.Key.Key_Z, CTRL)
    assert_shown(tl, before)
    qtbot.keyClick(tl.view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert_shown(tl, after)


def media(tl, name):
    return tl.ctx.project.location.media_dir / name


def send_drop(tl, mime, pos, modifiers=NOMOD):
    vp = tl.view.viewport()
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(pos, action, mime, LEFT, modifiers)
    QApplication.sendEvent(vp, enter)
    move = QDragMoveEvent(pos, action, mime, LEFT, modifiers)
    QApplication.sendEvent(vp, move)
    accepted_move = move.isAccepted()
    drop = QDropEvent(QPointF(pos), action, mime, LEFT, modifiers)
    QApplication.sendEvent(vp, drop)
    return accepted_move, drop.isAccepted()


# --- drops -----------------------------------------------------------------------------------

def test_media_drop_places_a_clip_at_the_time_under_x(qtbot, tl):
    before = assert_shown(tl)
    _, ok = send_drop(tl, media_mime([media(tl, "dialogue-1.m4a")]), at(tl, 200, "Dialogue"))
    assert ok
    after = assert_shown(tl)
    assert ("Clip", "dialogue-1", 200, 296) in after["Dialogue"]
    assert tl.ctx.stack.undoText() == "Overwrite Clip"
    check_undo_redo(qtbot, tl, before, after)


def test_video_file_dropped_on_an_audio_track_goes_to_video_and_ctrl_inserts(qtbot, tl):
    mime = media_mime([media(tl, "pattern-1.mp4")])
    _, ok = send_drop(tl, mime, at(tl, 300, "Music"), CTRL)
    assert ok and tl.ctx.stack.undoText() == "Insert Clip"
    v1 = [s for s in doc_state(tl)["V1"] if s[0] == "Clip"]
    assert ("Clip", "pattern-1", 300, 468) in v1
    assert v1[-1][3] == 801 + 168  # inserted: the rest moved right
    assert_shown(tl)


def test_file_url_drop_and_refused_drop(qtbot, tl, tmp_path):
    from PySide6.QtCore import QMimeData

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(media(tl, "dialogue-2.m4a")))])
    _, ok = send_drop(tl, mime, at(tl, 600, "Dialogue"))
    assert ok and ("Clip", "dialogue-2", 600, 696) in doc_state(tl)["Dialogue"]
    junk = tmp_path / "notes.txt"
    junk.write_text("not media")
    count = tl.ctx.stack.count()
    _, ok = send_drop(tl, media_mime([junk]), at(tl, 700, "Dialogue"))
    assert not ok and tl.ctx.stack.count() == count
    assert tl.errors and "notes.txt" in tl.errors[-1]


def test_transition_dropped_on_a_cut(qtbot, tl):
    before = assert_shown(tl)
    moved, ok = send_drop(tl, transition_mime("slide", "up"), at(tl, 172, "V1", 0.2))
    assert moved and ok
    v1 = track(tl, "V1")
    assert S.transition_kind(v1[1]) == S.TransitionKind.SLIDE
    assert S.transition_direction(v1[1]) == S.Direction.UP
    after = assert_shown(tl)
    check_undo_redo(qtbot, tl, before, after)
    # far from any cut: refused with a message
    moved, ok = send_drop(tl, transition_mime("wipe"), at(tl, 90, "V1", 0.2))
    assert not moved and not ok


# --- mouse edits -----------------------------------------------------------------------------

def test_dragging_a_right_edge_trims(qtbot, tl):
    before = assert_shown(tl)
    drag(qtbot, tl, at(tl, 800.6, "V1", 0.1), at(tl, 760, "V1", 0.1))
    after = assert_shown(tl)
    assert after["V1"][-1] == ("Clip", "pattern-4", 642, 760)
    assert tl.ctx.stack.undoText() == "Trim Out"
    assert tl.ctx.stack.count() == 1
    check_undo_redo(qtbot, tl, before, after)


def test_shift_drag_ripples(qtbot, tl):
    before = assert_shown(tl)
    drag(qtbot, tl, at(tl, 167.5, "V1", 0.1), at(tl, 150, "V1", 0.1), SHIFT)
    after = assert_shown(tl)
    clips = [s for s in after["V1"] if s[0] == "Clip"]
    assert clips[0] == ("Clip", "pattern-1", 0, 150)
    assert clips[1][2] == 150 and clips[-1][3] == 801 - 18
    assert tl.ctx.stack.undoText() == "Ripple Trim Out"
    check_undo_redo(qtbot, tl, before, after)


def test_trim_without_shift_cannot_grow_into_the_next_clip(qtbot, tl):
    drag(qtbot, tl, at(tl, 167.5, "V1", 0.1), at(tl, 190, "V1", 0.1))
    assert tl.ctx.stack.count() == 0 and not tl.errors


def test_dragging_a_clip_moves_it_and_snaps_to_a_neighbour_edge(qtbot, tl):
    before = assert_shown(tl)
    view = tl.view

    def during():  # start would be 171: 3 frames (4.5 px) from dialogue-1's end at 168
        assert view.snap_line.isVisible() and view.snap_line.frame == 168
        assert view.ghosts[0].isVisible() and view.ghosts[0].rect().x() == 168

    drag(qtbot, tl, at(tl, 400, "Dialogue", 0.85), at(tl, 211, "Dialogue", 0.85),
         check=during)
    assert not view.snap_line.isVisible()
    after = assert_shown(tl)
    assert ("Clip", "dialogue-2", 168, 264) in after["Dialogue"]
    assert tl.ctx.stack.undoText() == "Move Clip"
    check_undo_redo(qtbot, tl, before, after)


def test_snapping_off_leaves_the_drop_where_the_pointer_is(qtbot, tl):
    tl.set_snapping(False)
    drag(qtbot, tl, at(tl, 400, "Dialogue", 0.85), at(tl, 211, "Dialogue", 0.85))
    assert ("Clip", "dialogue-2", 171, 267) in doc_state(tl)["Dialogue"]


def test_dragging_a_clip_to_another_track(qtbot, tl):
    before = assert_shown(tl)
    drag(qtbot, tl, at(tl, 400, "Dialogue", 0.85), at(tl, 640, "Music", 0.85))
    after = assert_shown(tl)
    assert ("Clip", "dialogue-2", 600, 696) in after["Music"]
    assert all(s[1] != "dialogue-2" for s in after["Dialogue"])
    check_undo_redo(qtbot, tl, before, after)
    # a video clip onto a new video track (the rows are rebuilt for it)
    tl.ctx.push(C.AddTrack(tl.ctx.scene, "video"))
    drag(qtbot, tl, at(tl, 560, "V1", 0.9), at(tl, 470, "V2", 0.9))
    state = assert_shown(tl)
    assert ("Clip", "pattern-3", 402, 552) in state["V2"]


# --- keys ------------------------------------------------------------------------------------

def test_s_splits_the_clip_under_the_playhead(qtbot, tl):
    before = assert_shown(tl)
    tl.ctx.set_playhead(100)
    qtbot.keyClick(tl.view, Qt.Key.Key_S)
    after = assert_shown(tl)
    assert after["V1"][:2] == [("Clip", "pattern-1", 0, 100), ("Clip", "pattern-1", 100, 168)]
    check_undo_redo(qtbot, tl, before, after)
    # a selected clip is split on its own track
    tl.ctx.select([clip(tl, "Music", "music-bed")])
    qtbot.keyClick(tl.view, Qt.Key.Key_S)
    assert [s[2:] for s in doc_state(tl)["Music"]] == [(0, 100), (100, 801)]


def test_shift_delete_ripples_and_delete_lifts(qtbot, tl):
    before = assert_shown(tl)
    qtbot.mouseClick(tl.view.viewport(), LEFT, NOMOD, at(tl, 120, "Dialogue", 0.85))
    assert tl.ctx.selection == [clip(tl, "Dialogue", "dialogue-1")]
    qtbot.keyClick(tl.view, Qt.Key.Key_Delete, SHIFT)
    after = assert_shown(tl)
    assert after["Dialogue"] == [("Clip", "dialogue-2", 264, 360)]
    assert tl.ctx.selection == []
    check_undo_redo(qtbot, tl, before, after)

    tl.ctx.stack.undo()
    qtbot.mouseClick(tl.view.viewport(), LEFT, NOMOD, at(tl, 560, "V1", 0.9))
    qtbot.keyClick(tl.view, Qt.Key.Key_Delete)
    lifted = assert_shown(tl)
    assert [s[1] for s in lifted["V1"] if s[0] == "Clip"] == \
        ["pattern-1", "pattern-2", "title-card", "pattern-4"]
    assert ("Clip", "pattern-4", 642, 801) in lifted["V1"]  # a gap keeps its place
    assert tl.ctx.stack.undoText() == "Lift"
    check_undo_redo(qtbot, tl, before, lifted)


def test_marker_zoom_and_home_end_keys(qtbot, tl):
    tl.ctx.set_playhead(50)
    qtbot.keyClick(tl.view, Qt.Key.Key_M)
    frames = [S.frames(m.marked_range.start_time, 24) for m in tl.ctx.scene.tracks.markers]
    assert 50 in frames and len(tl.view.markers) == 2 and len(tl.view.marker_lines) == 2
    pps = tl.pixels_per_second
    qtbot.keyClick(tl.view, Qt.Key.Key_Plus)
    assert tl.pixels_per_second == pytest.approx(pps * 1.5)
    qtbot.keyClick(tl.view, Qt.Key.Key_Minus)
    assert tl.pixels_per_second == pytest.approx(pps)
    qtbot.keyClick(tl.view, Qt.Key.Key_End)
    assert tl.ctx.playhead == 800
    qtbot.keyClick(tl.view, Qt.Key.Key_Home)
    assert tl.ctx.playhead == 0
    names = {a.text() for a in tl.actions_for_menu() if not a.isSeparator()}
    assert {"Split at Playhead", "Ripple Delete", "Lift", "Add Marker", "Zoom In",
            "Zoom Out", "Go to Start", "Go to End"} <= names
    assert all(a.shortcutContext() == Qt.ShortcutContext.WindowShortcut
               for a in tl.actions_for_menu())


def test_ruler_click_and_drag_moves_the_playhead(qtbot, tl):
    ruler = tl.ruler
    qtbot.mousePress(ruler, LEFT, NOMOD, QPoint(300, 10))
    assert tl.ctx.playhead == 200
    qtbot.mouseMove(ruler, QPoint(450, 10))
    qtbot.mouseRelease(ruler, LEFT, NOMOD, QPoint(450, 10))
    assert tl.ctx.playhead == 300
    assert tl.view.playhead.pos().x() == 300


# --- zoom ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ppf", [0.002, 0.05, 0.5, 2.0, 8.0, 40.0])
def test_ruler_ticks_adapt_to_the_zoom(ppf):
    major, minor = tick_steps(24, ppf)
    assert major * ppf >= 96 or major == 5 * 3600 * 24
    assert major < 24 or major % 24 == 0  # whole seconds above one second
    assert minor == 0 or (major % minor == 0 and minor * ppf >= 6)


def wheel(tl, x, steps, modifiers=CTRL):
    pos = QPointF(x, 40)
    event = QWheelEvent(pos, tl.view.viewport().mapToGlobal(pos), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, modifiers,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(tl.view.viewport(), event)


def test_ctrl_wheel_zoom_keeps_the_time_under_the_mouse(qtbot, tl):
    view = tl.view
    for x, steps in ((700, 2), (300, 3), (1000, -2)):
        frame = view.frame_at(x)
        pps = view.pps
        wheel(tl, x, steps)
        assert view.pps == pytest.approx(pps * 1.25 ** steps)
        assert view.frame_at(x) == pytest.approx(frame, abs=1.0 / view.ppf)
    tl.zoom_fit()
    assert view.view_x(801) <= view.viewport().width()
    assert view.view_x(801) > view.viewport().width() * 0.8


def test_follow_playhead_scrolls(qtbot, tl):
    tl.set_zoom(400, 0)
    tl.follow_playhead = True
    tl.ctx.set_playhead(700)
    assert 0 <= tl.view.view_x(700) <= tl.view.viewport().width()


# --- headers ---------------------------------------------------------------------------------

def test_track_header_toggles_change_the_document(qtbot, tl):
    dialogue = track(tl, "Dialogue")
    header = tl.headers.header_for(dialogue)
    qtbot.mouseClick(header.buttons["muted"], LEFT)
    assert S.track_flag(dialogue, "muted")
    qtbot.mouseClick(header.buttons["solo"], LEFT)
    assert S.track_flag(dialogue, "solo")
    header.role.setCurrentIndex(header.role.findData("sfx"))
    header.role.activated.emit(header.role.currentIndex())
    assert S.track_role(dialogue) == S.TrackRole.SFX
    tl.ctx.stack.undo()
    tl.ctx.stack.undo()
    assert not S.track_flag(dialogue, "solo")
    assert not header.buttons["solo"].isChecked() and header.buttons["muted"].isChecked()
    v1 = track(tl, "V1")
    qtbot.mouseClick(tl.headers.header_for(v1).buttons["locked"], LEFT)
    assert S.track_flag(v1, "locked") and tl.view.row_for(v1).locked
    drag(qtbot, tl, at(tl, 800.6, "V1", 0.1), at(tl, 760, "V1", 0.1))
    assert "locked" in tl.errors[-1] and doc_state(tl)["V1"][-1][3] == 801


def test_header_bottom_edge_drag_sets_the_height(qtbot, tl):
    dialogue = track(tl, "Dialogue")
    header = tl.headers.header_for(dialogue)
    music_top = row(tl, "Music").top
    bottom = QPoint(40, header.height() - 2)
    qtbot.mousePress(header, LEFT, NOMOD, bottom)
    qtbot.mouseMove(header, bottom + QPoint(0, 30))
    qtbot.mouseRelease(header, LEFT, NOMOD, bottom + QPoint(0, 30))
    assert S.get(dialogue, "height") == 52 + 30
    assert row(tl, "Dialogue").height == 82 and row(tl, "Music").top == music_top + 30
    assert header.height() == 82
    tl.ctx.stack.undo()
    assert row(tl, "Music").top == music_top and header.height() == 52


# --- audio -----------------------------------------------------------------------------------

def test_volume_line_drag_is_one_undo_step(qtbot, tl):
    item = tl.view.item_for(clip(tl, "Dialogue", "dialogue-1"))
    r = row(tl, "Dialogue")
    start = tl.view.mapFromScene(QPointF(120, r.top + item.volume_y()))
    count = tl.ctx.stack.count()
    drag(qtbot, tl, start, start - QPoint(0, 12), steps=6)
    dialogue = clip(tl, "Dialogue", "dialogue-1")
    volume = S.get(dialogue, "volume")
    assert volume > 1.2
    assert tl.ctx.stack.count() == count + 1
    assert item.volume == volume  # the item shows it
    tl.ctx.stack.undo()
    assert S.get(dialogue, "volume") == 1.0 and item.volume == 1.0


def test_fade_handle_drag_sets_the_fade(qtbot, tl):
    item = tl.view.item_for(clip(tl, "Dialogue", "dialogue-1"))
    r = row(tl, "Dialogue")
    start = tl.view.mapFromScene(QPointF(item.start, r.top + 4))
    drag(qtbot, tl, start, start + QPoint(36, 0))  # 24 frames = 1 s
    assert S.get(clip(tl, "Dialogue", "dialogue-1"), "fade_in") == pytest.approx(1.0)
    assert tl.ctx.stack.undoText() == "Change Fade"


# --- tools and transitions -------------------------------------------------------------------

def test_transition_edge_drag_changes_its_duration(qtbot, tl):
    before = assert_shown(tl)
    drag(qtbot, tl, at(tl, 335, "V1"), at(tl, 342, "V1"))
    v1 = track(tl, "V1")
    dissolve = v1[3]
    assert S.transition_kind(dissolve) == S.TransitionKind.DISSOLVE
    assert S.frames(dissolve.in_offset, 24) + S.frames(dissolve.out_offset, 24) == 36
    after = assert_shown(tl)
    check_undo_redo(qtbot, tl, before, after)


def test_context_menu_adds_and_removes_transitions(qtbot, tl):
    menu = tl.view.context_menu(tl.view.mapToScene(at(tl, 493, "V1", 0.1)))
    actions = {a.text(): a for a in menu.actions()}
    actions["Add Dissolve"].trigger()
    assert S.transition_kind(track(tl, "V1")[5]) == S.TransitionKind.DISSOLVE
    menu = tl.view.context_menu(tl.view.mapToScene(at(tl, 492, "V1", 0.5)))
    {a.text(): a for a in menu.actions()}["Remove Transition"].trigger()
    assert [type(i).__name__ for i in track(tl, "V1")].count("Transition") == 3
    assert_shown(tl)


def test_slip_tool_shifts_the_media(qtbot, tl):
    p4 = clip(tl, "V1", "pattern-4")
    tl.ctx.push(C.Trim(p4, "out", -48, ripple=True))  # leave unused media after it
    src = S.frames(p4.source_range.start_time, 24)
    tl.set_tool(SLIP)
    drag(qtbot, tl, at(tl, 700, "V1", 0.9), at(tl, 680, "V1", 0.9))
    assert S.frames(p4.source_range.start_time, 24) == src + 20
    assert tl.ctx.stack.undoText() == "Slip"
    assert_shown(tl)


def test_previews_arrive_in_the_background(qtbot, sample_project):
    ctx = EditorContext(project_io.load(sample_project))
    widget = TimelineWidget(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 300)
    widget.show()
    qtbot.waitExposed(widget)
    previews = widget.previews
    video = str(ctx.project.resolve_media("media/pattern-1.mp4"))
    audio = str(ctx.project.resolve_media("media/dialogue-1.m4a"))
    try:
        qtbot.waitUntil(lambda: previews.strip(video, 7, 40) is not None, timeout=15000)
        qtbot.waitUntil(lambda: previews.waveform(audio) is not None, timeout=15000)
        assert previews.strip(video, 7, 40).height() == 40
        widget.view.viewport().repaint()
    finally:
        ctx.close()
        widget.previews.close()


def test_roll_tool_moves_a_cut(qtbot, tl):
    p3, p4 = clip(tl, "V1", "pattern-3"), clip(tl, "V1", "pattern-4")
    tl.ctx.push(C.Trim(p3, "out", -30, ripple=True))  # unused media after pattern-3
    before = assert_shown(tl)
    src = S.frames(p4.source_range.start_time, 24)
    tl.set_tool(ROLL)
    drag(qtbot, tl, at(tl, 612, "V1", 0.1), at(tl, 622, "V1", 0.1))
    after = assert_shown(tl)
    clips = [s for s in after["V1"] if s[0] == "Clip"]
    assert clips[-2:] == [("Clip", "pattern-3", 492, 622), ("Clip", "pattern-4", 622, 771)]
    assert S.frames(p4.source_range.start_time, 24) == src + 10
    assert tl.ctx.stack.undoText() == "Roll"
    check_undo_redo(qtbot, tl, before, after)


def test_a_replaced_project_is_followed(qtbot, tl, sample_master, tmp_path):
    import shutil

    old = tl.ctx.project
    shutil.copytree(sample_master, tmp_path / "Other.aladdin")
    other = project_io.load(tmp_path / "Other.aladdin")
    tl.ctx.set_project(other)
    assert [r.track for r in tl.view.rows] == \
        [t for t in other.scenes[0].tracks if t.name == "V1"] + list(other.scenes[0].tracks[1:])
    C.Lift(old.scenes[0].tracks[0][0]).redo(old)  # the old project no longer reaches the view
    assert_shown(tl)
    tl.ctx.push(C.RenameItem(clip(tl, "Music", "music-bed"), "Score"))
    assert tl.view.item_for(clip(tl, "Music", "Score")).name == "Score"
    tl.ctx.push(C.Lift(clip(tl, "V1", "pattern-2")))
    assert all(s[1] != "pattern-2" for s in assert_shown(tl)["V1"])


class BinList(QListWidget):
    """Stands in for the media bin: records the keys it receives."""

    def __init__(self):
        super().__init__()
        self.keys = []

    def keyPressEvent(self, event):  # noqa: N802 - Qt's name
        self.keys.append(event.key())


def test_actions_work_from_a_main_window_menu(qtbot, sample_project):
    """Window-wide shortcuts: the timeline yields a key another window action owns (the
    player's Home), and Delete pressed in a focused list (the bin) goes to that list."""
    from PySide6.QtWidgets import QDockWidget, QMainWindow

    ctx = EditorContext(project_io.load(sample_project))
    window = QMainWindow()
    qtbot.addWidget(window)
    widget = TimelineWidget(ctx, previews=False)
    for title, child in (("Timeline", widget), ("Bin", BinList())):
        dock = QDockWidget(title, window)
        dock.setWidget(child)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    bin_list = window.findChild(BinList)
    player_home = QAction("Player: Go to Start", window)
    player_home.setShortcut(QKeySequence("Home"))
    homes = []
    player_home.triggered.connect(lambda: homes.append(1))
    window.addAction(player_home)
    menu = window.menuBar().addMenu("&Timeline")
    for action in widget.actions_for_menu():
        menu.addAction(action)
    window.resize(1400, 500)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    try:
        assert widget.yielded_shortcuts == {"go_start": ["Home"]}
        ctx.set_playhead(30)
        qtbot.keyClick(widget.view, Qt.Key.Key_Home)
        assert homes == [1] and ctx.playhead == 30  # the other action fired, alone
        qtbot.keyClick(widget.view, Qt.Key.Key_S)
        assert [s.end for s in layout(ctx.scene.tracks[0], 24)][:1] == [30]
        qtbot.keyClick(widget.view, Qt.Key.Key_M)
        assert len(ctx.scene.tracks.markers) == 2
        ctx.select([ctx.scene.tracks[0][0]])
        bin_list.setFocus()
        qtbot.keyClick(bin_list, Qt.Key.Key_Delete)
        assert bin_list.keys == [Qt.Key.Key_Delete] and ctx.stack.undoText() == "Add Marker"
        widget.view.setFocus()
        qtbot.keyClick(widget.view, Qt.Key.Key_Delete)
        assert ctx.stack.undoText() == "Lift"
    finally:
        ctx.close()
