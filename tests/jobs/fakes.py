"""Test providers and a small model registry for queue-logic tests.

``ScriptedProvider`` lives in memory and fails on cue; ``FileProvider`` keeps its "remote"
state in files so a consumer process can be killed and another one re-attach.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from aladdin_studio.generation.providers.base import Output, Status
from aladdin_studio.generation.registry import ModelEntry, Registry

MP4_STUB = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000


def model(model_id: str, tier: str, fallbacks: tuple[str, ...] = (),
          method: str = "text-to-video", price: float = 0.1) -> ModelEntry:
    return ModelEntry(
        id=model_id, method=method, tier=tier, provider="fal", endpoint=f"test/{model_id}",
        hosted=True, inputs={"prompt": "prompt"}, constants={}, duration_format="number",
        duration_range=(1.0, 7.0, 1.0), price_per_second=price, fallbacks=fallbacks)


def fake_registry() -> Registry:
    """high → standard → draft, each falling back to the next tier down."""
    return Registry([
        model("m-high", "high", ("m-standard", "m-draft"), price=0.2),
        model("m-standard", "standard", ("m-draft",), price=0.1),
        model("m-draft", "draft", price=0.05),
    ])


class ScriptedProvider:
    """In-memory provider: finishes after ``steps`` polls; raises queued errors on cue.

    ``errors[call]`` is a list of exceptions raised by successive ``call``s ("submit",
    "status", "fetch"); ``fail_models`` raise on submit for those models; ``hang_models``
    never finish.
    """

    name = "fal"

    def __init__(self, *, steps: int = 2, errors: dict[str, list[Exception]] | None = None,
                 fail_models: dict[str, Exception] | None = None,
                 hang_models: tuple[str, ...] = ()) -> None:
        self.steps = steps
        self.errors = {k: list(v) for k, v in (errors or {}).items()}
        self.fail_models = fail_models or {}
        self.hang_models = hang_models
        self.calls: Counter[str] = Counter()
        self.submitted: list[str] = []  # model ids, in order
        self.cancelled: list[str] = []
        self.polls: dict[str, int] = {}
        self._lock = threading.Lock()

    def _maybe_raise(self, call: str) -> None:
        with self._lock:
            self.calls[call] += 1
            queued = self.errors.get(call)
            exc = queued.pop(0) if queued else None
        if exc is not None:
            raise exc

    def submit(self, request: Any, model: ModelEntry) -> str:
        with self._lock:
            self.submitted.append(model.id)
        self._maybe_raise("submit")
        if model.id in self.fail_models:
            raise self.fail_models[model.id]
        rid = uuid.uuid4().hex
        with self._lock:
            self.polls[rid] = 0
        return rid

    def status(self, request_id: str, model: ModelEntry) -> Status:
        self._maybe_raise("status")
        with self._lock:
            self.polls[request_id] += 1
            n = self.polls[request_id]
        if model.id in self.hang_models:
            return Status("IN_PROGRESS", progress=0.1)
        if n > self.steps:
            return Status("COMPLETED", progress=1.0)
        return Status("IN_PROGRESS", progress=n / (self.steps + 1))

    def fetch(self, request_id: str, model: ModelEntry, request: Any, dest_dir: Path) -> Output:
        self._maybe_raise("fetch")
        path = Path(dest_dir) / f"fake-{request_id[:8]}.mp4"
        path.write_bytes(MP4_STUB)
        return Output(path, request_id, model.id, model.endpoint or "", request.seed, {})

    def cancel(self, request_id: str, model: ModelEntry) -> None:
        with self._lock:
            self.calls["cancel"] += 1
            self.cancelled.append(request_id)


class FileProvider:
    """A "remote" provider whose state survives the process: one JSON file per request
    in ``state_dir``; every submit appends a line to ``submits.log``."""

    name = "fal"

    def __init__(self, state_dir: str | Path, complete_after: float = 1.0) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.complete_after = complete_after

    @property
    def submit_count(self) -> int:
        log = self.dir / "submits.log"
        return len(log.read_text().splitlines()) if log.exists() else 0

    def submit(self, request: Any, model: ModelEntry) -> str:
        rid = uuid.uuid4().hex
        (self.dir / f"{rid}.json").write_text(json.dumps({"t": time.time()}))
        with open(self.dir / "submits.log", "a") as fh:
            fh.write(rid + "\n")
        return rid

    def status(self, request_id: str, model: ModelEntry) -> Status:
        started = json.loads((self.dir / f"{request_id}.json").read_text())["t"]
        elapsed = time.time() - started
        if elapsed >= self.complete_after:
            return Status("COMPLETED", progress=1.0)
        return Status("IN_PROGRESS", progress=elapsed / self.complete_after)

    def fetch(self, request_id: str, model: ModelEntry, request: Any, dest_dir: Path) -> Output:
        path = Path(dest_dir) / f"file-{request_id[:8]}.mp4"
        path.write_bytes(MP4_STUB)
        return Output(path, request_id, model.id, model.endpoint or "", None, {})

    def cancel(self, request_id: str, model: ModelEntry) -> None:
        (self.dir / f"{request_id}.cancelled").touch()
