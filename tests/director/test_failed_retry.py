"""A shot whose regeneration fails keeps its earlier take and counts as made: it left the
shot "regenerating" before, and the verify step polled it again forever."""

from __future__ import annotations

from aladdin_studio.director.job_kind import AssembleRun, _Shot
from aladdin_studio.jobs.store import Job


def test_a_failed_retry_keeps_the_earlier_take():
    shot = _Shot(1, "One", 2.0, status="regenerating", jobs=["first", "retry"], best="first",
                 score=0.5, passed=False, output="/media/first.mp4")
    failed = Job(id="retry", project="/p", payload={}, status="failed",
                 error_message="model refused")
    AssembleRun._take_result(None, shot, failed)  # type: ignore[arg-type]  (self unused)
    assert (shot.status, shot.best, shot.output) == ("done", "first", "/media/first.mp4")

    first_attempt = _Shot(2, "Two", 2.0, status="generating", jobs=["only"])
    AssembleRun._take_result(None, first_attempt,  # type: ignore[arg-type]
                             Job(id="only", project="/p", payload={}, status="failed",
                                 error_message="model refused"))
    assert (first_attempt.status, first_attempt.reason) == ("failed", "model refused")
