"""An API scene assembly with spoken lines on a server whose queue has ONE worker
(``max_concurrent_generations = 1``): the assembly job queues its voice lines on the same
queue and must hand its worker to them (it parks, still "processing") instead of waiting for
them forever; its progress keeps flowing over the WebSocket to "complete"."""

from __future__ import annotations

import json

from api_helpers import TOKEN, add_character, dialogue_clips, generated_clip
from websockets.sync.client import connect


def test_assembly_with_spoken_lines_finishes_on_one_worker(start_api, new_project):
    api = start_api(workers=1)
    entry = new_project()
    pid = entry.id
    ann = add_character(entry, "Ann")
    clip = generated_clip(api, pid)
    body = {"sceneId": "Talk", "preset": "draft", "clips": [{"clipId": clip, "sequence": 1}],
            "audio": [{"type": "dialogue", "characterId": ann, "text": "Good morning.",
                       "startTime": 0.25},
                      {"type": "dialogue", "characterId": ann, "text": "Anyone here?",
                       "startTime": 1.25}]}
    r = api.client.post(f"/api/v1/projects/{pid}/videos/assemble", json=body)
    assert r.status_code == 202, r.text
    job_id = r.json()["jobId"]
    events = []
    with connect(f"{api.ws_url}/api/v1/projects/{pid}/jobs/{job_id}/events",
                 additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        while not events or events[-1]["event"] not in ("complete", "failed"):
            events.append(json.loads(ws.recv(timeout=180)))
    done = events[-1]["job"]
    assert events[-1]["event"] == "complete", done["error"]
    messages = [e["job"]["message"] for e in events]
    assert any("to get a worker" in m for m in messages), messages  # it handed it over
    statuses = [e["job"]["status"] for e in events]
    first = statuses.index("processing")
    assert set(statuses[first:-1]) == {"processing"}, statuses  # parked is still processing
    progress = [e["job"]["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 1.0
    voice = api.backend.store.list(kind="voice")
    assert len(voice) == 2 and all(j.status == "succeeded" for j in voice)
    assert [round(c["start"], 2) for c in dialogue_clips(api, pid, "Talk")] == [0.25, 1.25]
