"""``POST .../videos/assemble`` with dialogue as text, spoken by ElevenLabs (its emulator,
reached by the real SDK) when a key is configured: the voice is checked against the
account (422 naming the field), the line is spoken there and placed at its time."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from api_helpers import add_character, dialogue_clips, generated_clip, job_status, wait_for

from aladdin_studio.config import Settings


@pytest.fixture(scope="module")
def el_server() -> Iterator:
    from elevenlabs_emulator import ElevenLabsEmulator

    emulator = ElevenLabsEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def elevenlabs(el_server, monkeypatch: pytest.MonkeyPatch):
    from elevenlabs_emulator import DEFAULT_KEY

    el_server.reset()
    monkeypatch.setenv("ELEVENLABS_API_KEY", DEFAULT_KEY)
    monkeypatch.setenv("ELEVENLABS_BASE_URL", el_server.base_url)
    return el_server


@pytest.fixture
def settings(elevenlabs) -> Settings:  # this module's server speaks through ElevenLabs
    from elevenlabs_emulator import DEFAULT_KEY

    return Settings(provider="local", max_generations_per_hour=50,
                    elevenlabs_api_key=DEFAULT_KEY)


def test_with_elevenlabs_the_lines_are_spoken_there(api, new_project, elevenlabs):
    entry = new_project()
    pid = entry.id
    add_character(entry, "Ann")
    clip = generated_clip(api, pid, duration=1)
    url = f"/api/v1/projects/{pid}/videos/assemble"
    line = {"type": "dialogue", "characterId": "Ann", "text": "Over here!",
            "startTime": 0.125, "voiceId": "21m00Tcm4TlvDq8ikWAM"}
    body = {"sceneId": "Call", "preset": "draft", "clips": [{"clipId": clip, "sequence": 1}],
            "audio": [line]}
    r = api.client.post(url, json={**body, "audio": [{**line, "voiceId": "nope0000"}]})
    assert (r.status_code, r.json().get("field")) == (422, "audio[0].voiceId"), r.text
    assert "ElevenLabs" in r.json()["error"]
    r = api.client.post(url, json=body)
    assert r.status_code == 202, r.text
    job_id = r.json()["jobId"]
    done = wait_for(lambda: (j := job_status(api, pid, job_id))["status"]
                    in ("complete", "failed") and j, 120, "the assembly")
    assert done["status"] == "complete", done["error"]
    spoken = [c for c in elevenlabs.calls() if "Over here!" in json.dumps(c.body or {})]
    assert spoken and "21m00Tcm4TlvDq8ikWAM" in spoken[0].path
    [placed] = dialogue_clips(api, pid, "Call")
    assert placed["start"] == 0.125  # 3 frames at 24 fps
    [voice_job] = api.backend.store.list(kind="voice")
    assert voice_job.provider == "elevenlabs" and voice_job.status == "succeeded"
