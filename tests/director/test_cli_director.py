"""``aladdin-studio assemble`` and ``aladdin-studio brief`` (in-process, local providers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aladdin_studio.cli import main

SMALL = """scene: Two Shots
size: [320, 180]
fps: 24
preset: draft
characters:
  - {name: Sarah, reference: media/sarah.jpg}
shots:
  - {name: Walk, prompt: Sarah walks in the park, duration: 2, quality: draft, character: Sarah}
  - {name: Bench, method: image-to-video, prompt: The bench, image: media/bench.jpg,
     duration: 2, quality: draft}
transitions:
  - {after: 1, type: dissolve, duration: 0.5}
dialogue:
  - {character: Sarah, text: Hello there., shot: 2, offset: 0.2}
"""


@pytest.fixture
def small_brief(brief_copy: Path) -> Path:
    path = brief_copy.with_name("small.yaml")
    path.write_text(SMALL)
    return path


@pytest.fixture
def small_local(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI's own queue (ledger in the test's data dir) with 90 px local animatics."""
    from aladdin_studio.generation.providers import factory
    from aladdin_studio.generation.providers.local import LocalProvider

    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    monkeypatch.setenv("ALADDIN_PROVIDER", "local")
    monkeypatch.setattr(factory.ProviderFactory, "_create",
                        lambda self, name: LocalProvider(tmp_path / "work", short_side=90))


def test_assemble_wait_json_then_brief_from_the_scene(
        director_project: Path, small_brief: Path, small_local: None,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["assemble", str(director_project), "--brief", str(small_brief), "--wait",
                 "--json", "--retries", "0", "--provider", "local", "--publish"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "succeeded"
    failing = [o["shot"] for o in data["report"]["outputs"] if o["passed"] is False]
    assert [f["shot"] for f in data["report"]["qualityFailures"]] == failing
    assert data["report"]["status"] == ("partial" if failing else "complete")
    assert [o["status"] for o in data["report"]["outputs"]] == ["done", "done"]
    assert Path(data["report_path"]).is_file() and Path(data["report"]["render"]).is_file()
    assert "%" in err  # progress lines went to stderr
    published = data["report"]["publish"]  # no R2 settings: the local publish folder
    assert data["report"]["steps"]["publish"] == "done" and published["where"]
    assert published["manifest"] and any(u.endswith(".mp4") for u in published["files"])

    out_file = tmp_path / "again.yaml"
    assert main(["brief", str(director_project), "--scene", "Two Shots", "-o",
                 str(out_file)]) == 0
    from aladdin_studio.director.brief import load_brief

    brief = load_brief(out_file)
    assert [s["name"] for s in brief.shots] == ["Walk", "Bench"]
    assert brief.shots[1]["method"] == "image-to-video"
    assert (out_file.parent / brief.shots[1]["image"]).resolve() == \
        (small_brief.parent / "media" / "bench.jpg").resolve()
    assert brief.transitions == [{"after": 1, "type": "dissolve", "duration": 0.5}]
    # the character's reference, named relative to the first brief, now resolves from here
    assert brief.path(brief.characters[0]["reference"]).is_file()
    assert [(d["character"], d["text"], d["shot"]) for d in brief.dialogue] == \
        [("Sarah", "Hello there.", 2)]


def test_assemble_user_errors_are_one_line(director_project: Path, small_brief: Path,
                                           small_local: None,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = small_brief.with_name("bad.yaml")
    bad.write_text(SMALL.replace("duration: 2, quality: draft, character",
                                 "duration: 12, quality: draft, character"))
    assert main(["assemble", str(director_project), "--brief", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "line 8: shots[0].duration" in err
    assert main(["assemble", str(director_project), "--brief", str(small_brief),
                 "--preset", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["brief", str(director_project), "--scene", "Nowhere", "-o",
                 str(small_brief.with_name("x.yaml"))]) == 2
    missing = director_project.with_name("Missing.aladdin")
    capsys.readouterr()
    assert main(["assemble", str(missing), "--brief", str(small_brief)]) == 2
    err = capsys.readouterr().err
    assert err == f"aladdin-studio: error: No project at {missing}.\n"


def test_assemble_without_wait_queues_and_reports_the_estimate(
        director_project: Path, small_brief: Path, small_local: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    from aladdin_studio.jobs import JobStore

    assert main(["assemble", str(director_project), "--brief", str(small_brief)]) == 0
    out = capsys.readouterr().out
    assert "Queued scene assembly" in out and "est. $0.00" in out
    key = str(director_project / "project.otio")
    [job] = JobStore().list(key, limit=10, kind="assemble")
    assert job.status == "queued" and job.info["estimate"]["provider"] == "local"
