"""The per-item and per-track memos an edit on a long track relies on stay true: a clip's
remembered length (layout) follows its recorded trims, undo and redo; a track's remembered
clip count follows inserts, removals and take switches (titles do not count)."""

from __future__ import annotations

import opentimelineio as otio

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline.document import track_clip_count, video_clip_count
from aladdin_studio.timeline.layout import item_frames, layout
from aladdin_studio.timeline.titles import TITLE_KIND

from doc_factory import make_doc, media_clip


def _fresh_spans(track):
    """Spans from the items' own ranges, read without any memo."""
    out, pos = [], 0
    for item in track:
        if isinstance(item, otio.schema.Transition):
            continue
        d = item_frames(item, 24)
        out.append((item.name, pos, pos + d))
        pos += d
    return out


def _spans(track):
    return [(s.item.name, s.start, s.end) for s in layout(track, 24) if not s.is_transition]


def test_a_clips_remembered_length_follows_its_trims_undo_and_redo():
    project, stack, scene = make_doc(3, max_clips=10, seconds=2.0)
    video = scene.tracks[0]
    assert _spans(video) == [("A", 0, 48), ("B", 48, 96), ("C", 96, 144)]
    first = video[0]
    stack.push(C.Trim(first, "out", -5, ripple=True))
    assert _spans(video) == _fresh_spans(video) == [("A", 0, 43), ("B", 43, 91),
                                                      ("C", 91, 139)]
    stack.push(C.Trim(video[1], "in", 4, ripple=True))
    assert _spans(video) == _fresh_spans(video)
    stack.undo()
    stack.undo()
    assert _spans(video) == _fresh_spans(video) == [("A", 0, 48), ("B", 48, 96),
                                                      ("C", 96, 144)]
    stack.redo()
    assert _spans(video) == _fresh_spans(video) == [("A", 0, 43), ("B", 43, 91),
                                                      ("C", 91, 139)]


def _title_ref():
    return otio.schema.GeneratorReference(name="title", generator_kind=TITLE_KIND)


def test_a_tracks_remembered_clip_count_follows_inserts_removals_and_take_switches():
    project, stack, scene = make_doc(3, max_clips=10, seconds=2.0)
    video = scene.tracks[0]
    assert video_clip_count(scene) == track_clip_count(video) == 3
    stack.push(C.AppendClip(video, media_clip("D", 2.0)))
    assert video_clip_count(scene) == 4
    stack.push(C.Trim(video[0], "out", -5, ripple=True))  # ranges only: the count holds
    assert video_clip_count(scene) == 4
    stack.push(C.RippleDelete(video[1]))
    assert video_clip_count(scene) == 3
    stack.push(C.AddTake(video[0], _title_ref(), "title"))  # the clip is a title now
    assert video_clip_count(scene) == 2
    stack.push(C.SetActiveTake(video[0], next(k for k in video[0].media_references()
                                              if k != "title")))
    assert video_clip_count(scene) == 3
    stack.undo()
    assert video_clip_count(scene) == 2
    stack.undo()
    stack.undo()
    assert video_clip_count(scene) == 4
    stack.redo()
    assert video_clip_count(scene) == 3
    video.append(media_clip("E", 2.0))  # outside any edit (a loader, a test): still seen
    assert video_clip_count(scene) == 4
