"""The "voice" job kind: one spoken line or one sound effect, run by the shared queue and
recorded in the shared ledger (``aladdin_studio.jobs``) beside generation and export jobs.

* ``prepare``: validates the request; an identical earlier request (same content hash, its
  file still there) is reused at no cost unless ``new_take``;
* ``run``: the provider writes a 48 kHz WAV into the project's ``media/``; the ledger row gets
  the cost in USD (``actual_cost``), the characters billed, request id, word timings
  (``info``). Limits: the design doc's concurrency and per-hour limits (the generation
  settings). Rate limits (429) back off by ``Retry-After`` (or exponentially) and requeue
  without counting an attempt, up to ``max_rate_limited`` times; 5xx/timeouts are retried by
  the queue; invalid key, quota, 422 fail at once with their message.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aladdin_studio.jobs.kinds import JobKind, JobStopped, KindLimits, register_kind

from .errors import VoiceInputError, VoiceRateLimited
from .providers.base import PROVIDERS, DialogueRequest, SoundRequest, SpeechRequest
from .providers.factory import get_provider

if TYPE_CHECKING:
    from aladdin_studio.jobs.context import JobContext
    from aladdin_studio.jobs.queue import JobQueue
    from aladdin_studio.jobs.store import Job

__all__ = ["KIND", "VoicePayload", "cost_estimate"]

OPS = ("speech", "dialogue", "sfx")
DIALOGUE_MODELS = ("eleven_v3",)  # models ElevenLabs' text_to_dialogue speaks


@dataclass(frozen=True)
class VoicePayload:
    op: str  # "speech" | "sfx"
    provider: str  # "elevenlabs" | "local"
    request: dict[str, Any]
    label: str = ""  # "Aladdin: We leave at dawn." (job lists)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> VoicePayload:
        return cls(op=str(data["op"]), provider=str(data["provider"]),
                   request=dict(data["request"]), label=str(data.get("label") or ""))

    def parsed(self) -> SpeechRequest | DialogueRequest | SoundRequest:
        if self.op not in OPS:
            raise VoiceInputError(f"Unknown voice job '{self.op}'.")
        if self.provider not in PROVIDERS:
            raise VoiceInputError(f"Unknown voice provider '{self.provider}'.")
        if self.op == "dialogue" and self.provider != "elevenlabs":
            raise VoiceInputError("Multi-speaker dialogue requests need ElevenLabs.")
        kind = {"speech": SpeechRequest, "dialogue": DialogueRequest, "sfx": SoundRequest}
        try:
            return kind[self.op].from_dict(self.request)
        except (KeyError, TypeError, ValueError) as exc:
            raise VoiceInputError(f"Bad voice request: {exc}") from None

    def cache_key(self) -> str:
        return self.parsed().cache_key(self.provider)

    def model(self) -> str:
        if self.provider == "local":
            return "espeak-ng" if self.op == "speech" else "procedural-sfx"
        if self.op == "sfx":
            return "eleven_text_to_sound_v2"
        if self.op == "dialogue":
            return str(self.request["lines"][0].get("settings", {}).get("model") or "eleven_v3")
        return str(self.request.get("settings", {}).get("model") or "eleven_multilingual_v2")


def cost_estimate(payload: VoicePayload) -> float:
    if payload.provider == "local":
        return 0.0
    from .providers.elevenlabs import SFX_CREDITS_PER_SECOND, cost_of

    req = payload.parsed()
    if isinstance(req, SoundRequest):
        return cost_of(int(round(req.duration * SFX_CREDITS_PER_SECOND)), payload.model())
    if isinstance(req, DialogueRequest):
        return cost_of(sum(len(line.text) for line in req.lines), payload.model())
    return cost_of(len(req.text), payload.model())


def _prepare(queue: JobQueue, payload: VoicePayload, project: Any, *,
             new_take: bool = False) -> dict[str, Any]:
    request = payload.parsed()
    if isinstance(request, SpeechRequest) and not request.text.strip():
        raise VoiceInputError("A dialogue line needs some text.")
    key = payload.cache_key()
    columns: dict[str, Any] = {"provider": payload.provider, "model": payload.model(),
                               "chain": [payload.model()], "cache_key": key}
    if not new_take and (hit := queue.store.find_cached(key)) is not None:
        output_path, info = _into_project(hit.output_path, dict(hit.info or {}), project)
        return {**columns, "status": "succeeded", "progress": 1.0, "actual_cost": 0.0,
                "message": f"Reused the result of job {hit.id[:8]} (identical request)",
                "output_path": output_path, "cached_from": hit.cached_from or hit.id,
                "info": info, "finished_at": time.time()}
    return {**columns, "est_cost": cost_estimate(payload), "new_take": new_take}


def _into_project(output_path: str, info: dict[str, Any], project: Any
                  ) -> tuple[str, dict[str, Any]]:
    """A reused result made for another project: its files are copied into this project's
    media folder (projects stay self-contained; a WAV line is small)."""
    import shutil

    from aladdin_studio.jobs.context import media_dir

    media = media_dir(project).resolve()

    def local(path: str) -> str:
        src = Path(path)
        if src.resolve().parent == media:
            return path
        dest = media / src.name
        if not dest.exists():
            shutil.copy2(src, dest)
        return str(dest)

    if isinstance(info.get("lines"), list):
        info["lines"] = [{**line, "path": local(line["path"])} for line in info["lines"]]
    if info.get("path"):
        info["path"] = local(info["path"])
    return local(output_path), info


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:24] or "line"


def _run(job: Job, ctx: JobContext) -> dict[str, Any] | None:
    payload = VoicePayload.from_dict(job.payload)
    request = payload.parsed()
    provider = get_provider(payload.provider, ctx.settings)
    if isinstance(request, DialogueRequest):
        return _run_dialogue(job, ctx, payload, request, provider)
    if isinstance(request, SpeechRequest):
        ctx.progress(0.1, f"Speaking with {payload.model()}", status="running")
        out = ctx.media_dir() / f"voice-{_slug(request.voice.name)}-{job.id[:8]}.wav"
    else:
        ctx.progress(0.1, f"Making the sound with {payload.model()}", status="running")
        out = ctx.media_dir() / f"sfx-{_slug(request.prompt)}-{job.id[:8]}.wav"
    try:
        result = (provider.speak(request, out) if isinstance(request, SpeechRequest)
                  else provider.sound(request, out))
    except VoiceRateLimited as exc:
        _back_off(job, ctx, exc)
        raise JobStopped from None
    from . import audio

    ctx.progress(0.9, "Checking the audio")
    media = audio.wav_info(result.path)  # here, not on the editor's thread when it lands
    return {"output_path": str(result.path), "actual_cost": result.cost,
            "remote_id": result.request_id or None, "model": result.model,
            "info": {**result.to_dict(), "label": payload.label, "media": media}}


def _run_dialogue(job: Job, ctx: JobContext, payload: VoicePayload, request: DialogueRequest,
                  provider: Any) -> dict[str, Any]:
    """One text_to_dialogue request; ``info["lines"]`` holds each line's own result."""
    from . import audio

    ctx.progress(0.1, f"Speaking {len(request.lines)} lines with {payload.model()}",
                 status="running")
    outs = [ctx.media_dir() / f"voice-{_slug(line.voice.name)}-{job.id[:8]}-{n + 1}.wav"
            for n, line in enumerate(request.lines)]
    try:
        results = provider.dialogue(request.lines, outs)
    except VoiceRateLimited as exc:
        _back_off(job, ctx, exc)
        raise JobStopped from None
    lines = [{**r.to_dict(), "media": audio.wav_info(r.path)} for r in results]
    return {"output_path": str(results[0].path), "actual_cost": sum(r.cost for r in results),
            "remote_id": results[0].request_id or None, "model": results[0].model,
            "info": {"lines": lines, "label": payload.label,
                     "characters": sum(r.characters for r in results),
                     "duration": sum(r.duration for r in results)}}


def line_output(job: Job, index: int) -> tuple[Path, dict[str, Any]]:
    """Line ``index`` of a finished job: a speech job's one result, or a dialogue job's
    ``index``-th line."""
    path, info = output(job)
    lines = info.get("lines")
    if lines is None:
        return path, info
    line = dict(lines[index])
    return Path(line["path"]), line


def _back_off(job: Job, ctx: JobContext, exc: VoiceRateLimited) -> None:
    """429: requeue after Retry-After (or exponential backoff) without counting an attempt."""
    count = job.rate_limited + 1
    if count > ctx.queue.max_rate_limited:
        ctx.fail(type(exc).__name__, f"{exc} (still rate limited after {count - 1} retries)")
        return
    delay = max(exc.retry_after or 0.0, ctx.queue.backoff_base * 2 ** (count - 1))
    ctx.requeue(delay, rate_limited=count,
                message=f"Rate limited by the provider; retrying in {delay:.0f} s")


def _label(job: Job) -> str:
    return str(job.payload.get("label") or job.payload.get("op") or "voice")


KIND = register_kind(JobKind(
    name="voice", payload=VoicePayload, run=_run, prepare=_prepare, label=_label,
    limits=KindLimits(per_hour="max_generations_per_hour",
                      concurrent="max_concurrent_generations", max_attempts=3),
    noun="voice line"), replace=True)


def output(job: Job) -> tuple[Path, dict[str, Any]]:
    """A finished voice job's file and result info."""
    if job.status != "succeeded" or not job.output_path:
        raise VoiceInputError(f"Voice job {job.id[:8]} has no result ({job.status}: "
                              f"{job.error_message or job.message}).")
    return Path(job.output_path), dict(job.info or {})
