"""The ``assemble_clips`` job kind: a scene assembled from given clips (the automation API's
design-doc 7.2 body) gets its dialogue spoken from text, then is rendered, in ONE job.

The scene itself (clips, transitions, audio files) is built before the job is queued, with
the timeline's commands, so a bad request is refused at once. The job then:

1. ``voice``: the lines (character, text, start time) go to the voice service as the
   director's audio stage sends a brief's dialogue (``VoiceService.submit_script`` with
   each line's time: voice jobs on the same queue, the offline espeak-ng voices or
   ElevenLabs, identical lines reused from the ledger), and waits for them;
2. ``place``: the finished lines on the scene's dialogue track at their times
   (``VoiceService.place_command``), one undo step written through
   :func:`~aladdin_studio.director.edits.apply_stage` (the editor's undo stack when it has
   the project open, else on disk under the writer lock);
3. ``render``: the export kind's runner on the saved scene (its progress scaled into the
   rest of this job's bar).

The voice batch is kept in ``info["voicing"]`` as soon as it is queued, so a job re-run
after a restart waits for the same voice jobs instead of queueing new ones, and does not
place the lines twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import AladdinError, ErrorKind
from ..jobs.context import JobContext
from ..jobs.kinds import JobKind, JobStopped, KindLimits, register_kind
from ..jobs.store import ACTIVE, Job

if TYPE_CHECKING:
    from ..voice.service import DialogueBatch, VoiceService

__all__ = ["ASSEMBLE_CLIPS", "ClipAssemblyError", "ClipAssemblyPayload", "SpokenLine",
           "run_clip_assembly"]

VOICE_SHARE = 0.4  # of the progress bar, when there are lines to speak
POLL_S = 0.1


class ClipAssemblyError(AladdinError):
    """A line could not be voiced or placed, or the scene is gone."""

    kind = ErrorKind.INVALID_INPUT


@dataclass(frozen=True)
class SpokenLine:
    """One line to speak: the character's name (as the project knows it), the text and
    the seconds from the scene's start."""

    character: str
    text: str
    at: float
    emotion: str = ""


@dataclass(frozen=True)
class ClipAssemblyPayload:
    """The assembled ``scene`` of ``export["project_file"]``: ``lines`` to speak, then the
    render described by ``export`` (an ``ExportPayload.to_dict()``)."""

    scene: str
    export: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    assembly: dict[str, Any] = field(default_factory=dict)  # what the request asked for

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClipAssemblyPayload:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def project_file(self) -> str:
        return str(self.export["project_file"])

    def spoken(self) -> list[SpokenLine]:
        return [SpokenLine(**line) for line in self.lines]


class _RenderShare(JobContext):
    """The run's context with progress mapped into ``[start, 1]`` (the render's part)."""

    def __init__(self, ctx: JobContext, start: float) -> None:
        super().__init__(ctx.queue, ctx.job, ctx.worker, ctx.kind)
        self.start = start

    def progress(self, fraction: float, message: str | None = None, **values: Any) -> None:
        super().progress(self.start + (1.0 - self.start) * fraction, message, **values)


class _Run:
    def __init__(self, job: Job, ctx: JobContext) -> None:
        self.job, self.ctx = job, ctx
        self.payload = ClipAssemblyPayload.from_dict(job.payload)
        self.state: dict[str, Any] = dict((job.info or {}).get("voicing") or {})

    def _save(self, fraction: float, message: str) -> None:
        info = {**(self.ctx.job.info or {}), "voicing": self.state}
        self.ctx.progress(fraction, message, info=info, status="running")

    def execute(self) -> dict[str, Any]:
        lines = self.payload.spoken()
        start = 0.0
        if lines:
            start = VOICE_SHARE
            if not self.state.get("placed"):
                self._voice(lines)
        from ..services.render import run_export

        result = run_export(replace(self.job, payload=self.payload.export),
                            _RenderShare(self.ctx, start))
        result["info"] = {**(self.ctx.job.info or {}), **result.get("info", {}),
                          "assembly": {"sceneId": self.payload.scene, **self.payload.assembly}}
        return result

    # --- 1-2. voice and place ---------------------------------------------------------

    def _voice(self, lines: list[SpokenLine]) -> None:
        from ..voice.pending import batch_from_dict, batch_to_dict
        from ..voice.service import VoiceService

        voice = VoiceService(self.ctx.queue, self.ctx.settings)
        batch = batch_from_dict(self.state["batch"]) if self.state.get("batch") else None
        if batch is None:
            batch = self._submit(voice, lines)
            self.state["batch"] = batch_to_dict(batch)
            self._save(0.02, f"Voicing {len(lines)} line(s) ({batch.provider})")
        jobs = self._wait(voice, batch)
        failures = voice.failures(jobs)
        if failures:
            raise ClipAssemblyError(f"{len(failures)} line(s) could not be voiced: "
                                    + "; ".join(failures))
        self._place(voice, batch)
        self.state.update(placed=True, lines=len(lines),
                          cost=round(sum(j.actual_cost or 0.0 for j in
                                         {j.id: j for j in jobs}.values()), 4))
        self._save(VOICE_SHARE, f"Placed {len(lines)} line(s) on the dialogue track")

    def _scene(self, project: Any) -> Any:
        from .assembly import director_scene

        scene = director_scene(project, self.payload.scene)
        if scene is None:
            raise ClipAssemblyError(f"The scene '{self.payload.scene}' is gone from the "
                                    "project.")
        return scene

    def _submit(self, voice: VoiceService, lines: list[SpokenLine]) -> DialogueBatch:
        from ..voice.script import ScriptLine
        from .edits import read_project

        project = read_project(self.payload.project_file)
        script = [ScriptLine(line.character, line.text, line.emotion, at=line.at)
                  for line in lines]
        return voice.submit_script(project, self.job.project, self._scene(project), script)

    def _wait(self, voice: VoiceService, batch: DialogueBatch) -> list[Job]:
        """The batch's voice jobs once all are done (their consumers run them); progress
        into this job, which stops (and cancels them) when it is cancelled. While a line
        waits for a worker this run parks (``ChildWait``) and comes back here later."""
        from ..jobs.children import ChildWait

        ids = list(dict.fromkeys(batch.job_ids))
        last, beat = "", time.monotonic()
        children = ChildWait(self.ctx)
        while True:
            jobs = voice.jobs(ids, batch.project)
            done = sum(j.done for j in jobs)
            share = sum(1.0 if j.done else j.progress for j in jobs) / max(1, len(jobs))
            message = f"Voicing lines: {done}/{len(jobs)} done"
            try:
                if message != last:
                    self._save(0.02 + (VOICE_SHARE - 0.07) * share, message)
                    last, beat = message, time.monotonic()
                elif time.monotonic() - beat > 1.0:  # alive (and not cancelled)
                    self.ctx.set()
                    beat = time.monotonic()
            except JobStopped:
                self._cancel_voice(ids)
                raise
            if done == len(jobs):
                return jobs
            children.check(jobs)
            time.sleep(POLL_S)

    def _cancel_voice(self, ids: list[str]) -> None:
        try:
            if self.ctx.store.get(self.job.id).status != "cancelled":
                return
        except KeyError:
            return
        for job_id in ids:
            try:
                if self.ctx.store.get(job_id).status in ACTIVE:
                    self.ctx.queue.cancel(job_id)
            except (KeyError, AladdinError):
                continue

    def _place(self, voice: VoiceService, batch: DialogueBatch) -> None:
        from .edits import apply_stage

        apply_stage(self.payload.project_file,
                    lambda p: voice.place_command(p, batch, self._scene(p)),
                    writer="the automation API (scene assembly)")
        voice.record_usage(batch)


def run_clip_assembly(job: Job, ctx: JobContext) -> dict[str, Any]:
    return _Run(job, ctx).execute()


def _label(job: Job) -> str:
    lines = len(job.payload.get("lines") or [])
    spoken = f", {lines} spoken line(s)" if lines else ""
    return f"assemble: {job.payload.get('scene', '')}{spoken}"


def _children(queue: Any, job: Job) -> list[str]:
    """The voice jobs this assembly queued (cancelled with it, even while it is parked)."""
    batch = ((job.info or {}).get("voicing") or {}).get("batch") or {}
    return list(dict.fromkeys(str(line["job_id"]) for line in batch.get("lines") or []
                              if line.get("job_id")))


ASSEMBLE_CLIPS = register_kind(JobKind(
    name="assemble_clips", payload=ClipAssemblyPayload, run=run_clip_assembly, label=_label,
    noun="scene assembly", children=_children, limits=KindLimits(concurrent=1,
                                                                 max_attempts=1)))
