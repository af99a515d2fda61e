"""Timeline clip items skip re-placing themselves when their span and row height are
unchanged (most clips of a long track on an edit that is not a ripple): every ripple, undo,
redo and height change still moves and sizes them to the document's layout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline.layout import layout
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.timeline_view import TimelineWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "timeline"))
from doc_factory import make_doc  # noqa: E402


@pytest.fixture
def tl(qtbot):
    project, _stack, scene = make_doc(6, max_clips=10, seconds=2.0)
    ctx = EditorContext(project)
    ctx.set_scene(scene)
    widget = TimelineWidget(ctx, previews=False)
    qtbot.addWidget(widget)
    yield widget, ctx, scene.tracks[0]
    ctx.close()


def _placed(tl, track):
    """(start, end, x, width, height) of every clip item vs the layout's spans."""
    row = tl.view.row_of[id(track)]
    items = [(c.start, c.end, c.pos().x(), c.boundingRect().width(),
              c.boundingRect().height()) for c in row.clips]
    spans = [(s.start, s.end, float(s.start), float(s.end - s.start), float(row.height - 2))
             for s in layout(track, 24) if s.is_clip]
    return items, spans


def test_ripples_undo_redo_and_height_changes_move_and_size_every_clip_item(tl):
    widget, ctx, track = tl
    items, spans = _placed(widget, track)
    assert items == spans and items[1][0] == 48
    ctx.push(C.Trim(track[0], "out", -7, ripple=True))  # every later clip moves left
    items, spans = _placed(widget, track)
    assert items == spans and items[1][0] == 41
    ctx.push(C.RippleDelete(track[2]))
    assert _placed(widget, track)[0] == _placed(widget, track)[1]
    ctx.stack.undo()
    ctx.stack.undo()
    items, spans = _placed(widget, track)
    assert items == spans and items[1][0] == 48
    ctx.stack.redo()
    items, spans = _placed(widget, track)
    assert items == spans and items[1][0] == 41
    height = widget.view.row_of[id(track)].height
    ctx.push(C.SetTrackFlags(track, height=height + 20))  # same spans, taller row
    items, spans = _placed(widget, track)
    assert items == spans and items[0][4] == height + 18
