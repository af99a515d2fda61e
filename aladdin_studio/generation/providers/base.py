"""The provider contract shared by FAL and the local animatic provider.

Providers are synchronous (Huey tasks are plain functions). A generation is submitted once,
identified by a ``request_id`` that is stored before anything else happens, so a restarted
worker re-attaches to the same remote request instead of paying for a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..registry import ModelEntry
from ..request import GenerationRequest


@dataclass
class Status:
    state: str  # "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED"
    progress: float | None = None  # 0..1 when known
    queue_position: int | None = None
    logs: list[str] = field(default_factory=list)


@dataclass
class Output:
    path: Path  # the downloaded video, inside the destination folder
    request_id: str
    model: str  # registry model id actually used
    endpoint: str
    seed: int | None
    info: dict[str, Any] = field(default_factory=dict)  # provider extras (timings, raw url)


ProgressFn = Callable[[float, str], None]  # (0..1, message)


class Provider(Protocol):
    name: str

    def submit(self, request: GenerationRequest, model: ModelEntry) -> str:
        """Start the generation; returns the request id (store it before waiting)."""

    def status(self, request_id: str, model: ModelEntry) -> Status: ...

    def fetch(self, request_id: str, model: ModelEntry, request: GenerationRequest,
              dest_dir: Path) -> Output:
        """Download the finished video into ``dest_dir``; raises GenerationError kinds."""

    def cancel(self, request_id: str, model: ModelEntry) -> None: ...
