"""Helpers for the API tests: the token, deadline-bound waits, request bodies."""

from __future__ import annotations

from typing import Any

from waits import wait_for  # noqa: E402,F401 - the API tests import it from here

TOKEN = "test-token-0123456789abcdef"


def generate_body(prompt: str = "a red fox running through snow", **parameters: Any) -> dict:
    parameters.setdefault("duration", 1)
    parameters.setdefault("quality", "draft")
    return {"method": "text-to-video", "input": {"prompt": prompt}, "parameters": parameters}


def job_status(api, pid, job_id):
    """GET .../videos/jobs/{job_id} as JSON."""
    return api.client.get(f"/api/v1/projects/{pid}/videos/jobs/{job_id}").json()


def add_character(entry, name: str, voice=None) -> str:
    """A character of the project (saved), with ``voice`` if given; returns its id."""
    from aladdin_studio.config import Settings
    from aladdin_studio.services.session import ProjectSession
    from aladdin_studio.voice.library import find_character
    from aladdin_studio.voice.service import VoiceService

    with ProjectSession.open(entry.path, writer="test") as session:
        session.push(VoiceService(settings=Settings()).assign_command(session.project, name,
                                                                      voice))
        session.save()
        return find_character(session.project, name).id


def generated_clip(api, pid, prompt="a quiet room", duration=2) -> str:
    """A clip generated through the API (local provider); returns its video id."""
    job_id = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                             json=generate_body(prompt, duration=duration)).json()["jobId"]
    done = wait_for(lambda: (j := job_status(api, pid, job_id))["status"]
                    in ("complete", "failed") and j, what="the clip")
    assert done["status"] == "complete", done["error"]
    return job_id


def dialogue_clips(api, pid, scene):
    """The clips on the dialogue track of ``scene``, as GET .../scenes lists them."""
    scenes = api.client.get(f"/api/v1/projects/{pid}/scenes").json()["scenes"]
    found = next(s for s in scenes if s["name"] == scene)
    return next(t for t in found["tracks"] if t["role"] == "dialogue")["clips"]
