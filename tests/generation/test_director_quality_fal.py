"""The director through the real fal_client and the FAL emulator: a shot that comes back
frozen on every attempt is still placed in the scene, but the department report is
PARTIAL (not complete), naming the shot, its failing checks and the suggestions, in the
report, the CLI's printout and the Director panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fal_emulator import DEFAULT_KEY as FAL_KEY
from fal_emulator import completes, frozen_mp4
from waits import wait_job_done as _wait

from aladdin_studio.config import Settings
from aladdin_studio.director.service import submit_brief
from aladdin_studio.generation.registry import load_registry
from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey
from aladdin_studio.timeline.project_io import new_project

SIZE = (1280, 720)  # the draft tier's FAL model renders 720p
BRIEF = """scene: Frozen Lake
size: [320, 180]
preset: draft
shots:
  - {name: Lantern, prompt: a paper lantern drifting over a lake, duration: 2,
     quality: draft, seed: 11}
"""


def test_a_shot_frozen_on_every_attempt_makes_the_scene_partial(
        tmp_path: Path, fal_emulator: Any, monkeypatch: Any, capsys: Any, qtbot: Any) -> None:
    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    settings = Settings(provider="fal", fal_api_key=FAL_KEY, elevenlabs_api_key="",
                        max_generations_per_hour=500)
    project = tmp_path / "P.aladdin"
    new_project(project)
    brief = tmp_path / "frozen.yaml"
    brief.write_text(BRIEF)
    model = load_registry().chain("text-to-video", "draft", provider="fal")[0]
    seconds = model.clamp_duration(2.0)  # what the model makes for the request
    fal_emulator.script(model.endpoint,
                        [completes(video=frozen_mp4(seconds, SIZE, seed=n)) for n in range(2)])
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"), store, None,
                     settings, poll_interval=0.05, backoff_base=0.01)
    with EmbeddedConsumer(queue.huey, 4, queue=queue, tick=0.05):
        job = submit_brief(queue, project, brief, max_retries=1)
        job = _wait(store, job.id, 240)
    assert job.status == "succeeded", job.error_message
    assert len(fal_emulator.submits(model.endpoint)) == 2  # the first try and one retry
    report = job.info["director"]["report"]
    assert report["status"] == "partial", report
    [shot] = report["outputs"]
    assert shot["status"] == "done" and shot["passed"] is False and shot["attempts"] == 2
    assert shot["failedChecks"] == ["motion-quality"], shot
    [failure] = report["qualityFailures"]
    assert failure["shot"] == 1 and failure["name"] == "Lantern"
    assert failure["checks"] == ["motion-quality"] and failure["attempts"] == 2
    assert any("picture frozen" in i for i in failure["issues"])
    assert any("more motion" in s for s in failure["suggestions"])
    assert "1 failing quality" in report["summary"]
    assert any(i.startswith("Shot 1 (Lantern) still fails its quality check after 2 "
                            "attempt(s) (failing: motion-quality)") for i in report["issues"])
    assert any(s.startswith("Shot 1: ") and "more motion" in s for s in report["suggestions"])
    assert Path(report["render"]).is_file()  # the shot is in the rendered scene

    from aladdin_studio.cli_director import _print_report

    _print_report(report)
    out = capsys.readouterr().out
    assert "Scene 'Frozen Lake': PARTIAL" in out
    assert "shot 1 'Lantern': done" in out and "FAILS QUALITY: motion-quality" in out

    from PySide6.QtCore import QObject, Signal

    from aladdin_studio.director import edits
    from aladdin_studio.ui.director_panel import DirectorPanel

    class Context(QObject):  # the editor context, as much as the panel reads of it
        project_replaced = Signal(object)
        project = None

    ctx = Context()
    panel = DirectorPanel(ctx, queue=queue)
    qtbot.addWidget(panel)
    edits.set_editor(None)  # the panel hooked itself in as the editor's bridge
    panel._fill_grid(job.info["director"]["shots"])  # noqa: SLF001 - the live grid's rows
    assert panel.grid.item(0, 1).text() == "fails quality"
    tip = panel.grid.item(0, 1).toolTip()
    assert "Fails: motion-quality" in tip and "picture frozen" in tip
    panel.show_report(report)
    text = panel.report_view.toPlainText()
    assert text.startswith("PARTIAL: 1/1 shots (1 failing quality)")
    assert "FAILS QUALITY: motion-quality" in text
