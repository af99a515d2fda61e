"""Failing shots are regenerated with the report's suggestions (every take kept), and in
the editor every stage is one undo step (the editor bridge of ``director.edits``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aladdin_studio.director import edits
from aladdin_studio.director.service import submit_brief

BRIEF = """scene: Retry
size: [320, 180]
characters:
  - {name: Sam, voice: "en-gb+m3@40/150"}
shots:
  - {name: Walk, prompt: A walk in the park, duration: 2, quality: draft, seed: 5}
  - {name: Bench, method: image-to-video, prompt: The bench, image: media/bench.jpg,
     duration: 2, quality: draft, seed: 9}
transitions:
  - {after: 1, type: fade, duration: 0.5}
dialogue:
  - {character: Sam, text: Over here., shot: 2, offset: 0.2}
sfx:
  - {prompt: a door knock, at: 1.0, duration: 1}
"""


def test_failing_shots_are_retried_and_each_stage_is_one_undo_step(
        director_project: Path, brief_copy: Path, director_queue: Any) -> None:
    from aladdin_studio.timeline import schema as S
    from aladdin_studio.timeline.project_io import load, save
    from aladdin_studio.timeline.undo import UndoStack

    brief = brief_copy.with_name("retry.yaml")
    brief.write_text(BRIEF)
    project = load(director_project)
    stack = UndoStack(project)
    pushed: list[str] = []

    def editor(key: str, build: Any) -> Any:  # the editor's bridge: its stack, then save
        if key != str(project.location.file):
            return NotImplemented
        command = build(project)
        if command is not None:
            stack.push(command)
            pushed.append(command.text)
            save(project)
        return command

    from aladdin_studio.config import Settings

    settings = Settings(provider="local", elevenlabs_api_key="", max_generations_per_hour=500,
                        quality_threshold=1.5)  # nothing passes: every shot is retried
    queue = director_queue(settings)
    edits.set_editor(editor)
    try:
        job = submit_brief(queue, director_project, brief, max_retries=1)
        deadline = time.monotonic() + 300
        while not (job := queue.store.get(job.id)).done:
            assert time.monotonic() < deadline, job.message
            time.sleep(0.1)
    finally:
        edits.set_editor(None)
    assert job.status == "succeeded", job.error_message
    report = job.info["director"]["report"]
    assert [o["attempts"] for o in report["outputs"]] == [2, 2], report["outputs"]
    assert sum("still fails its quality check after 2" in i for i in report["issues"]) == 2
    retries = [j for j in queue.store.list(limit=50, kind="generation")
               if j.info["director"]["attempt"] == 2]
    assert len(retries) == 2 and not any(j.cached_from for j in retries)
    firsts = {j.info["director"]["shot"]: j for j in queue.store.list(limit=50,
                                                                      kind="generation")
              if j.info["director"]["attempt"] == 1}
    for j in retries:  # another seed, and the report's hints when it had any
        assert j.payload["seed"] != firsts[j.info["director"]["shot"]].payload["seed"]
    # two stages, two undo steps; every take kept on the clips
    assert pushed == ["Director: Assemble Retry", "Director: Cast Voices", "Director: Audio"]
    assert any(j.payload["request"].get("voice", {}).get("voice_id") == "en-gb+m3@40/150"
               for j in queue.store.list(limit=10, kind="voice"))
    scene = project.scene("Retry")
    video = [t for t in scene.tracks if not S.is_audio(t)][0]
    assert [len(c.media_references()) for c in video.find_clips()] == [2, 2]
    audio = {S.track_role(t).value: len(t.find_clips()) for t in scene.tracks
             if S.is_audio(t)}
    assert audio["dialogue"] == 1 and audio["sfx"] == 1
    stack.undo()  # the audio stage goes as one step
    stack.undo()  # and the cast
    scene = project.scene("Retry")
    assert all(len(t.find_clips()) == 0 for t in scene.tracks if S.is_audio(t))
    stack.undo()  # then the whole assembly
    assert not any(s.name == "Retry" for s in project.scenes)
    stack.redo()
    assert len([c for t in project.scene("Retry").tracks if not S.is_audio(t)
                for c in t.find_clips()]) == 2
