"""Render and export outputs never overwrite the project, its files or its media."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from aladdin_studio.cli import main
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline.output_guard import OutputPathError, check_output_path


def sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def cli(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    return code, err


def refused(capsys, *args) -> str:
    start = time.monotonic()
    code, err = cli(capsys, *args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert time.monotonic() - start < 5
    return err


@pytest.mark.parametrize("verb", ["render", "export"])
def test_project_files_and_media_are_refused(capsys, sample_project, tmp_path, verb):
    p = sample_project
    (p / "project.otio.recovery").write_text((p / "project.otio").read_text())
    (p / "backups").mkdir(exist_ok=True)
    media = p / "media" / "pattern-1.mp4"
    link = tmp_path / "link.mp4"
    link.symlink_to(media)
    hard = tmp_path / "hard.mp4"
    os.link(media, hard)
    before = {f: sha(f) for f in (p / "project.otio", p / "project.otio.recovery", media)}
    extra = ["--format", "otio"] if verb == "export" else ["--preset", "draft"]
    targets = [p / "project.otio", p / "project.otio.recovery", p / "backups" / "x.mp4",
               media, p / "media" / "new.mp4", link, hard, p / "writer.lock"]
    for target in targets:
        err = refused(capsys, verb, p, "-o", target, *extra)
        assert str(target) in err
    assert {f: sha(f) for f in before} == before
    assert not (p / "media" / "new.mp4").exists() and not (p / "backups" / "x.mp4").exists()


def test_media_outside_the_project_is_refused_after_resolving_links(capsys, sample_project,
                                                                    tmp_path):
    outside = tmp_path / "outside.png"
    outside.write_bytes((sample_project / "media" / "title-card.png").read_bytes())
    assert main(["import", str(sample_project), str(outside)]) == 0
    alias = tmp_path / "alias-dir"
    alias.symlink_to(tmp_path)
    before = sha(outside)
    refused(capsys, "render", sample_project, "-o", alias / "outside.png")
    refused(capsys, "export", sample_project, "--format", "otio", "-o", outside)
    assert sha(outside) == before


def test_folders_devices_and_missing_folders_are_refused_before_any_work(capsys,
                                                                         sample_project,
                                                                         tmp_path):
    out_dir = tmp_path / "renders"
    out_dir.mkdir()
    err = refused(capsys, "render", sample_project, "-o", out_dir)
    assert "is a folder" in err
    assert list(tmp_path.glob(".*parts")) == []  # nothing was started beside it
    refused(capsys, "render", sample_project, "-o", "/dev/null")
    err = refused(capsys, "render", sample_project, "-o", "/proc/x.mp4")
    assert "/proc/x.mp4" in err and ".parts" not in err
    for verb, extra in (("render", []), ("export", ["--format", "edl"])):
        missing = tmp_path / "missing" / f"out.{verb}"
        err = refused(capsys, verb, sample_project, "-o", missing, *extra)
        assert "does not exist" in err
        assert not missing.parent.exists()  # one rule: neither creates folders


def test_a_normal_export_still_works(capsys, sample_project, tmp_path):
    code, err = cli(capsys, "export", sample_project, "--format", "otio", "-o",
                    tmp_path / "copy.otio")
    assert code == 0, err
    assert (tmp_path / "copy.otio").stat().st_size > 0
    project = project_io.load(sample_project)
    assert check_output_path(project, sample_project / "renders" / "a.mp4") == \
        sample_project / "renders" / "a.mp4"
    with pytest.raises(OutputPathError):
        check_output_path(project, "")


def test_export_dialog_uses_the_same_rule(qtbot, sample_project):
    from aladdin_studio.ui.editor_context import EditorContext
    from aladdin_studio.ui.export_dialog import ExportDialog

    ctx = EditorContext(project_io.load(sample_project))
    dialog = ExportDialog(ctx)
    qtbot.addWidget(dialog)
    media = sample_project / "media" / "pattern-1.mp4"
    before = sha(media)
    dialog.set_output_path(media)
    assert not dialog.start_export()
    assert "media file" in dialog.message_label.text()
    assert sha(media) == before
    ctx.close()


def test_queued_exports_use_the_same_rule(sample_project):
    """Exports queued by the API or jobs run through render.worker, which checks again."""
    from aladdin_studio.render.presets import get_preset
    from aladdin_studio.render.worker import ExportRequest, run_request

    project = project_io.load(sample_project)
    media = sample_project / "media" / "pattern-1.mp4"
    before = sha(media)
    request = ExportRequest(document=project_io.serialize(project),
                            project_file=str(project.location.file), out=str(media),
                            preset=get_preset("draft"))
    with pytest.raises(OutputPathError, match="media file"):
        run_request(request)
    assert sha(media) == before
