"""Two writers on one project at once: the second waits for the first or is refused with
the holder named; no edit is ever lost; `Imported` only after the save succeeded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from aladdin_studio.cli import main
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline.media import bin_entries

CLI = [sys.executable, "-m", "aladdin_studio.cli"]
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_racing_imports_lose_nothing(sample_project, tmp_path):
    png = sample_project / "media" / "title-card.png"
    outcomes = []
    for round_ in range(2):
        files = []
        for who in "ab":
            path = tmp_path / f"r{round_}-{who}.png"
            shutil.copy(png, path)
            files.append(path)
        procs = [subprocess.Popen([*CLI, "import", str(sample_project), str(f), "--append-to",
                                   "V1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=ENV) for f in files]
        for proc, path in zip(procs, files, strict=True):
            out, err = proc.communicate(timeout=120)
            outcomes.append((path, proc.returncode, out, err))
    urls = {e["url"] for e in bin_entries(project_io.load(sample_project))}
    clips = {c.name for c in project_io.load(sample_project).scene().tracks[0].find_clips()}
    for path, code, out, err in outcomes:
        if code == 0:  # it said "Imported": the edit must be there
            assert f"Imported {path}" in out
            assert str(path) in urls and path.stem in clips, f"lost: {path.name}"
        else:  # refused: one line naming the holder, nothing claimed
            assert code == 2 and "Imported" not in out
            lines = err.strip().splitlines()
            assert len(lines) == 1 and "is being changed by aladdin-studio import (pid " in err
    assert sum(code == 0 for _, code, _, _ in outcomes) >= 2


def test_imported_is_not_printed_when_the_save_fails(capsys, sample_project, tmp_path):
    shutil.rmtree(sample_project / "backups", ignore_errors=True)
    (sample_project / "backups").write_text("a file where the backups folder belongs")
    before = (sample_project / "project.otio").read_bytes()
    shutil.copy(sample_project / "media" / "title-card.png", tmp_path / "new.png")
    code = main(["import", str(sample_project), str(tmp_path / "new.png")])
    captured = capsys.readouterr()
    assert code == 2 and "Imported" not in captured.out
    assert len(captured.err.strip().splitlines()) == 1
    assert (sample_project / "project.otio").read_bytes() == before
