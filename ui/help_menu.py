"""The Help menu: the keyboard shortcuts (read from the window's actions, so the list is
always what the keys do), a short getting-started page that opens the sample project, and
About with the versions of the parts that matter for bug reports."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

GETTING_STARTED = """
<h2>Getting started</h2>
<ol>
<li><b>Open the sample</b> (the button below) to look around a finished scene, or
<b>File ▸ New Project</b> to start your own.</li>
<li><b>Import media</b> with File ▸ Import Media (Ctrl+I) or by dropping files on the
Media Bin; drag them onto the timeline. Dropping over clips overwrites; hold
<b>Ctrl</b> to insert and push later clips right (the drop marker says which).</li>
<li><b>Edit</b>: S splits at the playhead, Delete lifts, Shift+Delete ripple-deletes, drag
edges to trim (Shift: ripple), Ctrl+C / Ctrl+V copy and paste at the playhead. Every edit
can be undone (Ctrl+Z) and redone (Ctrl+Shift+Z or Ctrl+Y).</li>
<li><b>Scenes and tracks</b>: the Scenes dock adds, renames, duplicates and reorders scenes;
right-click a track header to add video tracks (V2 and up for overlays and titles: Timeline ▸
Add Title, Ctrl+T) or audio tracks. ⇆ in a track header is sync lock: ripple edits elsewhere
keep that track in sync.</li>
<li><b>Generate</b> shots from the Generate menu; they appear at the playhead as placeholders
and become takes when ready (never over existing clips).</li>
<li><b>Play</b> with Space or J/K/L, and <b>export</b> with File ▸ Export Video (Ctrl+E).</li>
</ol>
<p>Help ▸ Keyboard Shortcuts lists every key. Your work is autosaved to a recovery file a few
seconds after each edit; Save (Ctrl+S) writes the project.</p>
"""


def _menu_actions(menu: QMenu, path: str) -> Iterator[tuple[str, QAction]]:
    for action in menu.actions():
        if action.isSeparator():
            continue
        sub = action.menu()
        if sub is not None:
            yield from _menu_actions(sub, f"{path} ▸ {_plain(action.text())}")
        else:
            yield path, action


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """``(where, action, keys)`` for every action of ``window`` that has a key, menus first
    (in menu order), then window-wide actions that are in no menu."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    for top in window.menuBar().actions():
        menu = top.menu()
        if menu is None:
            continue
        for path, action in _menu_actions(menu, _plain(top.text())):
            seen.add(id(action))
            keys = _keys(action)
            if keys:
                rows.append((path, _plain(action.text()), keys))
    for action in window.findChildren(QAction):
        if id(action) in seen or action.shortcutContext() not in (
                Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut):
            continue
        keys = _keys(action)
        if keys and action.text():
            seen.add(id(action))
            rows.append(("Window", _plain(action.text()), keys))
    return rows


def _keys(action: QAction) -> str:
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                     for k in action.shortcuts() if not k.isEmpty())


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(620, 640)
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("shortcuts-table")
        self.table.setHorizontalHeaderLabels(["Menu", "Command", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)


class GettingStartedDialog(QDialog):
    def __init__(self, parent: QWidget | None, open_sample: Callable[[], Any]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Getting Started")
        self.resize(620, 520)
        text = QTextBrowser()
        text.setHtml(GETTING_STARTED)
        self.sample_button = QPushButton("Open the Sample Project")
        self.sample_button.setObjectName("open-sample")
        self.sample_button.clicked.connect(lambda: (open_sample(), self.accept()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.sample_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)


def versions() -> list[tuple[str, str]]:
    """What About shows: the app and the libraries a bug report needs."""
    import PySide6
    from PySide6.QtCore import qVersion

    def dist(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    import av

    codec = av.library_versions.get("libavcodec")
    ffmpeg = ".".join(map(str, codec)) if codec else "unknown"
    return [("Aladdin Studio", dist("aladdin-studio")),
            ("Python", platform.python_version()),
            ("Qt / PySide6", f"{qVersion()} / {PySide6.__version__}"),
            ("OpenTimelineIO", dist("opentimelineio")),
            ("PyAV (libavcodec)", f"{dist('av')} ({ffmpeg})"),
            ("NumPy", dist("numpy")),
            ("System", f"{platform.system()} {platform.release()} ({sys.platform})")]


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Aladdin Studio")
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;{v}</td></tr>" for k, v in versions())
        self.label = QLabel(
            "<h2>Aladdin Studio</h2><p>A video editor with AI generation on a real "
            "timeline.</p>"
            f"<table>{rows}</table><p>GPL-3.0-or-later</p>")
        self.label.setObjectName("about-text")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)


def build_help_menu(window: Any) -> QMenu:
    """Add the Help menu to ``window`` (a MainWindow: ``open_path`` opens a project)."""
    menu = window.menuBar().addMenu("&Help")

    def add(text: str, slot: Callable[[], Any], key: Any = None) -> QAction:
        action = QAction(text, window)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    add("&Getting Started…", lambda: _show(window, GettingStartedDialog(
        window, lambda: open_sample(window))))
    add("&Keyboard Shortcuts…", lambda: _show(window, ShortcutsDialog(window)),
        QKeySequence.StandardKey.HelpContents)
    menu.addSeparator()
    add("&About Aladdin Studio", lambda: _show(window, AboutDialog(window)))
    return menu


def _show(window: Any, dialog: QDialog) -> QDialog:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.help_dialog = dialog  # for tests and screenshots
    dialog.open()
    return dialog


def open_sample(window: Any) -> None:
    """Open the sample project (built on first use) in ``window``."""
    from ..app import sample_project_path
    from ..demo import build_demo

    def go() -> None:
        path = sample_project_path()
        if not (path / "project.otio").exists():
            build_demo(path, force=True)
        window.open_path(str(path))

    window.when_saved(go, "opening the sample")
