"""The design doc's ``QualityCheck`` / ``VideoQualityResult`` shapes, plus the findings
behind them (what went wrong, when, and what the user can do about it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CHECK_TYPES", "THRESHOLD", "Finding", "QualityCheck", "VideoQualityResult", "grade"]

CHECK_TYPES = (
    "duration", "resolution", "fps", "bitrate", "character-consistency",
    "location-consistency", "start-end-frames", "motion-quality", "visual-clarity",
)  # fmt: skip
THRESHOLD = 0.7  # the design doc's pass mark, for every check and the overall score


def grade(value: float, ok: float, limit: float, worst: float) -> float:
    """A score for a "lower is better" measurement: 1 at or below ``ok``, exactly
    :data:`THRESHOLD` at ``limit`` (so passing means ``value <= limit``), 0 at ``worst``."""
    if value <= ok:
        return 1.0
    if value <= limit:
        return 1.0 - (1.0 - THRESHOLD) * (value - ok) / max(limit - ok, 1e-12)
    if value >= worst:
        return 0.0
    return THRESHOLD * (worst - value) / max(worst - limit, 1e-12)


def grade_up(value: float, ok: float, limit: float, worst: float) -> float:
    """:func:`grade` for "higher is better" (``ok`` > ``limit`` > ``worst``)."""
    return grade(-value, -ok, -limit, -worst)


def _time(t: float) -> str:
    return f"{t:.1f}"


@dataclass
class Finding:
    """One problem a check found: the issue, the suggestion a user acts on, where in the
    clip (seconds, when it is a stretch or a moment) and a hint for a regenerated prompt."""

    issue: str
    suggestion: str
    start: float | None = None
    end: float | None = None
    prompt_hint: str = ""

    def when(self) -> str:
        if self.start is None:
            return ""
        if self.end is None or abs(self.end - self.start) < 0.05:
            return f" at {_time(self.start)} s"
        return f" {_time(self.start)}–{_time(self.end)} s"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"issue": self.issue, "suggestion": self.suggestion}
        if self.start is not None:
            data["start"] = round(self.start, 3)
        if self.end is not None:
            data["end"] = round(self.end, 3)
        if self.prompt_hint:
            data["promptHint"] = self.prompt_hint
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(str(data.get("issue", "")), str(data.get("suggestion", "")),
                   data.get("start"), data.get("end"), str(data.get("promptHint", "")))


@dataclass
class QualityCheck:
    """The design doc's ``QualityCheck``: ``type``, ``score`` (0–1), ``passed``,
    ``details``, ``threshold``; ``metrics`` are the raw measurements behind the score."""

    type: str
    score: float
    details: str
    threshold: float = THRESHOLD
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.score = float(min(max(self.score, 0.0), 1.0))  # no numpy scalars in reports

    @property
    def passed(self) -> bool:
        return bool(self.score >= self.threshold - 1e-9)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "score": round(float(self.score), 3),
                "passed": self.passed, "details": self.details,
                "threshold": self.threshold,
                "findings": [f.to_dict() for f in self.findings],
                "metrics": {k: _plain(v) for k, v in self.metrics.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityCheck:
        return cls(str(data["type"]), float(data["score"]), str(data.get("details", "")),
                   float(data.get("threshold", THRESHOLD)),
                   [Finding.from_dict(f) for f in data.get("findings") or []],
                   dict(data.get("metrics") or {}))


@dataclass
class VideoQualityResult:
    """The design doc's ``VideoQualityResult``. ``passed`` needs the weighted
    ``overall_quality`` at or above the threshold *and* no failed check (a frozen stretch
    must not be averaged away by a perfect duration)."""

    overall_quality: float
    checks: list[QualityCheck]
    threshold: float = THRESHOLD
    timings: dict[str, float] = field(default_factory=dict)
    video: str = ""

    def __post_init__(self) -> None:
        self.overall_quality = float(self.overall_quality)

    @property
    def passed(self) -> bool:
        return bool(self.overall_quality >= self.threshold - 1e-9
                    and all(c.passed for c in self.checks))

    @property
    def failed_checks(self) -> list[QualityCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def issues(self) -> list[str]:
        return [f"{c.type}: {f.issue}{f.when()}" for c in self.failed_checks
                for f in (c.findings or [Finding(c.details, "")])]

    @property
    def suggestions(self) -> list[str]:
        out: list[str] = []
        for c in self.failed_checks:
            for f in c.findings:
                text = f"{f.issue}{f.when()}: {f.suggestion}" if f.suggestion else ""
                if text and text not in out:
                    out.append(text)
        return out

    @property
    def prompt_hints(self) -> list[str]:
        hints: list[str] = []
        for c in self.failed_checks:
            for f in c.findings:
                if f.prompt_hint and f.prompt_hint not in hints:
                    hints.append(f.prompt_hint)
        return hints

    def check(self, kind: str) -> QualityCheck | None:
        return next((c for c in self.checks if c.type == kind), None)

    def summary(self) -> str:
        """One line: verdict, score and the first issue."""
        verdict = "passed" if self.passed else "failed"
        first = f": {self.issues[0]}" if self.issues else ""
        return f"Quality {verdict} ({self.overall_quality:.2f}){first}"

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "overallQuality": round(float(self.overall_quality), 3),
                "checks": [c.to_dict() for c in self.checks], "issues": self.issues,
                "suggestions": self.suggestions, "promptHints": self.prompt_hints,
                "threshold": self.threshold, "video": self.video,
                "timings": {k: round(v, 4) for k, v in self.timings.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoQualityResult:
        return cls(float(data["overallQuality"]),
                   [QualityCheck.from_dict(c) for c in data.get("checks") or []],
                   float(data.get("threshold", THRESHOLD)),
                   dict(data.get("timings") or {}), str(data.get("video", "")))


def _plain(value: Any) -> Any:
    """JSON-safe numbers (numpy scalars → float, rounded)."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) or hasattr(value, "item"):
        return round(float(value), 4)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return str(value)
