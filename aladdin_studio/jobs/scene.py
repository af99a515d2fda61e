"""Scene-level acceptance of clip jobs (design doc, "Graceful Degradation")."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .store import Job

__all__ = ["PARTIAL_SCENE_THRESHOLD", "accept_partial"]

PARTIAL_SCENE_THRESHOLD = 0.8


def accept_partial(jobs: Sequence[Job],
                   threshold: float = PARTIAL_SCENE_THRESHOLD) -> tuple[bool, list[Job]]:
    """``(accepted, failed)`` for a scene's clip jobs.

    A scene is accepted when at least ``ceil(threshold * n)`` of its ``n`` clips succeeded
    (8 of 10, 4 of 5, 3 of 3). ``failed`` lists the failed and cancelled jobs; jobs still
    running count as neither, so a scene with unfinished clips may not be accepted yet.
    """
    if not jobs:
        return False, []
    succeeded = sum(1 for j in jobs if j.status == "succeeded")
    failed = [j for j in jobs if j.status in ("failed", "cancelled")]
    return succeeded >= math.ceil(threshold * len(jobs) - 1e-9), failed
