"""Generation jobs: a durable ledger (``store``), the Huey queue and task (``queue``,
``runner``), consumers (``consumer``, ``worker``), webhooks and scene acceptance."""

from .consumer import EmbeddedConsumer
from .providers import ProviderFactory, provider_name
from .queue import GenerationLimitError, JobQueue, Placement, make_huey
from .scene import accept_partial
from .store import ACTIVE, STATUSES, TERMINAL, Job, JobStore
from .webhook import Webhook

__all__ = [
    "ACTIVE",
    "STATUSES",
    "TERMINAL",
    "EmbeddedConsumer",
    "GenerationLimitError",
    "Job",
    "JobQueue",
    "JobStore",
    "Placement",
    "ProviderFactory",
    "Webhook",
    "accept_partial",
    "make_huey",
    "provider_name",
]
