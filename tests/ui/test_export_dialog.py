"""Export dialog: presets and paths, a real export in a worker, progress, cancel, errors."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from aladdin_studio.render.export import Progress
from aladdin_studio.render.presets import PRESETS
from aladdin_studio.render.worker import ExportProcess
from aladdin_studio.timeline import commands as C
from aladdin_studio.ui import export_dialog as ED
from aladdin_studio.ui.export_dialog import ExportDialog


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                          "-show_format", str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@pytest.fixture
def dialog(qtbot, ctx):
    dlg = ExportDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    yield dlg
    if dlg.process is not None and not dlg.process.finished:
        dlg.process.cancel(grace=0.0)


def choose(dlg: ExportDialog, name: str) -> None:
    index = next(i for i in range(dlg.preset_combo.count())
                 if dlg.preset_combo.itemData(i).name == name)
    dlg.preset_combo.setCurrentIndex(index)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_defaults_follow_settings_scene_and_preset(dialog, ctx, sample_project):
    assert dialog.preset.name == "1080p24"  # VIDEO_DEFAULT_RESOLUTION/FPS defaults
    assert [dialog.preset_combo.itemText(i) for i in range(dialog.preset_combo.count())] == [
        p.label for p in PRESETS.values()]
    assert dialog.output_path == sample_project / "renders" / "Scene 1.mp4"
    choose(dialog, "prores")
    assert dialog.output_path.name == "Scene 1.mov"
    choose(dialog, "draft")
    assert dialog.output_path.name == "Scene 1.mp4"
    assert dialog.whole_radio.isChecked() and not dialog.in_out_radio.isEnabled()
    assert dialog.time_range() is None
    ctx.set_in_out((24, 48))
    assert dialog.in_out_radio.isEnabled()
    dialog.in_out_radio.setChecked(True)
    assert dialog.time_range() == (1.0, 2.0)
    ctx.set_in_out(None)
    assert dialog.whole_radio.isChecked() and dialog.time_range() is None


def test_non_default_video_settings_add_a_default_preset(qtbot, ctx):
    from aladdin_studio.config import Settings

    ctx.settings = Settings(video_default_resolution="1280x720", video_default_fps=30)
    dlg = ExportDialog(ctx)
    qtbot.addWidget(dlg)
    assert dlg.preset.name == "default"
    assert dlg.preset.size == (1280, 720) and dlg.preset.fps == 30.0


def test_unsaved_edits_are_exported(dialog, ctx):
    ctx.push(C.RenameItem(ctx.scene.tracks[0], "Edited V1"))
    assert ctx.project.dirty
    assert "Edited V1" in dialog.build_request().document


def test_in_out_export_writes_a_playable_file_without_blocking(qtbot, dialog, ctx,
                                                               monkeypatch):
    out = dialog.output_path.parent / "range.mp4"
    out.write_bytes(b"old junk")  # overwriting asks first
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    choose(dialog, "draft")
    ctx.set_in_out((24, 48))  # 1 s at 24 fps
    dialog.in_out_radio.setChecked(True)
    dialog.set_output_path(out)
    results: list = []
    progress: list[Progress] = []
    dialog.finished_export.connect(results.append)

    # A 5 ms timer on the GUI thread: its lateness shows whether the GUI ever blocks.
    beats: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
    heartbeat.start()

    poll = ExportProcess.poll

    def recording_poll(self):  # every event the dialog receives
        events = poll(self)
        progress.extend(payload for kind, payload in events if kind == "progress")
        return events
    monkeypatch.setattr(ExportProcess, "poll", recording_poll)

    started = time.perf_counter()
    assert dialog.start_export()
    # Bounds in this test are wall time on a shared 2-core box (load ~14 seen): loose enough
    # for scheduling noise, far below the multi-second blocks they are there to catch.
    assert time.perf_counter() - started < 1.0
    assert asked and not dialog.export_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    heartbeat.stop()

    assert dialog.error is None, dialog.error
    assert len(results) == 1 and results[0] is dialog.result
    result = results[0]
    assert result.frames == 24 and Path(result.path) == out.absolute()
    info = ffprobe(out)
    assert abs(float(info["format"]["duration"]) - 1.0) < 0.1
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    video = [p.done for p in progress if p.stage == "video"]
    assert video and video == sorted(video) and video[-1] == 24
    assert {p.stage for p in progress} == {"video", "mux"}  # sound renders alongside
    assert dialog.progress_bar.text() == "24 / 24 frames"
    assert "Wrote range.mp4" in dialog.message_label.text()
    assert "rendered in" in dialog.message_label.text()
    # Idle machine: max lateness ~5-40 ms; under load ~14 one gap of 292 ms was seen. The
    # bound is loose because the 2 cores are shared with the export child (and other work);
    # a real block, such as a blocking ExportProcess.cancel() (up to 5 s), shows up as one
    # long gap.
    late = sorted(b - a - 0.005 for a, b in zip(beats, beats[1:], strict=False))
    print(f"heartbeat lateness: max {late[-1] * 1000:.1f} ms, "
          f"median {late[len(late) // 2] * 1000:.1f} ms over {len(beats)} beats")
    assert len(beats) > 20 and late[len(late) // 2] < 0.05
    assert late[-1] < 1.0, f"GUI blocked for {late[-1] * 1000:.0f} ms"

    assert dialog.show_button.isVisible()
    dialog.show_button.click()
    assert opened == [QUrl.fromLocalFile(str(out.parent.absolute()))]
    assert not [n for n in leftovers(out.parent) if n.endswith(".parts")]


def test_progress_text(dialog):
    dialog._show_progress(Progress(12, 48, 30.0, 1.2, "video"))
    assert dialog.stage_label.text() == "Rendering video…"
    assert dialog.progress_bar.text() == "12 / 48 frames"
    assert dialog.stats_label.text() == "25% · 30.0 fps · 0:01 left"
    dialog._show_progress(Progress(0, 48, 0.0, None, "audio"))
    assert dialog.stage_label.text() == "Analysing audio loudness…"
    dialog._show_progress(Progress(48, 48, 0.0, 0.0, "mux"))
    assert dialog.stage_label.text() == "Writing the file…"


def test_declining_the_overwrite_keeps_the_file(dialog, monkeypatch):
    out = dialog.output_path
    out.write_bytes(b"keep me")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert not dialog.start_export()
    assert dialog.process is None and out.read_bytes() == b"keep me"


@pytest.mark.parametrize(("grace", "when"), [(ED.CANCEL_GRACE_S, "rendering"),
                                             (0.0, "starting")],
                         ids=["cooperative-while-rendering", "terminate-while-starting"])
def test_cancel_leaves_no_file(qtbot, dialog, monkeypatch, grace, when):
    monkeypatch.setattr(ED, "CANCEL_GRACE_S", grace)
    choose(dialog, "draft")
    folder = dialog.output_path.parent
    before = leftovers(folder)
    assert dialog.start_export()
    if when == "rendering":
        qtbot.waitUntil(lambda: dialog.process.progress is not None
                        and dialog.process.progress.stage == "video"
                        and dialog.process.progress.done > 0, timeout=60_000)
    started = time.perf_counter()
    dialog.cancel_button.click()
    # the GUI does not wait for the child (a cooperative stop may take CANCEL_GRACE_S = 3 s)
    assert time.perf_counter() - started < 0.5
    qtbot.waitUntil(lambda: not dialog.running, timeout=15_000)
    assert dialog.process.cancelled and dialog.result is None
    assert dialog.message_label.text() == "Cancelled — no file written."
    assert leftovers(folder) == before
    assert not dialog.process.alive and dialog.export_button.isEnabled()


def test_missing_folder_is_reported_before_starting(dialog, tmp_path):
    dialog.set_output_path(tmp_path / "no such folder" / "out.mp4")
    assert not dialog.start_export()
    assert "does not exist" in dialog.message_label.text()
    assert dialog.process is None and dialog.export_button.isEnabled()
    blocker = tmp_path / "a file"
    blocker.write_text("")
    dialog.set_output_path(blocker / "out.mp4")
    assert not dialog.start_export()
    assert "does not exist" in dialog.message_label.text()


def test_worker_errors_are_shown_in_the_dialog(qtbot, dialog, sample_project):
    media = sorted((sample_project / "media").iterdir())
    for path in media:
        path.unlink()  # the media goes offline after the project was opened
    choose(dialog, "draft")
    assert dialog.start_export()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.result is None and dialog.error
    assert "offline" in dialog.message_label.text()
    assert dialog.message_label.text() == dialog.error
    assert not dialog.show_button.isVisible()
    assert not dialog.output_path.exists()
