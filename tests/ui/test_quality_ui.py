"""Issue 15 in the editor: a failing take shows a red badge with its score on the timeline,
the report on hover and in the Inspector's Quality box; right-click ▸ Verify re-checks the
active take; undo removes the report."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from aladdin_studio.quality.takes import clip_report
from aladdin_studio.quality.verify import VerifyParams
from aladdin_studio.timeline import project_io
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.inspector import Inspector
from aladdin_studio.ui.quality_actions import verifier_for
from aladdin_studio.ui.timeline_view import TimelineWidget
from aladdin_studio.ui.timeline_view.items import BADGE_W, QUALITY_FAIL, TITLE_H, ClipItem
from aladdin_studio.ui.timeline_view.menus import context_menu


@pytest.fixture
def editor(qtbot, sample_project):
    ctx = EditorContext(project_io.load(sample_project))
    timeline = TimelineWidget(ctx, previews=False)
    inspector = Inspector(ctx)
    for w in (timeline, inspector):
        qtbot.addWidget(w)
    timeline.resize(1600, 420)
    timeline.show()
    qtbot.waitExposed(timeline)
    timeline.set_zoom(36.0, 0)
    yield ctx, timeline, inspector
    ctx.close()


def item_for(timeline, clip) -> ClipItem:
    return next(i for r in timeline.view.rows for i in r.childItems()
                if isinstance(i, ClipItem) and i.clip is clip)


def verified(qtbot, clip, before=None):
    qtbot.waitUntil(lambda: (r := clip_report(clip)) is not None and r != before,
                    timeout=30_000)
    return clip_report(clip)


def test_a_failing_take_gets_a_badge_a_hover_report_and_an_inspector_report(qtbot, editor):
    ctx, timeline, inspector = editor
    clip = next(c for c in ctx.scene.find_clips() if c.name == "pattern-2")
    item = item_for(timeline, clip)
    assert item.quality is None and item.toolTip() == ""

    # the sample clip's file is 7 s: verified as a 2 s request, its duration check fails
    verifier = verifier_for(ctx)
    assert verifier.verify(clip, VerifyParams(expected_duration=2.0))
    report = verified(qtbot, clip)
    assert report["passed"] is False
    assert "duration" in [c["type"] for c in report["checks"] if not c["passed"]]

    qtbot.waitUntil(lambda: item.quality is not None, timeout=5000)
    passed, score = item.quality
    assert passed is False and score == pytest.approx(report["overallQuality"])
    assert "Quality failed" in item.toolTip()
    assert "duration: clip is 7.0 s but 2.0 s was asked for (too long)" in item.toolTip()

    # the badge is painted at the right end of the clip's name strip, in the failing red
    timeline.view.viewport().update()
    qtbot.wait(50)
    image = timeline.view.viewport().grab().toImage()
    rect = item.mapRectToScene(item.boundingRect())
    right = timeline.view.mapFromScene(QPointF(rect.right(), rect.top()))
    spot = image.pixelColor(right.x() - 4 - BADGE_W // 2 + 14, right.y() + TITLE_H // 2 + 3)
    assert abs(spot.red() - QUALITY_FAIL.red()) < 40 and spot.green() < 100, spot.name()

    ctx.select([clip])
    box = inspector.clip_panel.quality_box
    assert not box.isHidden()
    text = box.report.text()
    assert text.startswith("Quality failed") and "✗ duration" in text
    assert "Suggestions:" in text and "trim it on the timeline" in text

    ctx.stack.undo()  # "Verify Clip" is one undo step
    assert clip_report(clip) is None
    qtbot.waitUntil(lambda: item.quality is None, timeout=5000)


def test_right_click_verify_rechecks_with_the_recorded_parameters(qtbot, editor):
    ctx, timeline, _inspector = editor
    clip = next(c for c in ctx.scene.find_clips() if c.name == "pattern-2")
    verifier_for(ctx).verify(clip, VerifyParams(expected_duration=2.0))
    first = verified(qtbot, clip)
    item = item_for(timeline, clip)
    pos = item.mapToScene(QPointF(item.boundingRect().center()))
    menu = context_menu(timeline.view, pos)
    actions = {a.text(): a for a in menu.actions()}
    assert "Verify Against Reference…" in actions
    actions["Verify"].trigger()
    again = verified(qtbot, clip, before=first)
    assert again["passed"] is False and again["params"]["expected_duration"] == 2.0
    assert again["overallQuality"] == pytest.approx(first["overallQuality"], abs=1e-6)
