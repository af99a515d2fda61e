"""Assess a brief (the Department Head's first step): resolve its references, turn each
shot into a generation request, find what is missing and estimate cost and time.

Used by the ``assemble`` job before anything is queued, and by the Director panel and the
CLI to show the estimate (no job needed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AladdinError
from ..generation.request import GenerationRequest
from .brief import Brief

if TYPE_CHECKING:
    from ..jobs.queue import JobQueue
    from ..timeline.document import Project

__all__ = ["Assessment", "Missing", "aspect_for", "assess", "package_available"]

# Design doc, "Estimated Generation Times": target upper bounds for a 7 s clip (s).
HOSTED_SECONDS_PER_7S = {"text-to-video": 60.0, "image-to-video": 45.0,
                         "first-last-frame": 55.0, "composite-to-video": 50.0}
ASSEMBLY_S, AUDIO_S, VERIFY_S = 30.0, 15.0, 10.0
LOCAL_DEFAULT_S_PER_S = 1.0  # local animatic seconds per clip second, before any is measured
_KIND_FIELD = {"character": "character_ref", "location": "location_ref"}
_PACKAGES = {"verify": "aladdin_studio.quality.job_kind", "audio": "aladdin_studio.voice.service",
             "publish": "aladdin_studio.publish.job_kind",
             "library": "aladdin_studio.library.record"}


def package_available(step: str) -> bool:
    """Whether the package a step needs is part of this build (else the step is skipped)."""
    import importlib.util

    name = _PACKAGES.get(step)
    if name is None:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def aspect_for(size: tuple[int, int] | list[int] | None) -> str:
    if not size:
        return "16:9"
    w, h = size
    if abs(w / h - 1.0) < 0.2:
        return "1:1"
    return "16:9" if w > h else "9:16"


@dataclass
class Missing:
    """A reference or input file the brief names that cannot be found."""

    what: str  # "character 'Sarah' reference", "shot 2 image"
    value: str
    shots: list[int]
    required: bool  # the shot cannot be made without it (its method needs it)

    def __str__(self) -> str:
        used = ", ".join(map(str, self.shots))
        return (f"{self.what} '{self.value}' is neither a file nor in the project's reference "
                f"library (used by shot{'s' if len(self.shots) > 1 else ''} {used})")


@dataclass
class Assessment:
    requests: list[GenerationRequest | None]  # per shot; None: cannot be made
    problems: dict[int, str] = field(default_factory=dict)  # shot -> why it cannot be made
    missing: list[Missing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    est_cost: float = 0.0
    est_seconds: float = 0.0
    models: dict[int, str] = field(default_factory=dict)
    provider: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"problems": {str(k): v for k, v in self.problems.items()},
                "missing": [{**asdict(m), "message": str(m)} for m in self.missing],
                "notes": list(self.notes), "est_cost": round(self.est_cost, 4),
                "est_seconds": round(self.est_seconds, 1),
                "models": {str(k): v for k, v in self.models.items()},
                "provider": self.provider}

    def summary(self) -> str:
        n = sum(r is not None for r in self.requests)
        return (f"{n}/{len(self.requests)} shot(s) ready with {self.provider}; estimated "
                f"${self.est_cost:.2f} and about {self.est_seconds / 60:.1f} min")


def _resolve(project: Project | None, brief: Brief, value: str,
             kind: str | None) -> Path | None:
    path = brief.path(value)
    if path.is_file():
        return path
    if project is not None and kind is not None:
        from ..generation.references import references

        for entry in references(project, kind):
            if value in (entry.get("id"), entry.get("name")) and Path(entry["path"]).is_file():
                return Path(entry["path"])
    return None


def _local_rate(queue: JobQueue) -> tuple[float, int]:
    """Seconds of local rendering per clip second, from the last local generations."""
    jobs = [j for j in queue.store.list(limit=40, status=("succeeded",), kind="generation")
            if j.provider == "local" and not j.cached_from
            and (j.info or {}).get("generation_s")]
    rates = [float(j.info["generation_s"]) / max(1.0, float(j.payload.get("duration") or 5))
             for j in jobs]
    if not rates:
        return LOCAL_DEFAULT_S_PER_S, 0
    return sum(rates) / len(rates), len(rates)


def assess(brief: Brief, project: Project | None, queue: JobQueue | None) -> Assessment:
    """Requests, missing references and the estimate for ``brief`` (see the module doc)."""
    from ..generation.job_kind import chain
    from ..generation.providers.factory import provider_name

    size = brief.data.get("size")
    aspect = aspect_for(size)
    refs: dict[tuple[str, str], Path | None] = {}
    missing: dict[tuple[str, str], Missing] = {}
    for kind, entries in (("character", brief.characters), ("location", brief.locations)):
        for entry in entries:
            if entry.get("reference"):
                refs[(kind, entry["name"])] = _resolve(project, brief, entry["reference"], kind)
    out = Assessment(requests=[])
    for number, shot in enumerate(brief.shots, start=1):
        files: dict[str, Path | None] = {}
        for kind in ("character", "location"):
            name = shot.get(kind)
            if not name:
                continue
            entry = next(e for e in (brief.characters if kind == "character"
                                     else brief.locations) if e["name"] == name)
            if not entry.get("reference"):
                continue
            path = refs[(kind, name)]
            if path is None:
                m = missing.setdefault((kind, name), Missing(
                    f"{kind} '{name}' reference", entry["reference"], [], False))
                m.shots.append(number)
            files[_KIND_FIELD[kind]] = path
        for name in ("image", "first_frame", "last_frame"):
            if shot.get(name):
                path = _resolve(project, brief, shot[name], None)
                if path is None:
                    m = missing.setdefault((name, f"{number}"), Missing(
                        f"shot {number} {name.replace('_', ' ')}", shot[name], [], True))
                    m.shots.append(number)
                files[name] = path
        lacking = [n for n, p in files.items() if p is None and n in
                   ("image", "first_frame", "last_frame")]
        if lacking:
            out.problems[number] = (f"its {lacking[0].replace('_', ' ')} "
                                    f"'{shot[lacking[0]]}' cannot be found")
            out.requests.append(None)
            continue
        request = GenerationRequest(
            shot["method"], shot["prompt"], negative_prompt=shot.get("negative_prompt", ""),
            style=shot.get("style", ""), aspect=aspect, duration=float(shot["duration"]),
            motion=shot.get("motion", ""), camera=shot.get("camera", ""),
            interpolation=shot.get("interpolation", "smooth"), quality=shot["quality"],
            seed=shot.get("seed"), **{k: v for k, v in files.items() if v is not None})
        try:
            request.validate(queue.registry if queue is not None else None)
        except AladdinError as exc:
            out.problems[number] = str(exc)
            out.requests.append(None)
            continue
        out.requests.append(request)
    out.missing = list(missing.values())
    if queue is None:
        return out
    name = provider_name(queue.settings)
    out.provider = name
    rate, measured = _local_rate(queue) if name == "local" else (0.0, 0)
    shot_seconds: list[float] = []
    for number, request in enumerate(out.requests, start=1):
        if request is None:
            continue
        entries = chain(queue, request, name)
        if not entries:
            out.problems[number] = (f"no {name} model can do {request.method} at "
                                    f"{request.quality} quality")
            out.requests[number - 1] = None
            continue
        out.models[number] = entries[0].id
        out.est_cost += entries[0].estimate_cost(request.duration)
        if name == "local":
            shot_seconds.append(rate * request.duration)
        else:
            shot_seconds.append(HOSTED_SECONDS_PER_7S[request.method] * request.duration / 7)
    if name == "local":  # one animatic renders at a time
        generation = sum(shot_seconds)
        out.notes.append(f"local time from {measured} earlier render(s)" if measured
                         else "local time is a first guess (no local render measured yet)")
    else:  # up to max_concurrent_generations at once
        width = max(1, int(queue.settings.max_concurrent_generations))
        batches = [shot_seconds[i:i + width] for i in range(0, len(shot_seconds), width)]
        generation = sum(max(b) for b in batches if b)
    out.est_seconds = generation + VERIFY_S + ASSEMBLY_S + AUDIO_S
    return out
