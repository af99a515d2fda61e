"""The generation UI end to end: the Generate dialog, the controller (embedded SqliteHuey
consumer, local animatic provider), placeholders and takes on the timeline, the jobs panel."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import opentimelineio as otio
import pytest
from PySide6.QtCore import QPointF, Qt

from aladdin_studio.config import Settings
from aladdin_studio.generation import placement
from aladdin_studio.generation.errors import ContentPolicyError
from aladdin_studio.generation.providers.base import Status
from aladdin_studio.generation.providers.local import LocalProvider
from aladdin_studio.jobs import JobStore, make_huey
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.generate_dialog import GenerateDialog, find_gap, open_generate_dialog
from aladdin_studio.ui.generation_controller import GenerationController
from aladdin_studio.ui.jobs_panel import JobsPanel
from aladdin_studio.ui.timeline_view import TimelineWidget

WAIT_MS = 20_000


class GatedProvider:
    """The local provider, but a job reports 40 % progress until ``gate`` is set."""

    name = "local"

    def __init__(self, inner: LocalProvider) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.gate.set()
        self.refuse: str | None = None  # a content-policy refusal for the next submits

    def submit(self, request, model):
        if self.refuse:
            raise ContentPolicyError(self.refuse)
        return self.inner.submit(request, model)

    def status(self, request_id, model):
        if not self.gate.is_set():
            return Status("IN_PROGRESS", progress=0.4)
        return self.inner.status(request_id, model)

    def fetch(self, request_id, model, request, dest_dir):
        return self.inner.fetch(request_id, model, request, dest_dir)

    def cancel(self, request_id, model):
        self.inner.cancel(request_id, model)


@pytest.fixture
def gen(qtbot, tmp_path, sample_project):
    settings = Settings(provider="local")
    ctx = EditorContext(project_io.load(sample_project), settings=settings)
    provider = GatedProvider(LocalProvider(tmp_path / "renders", short_side=180))
    controller = GenerationController(
        ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
        huey=make_huey(settings, path=tmp_path / "queue.sqlite3"),
        provider_factory=lambda name: provider, poll_ms=50,
        queue_options={"poll_interval": 0.02, "backoff_base": 0.01},
        consumer_options={"tick": 0.05})
    ctx.generation = controller
    timeline = TimelineWidget(ctx, previews=False)
    timeline.resize(1400, 400)
    qtbot.addWidget(timeline)
    panel = JobsPanel(ctx, controller)
    qtbot.addWidget(panel)
    errors: list[str] = []
    ctx.error.connect(errors.append)
    yield SimpleNamespace(ctx=ctx, controller=controller, timeline=timeline, panel=panel,
                          provider=provider, errors=errors, store=controller.store)
    controller.close()
    ctx.close()


def v1(ctx):
    return next(t for t in ctx.scene.tracks if t.name == "V1")


def clip_at(track, frame: int, rate: float):
    for item in track:
        if isinstance(item, otio.schema.Clip):
            start = S.frames(item.range_in_parent().start_time, rate)
            if start == frame:
                return item
    return None


def submit_dialog(qtbot, gen, prompt: str, **fields) -> GenerateDialog:
    dialog = GenerateDialog(gen.ctx, gen.controller, fields.pop("method", "text-to-video"))
    qtbot.addWidget(dialog)
    dialog.prompt_edit.setPlainText(prompt)
    dialog.duration_spin.setValue(fields.pop("duration", 2.0))
    dialog.seed_edit.setText(str(fields.pop("seed", 7)))
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    return dialog


def generated(clip) -> bool:
    """The clip's active take is a generated MP4 with provenance."""
    ref = clip.media_reference
    return isinstance(ref, otio.schema.ExternalReference) and \
        ref.target_url.endswith(".mp4") and bool(S.get(ref, "provenance"))


# --------------------------------------------------------------------------- tests


def test_submit_places_a_placeholder_that_becomes_the_generated_take(qtbot, gen):
    ctx = gen.ctx
    end = ctx.duration_frames
    ctx.set_playhead(end)
    gen.provider.gate.clear()  # hold the job at 42 % to look at the placeholder
    dialog = submit_dialog(qtbot, gen, "A lighthouse at dusk, waves below")
    assert dialog.result() == dialog.DialogCode.Accepted and not dialog.error
    job = dialog.job
    clip = clip_at(v1(ctx), end, ctx.rate)
    assert clip is not None and placement.is_placeholder(clip)
    assert placement.generation_job(clip) == job.id
    assert S.frames(clip.source_range.duration, ctx.rate) == int(2 * ctx.rate)
    item = gen.timeline.view.item_for(clip)
    qtbot.waitUntil(lambda: item.placeholder_state()[1] == "Generating… 42%", timeout=WAIT_MS)

    gen.provider.gate.set()
    qtbot.waitUntil(lambda: not placement.is_placeholder(clip), timeout=WAIT_MS)
    ref = clip.media_reference
    path = ctx.project.resolve_media(ref.target_url)
    assert path.suffix == ".mp4" and path.is_file()
    assert path.parent == ctx.project.location.media_dir
    provenance = S.get(ref, "provenance")
    assert provenance and "A lighthouse" in str(provenance)
    assert ctx.stack.undoText() == "Generated Take"

    qtbot.waitUntil(lambda: gen.panel.cell_text(job.id, "Progress") == "100 %",
                    timeout=WAIT_MS)
    assert gen.panel.cell_text(job.id, "Cost") == "$0.00"
    assert gen.panel.cell_text(job.id, "Status") == "Done"
    assert gen.panel.cell_text(job.id, "Method") == "text-to-video"
    assert "lighthouse" in gen.panel.cell_text(job.id, "Prompt")
    assert gen.panel.spend_label.text().startswith("Spent $0.00")
    assert not gen.errors


def test_regenerate_adds_a_take_undo_restores_and_takes_menu_switches(qtbot, gen):
    ctx = gen.ctx
    end = ctx.duration_frames
    ctx.set_playhead(end)
    submit_dialog(qtbot, gen, "A red kite over hills", seed=11)
    clip = clip_at(v1(ctx), end, ctx.rate)
    qtbot.waitUntil(lambda: not placement.is_placeholder(clip), timeout=WAIT_MS)
    first_key = clip.active_media_reference_key
    first_url = clip.media_reference.target_url

    # Regenerate…: pre-filled from the provenance, the result is a new take of the clip
    dialog = open_generate_dialog(ctx, clip=clip)
    qtbot.addWidget(dialog)
    assert dialog.prompt_edit.toPlainText() == "A red kite over hills"
    assert dialog.seed_edit.text() == "11" and dialog.duration_spin.value() == 2.0
    assert not dialog.track_combo.isEnabled()
    dialog.seed_edit.setText("12")
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert not dialog.error
    qtbot.waitUntil(lambda: len(clip.media_references()) == 2, timeout=WAIT_MS)
    new_key = clip.active_media_reference_key
    assert new_key != first_key
    assert clip.media_reference.target_url != first_url
    assert ctx.project.resolve_media(clip.media_reference.target_url).is_file()

    ctx.stack.undo()  # Ctrl+Z: back to the previous take
    assert clip.active_media_reference_key == first_key
    assert clip.media_reference.target_url == first_url
    ctx.stack.redo()
    assert clip.active_media_reference_key == new_key

    # the Takes submenu switches takes (undoably)
    item = gen.timeline.view.item_for(clip)
    pos = QPointF(item.start + 5, item.row.top + item.row.height / 2)
    menu = gen.timeline.view.context_menu(pos)
    texts = [a.text() for a in menu.actions()]
    assert "Regenerate…" in texts
    takes = next(a.menu() for a in menu.actions() if a.text() == "Takes")
    choices = {a.text().split(" ")[0]: a for a in takes.actions()}
    assert set(choices) == {first_key, new_key} and choices[new_key].isChecked()
    choices[first_key].trigger()
    assert clip.active_media_reference_key == first_key
    assert ctx.stack.undoText() == "Switch Take"
    ctx.stack.undo()
    assert clip.active_media_reference_key == new_key
    assert not gen.errors


def test_invalid_input_is_shown_and_nothing_is_submitted(qtbot, gen):
    ctx = gen.ctx
    dialog = GenerateDialog(ctx, gen.controller, "text-to-video")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.prompt_edit.setPlainText("A storm at sea")
    dialog.duration_spin.setValue(8.0)
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert "limited to 7 s" in dialog.error and "8 s" in dialog.error
    assert dialog.isVisible() and dialog.error_label.isVisible()

    dialog.duration_spin.setValue(5.0)
    dialog.set_method("image-to-video")
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert dialog.error == "image-to-video needs an image."

    dialog.set_method("text-to-video")
    dialog.prompt_edit.setPlainText("   ")
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert dialog.error

    assert gen.store.list() == []
    assert ctx.stack.count() == 0
    assert placement.find_generation_clips(ctx.project) == []
    assert gen.controller.consumer is None  # nothing started either


def test_cancel_from_the_jobs_panel_marks_job_and_placeholder(qtbot, gen):
    ctx = gen.ctx
    end = ctx.duration_frames
    ctx.set_playhead(end)
    gen.provider.gate.clear()
    job = submit_dialog(qtbot, gen, "A train crossing a bridge").job
    clip = clip_at(v1(ctx), end, ctx.rate)
    item = gen.timeline.view.item_for(clip)
    qtbot.waitUntil(lambda: gen.controller.job(job.id).status == "running", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: gen.panel.row_of(job.id) >= 0, timeout=WAIT_MS)

    assert gen.panel.select(job.id)
    assert gen.panel.cancel_button.isEnabled() and not gen.panel.retry_button.isEnabled()
    qtbot.mouseClick(gen.panel.cancel_button, Qt.MouseButton.LeftButton)
    assert gen.store.get(job.id).status == "cancelled"
    qtbot.waitUntil(lambda: gen.panel.cell_text(job.id, "Status") == "Cancelled",
                    timeout=WAIT_MS)
    assert item.placeholder_state() == ("cancelled", "Cancelled")
    assert placement.is_placeholder(clip)
    assert gen.panel.retry_button.isEnabled()

    # the placeholder's context menu offers Retry now
    pos = QPointF(item.start + 5, item.row.top + item.row.height / 2)
    menu = gen.timeline.view.context_menu(pos)
    actions = {a.text(): a for a in menu.actions()}
    assert actions["Retry"].isEnabled() and not actions["Cancel"].isEnabled()
    gen.provider.gate.set()
    actions["Retry"].trigger()
    qtbot.waitUntil(lambda: not placement.is_placeholder(clip), timeout=WAIT_MS)
    assert generated(clip) and placement.placeholder_status(clip)[0] == "done"


def test_cost_estimate_follows_the_tier(qtbot, gen):
    dialog = GenerateDialog(gen.ctx, gen.controller, "text-to-video")
    qtbot.addWidget(dialog)
    texts = {}
    for index in range(dialog.quality_combo.count()):
        dialog.quality_combo.setCurrentIndex(index)
        texts[dialog.quality_combo.currentData()] = (dialog.cost_label.text(),
                                                    dialog.model_label.text())
    assert len({t[0] for t in texts.values()}) == 3
    assert len({t[1] for t in texts.values()}) == 3
    assert all("$" in cost for cost, _model in texts.values())
    assert "Fallbacks: " in texts["high"][1]
    # every tier's price is on its item, and the local provider's animatic is free
    items = [dialog.quality_combo.itemText(i) for i in range(dialog.quality_combo.count())]
    assert all("$" in text for text in items)
    assert "$0.00" in dialog.provider_label.text() and "local" in dialog.provider_label.text()


def test_bridge_the_gap_grabs_frames_in_a_worker(qtbot, gen):
    ctx = gen.ctx
    track = v1(ctx)
    second = [c for c in track if isinstance(c, otio.schema.Clip)][2]
    start = S.frames(second.range_in_parent().start_time, ctx.rate)
    assert ctx.push(C.Lift(second))
    gap = find_gap(track, start + 10, ctx.rate)
    ctx.set_playhead(start + 10)
    dialog = GenerateDialog(gen.ctx, gen.controller, "first-last-frame", track=track)
    qtbot.addWidget(dialog)
    dialog.bridge_button.click()
    assert dialog.grabbing
    qtbot.waitUntil(lambda: not dialog.grabbing, timeout=WAIT_MS)
    assert not dialog.error
    first, last = dialog.first_field.path(), dialog.last_field.path()
    assert first and last and first.is_file() and last.is_file()
    assert Path(first).parent.parent == ctx.project.location.cache_dir
    from PIL import Image

    assert min(Image.open(first).size) >= 300  # what hosted models accept
    assert dialog.position_edit.text() == gen.timeline.view.timecode(gap[0])
    ctx.set_playhead(0)  # not in a gap
    dialog.bridge_button.click()
    assert "not in a gap" in dialog.error


def test_layer_composer_moves_scales_and_renders(qtbot, tmp_path):
    from PIL import Image
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent

    from aladdin_studio.ui.layer_composer import LayerComposer

    Image.new("RGB", (640, 360), (0, 0, 255)).save(tmp_path / "location.png")
    Image.new("RGB", (100, 200), (255, 0, 0)).save(tmp_path / "hero.png")
    composer = LayerComposer()
    qtbot.addWidget(composer)
    composer.resize(640, 360)
    composer.show()
    composer.set_background(tmp_path / "location.png")
    item = composer.add_layer(tmp_path / "hero.png", x=10, y=20, scale=1.0)
    item.setPos(100, 50)  # what a drag does
    under = composer.mapFromScene(item.sceneBoundingRect().center())
    wheel = QWheelEvent(QPointF(under), QPointF(composer.mapToGlobal(under)), QPoint(0, 0),
                        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    composer.wheelEvent(wheel)
    layer = composer.layers()[0]
    assert layer.scale == pytest.approx(1.1)
    assert composer.output_size() == (640, 360)
    out = composer.render_png(tmp_path / "out" / "composite.png")
    image = Image.open(out).convert("RGB")
    assert image.size == (640, 360)
    assert image.getpixel((5, 5)) == (0, 0, 255)
    cx, cy = int(layer.x + 55 * 1.0), int(layer.y + 110)
    assert image.getpixel((cx, cy))[0] > 200  # the character, moved and scaled


def test_main_window_generate_menu_jobs_dock_and_exports(qtbot, tmp_path, sample_project):
    from PySide6.QtWidgets import QApplication

    from aladdin_studio.ui.main_window import MainWindow

    settings = Settings(provider="local")

    def make_controller(ctx):
        return GenerationController(
            ctx, store=JobStore(tmp_path / "jobs.sqlite3"),
            huey=make_huey(settings, path=tmp_path / "queue.sqlite3"),
            provider_factory=lambda name: LocalProvider(tmp_path / "r", short_side=180))

    window = MainWindow(project_io.load(sample_project), settings=settings,
                        ask_recovery=False, generation=make_controller)
    qtbot.addWidget(window)
    assert window.ctx.generation is window.generation
    assert isinstance(window.jobs, JobsPanel) and window.docks["Jobs"].widget() is window.jobs
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    texts = [a.text() for a in menus["&Generate"].actions() if not a.isSeparator()]
    assert texts == ["Text to Video…", "Image to Video…", "First + Last Frame…",
                     "Composite to Video…", "Regenerate Selected Clip…"]
    voice = [a.text() for a in menus["&Voice"].actions() if not a.isSeparator()]
    assert "&Character Voices…" in voice and all(
        a.isEnabled() for a in menus["&Voice"].actions() if a.text() == "&Character Voices…")

    next(a for a in menus["&Generate"].actions() if a.text() == "Image to Video…").trigger()
    dialog = next(w for w in QApplication.topLevelWidgets()
                  if isinstance(w, GenerateDialog) and w.isVisible())
    assert dialog.method == "image-to-video" and dialog.track_combo.currentText() == "V1"
    dialog.reject()

    window.ctx.select([])
    assert window.regenerate_selected() is None
    assert "Select a video clip" in window.statusBar().currentMessage()

    window._export_done(SimpleNamespace(path=str(tmp_path / "Scene 1.mp4"), duration=3.0))
    assert window.jobs.table.rowCount() == 1
    assert window.jobs.cell_text("export:0", "Prompt").startswith("Scene 1.mp4 (3.0 s)")
    window.close()
    assert not window.generation.timer.isActive() and window.generation.consumer is None


def test_composite_from_the_reference_library(qtbot, gen, tmp_path):
    from PIL import Image

    from aladdin_studio.generation import references

    ctx = gen.ctx
    Image.new("RGB", (640, 360), (30, 90, 40)).save(tmp_path / "park.png")
    Image.new("RGB", (300, 420), (200, 60, 60)).save(tmp_path / "sarah.png")
    assert ctx.push(references.add_reference(ctx.project, tmp_path / "park.png", "location"))
    assert ctx.push(references.add_reference(ctx.project, tmp_path / "sarah.png", "character",
                                             "Sarah"))
    ctx.set_playhead(ctx.duration_frames)
    dialog = GenerateDialog(ctx, gen.controller, "composite-to-video")
    qtbot.addWidget(dialog)
    page = dialog.pages.widget(3)  # composite-to-video
    location = page.findChild(type(dialog.quality_combo), "library-location")
    character = page.findChild(type(dialog.quality_combo), "library-character")
    location.activated.emit(1)
    character.activated.emit(character.findText("Sarah"))
    assert dialog.composer.background_path == tmp_path / "park.png"
    assert [layer.path for layer in dialog.composer.layers()] == [tmp_path / "sarah.png"]
    dialog.prompt_edit.setPlainText("Sarah walks through the park")
    dialog.camera_edit.setText("slow dolly in")
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert not dialog.error
    request = dialog.job.request
    assert request["method"] == "composite-to-video" and request["camera"] == "slow dolly in"
    image = Path(request["image"])
    assert image.parent == ctx.project.location.cache_dir / "composites" and image.is_file()
    assert request["character_ref"] == str(tmp_path / "sarah.png")
    assert request["location_ref"] == str(tmp_path / "park.png")


def test_a_failed_generation_shows_its_reason_and_retries(qtbot, gen):
    ctx = gen.ctx
    end = ctx.duration_frames
    ctx.set_playhead(end)
    gen.provider.refuse = "The prompt was refused by the content policy."
    job = submit_dialog(qtbot, gen, "Something the model refuses").job
    clip = clip_at(v1(ctx), end, ctx.rate)
    item = gen.timeline.view.item_for(clip)
    qtbot.waitUntil(lambda: placement.placeholder_status(clip)[0] == "failed", timeout=WAIT_MS)
    assert ctx.stack.undoText() == "Generation Failed"
    status, text = item.placeholder_state()
    assert status == "failed" and text == "Failed: The prompt was refused by the content policy."
    assert gen.panel.cell_text(job.id, "Status").startswith("Failed: The prompt was refused")

    gen.provider.refuse = None
    gen.panel.select(job.id)
    assert gen.panel.retry_button.isEnabled()
    qtbot.mouseClick(gen.panel.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not placement.is_placeholder(clip), timeout=WAIT_MS)
    assert placement.placeholder_status(clip)[0] == "done"


def test_image_fields_take_drops_from_files_and_the_media_bin(qtbot, gen, tmp_path):
    from PIL import Image
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent

    from aladdin_studio.ui.timeline_view.drops import media_mime

    Image.new("RGB", (480, 320), (10, 20, 30)).save(tmp_path / "still.png")
    dialog = GenerateDialog(gen.ctx, gen.controller, "image-to-video")
    qtbot.addWidget(dialog)
    field = dialog.image_field

    def drop(mime):
        event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        field.dropEvent(event)

    drop(media_mime([tmp_path / "still.png"]))
    assert field.path() == tmp_path / "still.png"
    assert not field.thumb.pixmap().isNull()
    field.set_path(None)
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(tmp_path / "still.png"))])
    drop(files)
    assert field.path() == tmp_path / "still.png"
    assert dialog.request().image == tmp_path / "still.png"


def test_target_defaults_to_the_selected_video_track_at_the_playhead(qtbot, gen):
    ctx = gen.ctx
    add = C.AddTrack(ctx.scene, "video", "V2")
    assert ctx.push(add)
    v2 = add.track
    ctx.set_playhead(100)
    dialog = GenerateDialog(ctx, gen.controller, "text-to-video", track=v2)
    qtbot.addWidget(dialog)
    assert dialog.target() == (ctx.scene, v2, 100)
    assert [dialog.track_combo.itemText(i) for i in range(dialog.track_combo.count())] \
        == ["V1", "V2"]  # video tracks only
    ctx.select([clip_at(v1(ctx), 0, ctx.rate)])
    dialog = GenerateDialog(ctx, gen.controller, "text-to-video")
    qtbot.addWidget(dialog)
    assert dialog.target()[1] is v1(ctx)
    dialog.position_edit.setText("00:00:02:00")
    assert dialog.target()[2] == 48
    dialog.position_edit.setText("later")
    dialog.prompt_edit.setPlainText("A fox")
    assert not dialog.submit() and dialog.error.startswith("Position:")
