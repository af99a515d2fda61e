"""Scenes and tracks managed as edits, sync lock, and the clip limit as a warning (issue 12)."""

from __future__ import annotations

import pytest

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.errors import ClipLimitError, InvalidEditError

from doc_factory import RATE, make_doc, media_clip, spans


def json_of(project):
    return project.collection.to_json_string()


def with_audio(doc, track_name="Dialogue", *names):
    """Put audio clips (7 s each) end to end on an audio track of the doc's scene."""
    project, stack, scene = doc
    track = next(t for t in scene.tracks if t.name == track_name)
    for name in names:
        stack.push(C.AppendClip(track, media_clip(name, audio=True)))
    stack._done.clear()
    return track


# --- the clip limit ------------------------------------------------------------------------

def test_manual_edits_past_the_clip_limit_warn_instead_of_refusing():
    project, stack, scene = make_doc(10)
    v = scene.tracks[0]
    for i in range(4):  # a user splitting one clip four times
        cmd = stack.push(C.Split(v, 20 + i * 5))
        assert any("over its limit of 10" in n for n in cmd.notices)
    assert sum(isinstance(i, C.Clip) for i in v) == 14
    project.enforce_clip_limit = True  # the setting: refuse
    with pytest.raises(ClipLimitError):
        stack.push(C.Split(v, 2))


def test_commands_of_scene_assembly_and_generation_still_refuse():
    project, stack, scene = make_doc(10)
    before = json_of(project)
    cmd = C.AppendClip(scene.tracks[0], media_clip("K", 1.0))
    cmd.enforce_clip_limit = True
    with pytest.raises(ClipLimitError, match="at most 10"):
        stack.push(cmd)
    macro = C.Macro("Assemble", [cmd])
    assert macro.enforce_clip_limit
    assert json_of(project) == before


# --- scenes --------------------------------------------------------------------------------

def test_add_rename_duplicate_reorder_and_delete_scenes_undo():
    project, stack, scene = make_doc(3)
    before = json_of(project)
    add = stack.push(C.AddScene.like(project, scene, "Second"))
    assert [s.name for s in project.scenes] == ["S", "Second"]
    assert S.scene_rate(add.scene) == RATE and S.scene_size(add.scene) == (320, 180)
    stack.push(C.RenameItem(add.scene, "Two"))
    dup = stack.push(C.DuplicateScene(scene))
    assert [s.name for s in project.scenes] == ["S", "S copy", "Two"]
    copy = dup.scene
    assert spans(copy.tracks[0]) == spans(scene.tracks[0])
    assert S.get(copy, "id") != S.get(scene, "id")
    assert S.get(copy.tracks[0][0], "id") != S.get(scene.tracks[0][0], "id")
    stack.push(C.MoveScene(add.scene, 0))
    assert [s.name for s in project.scenes] == ["Two", "S", "S copy"]
    stack.push(C.RemoveScene(scene))
    assert [s.name for s in project.scenes] == ["Two", "S copy"]
    while stack.can_undo():
        stack.undo()
    assert json_of(project) == before


def test_scene_edits_refuse_clearly():
    project, stack, scene = make_doc(1)
    with pytest.raises(InvalidEditError, match="at least one scene"):
        stack.push(C.RemoveScene(scene))
    with pytest.raises(InvalidEditError, match="already a scene"):
        stack.push(C.AddScene("S"))
    with pytest.raises(InvalidEditError, match="needs a name"):
        stack.push(C.AddScene("  "))


def test_move_and_copy_selected_clips_to_a_new_scene():
    doc = make_doc(3)
    project, stack, scene = doc
    dialogue = with_audio(doc, "Dialogue", "d1", "d2")
    v = scene.tracks[0]
    b, d2 = v[1], dialogue[1]
    before = json_of(project)
    cmd = stack.push(C.ClipsToNewScene([b, d2], "Middle"))
    new = cmd.scene
    assert [s.name for s in project.scenes] == ["S", "Middle"]
    assert [t.name for t in new.tracks] == [t.name for t in scene.tracks]
    assert spans(new.tracks[0]) == [("Clip", "B", 0, 168)]
    assert spans(new.tracks[1]) == [("Clip", "d2", 0, 168)]
    assert spans(v) == [("Clip", "A", 0, 168), ("Gap", "", 168, 336), ("Clip", "C", 336, 504)]
    stack.undo()
    assert json_of(project) == before
    copied = stack.push(C.ClipsToNewScene([v[2]], copy=True))
    assert copied.scene.name == "S part"
    assert spans(copied.scene.tracks[0]) == [("Clip", "C", 0, 168)]
    assert len([c for c in v if isinstance(c, C.Clip)]) == 3


# --- tracks --------------------------------------------------------------------------------

def test_add_rename_reorder_and_remove_tracks():
    project, stack, scene = make_doc(2)
    before = json_of(project)
    v2 = stack.push(C.AddTrack(scene, "video")).track
    sfx = stack.push(C.AddTrack(scene, "audio", "Footsteps", role="sfx")).track
    assert (v2.name, S.track_role(sfx).value) == ("V2", "sfx")
    stack.push(C.RenameItem(v2, "Overlay"))
    stack.push(C.MoveTrack(sfx, 1))
    assert [t.name for t in scene.tracks] == ["V1", "Footsteps", "Dialogue", "Music",
                                              "Overlay"]
    stack.push(C.RemoveTrack(sfx))
    assert "Footsteps" not in [t.name for t in scene.tracks]
    with pytest.raises(InvalidEditError):
        stack.push(C.AddTrack(scene, "audio", role="video"))
    while stack.can_undo():
        stack.undo()
    assert json_of(project) == before


# --- sync lock -----------------------------------------------------------------------------

def test_audio_tracks_are_sync_locked_by_default_and_it_toggles():
    project, stack, scene = make_doc(1)
    v, dialogue, music = scene.tracks[0], scene.tracks[1], scene.tracks[2]
    assert not S.sync_locked(v, scene)
    assert S.sync_locked(dialogue, scene) and S.sync_locked(music, scene)
    stack.push(C.SetTrackFlags(music, sync_lock=False))
    assert not S.sync_locked(music, scene)
    stack.undo()
    assert S.sync_locked(music, scene)


def test_ripple_delete_keeps_locked_tracks_in_sync():
    doc = make_doc(3)
    project, stack, scene = doc
    dialogue = with_audio(doc, "Dialogue", "d1", "d2", "d3")
    music = with_audio(doc, "Music", "m1")  # 7 s under the first clip only
    stack.push(C.SetTrackFlags(music, sync_lock=False))
    v = scene.tracks[0]
    stack.push(C.RippleDelete(v[1]))  # B: frames 168-336
    assert spans(v) == [("Clip", "A", 0, 168), ("Clip", "C", 168, 336)]
    assert spans(dialogue) == [("Clip", "d1", 0, 168), ("Clip", "d3", 168, 336)]
    assert spans(music) == [("Clip", "m1", 0, 168)]  # unlocked: untouched
    stack.undo()
    assert [n for _, n, _, _ in spans(dialogue)] == ["d1", "d2", "d3"]


def test_insert_and_ripple_trim_open_the_same_gap_on_locked_tracks():
    doc = make_doc(2)
    project, stack, scene = doc
    dialogue = with_audio(doc, "Dialogue", "d1", "d2")
    v = scene.tracks[0]
    stack.push(C.InsertClip(v, media_clip("X", 2.0), 168))
    assert spans(dialogue) == [("Clip", "d1", 0, 168), ("Gap", "", 168, 216),
                               ("Clip", "d2", 216, 384)]
    stack.undo()
    stack.push(C.Trim(v[0], "out", -24, ripple=True))  # A ends 1 s earlier
    assert spans(v) == [("Clip", "A", 0, 144), ("Clip", "B", 144, 312)]
    assert spans(dialogue)[-1] == ("Clip", "d2", 144, 312)
    cut = spans(dialogue)[0]
    assert cut == ("Clip", "d1", 0, 144)  # the locked track lost the same second


def test_transition_room_making_moves_locked_tracks_too():
    doc = make_doc(2, seconds=7.0)  # clips use all their media: no handles
    project, stack, scene = doc
    dialogue = with_audio(doc, "Dialogue", "d1", "d2")
    v = scene.tracks[0]
    cmd = stack.push(C.AddTransition(v[0], "dissolve", 1.0))
    assert any("Made room" in n for n in cmd.notices)
    b_start = [s for s in spans(v) if s[1] == "B"][0][2]
    d2_start = [s for s in spans(dialogue) if s[1] == "d2"][0][2]
    # A lost 12 frames at its end and B 12 at its start; d1/d2 lost the same frames
    assert b_start == d2_start == 168 - 12
    assert spans(dialogue)[-1][3] == spans(v)[-1][3] == 336 - 24
    stack.undo()
    assert spans(dialogue)[1][2] == 168


def test_locked_tracks_skip_sync_and_an_edit_on_audio_leaves_video_alone():
    doc = make_doc(2)
    project, stack, scene = doc
    dialogue = with_audio(doc, "Dialogue", "d1", "d2")
    v = scene.tracks[0]
    stack.push(C.RippleDelete(dialogue[0]))
    assert spans(v) == [("Clip", "A", 0, 168), ("Clip", "B", 168, 336)]
    stack.push(C.SetTrackFlags(dialogue, locked=True))
    stack.push(C.RippleDelete(v[0]))  # a locked track is not moved (nor refused)
    assert spans(dialogue) == [("Clip", "d2", 0, 168)]


def test_ripples_over_gaps_of_locked_tracks_resize_the_gap():
    project, stack, scene = make_doc(3)
    v, dialogue = scene.tracks[0], scene.tracks[1]
    stack.push(C.OverwriteClip(dialogue, media_clip("d1", 2.0, audio=True), 24))  # 24-72
    stack.push(C.OverwriteClip(dialogue, media_clip("d2", 2.0, audio=True), 400))  # 400-448
    stack.push(C.InsertClip(v, media_clip("X", 1.0), 168))  # inside the gap 72-400
    assert spans(dialogue) == [("Gap", "", 0, 24), ("Clip", "d1", 24, 72),
                               ("Gap", "", 72, 424), ("Clip", "d2", 424, 472)]
    stack.push(C.RippleDelete(v[0]))  # A: 0-168, over d1 and part of the gap: cut
    assert spans(dialogue) == [("Gap", "", 0, 256), ("Clip", "d2", 256, 304)]  # d1 cut out
    stack.undo()
    stack.push(C.Trim(v[1], "out", -10, ripple=True))  # X ends at 182 instead of 192
    assert spans(dialogue)[2] == ("Gap", "", 72, 414)
    assert spans(dialogue)[3] == ("Clip", "d2", 414, 462)
    stack.undo()
    stack.undo()
    assert spans(dialogue)[2] == ("Gap", "", 72, 400)


def test_speed_changes_and_insert_moves_keep_locked_tracks_in_sync():
    doc = make_doc(3)
    project, stack, scene = doc
    dialogue = with_audio(doc, "Dialogue", "d1", "d2", "d3")
    v = scene.tracks[0]
    stack.push(C.SetSpeed(v[0], 2.0))  # A: 168 -> 84 frames, everything after moves left
    assert spans(v)[1][2] == 84
    assert spans(dialogue) == [("Clip", "d1", 0, 84), ("Clip", "d2", 84, 252),
                               ("Clip", "d3", 252, 420)]
    stack.undo()
    c = v[2]
    stack.push(C.MoveClip(c, v, 0, insert=True))  # C to the start, pushing A and B right
    assert [s[1] for s in spans(v)][:3] == ["C", "A", "B"]
    assert spans(dialogue)[0] == ("Gap", "", 0, 168)  # the same room opened under it
    assert spans(dialogue)[1] == ("Clip", "d1", 168, 336)
