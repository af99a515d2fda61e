"""Random edit sequences: undo all restores the exact bytes; redo all replays them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.errors import EditError
from aladdin_studio.timeline.layout import track_end

from doc_factory import make_doc, media_clip

OPS = ("insert", "overwrite", "append", "move", "trim", "split", "ripple_delete", "lift",
       "slip", "roll", "speed", "transition", "change_transition", "remove_transition",
       "volume", "marker", "lock", "take")

step = st.tuples(st.sampled_from(OPS), st.integers(0, 10_000), st.integers(-60, 400),
                 st.booleans())


def _clips(scene, video_only=False):
    out = []
    for track in scene.tracks:
        if video_only and S.is_audio(track):
            continue
        out += [(track, item) for item in track if isinstance(item, C.Clip)]
    return out


def make_command(scene, op, pick, amount, flag, serial):
    tracks = list(scene.tracks)
    track = tracks[pick % len(tracks)]
    audio = S.is_audio(track)
    clips = _clips(scene)
    video_clips = _clips(scene, video_only=True)
    clip_pair = clips[pick % len(clips)] if clips else (None, None)
    clip = clip_pair[1]
    transitions = [i for t in tracks for i in t if isinstance(i, C.Transition)]
    pos = abs(amount) % (track_end(track, 24) + 48)
    new = media_clip(f"N{serial}", 1 + pick % 5, audio=audio)
    if op == "insert":
        return C.InsertClip(track, new, pos)
    if op == "overwrite":
        return C.OverwriteClip(track, new, pos)
    if op == "append":
        return C.AppendClip(track, new)
    if clip is None:
        return None
    if op == "move":
        same_kind = [t for t in tracks if S.is_audio(t) == S.is_audio(clip_pair[0])]
        return C.MoveClip(clip, same_kind[amount % len(same_kind)], pos, ripple=flag,
                          insert=amount % 2 == 0)
    if op == "trim":
        return C.Trim(clip, "in" if pick % 2 else "out", amount % 97 - 48, ripple=flag)
    if op == "split":
        return C.Split(track, pos)
    if op == "ripple_delete":
        return C.RippleDelete(clip)
    if op == "lift":
        return C.Lift(clip)
    if op == "slip":
        return C.Slip(clip, amount % 49 - 24)
    if op == "roll":
        return C.Roll(clip, amount % 25 - 12)
    if op == "speed":
        return C.SetSpeed(clip, (0.5, 1.0, 1.5, 2.0)[amount % 4])
    if op == "transition" and video_clips:
        left = video_clips[pick % len(video_clips)][1]
        kind = ("fade", "dissolve", "wipe", "slide")[amount % 4]
        return C.AddTransition(left, kind, (0.25, 0.5, 1.0)[pick % 3])
    if op == "change_transition" and transitions:
        return C.ChangeTransition(transitions[pick % len(transitions)],
                                  seconds=(0.25, 0.5, 1.0)[amount % 3], easing="ease-in")
    if op == "remove_transition" and transitions:
        return C.RemoveTransition(transitions[pick % len(transitions)])
    if op == "volume":
        return C.SetClipAudio(clip, volume=(amount % 40) / 10, fade_in=(amount % 3) / 10)
    if op == "marker":
        return C.AddMarker(scene, pos, f"m{serial}")
    if op == "lock":
        return C.SetTrackFlags(track, locked=flag)
    if op == "take":
        ref = S.new_reference(f"/media/take{serial}.mp4", duration_frames=48 + pick % 200,
                              rate=24)
        return C.AddTake(clip, ref)
    return None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=200, max_size=200))
def test_undo_all_then_redo_all_is_exact(steps):
    project, stack, scene = make_doc(3, max_clips=12)
    original = project.collection.to_json_string()
    applied = 0
    for serial, (op, pick, amount, flag) in enumerate(steps):
        command = make_command(scene, op, pick, amount, flag, serial)
        if command is None:
            continue
        before = project.collection.to_json_string()
        try:
            stack.push(command)
            applied += 1
        except EditError:
            assert project.collection.to_json_string() == before, f"refused {op} changed the doc"
    final = project.collection.to_json_string()
    while stack.undo():
        pass
    assert project.collection.to_json_string() == original
    while stack.redo():
        pass
    assert project.collection.to_json_string() == final
