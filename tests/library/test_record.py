"""What the app writes into the media collection and the Brain from the timeline document."""

from __future__ import annotations

from aladdin_studio.library.brain import Brain
from aladdin_studio.library.brain_sqlite import SqliteBrain
from aladdin_studio.library.media import MediaQuery
from aladdin_studio.library.media_sqlite import SqliteMediaRepository
from aladdin_studio.library.record import clip_media, project_id, record_clip
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S


def test_a_voiced_line_and_an_imported_clip_are_recorded_once(sample_project, tmp_path):
    project = project_io.load(sample_project)
    scene = project.scenes[0]
    line = next(c for t in scene.tracks if S.is_audio(t) for c in t.find_clips())
    md = S.to_py(line.media_reference.metadata.get(S.NS, {}))
    md["provenance"] = {"kind": "dialogue", "provider": "local", "voice_id": "en+f3",
                        "character": "Sarah", "text": "Hello", "job_id": "voicejob000001",
                        "cost": {"currency": "USD", "actual": 0.0}}
    line.media_reference.metadata[S.NS] = md
    video = scene.find_clips()[0]
    repo = SqliteMediaRepository(tmp_path / "lib.sqlite3")
    brain = Brain(SqliteBrain(tmp_path / "brain.sqlite3"))
    pid = project_id(project)
    for _ in range(2):  # recording again updates, never duplicates
        record_clip(project, scene, line, clip_media(project, line), repo, brain)
        record_clip(project, scene, video, clip_media(project, video), repo, brain)
    assert repo.count(MediaQuery(project_id=pid)) == 2
    said = repo.get("voicejob000001")
    assert said.type == "audio" and said.meta("voice") == "en+f3"
    assert said.meta("characterName") == "Sarah" and said.url.startswith("file://")
    imported = clip_media(project, video)
    assert not imported.generated and repo.get(imported.media_id).meta("method") == "import"
    assert brain.related("voicejob000001")["voices"] == ["en+f3"]
    assert [m["key"] for m in brain.shots_depicting(pid, "sarah")] == ["voicejob000001"]
    made = brain.scene_contents(pid, scene.name)
    assert made["voices"] == ["en+f3"] and len(made["media"]) == 2
    repo.close()
    brain.close()
