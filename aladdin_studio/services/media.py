"""Media of a project for any front end: import (with dedupe into the bin), relink, remove,
folder scan, and which clips use a media file. Functions return the timeline command to
push (one undo step); the caller pushes it on its undo stack and reports the failures."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opentimelineio as otio

from aladdin_studio.errors import ErrorKind
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.document import Project
from aladdin_studio.timeline.errors import TimelineError
from aladdin_studio.timeline.media import (
    bin_entries,
    bin_entry,
    clip_for_media,
    info_dict,
    reference_for,
)
from aladdin_studio.timeline.probe import MediaInfo, MediaProbeError, probe

__all__ = ["AUDIO_EXTENSIONS", "IMAGE_EXTENSIONS", "MEDIA_EXTENSIONS", "VIDEO_EXTENSIONS",
           "ImportPlan", "MediaNotInBin", "clips_using", "import_command", "media_files_in",
           "plan_import", "relink_command", "remove_command", "scan_paths"]

VIDEO_EXTENSIONS = frozenset(
    "mp4 m4v mov mkv webm avi mxf mts m2ts ts mpg mpeg wmv flv 3gp ogv".split())
AUDIO_EXTENSIONS = frozenset("wav mp3 m4a aac flac ogg oga opus aif aiff wma caf".split())
IMAGE_EXTENSIONS = frozenset("png jpg jpeg bmp tif tiff webp gif exr dpx tga".split())
MEDIA_EXTENSIONS = VIDEO_EXTENSIONS | AUDIO_EXTENSIONS | IMAGE_EXTENSIONS


class MediaNotInBin(TimelineError):
    kind = ErrorKind.NOT_FOUND


def media_files_in(folder: str | Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Media files (known extensions) under ``folder``, recursively, sorted; hidden
    entries and the folders in ``skip`` (e.g. the project's cache) are left out."""
    skipped = {os.path.abspath(p) for p in skip}
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and os.path.abspath(os.path.join(root, d)) not in skipped)
        for name in sorted(files):
            if not name.startswith(".") and name.rsplit(".", 1)[-1].lower() in MEDIA_EXTENSIONS:
                found.append(Path(root) / name)
    return found


def scan_paths(paths: Iterable[str | Path], skip: Iterable[Path] = ()) -> list[Path]:
    """Files and folders (their media files, recursively) → unique absolute file paths."""
    skip = list(skip)
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(media_files_in(path, skip) if path.is_dir() else [path])
    return list(dict.fromkeys(p.absolute() for p in files))


def clips_using(project: Project, url: str) -> list[tuple[Any, Any]]:
    """``(scene, clip)`` for every clip with a take pointing at ``url``."""
    found = []
    for scene in project.scenes:
        for clip in scene.find_clips():
            if any(getattr(ref, "target_url", None) == url
                   for ref in clip.media_references().values()):
                found.append((scene, clip))
    return found


@dataclass
class ImportPlan:
    """What importing some files does to the bin (nothing is changed until the command
    from :func:`import_command` is pushed)."""

    entries: list[dict[str, Any]]  # the whole bin after the import
    added: list[dict[str, Any]] = field(default_factory=list)  # new bin entries
    readable: list[tuple[Path, MediaInfo]] = field(default_factory=list)  # incl. duplicates
    failed: list[tuple[Path, Exception]] = field(default_factory=list)  # probe / OS errors
    duplicates: int = 0

    @staticmethod
    def reason(exc: Exception) -> str:
        if isinstance(exc, MediaProbeError):
            return exc.reason
        return getattr(exc, "strerror", None) or str(exc)

    def failure_text(self) -> str:
        """``Skipped 2 files that could not be read: a.mp4 (reason); ...`` ("" if none)."""
        if not self.failed:
            return ""
        n = len(self.failed)
        names = "; ".join(f"{p.name} ({self.reason(e)})" for p, e in self.failed)
        return f"Skipped {n} file{'s' if n != 1 else ''} that could not be read: {names}."


def plan_import(project: Project, paths: Iterable[str | Path],
                probed: Mapping[str, MediaInfo | Exception] | None = None) -> ImportPlan:
    """Probe ``paths`` (or take the outcomes already ``probed``, keyed by ``str(path)``) and
    dedupe them against the bin by their project URL."""
    entries = bin_entries(project)
    known = {e.get("url") for e in entries}
    plan = ImportPlan(entries=entries)
    for path in map(Path, paths):
        outcome: MediaInfo | Exception
        if probed is not None and str(path) in probed:
            outcome = probed[str(path)]
        else:
            try:
                outcome = probe(path)
            except MediaProbeError as exc:
                outcome = exc
        if isinstance(outcome, Exception):
            plan.failed.append((path, outcome))
            continue
        try:
            entry = bin_entry(project, path, outcome)
        except OSError as exc:
            plan.failed.append((path, exc))
            continue
        plan.readable.append((path, outcome))
        if entry["url"] in known:
            plan.duplicates += 1
            continue
        known.add(entry["url"])
        plan.added.append(entry)
    plan.entries = entries + plan.added
    return plan


def import_command(project: Project, plan: ImportPlan, *,
                   append_to: otio.schema.Track | None = None,
                   scene: otio.schema.Timeline | None = None,
                   always: bool = False) -> C.Command | None:
    """One undo step: the new bin entries, plus (``append_to``) a clip per readable file
    appended to that track of ``scene``. None when nothing changes (unless ``always``)."""
    clips = []
    if append_to is not None:
        scene = scene if scene is not None else project.scene_of(append_to)
        clips = [clip_for_media(project, path, scene, info=info, audio=S.is_audio(append_to))
                 for path, info in plan.readable]
    if not plan.added and not clips and not always:
        return None
    if clips or always:
        text = "Import Media"
    elif len(plan.added) == 1:
        text = f"Import {plan.added[0]['name']}"
    else:
        text = f"Import {len(plan.added)} Media Files"
    bin_command = C.SetProjectMeta("bin", plan.entries, text)
    if not clips and not always:
        return bin_command
    return C.Macro(text, [bin_command, *(C.AppendClip(append_to, clip) for clip in clips)])


def remove_command(project: Project, urls: Iterable[str]) -> C.Command | None:
    """Remove bin entries (files and clips are untouched); None if none of them is there."""
    gone = set(urls)
    entries = bin_entries(project)
    kept = [e for e in entries if e.get("url") not in gone]
    if not gone or len(kept) == len(entries):
        return None
    n = len(entries) - len(kept)
    return C.SetProjectMeta("bin", kept, "Remove from Bin" if n == 1
                            else f"Remove {n} Items from Bin")


def relink_command(project: Project, url: str, new_path: str | Path) -> C.Command:
    """Point the bin entry ``url`` and every clip using it at ``new_path`` (one step).
    Raises MediaProbeError (unreadable file) or MediaNotInBin."""
    info = probe(new_path)
    new_entry = bin_entry(project, new_path, info)
    entries = bin_entries(project)
    if not any(e.get("url") == url for e in entries):
        raise MediaNotInBin(f"{url!r} is not in the media bin.")
    if new_entry["url"] != url and any(e.get("url") == new_entry["url"] for e in entries):
        entries = [e for e in entries if e.get("url") != url]  # already there: merge
    else:
        entries = [new_entry if e.get("url") == url else e for e in entries]
    commands: list[C.Command] = []
    users = clips_using(project, url)
    if users and new_entry["url"] != url:
        rate = S.scene_rate(users[0][0])
        available = reference_for(project, new_path, info, rate).available_range
        commands.append(C.Relink(url, new_entry["url"], available, info_dict(info)))
    commands.append(C.SetProjectMeta("bin", entries, "Relink Media"))
    return commands[0] if len(commands) == 1 else C.Macro("Relink Media", commands)
