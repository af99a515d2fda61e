"""The editor in a child process for the kill -9 autosave test: opens the project as
`aladdin-studio open` does (settings from the environment), makes one edit, prints "edited"
and keeps running until it is killed."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from aladdin_studio.config import load_settings
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.main_window import MainWindow


def main() -> None:
    app = QApplication(sys.argv[:1])
    settings = load_settings(use_keyring=False)
    window = MainWindow(project_io.load(sys.argv[1]), autosave_s=settings.autosave_interval_s,
                        settings=settings, ask_recovery=False)
    window.show()

    def edit() -> None:
        window.ctx.push(C.RenameItem(window.project.scene(), "Edited before the crash"))
        print("edited", flush=True)

    QTimer.singleShot(300, edit)
    app.exec()


if __name__ == "__main__":
    main()
