"""Titles in the editor: added at the playhead from the bin, edited in the Inspector."""

from __future__ import annotations

import pytest

from aladdin_studio.timeline import titles as TT
from aladdin_studio.ui.inspector import Inspector
from aladdin_studio.ui.media_bin import MediaBin


@pytest.fixture
def inspector(qtbot, ctx) -> Inspector:
    widget = Inspector(ctx)
    qtbot.addWidget(widget)
    return widget


def test_bin_title_button_puts_a_title_over_the_clip_and_the_inspector_edits_it(
        qtbot, ctx, inspector):
    media_bin = MediaBin(ctx)
    qtbot.addWidget(media_bin)
    ctx.set_playhead(48)
    tracks_before = len(ctx.scene.tracks)
    media_bin.title_action.trigger()
    clip = ctx.selection[0]
    assert TT.is_title(clip) and len(ctx.scene.tracks) == tracks_before + 1
    track = clip.parent()
    assert track.name == "V2" and track.index(clip) == 1  # after a 48-frame gap
    assert inspector.showing == "clip"
    box = inspector.clip_panel.title_box
    assert not box.isHidden() and inspector.clip_panel.audio_box.isHidden()
    assert box.text.toPlainText() == "Title"
    assert not inspector.clip_panel.clip_form.isRowVisible(inspector.clip_panel.speed)

    box.size.slider.setSliderDown(True)  # one drag through three sizes: one undo step
    for px in (120, 140, 160):
        box.size.slider.setValue(px)
    box.size.slider.setSliderDown(False)
    assert TT.title_params(clip)["size"] == 160.0
    box.text.setPlainText("Chapter one")
    box._commit_text()
    assert TT.title_params(clip)["text"] == "Chapter one" and clip.name == "Title: Chapter one"
    assert box.set_color(box.color, "#ffcc00")
    assert box.color.text() == "#ffcc00"

    stack = ctx.stack
    stack.undo()  # colour
    assert TT.title_params(clip)["color"] == "#ffffff" and box.color.text() == "#ffffff"
    stack.undo()  # text
    assert box.text.toPlainText() == "Title"
    stack.undo()  # the whole drag
    assert TT.title_params(clip)["size"] == TT.DEFAULT_TITLE["size"]
    assert box.size.value() == TT.DEFAULT_TITLE["size"]
    stack.undo()  # the title and its track
    assert len(ctx.scene.tracks) == tracks_before


def test_refused_title_setting_reports_and_restores_the_field(qtbot, ctx, inspector, errors):
    from aladdin_studio.ui.title_actions import add_title

    clip = add_title(ctx)
    box = inspector.clip_panel.title_box
    box.text.setPlainText("   ")
    box._commit_text()
    assert errors == ["A title needs some text."]
    assert box.text.toPlainText() == "Title"
    assert TT.title_params(clip)["text"] == "Title"
