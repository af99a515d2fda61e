"""Each edit command: what it does, what it refuses, and that undo restores."""

from __future__ import annotations

import pytest

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.errors import (
    ClipLimitError,
    EditError,
    InvalidEditError,
    LockedTrackError,
    NoRoomError,
    TransitionTooLongError,
    TrimRangeError,
)

from doc_factory import RATE, make_doc, media_clip, spans


def json_of(project):
    return project.collection.to_json_string()


@pytest.fixture
def doc():
    return make_doc(3)


def test_append_lays_clips_end_to_end(doc):
    _, _, scene = doc
    assert spans(scene.tracks[0]) == [("Clip", "A", 0, 168), ("Clip", "B", 168, 336),
                                      ("Clip", "C", 336, 504)]


def test_insert_splits_the_clip_under_it_and_pushes_right(doc):
    project, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.InsertClip(v, media_clip("X", 2.0), 100))
    assert spans(v) == [("Clip", "A", 0, 100), ("Clip", "X", 100, 148), ("Clip", "A", 148, 216),
                        ("Clip", "B", 216, 384), ("Clip", "C", 384, 552)]
    right = v[2]
    assert S.frames(right.source_range.start_time, RATE) == 100  # continues the media
    assert S.clip_id(right) != S.clip_id(v[0])


def test_overwrite_replaces_what_is_under_it(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.OverwriteClip(v, media_clip("X", 2.0), 150))
    assert spans(v) == [("Clip", "A", 0, 150), ("Clip", "X", 150, 198), ("Clip", "B", 198, 336),
                        ("Clip", "C", 336, 504)]
    assert S.frames(v[2].source_range.start_time, RATE) == 30


def test_overwrite_past_the_end_pads_with_a_gap(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.OverwriteClip(v, media_clip("X", 1.0), 600))
    assert spans(v)[-2:] == [("Gap", "", 504, 600), ("Clip", "X", 600, 624)]


def test_move_within_track_leaves_gap_and_ripple_closes_it(doc):
    project, stack, scene = doc
    v = scene.tracks[0]
    a = v[0]
    stack.push(C.MoveClip(a, v, 600))
    assert spans(v) == [("Gap", "", 0, 168), ("Clip", "B", 168, 336), ("Clip", "C", 336, 504),
                        ("Gap", "", 504, 600), ("Clip", "A", 600, 768)]
    stack.undo()
    stack.push(C.MoveClip(a, v, 336, ripple=True, insert=True))
    assert [s[1] for s in spans(v)] == ["B", "C", "A"]


def test_move_across_tracks(doc):
    _, stack, scene = doc
    v1 = scene.tracks[0]
    stack.push(C.AddTrack(scene, "video"))
    v2 = scene.tracks[-1]
    b = v1[1]
    stack.push(C.MoveClip(b, v2, 48))
    assert spans(v2) == [("Gap", "", 0, 48), ("Clip", "B", 48, 216)]
    assert spans(v1)[1] == ("Gap", "", 168, 336)


def test_move_refuses_audio_clip_on_video_track(doc):
    _, stack, scene = doc
    audio = scene.tracks[1]
    stack.push(C.AppendClip(audio, media_clip("talk", 2.0, audio=True)))
    with pytest.raises(InvalidEditError):
        stack.push(C.MoveClip(audio[0], scene.tracks[0], 0))


def test_trim_in_without_ripple_opens_a_gap(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.Trim(v[1], "in", 24))
    assert spans(v)[1:3] == [("Gap", "", 168, 192), ("Clip", "B", 192, 336)]


def test_ripple_trim_shifts_the_rest(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.Trim(v[0], "out", -24, ripple=True))
    assert spans(v) == [("Clip", "A", 0, 144), ("Clip", "B", 144, 312), ("Clip", "C", 312, 480)]


def test_trim_out_into_neighbour_without_ripple_is_refused(doc):
    project, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.Trim(v[0], "out", -24, ripple=True))
    before = json_of(project)
    with pytest.raises(NoRoomError, match="No room"):
        stack.push(C.Trim(v[0], "out", 10))
    assert json_of(project) == before


def test_trim_beyond_media_is_refused_and_changes_nothing(doc):
    project, stack, scene = doc
    before = json_of(project)
    with pytest.raises(TrimRangeError, match="media runs from"):
        stack.push(C.Trim(scene.tracks[0][2], "out", 5))
    with pytest.raises(TrimRangeError):
        stack.push(C.Trim(scene.tracks[0][0], "in", -5, ripple=True))
    assert json_of(project) == before
    assert len(stack) == 0


def test_consecutive_trims_merge_into_one_undo_step(doc):
    project, stack, scene = doc
    before = json_of(project)
    clip = scene.tracks[0][0]
    for _ in range(5):
        stack.push(C.Trim(clip, "out", -2, ripple=True))
    assert len(stack) == 1
    assert S.frames(clip.source_range.duration, RATE) == 158
    stack.undo()
    assert json_of(project) == before


def test_split_and_refusal_on_a_cut(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.Split(v, 50))
    assert spans(v)[:2] == [("Clip", "A", 0, 50), ("Clip", "A", 50, 168)]
    with pytest.raises(InvalidEditError, match="no clip to split"):
        stack.push(C.Split(v, 168))


def test_ripple_delete_and_lift(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.Lift(v[1]))
    assert spans(v)[1] == ("Gap", "", 168, 336)
    stack.undo()
    stack.push(C.RippleDelete(v[1]))
    assert spans(v) == [("Clip", "A", 0, 168), ("Clip", "C", 168, 336)]


def test_slip_changes_source_only(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.Trim(v[0], "out", -48, ripple=True))
    stack.push(C.Slip(v[0], 24))
    assert S.frames(v[0].source_range.start_time, RATE) == 24
    assert spans(v)[0] == ("Clip", "A", 0, 120)
    with pytest.raises(TrimRangeError):
        stack.push(C.Slip(v[0], 48))  # 24+24 more would need media past 7 s


def test_roll_moves_the_cut(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.Trim(v[0], "out", -24, ripple=True))
    stack.push(C.Trim(v[1], "in", 24, ripple=True))
    stack.push(C.Roll(v[0], 12))
    assert spans(v)[:2] == [("Clip", "A", 0, 156), ("Clip", "B", 156, 288)]
    assert S.frames(v[1].source_range.start_time, RATE) == 36


def test_speed_changes_duration_and_keeps_media(doc):
    project, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.SetSpeed(v[0], 2.0))
    assert spans(v)[0] == ("Clip", "A", 0, 84)
    assert S.clip_speed(v[0]) == 2.0
    stack.push(C.SetSpeed(v[0], 1.0))
    assert spans(v)[0] == ("Clip", "A", 0, 168)
    assert not list(v[0].effects)
    with pytest.raises(InvalidEditError):
        stack.push(C.SetSpeed(v[0], 50))


def test_dissolve_makes_room_when_clips_have_no_handles(doc):
    project, stack, scene = doc
    v = scene.tracks[0]
    cmd = stack.push(C.AddTransition(v[0], "dissolve"))
    assert "shorter" in cmd.notices[0]
    assert spans(v) == [("Clip", "A", 0, 156), ("Transition", "dissolve", 144, 168),
                        ("Clip", "B", 156, 312), ("Clip", "C", 312, 480)]
    tr = v[1]
    assert S.frames(tr.in_offset, RATE) == 12 and S.frames(tr.out_offset, RATE) == 12
    assert S.frames(v[2].source_range.start_time, RATE) == 12  # the head handle


def test_dissolve_uses_existing_handles_without_trimming():
    project, stack, scene = make_doc(0)
    v = scene.tracks[0]
    stack.push(C.AppendClip(v, media_clip("A", 5.0, media_seconds=7.0)))
    stack.push(C.AppendClip(v, media_clip("B", 7.0, start=24)))
    cmd = stack.push(C.AddTransition(v[0], "dissolve"))
    assert cmd.notices == []
    assert spans(v)[0] == ("Clip", "A", 0, 120)


def test_fade_needs_no_handles(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    cmd = stack.push(C.AddTransition(v[0], "fade"))
    assert cmd.notices == []
    assert spans(v)[1] == ("Transition", "fade", 162, 174)


def test_transition_longer_than_clip_is_refused(doc):
    project, stack, scene = doc
    before = json_of(project)
    with pytest.raises(TransitionTooLongError, match="longer than clip"):
        stack.push(C.AddTransition(scene.tracks[0][0], "dissolve", 8.0))
    assert json_of(project) == before


def test_change_and_remove_transition(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.AddTransition(v[0], "wipe", direction="up", easing="ease-in"))
    tr = v[1]
    assert S.transition_direction(tr) == S.Direction.UP
    stack.push(C.ChangeTransition(tr, easing="ease-out"))
    assert S.transition_easing(tr) == S.Easing.EASE_OUT
    change = C.ChangeTransition(tr, seconds=0.5)
    stack.push(change)
    assert S.frames(change.transition.in_offset, RATE) == 6
    stack.push(C.RemoveTransition(change.transition))
    assert not any(isinstance(i, type(tr)) for i in v)


def test_removing_a_clip_drops_its_orphaned_transition(doc):
    _, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.AddTransition(v[0], "dissolve"))
    cmd = stack.push(C.Lift(v[2]))
    assert "no longer sits between two clips" in cmd.notices[0]
    assert [type(i).__name__ for i in v] == ["Clip", "Gap", "Clip"]


def test_audio_volume_and_fades(doc):
    _, stack, scene = doc
    a = scene.tracks[1]
    stack.push(C.AppendClip(a, media_clip("talk", 2.0, audio=True)))
    clip = a[0]
    for v in (0.9, 0.8, 0.7):
        stack.push(C.SetClipAudio(clip, volume=v))
    assert S.get(clip, "volume") == 0.7
    stack.undo()
    assert S.get(clip, "volume") == 1.0
    stack.push(C.SetClipAudio(clip, fade_in=0.5, fade_out=0.5))
    with pytest.raises(InvalidEditError, match="do not fit"):
        stack.push(C.SetClipAudio(clip, fade_in=1.5, fade_out=1.0))
    with pytest.raises(InvalidEditError):
        stack.push(C.SetClipAudio(clip, volume=9))


def test_effects_are_data_for_the_renderer(doc):
    _, stack, scene = doc
    clip = scene.tracks[0][0]
    stack.push(C.SetClipEffects(clip, grade="cinematic", sharpen=0.4, stabilize=True))
    fx = S.get(clip, "effects")
    assert fx["grade"] == "cinematic" and fx["sharpen"] == 0.4 and fx["stabilize"] is True
    with pytest.raises(InvalidEditError):
        stack.push(C.SetClipEffects(clip, grade="sepia"))
    with pytest.raises(InvalidEditError):
        stack.push(C.SetClipEffects(clip, sharpen=2))
    with pytest.raises(InvalidEditError, match=".cube"):
        stack.push(C.SetClipEffects(clip, grade="custom", lut="/x/look.png"))


def test_markers(doc):
    _, stack, scene = doc
    stack.push(C.AddMarker(scene, 48, "Beat"))
    stack.push(C.AddMarker(scene, 24, "Intro", color="green"))
    assert [m.name for m in scene.tracks.markers] == ["Intro", "Beat"]
    stack.push(C.RemoveMarker(scene, scene.tracks.markers[0]))
    assert [m.name for m in scene.tracks.markers] == ["Beat"]


def test_locked_track_refuses_edits_but_can_be_unlocked(doc):
    project, stack, scene = doc
    v = scene.tracks[0]
    stack.push(C.SetTrackFlags(v, locked=True))
    before = json_of(project)
    for cmd in (C.Lift(v[0]), C.Trim(v[0], "out", -5), C.AppendClip(v, media_clip("X", 1.0))):
        with pytest.raises(LockedTrackError, match="locked"):
            stack.push(cmd)
    assert json_of(project) == before
    stack.push(C.SetTrackFlags(v, locked=False))
    stack.push(C.Lift(v[0]))


def test_clip_limit_is_enforced_when_the_project_says_so():
    project, stack, scene = make_doc(10)
    project.enforce_clip_limit = True  # the editor's setting (default: a warning)
    before = json_of(project)
    with pytest.raises(ClipLimitError, match="at most 10"):
        stack.push(C.AppendClip(scene.tracks[0], media_clip("K", 1.0)))
    with pytest.raises(ClipLimitError):
        stack.push(C.Split(scene.tracks[0], 10))
    assert json_of(project) == before


def test_takes_switch_and_undo(doc):
    project, stack, scene = doc
    clip = scene.tracks[0][0]
    ref = S.new_reference("/media/A-v2.mp4", duration_frames=96, rate=RATE)
    cmd = stack.push(C.AddTake(clip, ref))
    assert clip.active_media_reference_key == "take2"
    assert "shorter" in cmd.notices[0]
    assert spans(scene.tracks[0])[0] == ("Clip", "A", 0, 96)
    stack.push(C.SetActiveTake(clip, "take1"))
    assert clip.active_media_reference_key == "take1"
    stack.undo()
    assert clip.active_media_reference_key == "take2"
    with pytest.raises(InvalidEditError):
        stack.push(C.SetActiveTake(clip, "take9"))


def test_macro_is_all_or_nothing(doc):
    project, stack, scene = doc
    v = scene.tracks[0]
    before = json_of(project)
    with pytest.raises(EditError):
        stack.push(C.Macro("Two", [C.Lift(v[0]), C.Trim(v[2], "out", 50)]))
    assert json_of(project) == before


def test_change_signal_names_touched_tracks(doc, qtbot):
    project, stack, scene = doc
    seen = []
    project.changed.connect(seen.append)
    stack.push(C.Lift(scene.tracks[0][0]))
    stack.undo()
    assert [c.kind for c in seen] == ["edit", "undo"]
    assert seen[0].tracks == [scene.tracks[0]] and seen[0].scenes == [scene]


def test_qt_undo_adapter_shows_command_names(doc, qtbot):
    from aladdin_studio.ui.undo_adapter import QtUndoAdapter

    project, _, scene = doc
    adapter = QtUndoAdapter(project)
    before = json_of(project)
    adapter.push(C.Trim(scene.tracks[0][0], "out", -3, ripple=True))
    adapter.push(C.Trim(scene.tracks[0][0], "out", -3, ripple=True))
    with pytest.raises(EditError):
        adapter.push(C.Trim(scene.tracks[0][2], "out", 100))
    assert adapter.stack.count() == 1
    assert adapter.stack.undoText() == "Ripple Trim Out"
    adapter.stack.undo()
    assert json_of(project) == before
    adapter.stack.redo()
    assert S.frames(scene.tracks[0][0].source_range.duration, RATE) == 162
