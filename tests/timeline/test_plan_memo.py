"""The preview's memoized render plan (``render.plan_memo``) equals a fresh ``build_plan``
after every edit, refusal, undo and redo of random edit sequences (the property test's
edits plus renames, effects, track flags, relinks and take switches), and offline media
that comes back is seen."""

from __future__ import annotations

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_undo_property import OPS, make_command

from aladdin_studio.render.plan import AudioClipPlan, PlanMemo, build_plan
from aladdin_studio.render.plan_memo import make, moved
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.errors import EditError

from doc_factory import make_doc

MORE = ("rename", "effects", "mute", "solo", "relink", "active_take", "title")


def _resolve(url: str):
    return None  # every doc_factory media file is offline; the memo must still agree


def _extra_command(scene, op, pick, amount, flag, serial):
    clips = [c for t in scene.tracks for c in t if isinstance(c, otio.schema.Clip)]
    tracks = list(scene.tracks)
    track = tracks[pick % len(tracks)]
    clip = clips[pick % len(clips)] if clips else None
    if op in ("mute", "solo"):
        return C.SetTrackFlags(track, **{"muted" if op == "mute" else "solo": flag})
    if op == "title":
        from aladdin_studio.timeline.title_commands import AddTitle
        from aladdin_studio.timeline.titles import new_title_clip

        return AddTitle(scene, abs(amount) % 200, new_title_clip(24, text=f"T{serial}"), None)
    if clip is None:
        return None
    if op == "rename":
        return C.RenameItem(clip, f"r{serial}")
    if op == "effects":
        return C.SetClipEffects(clip, grade=("warm", "cool", "none")[amount % 3],
                                opacity=(0.5, 1.0)[pick % 2])
    if op == "relink":
        url = getattr(clip.media_reference, "target_url", None)
        return C.Relink(url, f"/media/relinked{serial}.mp4", None) if url else None
    if op == "active_take":
        keys = sorted(clip.media_references())
        return C.SetActiveTake(clip, keys[amount % len(keys)]) if len(keys) > 1 else None
    return None


step = st.tuples(st.sampled_from(OPS + MORE), st.integers(0, 10_000), st.integers(-60, 400),
                 st.booleans())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=50, max_size=50),
       st.lists(st.integers(0, 3), min_size=50, max_size=50))
def test_memoized_plans_equal_fresh_ones_through_edits_undo_and_redo(steps, undos):
    project, stack, scene = make_doc(3, max_clips=40)
    C.AddTrack(scene, "video").redo(project)
    memo = PlanMemo()

    def check() -> None:
        fresh = build_plan(scene, _resolve)
        kept = build_plan(scene, _resolve, memo)
        assert kept == fresh
        assert [t.starts for t in kept.video] == [t.starts for t in fresh.video]

    check()
    for serial, ((op, pick, amount, flag), undo) in enumerate(zip(steps, undos, strict=True)):
        make = _extra_command if op in MORE else make_command
        command = make(scene, op, pick, amount, flag, serial)
        if command is not None:
            try:
                stack.push(command)
            except (EditError, ValueError):
                pass
        check()
        for _ in range(undo % 3):
            stack.undo()
            check()
        if undo == 3:
            stack.redo()
            check()


def test_offline_media_that_comes_back_is_seen(tmp_path):
    project, stack, scene = make_doc(0, max_clips=40)
    video = scene.tracks[0]
    for i in range(3):
        ref = S.new_reference(str(tmp_path / f"m{i}.mp4"), duration_frames=48, rate=24,
                              info={"has_video": True, "has_audio": True})
        stack.push(C.AppendClip(video, S.new_clip(f"c{i}", ref, start=0, duration=24,
                                                  rate=24)))
    memo = PlanMemo()
    first = build_plan(scene, project.resolve_media, memo)
    assert [c.path for c in first.clips()] == [None, None, None]
    (tmp_path / "m1.mp4").write_bytes(b"not really a video")  # the file appears
    again = build_plan(scene, project.resolve_media, memo)
    assert again == build_plan(scene, project.resolve_media)
    assert [c.path for c in again.clips()] == [None, str(tmp_path / "m1.mp4"), None]
    assert [a.path for a in again.audio] == [None, str(tmp_path / "m1.mp4"), None]


def test_an_unchanged_track_is_reused_whole_and_a_changed_clip_is_planned_again():
    project, stack, scene = make_doc(4, max_clips=40)
    add = C.AddTrack(scene, "video")
    stack.push(add)
    stack.push(C.AppendClip(add.track, scene.tracks[0][0].deepcopy()))
    memo = PlanMemo()
    before = build_plan(scene, _resolve, memo)
    stack.push(C.SetClipAudio(scene.tracks[0][1], volume=0.5))
    after = build_plan(scene, _resolve, memo)
    v1_before, v2_before = before.video
    v1_after, v2_after = after.video
    assert v2_after is v2_before  # the other track: the same plan object
    assert v1_after != v1_before
    kept = [a.clip is b.clip
            for a, b in zip(v1_before.segments, v1_after.segments, strict=True)]
    assert kept == [True, False, True, True]  # only the changed clip's plan is new
    assert after == build_plan(scene, _resolve)


def test_make_and_moved_build_equal_plans_and_make_wants_every_field():
    fields = dict(name="a", clip_id="x", path=None, url="u", role="clip", start=1, length=2,
                  source_start=0.0, speed=1.0, volume=1.0, pan=0.0, fade_in=0.0, fade_out=0.0)
    made = make(AudioClipPlan, **fields)
    assert made == AudioClipPlan(**fields) and hash(made) == hash(AudioClipPlan(**fields))
    shifted = moved(made, start=5)
    assert shifted == AudioClipPlan(**{**fields, "start": 5}) and made.start == 1
    del fields["pan"]
    with pytest.raises(TypeError, match="every field"):
        make(AudioClipPlan, **fields)
