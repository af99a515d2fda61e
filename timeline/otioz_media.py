"""What an OTIOZ export may pack: media files only, each under a distinct name.

A clip's URL can point anywhere (``../../../../etc/passwd``, ``/dev/zero``, a FIFO, a
folder). An archive that leaves the machine must hold only regular files outside system
folders that probe as video, audio or images; everything else becomes an offline clip and
a note. Two media files that share a base name (``a/take.mp4``, ``b/take.mp4``) are packed
under distinct names (OTIO's bundler refuses duplicates). Every packed file from outside
the project folder is listed in the notes, so the user sees what leaves the machine.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import opentimelineio as otio

from .output_guard import is_system_path
from .probe import MediaProbeError, probe

__all__ = ["outside_project", "prepare_bundle", "project_folder", "unpackable_reason"]


def project_folder(project) -> Path | None:
    """The folder a project's own files live in (the bundle; a plain .otio's folder)."""
    loc = project.location
    if loc is None:
        return None
    return Path(os.path.realpath(loc.root if loc.bundle else loc.file.parent))


def outside_project(project, path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (after resolving symlinks) is outside the project folder."""
    folder = project_folder(project)
    real = Path(os.path.realpath(path))
    return folder is None or not (real == folder or folder in real.parents)


def unpackable_reason(path: Path) -> str | None:
    """Why ``path`` must not go into an archive, or None when it is a media file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return exc.strerror or str(exc)
    if is_system_path(path):
        return "it is in a system folder"
    if not stat.S_ISREG(st.st_mode):
        return "it is a folder" if stat.S_ISDIR(st.st_mode) else "it is not a regular file"
    try:
        info = probe(path)
    except MediaProbeError as exc:
        return f"it is not a media file ({exc.reason})"
    if not (info.has_video or info.has_audio):
        return "it is not a media file"
    return None


def _file_path(url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme not in ("file", ""):
        return None
    return Path(unquote(parsed.path))


def _unique_name(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{stem}-{n}{dot}{ext}"
        n += 1
    taken.add(candidate)
    return candidate


def prepare_bundle(project, timeline: otio.schema.Timeline, staging: Path) -> list[str]:
    """Make ``timeline`` (a portable copy with absolute URLs) safe to bundle: unpackable
    media become offline clips; each packable file gets a uniquely named link in
    ``staging`` that the clip now points at. Returns the notes for the user."""
    notes: list[str] = []
    staged: dict[Path, Path] = {}
    taken: set[str] = set()
    outside: list[str] = []
    for clip in timeline.find_clips():
        ref = clip.media_reference
        url = getattr(ref, "target_url", None)
        if not isinstance(ref, otio.schema.ExternalReference) or not url:
            continue
        path = _file_path(url)
        reason = "it is not a local file" if path is None else unpackable_reason(path)
        if reason is not None:
            shown = path if path is not None else url
            notes.append(f"Left out '{shown}' (clip '{clip.name}'): {reason}.")
            clip.media_reference = otio.schema.MissingReference(
                name=ref.name, metadata={**ref.metadata, "missing_reference_because": reason})
            continue
        real = Path(os.path.realpath(path))
        if real not in staged:
            link = staging / _unique_name(real.name, taken)
            os.symlink(real, link)  # the bundler reads through it; the name is distinct
            staged[real] = link
            if outside_project(project, real):
                outside.append(str(real))
        ref.target_url = "file://" + quote(str(staged[real]))
    if outside:
        notes.append(f"Packed {len(outside)} file(s) from outside the project folder: "
                     + ", ".join(sorted(outside)))
    return notes
