"""Starting the editor: Qt application, qasync loop, which project to open."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import paths


def sample_project_path() -> Path:
    return paths.data_dir() / "Sample.aladdin"


def choose_project(explicit: str | None) -> Path:
    """The project to open: the one asked for, the last one used, or the sample."""
    if explicit:
        return Path(explicit)
    from PySide6.QtCore import QSettings

    last = QSettings("Aladdin Studio", "Aladdin Studio").value("recent/last")
    if last and Path(str(last)).exists():
        return Path(str(last))
    sample = sample_project_path()
    if not (sample / "project.otio").exists():
        from .demo import build_demo

        build_demo(sample, force=True)
    return sample


def _refuse_locked(exc: Exception) -> int:
    """Another writer (a CLI command, another editor) has the project: say so, in the
    terminal and in a window (a file manager start has no terminal), and open nothing."""
    from PySide6.QtWidgets import QMessageBox

    print(f"aladdin-studio: error: {exc}", file=sys.stderr)
    if not os.environ.get("ALADDIN_SMOKE_EXIT_MS"):
        QMessageBox.warning(None, "Aladdin Studio", f"The project cannot be opened now.\n\n{exc}")
    return 2


def run_editor(project_path: str | None, *, recover: bool = False,
               settings: Any = None) -> int:
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Aladdin Studio")
    icon = Path(__file__).resolve().parents[1] / "packaging" / "icons" / "aladdin-studio.png"
    if icon.exists():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    path = choose_project(project_path)
    from .services.session import ProjectSession
    from .timeline.project_lock import ProjectLockedError
    from .ui.editor_context import EDITOR_HOLDER

    try:  # the lock before the load; the window's session keeps it while the project is open
        session = ProjectSession.open(path, writer=EDITOR_HOLDER, recover=recover)
    except ProjectLockedError as exc:
        return _refuse_locked(exc)
    interval = getattr(settings, "autosave_interval_s", 3.0)
    window = MainWindow(session, autosave_s=interval, settings=settings)
    window.show()
    from .ui import gc_policy

    gc_policy.install(window.ctx)  # no full collections of the open project during edits

    smoke_ms = os.environ.get("ALADDIN_SMOKE_EXIT_MS")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    shot = os.environ.get("ALADDIN_SCREENSHOT")
    if shot:  # `make screenshot`: a representative state, then a picture of the window
        window.stage_for_screenshot()
    if smoke_ms:  # used by tests: report what the window shows, then quit
        def report() -> None:
            if shot:
                window.screen().grabWindow(0).save(shot) or window.grab().save(shot)
            print(json.dumps(window.smoke_report()), flush=True)
            app.quit()
        QTimer.singleShot(int(smoke_ms), report)
    app.lastWindowClosed.connect(loop.stop)
    app.aboutToQuit.connect(loop.stop)
    with loop:
        loop.run_forever()
    return 0
