"""Helpers for the API tests: the token, deadline-bound waits, request bodies."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

TOKEN = "test-token-0123456789abcdef"


def wait_for(predicate: Callable[[], Any], timeout: float = 90.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")


def generate_body(prompt: str = "a red fox running through snow", **parameters: Any) -> dict:
    parameters.setdefault("duration", 1)
    parameters.setdefault("quality", "draft")
    return {"method": "text-to-video", "input": {"prompt": prompt}, "parameters": parameters}
