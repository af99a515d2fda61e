"""The ``assemble`` job kind: a brief becomes a generated, verified, assembled, voiced,
rendered (and published) scene in ONE resumable job.

Steps (the Video Department Head coordinating its specialists, design doc 4-5):

1. ``assess``: validate, resolve references, estimate cost/time; a missing reference stops
   the job naming it unless the payload says to continue without it;
2. ``generate``: every shot is a "generation" job on the same queue (they run concurrently,
   up to the generation kind's limit), each with its model chain (fallbacks);
3. ``verify``: each shot's quality report (the generation job's last step, ``quality``);
   failing shots are regenerated with the report's suggestions up to ``max_retries``
   times, every take kept;
4. ``assemble``: the scene on the timeline (one undo step), slates for missing shots; fewer
   than 80 % of the shots made fails the job;
5. ``audio``: dialogue voiced (``voice``) and placed at shot N + offset, music, sound
   effects and levels (one undo step); loudness is the render's master bus;
6. ``render``: an "export" job with the preset; 7. ``publish`` (when asked): a "publish"
   job; 8. ``report``: the department report saved beside the render as JSON.

State lives in the job's ``info["director"]`` and is written as each step moves, so a job
re-run after a kill continues where it stopped: finished steps are not redone and the
sub-jobs it queued are found again (each carries a tag ``info["director"]`` naming this job,
the shot and the attempt, written in the same ledger row it is created with), so every
shot is submitted exactly once; a generation that was running re-attaches to its remote
request (the generation kind's own resume).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AladdinError, ErrorKind
from ..jobs.context import JobContext
from ..jobs.kinds import JobKind, JobStopped, KindLimits, get_kind, register_kind
from ..jobs.store import ACTIVE, Job
from .brief import Brief

__all__ = ["ASSEMBLE", "STEPS", "AssemblePayload", "DirectorError", "run_assemble"]

log = logging.getLogger(__name__)

STEPS = ("assess", "generate", "verify", "assemble", "audio", "render", "publish", "report")
WEIGHTS = {"assess": 0.02, "generate": 0.45, "verify": 0.13, "assemble": 0.05,
           "audio": 0.12, "render": 0.17, "publish": 0.04, "report": 0.02}
PARTIAL_SHARE = 0.8  # design doc, Graceful Degradation
POLL_S = 0.1


class DirectorError(AladdinError):
    """The director cannot go on (missing reference, too few shots, a failed render)."""

    kind = ErrorKind.INVALID_INPUT


@dataclass(frozen=True)
class AssemblePayload:
    """One run of a brief on a project (``brief``: the checked document)."""

    project_file: str
    brief: dict[str, Any]
    base_dir: str
    brief_file: str = ""
    preset: str | None = None  # default: the brief's, else "draft"
    publish: bool | None = None  # default: the brief's
    destination: str = "auto"
    continue_without_missing: bool = False
    max_retries: int = 2

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AssemblePayload:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})

    def the_brief(self) -> Brief:
        return Brief.from_dict(self.brief, base_dir=self.base_dir)

    @property
    def preset_name(self) -> str:
        return self.preset or self.brief.get("preset") or "draft"

    @property
    def wants_publish(self) -> bool:
        return bool(self.brief.get("publish")) if self.publish is None else self.publish


def _prepare(queue: Any, payload: AssemblePayload, project: str | Path) -> dict[str, Any]:
    """Check the brief (again) before the job is written; the estimate goes in the row."""
    from .assess import assess
    from .brief import parse_brief
    from .edits import read_project

    parse_brief(Brief.from_dict(payload.brief).to_yaml(), base_dir=payload.base_dir,
                source=Path(payload.brief_file).name or "brief")
    from ..render.presets import get_preset

    get_preset(payload.preset_name)  # an unknown preset: PresetError now, not at the end
    assessment = assess(payload.the_brief(), read_project(payload.project_file), queue)
    return {"est_cost": round(assessment.est_cost, 4), "provider": assessment.provider,
            "model": payload.preset_name, "scene": payload.brief.get("scene"),
            "info": {"estimate": assessment.to_dict()}}


# --------------------------------------------------------------------------- the run


@dataclass
class _Shot:
    index: int
    name: str
    seconds: float
    status: str = "pending"  # pending|generating|verifying|regenerating|done|failed
    jobs: list[str] = field(default_factory=list)  # one per attempt
    best: str | None = None
    score: float | None = None
    passed: bool | None = None
    progress: float = 0.0
    output: str | None = None
    reason: str = ""
    issues: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)  # the best take's failing checks
    cost: float = 0.0


class AssembleRun:
    """One run of a claimed assemble job (see the module docstring)."""

    def __init__(self, job: Job, ctx: JobContext) -> None:
        self.job, self.ctx = job, ctx
        self.queue, self.store = ctx.queue, ctx.store
        self.payload = AssemblePayload.from_dict(job.payload)
        self.brief = self.payload.the_brief()
        self.project = self.payload.project_file
        state = dict((job.info or {}).get("director") or {})
        if not state:
            state = {"steps": {s: {"status": "pending", "seconds": 0.0} for s in STEPS},
                     "shots": [asdict(_Shot(i, s.get("name") or f"Shot {i}",
                                            float(s["duration"])))
                               for i, s in enumerate(self.brief.shots, start=1)],
                     "issues": [], "suggestions": [], "missing": [], "started": time.time()}
        self.state = state
        self.shots = [_Shot(**s) for s in state["shots"]]
        self._last_save = 0.0

    # --- ledger -----------------------------------------------------------------------

    def save(self, fraction: float | None = None, message: str | None = None,
             force: bool = True) -> None:
        now = time.monotonic()
        if not force and now - self._last_save < 0.25:
            return
        self._last_save = now
        self.state["shots"] = [asdict(s) for s in self.shots]
        info = {**(self.ctx.job.info or {}), "director": self.state}
        values: dict[str, Any] = {"info": info, "status": "running"}
        if fraction is not None:
            self.ctx.progress(fraction, message, **values)
        else:
            self.ctx.set(**values)

    def _fraction(self, step: str, within: float) -> float:
        done = sum(WEIGHTS[s] for s in STEPS[:STEPS.index(step)])
        return min(0.99, done + WEIGHTS[step] * max(0.0, min(1.0, within)))

    def step_state(self, step: str) -> dict[str, Any]:
        return self.state["steps"][step]

    # --- the pipeline -----------------------------------------------------------------

    def execute(self) -> dict[str, Any]:
        from .assess import package_available

        try:
            for step in STEPS:
                entry = self.step_state(step)
                if entry["status"] in ("done", "skipped"):
                    continue
                skip = self._skip_reason(step, package_available)
                if skip:
                    entry.update(status="skipped", reason=skip)
                    self.save(self._fraction(step, 1.0), f"Skipped {step}: {skip}")
                    continue
                entry["status"] = "running"
                entry.setdefault("began", time.time())  # kept across parks and restarts
                self.save(self._fraction(step, 0.0), f"{step.title()}…")
                try:
                    getattr(self, f"_{step}")()
                finally:  # wall-clock: a parked step's time counts
                    entry["seconds"] = round(time.time() - entry["began"], 3)
                entry["status"] = "done"
                self.save(self._fraction(step, 1.0), f"{step.title()} done")
        except DirectorError as exc:
            self._fail(str(exc))
            raise JobStopped from None
        except JobStopped:
            self._on_stop()
            raise
        report = self.state["report"]
        return {"output_path": self.state.get("render") or self.state.get("report_path"),
                "actual_cost": report["cost"]["actual"],
                "info": {**(self.ctx.job.info or {}), "director": self.state},
                "message": f"Scene {report['status']}: {report['summary']}"}

    def _skip_reason(self, step: str, available: Callable[[str], bool]) -> str:
        if step == "publish" and not self.payload.wants_publish:
            return "not asked for"
        if step == "audio" and not (self.brief.dialogue or self.brief.music or self.brief.sfx):
            return "the brief has no dialogue, music or sound effects"
        if step in ("verify", "audio", "publish") and not available(step):
            return f"this build has no {step} package"
        return ""

    def _fail(self, reason: str) -> None:
        """Stop with a report saying why (the job fails with the same reason)."""
        from .report import build_report, save_report

        self.state["issues"].append(reason)
        for step in STEPS:
            if self.step_state(step)["status"] == "running":
                self.step_state(step)["status"] = "failed"
                self.step_state(step)["reason"] = reason
        report = build_report(self, failed=reason)
        self.state["report"] = report
        try:
            self.state["report_path"] = str(save_report(self, report))
        except OSError as exc:
            log.warning("assemble %s: report not saved: %s", self.job.id, exc)
        info = {**(self.ctx.job.info or {}), "director": {**self.state,
                                                          "shots": [asdict(s) for s in
                                                                    self.shots]}}
        self.ctx.fail("DirectorError", reason, info=info,
                      actual_cost=report["cost"]["actual"],
                      output_path=self.state.get("report_path"))

    def _on_stop(self) -> None:
        """Cancelled: stop the shots still running (a shutdown leaves them to resume)."""
        try:
            if self.store.get(self.job.id).status != "cancelled":
                return
        except KeyError:
            return
        for shot in self.shots:
            for job_id in shot.jobs:
                try:
                    if self.store.get(job_id).status in ACTIVE:
                        self.queue.cancel(job_id)
                except (KeyError, AladdinError):
                    continue
        for job_id in self.state.get("subjobs", {}).values():
            ids = job_id if isinstance(job_id, list) else [job_id]
            for one in ids:
                try:
                    if self.store.get(one).status in ACTIVE:
                        self.queue.cancel(one)
                except (KeyError, AladdinError):
                    continue

    # --- sub-jobs ---------------------------------------------------------------------

    def _tag(self, role: str, **extra: Any) -> dict[str, Any]:
        return {"job": self.job.id, "role": role, **extra}

    def _find_tagged(self, kind: str, tag: dict[str, Any]) -> Job | None:
        for job in self.store.list(project=self.job.project, limit=10_000, kind=kind):
            if (job.info or {}).get("director") == tag:
                return job
        return None

    def submit(self, payload: Any, tag: dict[str, Any], *args: Any,
               columns_extra: dict[str, Any] | None = None, known: str | None = None,
               **options: Any) -> Job:
        """Queue ``payload`` once: the job ``known`` (its id in the state) or a job carrying
        ``tag`` (written with its row; a finished export's result replaces it) is reused."""
        from ..jobs.kinds import kind_for_payload

        if known is not None:
            try:
                return self.store.get(known)
            except KeyError:
                pass
        kind = kind_for_payload(payload)
        found = self._find_tagged(kind.name, tag)
        if found is not None:
            return found
        columns = kind.prepare(self.queue, payload, self.job.project, *args, **options) \
            if kind.prepare else {}
        columns["info"] = {**columns.get("info", {}), "director": tag}
        columns.update(columns_extra or {})
        return self.queue.add(kind, payload.to_dict(), self.job.project, **columns)

    def wait(self, job_ids: list[str], step: str,
             on_poll: Callable[[list[Job]], None] | None = None) -> list[Job]:
        """Poll the ledger until every job is done (the queue's consumers run them). While
        one of them waits for a worker this run parks (``ChildWait``): the job runs again
        later and, its state saved, comes back to this wait."""
        from ..jobs.children import ChildWait

        children = ChildWait(self.ctx)
        while True:
            jobs = [self.store.get(j) for j in job_ids]
            if on_poll is not None:
                on_poll(jobs)
            done = sum(j.done for j in jobs)
            share = sum(1.0 if j.done else j.progress for j in jobs) / max(1, len(jobs))
            self.save(self._fraction(step, share),
                      f"{step.title()}: {done}/{len(jobs)} done", force=False)
            if done == len(jobs):
                return jobs
            children.check(jobs, before_park=self.save)
            time.sleep(POLL_S)

    # --- 1. assess --------------------------------------------------------------------

    def _assess(self) -> None:
        from .assess import assess
        from .edits import read_project

        assessment = assess(self.brief, read_project(self.project), self.queue)
        self.state["estimate"] = assessment.to_dict()
        self.state["missing"] = [str(m) for m in assessment.missing]
        if assessment.missing and not self.payload.continue_without_missing:
            names = "; ".join(str(m) for m in assessment.missing)
            raise DirectorError(f"Missing reference(s): {names}. Add them (or fix the "
                                "brief), or run again continuing without them.")
        for m in assessment.missing:
            self.state["issues"].append(f"Continued without {m}.")
        for number, reason in assessment.problems.items():
            shot = self.shots[number - 1]
            shot.status, shot.reason = "failed", f"Cannot be made: {reason}"
        self.state["requests"] = {str(i): r.to_dict() for i, r in
                                  enumerate(assessment.requests, start=1) if r is not None}

    # --- 2. generate ------------------------------------------------------------------

    def _request(self, shot: _Shot) -> Any:
        from ..generation.request import GenerationRequest

        return GenerationRequest.from_dict(self.state["requests"][str(shot.index)])

    def _submit_shot(self, shot: _Shot, request: Any, attempt: int) -> Job:
        from ..generation.job_kind import Placement

        # a retry's request differs (hints, seed), so the result cache never hands back
        # the failing take, and a re-run of the brief reuses the retries too
        job = self.submit(request, self._tag("shot", shot=shot.index, attempt=attempt),
                          Placement(scene=self.brief.scene, track="V1"),
                          # no placeholder clip waits for it: the director places it (and
                          # records it in the library), so no landing puts it in the bin
                          columns_extra={"take_applied": True})
        if job.id not in shot.jobs:
            shot.jobs.append(job.id)
        return job

    def _generate(self) -> None:
        todo = [s for s in self.shots if s.status != "failed"]
        for shot in todo:
            if not shot.jobs:
                self._submit_shot(shot, self._request(shot), 1)
                shot.status = "generating"
                self.save()
        self._wait_shots(todo, "generate")

    def _wait_shots(self, shots: list[_Shot], step: str) -> None:
        if not shots:
            return
        ids = [s.jobs[-1] for s in shots]

        def poll(jobs: list[Job]) -> None:
            for shot, job in zip(shots, jobs, strict=True):
                shot.progress = round(job.progress, 3)
                if job.done:
                    self._take_result(shot, job)

        self.wait(ids, step, poll)

    def _take_result(self, shot: _Shot, job: Job) -> None:
        """Record the attempt's outcome; the best passing (else best scoring) take wins."""
        if job.status != "succeeded":
            if shot.best is None:
                shot.status = "failed"
                shot.reason = job.error_message or job.message or job.status
            else:  # a failed retry keeps the earlier take (it stayed "regenerating")
                shot.status = "done"
            return
        report = (job.info or {}).get("quality_report") or {}
        score = report.get("overallQuality") if isinstance(report, dict) else None
        passed = report.get("passed") if isinstance(report, dict) else None
        shot.cost = round(sum(float(self.store.get(j).actual_cost or 0.0)
                              for j in shot.jobs), 4)
        better = shot.best is None or (
            (bool(passed), score or 0.0) > (bool(shot.passed), shot.score or 0.0))
        if better:
            shot.best, shot.output, shot.score, shot.passed = job.id, job.output_path, \
                score, passed
            shot.issues = [str(i) for i in report.get("issues") or []] \
                if isinstance(report, dict) else []
            shot.suggestions = [str(i) for i in report.get("suggestions") or []] \
                if isinstance(report, dict) else []
            shot.failed_checks = failed_checks(report)
        shot.status, shot.reason, shot.progress = "done", "", 1.0

    # --- 3. verify --------------------------------------------------------------------

    def _verify(self) -> None:
        from ..quality.job_kind import regenerated_request

        for shot in self.shots:  # reports of attempts finished before a restart
            if shot.status == "done" and shot.jobs and shot.best is None:
                self._take_result(shot, self.store.get(shot.jobs[-1]))
        while True:
            retry = [s for s in self.shots if s.status == "done" and s.passed is False
                     and len(s.jobs) <= self.payload.max_retries]
            waiting = [s for s in self.shots if s.status == "regenerating"]
            for shot in retry:
                last = self.store.get(shot.best or shot.jobs[-1])
                report = (last.info or {}).get("quality_report") or {}
                attempt = len(shot.jobs) + 1
                request = regenerated_request(self._request(shot), report, attempt - 1)
                if request.seed is None:  # a new seed, so the retry differs
                    request.seed = (attempt * 7919 + shot.index) % 2**32
                self._submit_shot(shot, request, attempt)
                shot.status = "regenerating"
                waiting.append(shot)
                self.save()
            if not waiting:
                break
            self._wait_shots(waiting, "verify")
            for shot in waiting:  # a failed retry keeps the earlier take
                if shot.status == "failed" and shot.best is not None:
                    shot.status = "done"
        for shot in self.shots:
            if shot.status == "done" and shot.passed is False:
                checks = ", ".join(shot.failed_checks) or "overall score"
                self.state["issues"].append(
                    f"Shot {shot.index} ({shot.name}) still fails its quality check after "
                    f"{len(shot.jobs)} attempt(s) (failing: {checks}): "
                    f"{'; '.join(shot.issues[:2])}")
                self.state["suggestions"] += [f"Shot {shot.index}: {s}"
                                              for s in shot.suggestions[:2]]

    # --- 4. assemble ------------------------------------------------------------------

    def _assemble(self) -> None:
        from ..generation.placement import provenance, readable_name
        from ..generation.request import GenerationRequest
        from .assembly import ShotMedia, ShotTake, assemble_command
        from .edits import apply_stage, read_project

        made = [s for s in self.shots if s.status == "done" and s.output]
        share = len(made) / max(1, len(self.shots))
        if share < PARTIAL_SHARE:
            reasons = "; ".join(f"shot {s.index}: {s.reason}" for s in self.shots
                                if s.status != "done")
            raise DirectorError(f"Only {len(made)}/{len(self.shots)} shots were made (at least "
                                f"{PARTIAL_SHARE:.0%} are needed for a partial scene): "
                                f"{reasons}")
        project = read_project(self.project)
        media: list[ShotMedia] = []
        for shot in self.shots:
            item = ShotMedia(shot.index, shot.name, shot.seconds)
            if shot.status == "done" and shot.output:
                jobs = [self.store.get(j) for j in shot.jobs]
                ordered = sorted((j for j in jobs if j.status == "succeeded" and j.output_path
                                  and Path(j.output_path).is_file()),
                                 key=lambda j: j.id != shot.best)
                for n, job in enumerate(ordered, start=1):
                    request = GenerationRequest.from_dict(job.payload)
                    report = (job.info or {}).get("quality_report") or {}
                    item.takes.append(ShotTake(
                        Path(job.output_path), provenance(project, job, request),
                        readable_name(request.method, request.prompt, n),
                        report.get("overallQuality") if isinstance(report, dict) else None))
            if not item.takes:
                item.missing = shot.reason or "not generated"
                if shot.status == "done":
                    shot.status, shot.reason = "failed", "its video file is gone"
            media.append(item)
        apply_stage(self.project, lambda p: assemble_command(
            p, self.brief, media, job_id=self.job.id, settings=self.ctx.settings))
        for shot in self.shots:
            if shot.status != "done":
                self.state["issues"].append(f"Shot {shot.index} ({shot.name}) is missing "
                                            f"(slate in its place): {shot.reason}")
        self._record_library()

    def _record_library(self) -> None:
        from .assess import package_available

        if not package_available("library"):
            return
        from ..generation.service import GenerationService

        try:
            from .edits import read_project

            service = GenerationService(read_project(self.project), self.queue)
            for shot in self.shots:
                for job_id in shot.jobs:
                    if self.store.get(job_id).status == "succeeded":
                        service.mark_applied(job_id)
        except Exception as exc:  # noqa: BLE001 - the library never blocks the scene
            log.warning("assemble %s: not recorded in the library: %s", self.job.id, exc)

    # --- 5. audio ---------------------------------------------------------------------

    def _audio(self) -> None:
        from ..timeline import commands as C
        from ..voice.pending import batch_from_dict, batch_to_dict
        from ..voice.providers.base import SoundRequest
        from ..voice.script import ScriptLine
        from ..voice.service import VoiceService
        from .assembly import audio_command, director_scene, music_command, shot_starts
        from .edits import apply_stage, read_project

        voice = VoiceService(self.queue, self.ctx.settings)
        if any(c.get("voice") for c in self.brief.characters) and self.brief.dialogue:
            apply_stage(self.project, lambda p: self._cast(p, voice.provider_name))
        project = read_project(self.project)
        scene = director_scene(project, self.brief.scene)
        if scene is None:
            raise DirectorError(f"The scene '{self.brief.scene}' is gone from the project.")
        starts = shot_starts(scene)
        sub = self.state.setdefault("subjobs", {})
        queued = self.state.get("dialogue_batch")  # queued before a restart
        batch = batch_from_dict(queued) if queued else None
        if self.brief.dialogue and batch is None:
            lines = [ScriptLine(d["character"], d["text"], d.get("emotion", ""),
                                at=round(starts.get(d["shot"], 0.0) + float(d["offset"]), 3))
                     for d in self.brief.dialogue]
            batch = voice.submit_script(project, self.job.project, scene, lines)
            sub["dialogue"] = batch.job_ids
            self.state["dialogue_batch"] = batch_to_dict(batch)
            self.save()
        sfx_ids: list[str] = list(sub.get("sfx") or [])
        if len(sfx_ids) != len(self.brief.sfx):
            sfx_ids = []
            for effect in self.brief.sfx:
                sfx_ids.append(voice.submit_sfx(self.job.project, SoundRequest(
                    effect["prompt"], duration=float(effect["duration"]))))
            sub["sfx"] = sfx_ids
            self.save()
        ids = list(dict.fromkeys((batch.job_ids if batch else []) + sfx_ids))
        if ids:
            self.wait(ids, "audio")
        music = self.brief.music
        failures: list[str] = []
        if batch is not None:
            failures += voice.failures(voice.jobs(batch.job_ids))

        def build(p: Any) -> Any:
            scene_now = director_scene(p, self.brief.scene)
            parts: list[C.Command] = []
            after: list[C.Command] = []
            if batch is not None and not failures:
                parts.append(voice.place_command(p, batch, scene_now))
                if self.brief.data.get("subtitles", True):
                    from ..timeline.subtitles import SetSubtitleStyle

                    after.append(SetSubtitleStyle(scene_now, burn_in=True))
            for job_id, effect in zip(sfx_ids, self.brief.sfx, strict=True):
                if self.store.get(job_id).status == "succeeded":
                    parts.append(voice.sfx_command(p, scene_now, job_id, float(effect["at"])))
                else:
                    failures.append(f"sound effect '{effect['prompt']}': "
                                    f"{self.store.get(job_id).error_message}")
            if music is not None:
                path = self.brief.path(music["file"])
                if path.is_file():
                    command, clip = music_command(p, scene_now, path)
                    parts.append(command)
                    after.append(C.SetClipAudio(clip, volume=float(music["volume"])))
                else:
                    failures.append(f"music file {music['file']} does not exist")
            if not parts:
                return None
            return audio_command(p, scene_now, parts, after=after)

        apply_stage(self.project, build)
        if batch is not None and not failures:
            voice.record_usage(batch)
        for failure in failures:
            self.state["issues"].append(f"Audio: {failure}")
        self.state["audio"] = {"dialogue": len(self.brief.dialogue) if batch and not
                               [f for f in failures if "line" in f] else 0,
                               "music": music is not None, "sfx": len(sfx_ids),
                               "failures": failures}

    def _cast(self, project: Any, provider: str) -> Any:
        """The brief's voices on the project's characters (one step "Director: Cast")."""
        from dataclasses import replace

        from ..timeline import commands as C
        from ..voice.library import find_character, new_character, set_character_command
        from ..voice.profiles import VoiceProfile

        commands = []
        for entry in self.brief.characters:
            if not entry.get("voice"):
                continue
            profile = VoiceProfile(entry["name"], description=entry.get("description", ""),
                                   provider=provider, voice_id=entry["voice"])
            existing = find_character(project, entry["name"])
            if existing is not None and existing.voice is not None and \
                    (existing.voice.voice_id, existing.voice.provider) == \
                    (entry["voice"], provider):
                continue
            character = new_character(entry["name"], entry.get("description", ""),
                                      voice=profile) if existing is None else \
                replace(existing, voice=profile)
            commands.append(set_character_command(project, character))
        return C.Macro("Director: Cast Voices", commands) if commands else None

    # --- 6. render --------------------------------------------------------------------

    def _render_path(self) -> Path:
        import re

        from ..timeline.document import ProjectLocation

        folder = ProjectLocation.for_path(self.project).renders_dir
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", self.brief.scene).strip("-")[:40] or "scene"
        return folder / f"{name}-director.mp4"

    def _render(self) -> None:
        from ..render.presets import get_preset
        from ..services.render import ExportPayload

        out = self._render_path()
        payload = ExportPayload(self.job.project, str(out), get_preset(self.payload.preset_name),
                                scene=self.brief.scene)
        job = self.submit(payload, self._tag("render"),
                          known=self.state.get("subjobs", {}).get("render"))
        self.state.setdefault("subjobs", {})["render"] = job.id
        self.save()
        [done] = self.wait([job.id], "render")
        if done.status != "succeeded":
            raise DirectorError(f"The render failed: {done.error_message or done.message}")
        self.state["render"] = done.output_path
        self.state["render_info"] = {k: v for k, v in (done.info or {}).items()
                                     if k in ("duration", "frames", "size", "fps", "seconds",
                                              "loudness")}

    # --- 7. publish -------------------------------------------------------------------

    def _publish(self) -> None:
        from ..publish.job_kind import PublishPayload

        payload = PublishPayload(project=self.job.project, scene=self.brief.scene,
                                 render=self.state.get("render"),
                                 destination=self.payload.destination)
        job = self.submit(payload, self._tag("publish"),
                          known=self.state.get("subjobs", {}).get("publish"))
        self.state.setdefault("subjobs", {})["publish"] = job.id
        self.save()
        [done] = self.wait([job.id], "publish")
        if done.status != "succeeded":
            self.state["issues"].append(f"Publishing failed: {done.error_message}")
            self.state["suggestions"].append("Publish the render again with "
                                             "`aladdin-studio publish`.")
            return
        result = (done.info or {}).get("publish") or {}
        self.state["publish"] = {"where": result.get("where"),
                                 "manifest": (result.get("manifest") or {}).get("url"),
                                 "files": [f.get("url") for f in result.get("files") or []]}

    # --- 8. report --------------------------------------------------------------------

    def _report(self) -> None:
        from .report import build_report, save_report

        self.step_state("report")["status"] = "done"  # the report lists itself as done
        report = build_report(self)
        self.state["report"] = report
        self.state["report_path"] = str(save_report(self, report))


def failed_checks(report: Any) -> list[str]:
    """The types of the checks a quality report failed (``motion-quality``...)."""
    if not isinstance(report, dict):
        return []
    return [str(c.get("type")) for c in report.get("checks") or []
            if isinstance(c, dict) and c.get("passed") is False and c.get("type")]


def run_assemble(job: Job, ctx: JobContext) -> dict[str, Any] | None:
    return AssembleRun(job, ctx).execute()


def _label(job: Job) -> str:
    return f"assemble: {job.payload.get('brief', {}).get('scene', '')}"


def _children(queue: Any, job: Job) -> list[str]:
    """The jobs this run queued: tagged with its id, or kept in its state (voice lines)."""
    state = (job.info or {}).get("director") or {}
    ids = [j for shot in state.get("shots") or [] for j in shot.get("jobs") or []]
    for value in (state.get("subjobs") or {}).values():
        ids += value if isinstance(value, list) else [value]
    for kind in ("generation", "export", "publish"):
        ids += [j.id for j in queue.store.list(project=job.project, limit=10_000, kind=kind,
                                                status=ACTIVE)
                if ((j.info or {}).get("director") or {}).get("job") == job.id]
    return list(dict.fromkeys(ids))


ASSEMBLE = register_kind(JobKind(
    name="assemble", payload=AssemblePayload, run=run_assemble, prepare=_prepare,
    label=_label, noun="scene assembly", children=_children,
    limits=KindLimits(concurrent=1, max_attempts=1)))


def generation_kind() -> JobKind:
    return get_kind("generation")
