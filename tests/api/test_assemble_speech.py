"""``POST .../videos/assemble`` with dialogue given as text (design doc 7.2 ``audio[]`` with
``characterId`` + ``text``): refused with 422 naming the field when the character, voice or
text is wrong; otherwise spoken inside the assembly job (offline espeak-ng here; ElevenLabs
in test_assemble_speech_elevenlabs), placed at its times on the dialogue track, followed
over the WebSocket, and rendered. Everything through the real HTTP app on a uvicorn server."""

from __future__ import annotations

import json
from pathlib import Path

from api_helpers import TOKEN, add_character, dialogue_clips, generated_clip
from websockets.sync.client import connect

LOCAL_VOICE = "en-us+f3@50/160"


def test_text_lines_are_spoken_placed_at_their_times_and_rendered(api, new_project):
    from aladdin_studio.timeline.project_io import load
    from aladdin_studio.voice.library import find_character

    entry = new_project()
    pid = entry.id
    ann = add_character(entry, "Ann")
    add_character(entry, "Bob")
    clip = generated_clip(api, pid)
    url = f"/api/v1/projects/{pid}/videos/assemble"
    body = {"sceneId": "Talk", "preset": "draft", "clips": [{"clipId": clip, "sequence": 1}],
            "audio": [{"type": "dialogue", "characterId": ann, "text": "Good morning.",
                       "startTime": 0.25, "voiceId": LOCAL_VOICE},
                      {"type": "dialogue", "characterId": "bob", "text": "Hello, Ann.",
                       "startTime": 1.25}]}
    line = body["audio"][0]
    for audio, field in (
            ({**line, "characterId": "Nobody"}, "audio[0].characterId"),
            ({**line, "characterId": None}, "audio[0].characterId"),
            ({**line, "text": "  \u200b "}, "audio[0].text"),
            ({**line, "text": "word " * 801}, "audio[0].text"),
            ({**line, "voiceId": "no-such-voice"}, "audio[0].voiceId"),
            ({**line, "voiceId": "en-us+nosuchvariant@50/160"}, "audio[0].voiceId"),
            ({**line, "type": "music"}, "audio[0].type"),
            ({**line, "audioId": clip}, "audio[0]")):
        r = api.client.post(url, json={**body, "audio": [audio]})
        assert (r.status_code, r.json().get("field")) == (422, field), r.text
    assert "Ann" in api.client.post(url, json={**body, "audio": [
        {**line, "characterId": "Nobody"}]}).json()["error"]  # the known characters listed
    assert [s["name"] for s in api.client.get(f"/api/v1/projects/{pid}/scenes").json()[
        "scenes"]] == ["Scene 1"]  # refused requests changed nothing
    assert api.backend.store.list(kind="voice") == []

    r = api.client.post(url, json=body)
    assert r.status_code == 202, r.text
    job_id = r.json()["jobId"]
    assert r.json()["sceneId"] == "Talk"
    events = []
    with connect(f"{api.ws_url}/api/v1/projects/{pid}/jobs/{job_id}/events",
                 additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        while not events or events[-1]["event"] not in ("complete", "failed"):
            events.append(json.loads(ws.recv(timeout=120)))
    done = events[-1]["job"]
    assert events[-1]["event"] == "complete", done["error"]
    assert done["type"] == "scene_assembly"
    messages = [e["job"]["message"] for e in events]
    assert any(m.startswith("Voicing") for m in messages), messages
    assert any(m.startswith("Exporting") for m in messages), messages
    progress = [e["job"]["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 1.0

    voice_jobs = api.backend.store.list(kind="voice")
    assert len(voice_jobs) == 2 and all(j.status == "succeeded" for j in voice_jobs)
    clips = dialogue_clips(api, pid, "Talk")
    assert [round(c["start"], 2) for c in clips] == [0.25, 1.25]
    assert clips[0]["end"] > 0.5  # a spoken line, not an empty clip
    project = load(entry.path)
    assert find_character(project, "Ann").voice.voice_id == LOCAL_VOICE  # the given voice
    assert find_character(project, "Bob").voice is not None  # a default one
    doc = api.client.get(done["result"]["url"]).json()
    scene_end = max(2.0, clips[-1]["end"])  # a line running past the picture lengthens it
    assert doc["metadata"]["hasAudio"] and abs(doc["metadata"]["duration"] - scene_end) < 0.2
    render = Path(api.backend.store.get(job_id).output_path)
    assert _loudest(render, 0.3, 1.2) > 10 * _loudest(render, 0.0, 0.2)  # speech is heard


def _loudest(path: Path, start: float, end: float) -> float:
    """Peak absolute sample of the file's sound between ``start`` and ``end`` seconds."""
    import av
    import numpy as np

    peak = 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            t = float(frame.pts * frame.time_base)
            if start <= t < end:
                peak = max(peak, float(np.abs(frame.to_ndarray()).max()))
    return peak + 1e-9
