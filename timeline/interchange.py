"""OTIO documents from other tools in, and OTIO/OTIOZ/EDL/FCP XML out.

Reading: a plain ``Timeline`` (or a collection of them) written by another tool
becomes a project; ``SMPTE_Dissolve`` and unknown transition types play as
dissolves, unknown effects are kept in the file and reported.

Writing goes through OTIO's adapters on a copy whose media references are
absolute ``file://`` URLs, so the exported file works wherever it is moved.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import opentimelineio as otio

from . import schema as S
from .errors import InvalidEditError, ProjectFileError
from .titles import is_title

FORMATS = ("otio", "otioz", "edl", "fcpxml")
KNOWN_EFFECTS = ("LinearTimeWarp", "FreezeFrame", "TimeEffect")


def adopt(obj: object, source: str = "file") -> tuple[otio.schema.SerializableCollection,
                                                     list[str]]:
    """Turn whatever an OTIO file held into a project collection, plus warnings."""
    warnings: list[str] = []
    if isinstance(obj, otio.schema.Timeline):
        coll = otio.schema.SerializableCollection(name=obj.name or Path(source).stem)
        coll.append(obj)
    elif isinstance(obj, otio.schema.SerializableCollection):
        coll = obj
        for index in range(len(coll) - 1, -1, -1):
            child = coll[index]
            if not isinstance(child, otio.schema.Timeline):
                warnings.append(f"Skipped a {type(child).__name__} that is not a timeline.")
                del coll[index]
    else:
        raise ProjectFileError(f"'{source}' holds a {type(obj).__name__}, not a timeline.")
    for scene in coll:
        _fill_source_ranges(scene, source)
        warnings.extend(_report(scene))
    return coll, warnings


def _fill_source_ranges(scene: otio.schema.Timeline, source: str) -> None:
    """Plain OTIO lets a clip leave ``source_range`` out (all of its media); every edit
    and the renderer need it set, so take the media's available range."""
    for track in scene.tracks:
        for item in track:
            if isinstance(item, otio.schema.Clip) and item.source_range is None:
                try:
                    item.source_range = item.trimmed_range()
                except Exception:  # OTIO raises when there is no available range either
                    raise ProjectFileError(
                        f"'{source}' is damaged: clip '{item.name}' on track '{track.name}' "
                        "has no length (neither a source range nor a media range). The file "
                        "was not changed.") from None


def _report(scene: otio.schema.Timeline) -> list[str]:
    notes = []
    for track in scene.tracks:
        for item in track:
            if isinstance(item, otio.schema.Transition) and not S.get(item, "kind"):
                if item.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve:
                    notes.append(f"Transition type {item.transition_type!r} on track "
                                 f"'{track.name}' plays as a dissolve.")
            for effect in getattr(item, "effects", []):
                if effect.effect_name not in KNOWN_EFFECTS and not isinstance(
                        effect, otio.schema.LinearTimeWarp):
                    notes.append(f"Effect '{effect.effect_name or effect.name}' on "
                                 f"'{item.name}' is kept in the file but not rendered.")
    return notes


def to_file_url(path: Path) -> str:
    return "file://" + quote(str(path.resolve()))


def url_to_path(url: str) -> Path:
    return Path(unquote(urlparse(url).path)) if url.startswith("file://") else Path(url)


def portable_copy(project, scene_name: str | None = None) -> otio.core.SerializableObject:
    """A deep copy of the project (or one scene) with absolute file:// media URLs."""
    scenes = project.scenes
    if scene_name is not None or len(scenes) == 1:
        obj = project.scene(scene_name).clone()
        timelines = [obj]
    else:
        obj = project.collection.clone()
        timelines = [s for s in obj if isinstance(s, otio.schema.Timeline)]
    for timeline in timelines:
        for clip in timeline.find_clips():
            for ref in clip.media_references().values():
                url = getattr(ref, "target_url", None)
                if url and "://" not in url:
                    ref.target_url = to_file_url(project.resolve_media(url))
    return obj


def _for_editors(timeline: otio.schema.Timeline, warnings: list[str]) -> otio.schema.Timeline:
    """Prepare a copy for EDL/FCP XML: stills get a media range and transitions that
    use no handles (fades through black) become cuts, which those formats expect."""
    for clip in timeline.find_clips():
        if isinstance(clip.media_reference, otio.schema.GeneratorReference):
            # Titles and generation placeholders have no file; the FCP XML adapter fails
            # on generator references, so they travel as offline clips (name kept).
            what = "title" if is_title(clip) else "clip still being generated"
            warnings.append(f"The {what} '{clip.name}' is written as an offline clip.")
            clip.media_reference = otio.schema.MissingReference(
                name=clip.media_reference.name, metadata=clip.media_reference.metadata)
            continue
        ref = clip.media_reference
        if getattr(ref, "available_range", "n/a") is None and clip.source_range is not None:
            # A still has media at any time: give it room for transition handles.
            rate = clip.source_range.duration.rate
            pad = otio.opentime.RationalTime(10 * rate, rate)
            clip.source_range = otio.opentime.TimeRange(clip.source_range.start_time + pad,
                                                        clip.source_range.duration)
            ref.available_range = otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate),
                clip.source_range.end_time_exclusive() + pad)
    for track in timeline.tracks:
        for index in range(len(track) - 1, -1, -1):
            item = track[index]
            if (isinstance(item, otio.schema.Transition) and S.get(item, "kind")
                    and S.transition_kind(item) not in S.KINDS_NEEDING_HANDLES):
                warnings.append(f"The {S.transition_kind(item).value} on '{track.name}' is "
                                "written as a cut.")
                del track[index]
    return timeline


def _edl_ready(timeline: otio.schema.Timeline, warnings: list[str]) -> otio.schema.Timeline:
    """CMX3600 holds one video and two audio tracks and only dissolves."""
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    if not video:
        raise InvalidEditError("An EDL needs a video track; this scene has none.")
    if len(video) > 1:
        warnings.append(f"EDL keeps only video track '{video[0].name}'.")
    if len(audio) > 2:
        warnings.append("EDL keeps only the first two audio tracks.")
    keep = [video[0]] + audio[:2]
    out = otio.schema.Timeline(name=timeline.name, global_start_time=timeline.global_start_time)
    for track in keep:
        copy = track.clone()
        for item in copy:
            if isinstance(item, otio.schema.Transition):
                if item.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve:
                    warnings.append(f"The {S.transition_kind(item).value} on '{track.name}' is "
                                    "written as a dissolve (EDL has no other kinds).")
                    item.transition_type = otio.schema.TransitionTypes.SMPTE_Dissolve
        out.tracks.append(copy)
    return out


def export(project, fmt: str, out: str | Path, scene: str | None = None) -> list[str]:
    """Write the project (or one scene) in ``fmt``; returns warnings for the user."""
    from .output_guard import check_output_path
    from .project_io import atomic_write

    if fmt not in FORMATS:
        raise InvalidEditError(f"Unknown export format {fmt!r}; choose {', '.join(FORMATS)}.")
    out = check_output_path(project, out)  # never the project, its media or a folder
    warnings: list[str] = []
    if fmt == "otio":
        obj = portable_copy(project, scene)
        atomic_write(out, otio.adapters.write_to_string(obj, "otio_json"))
        return warnings
    timeline = portable_copy(project, scene if scene is not None else project.scene().name)
    if fmt == "otioz":
        from ..files import sweep_stale, temp_prefix
        from .otioz_media import prepare_bundle

        sweep_stale(out.parent)  # what killed exports left beside it
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=temp_prefix(out),
                                         suffix=".parts") as tmp:
            staging = Path(tmp) / "media"
            staging.mkdir()
            # only media files, under distinct names; what comes from outside is listed
            warnings += prepare_bundle(project, timeline, staging)
            tmp_out = Path(tmp) / out.name
            otio.adapters.write_to_file(timeline, str(tmp_out), adapter_name="otioz",
                                        media_policy="MissingIfNotFile")
            tmp_out.replace(out)
        return warnings
    timeline = _for_editors(timeline, warnings)
    try:
        if fmt == "edl":
            text = otio.adapters.write_to_string(_edl_ready(timeline, warnings), "cmx_3600")
        else:
            text = otio.adapters.write_to_string(timeline, "fcp_xml")
    except Exception as exc:  # adapters raise many types for what they cannot express
        raise ProjectFileError(f"Could not write {fmt.upper()}: {exc}") from None
    atomic_write(out, text)
    return warnings
