"""The main window in a child process (the test runs it under Xvfb with the xcb platform,
whose Redo key is Ctrl+Shift+Z): prints the keys bound to more than one window action."""

from __future__ import annotations

import json
import sys
from collections import defaultdict

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from aladdin_studio.timeline import project_io
from aladdin_studio.ui.main_window import MainWindow


def main() -> None:
    app = QApplication(sys.argv[:1])
    window = MainWindow(project_io.load(sys.argv[1]), autosave_s=0, ask_recovery=False)
    window.show()
    app.processEvents()
    keys: dict[str, list[str]] = defaultdict(list)
    for action in window.findChildren(QAction):
        if action.shortcutContext() in (Qt.ShortcutContext.WindowShortcut,
                                        Qt.ShortcutContext.ApplicationShortcut):
            for key in action.shortcuts():
                if not key.isEmpty():
                    keys[key.toString()].append(action.text() or action.objectName())
    print(json.dumps({"redo_key": QKeySequence(QKeySequence.StandardKey.Redo).toString(),
                      "shared": {k: v for k, v in keys.items() if len(v) > 1}}), flush=True)
    window.close()


if __name__ == "__main__":
    main()
