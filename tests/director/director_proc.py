"""A process running the director's queue (for the kill -9 tests): submits the brief, then
consumes jobs until it is killed. argv: TMP PROJECT BRIEF [slow-sfx | hold-shots]
(slow-sfx: this process's sound effects take a minute, so the kill lands in the audio step;
hold-shots: only the first shot to finish is reported finished, the others stay in progress,
so the kill lands while some shots are done and some are not, however fast the machine)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> None:
    tmp, project, brief = (Path(a) for a in sys.argv[1:4])
    os.environ.pop("ELEVENLABS_API_KEY", None)
    from aladdin_studio.config import Settings
    from aladdin_studio.director.service import submit_brief
    from aladdin_studio.generation.providers.local import LocalProvider
    from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey

    if sys.argv[4:] == ["slow-sfx"]:
        from aladdin_studio.voice.providers.local import LocalVoiceProvider

        sound = LocalVoiceProvider.sound

        def slow(self, request, out):  # type: ignore[no-untyped-def]
            time.sleep(60)
            return sound(self, request, out)

        LocalVoiceProvider.sound = slow  # type: ignore[method-assign]
    settings = Settings(provider="local", elevenlabs_api_key="", max_generations_per_hour=500)
    local = LocalProvider(tmp / "renders-work", short_side=90)
    if sys.argv[4:] == ["hold-shots"]:
        from aladdin_studio.generation.providers.base import Status

        finished: list[str] = []
        real_status = local.status

        def held_status(request_id, model):  # type: ignore[no-untyped-def]
            status = real_status(request_id, model)
            if status.state == "COMPLETED":
                finished[:] = finished or [request_id]
                if request_id != finished[0]:
                    return Status("IN_PROGRESS", progress=0.5)
            return status

        local.status = held_status  # type: ignore[method-assign]
    queue = JobQueue(make_huey(settings, path=tmp / "queue.sqlite3"),
                     JobStore(tmp / "jobs.sqlite3"), lambda name: local, settings,
                     backoff_base=0.01, poll_interval=0.02)
    job = submit_brief(queue, project, brief, max_retries=0)
    print(job.id, flush=True)
    consumer = EmbeddedConsumer(queue.huey, 8, queue=queue, tick=0.05)
    consumer.start()
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
