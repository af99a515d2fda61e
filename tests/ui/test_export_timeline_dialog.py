"""File ▸ Export Timeline: the CLI's interchange export from the editor, notes shown."""

from __future__ import annotations

import zipfile

import opentimelineio as otio

from aladdin_studio.timeline import title_commands as TC
from aladdin_studio.timeline import titles as TT
from aladdin_studio.ui.export_timeline_dialog import ALL_SCENES, ExportTimelineDialog


def make(qtbot, ctx) -> ExportTimelineDialog:
    dialog = ExportTimelineDialog(ctx)
    qtbot.addWidget(dialog)
    return dialog


def test_every_format_is_written_and_the_notes_are_shown(qtbot, ctx, tmp_path):
    dialog = make(qtbot, ctx)
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == \
        ["otio", "otioz", "edl", "fcpxml"]
    assert dialog.scene.currentData() == ctx.scene.name
    out = tmp_path / "cut.otio"
    assert dialog.export_to("otio", str(out), ctx.scene.name) == []
    timeline = otio.adapters.read_from_file(str(out))
    assert len(timeline.tracks) == len(ctx.scene.tracks)
    assert "Exported OpenTimelineIO to" in dialog.result_box.text()

    notes = dialog.export_to("edl", str(tmp_path / "cut.edl"), ctx.scene.name)
    assert notes and any("written as a dissolve" in n or "cut" in n for n in notes)
    assert "Notes:" in dialog.result_box.text() and notes[0] in dialog.result_box.text()
    assert "TITLE:" in (tmp_path / "cut.edl").read_text()

    assert dialog.export_to("fcpxml", str(tmp_path / "cut.xml"), ctx.scene.name) is not None
    assert "<xmeml" in (tmp_path / "cut.xml").read_text()
    assert dialog.export_to("otioz", str(tmp_path / "cut.otioz"), ctx.scene.name) is not None
    with zipfile.ZipFile(tmp_path / "cut.otioz") as z:
        assert any(n.startswith("media/") for n in z.namelist())


def test_the_output_guard_refuses_the_project_file_and_nothing_is_lost(qtbot, ctx):
    dialog = make(qtbot, ctx)
    project_file = ctx.project.location.file
    before = project_file.read_bytes()
    assert dialog.export_to("otio", str(project_file)) is None
    assert "Could not export the timeline" in dialog.result_box.text()
    assert project_file.read_bytes() == before
    dialog.open()
    dialog.path.setText(str(project_file))
    dialog.export_button.click()  # the background path reports the refusal the same way
    qtbot.waitUntil(lambda: dialog.pending is None, timeout=10_000)
    assert "Could not export the timeline" in dialog.result_box.text()
    assert dialog.isVisible() and project_file.read_bytes() == before
    assert dialog.export_to("otio", "") is None
    assert dialog.result_box.text() == "Choose a file to export to."


def test_a_title_exports_to_otio_and_the_format_sets_the_extension(qtbot, ctx, tmp_path):
    TC.AddTitle(ctx.scene, 0, TT.new_title_clip(ctx.rate, text="Hello")).redo(ctx.project)
    dialog = make(qtbot, ctx)
    out = tmp_path / "t.otio"
    assert dialog.export_to("otio", str(out), ALL_SCENES) == []
    clip = next(c for c in otio.adapters.read_from_file(str(out)).find_clips()
                if TT.is_title(c))
    assert TT.title_params(clip)["text"] == "Hello"
    notes = dialog.export_to("fcpxml", str(tmp_path / "t.xml"), ctx.scene.name)
    assert "The title 'Title: Hello' is written as an offline clip." in notes
    assert "Title: Hello" in (tmp_path / "t.xml").read_text()
    assert dialog.export_to("otioz", str(tmp_path / "t.otioz"), ctx.scene.name) == []
    dialog.path.setText(str(tmp_path / "t.otio"))
    dialog.format.setCurrentIndex(dialog.format.findData("fcpxml"))
    assert dialog.path.text().endswith("t.xml")


def test_the_typed_extension_decides_the_format_and_export_closes_the_dialog(qtbot, ctx,
                                                                           tmp_path):
    dialog = make(qtbot, ctx)
    dialog.open()
    dialog.path.setText(str(tmp_path / "cut.xml"))  # the format combo still says OTIO
    assert dialog.chosen() == ("fcpxml", str(tmp_path / "cut.xml"))
    dialog.export_button.click()  # on a worker thread: the editor stays responsive
    assert dialog.pending is not None and not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert "<xmeml" in (tmp_path / "cut.xml").read_text()
    assert dialog.export_button.isEnabled() and "Exported Final Cut Pro 7 XML" in \
        dialog.result_box.text()
    dialog.path.setText(str(tmp_path / "plain"))
    assert dialog.chosen() == ("otio", str(tmp_path / "plain.otio"))

