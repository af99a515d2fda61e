"""Stable ids: every scene, track, clip, transition, marker and take has one, unique in the
project; old projects get them by migration; copies get new ones; lookups by id."""

from __future__ import annotations

import json

import pytest

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.errors import ItemNotFound

from doc_factory import make_doc, media_clip


def ids(project) -> dict[str, str]:
    """id -> kind:name of every addressable object; asserts there are no repeats."""
    found: dict[str, str] = {}
    for obj in S.addressable(project.collection):
        item_id = S.get(obj, "id")
        assert item_id, f"{type(obj).__name__} {obj.name!r} has no id"
        assert item_id not in found, f"{item_id} used twice"
        found[item_id] = f"{type(obj).__name__}:{obj.name}"
    return found


def test_new_items_have_unique_ids_and_can_be_found():
    project, stack, scene = make_doc(3)
    video = scene.tracks[0]
    stack.push(C.AddTransition(video[0], "dissolve"))
    stack.push(C.AddMarker(scene, 10, "Beat"))
    found = ids(project)
    kinds = {v.split(":")[0] for v in found.values()}
    assert kinds == {"Timeline", "Track", "Clip", "Transition", "Marker", "ExternalReference"}
    clip = video[0]
    assert project.find(S.get(clip, "id")) is clip
    assert project.find(S.get(scene, "id")) is scene
    take = clip.media_reference
    assert project.find(S.get(take, "id")) is take
    with pytest.raises(ItemNotFound, match="nothing-here"):
        project.find("nothing-here")


def test_a_split_gives_the_new_part_new_ids_and_undo_redo_keep_them():
    project, stack, scene = make_doc(1)
    video = scene.tracks[0]
    left = video[0]
    left_id, take_id = S.get(left, "id"), S.get(left.media_reference, "id")
    stack.push(C.Split(video, 48))
    right = video[1]
    assert S.get(left, "id") == left_id and S.get(left.media_reference, "id") == take_id
    right_id = S.get(right, "id")
    assert right_id != left_id and S.get(right.media_reference, "id") != take_id
    ids(project)
    stack.undo()
    stack.redo()
    assert S.get(video[1], "id") == right_id


def test_a_pasted_copy_gets_a_new_id_even_before_its_original():
    project, stack, scene = make_doc(2)
    video = scene.tracks[0]
    original = video[1]
    before = S.get(original, "id")
    stack.push(C.InsertClip(video, original.clone(), 0))  # a copy placed first
    assert S.get(original, "id") == before
    assert S.get(video[0], "id") != before
    ids(project)


def test_duplicated_scene_gets_all_new_ids():
    project, stack, scene = make_doc(2)
    stack.push(C.AddTransition(scene.tracks[0][0], "dissolve"))
    stack.push(C.AddMarker(scene, 5))
    originals = set(ids(project))
    stack.push(C.DuplicateScene(scene))
    copy = project.scenes[1]
    copied = {S.get(o, "id") for o in S.addressable(copy)}
    assert len(copied) > 6 and not copied & originals
    ids(project)


def test_merge_keys_use_ids():
    _project, stack, scene = make_doc(2)
    clip = scene.tracks[0][0]
    stack.push(C.Trim(clip, "out", -3))
    stack.push(C.Trim(clip, "out", -3))
    assert len(stack) == 1
    assert C.Trim(clip, "out", -1).merge_key[1] == S.get(clip, "id")


def test_projects_from_before_ids_are_migrated(tmp_path):
    project, stack, scene = make_doc(2)
    stack.push(C.AddTransition(scene.tracks[0][0], "dissolve"))
    stack.push(C.AddMarker(scene, 5))
    stack.push(C.AppendClip(scene.tracks[1], media_clip("d", audio=True)))
    path = tmp_path / "Old.aladdin"
    project_io.save(project, path)
    data = json.loads((path / "project.otio").read_text())
    clip_ids = []

    def strip(node):  # a version-1 file: ids on scenes and clips only, one clip id repeated
        if isinstance(node, dict):
            md = (node.get("metadata") or {}).get("aladdin")
            kind = node.get("OTIO_SCHEMA", "")
            if isinstance(md, dict) and "id" in md:
                if kind.startswith("Clip"):
                    clip_ids.append(md["id"])
                elif not kind.startswith("Timeline"):
                    del md["id"]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(data)
    data["metadata"]["aladdin"]["schema_version"] = 1
    text = json.dumps(data).replace(clip_ids[1], clip_ids[0])  # a copy made by an old version
    (path / "project.otio").write_text(text)

    loaded = project_io.load(path)
    assert S.get(loaded.collection, "schema_version") == S.SCHEMA_VERSION == 2
    found = ids(loaded)
    assert clip_ids[0] in found  # existing ids are kept; the repeat got a new one
    assert sum(1 for v in found.values() if v.startswith("Track")) == 3
    assert any(v.startswith("Transition") for v in found.values())
    assert any(v.startswith("Marker") for v in found.values())
