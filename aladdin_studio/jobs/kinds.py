"""Job kinds: what the one ledger and queue run (generation, export, and later voice,
publish, verify, assemble).

The queue knows no kind by itself. A package that has background work registers a
:class:`JobKind` once, at import time of its job module::

    from aladdin_studio.jobs.kinds import JobKind, KindLimits, register_kind

    @dataclass(frozen=True)
    class VoicePayload:                     # what the job needs; plain JSON data
        text: str
        voice: str
        def to_dict(self) -> dict: return asdict(self)
        @classmethod
        def from_dict(cls, data: dict) -> "VoicePayload": return cls(**data)

    def run_voice(job: Job, ctx: JobContext) -> dict:
        payload = VoicePayload.from_dict(job.payload)
        ctx.progress(0.1, "Synthesising")           # raises JobStopped once cancelled
        path = synthesise(payload, ctx.media_dir())
        return {"output_path": str(path), "actual_cost": 0.01, "info": {"voice": ...}}

    register_kind(JobKind(name="voice", payload=VoicePayload, run=run_voice,
                          limits=KindLimits(concurrent=2, max_attempts=3),
                          noun="voice line"))

and adds its module to :data:`KIND_MODULES` so a worker process that never imported it
still finds the kind by name (``get_kind`` imports it on first use). Then any front end or
service queues work with ``queue.submit(VoicePayload(...), project_path)`` (the queue finds
the kind by the payload's type) and the job appears in the ledger, the Jobs dock and
``aladdin-studio jobs`` like every other.

How a run ends (``run(job, ctx)`` is called in a consumer thread, never on the GUI thread):

* returns a dict: the job succeeds with those ledger columns (``output_path``,
  ``actual_cost``, ``info``...); an output larger than the kind's ``max_output_mb`` fails it;
* raises an exception: an :class:`~aladdin_studio.errors.AladdinError` with
  ``retryable = True`` is retried after ``backoff_base * 2**(attempts-1)`` s until
  ``max_attempts``; anything else fails the job with ``str(exc)`` as the reason;
* a kind that manages its own retries (generation: fallback models, re-attaching to a paid
  remote request) calls ``ctx.requeue(delay)`` / ``ctx.finish(...)`` itself and raises (or
  lets through) :class:`JobStopped`;
* ``returns None``: the run already wrote the job's final state.

A kind that waits for jobs it queued (an orchestrator) polls them through
:class:`~aladdin_studio.jobs.children.ChildWait`, which parks it (hands its worker back and
runs it again later, see ``JobContext.park``) while a child waits for a worker, so one worker
never deadlocks; its ``children(queue, job)`` lists the sub-jobs cancelled with it.

``prepare(queue, payload, project, *args, **options)`` (optional) validates the payload
before anything is written and returns extra ledger columns (``est_cost``, ``model``,
``status="succeeded"`` for a reused result, ...); ``cancel(queue, job)`` (optional) stops
remote work when a job is cancelled; ``resources`` are shared per queue (created once, e.g.
the generation model registry and provider clients).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .context import JobContext
    from .queue import JobQueue
    from .store import Job

__all__ = [
    "KIND_MODULES",
    "JobKind",
    "JobStopped",
    "KindLimits",
    "Payload",
    "get_kind",
    "kind_for_payload",
    "kinds",
    "register_kind",
]


class Payload(Protocol):
    """A kind's payload: plain data that survives JSON (``to_dict``/``from_dict``)."""

    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any: ...


class JobStopped(Exception):
    """This run ends without touching the job further (cancelled, handed back, taken over,
    or the kind already wrote its final state)."""


@dataclass(frozen=True)
class KindLimits:
    """Limits the queue enforces for one kind.

    ``per_hour`` / ``concurrent`` / ``max_output_mb``: a number, or the name of a
    ``Settings`` attribute holding it (None: no limit). ``max_attempts``: failed runs of a
    retryable error before the job fails.
    """

    per_hour: int | str | None = None
    concurrent: int | str | None = None
    max_output_mb: float | str | None = None
    max_attempts: int = 3

    @staticmethod
    def value(limit: int | float | str | None, settings: Any) -> Any:
        if isinstance(limit, str):
            return getattr(settings, limit)
        return limit


RunFn = Callable[["Job", "JobContext"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class JobKind:
    """One kind of job (see the module docstring)."""

    name: str
    payload: type
    run: RunFn
    limits: KindLimits = field(default_factory=KindLimits)
    noun: str = ""  # "generation": used in limit messages ("at most 50 generations per hour")
    prepare: Callable[..., dict[str, Any]] | None = None
    cancel: Callable[[JobQueue, Job], None] | None = None
    label: Callable[[Job], str] | None = None  # one line for job lists
    limit_error: type[Exception] | None = None  # raised (with the message) past ``per_hour``
    resources: Mapping[str, Callable[[JobQueue], Any]] = field(default_factory=dict)
    # an orchestrating kind's queued sub-jobs: cancelled with it, even while it is parked
    children: Callable[[JobQueue, Job], list[str]] | None = None

    @property
    def title(self) -> str:
        return self.noun or self.name


# Modules that register the built-in kinds; imported on first lookup of their kind name (a
# worker process finds every kind without importing the packages up front). Add yours here.
KIND_MODULES: dict[str, str] = {
    "publish": "aladdin_studio.publish.job_kind",
    "generation": "aladdin_studio.generation.job_kind",
    "export": "aladdin_studio.services.render",
    "voice": "aladdin_studio.voice.jobs",
    "verify": "aladdin_studio.quality.job_kind",
    "assemble": "aladdin_studio.director.job_kind",
    "assemble_clips": "aladdin_studio.director.clip_assembly",
}

log = logging.getLogger(__name__)

_kinds: dict[str, JobKind] = {}
_lock = threading.RLock()


def register_kind(kind: JobKind, *, replace: bool = False) -> JobKind:
    """Make ``kind`` known to every queue in this process. Registering the same name twice
    is an error unless ``replace`` (tests swap runners that way)."""
    with _lock:
        old = _kinds.get(kind.name)
        if old is not None and old is not kind and not replace:
            raise ValueError(f"job kind {kind.name!r} is already registered")
        _kinds[kind.name] = kind
    return kind


def get_kind(name: str) -> JobKind:
    """The registered kind ``name`` (importing its module from KIND_MODULES if needed)."""
    with _lock:
        if name not in _kinds and name in KIND_MODULES:
            importlib.import_module(KIND_MODULES[name])
        try:
            return _kinds[name]
        except KeyError:
            raise KeyError(f"unknown job kind {name!r}") from None


def load_builtin_kinds() -> None:
    """Import every module of KIND_MODULES (a worker does before consuming). A module that
    fails to import is logged and skipped: the other kinds still run (its jobs fail with
    "unknown kind" until it is fixed)."""
    for name in list(KIND_MODULES):
        try:
            get_kind(name)
        except Exception:  # noqa: BLE001 - one broken kind must not stop the others
            log.exception("job kind %r cannot be loaded", name)


def kinds() -> list[JobKind]:
    """The kinds registered so far."""
    with _lock:
        return list(_kinds.values())


def kind_for_payload(payload: Any) -> JobKind:
    """The kind whose payload type ``payload`` is (built-in kinds are loaded if needed)."""
    for attempt in range(2):
        with _lock:
            for kind in _kinds.values():
                if isinstance(payload, kind.payload):
                    return kind
        if attempt == 0:
            load_builtin_kinds()
    raise TypeError(f"no job kind takes a {type(payload).__name__} payload")


def find_resource(name: str) -> Callable[[JobQueue], Any]:
    """The factory of the shared resource ``name`` offered by some kind."""
    for attempt in range(2):
        with _lock:
            for kind in _kinds.values():
                if name in kind.resources:
                    return kind.resources[name]
        if attempt == 0:
            load_builtin_kinds()
    raise KeyError(f"no job kind provides the resource {name!r}")
