"""The Brain contract, run on the embedded SQLite store and through the real neo4j driver
against a real Bolt server (see ``bolt_server`` in conftest)."""

from __future__ import annotations

import uuid

import pytest

from aladdin_studio.library.media import LibraryError

SARAH = {"id": "ref-sarah", "name": "Sarah", "hash": "a" * 64}
TOM = {"id": "ref-tom", "name": "Tom", "hash": "b" * 64}
PARK = {"id": "ref-park", "name": "Park", "hash": "c" * 64}
CAFE = {"id": "ref-cafe", "name": "Cafe", "hash": "d" * 64}


@pytest.fixture
def pid() -> str:
    return f"proj-{uuid.uuid4().hex[:8]}"  # each test its own project: no cross-talk


def _build(brain, pid: str) -> None:
    brain.record_generated(pid, f"{pid}-m1", character=SARAH, location=PARK, name="Sarah walks",
                           method="text-to-video", createdAt="2026-01-01T00:00:01")
    brain.record_generated(pid, f"{pid}-m2", character=TOM, location=CAFE, name="Tom sits",
                           createdAt="2026-01-01T00:00:02")
    brain.record_generated(pid, f"{pid}-m3", character=SARAH, location=CAFE, name="Sarah orders",
                           createdAt="2026-01-01T00:00:03")
    brain.record_placed(pid, f"{pid}-m1", "s1", "Opening", clip="c1")
    brain.record_placed(pid, f"{pid}-m2", "s2", "Cafe talk")
    brain.record_placed(pid, f"{pid}-m3", "s2", "Cafe talk", replaced=f"{pid}-m2")


def test_shots_depicting_a_character_by_name_or_reference_id(brain, pid):
    _build(brain, pid)
    assert [m["key"] for m in brain.shots_depicting(pid, "sarah")] == [f"{pid}-m3", f"{pid}-m1"]
    assert [m["key"] for m in brain.shots_depicting(pid, "ref-tom")] == [f"{pid}-m2"]
    assert brain.shots_depicting(pid, "Sarah")[0]["name"] == "Sarah orders"
    with pytest.raises(LibraryError, match="No character named 'Zed'"):
        brain.shots_depicting(pid, "Zed")


def test_scenes_set_in_a_location(brain, pid):
    _build(brain, pid)
    assert [s["name"] for s in brain.scenes_set_in(pid, "Park")] == ["Opening"]
    assert [s["name"] for s in brain.scenes_set_in(pid, "cafe")] == ["Cafe talk"]


def test_references_a_clip_used(brain, pid):
    _build(brain, pid)
    refs = brain.references_of(f"{pid}-m1")
    assert refs == [{"kind": "character", "name": "Sarah", "refId": "ref-sarah",
                     "sha256": "a" * 64},
                    {"kind": "location", "name": "Park", "refId": "ref-park",
                     "sha256": "c" * 64}]
    assert brain.references_of("unknown") == []


def test_what_a_scene_is_made_of(brain, pid):
    _build(brain, pid)
    brain.record_voiced(pid, "Tom", "en+m3", voice_name="Tom (espeak)", media_id=f"{pid}-line1",
                        provider="espeak")
    brain.record_placed(pid, f"{pid}-line1", "s2", "Cafe talk")
    made = brain.scene_contents(pid, "Cafe talk")
    assert made["scene"]["sceneId"] == "s2"
    assert sorted(m["key"] for m in made["media"]) == [f"{pid}-line1", f"{pid}-m2", f"{pid}-m3"]
    assert made["characters"] == ["Sarah", "Tom"]
    assert made["locations"] == ["Cafe"]
    assert made["voices"] == ["Tom (espeak)"]
    assert brain.scene_contents(pid, "s1")["characters"] == ["Sarah"]  # by scene id too
    related = brain.related(f"{pid}-m3")
    assert related["take_of"] == [f"{pid}-m2"] and related["scenes"] == ["Cafe talk"]
    assert related["depicts"] == ["Sarah"] and related["set_in"] == ["Cafe"]


def test_writes_are_idempotent_merges(brain, pid):
    _build(brain, pid)
    _build(brain, pid)
    brain.record_published(pid, f"{pid}-m1", "https://cdn.example/m1.mp4",
                           "projects/x/videos/m1.mp4")
    assert [m["key"] for m in brain.shots_depicting(pid, "Sarah")] == [f"{pid}-m3", f"{pid}-m1"]
    assert len(brain.scene_contents(pid, "Opening")["media"]) == 1
    node = brain.backend.node("Media", f"{pid}-m1")
    assert node["url"] == "https://cdn.example/m1.mp4" and node["name"] == "Sarah walks"


def test_projects_do_not_mix(brain, pid):
    _build(brain, pid)
    other = pid + "-other"
    brain.record_generated(other, f"{other}-o1", character=SARAH, location=PARK, name="elsewhere")
    assert [m["key"] for m in brain.shots_depicting(other, "Sarah")] == [f"{other}-o1"]
    assert [m["key"] for m in brain.shots_depicting(pid, "Sarah")] == [f"{pid}-m3", f"{pid}-m1"]


def test_relationships_outside_the_model_are_refused(brain, pid):
    brain.record_media(pid, f"{pid}-m9")
    with pytest.raises(LibraryError, match="no \\(Scene\\)-\\[:DEPICTS\\]"):
        brain._edge("Scene", "x", "DEPICTS", "Character", "y")
    with pytest.raises(LibraryError, match="needs a name"):
        brain.record_depicts(pid, f"{pid}-m9", ["  "])


def test_bolt_fixture_reaches_the_server_only_through_loopback(bolt_server):
    assert bolt_server.uri.startswith("bolt://127.0.0.1:")
    print(f"Bolt server isolation: {bolt_server.note}")
