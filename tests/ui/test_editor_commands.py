"""The editor's scene list, track headers, Edit menu and Help menu on the sample project
(issue 12)."""

from __future__ import annotations

import opentimelineio as otio
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.layout import layout
from aladdin_studio.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, sample_project):
    win = MainWindow(project_io.load(sample_project), ask_recovery=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    if win.save_prompt is not None:
        win.save_prompt.button(QMessageBox.StandardButton.Discard).click()


def clips(track):
    return [i for i in track if isinstance(i, otio.schema.Clip)]


def spans(track, rate=24):
    return [(s.item.name, s.start, s.end) for s in layout(track, rate) if s.is_clip]


def track(window, name):
    return next(t for t in window.ctx.scene.tracks if t.name == name)


# --- scenes -----------------------------------------------------------------------------------

def test_scene_list_adds_renames_duplicates_reorders_and_deletes(window):
    panel = window.scenes
    ctx = window.ctx
    first = ctx.scene
    panel.actions_by_name["add"].trigger()
    assert [s.name for s in window.project.scenes] == ["Scene 1", "Scene 2"]
    assert ctx.scene.name == "Scene 2" and panel.list.currentRow() == 1
    assert window.scene_box.currentText() == "Scene 2"
    item = panel.list.item(1)
    item.setText("Ending")  # what in-place editing does
    assert ctx.scene.name == "Ending"
    panel.list.setCurrentRow(0)
    assert ctx.scene is first
    panel.actions_by_name["duplicate"].trigger()
    assert [s.name for s in window.project.scenes] == ["Scene 1", "Scene 1 copy", "Ending"]
    assert len(clips(ctx.scene.tracks[0])) == len(clips(first.tracks[0]))
    panel.actions_by_name["up"].trigger()
    assert [s.name for s in window.project.scenes] == ["Scene 1 copy", "Scene 1", "Ending"]
    panel.actions_by_name["delete"].trigger()
    assert [s.name for s in window.project.scenes] == ["Scene 1", "Ending"]
    assert ctx.scene is window.project.scenes[0]  # a neighbour is shown
    window.undo_action.trigger()  # the deletion is undoable
    assert [s.name for s in window.project.scenes] == ["Scene 1 copy", "Scene 1", "Ending"]
    assert panel.list.count() == 3


def test_move_selected_clips_to_a_new_scene(window):
    ctx = window.ctx
    v1 = ctx.scene.tracks[0]
    picked = clips(v1)[1]
    ctx.select([picked])
    assert window.scenes.clips_to_new_scene()
    assert ctx.scene.name == "Scene 1 part"
    assert [c.name for c in clips(ctx.scene.tracks[0])] == [picked.name]


def test_splitting_past_the_clip_limit_warns_in_the_scene_status(window, qtbot):
    ctx = window.ctx
    scene = ctx.scene
    S.ns(scene)["max_clips"] = len(clips(scene.tracks[0])) + 1  # one split to go
    messages = []
    ctx.message.connect(messages.append)
    v1 = scene.tracks[0]
    first = layout(v1, ctx.rate)[0]
    for i in range(3):  # one clip split three times: never refused
        assert ctx.push(C.Split(v1, first.start + 10 + 10 * i))
    assert any("over its limit" in m for m in messages)
    assert "over the limit" in window.limit_label.text()
    assert "over the limit" in window.scenes.status.text()
    window.project.enforce_clip_limit = True  # Settings: refuse
    assert not ctx.push(C.Split(v1, first.start + 5))


# --- tracks -----------------------------------------------------------------------------------

def test_track_header_menu_adds_renames_and_removes_tracks(window, qtbot):
    ctx = window.ctx
    headers = window.timeline.headers
    v1 = headers.header_for(track(window, "V1"))
    menu = v1.menu()
    texts = [a.text() for a in menu.actions()]
    assert {"Rename Track…", "Add Video Track", "Add Audio Track", "Remove Track",
            "Sync Lock"} <= set(texts)
    next(a for a in menu.actions() if a.text() == "Add Video Track").trigger()
    assert [t.name for t in ctx.scene.tracks if not S.is_audio(t)] == ["V1", "V2"]
    audio_menu = next(a for a in menu.actions() if a.text() == "Add Audio Track").menu()
    next(a for a in audio_menu.actions() if a.text() == "SFX").trigger()
    sfx = track(window, "SFX")
    assert S.track_role(sfx).value == "sfx"
    v2 = headers.header_for(track(window, "V2"))
    edit = v2.start_rename()
    edit.setText("Overlay")
    edit.editingFinished.emit()
    assert track(window, "Overlay") is v2.track
    qtbot.waitUntil(lambda: v2.name.text() == "Overlay", timeout=2000)
    next(a for a in headers.header_for(sfx).menu().actions()
         if a.text() == "Remove Track").trigger()
    assert "SFX" not in [t.name for t in ctx.scene.tracks]
    # the rows follow: one header per track
    assert len(headers.headers) == len(ctx.scene.tracks)


def test_sync_lock_shows_and_toggles_in_the_header(window):
    dialogue = window.timeline.headers.header_for(track(window, "Dialogue"))
    v1 = window.timeline.headers.header_for(track(window, "V1"))
    assert dialogue.sync.isChecked() and not v1.sync.isChecked()
    dialogue.sync.click()
    assert not S.sync_locked(dialogue.track, window.ctx.scene)
    window.undo_action.trigger()
    assert dialogue.sync.isChecked()


def test_dragging_a_track_header_onto_another_reorders(window, qtbot):
    ctx = window.ctx
    assert ctx.push(C.AddTrack(ctx.scene, "video"))
    headers = window.timeline.headers
    v1 = headers.header_for(track(window, "V1"))
    v2 = headers.header_for(track(window, "V2"))
    dialogue = headers.header_for(track(window, "Dialogue"))
    assert v2.y() < v1.y()  # V2 is drawn above V1
    start = QPoint(20, v1.height() // 2)
    qtbot.mousePress(v1, Qt.MouseButton.LeftButton, pos=start)
    target = v1.mapFromGlobal(v2.mapToGlobal(QPoint(20, v2.height() // 2)))
    qtbot.mouseMove(v1, target)
    assert "f0c040" in v2.styleSheet() and not v1.styleSheet()  # the drop target is marked
    qtbot.mouseRelease(v1, Qt.MouseButton.LeftButton, pos=target)
    assert not v2.styleSheet()
    videos = [t.name for t in ctx.scene.tracks if not S.is_audio(t)]
    assert videos == ["V2", "V1"]  # V1 is the top layer now
    qtbot.waitUntil(lambda: headers.header_for(track(window, "V1")).y()
                    < headers.header_for(track(window, "V2")).y(), timeout=2000)
    errors = []
    ctx.error.connect(errors.append)
    headers._dropped(dialogue.track, headers.header_for(track(window, "V1")).mapToGlobal(
        QPoint(5, 5)))
    assert errors and "same kind" in errors[0]


# --- Edit menu --------------------------------------------------------------------------------

def test_cut_and_paste_into_another_scene_at_the_playhead(window):
    ctx = window.ctx
    edit = window.edit_actions
    v1 = ctx.scene.tracks[0]
    taken = clips(v1)[0]
    ctx.select([taken])
    edit.named["cut"].trigger()
    assert not any(c is taken for c in clips(v1))  # lifted: a gap remains
    assert window.ctx.stack.count() == 1
    window.scenes.add_scene("Second")  # the clipboard survives the scene switch
    second = ctx.scene
    ctx.set_playhead(48)
    window.timeline.view.set_current_row(window.timeline.view.row_for(second.tracks[0]))
    edit.named["paste"].trigger()
    assert spans(second.tracks[0]) == [(taken.name, 48, 48 + (spans(
        otio.schema.Track(children=[taken.clone()]))[0][2]))]
    assert ctx.playhead == spans(second.tracks[0])[0][2]  # the next paste follows
    edit.named["paste"].trigger()
    assert len(clips(second.tracks[0])) == 2
    window.undo_action.trigger()
    assert len(clips(second.tracks[0])) == 1


def test_duplicate_select_all_and_select_track_forward(window):
    ctx = window.ctx
    edit = window.edit_actions
    v1 = ctx.scene.tracks[0]
    before = spans(v1)
    first = clips(v1)[0]
    ctx.select([first])
    edit.named["duplicate"].trigger()
    after = spans(v1)
    assert after[0] == before[0] and after[1][0] == first.name
    assert after[1][1] == before[0][2]  # right after the original
    assert after[2][1] == before[1][1] + (before[0][2] - before[0][1])  # later clips moved
    count = edit.select_all()
    assert count == sum(len(clips(t)) for t in ctx.scene.tracks) and \
        len(ctx.selection) == count
    view = window.timeline.view
    view.set_current_row(view.row_for(v1))
    ctx.set_playhead(after[2][1])
    edit.named["select_forward"].trigger()
    assert [c.name for c in ctx.selection] == [n for n, _s, e in after if e > after[2][1]]


def test_edit_menu_lists_the_commands_with_standard_keys(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    keys = {a.text(): a.shortcut().toString() for a in menu.actions() if not a.isSeparator()}
    assert keys["Cu&t"] == "Ctrl+X" and keys["&Copy"] == "Ctrl+C"
    assert keys["&Paste"] == "Ctrl+V" and keys["&Duplicate"] == "Ctrl+D"
    assert keys["Select &All"] == "Ctrl+A" and keys["Delete (Lift)"] == "Del"


# --- Help menu and docks ----------------------------------------------------------------------

def test_shortcut_list_is_generated_from_the_actions(window):
    from aladdin_studio.ui.help_menu import ShortcutsDialog, shortcut_rows

    rows = shortcut_rows(window)
    found = {(where.split(" ▸ ")[0], name): keys for where, name, keys in rows}
    assert found[("Edit", "Redo")] == "Ctrl+Shift+Z, Ctrl+Y" or \
        "Ctrl+Y" in found[("Edit", "Redo")]
    assert found[("Edit", "Paste")] == "Ctrl+V"
    assert found[("Timeline", "Split at Playhead")] == "S"
    window.timeline.named_actions["marker"].setShortcut("Shift+M")  # change a key...
    dialog = ShortcutsDialog(window)  # ...and the list shows it
    table = dialog.table
    texts = {table.item(r, 1).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert texts["Add Marker"] == "Shift+M"
    dialog.deleteLater()


def test_getting_started_opens_the_sample_and_about_shows_versions(window, qtbot, monkeypatch,
                                                                   sample_master, tmp_path):
    import shutil

    from aladdin_studio.ui import help_menu

    sample_project = tmp_path / "Other" / "Sample.aladdin"
    shutil.copytree(sample_master, sample_project)

    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    items = {a.text(): a for a in menu.actions() if not a.isSeparator()}
    monkeypatch.setattr("aladdin_studio.app.sample_project_path", lambda: sample_project)
    window.ctx.push(C.RenameItem(window.ctx.scene, "Changed"))
    items["&Getting Started…"].trigger()
    dialog = window.help_dialog
    assert isinstance(dialog, help_menu.GettingStartedDialog) and dialog.isVisible()
    dialog.sample_button.click()
    assert window.save_prompt is not None  # unsaved edits are not dropped silently
    window.save_prompt.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: window.project.scene().name == "Scene 1", timeout=5000)
    assert window.project.location.root == sample_project
    items["&About Aladdin Studio"].trigger()
    about = window.help_dialog.label.text()
    assert "OpenTimelineIO" in about and "PySide6" in about and "Python" in about
    window.help_dialog.close()


def test_jobs_dock_does_not_share_the_timelines_tab(window):
    timeline = window.docks["Timeline"]
    assert window.docks["Jobs"] not in window.tabifiedDockWidgets(timeline)
    assert timeline.isVisible() and not timeline.visibleRegion().isEmpty()
    QApplication.processEvents()


# --- drops ------------------------------------------------------------------------------------

def test_drop_marker_says_overwrite_or_insert_and_ctrl_switches(window, sample_project):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent

    from aladdin_studio.ui.timeline_view.drops import media_mime

    view = window.timeline.view
    row = view.row_for(track(window, "V1"))
    first = row.clips[0]
    media = sample_project / "media" / "pattern-1.mp4"
    mime = media_mime([media])
    vp = view.viewport()
    pos = view.mapFromScene(QPointF(first.start + first.duration / 2, row.top + row.height / 2))
    action = Qt.DropAction.CopyAction
    shown = {}
    for name, mods in (("plain", Qt.KeyboardModifier.NoModifier),
                       ("ctrl", Qt.KeyboardModifier.ControlModifier)):
        QApplication.sendEvent(vp, QDragEnterEvent(pos, action, mime, Qt.MouseButton.LeftButton,
                                                   mods))
        QApplication.sendEvent(vp, QDragMoveEvent(pos, action, mime, Qt.MouseButton.LeftButton,
                                                  mods))
        ghost = view.ghosts[0]
        shown[name] = (view.label.text(), ghost.isVisible(), ghost.brush().color().name(),
                       ghost.rect().width())
        view.drops.leave()
    from aladdin_studio.ui.timeline_view import style

    label, visible, color, width = shown["plain"]
    assert label.startswith("Overwrite at") and "Ctrl to insert" in label
    assert visible and color == style.GHOST_BAD.name()  # red: the clips it would replace
    assert width == 7 * 24  # the dropped file's 7 s
    label, visible, color, width = shown["ctrl"]
    assert label.startswith("Insert at") and "pushes later clips" in label
    assert visible and color == style.GHOST_FILL.name()


def test_clicking_the_ruler_gives_the_timeline_the_keys(window, qtbot):
    """S after a click on the ruler splits; it does not type into the bin's search field."""
    from PySide6.QtWidgets import QLineEdit

    search = next(w for w in window.bin.findChildren(QLineEdit) if w.isVisible())
    window.activateWindow()
    search.setFocus()
    qtbot.waitUntil(search.hasFocus, timeout=2000)
    ruler = window.timeline.ruler
    qtbot.mouseClick(ruler, Qt.MouseButton.LeftButton, pos=QPoint(200, ruler.height() // 2))
    assert window.timeline.view.hasFocus() and not search.hasFocus()


def test_dragging_a_scene_in_the_list_reorders_the_scenes(window):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDropEvent

    panel = window.scenes
    panel.add_scene("Two")
    panel.add_scene("Three")
    lst = panel.list
    lst.setCurrentRow(2)  # "Three", dragged onto the first row
    mime = lst.model().mimeData([lst.model().index(2, 0)])
    target = lst.visualItemRect(lst.item(0)).center()
    event = QDropEvent(QPointF(target), Qt.DropAction.MoveAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    lst.dropEvent(event)
    assert [s.name for s in window.project.scenes] == ["Three", "Scene 1", "Two"]
    assert [lst.item(i).text() for i in range(lst.count())] == ["Three", "Scene 1", "Two"]
    window.undo_action.trigger()
    assert [s.name for s in window.project.scenes] == ["Scene 1", "Two", "Three"]


def test_clip_context_menu_copies_the_selection_to_a_new_scene(window):
    from PySide6.QtCore import QPointF

    ctx = window.ctx
    view = window.timeline.view
    row = view.row_for(track(window, "V1"))
    item = row.clips[2]
    ctx.select([item.clip])
    menu = view.context_menu(QPointF(item.start + item.duration / 2, row.top + row.height / 2))
    action = next(a for a in menu.actions() if a.text() == "Copy Selected Clips to New Scene")
    action.trigger()
    assert ctx.scene.name == "Scene 1 part"
    assert [c.name for c in clips(ctx.scene.tracks[0])] == [item.clip.name]
    assert len(clips(window.project.scenes[0].tracks[0])) == len(row.clips)  # a copy
