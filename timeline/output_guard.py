"""Where a render or an export may write: one rule for every front end.

``render -o``, ``export -o``, the export dialog and the services call
:func:`check_output_path` before any work starts. It refuses (with one line naming the
user's path):

* the project file, its recovery file, lock file and anything in its ``backups/``,
  ``media/`` or ``cache/`` folders;
* any media file the project references (every take of every clip, every bin item),
  compared after resolving symlinks and by inode, so a link cannot sneak past;
* an output that is an existing folder, device, FIFO or socket;
* an output in a folder that does not exist (no front end creates missing folders: the
  same rule for render and export), is not a folder or cannot be written to, or a system
  folder (``/proc``, ``/etc``, ...).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..errors import AladdinError, ErrorKind
from .errors import TimelineError

__all__ = ["SYSTEM_DIRS", "OutputPathError", "check_output_path", "is_system_path",
           "protected_paths"]

# Folders no project output belongs in and no project media should come from.
SYSTEM_DIRS = ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/bin", "/sbin",
               "/lib", "/lib32", "/lib64", "/usr", "/var/lib", "/var/run", "/srv")


class OutputPathError(TimelineError, AladdinError):
    """An output path that would overwrite the project, its media or a non-file."""

    kind = ErrorKind.INVALID_INPUT


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return path.absolute()


def is_system_path(path: str | os.PathLike[str], *, home_is_user: bool = False) -> bool:
    """Whether ``path`` (after resolving symlinks) lies in a system folder; with
    ``home_is_user`` the user's home counts as theirs even when it is ``/root``."""
    real = str(_real(Path(path)))
    if home_is_user:
        home = str(_real(Path.home()))
        if real == home or real.startswith(home + "/"):
            return False
    return any(real == d or real.startswith(d + "/") for d in SYSTEM_DIRS)


def _media_urls(project) -> Iterator[str]:
    for scene in project.scenes:
        for clip in scene.find_clips():
            for ref in clip.media_references().values():
                url = getattr(ref, "target_url", None)
                if isinstance(url, str) and url:
                    yield url
    from . import schema as S

    bin_items = S.get(project.collection, "bin", []) or []
    for entry in bin_items if isinstance(bin_items, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            yield entry["url"]


def protected_paths(project) -> tuple[set[Path], list[Path]]:
    """(files, folders) an output must never replace: resolved paths."""
    files: set[Path] = set()
    folders: list[Path] = []
    loc = project.location
    if loc is not None:
        from .project_lock import lock_path

        files |= {_real(loc.file), _real(loc.recovery_file), _real(lock_path(loc))}
        folders += [_real(loc.backups_dir), _real(loc.media_dir), _real(loc.cache_dir)]
    for url in _media_urls(project):
        try:
            files.add(_real(project.resolve_media(url)))
        except (OSError, ValueError):
            continue
    return files, folders


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _same_inode(path: Path, others: set[Path]) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    for other in others:
        try:
            ot = os.stat(other)
        except OSError:
            continue
        if (ot.st_dev, ot.st_ino) == (st.st_dev, st.st_ino):
            return True
    return False


def check_output_path(project, out: str | os.PathLike[str]) -> Path:
    """The absolute output path, if ``project``'s render/export may write it; otherwise
    raise :class:`OutputPathError` naming the path. See the module docstring."""
    shown = os.fspath(out)
    if not shown.strip():
        raise OutputPathError("Choose an output file.")
    path = Path(shown).expanduser().absolute()
    real = _real(path)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise OutputPathError(f"Cannot write '{shown}': {exc.strerror or exc}.") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputPathError(f"'{shown}' is a folder; give a file name for the output "
                              f"(e.g. '{os.path.join(shown, 'output.mp4')}').")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputPathError(f"'{shown}' is not a regular file (a device, FIFO or socket); "
                              "choose a file name for the output.")
    if is_system_path(real, home_is_user=True):
        raise OutputPathError(f"'{shown}' is in a system folder; write the output to your "
                              "own folders.")
    files, folders = protected_paths(project)
    if real in files or _same_inode(path, files):
        what = "project file" if project.location is not None and real in {
            _real(project.location.file), _real(project.location.recovery_file)} else \
            "media file this project uses"
        raise OutputPathError(f"'{shown}' is a {what}; writing there would destroy it. "
                              "Choose another output file.")
    for folder in folders:
        if _inside(real, folder):
            raise OutputPathError(f"'{shown}' is inside the project's {folder.name} folder; "
                                  "write outputs to its renders folder or elsewhere.")
    parent = path.parent
    if not parent.is_dir():
        why = " (it is a file)" if parent.exists() else ""
        raise OutputPathError(f"Folder '{parent}' does not exist{why}; create it first or "
                              "choose another output file.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"Cannot write to folder '{parent}': permission denied.")
    return path
