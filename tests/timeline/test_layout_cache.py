"""Cached track layouts stay true: after every edit, refusal, undo and redo of random edit
sequences, ``layout`` (cached; an undone transaction restores its tracks' cached layouts)
equals a fresh computation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_undo_property import make_command, step

from aladdin_studio.timeline.errors import EditError
from aladdin_studio.timeline.layout import _compute, layout

from doc_factory import make_doc


def _spans(slots):
    return [(s.index, id(s.item), s.start, s.end) for s in slots]


def _check(scene, cache):
    """Every layout the cache would serve is right; ``cache`` fills the cache first (as
    views do), else the next edit finds some tracks' layouts stale."""
    for track in scene.tracks:
        if cache:
            layout(track, 24)
        cached = getattr(track, "_aladdin_layout", None)
        if cached is not None and cached[0] == getattr(track, "_aladdin_version", 0):
            assert _spans(cached[2]) == _spans(_compute(track, 24)), track.name


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=60, max_size=60), st.lists(st.integers(0, 3), min_size=60,
                                                          max_size=60))
def test_cached_layouts_match_fresh_ones_through_edits_undo_and_redo(steps, undos):
    project, stack, scene = make_doc(3, max_clips=12)
    for serial, ((op, pick, amount, flag), undo) in enumerate(zip(steps, undos, strict=True)):
        command = make_command(scene, op, pick, amount, flag, serial)
        if command is not None:
            try:
                stack.push(command)
            except EditError:
                pass
        _check(scene, pick % 2 == 0)
        for _ in range(undo % 3):  # 0-2 undos, then maybe a redo
            stack.undo()
            _check(scene, amount % 2 == 0)
        if undo == 3:
            stack.redo()
        _check(scene, flag)
