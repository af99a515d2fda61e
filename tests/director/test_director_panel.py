"""The Director dock (pytest-qt): a brief checked as it is typed (errors by line, the
estimate), Run with the shots' progress live in the grid, the scene landing on the editor's
undo stack as one step per stage, and the report."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

SMALL = """scene: Panel Scene
size: [320, 180]
preset: draft
shots:
  - {name: Walk, prompt: A walk in the park, duration: 2, quality: draft}
  - {name: Bench, method: image-to-video, prompt: The bench, image: media/bench.jpg,
     duration: 2, quality: draft}
transitions:
  - {after: 1, type: dissolve, duration: 0.5}
dialogue:
  - {character: Sam, text: Over here., shot: 2, offset: 0.2}
"""


def test_director_panel_runs_a_brief_live(qtbot: Any, director_project: Path,
                                          brief_copy: Path, tmp_path: Path,
                                          monkeypatch: Any) -> None:
    from aladdin_studio.config import Settings
    from aladdin_studio.generation.providers.local import LocalProvider
    from aladdin_studio.jobs import JobStore, make_huey
    from aladdin_studio.timeline import project_io
    from aladdin_studio.timeline import schema as S
    from aladdin_studio.ui.generation_controller import GenerationController
    from aladdin_studio.ui.main_window import MainWindow

    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    settings = Settings(provider="local", elevenlabs_api_key="", max_generations_per_hour=500)
    local = LocalProvider(tmp_path / "work", short_side=90)
    release = threading.Event()

    class Held:
        """The local provider, its results held back until the test has seen the grid
        live (on a quiet machine 90 px shots ended between two polls of the grid)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(local, name)

        def fetch(self, *args: Any, **kwargs: Any) -> Any:
            release.wait(60)
            return local.fetch(*args, **kwargs)

    held = Held()

    def generation(ctx: Any) -> GenerationController:
        return GenerationController(ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
                                    huey=make_huey(settings, path=tmp_path / "q.sqlite3"),
                                    provider_factory=lambda name: held, settings=settings,
                                    workers=8, consumer_options={"tick": 0.05},
                                    queue_options={"poll_interval": 0.02,
                                                   "backoff_base": 0.01})

    window = MainWindow(project_io.load(director_project), settings=settings,
                        generation=generation, ask_recovery=False)
    qtbot.addWidget(window)
    window.show()
    panel = window.director
    path = brief_copy.with_name("panel.yaml")
    path.write_text(SMALL.replace("duration: 2, quality: draft}", "duration: 9, quality: draft}"))
    panel.load_file(path)
    assert "line 5: shots[0].duration" in panel.status.text()
    assert not panel.run_button.isEnabled()
    panel.editor.setPlainText(SMALL)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=5000)
    assert "2 shot(s)" in panel.status.text() and "$0.00" in panel.status.text()
    assert panel.grid.rowCount() == 2

    seen: set[str] = set()
    panel._poll.timeout.connect(  # noqa: SLF001 - watch the live grid
        lambda: seen.update(panel.grid.item(r, 1).text() for r in range(panel.grid.rowCount())
                            if panel.grid.item(r, 1) is not None))
    steps_before = window.ctx.stack.count()
    job_id = panel.run()
    assert job_id and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: bool(seen & {"generating", "pending"}), timeout=60_000)
    release.set()
    qtbot.waitUntil(lambda: panel.report is not None, timeout=240_000)
    assert panel.report["status"] == "complete", panel.report["issues"]
    assert seen & {"generating", "pending"} and "done" in seen  # it moved while we watched
    assert panel.grid.item(0, 1).text() == "done" and panel.grid.item(1, 5).text() == "1"
    assert panel.grid.cellWidget(0, 3).pixmap() is not None  # a thumbnail
    assert "COMPLETE" in panel.report_view.toPlainText()
    assert window.ctx.scene.name == "Panel Scene"  # the timeline shows what was made
    # one undo step per stage on the editor's own stack; ordinary clips and takes
    texts = [window.ctx.stack.text(i) for i in range(steps_before, window.ctx.stack.count())]
    assert texts == ["Director: Assemble Panel Scene", "Director: Audio"]
    scene = window.project.scene("Panel Scene")
    video = [t for t in scene.tracks if not S.is_audio(t)][0]
    assert len(video.find_clips()) == 2
    window.ctx.stack.undo()
    window.ctx.stack.undo()
    assert not any(s.name == "Panel Scene" for s in window.project.scenes)
    deadline = time.monotonic() + 5
    while panel.job_id is not None and time.monotonic() < deadline:
        qtbot.wait(50)
    assert panel.job_id is None


def test_reopening_the_editor_continues_an_unfinished_run(qtbot: Any, director_project: Path,
                                                          brief_copy: Path, tmp_path: Path,
                                                          monkeypatch: Any) -> None:
    """An assemble job queued (or left running by a killed editor) is resumed by the next
    editor on the project and followed in its Director dock."""
    from aladdin_studio.config import Settings
    from aladdin_studio.director.service import submit_brief
    from aladdin_studio.generation.providers.local import LocalProvider
    from aladdin_studio.jobs import JobQueue, JobStore, make_huey
    from aladdin_studio.timeline import project_io
    from aladdin_studio.ui.generation_controller import GenerationController
    from aladdin_studio.ui.main_window import MainWindow

    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    settings = Settings(provider="local", elevenlabs_api_key="", max_generations_per_hour=500)
    local = LocalProvider(tmp_path / "work", short_side=90)
    path = brief_copy.with_name("panel.yaml")
    path.write_text(SMALL)
    queue = JobQueue(make_huey(settings, path=tmp_path / "q.sqlite3"),
                     JobStore(tmp_path / "jobs.sqlite3"), lambda n: local, settings)
    left = submit_brief(queue, director_project, path, max_retries=0)  # nobody runs it

    def generation(ctx: Any) -> GenerationController:
        return GenerationController(ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
                                    huey=make_huey(settings, path=tmp_path / "q.sqlite3"),
                                    provider_factory=lambda name: local, settings=settings,
                                    workers=8, consumer_options={"tick": 0.05},
                                    queue_options={"poll_interval": 0.02,
                                                   "backoff_base": 0.01})

    window = MainWindow(project_io.load(director_project), settings=settings,
                        generation=generation, ask_recovery=False)
    qtbot.addWidget(window)
    window.show()
    panel = window.director
    qtbot.waitUntil(lambda: panel.job_id == left.id, timeout=5000)
    qtbot.waitUntil(lambda: panel.report is not None, timeout=240_000)
    assert panel.report["job"] == left.id and panel.report["status"] == "complete"
    assert any(s.name == "Panel Scene" for s in window.project.scenes)
