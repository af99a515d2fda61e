from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline.snapping import Snapper, snap_points, tolerance_frames

from doc_factory import make_doc


def test_points_include_edges_markers_and_playhead_but_not_dragged_clip():
    project, stack, scene = make_doc(3)
    stack.push(C.AddMarker(scene, 200))
    points = snap_points(scene, playhead=250, exclude=[scene.tracks[0][1]])
    assert points == [0, 168, 200, 250, 336, 504]


def test_snap_within_tolerance_only():
    snapper = Snapper([0, 168, 336], tolerance=5)
    assert snapper.snap(165).frame == 168
    assert snapper.snap(160).target is None and snapper.snap(160).frame == 160
    assert Snapper([0, 168], 5, enabled=False).snap(166).frame == 166


def test_span_snaps_by_the_closer_edge():
    snapper = Snapper([0, 168, 336], tolerance=6)
    moved = snapper.snap_span(100, 70)  # end at 170 is 2 from 168
    assert (moved.frame, moved.target, moved.delta) == (98, 168, -2)
    assert snapper.snap_span(3, 50).frame == 0


def test_pixel_tolerance_depends_on_zoom():
    assert tolerance_frames(8, 2.0) == 4
    assert tolerance_frames(8, 0.1) == 80
