"""The API's JSON shapes (design doc 7.4 video details, 7.5 job status) built from the job
ledger and the project document."""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from pathlib import Path
from typing import Any

from ..jobs.store import Job, JobStore
from ..jobs.webhook import job_result, public_status

__all__ = ["DESIGN_ESTIMATES", "estimate_seconds", "iso", "job_view", "media_id", "video_url"]

API_PREFIX = "/api/v1"

# Design doc "Estimated Generation Times" (target, upper end), used until the ledger has
# finished jobs of the model to learn from.
DESIGN_ESTIMATES = {"text-to-video": 60.0, "image-to-video": 45.0, "first-last-frame": 55.0,
                    "composite-to-video": 50.0, "assemble": 30.0}


# Design doc 7.5 ``type`` names, by ledger job kind.
JOB_TYPES = {"generation": "video_generation", "assemble": "scene_assembly",
             "assemble_clips": "scene_assembly",
             "export": "render", "publish": "publish", "voice": "voice"}


def job_type(job: Job) -> str:
    if job.kind == "export" and ((job.payload or {}).get("extra") or {}).get("assembly"):
        return "scene_assembly"
    return JOB_TYPES.get(job.kind, job.kind)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds")


def video_url(project_id: str, video_id: str) -> str:
    return f"{API_PREFIX}/projects/{project_id}/videos/{video_id}"


def media_id(url: str) -> str:
    """The id of a media-bin entry (by its project-relative url); generated takes use their
    job id instead."""
    return "m" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def estimate_seconds(store: JobStore, kind: str, method: str, model: str | None) -> float:
    """Expected seconds from queued to complete: the median of the last finished jobs of
    this kind and model in the ledger, else the design doc's target for the method."""
    done = [j for j in store.list(limit=200, status=("succeeded",), kind=kind)
            if (not model or j.model == model) and not j.cached_from and j.finished_at]
    samples = [j.finished_at - j.created_at for j in done[:20]]
    if samples:
        return round(statistics.median(samples), 1)
    return DESIGN_ESTIMATES.get(method, 60.0)


def _remaining(job: Job, estimate: float, now: float) -> float | None:
    if job.done:
        return None
    elapsed = now - job.created_at
    if job.progress > 0.05 and job.status == "running":
        return round(max(0.0, elapsed * (1.0 - job.progress) / job.progress), 1)
    return round(max(0.0, estimate - elapsed), 1)


def job_view(job: Job, project_id: str, estimate: float, now: float) -> dict[str, Any]:
    """Design doc 7.5 ``JobStatus`` (plus ``message``, the current step, and ``webhook``,
    the delivery attempts)."""
    status = public_status(job.status)
    result = job_result(job, project_id) if job.status == "succeeded" else None
    error = None
    if job.status == "failed":
        error = job.error_message or job.message or "Generation failed"
    elif job.status == "cancelled":
        error = job.message or "Cancelled"
    return {
        "jobId": job.id,
        "type": job_type(job),
        "status": status,
        "progress": round(float(job.progress), 4),
        "message": job.message,
        "estimatedTimeRemaining": _remaining(job, estimate, now),
        "result": result,
        "error": error,
        "createdAt": iso(job.created_at),
        "completedAt": iso(job.finished_at),
        "webhook": (job.info or {}).get("webhook"),
    }


def probe_summary(path: str | Path) -> dict[str, Any]:
    """duration, fps and resolution of a media file (PyAV probe)."""
    from ..timeline.probe import probe

    info = probe(path)
    return {"duration": round(float(info.duration), 3) if info.duration else None,
            "fps": round(float(info.fps), 3) if info.fps else None,
            "resolution": f"{info.width}x{info.height}" if info.width else None,
            "hasAudio": info.has_audio}
