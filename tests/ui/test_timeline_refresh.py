"""Timeline clip items re-read a clip only after a recorded change of it or its take
(``transaction.change_count``): every such change, its undo and redo still reach the view."""

from __future__ import annotations

import pytest

from aladdin_studio.quality.takes import SetTakeQuality
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.timeline_view import TimelineWidget


@pytest.fixture
def tl(qtbot, sample_project):
    ctx = EditorContext(project_io.load(sample_project))
    widget = TimelineWidget(ctx, previews=False)
    qtbot.addWidget(widget)
    yield widget
    ctx.close()


def _item(tl, audio):
    for row in tl.view.rows:
        if row.audio == audio and row.clips:
            return row.clips[0]
    raise AssertionError("no such clip")


def test_rename_take_report_and_audio_changes_reach_the_items_and_their_undo_too(tl):
    ctx = tl.ctx
    video, audio = _item(tl, False), _item(tl, True)
    name = video.name
    ctx.push(C.RenameItem(video.clip, "Renamed"))
    assert video.name == "Renamed"
    report = {"passed": False, "overallQuality": 0.42, "checks": {}}
    ctx.push(SetTakeQuality(video.clip, report))  # metadata of the take, not of the clip
    assert video.quality == (False, pytest.approx(0.42))
    ctx.push(C.SetClipAudio(audio.clip, volume=2.0, fade_in=0.5))
    assert (audio.volume, audio.fade_in) == (2.0, 0.5)
    ctx.stack.undo()
    assert (audio.volume, audio.fade_in) == (1.0, 0.0)
    ctx.stack.undo()
    assert video.quality is None
    ctx.stack.undo()
    assert video.name == name
    ctx.stack.redo()
    ctx.stack.redo()
    assert video.name == "Renamed" and video.quality == (False, pytest.approx(0.42))
