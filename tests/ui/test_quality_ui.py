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


def test_in_the_editor_a_frozen_generation_is_badged_and_regenerated_once(qtbot, tmp_path,
                                                                           sample_project):
    """A still picture animated by the local provider without texture is a frozen shot: the
    controller lands it with its failing report (red badge), the clip is regenerated once
    with the motion hint, and both takes stay on the clip."""
    import opentimelineio as otio
    from PIL import Image

    from aladdin_studio.config import Settings
    from aladdin_studio.generation import placement
    from aladdin_studio.generation.providers.local import LocalProvider
    from aladdin_studio.generation.request import GenerationRequest
    from aladdin_studio.jobs import JobStore, make_huey
    from aladdin_studio.ui.generation_controller import GenerationController

    settings = Settings(provider="local")
    ctx = EditorContext(project_io.load(sample_project), settings=settings)
    controller = GenerationController(
        ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
        huey=make_huey(settings, path=tmp_path / "queue.sqlite3"),
        provider_factory=lambda name: LocalProvider(tmp_path / "renders", short_side=180),
        poll_ms=50, queue_options={"poll_interval": 0.02, "backoff_base": 0.01},
        consumer_options={"tick": 0.05})
    ctx.generation = controller
    timeline = TimelineWidget(ctx, previews=False)
    qtbot.addWidget(timeline)
    try:
        still = tmp_path / "grey.png"
        Image.new("RGB", (640, 360), (120, 120, 120)).save(still)
        request = GenerationRequest("image-to-video", "a quiet grey wall", image=still,
                                    duration=2.0, seed=3)
        track = next(t for t in ctx.scene.tracks if t.name == "V1")
        end = ctx.duration_frames
        first = controller.submit(request, ctx.scene, track, end)
        clip = next(c for c in track if isinstance(c, otio.schema.Clip)
                    and placement.generation_job(c) == first.id)
        qtbot.waitUntil(lambda: not placement.is_placeholder(clip), timeout=60_000)
        report = clip_report(clip)
        assert report["passed"] is False
        assert any("picture frozen" in i for i in report["issues"])
        item = item_for(timeline, clip)
        qtbot.waitUntil(lambda: item.quality is not None and item.quality[0] is False,
                        timeout=5000)
        record = placement.generation_record(clip)
        assert record["quality_retries"] == 1
        second_id = record["quality_retry_job"]
        assert second_id != first.id
        retry = controller.store.get(second_id)
        assert "Continuous natural motion" in retry.payload["prompt"]
        qtbot.waitUntil(lambda: len(clip.media_references()) == 2, timeout=60_000)
        ticks: list[int] = []  # counted after each poll (connected after it)
        controller.timer.timeout.connect(lambda: ticks.append(1))
        qtbot.waitUntil(lambda: len(ticks) >= 3, timeout=10_000)  # 3 more polls: ...
        assert [j.id for j in controller.store.list(limit=10)
                if j.kind == "generation"] == [second_id, first.id]
        assert placement.generation_record(clip)["quality_retries"] == 1
        assert {k: clip_report(clip, k)["passed"] for k in clip.media_references()} == \
            {"take1": False, "take2": False}  # still frozen: both kept, both marked
    finally:
        controller.close()
        ctx.close()


def test_verify_against_a_picked_reference_checks_imported_footage(qtbot, editor, tmp_path,
                                                                   monkeypatch):
    """Right-click ▸ Verify Against Reference… on imported footage: the picked picture is
    used as the kind of reference the user chose."""
    from PIL import Image

    from aladdin_studio.ui import quality_actions

    ctx, _timeline, _inspector = editor
    clip = next(c for c in ctx.scene.find_clips() if c.name == "pattern-2")
    picture = tmp_path / "elsewhere.png"
    Image.new("RGB", (640, 360), (200, 30, 160)).save(picture)
    monkeypatch.setattr(quality_actions, "pick_reference",
                        lambda parent: (picture, quality_actions.REFERENCE_KINDS[1]))
    assert quality_actions.verify_clip(ctx, clip, None, ask_reference=True)
    report = verified(qtbot, clip)
    assert report["params"]["location_ref"] == str(picture)
    location = next(c for c in report["checks"] if c["type"] == "location-consistency")
    assert location["passed"] is False  # a magenta card is not the sample's picture
