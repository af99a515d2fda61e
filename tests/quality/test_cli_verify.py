"""``aladdin-studio verify``: the VideoQualityResult for a media file or a project clip,
references the user picks, --save, and one-line errors with exit status 2."""

from __future__ import annotations

import json

import pytest

from aladdin_studio import cli
from aladdin_studio.quality.takes import clip_report
from aladdin_studio.timeline import project_io


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "P.aladdin"
    project_io.new_project(path)
    return path


def run(capsys, *argv):
    code = cli.main(["verify", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_media_against_references_prints_the_design_doc_result(capsys, project, labelled):
    sample = labelled["wrong subject"]
    code, out, err = run(capsys, project, "--media", sample.path, "--character-ref",
                         sample.params.character_refs[0], "--location-ref",
                         sample.params.location_ref, "--expected-duration", "3", "--json")
    data = json.loads(out)
    assert code == 1 and err == ""
    assert {"passed", "overallQuality", "checks", "issues", "suggestions"} <= set(data)
    failed = {c["type"] for c in data["checks"] if not c["passed"]}
    assert failed == {"character-consistency"}
    assert any("add the character reference" in s for s in data["suggestions"])
    good = labelled["good image-to-video"]
    code, out, _ = run(capsys, project, "--media", good.path, "--character-ref",
                       good.params.character_refs[0], "--expected-duration", "3")
    assert code == 0 and "PASSED" in out and "character-consistency" in out


def test_a_project_clip_by_number_or_name_and_save(capsys, tmp_path, labelled):
    sample = labelled["frozen"]
    path = tmp_path / "Q.aladdin"
    project_io.new_project(path)
    assert cli.main(["import", str(path), str(sample.path), "--append-to", "V1"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, path, "--clip", "1", "--json")
    data = json.loads(out)
    assert code == 1 and data["clip"]["take"]
    assert any(i.startswith("motion-quality: picture frozen") for i in data["issues"])
    name = data["clip"]["name"]
    from aladdin_studio.timeline import schema as S

    clip_id = S.clip_id(project_io.load(path).scenes[0].find_clips()[0])
    assert clip_id
    code, out, _ = run(capsys, path, "--clip", clip_id, "--json")
    assert code == 1 and json.loads(out)["clip"]["name"] == name  # by its stable id
    code, out, _ = run(capsys, path, "--clip", name, "--expected-duration", "3", "--save")
    assert code == 1 and "picture frozen" in out and "suggestion:" in out
    project = project_io.load(path)
    clip = project.scenes[0].find_clips()[0]
    stored = clip_report(clip)
    assert stored["passed"] is False and stored["params"]["expected_duration"] == 3.0


@pytest.mark.parametrize("args, message", [
    (["--media", "missing.mp4"], "does not exist"),
    (["--clip", "99"], "No clip '99'"),
    (["--media", "{bad}"], "Cannot read bad.mp4"),
    (["--media", "{good}", "--character-ref", "nobody.png"], "character reference"),
    (["--media", "{good}", "--save"], "--save stores the report on a clip"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, project, labelled, tmp_path, args, message):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    good = labelled["good text-to-video"].path
    argv = [a.replace("{bad}", str(bad)).replace("{good}", str(good)) for a in args]
    code, out, err = run(capsys, project, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("aladdin-studio: error:") and message in err
