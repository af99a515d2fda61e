"""The describe and placement services (what ``info``, drops and generations use)."""

from __future__ import annotations

import pytest

from aladdin_studio.services.describe import describe
from aladdin_studio.services.placement import (
    PlacementError,
    clip_at,
    generation_track,
    media_command,
    target_track,
)
from aladdin_studio.services.session import ProjectSession
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.errors import InvalidEditError
from aladdin_studio.timeline.layout import track_end


def test_describe_summarises_scenes_tracks_and_clips(sample_project):
    with ProjectSession.open(sample_project) as session:
        data = describe(session.project)
    assert data["name"] == "Sample" and data["file"].endswith("project.otio")
    scene = data["scenes"][0]
    assert scene["fps"] == 24 and scene["size"] == [320, 180]
    video = scene["tracks"][0]
    assert video["kind"] == "video" and video["items"][0]["type"] == "clip"
    clip = video["items"][0]
    assert clip["start"] == 0 and clip["offline"] is False and clip["takes"]
    assert data["recovery_available"] is False


def test_media_goes_to_a_track_of_its_kind_end_to_end(sample_project, media):
    with ProjectSession.open(sample_project, writer="test") as session:
        project = session.project
        scene = project.scenes[0]
        video = [t for t in scene.tracks if not S.is_audio(t)][0]
        audio = [t for t in scene.tracks if S.is_audio(t)][0]
        assert target_track(audio, list(scene.tracks), audio=False) is video
        assert target_track(audio, list(scene.tracks), audio=True) is audio
        end = track_end(video, 24)
        before = len(video.find_clips())
        # dropped on the audio track: the video and the still go to the video track
        session.push(media_command(project, scene, [media["video"], media["still"]], end,
                                   audio))
        assert len(video.find_clips()) == before + 2
        assert track_end(video, 24) == end + 24 + 5 * 24  # 1 s video, then a 5 s still
        with pytest.raises(PlacementError, match="no media files"):
            media_command(project, scene, [], 0, None)
        with pytest.raises(PlacementError, match="broken.mp4"):
            media_command(project, scene, [media["broken"]], 0, None)


def test_a_generation_goes_to_the_named_or_first_video_track(sample_project):
    with ProjectSession.open(sample_project) as session:
        scene = session.project.scenes[0]
        first_video = next(t for t in scene.tracks if not S.is_audio(t))
        assert generation_track(scene, None) is first_video
        assert generation_track(scene, first_video.name) is first_video
        with pytest.raises(InvalidEditError, match="No track named"):
            generation_track(scene, "V9")
        assert clip_at(first_video, 1, 24) is first_video[0]
        end = track_end(first_video, 24)
        assert clip_at(first_video, end + 5, 24) is None
