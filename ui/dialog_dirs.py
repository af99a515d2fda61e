"""Where file dialogs start, and what the export dialog remembers per project.

A dialog opens in the folder last used for its kind of file (media, LUTs, images,
projects), else next to the current project, else the home folder; never in the process's
working directory. Values live in ``QSettings`` (not in the project, so remembering them
is not an edit).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

ORG = APP = "Aladdin Studio"


def _settings() -> QSettings:
    return QSettings(ORG, APP)


def project_folder(project: Any) -> Path | None:
    """The folder holding the project (the parent of a ``NAME.aladdin`` bundle)."""
    location = getattr(project, "location", None)
    if location is None:
        return None
    return location.root.parent if location.bundle else location.file.parent


def start_dir(project: Any, kind: str) -> str:
    """The folder a file dialog for ``kind`` opens in."""
    last = _settings().value(f"dialogs/{kind}")
    if last and Path(str(last)).is_dir():
        return str(last)
    folder = project_folder(project)
    if folder is not None and folder.is_dir():
        return str(folder)
    return str(Path.home())


def remember_dir(kind: str, chosen: str | Path | list | None) -> None:
    """Remember the folder of what the user chose (a file, files or a folder)."""
    if not chosen:
        return
    first = Path(chosen[0] if isinstance(chosen, list) else chosen)
    folder = first if first.is_dir() else first.parent
    _settings().setValue(f"dialogs/{kind}", str(folder))


def _project_key(project: Any) -> str | None:
    location = getattr(project, "location", None)
    if location is None:
        return None
    return hashlib.sha1(str(location.file).encode("utf-8")).hexdigest()[:16]


def remembered_preset(project: Any) -> str | None:
    """The export preset last used for this project (its name), if any."""
    key = _project_key(project)
    if key is None:
        return None
    value = _settings().value(f"export_preset/{key}")
    return str(value) if value else None


def remember_preset(project: Any, name: str) -> None:
    key = _project_key(project)
    if key is not None:
        _settings().setValue(f"export_preset/{key}", name)
