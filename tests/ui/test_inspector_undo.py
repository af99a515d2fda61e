"""The Inspector and the selection follow undo and redo: an item removed and brought back
(same stable id) is selected and shown again; one really gone is said to be gone."""

from __future__ import annotations

import pytest

from aladdin_studio.timeline import titles as TT
from aladdin_studio.ui.inspector import GONE, HINT, Inspector
from aladdin_studio.ui.timeline_view import TimelineWidget
from aladdin_studio.ui.title_actions import add_title


@pytest.fixture
def timeline(qtbot, ctx) -> TimelineWidget:
    widget = TimelineWidget(ctx)
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def inspector(qtbot, ctx, timeline) -> Inspector:  # the timeline prunes the selection too
    widget = Inspector(ctx)
    qtbot.addWidget(widget)
    return widget


def clip_named(ctx, name: str):
    return next(c for c in ctx.scene.find_clips() if c.name == name)


def test_title_undone_then_redone_is_selected_and_shown_again(ctx, inspector):
    ctx.set_playhead(48)
    title = add_title(ctx)
    title_id = title.metadata["aladdin"]["id"]
    assert inspector.showing == "clip" and inspector.item is title

    ctx.stack.undo()  # the title (and the V2 track made for it) leave the timeline
    assert ctx.selection == []
    assert inspector.showing == "hint" and inspector.hint.text() == GONE

    ctx.stack.redo()
    assert ctx.project.find(title_id) is title
    assert ctx.selection == [title]
    assert inspector.showing == "clip" and inspector.item is title
    assert inspector.clip_panel.title_box.text.toPlainText() == "Title"
    assert TT.is_title(inspector.item)


def test_clip_lifted_then_brought_back_by_undo_is_shown_again(ctx, timeline, inspector):
    clip = clip_named(ctx, "pattern-2")
    ctx.select([clip])
    timeline.lift()
    assert clip.parent() is None and ctx.selection == []
    assert inspector.hint.text() == GONE and inspector.showing == "hint"

    ctx.stack.undo()
    assert ctx.selection == [clip]
    assert inspector.showing == "clip" and inspector.clip_panel.name.text() == "pattern-2"
    ctx.stack.redo()  # gone again, and said so
    assert ctx.selection == [] and inspector.hint.text() == GONE
    ctx.stack.undo()
    assert inspector.showing == "clip" and inspector.item is clip


def test_an_edit_elsewhere_keeps_saying_gone_and_a_new_choice_forgets_it(ctx, timeline,
                                                                         inspector):
    clip = clip_named(ctx, "pattern-2")
    ctx.select([clip])
    timeline.lift()
    add_title(ctx)  # selects the title: the lifted clip is no longer the choice
    ctx.select([])
    assert inspector.hint.text() == HINT
    for _ in range(2):  # the title, then the lift
        ctx.stack.undo()
    assert clip.parent() is not None
    assert ctx.selection == [] and inspector.showing == "hint"



def test_in_the_window_ctrl_t_ctrl_z_ctrl_shift_z_shows_the_title_again(qtbot,
                                                                       sample_project):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

    from aladdin_studio.timeline import project_io
    from aladdin_studio.ui.main_window import MainWindow

    window = MainWindow(project_io.load(sample_project), autosave_s=0, ask_recovery=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    inspector = window.findChild(Inspector)

    def key(k, modifiers) -> None:  # where a user's keys go: the focused widget
        focused = QApplication.focusWidget()
        assert focused is not None and not isinstance(focused, QLineEdit), focused
        qtbot.keyClick(focused, k, modifiers)

    key(Qt.Key.Key_T, ctrl)
    title = window.ctx.selection[0]
    assert TT.is_title(title) and inspector.item is title
    key(Qt.Key.Key_Z, ctrl)
    assert title.parent() is None or title.parent().parent() is None
    assert inspector.showing == "hint" and inspector.hint.text() == GONE
    key(Qt.Key.Key_Z, ctrl | shift)
    assert window.ctx.selection == [title]
    assert inspector.showing == "clip" and inspector.item is title
    window.close()
    if window.save_prompt is not None:
        window.save_prompt.button(QMessageBox.StandardButton.Discard).click()
