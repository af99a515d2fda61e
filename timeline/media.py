"""Turning media files into clips and media-bin entries."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import opentimelineio as otio

from . import schema as S
from .document import Project
from .names import clean_name
from .probe import MediaInfo, probe

STILL_SECONDS = 5.0


def media_url(project: Project, path: str | Path) -> str:
    """Media inside the project folder is stored relative to the project file."""
    path = Path(path).absolute()
    if project.location is not None:
        base = project.location.file.parent
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            pass
    return str(path)


def info_dict(info: MediaInfo) -> dict[str, Any]:
    data = info.to_dict()
    data.pop("path", None)
    return data


def reference_for(project: Project, path: str | Path, info: MediaInfo, rate: float,
                  provenance: dict | None = None) -> otio.schema.ExternalReference:
    if info.is_still or info.duration is None:
        available = None
    else:
        available = math.floor(info.duration * rate + 1e-6)
    return S.new_reference(media_url(project, path), duration_frames=available, rate=rate,
                           info=info_dict(info), provenance=provenance)


def clip_for_media(project: Project, path: str | Path, scene: otio.schema.Timeline, *,
                   audio: bool | None = None, seconds: float | None = None,
                   start_seconds: float = 0.0, name: str | None = None,
                   info: MediaInfo | None = None,
                   provenance: dict | None = None) -> otio.schema.Clip:
    """A new clip for ``path`` at the scene's rate, covering all of the media by default."""
    info = info or probe(path)
    rate = S.scene_rate(scene)
    ref = reference_for(project, path, info, rate, provenance)
    audio = (not info.has_video) if audio is None else audio
    start = S.seconds_to_frames(start_seconds, rate)
    if ref.available_range is None:
        duration = S.seconds_to_frames(seconds or STILL_SECONDS, rate)
    else:
        left = int(S.frames_exact(ref.available_range.duration, rate)) - start
        duration = left if seconds is None else min(left, S.seconds_to_frames(seconds, rate))
    return S.new_clip(clean_name(name or Path(path).stem), ref, start=start,
                      duration=max(1, duration), rate=rate, audio=audio)


def bin_entries(project: Project) -> list[dict[str, Any]]:
    return list(S.get(project.collection, "bin", []) or [])


def bin_entry(project: Project, path: str | Path, info: MediaInfo) -> dict[str, Any]:
    return {"url": media_url(project, path), "name": clean_name(Path(path).name, "media"),
            "media": info_dict(info),
            "added": os.path.getmtime(path)}
