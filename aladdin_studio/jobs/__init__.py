"""Jobs of every kind in one ledger and queue: the durable ledger (``store``), job kinds and
their registry (``kinds``: see there how a package registers its kind), the run context
(``context``), the Huey queue (``queue``), consumers (``consumer``, ``worker``) and webhooks.

This package knows no kind itself: generation, export and later voice, publish, verify and
assemble register theirs (``aladdin_studio.jobs.kinds.register_kind``)."""

from .consumer import EmbeddedConsumer
from .context import JobContext
from .kinds import JobKind, JobStopped, KindLimits, get_kind, register_kind
from .queue import JobQueue, RetryRefused, make_huey
from .store import ACTIVE, STATUSES, TERMINAL, Job, JobStore, LimitExceeded
from .webhook import Webhook

__all__ = [
    "ACTIVE",
    "STATUSES",
    "TERMINAL",
    "EmbeddedConsumer",
    "Job",
    "JobContext",
    "JobKind",
    "JobQueue",
    "JobStopped",
    "JobStore",
    "KindLimits",
    "LimitExceeded",
    "RetryRefused",
    "Webhook",
    "get_kind",
    "make_huey",
    "register_kind",
]
