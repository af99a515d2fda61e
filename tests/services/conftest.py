"""Fixtures for the service tests: small media files made once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from aladdin_studio import sample_media as M


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("service-media")
    folder = root / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    (folder / "notes.txt").write_text("not media")
    broken = root / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 100)
    return {
        "video": M.make_pattern_video(root / "clip.mp4", seconds=1.0, size=(160, 90), fps=24),
        "still": M.make_still(root / "card.png", size=(160, 90)),
        "music": M.make_music_bed(folder / "sub" / "bed.m4a", seconds=1.0),
        "folder_still": M.make_still(folder / "folder-card.png", size=(160, 90)),
        "hidden": M.make_still(folder / ".hidden" / "h.png", size=(16, 16)),
        "folder": folder,
        "broken": broken,
    }
