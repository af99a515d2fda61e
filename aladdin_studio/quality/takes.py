"""Quality reports on the timeline document: stored in a take's provenance
(``metadata["aladdin"]["provenance"]["quality_report"]``, which the media library reads as
the media document's ``qualityScore``), read back for badges and reports, and compared to
pick the better take. Pure document logic (no Qt)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..errors import AladdinError, ErrorKind
from ..timeline import commands as C
from ..timeline import schema as S
from ..timeline.errors import InvalidEditError
from .result import VideoQualityResult

__all__ = ["REPORT_KEY", "RETRY_KEY", "NoMediaToVerify", "SetTakeQuality", "active_report",
           "badge", "better", "clip_report", "keep_new_take", "recorded_params", "report_text",
           "stored_report", "take_media", "take_report"]

REPORT_KEY = "quality_report"


def stored_report(result: VideoQualityResult, params: Any = None) -> dict[str, Any]:
    """What a take keeps: the design doc's fields, findings and the verdict (no raw
    per-frame metrics, which only the CLI's ``--json`` prints), and the ``VerifyParams`` it
    was checked with, so ``verify --clip`` and the editor repeat the same check."""
    data = result.to_dict()
    for check in data["checks"]:
        check.pop("metrics", None)
    data["verifiedAt"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    if params is not None:
        data["params"] = params.to_dict()
    return data


class NoMediaToVerify(AladdinError):
    """The clip's active take has no file (a generation placeholder, a generated title)."""

    kind = ErrorKind.INVALID_INPUT


def take_media(project: Any, clip: Any) -> Path:
    """The file of ``clip``'s active take, resolved in ``project``."""
    url = getattr(clip.media_reference, "target_url", None)
    if not url:
        raise NoMediaToVerify(f"Clip '{clip.name}' has no media file to verify (a placeholder "
                              "or a generated title?).")
    return Path(project.resolve_media(url))


def recorded_params(clip: Any) -> Any:
    """The ``VerifyParams`` the active take was last checked with (a generated take: from
    its request), so a new check gives the same verdict; the general checks otherwise."""
    from .job_kind import VerifyPayload
    from .verify import VerifyParams

    stored = (clip_report(clip) or {}).get("params")
    return VerifyPayload("", stored).verify_params() if stored else VerifyParams()


def take_report(ref: Any) -> dict[str, Any] | None:
    """The quality report stored on a media reference (a take), if any."""
    if ref is None:
        return None
    prov = S.get(ref, "provenance")
    report = S.to_py(prov).get(REPORT_KEY) if prov is not None else None
    return report if isinstance(report, dict) and "overallQuality" in report else None


def clip_report(clip: Any, key: str | None = None) -> dict[str, Any] | None:
    """The report of ``clip``'s take ``key`` (default: the active one)."""
    if not isinstance(clip, otio.schema.Clip):
        return None
    refs = clip.media_references()
    key = key or clip.active_media_reference_key
    return take_report(refs.get(key)) if key in refs else None


def active_report(clip: Any) -> VideoQualityResult | None:
    report = clip_report(clip)
    if report is None or "error" in report:
        return None
    try:
        return VideoQualityResult.from_dict(report)
    except (KeyError, TypeError, ValueError):
        return None


def better(new: dict[str, Any] | None, old: dict[str, Any] | None) -> bool:
    """Whether a take with report ``new`` should replace one with ``old`` as the active
    take: a passing take beats a failing one, then the higher score wins (ties: the new)."""
    if not old or "overallQuality" not in old:
        return True
    if not new or "overallQuality" not in new:
        return False
    if bool(new.get("passed")) != bool(old.get("passed")):
        return bool(new.get("passed"))
    return float(new["overallQuality"]) >= float(old["overallQuality"])


RETRY_KEY = "quality_retry_job"  # generation record: the job of the automatic regeneration


def keep_new_take(clip: otio.schema.Clip, ref: Any, job_id: str) -> bool:
    """Whether the take ``ref`` made by ``job_id`` becomes the active one: always, except
    for an automatic regeneration (see :mod:`.regenerate`) that verified worse than the
    take it was meant to improve."""
    record = S.get(clip, "generation", {}) or {}
    if record.get(RETRY_KEY) != job_id:
        return True
    new, old = take_report(ref), clip_report(clip)
    if not new or not old or "error" in new or "error" in old:
        return True
    return better(new, old)


class SetTakeQuality(C.Command):
    """Store ``report`` on the take ``key`` of ``clip`` (default: the active take)."""

    text = "Verify Clip"

    def __init__(self, clip: otio.schema.Clip, report: dict[str, Any],
                 key: str | None = None) -> None:
        super().__init__()
        self.clip, self.report, self.key = clip, report, key

    def build(self, project: Any, tx: Any) -> None:
        clip = self.clip
        if not isinstance(clip, otio.schema.Clip):
            raise InvalidEditError("Select a clip to verify.")
        key = self.key or clip.active_media_reference_key
        ref = clip.media_references().get(key)
        if ref is None:
            raise InvalidEditError(f"Clip '{clip.name}' has no take {key!r}.")
        prov = dict(S.to_py(S.get(ref, "provenance") or {}))
        prov[REPORT_KEY] = self.report
        tx.set_meta(ref, "provenance", prov)
        track = clip.parent()
        if isinstance(track, otio.schema.Track):  # the views repaint the clip
            tx.touch_track(track)
            tx.touch_item(clip)


def badge(ref: Any) -> tuple[bool, float] | None:
    """``(passed, overall score)`` of a take's report, read without copying the report
    (the timeline asks for every clip it refreshes)."""
    md = getattr(ref, "metadata", None)
    if md is None or S.NS not in md:
        return None
    ns = md[S.NS]
    prov = ns["provenance"] if "provenance" in ns else None
    if prov is None or not hasattr(prov, "__contains__") or REPORT_KEY not in prov:
        return None
    report = prov[REPORT_KEY]
    if not hasattr(report, "__contains__") or "overallQuality" not in report:
        return None
    return bool(report["passed"]), float(report["overallQuality"])


def report_text(report: dict[str, Any] | None) -> str:
    """The report in words: verdict and score, each check, issues and suggestions."""
    if not report:
        return "Not verified yet."
    if "error" in report:
        return f"Could not verify: {report['error']}"
    verdict = "Passed" if report.get("passed") else "Failed"
    lines = [f"Quality {verdict.lower()}: {float(report['overallQuality']):.2f} "
             f"(pass mark {float(report.get('threshold', 0.7)):.2f})"]
    for check in report.get("checks") or []:
        mark = "✓" if check.get("passed") else "✗"
        lines.append(f"{mark} {check['type']} {float(check['score']):.2f} — "
                     f"{check.get('details', '')}")
    issues = report.get("issues") or []
    if issues:
        lines.append("Issues:")
        lines.extend(f"• {i}" for i in issues)
    suggestions = report.get("suggestions") or []
    if suggestions:
        lines.append("Suggestions:")
        lines.extend(f"• {s}" for s in suggestions)
    return "\n".join(lines)
