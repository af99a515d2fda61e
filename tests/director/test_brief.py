"""The brief: the published schema, errors by line (YAML and JSON), the shipped example,
and timeline → brief."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from aladdin_studio.director.brief import BRIEF_DIR, BriefError, load_brief, parse_brief, schema


def test_the_shipped_example_is_valid_and_about_30_seconds() -> None:
    brief = load_brief(BRIEF_DIR / "park-morning.yaml")
    assert len(brief.shots) == 5
    assert {s["method"] for s in brief.shots} == {"text-to-video", "image-to-video",
                                                  "first-last-frame", "composite-to-video"}
    assert len(brief.transitions) == 4 and len(brief.dialogue) == 3 and len(brief.sfx) == 1
    assert brief.music is not None and brief.path(brief.music["file"]).is_file()
    assert brief.total_seconds() == pytest.approx(30.0)
    for shot in brief.shots:
        for name in ("image", "first_frame", "last_frame"):
            if shot.get(name):
                assert brief.path(shot[name]).is_file()


def test_the_schema_is_published_json_and_checks_the_example() -> None:
    import jsonschema

    data = json.loads((BRIEF_DIR / "schema.json").read_text())
    assert data == schema()
    example = yaml.safe_load((BRIEF_DIR / "park-morning.yaml").read_text())
    jsonschema.Draft202012Validator(data).validate(example)


def test_yaml_errors_name_their_lines() -> None:
    text = (BRIEF_DIR / "park-morning.yaml").read_text()
    lines = text.splitlines()
    bad = text.replace("    duration: 4\n", "    duration: 9\n").replace(
        "type: wipe", "type: spin")
    with pytest.raises(BriefError) as err:
        parse_brief(bad, base_dir=BRIEF_DIR, source="park-morning.yaml")
    problems = {p.path: p for p in err.value.problems}
    duration_line = next(i for i, line in enumerate(lines, 1) if "duration: 4" in line)
    wipe_line = next(i for i, line in enumerate(lines, 1) if "type: wipe" in line)
    assert problems["shots[4].duration"].line == duration_line
    assert "maximum of 7" in problems["shots[4].duration"].message
    assert problems["transitions[3].type"].line == wipe_line
    assert f"line {duration_line}: shots[4].duration" in str(err.value)


def test_cross_field_problems_name_their_lines() -> None:
    text = """scene: S
shots:
  - prompt: one
    character: Nobody
  - prompt: two
    method: image-to-video
transitions:
  - {after: 2, type: fade}
dialogue:
  - {character: X, text: hi, shot: 7}
"""
    with pytest.raises(BriefError) as err:
        parse_brief(text)
    got = {(p.line, p.path) for p in err.value.problems}
    assert (4, "shots[0].character") in got
    assert (5, "shots[1]") in got  # image-to-video needs 'image'
    assert (8, "transitions[0].after") in got
    assert (10, "dialogue[0].shot") in got


def test_json_briefs_work_too_with_lines(tmp_path: Path) -> None:
    good = {"scene": "J", "shots": [{"prompt": "a", "duration": 3}, {"prompt": "b"}],
            "transitions": [{"after": 1, "type": "dissolve", "duration": 1}]}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(good, indent=2))
    brief = load_brief(path)
    assert brief.shots[1]["duration"] == 5.0 and brief.shots[0]["method"] == "text-to-video"
    good["shots"][1]["quality"] = "ultra"
    path.write_text(json.dumps(good, indent=2))
    with pytest.raises(BriefError) as err:
        load_brief(path)
    [problem] = err.value.problems
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "ultra" in t)
    assert problem.line == line and "ultra" in problem.message


def test_unreadable_and_malformed_briefs(tmp_path: Path) -> None:
    with pytest.raises(BriefError, match="no such file"):
        load_brief(tmp_path / "nope.yaml")
    (tmp_path / "x.yaml").write_text("scene: [unclosed\n")
    with pytest.raises(BriefError, match="line 2: not valid YAML/JSON"):
        load_brief(tmp_path / "x.yaml")
    with pytest.raises(BriefError, match="at most 10|is too long|should be non-empty|10"):
        parse_brief(yaml.safe_dump({"scene": "S", "shots": [{"prompt": "p"}] * 11}))


def test_a_scene_becomes_a_brief_and_back(sample_project: Path) -> None:
    from aladdin_studio.director.from_scene import brief_from_scene
    from aladdin_studio.timeline.project_io import load

    project = load(sample_project)
    scene = project.scenes[0]
    brief = brief_from_scene(project, scene, sample_project.parent)
    again = parse_brief(brief.to_yaml(), base_dir=sample_project.parent)
    assert again.scene == scene.name
    assert len(again.shots) == 5
    assert [t["type"] for t in again.transitions] == ["fade", "dissolve", "wipe", "slide"]
    assert all(1 <= s["duration"] <= 7 for s in again.shots)
    assert again.path(again.music["file"]).is_file()
