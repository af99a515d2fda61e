"""OTIO files from other tools in; OTIO, OTIOZ, EDL and FCP XML out."""

from __future__ import annotations

import zipfile

import opentimelineio as otio
import pytest

from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.interchange import export
from aladdin_studio.timeline.layout import layout

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def foreign_timeline(media_dir):
    """What another editor writes: file URLs, an SMPTE dissolve, an effect we don't know."""
    tl = otio.schema.Timeline(name="From elsewhere")
    track = otio.schema.Track(name="V")
    for i in range(2):
        ref = otio.schema.ExternalReference(
            target_url=(media_dir / f"pattern-{i + 1}.mp4").as_uri(),
            available_range=TR(RT(0, 24), RT(168, 24)))
        clip = otio.schema.Clip(name=f"c{i}", media_reference=ref,
                                source_range=TR(RT(24, 24), RT(96, 24)))
        track.append(clip)
        if i == 0:
            track.append(otio.schema.Transition(
                transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=RT(12, 24), out_offset=RT(12, 24)))
    track[0].effects.append(otio.schema.Effect(name="blur", effect_name="GaussianBlur"))
    tl.tracks.append(track)
    return tl


def test_plain_otio_from_another_tool_opens(tmp_path, sample_project):
    path = tmp_path / "foreign.otio"
    otio.adapters.write_to_file(foreign_timeline(sample_project / "media"), str(path))
    project = project_io.load(path)
    scene = project.scene()
    assert scene.name == "From elsewhere"
    assert project.offline == {}
    slots = layout(scene.tracks[0], S.scene_rate(scene))
    assert S.transition_kind(slots[1].item) == S.TransitionKind.DISSOLVE
    assert any("GaussianBlur" in w for w in project.warnings)
    project_io.save(project)
    effects = project_io.load(path).scene().tracks[0][0].effects
    assert effects[0].effect_name == "GaussianBlur"  # kept


def test_exported_otio_matches_in_plain_opentimelineio(tmp_path, sample_project):
    project = project_io.load(sample_project)
    out = tmp_path / "out.otio"
    export(project, "otio", out)
    plain = otio.adapters.read_from_file(str(out))
    ours = project.scene()
    assert isinstance(plain, otio.schema.Timeline)
    assert [t.name for t in plain.tracks] == [t.name for t in ours.tracks]
    for a, b in zip(plain.tracks, ours.tracks, strict=True):
        assert [type(i).__name__ for i in a] == [type(i).__name__ for i in b]
        for x, y in zip(a, b, strict=True):
            if isinstance(x, otio.schema.Transition):
                assert (x.in_offset, x.out_offset) == (y.in_offset, y.out_offset)
            else:
                assert x.source_range == y.source_range
    assert plain.duration() == ours.duration()
    for clip in plain.find_clips():
        assert clip.media_reference.target_url.startswith("file://")


@pytest.mark.parametrize("fmt,adapter", [("edl", "cmx_3600"), ("fcpxml", "fcp_xml")])
def test_edl_and_fcp_xml_parse_back(tmp_path, sample_project, fmt, adapter):
    project = project_io.load(sample_project)
    out = tmp_path / f"out.{fmt}"
    warnings = export(project, fmt, out)
    back = otio.adapters.read_from_file(str(out), adapter_name=adapter)
    assert isinstance(back, otio.schema.Timeline)
    video = [t for t in back.tracks if t.kind == otio.schema.TrackKind.Video][0]
    names = [c.name for c in video.find_clips()]
    assert names[0] == "pattern-1" and len(names) == 5
    assert abs(back.duration().to_seconds() - project.scene().duration().to_seconds()) < 0.05
    assert any("fade" in w for w in warnings)


def test_otioz_carries_the_media(tmp_path, sample_project):
    project = project_io.load(sample_project)
    out = tmp_path / "out.otioz"
    export(project, "otioz", out)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
    assert "content.otio" in names
    assert sum(n.startswith("media/") for n in names) >= 5
    back = otio.adapters.read_from_file(str(out))
    assert len(back.tracks) == 3
