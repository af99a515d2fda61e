"""Generation on the timeline document (pure document logic, no Qt widgets).

A generation lands in two steps:

1. a *placeholder* clip: one take ("take1") that is an OTIO ``GeneratorReference`` of kind
   ``aladdin.generation`` carrying the job id; its available range covers the clip, so it is
   an ordinary clip for every edit command (move, trim, delete, undo);
2. when the job has finished, :func:`result_command`: the generated MP4 replaces the
   placeholder's take (or, for a Regenerate of a finished clip, becomes a new take), with
   provenance on the media reference, the file in the media bin and the clip's generation
   record marked done: one undo step, "Generated Take".

Every generation clip keeps a record in ``clip.metadata["aladdin"]["generation"]``:
``{"job_id", "method", "prompt", "status", ...}`` (status "queued", "done", "failed" or
"cancelled"; "message" holds the reason of a failure).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import opentimelineio as otio

from ..timeline import commands as C
from ..timeline import schema as S
from ..timeline.document import Project
from ..timeline.errors import InvalidEditError
from ..timeline.layout import layout
from ..timeline.media import bin_entry, reference_for
from ..timeline.probe import probe
from .commands import META_KEY, AppendProjectEntry, GenerationMacro, ReplaceTake, SetGeneration
from .request import GenerationRequest
from .sanitize import sanitize_prompt

if TYPE_CHECKING:
    from ..jobs.store import Job

__all__ = [
    "GENERATOR_KIND",
    "META_KEY",
    "clean_prompt",
    "file_sha256",
    "find_generation_clips",
    "generation_job",
    "generation_record",
    "input_hashes",
    "is_placeholder",
    "place_command",
    "placeholder_clip",
    "placeholder_status",
    "provenance",
    "readable_name",
    "result_command",
    "short_name",
    "status_command",
]

GENERATOR_KIND = "aladdin.generation"
NAME_CHARS = 32
#: Short method names in readable take names ("t2v · sunset over the bay · take 2").
METHOD_SHORT = {"text-to-video": "t2v", "image-to-video": "i2v", "first-last-frame": "flf",
                "composite-to-video": "c2v"}
PROMPT_WORDS = 5


# --------------------------------------------------------------------------- placeholders


def short_name(prompt: str, limit: int = NAME_CHARS) -> str:
    """A clip name from a prompt: its first words, cut at a word boundary with an ellipsis."""
    text = " ".join(str(prompt).split()).rstrip(".!?…")
    if len(text) <= limit:
        return text or "Generated clip"
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(",;:-") + "…"


def readable_name(method: str, prompt: str, take: int) -> str:
    """A generated take's name for the bin and the clip: method, the prompt's first words and
    the take number, e.g. ``"t2v · sunset over the bay · take 2"`` (files keep their ids)."""
    words = clean_prompt(prompt).split()
    text = " ".join(words[:PROMPT_WORDS]).rstrip(".,;:!?…")
    if len(words) > PROMPT_WORDS:
        text += "…"
    return " · ".join(part for part in (METHOD_SHORT.get(method, method), text,
                                        f"take {take}") if part)


def _auto_name(clip: otio.schema.Clip, method: str, prompt: str) -> bool:
    """Whether the clip still has a name we gave it (not one the user typed)."""
    name = clip.name or ""
    prefix = readable_name(method, prompt, 0).rsplit(" · ", 1)[0] + " · take "
    return name in ("", short_name(clean_prompt(prompt)), short_name(prompt)) or \
        name.startswith(prefix)


def clean_prompt(prompt: str) -> str:
    """The sanitized prompt, or the trimmed text if it cannot be sanitized."""
    try:
        return sanitize_prompt(prompt)
    except Exception:  # noqa: BLE001 - only a label here; validate() reports the problem
        return str(prompt).strip()


def placeholder_clip(request: GenerationRequest, job_id: str, rate: float, *,
                     name: str | None = None) -> otio.schema.Clip:
    """A clip of ``round(request.duration * rate)`` frames whose take "take1" is the
    generation's ``GeneratorReference`` (available range = the clip)."""
    frames = max(1, int(round(float(request.duration) * rate)))
    ref = otio.schema.GeneratorReference(
        name="generation", generator_kind=GENERATOR_KIND,
        parameters={"job_id": job_id, "method": request.method},
        available_range=S.tr(0, frames, rate))
    ref.metadata[S.NS] = {"media": {"has_video": True, "has_audio": False}}
    prompt = clean_prompt(request.prompt)
    clip = S.new_clip(name or short_name(prompt), ref, start=0, duration=frames, rate=rate)
    S.ns(clip)[META_KEY] = {"job_id": job_id, "method": request.method, "prompt": prompt,
                            "status": "queued"}
    return clip


def is_placeholder(clip: Any) -> bool:
    """Whether ``clip``'s active take is a generation placeholder."""
    if not isinstance(clip, otio.schema.Clip):
        return False
    ref = clip.media_reference
    return isinstance(ref, otio.schema.GeneratorReference) and \
        ref.generator_kind == GENERATOR_KIND


def generation_record(clip: Any) -> dict[str, Any]:
    """The clip's generation record (a copy; empty if it has none)."""
    if not isinstance(clip, otio.schema.Clip):
        return {}
    record = S.get(clip, META_KEY, {})
    return dict(record) if isinstance(record, dict) else {}


def generation_job(clip: Any) -> str | None:
    """The id of the pending (or last) generation recorded on ``clip``."""
    job_id = generation_record(clip).get("job_id")
    if not job_id and is_placeholder(clip):
        job_id = clip.media_reference.parameters.get("job_id")
    return str(job_id) if job_id else None


def placeholder_status(clip: Any) -> tuple[str, float, str]:
    """``(status, progress, reason)`` recorded on the clip (no job ledger needed)."""
    record = generation_record(clip)
    status = str(record.get("status") or "queued")
    progress = 1.0 if status == "done" else float(record.get("progress") or 0.0)
    return status, progress, str(record.get("message") or "")


def find_generation_clips(project: Project) -> list[tuple[otio.schema.Clip, str]]:
    """Every clip of the project with a generation record, with its job id, in scene and
    track order."""
    found = []
    for scene in project.scenes:
        for clip in scene.find_clips():
            job_id = generation_job(clip)
            if job_id:
                found.append((clip, job_id))
    return found


# --------------------------------------------------------------------------- commands


def _free(track: otio.schema.Track, start: int, end: int, rate: float) -> bool:
    """No clip of ``track`` overlaps ``[start, end)`` (gaps and the space past its end are
    free)."""
    return not any(slot.is_clip and slot.start < end and slot.end > start
                   for slot in layout(track, rate))


def free_video_track(scene: otio.schema.Timeline, track: otio.schema.Track, start: int,
                     frames_: int) -> otio.schema.Track | None:
    """The first video track, ``track`` then the layers above it, with nothing between
    ``start`` and ``start + frames_`` (None: every one is taken there)."""
    rate = S.scene_rate(scene)
    tracks = list(scene.tracks)
    index = next(i for i, t in enumerate(tracks) if t is track)
    for candidate in [track, *tracks[index + 1:]]:
        if not S.is_audio(candidate) and not S.track_flag(candidate, "locked") and \
                _free(candidate, start, start + frames_, rate):
            return candidate
    return None


class PlaceOnNewTrack(C.Command):
    """A new video track on top of the scene with ``clip`` at ``at`` (one undo step)."""

    text = "Generate Clip"
    enforce_clip_limit = True

    def __init__(self, scene: otio.schema.Timeline, clip: otio.schema.Clip, at: int) -> None:
        super().__init__()
        self.scene, self.clip, self.at = scene, clip, at
        self.track: otio.schema.Track | None = None

    def build(self, project: Project, tx: Any) -> None:
        add = C.AddTrack(self.scene, "video")
        add.build(project, tx)
        self.track = add.track
        C.OverwriteClip(add.track, self.clip, self.at).build(project, tx)
        tx.notices.append(f"The generated clip went on a new track '{add.track.name}': the "
                          "video tracks had clips at that time.")


def place_command(project: Project, scene: otio.schema.Timeline, track: otio.schema.Track,
                  at_frame: int, clip: otio.schema.Clip, *, insert: bool = False) -> C.Command:
    """Put a placeholder on a video ``track`` of ``scene`` at ``at_frame`` without ever
    covering existing clips: there when that time is free on ``track``, else on the first
    video track above it that is free then, else on a new track on top; ``insert`` puts it
    on ``track`` and pushes later clips right."""
    if not any(t is track for t in scene.tracks):
        raise InvalidEditError(f"Track '{track.name}' is not in scene '{scene.name}'.")
    if S.is_audio(track):
        raise InvalidEditError(f"Generated clips go on a video track, not on '{track.name}'.")
    if isinstance(at_frame, bool) or not isinstance(at_frame, int):
        at_frame = int(round(at_frame))
    command: C.Command
    if insert:
        command = C.InsertClip(track, clip, at_frame)
    else:
        frames_ = S.frames(clip.source_range.duration, S.scene_rate(scene))
        target = free_video_track(scene, track, at_frame, frames_)
        command = C.OverwriteClip(target, clip, at_frame) if target is not None else \
            PlaceOnNewTrack(scene, clip, at_frame)
    command.text = "Generate Clip"
    command.enforce_clip_limit = True  # the design doc's limit holds for generated shots
    return command


def status_command(clip: otio.schema.Clip, status: str,
                   message: str | None = None) -> SetGeneration:
    """Record a failed or cancelled generation on the clip ("failed: reason" + Retry)."""
    text = {"failed": "Generation Failed", "cancelled": "Generation Cancelled"}.get(
        status, "Generation Status")
    command = SetGeneration(clip, text, status=status, message=message or "")
    command.job_id = generation_job(clip)
    return command


def result_command(project: Project, clip: otio.schema.Clip, job: Job) -> GenerationMacro:
    """The finished ``job``'s video as the clip's active take, one undo step "Generated Take":
    the placeholder's take is replaced (a Regenerate adds a new take instead), the file is
    added to the media bin, and the clip's generation record is marked done."""
    if not job.output_path:
        raise InvalidEditError(f"Job {job.id[:8]} has no video to place.")
    path = Path(job.output_path)
    track = clip.parent()
    if not isinstance(track, otio.schema.Track):
        raise InvalidEditError(f"Clip '{clip.name}' is not on a track any more.")
    rate = S.scene_rate(project.scene_of(track))
    info = probe(path)
    request = GenerationRequest.from_dict(S.to_py(job.request))
    ref = reference_for(project, path, info, rate, provenance(project, job, request, clip))
    keys = list(clip.media_references())
    replace = is_placeholder(clip)
    number = keys.index(clip.active_media_reference_key) + 1 if replace else len(keys) + 1
    name = readable_name(request.method, request.prompt, number)
    ref.name = name  # the Takes menus show it; the file in media/ keeps its id
    entry = {**bin_entry(project, path, info), "name": name}
    # an automatic regeneration after a failed quality check stays inactive when it
    # verified worse than the active take (both are kept; the Takes menu switches)
    from ..quality.takes import keep_new_take

    take = ReplaceTake(clip, ref) if replace else C.AddTake(
        clip, ref, activate=keep_new_take(clip, ref, job.id))
    commands: list[C.Command] = [
        take,
        AppendProjectEntry("bin", entry, "Generated Take", unique="url"),
        SetGeneration(clip, status="done", job_id=job.id, message=None, model=job.model),
    ]
    if getattr(take, "activate", True) and _auto_name(clip, request.method, request.prompt) \
            and clip.name != name:  # the clip is named after the take it shows
        commands.append(C.RenameItem(clip, name))
    return GenerationMacro("Generated Take", commands, job_id=job.id)


# --------------------------------------------------------------------------- provenance


def file_sha256(path: str | Path) -> str:
    """sha256 of a whole file (reference images and generation inputs are small)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_hashes(request: GenerationRequest) -> dict[str, str]:
    """sha256 of each file input that can still be read, by request field."""
    hashes = {}
    for name, path in request.file_inputs().items():
        try:
            hashes[name] = file_sha256(path)
        except OSError:
            continue
    return hashes


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).isoformat(timespec="seconds")


def provenance(project: Project, job: Job, request: GenerationRequest,
               clip: otio.schema.Clip | None = None) -> dict[str, Any]:
    """What made this take: request, model, endpoint, seed, inputs (with hashes), the remote
    request id, estimated and actual cost, timings and the master reference ids.

    Input hashes and reference ids recorded on the clip at submit time win over ones
    computed now (the files may have changed since)."""
    from .references import reference_id_for

    record = generation_record(clip) if clip is not None else {}
    info = dict(job.info or {})
    hashes = {**input_hashes(request), **(record.get("inputs") or {})}
    inputs = {name: {"path": str(path), "sha256": hashes.get(name)}
              for name, path in request.file_inputs().items()}
    refs = dict(record.get("references") or {})
    for field, key in (("character_ref", "character"), ("location_ref", "location")):
        path = getattr(request, field)
        if path is not None and key not in refs:
            ref_id = reference_id_for(project, path, hashes.get(field), key)
            if ref_id:
                refs[key] = ref_id
    seed = info.get("seed", request.seed)
    data: dict[str, Any] = {
        "job_id": job.id,
        "method": request.method,
        "provider": job.provider,
        "model": job.model,
        "endpoint": info.get("endpoint") or "",
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "seed": seed,
        "quality": request.quality,
        "aspect": request.aspect,
        "duration": request.duration,
        "request": {k: v for k, v in S.to_py(job.request).items() if v is not None},
        "inputs": inputs,
        "remote_request_id": job.remote_id or info.get("request_id") or "",
        "cost": {"currency": "USD", "estimated": float(job.est_cost or 0.0),
                 "actual": float(job.actual_cost or 0.0)},
        "timings": {
            "created": _iso(job.created_at), "submitted": _iso(job.submitted_at),
            "finished": _iso(job.finished_at), "queued_s": info.get("queued_s"),
            "generation_s": info.get("generation_s"),
            **({"provider": info["timings"]} if isinstance(info.get("timings"), dict) else {}),
        },
        "character_reference": refs.get("character"),
        "location_reference": refs.get("location"),
        # the quality verification's report (issue 15), the job's last step
        "quality_report": info.get("quality_report"),
    }
    if job.cached_from:
        data["cached_from"] = job.cached_from
    return _drop_none(data)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value

