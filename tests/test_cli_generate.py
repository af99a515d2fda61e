"""``aladdin-studio generate`` and ``jobs`` as a user runs them, with the local provider and
the job ledger and queue in a private data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = [sys.executable, "-m", "aladdin_studio.cli"]


@pytest.fixture
def run(tmp_path: Path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / "xdg" / var.lower())
    for var in ("ALADDIN_PROVIDER", "FAL_KEY", "FAL_API_KEY", "REDIS_URL"):
        env.pop(var, None)

    def run(*args, check=True):
        proc = subprocess.run([*EXE, *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=120)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    return run


def clips(info: dict) -> list[dict]:
    return [i for i in info["scenes"][0]["tracks"][0]["items"] if i["type"] == "clip"]


def test_generate_wait_places_a_generated_take_and_jobs_lists_it(run, sample_project):
    from aladdin_studio.generation import placement as P
    from aladdin_studio.timeline import project_io
    from aladdin_studio.timeline import schema as S

    before = clips(json.loads(run("info", sample_project, "--json").stdout))
    proc = run("generate", sample_project, "--method", "text-to-video", "--prompt",
               "A red kite over green hills", "--duration", "1", "--seed", "9",
               "--provider", "local", "--wait", "--json")
    summary = json.loads(proc.stdout)
    assert "%" in proc.stderr  # progress lines go to stderr with --json
    job = summary["job"]
    assert job["status"] == "succeeded" and job["actual_cost"] == 0.0 and job["take_applied"]
    assert summary["clip"]["placeholder"] is False

    after = clips(json.loads(run("info", sample_project, "--json").stdout))
    assert len(after) == len(before) + 1
    new = after[-1]
    assert new["start"] == pytest.approx(before[-1]["end"]) and new["end"] - new["start"] == 1
    assert new["media"].startswith("media/") and new["media"].endswith(".mp4")
    assert new["active_take"] == "take1" and new["generation"]["status"] == "done"
    assert (sample_project / new["media"]).is_file()

    project = project_io.load(sample_project)
    [(clip, job_id)] = P.find_generation_clips(project)
    assert job_id == job["id"]
    prov = S.get(clip.media_reference, "provenance")
    assert prov["model"] == "local-text-to-video" and prov["seed"] == 9
    assert prov["prompt"] == "A red kite over green hills" and prov["cost"]["actual"] == 0.0
    assert new["media"] in {e["url"] for e in S.get(project.collection, "bin")}

    ledger = json.loads(run("jobs", sample_project, "--json").stdout)
    [row] = ledger["jobs"]
    assert row["id"] == job["id"] and row["status"] == "succeeded"
    assert row["method"] == "text-to-video" and row["model"] == "local-text-to-video"
    assert row["est_cost"] == 0.0 and row["actual_cost"] == 0.0 and row["progress"] == 1.0
    assert ledger["spend"] == {"estimated": 0.0, "actual": 0.0}
    text = run("jobs", sample_project).stdout
    assert job["id"][:8] in text and "Spent $0.00" in text


def test_invalid_input_exits_2_and_a_placeholder_waits_without_wait(run, sample_project):
    proc = run("generate", sample_project, "--method", "text-to-video", "--prompt", "A storm",
               "--duration", "8", "--provider", "local", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "limited to 7 s" in proc.stderr and "8 s" in proc.stderr
    proc = run("generate", sample_project, "--method", "image-to-video", "--prompt", "x",
               "--provider", "local", check=False)
    assert proc.returncode == 2 and "needs an image" in proc.stderr
    proc = run("generate", sample_project, "--method", "text-to-video", "--prompt",
               "An explicit scene", "--provider", "local", check=False)
    assert proc.returncode == 2 and "content policy" in proc.stderr

    proc = run("generate", sample_project, "--method", "text-to-video", "--prompt",
               "A storm at sea", "--duration", "2", "--provider", "local", "--at", "3",
               "--track", "1", "--insert")
    assert "Queued job" in proc.stdout
    info = json.loads(run("info", sample_project, "--json").stdout)
    [placeholder] = [c for c in clips(info) if "generation" in c]
    assert placeholder["name"] == "A storm at sea" and placeholder["start"] == 3.0
    assert placeholder["end"] == 5.0 and placeholder["media"] is None
    assert placeholder["generation"]["placeholder"] is True
    assert placeholder["generation"]["status"] == "queued"
    [row] = json.loads(run("jobs", sample_project, "--json").stdout)["jobs"]
    assert row["status"] == "queued" and row["actual_cost"] is None


def test_a_refusal_during_the_job_is_recorded_and_exits_2(tmp_path, sample_project,
                                                          monkeypatch, capsys):
    """In process, with the local provider refusing on content grounds at submit."""
    from aladdin_studio import cli
    from aladdin_studio.generation import placement as P
    from aladdin_studio.generation.errors import ContentPolicyError
    from aladdin_studio.generation.providers.factory import ProviderFactory
    from aladdin_studio.timeline import project_io

    class Refusing:
        name = "local"

        def submit(self, request, model):
            raise ContentPolicyError("The provider refused the prompt (content policy).")

    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setattr(ProviderFactory, "_create", lambda self, name: Refusing())
    code = cli.main(["generate", str(sample_project), "--method", "text-to-video",
                     "--prompt", "A quiet harbour", "--duration", "1", "--provider", "local",
                     "--wait"])
    err = capsys.readouterr().err
    assert code == 2 and "content policy" in err.splitlines()[-1]
    [(clip, _job)] = P.find_generation_clips(project_io.load(sample_project))
    assert P.is_placeholder(clip)
    status, _progress, reason = P.placeholder_status(clip)
    assert status == "failed" and "refused the prompt" in reason
