"""Title clips in the document: placement, settings, undo, plain-OTIO round trip."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from aladdin_studio.generation import placement
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import title_commands as TC
from aladdin_studio.timeline import titles as TT
from aladdin_studio.timeline.errors import InvalidEditError
from aladdin_studio.timeline.project_io import parse, serialize

from doc_factory import RATE, make_doc, spans


def json_of(project):
    return project.collection.to_json_string()


def test_title_over_a_clip_goes_to_a_new_v2_and_undo_removes_both():
    project, stack, scene = make_doc(2)
    before = json_of(project)
    clip = TT.new_title_clip(RATE, seconds=2, text="Opening")
    add = TC.AddTitle(scene, 24, clip, scene.tracks[0])
    stack.push(add)
    v2 = add.placed_on
    assert v2.name == "V2" and v2 is scene.tracks[1]
    assert spans(v2) == [("Gap", "", 0, 24), ("Clip", "Title: Opening", 24, 72)]
    assert add.notices == ["Added track 'V2' for the title."]
    stack.undo()
    assert json_of(project) == before


def test_second_title_reuses_v2_where_it_is_free_and_stays_a_title_not_a_placeholder():
    project, stack, scene = make_doc(1)
    first = TC.AddTitle(scene, 0, TT.new_title_clip(RATE, seconds=1))
    stack.push(first)
    second = TC.AddTitle(scene, 48, TT.new_title_clip(RATE, seconds=1))
    stack.push(second)
    assert second.placed_on is first.placed_on
    third = TC.AddTitle(scene, 12, TT.new_title_clip(RATE, seconds=1))  # overlaps the first
    stack.push(third)
    assert third.placed_on.name == "V3"
    title = first.placed_on[0]
    assert TT.is_title(title) and not placement.is_placeholder(title)


def test_title_edits_are_undoable_and_a_drag_is_one_step():
    project, stack, scene = make_doc(1)
    clip = TT.new_title_clip(RATE, seconds=3, text="Old")
    stack.push(TC.AddTitle(scene, 0, clip))
    start = json_of(project)
    for size in (100.0, 120.0, 140.0):  # one slider drag
        stack.push(TC.SetTitle(clip, size=size))
    stack.push(TC.SetTitle(clip, text="New words", color="#00FF00"))
    assert TT.title_params(clip)["color"] == "#00ff00"
    assert clip.name == "Title: New words"
    stack.undo()
    assert TT.title_params(clip)["text"] == "Old" and clip.name == "Title: Old"
    assert TT.title_params(clip)["size"] == 140.0
    stack.undo()
    assert json_of(project) == start


@pytest.mark.parametrize("change, message", [
    ({"text": "  "}, "needs some text"),
    ({"color": "red"}, "#rrggbb"),
    ({"font": "Comic"}, "Unknown font"),
    ({"size": 2.0}, "between 8 and 400"),
    ({"fade_in": 2.0, "fade_out": 2.0}, "do not fit"),
])
def test_bad_title_settings_are_refused_and_change_nothing(change, message):
    project, stack, scene = make_doc(1)
    clip = TT.new_title_clip(RATE, seconds=3)
    stack.push(TC.AddTitle(scene, 0, clip))
    before = json_of(project)
    with pytest.raises(InvalidEditError, match=message):
        stack.push(TC.SetTitle(clip, **change))
    assert json_of(project) == before


def test_titles_are_plain_otio_and_survive_save_and_load():
    project, stack, scene = make_doc(1)
    stack.push(TC.AddTitle(scene, 0, TT.new_title_clip(RATE, text="Kept", outline=3.0)))
    coll, _warnings = parse(serialize(project), "test")
    clip = next(c for c in coll[0].find_clips() if TT.is_title(c))
    ref = clip.media_reference
    assert isinstance(ref, otio.schema.GeneratorReference) and ref.generator_kind == "aladdin.title"
    assert TT.title_params(clip)["text"] == "Kept" and TT.title_params(clip)["outline"] == 3.0


def test_a_title_cannot_go_on_an_audio_track():
    project, stack, scene = make_doc(1)
    audio = scene.tracks[1]
    with pytest.raises(InvalidEditError):
        stack.push(C.OverwriteClip(audio, TT.new_title_clip(RATE), 0))


def test_titles_do_not_count_against_the_clip_limit():
    from aladdin_studio.timeline.document import check_clip_limit, video_clip_count

    project, stack, scene = make_doc(3, max_clips=3)
    stack.push(TC.AddTitle(scene, 0, TT.new_title_clip(RATE, seconds=1)))
    stack.push(TC.AddTitle(scene, 48, TT.new_title_clip(RATE, seconds=1)))
    assert video_clip_count(scene) == 3
    check_clip_limit(scene)  # still within the limit: no ClipLimitError
