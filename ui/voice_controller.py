"""Voice work for one editor window: dialogue batches, regenerated lines and sound effects
submitted to the shared job queue (the GenerationController's queue and consumer), polled on
a Qt timer and landed on the timeline as undo steps when their jobs finish. No widgets."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from aladdin_studio.voice.library import VoiceLibrary
from aladdin_studio.voice.providers.base import SoundRequest
from aladdin_studio.voice.script import ScriptLine
from aladdin_studio.voice.service import DialogueBatch, VoiceService

log = logging.getLogger(__name__)

__all__ = ["PendingBatch", "VoiceController"]


@dataclass
class PendingBatch:
    batch: DialogueBatch | None  # None while it is being submitted
    started: float = field(default_factory=time.monotonic)
    jobs: list[Any] = field(default_factory=list)
    placed: bool = False
    failed: str = ""
    clips: list[Any] = field(default_factory=list)  # the placed clips, line order
    placed_after: float = 0.0  # seconds from Generate to all clips on the timeline
    building: Future | None = None  # the placement command, made off the GUI thread
    submitting: Future | None = None  # the jobs, queued off the GUI thread
    queued_key: str | None = None  # from the project's queued dialogue (CLI without --wait)


class VoiceController(QObject):
    batch_updated = Signal(object)  # PendingBatch (statuses changed, placed or failed)
    take_added = Signal(object)  # the clip that got a new take
    sfx_placed = Signal(object)  # the sound-effect clip
    failed = Signal(str)  # a voice job failed: the reason

    def __init__(self, ctx: Any, generation: Any = None, *, provider: str | None = None,
                 library: VoiceLibrary | None = None, poll_ms: int = 100) -> None:
        super().__init__(ctx if isinstance(ctx, QObject) else None)
        self.ctx = ctx
        self.generation = generation or ctx.generation
        self.provider = provider
        self.library = library or VoiceLibrary()
        self.batches: list[PendingBatch] = []
        self.takes: dict[str, Any] = {}  # job id -> clip to add the take to
        self.sfx: dict[str, tuple[Any, float]] = {}  # job id -> (scene, at seconds)
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)
        # Building 20 clips (media info, cues, provenance) takes ~0.1-0.3 s: not on the GUI
        # thread. Only the push (one undo step) runs there.
        self._builder = ThreadPoolExecutor(1, thread_name_prefix="voice-place")
        if hasattr(ctx, "project_replaced"):
            ctx.project_replaced.connect(self._project_replaced)

    def _project_replaced(self, _project: Any) -> None:
        """Another project is open: what was pending belongs to the old one (its jobs stay
        in the ledger; dialogue queued in a project is adopted again when it reopens)."""
        self.batches = [b for b in self.batches if b.placed or b.failed]
        self.takes.clear()
        self.sfx.clear()

    @property
    def queue(self) -> Any:
        return self.generation.queue

    def service(self) -> VoiceService:
        return VoiceService(self.queue, self.queue.settings, provider=self.provider,
                            library=self.library)

    def _project_key(self) -> Any:
        location = self.ctx.project.location
        if location is None:
            from aladdin_studio.voice.errors import VoiceInputError

            raise VoiceInputError("Save the project first: generated voices are kept in its "
                                  "media folder.")
        return location.file

    def _started(self) -> None:
        self.generation.ensure_consumer()
        if not self.timer.isActive():
            self.timer.start()

    # ------------------------------------------------------------------ submitting

    def generate_script(self, lines: list[ScriptLine], *, start: float, gap: float,
                        overrides: list[dict[str, Any] | None] | None = None) -> PendingBatch:
        """Queue a script for the current scene; it lands at ``start`` when all lines are
        done, as one undo step."""
        if not lines:
            from aladdin_studio.voice.errors import VoiceInputError

            raise VoiceInputError("The script has no lines.")
        service, key, scene = self.service(), self._project_key(), self.ctx.scene
        pending = PendingBatch(None)
        # 20 ledger rows and queue messages take ~0.1-0.5 s: off the GUI thread
        pending.submitting = self._builder.submit(
            service.submit_script, self.ctx.project, key, scene, lines, start=start, gap=gap,
            overrides=overrides)
        self.batches.append(pending)
        self._started()
        return pending

    def regenerate(self, clip: Any, overrides: dict[str, Any] | None = None) -> str:
        job_id = self.service().regenerate(self.ctx.project, self._project_key(), clip,
                                           overrides)
        self.takes[job_id] = clip
        self._started()
        return job_id

    def generate_sfx(self, request: SoundRequest, at: float) -> str:
        job_id = self.service().submit_sfx(self._project_key(), request)
        self.sfx[job_id] = (self.ctx.scene, at)
        self._started()
        return job_id

    # ------------------------------------------------------------------ polling

    def adopt_queued(self) -> int:
        """Track the dialogue queued in the project by ``aladdin-studio dialogue`` without
        ``--wait``: its lines land here once the editor's consumer has made them."""
        from aladdin_studio.voice import pending as queued

        known = {p.queued_key for p in self.batches}
        added = 0
        for data in queued.queued(self.ctx.project):
            key = queued.key(data)
            if key in known:
                continue
            batch = queued.batch_from_dict(data)
            self.batches.append(PendingBatch(batch, queued_key=key))
            added += 1
        if added:
            self._started()
        return added

    def busy(self) -> bool:
        return bool(self.takes or self.sfx or any(
            not b.placed and not b.failed for b in self.batches))

    def poll(self) -> None:
        try:
            self._poll_batches()
            self._poll_takes()
            self._poll_sfx()
        except Exception:  # noqa: BLE001 - a busy ledger must not kill the timer
            log.exception("voice poll failed")
        if not self.busy():
            self.timer.stop()

    def _poll_batches(self) -> None:
        service = self.service()
        for pending in self.batches:
            if pending.placed or pending.failed:
                continue
            if pending.batch is None:
                if not pending.submitting.done():
                    continue
                try:
                    pending.batch = pending.submitting.result()
                except Exception as exc:  # noqa: BLE001 - shown to the user
                    pending.failed = str(exc)
                    self.failed.emit(str(exc))
                    self.batch_updated.emit(pending)
                    continue
                for note in pending.batch.report():
                    self.ctx.message.emit(note)
            jobs = service.jobs(pending.batch.job_ids, pending.batch.project)
            changed = [(j.status, j.message) for j in jobs] != [
                (j.status, j.message) for j in pending.jobs]
            pending.jobs = jobs
            if all(j.done for j in jobs):
                bad = service.failures(jobs)
                if bad:
                    pending.failed = "; ".join(bad)
                    self.failed.emit(f"{len(bad)} line(s) failed: {pending.failed}")
                    changed = True
                elif pending.building is None:
                    pending.building = self._builder.submit(
                        service.place_command, self.ctx.project, pending.batch)
                elif pending.building.done():
                    changed = True
                    try:
                        macro = pending.building.result()
                    except Exception as exc:  # noqa: BLE001 - shown to the user
                        pending.failed = str(exc)
                        self.failed.emit(str(exc))
                    else:
                        if pending.queued_key is not None:  # and no longer queued: same step
                            macro.commands.append(_unqueue(self.ctx.project,
                                                           pending.queued_key))
                        if self.ctx.push(macro):
                            service.record_usage(pending.batch)
                            pending.placed = True
                            pending.clips = list(macro.clips)
                            pending.placed_after = time.monotonic() - pending.started
                        else:
                            pending.failed = "the timeline refused the lines"
            if changed:
                self.batch_updated.emit(pending)

    def _poll_takes(self) -> None:
        service = self.service()
        for job_id, clip in list(self.takes.items()):
            job = self.queue.store.get(job_id)
            if not job.done:
                continue
            del self.takes[job_id]
            if job.status != "succeeded":
                self.failed.emit(f"Regenerating '{clip.name}' failed: {job.error_message}")
                continue
            if self.ctx.push(service.take_command(self.ctx.project, clip, job_id)):
                self.take_added.emit(clip)

    def _poll_sfx(self) -> None:
        service = self.service()
        for job_id, (scene, at) in list(self.sfx.items()):
            job = self.queue.store.get(job_id)
            if not job.done:
                continue
            del self.sfx[job_id]
            if job.status != "succeeded":
                self.failed.emit(f"The sound effect failed: {job.error_message}")
                continue
            macro = service.sfx_command(self.ctx.project, scene, job_id, at)
            if self.ctx.push(macro):
                self.sfx_placed.emit(macro.clips[0])


def _unqueue(project: Any, key: str) -> Any:
    from aladdin_studio.timeline.commands import SetProjectMeta
    from aladdin_studio.voice import pending as queued

    rest = [d for d in queued.queued(project) if queued.key(d) != key]
    return SetProjectMeta(queued.META_KEY, rest, "Generate Dialogue")
