"""The media service: import with dedupe into the bin, folder scan, relink, remove, usage."""

from __future__ import annotations

import shutil

import pytest

from aladdin_studio.services.media import (
    MediaNotInBin,
    clips_using,
    import_command,
    plan_import,
    relink_command,
    remove_command,
    scan_paths,
)
from aladdin_studio.services.session import ProjectSession
from aladdin_studio.timeline.media import bin_entries
from aladdin_studio.timeline.probe import MediaProbeError


def test_scan_finds_media_recursively_without_hidden_or_skipped(media):
    found = scan_paths([media["folder"], media["video"], media["video"]])
    assert found == [media["folder_still"], media["music"], media["video"]]
    assert scan_paths([media["folder"]], skip=[media["folder"] / "sub"]) == [
        media["folder_still"]]


def test_import_dedupes_against_the_bin_and_reports_failures(sample_project, media):
    with ProjectSession.open(sample_project, writer="test") as session:
        project = session.project
        before = len(bin_entries(project))
        plan = plan_import(project, [media["video"], media["broken"], media["still"]])
        assert [e["name"] for e in plan.added] == ["clip.mp4", "card.png"]
        assert [p for p, _ in plan.failed] == [media["broken"]]
        assert "broken.mp4" in plan.failure_text() and plan.failure_text().startswith(
            "Skipped 1 file that could not be read")
        session.push(import_command(project, plan))
        assert len(bin_entries(project)) == before + 2

        again = plan_import(project, [media["video"]])
        assert again.added == [] and again.duplicates == 1 and len(again.readable) == 1
        assert import_command(project, again) is None  # nothing to change
        scene = project.scenes[0]
        track = scene.tracks[0]
        clips = len(track.find_clips())
        session.push(import_command(project, again, append_to=track, scene=scene))
        assert len(track.find_clips()) == clips + 1  # a duplicate still goes on the track
        assert len(bin_entries(project)) == before + 2
        session.undo()
        assert len(track.find_clips()) == clips


def test_probed_outcomes_are_used_instead_of_probing_again(sample_project, media):
    with ProjectSession.open(sample_project, writer="test") as session:
        fake = MediaProbeError(media["video"], "decided elsewhere")
        plan = plan_import(session.project, [media["video"]], {str(media["video"]): fake})
        assert plan.failed == [(media["video"], fake)] and plan.added == []


def test_relink_moves_every_clip_in_one_step_and_remove_keeps_clips(sample_project, tmp_path):
    with ProjectSession.open(sample_project, writer="test") as session:
        project = session.project
        url = next(e["url"] for e in bin_entries(project) if e["name"] == "pattern-1.mp4")
        users = clips_using(project, url)
        assert users
        moved = tmp_path / "moved.mp4"
        shutil.copy(project.resolve_media(url), moved)
        session.push(relink_command(project, url, moved))
        assert not clips_using(project, url)
        assert len(clips_using(project, str(moved))) == len(users)
        session.undo()
        assert len(clips_using(project, url)) == len(users)
        with pytest.raises(MediaNotInBin):
            relink_command(project, "nowhere.mp4", moved)
        with pytest.raises(MediaProbeError):
            relink_command(project, url, tmp_path / "missing.mp4")

        assert remove_command(project, ["not-there.mp4"]) is None
        session.push(remove_command(project, [url]))
        assert url not in [e["url"] for e in bin_entries(project)]
        assert clips_using(project, url)  # the clips stay
