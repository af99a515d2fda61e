"""Autosave failures are shown: a status-bar warning each time, a dialog after repeated
failures, and the close prompt says there is no recovery copy."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.main_window import AUTOSAVE_DIALOG_AFTER, MainWindow


def dialog(name: str) -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible()),
                None)


def test_failed_autosaves_warn_then_ask_and_the_close_prompt_says_so(qtbot, sample_project):
    window = MainWindow(project_io.load(sample_project), autosave_s=0.05, ask_recovery=False)
    qtbot.addWidget(window)
    window.show()
    saver = window.autosaver
    recovery = window.project.location.recovery_file
    recovery.mkdir()  # the recovery file cannot be written: a folder has its name
    scene = window.project.scene()
    for i in range(AUTOSAVE_DIALOG_AFTER):
        assert window.ctx.push(C.RenameItem(scene, f"Edit {i}"))
        qtbot.waitUntil(lambda n=i: saver.failures == n + 1, timeout=5000)
        qtbot.waitUntil(lambda: "Autosave failed" in window.statusBar().currentMessage(),
                        timeout=5000)
        if i < AUTOSAVE_DIALOG_AFTER - 1:
            assert dialog("autosave-failed") is None
    assert "project.otio.recovery" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: dialog("autosave-failed") is not None, timeout=5000)
    assert "not protected" in dialog("autosave-failed").text()
    dialog("autosave-failed").accept()

    prompt = window.ask_to_save(lambda: None)
    assert "last autosave failed" in prompt.text() and "no recovery copy" in prompt.text()
    prompt.done(QMessageBox.StandardButton.Cancel)

    recovery.rmdir()  # fixed: the next autosave works and the warnings reset
    assert window.ctx.push(C.RenameItem(scene, "Fixed"))
    qtbot.waitUntil(lambda: recovery.is_file(), timeout=5000)
    qtbot.waitUntil(lambda: saver.failures == 0 and saver.last_error is None, timeout=5000)
    # the saver resets its count on its thread; the window hears ``saved`` a moment later
    # through the GUI thread's queue (under load the assert ran before it: a full-run failure)
    qtbot.waitUntil(lambda: not window._autosave_warned, timeout=5000)
    window.autosaver.discard()
    window._close_confirmed = True
    window.close()
