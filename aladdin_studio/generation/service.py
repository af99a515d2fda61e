"""Generation for one open project, without Qt: submit a request and get back the timeline
command that places it; later, turn finished jobs into the commands that land their results.

The caller (the editor's controller, the ``generate`` command) owns the undo stack: it pushes
the commands this service returns and confirms results with :meth:`mark_applied`, so a job's
take lands exactly once even across restarts (the job ledger remembers ``take_applied``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..jobs import ACTIVE, Job, JobQueue, JobStore
from ..timeline import commands as C
from ..timeline import schema as S
from ..timeline.document import Project, video_clip_count
from ..timeline.errors import ClipLimitError, InvalidEditError, LockedTrackError, TimelineError
from ..timeline.layout import track_end
from ..timeline.probe import MediaProbeError
from . import placement as P
from . import references as R
from .commands import SetGeneration
from .errors import InvalidInputError, ProviderAuthError
from .job_kind import Placement, chain
from .providers.factory import provider_name
from .request import GenerationRequest

__all__ = ["GenerationService", "project_key"]

log = logging.getLogger(__name__)
LAND_BUDGET_S = 0.02  # per finished_commands() call (see there)
_REFERENCE_FIELDS = (("character_ref", "character"), ("location_ref", "location"))


def _absolute(request: GenerationRequest) -> GenerationRequest:
    """A copy of ``request`` whose file inputs are absolute paths."""
    files = {name: path.absolute() for name, path in request.file_inputs().items()}
    return replace(request, **files) if files else replace(request)


def project_key(project: Project) -> str | None:
    """How the job ledger names ``project``: its project file's absolute path."""
    return str(project.location.file) if project.location is not None else None


def _check_clip_limit(scene: otio.schema.Timeline, count: int) -> None:
    """Refuse (as the timeline would) a change leaving ``count`` video clips in ``scene``."""
    limit = S.scene_max_clips(scene)
    if count > limit:
        raise ClipLimitError(
            f"Scene '{scene.name}' can hold at most {limit} video clips; this edit would make "
            f"{count}. Split the scene or remove a clip first.")


class GenerationService:
    """Submits generations for ``project`` through ``queue`` and lands their results."""

    def __init__(self, project: Project, queue: JobQueue, store: JobStore | None = None) -> None:
        self.project = project
        self.queue = queue
        self.store = store if store is not None else queue.store

    # ------------------------------------------------------------------ submitting

    def submit(self, request: GenerationRequest, *, scene: Any = None, track: Any = None,
               at: int | None = None, clip: otio.schema.Clip | None = None,
               new_take: bool = False, insert: bool = False,
               hold: bool = False) -> tuple[Job, C.Command | None]:
        """Validate and queue ``request``; return the job and the command to push.

        Without ``clip``: a placeholder clip on ``track`` (a Track or its name; default the
        scene's first video track) of ``scene`` (a Timeline, name or index; default the
        first) at frame ``at`` (default: the end of the track), overwriting what lies there
        (``insert`` pushes it right). With ``clip`` (Regenerate): the clip records the new job
        and its result becomes a new take. References the request uses that are not in the
        project's library are added to it. ``new_take`` skips the result cache.

        Raises InvalidInputError / GenerationLimitError / ProviderAuthError (for the user)
        and TimelineError for a target the timeline cannot take.

        ``hold``: the job waits (nothing is paid) until :meth:`release`, once the command is
        pushed and the project saved; :meth:`abandon` it when that fails.
        """
        project = self.project
        key = project_key(project)
        if key is None:
            raise InvalidInputError("Save the project first: generated videos go into its "
                                    "media folder.")
        request = _absolute(request)  # workers may run in another directory
        request.validate(self.queue.registry)
        self._check_provider()
        if clip is not None:
            track = clip.parent()
            if not isinstance(track, otio.schema.Track):
                raise InvalidEditError(f"Clip '{clip.name}' is not on a track.")
            scene = project.scene_of(track)
            rate = S.scene_rate(scene)
            at = S.frames(clip.range_in_parent().start_time, rate)
        else:
            scene = scene if isinstance(scene, otio.schema.Timeline) else project.scene(scene)
            track = self.resolve_track(scene, track)
            rate = S.scene_rate(scene)
            at = track_end(track, rate) if at is None else int(round(at))
            if at < 0:
                raise InvalidEditError("A generated clip cannot start before the scene.")
            # a placeholder never replaces a clip (placement): refuse before paying
            _check_clip_limit(scene, video_clip_count(scene) + 1)
        if S.is_audio(track):
            raise InvalidEditError(f"Generated clips go on a video track, not on "
                                   f"'{track.name}'.")
        if S.track_flag(track, "locked"):
            raise LockedTrackError(f"Track '{track.name}' is locked. Unlock it to generate "
                                   "clips on it.")
        record_extra = self._record_extra(request)
        ref_commands = self._reference_commands(request, record_extra)

        job = self.queue.submit(request, key,
                                Placement(scene=scene.name, track=track.name, at=at / rate),
                                new_take=new_take, hold=hold)
        prompt = P.clean_prompt(request.prompt)
        if clip is not None:
            command: C.Command = SetGeneration(
                clip, "Regenerate", job_id=job.id, method=request.method, prompt=prompt,
                status="queued", message=None, **record_extra)
        else:
            new = P.placeholder_clip(request, job.id, rate)
            S.ns(new)[P.META_KEY].update(record_extra)
            command = P.place_command(project, scene, track, at, new, insert=insert)
        if ref_commands:
            command = C.Macro(command.text, [*ref_commands, command])
        return job, command

    def _check_provider(self) -> None:
        settings = self.queue.settings
        if provider_name(settings) == "fal" and not (settings.fal_api_key or "").strip():
            raise ProviderAuthError("No FAL API key is set (FAL_KEY or FAL_API_KEY, or the "
                                    "keyring); set one or use the local provider.")

    @staticmethod
    def resolve_track(scene: otio.schema.Timeline, track: Any) -> otio.schema.Track:
        """``track`` (a Track, a track name, or None: the first video track) of ``scene``."""
        video = [t for t in scene.tracks if not S.is_audio(t)]
        if isinstance(track, otio.schema.Track):
            if not any(t is track for t in scene.tracks):
                raise InvalidEditError(f"Track '{track.name}' is not in scene '{scene.name}'.")
            return track
        if track is None:
            if not video:
                raise InvalidEditError(f"Scene '{scene.name}' has no video track.")
            return video[0]
        found = next((t for t in scene.tracks if t.name == str(track)), None)
        if found is None:
            names = ", ".join(t.name for t in video)
            raise InvalidEditError(f"No track named {str(track)!r}; video tracks: {names}.")
        return found

    def _record_extra(self, request: GenerationRequest) -> dict[str, Any]:
        """Input hashes and reference ids as submitted, for the take's provenance."""
        extra: dict[str, Any] = {"inputs": P.input_hashes(request)}
        refs = {}
        for field, kind in _REFERENCE_FIELDS:
            path = getattr(request, field)
            if path is not None:
                ref_id = R.reference_id_for(self.project, path, extra["inputs"].get(field), kind)
                if ref_id:
                    refs[kind] = ref_id
        extra["references"] = refs
        return extra

    def _reference_commands(self, request: GenerationRequest,
                            extra: dict[str, Any]) -> list[C.Command]:
        """Add the references the request uses that the library lacks (ids into ``extra``)."""
        commands = []
        for field, kind in _REFERENCE_FIELDS:
            path = getattr(request, field)
            if path is None or kind in extra["references"]:
                continue
            command = R.add_reference(self.project, path, kind)
            extra["references"][kind] = command.entry["id"]
            commands.append(command)
        return commands

    # ------------------------------------------------------------------ the ledger

    def jobs(self, project: Project | None = None, limit: int = 200) -> list[Job]:
        """The project's jobs, newest first."""
        key = project_key(project or self.project)
        return self.store.list(project=key, limit=limit) if key else []

    def pending(self, project: Project | None = None) -> list[Job]:
        """The project's jobs still queued, submitted or running."""
        key = project_key(project or self.project)
        return self.store.list(project=key, limit=10_000, status=ACTIVE) if key else []

    def finished_commands(self, project: Project | None = None, *,
                          budget_s: float | None = LAND_BUDGET_S) -> list[C.Command]:
        """Commands landing every finished job that is not applied yet, one per generation
        clip: the generated take (:func:`placement.result_command`) or the failed/cancelled
        status. Each has ``job_id``; confirm with :meth:`mark_applied` once pushed.

        Building a take probes its file (a few ms), so after ``budget_s`` seconds the rest
        is left for the next call (a UI tick stays short when many jobs finish at once);
        ``budget_s=None`` returns them all."""
        project = project or self.project
        commands: list[C.Command] = []
        cache: dict[str, Job | None] = {}
        start = time.perf_counter()
        for clip, job_id in P.find_generation_clips(project):
            if commands and budget_s is not None and time.perf_counter() - start > budget_s:
                break
            if job_id not in cache:
                try:
                    cache[job_id] = self.store.get(job_id)
                except KeyError:
                    cache[job_id] = None
            job = cache[job_id]
            if job is None or not job.done or job.take_applied:
                continue
            record = P.generation_record(clip)
            if job.status == "succeeded" and record.get("status") == "done" \
                    and record.get("job_id") == job.id:
                self.mark_applied(job.id)  # landed, but not confirmed (e.g. a crash)
                continue
            commands.append(self._outcome(project, clip, job))
        return commands

    def _outcome(self, project: Project, clip: otio.schema.Clip, job: Job) -> C.Command:
        if job.status == "succeeded":
            try:
                landing = P.result_command(project, clip, job)
            except (MediaProbeError, TimelineError, InvalidInputError) as exc:
                command = P.status_command(clip, "failed", f"The result cannot be used: {exc}")
            else:  # a take that failed its quality check is regenerated (issue 15)
                from ..quality.regenerate import with_auto_regeneration

                return with_auto_regeneration(self, clip, job, landing)
        elif job.status == "cancelled":
            command = P.status_command(clip, "cancelled", job.message or "Cancelled")
        else:
            command = P.status_command(clip, "failed",
                                       job.error_message or job.message or "Generation failed")
        command.job_id = job.id
        return command

    def mark_applied(self, job_id: str) -> None:
        """The caller pushed (or gave up on) ``job_id``'s command: never offer it again.
        A generated take now on the timeline goes into the media collection and the Brain
        (best effort: the library never blocks landing a take)."""
        self.store.update(job_id, take_applied=True)
        try:
            from ..library.record import record_generation_landed

            record_generation_landed(self.project, job_id, self.queue.settings)
        except Exception as exc:  # noqa: BLE001 - logged; the take has landed regardless
            log.warning("job %s: not recorded in the media library: %s", job_id, exc)

    # ------------------------------------------------------------------ held jobs

    def release(self, job_id: str) -> Job:
        """The placeholder of held ``job_id`` is saved: run the job."""
        return self.queue.release(job_id)

    def abandon(self, job_id: str, reason: str) -> Job:
        """The placeholder of ``job_id`` could not be placed or saved: never run it."""
        return self.queue.abandon(job_id, reason)

    def reconcile_held(self, grace_s: float = 60.0) -> tuple[list[str], list[str]]:
        """Held jobs of this project left by a submitter that died between saving and
        releasing: release those whose placeholder is in the project, abandon those older
        than ``grace_s`` whose placeholder is not. Returns (released, abandoned) ids."""
        key = project_key(self.project)
        if key is None:
            return [], []
        placed = {job_id for _clip, job_id in P.find_generation_clips(self.project)}
        released, abandoned = [], []
        for job in self.store.list(project=key, limit=10_000, status=("queued",)):
            if not job.info.get("held"):
                continue
            if job.id in placed:
                self.release(job.id)
                released.append(job.id)
            elif time.time() - job.created_at > grace_s:
                self.abandon(job.id, "its placeholder clip was never saved in the project")
                abandoned.append(job.id)
        return released, abandoned

    def orphan_results(self) -> list[Job]:
        """Succeeded jobs of this project not landed yet whose clip is not in the project
        (the placeholder was deleted, or never saved): their media would be lost."""
        key = project_key(self.project)
        if key is None:
            return []
        placed = {job_id for _clip, job_id in P.find_generation_clips(self.project)}
        return [job for job in self.store.list(project=key, limit=10_000,
                                               status=("succeeded",), kind="generation")
                if not job.take_applied and job.id not in placed and job.output_path
                and Path(job.output_path).is_file()]

    def orphan_command(self, jobs: list[Job]) -> C.Command | None:
        """One step adding the results of ``jobs`` (see :meth:`orphan_results`) to the media
        bin, each with its generation provenance, so nothing paid for is lost."""
        from ..timeline.media import bin_entries, bin_entry
        from ..timeline.probe import probe

        entries = bin_entries(self.project)
        known = {e.get("url") for e in entries}
        added = []
        for job in jobs:
            try:
                entry = bin_entry(self.project, job.output_path, probe(job.output_path))
            except (MediaProbeError, OSError):
                continue
            if entry["url"] in known:
                continue
            entry["generation"] = {"job_id": job.id, "model": job.model,
                                   "prompt": P.clean_prompt(str(job.payload.get("prompt", ""))),
                                   "method": job.payload.get("method")}
            known.add(entry["url"])
            added.append(entry)
        if not added:
            return None
        return C.SetProjectMeta("bin", entries + added, "Add Generated Media to the Bin")

    # ------------------------------------------------------------------ control

    def cancel(self, job_id: str) -> Job:
        return self.queue.cancel(job_id)

    def retry(self, job_id: str) -> Job:
        """Run a failed or cancelled job again; its result lands when it succeeds."""
        self.queue.retry(job_id)
        return self.store.update(job_id, take_applied=False)

    def estimate(self, request: GenerationRequest) -> tuple[str, float, list[str]]:
        """(model id, USD, chain of model ids) for ``request`` with the configured provider."""
        name = provider_name(self.queue.settings)
        entries = chain(self.queue, request, name)
        if not entries:
            raise InvalidInputError(f"No {name} model can do {request.method} at "
                                    f"{request.quality} quality with these inputs.")
        return entries[0].id, entries[0].estimate_cost(request.duration), [e.id for e in entries]
