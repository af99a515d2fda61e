"""The Inspector dock on the sample project: values, undoable edits, refusals, undo refresh."""

from __future__ import annotations

import pytest

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.inspector import Inspector
from aladdin_studio.ui.inspector_fields import SliderField, gain_to_db


@pytest.fixture
def inspector(qtbot, ctx) -> Inspector:
    widget = Inspector(ctx)
    qtbot.addWidget(widget)
    return widget


def video(ctx: EditorContext):
    return ctx.scene.tracks[0]


def clip_named(ctx: EditorContext, name: str):
    return next(c for c in ctx.scene.find_clips() if c.name == name)


def drag(field: SliderField, *positions: int) -> None:
    """Press the slider, move it through ``positions`` and release it."""
    field.slider.setSliderDown(True)
    for position in positions:
        field.slider.setValue(position)
    field.slider.setSliderDown(False)


def choose(box, data) -> None:
    """Pick the combo item holding ``data`` as a user would."""
    index = box.findData(data)
    assert index >= 0, data
    box.setCurrentIndex(index)
    box.activated.emit(index)


def test_shows_the_selected_items_values(ctx, inspector):
    assert inspector.showing == "hint"
    panel = inspector.clip_panel
    ctx.select([clip_named(ctx, "pattern-2")])
    assert inspector.showing == "clip"
    assert panel.name.text() == "pattern-2"
    assert panel.timeline_in.text().startswith("00:00:07:00")
    assert panel.duration.text().startswith("00:00:06:12  (156 f")
    assert (panel.source_in.value(), panel.source_out.value()) == (0, 156)
    assert panel.speed.value() == 1.0 and panel.volume.value() == 0.0
    assert panel.grade.currentData() == "warm" and panel.lut.currentData() is None
    assert not panel.picture_box.isHidden() and not panel.audio_form.isRowVisible(panel.pan)
    assert not panel.clip_form.isRowVisible(panel.take)  # one take only

    ctx.select([clip_named(ctx, "music-bed")])
    assert panel.volume.value() == pytest.approx(-6.0, abs=0.05)
    assert (panel.fade_in.value(), panel.fade_out.value()) == (1.0, 2.0)
    assert panel.picture_box.isHidden() and panel.audio_form.isRowVisible(panel.pan)

    ctx.select([video(ctx)[3]])
    assert inspector.showing == "transition"
    tp = inspector.transition_panel
    assert tp.kind.currentData() == "dissolve" and tp.easing.currentData() == "ease-in-out"
    assert tp.duration.value() == 1.0 and "'pattern-2' and 'title-card'" in tp.between.text()
    ctx.select([])
    assert inspector.showing == "hint"


def test_volume_drag_is_one_undo_step_and_undo_refreshes(ctx, inspector):
    clip = clip_named(ctx, "pattern-1")
    ctx.select([clip])
    volume = inspector.clip_panel.volume
    steps = ctx.stack.count()
    drag(volume, -30, -60, -90)  # tenths of a dB
    assert S.get(clip, "volume") == pytest.approx(10 ** (-9 / 20))
    assert ctx.stack.count() == steps + 1
    drag(volume, -100, -120)  # a second drag is a second step
    assert ctx.stack.count() == steps + 2
    assert volume.value() == pytest.approx(-12.0)
    ctx.stack.undo()
    assert volume.value() == pytest.approx(-9.0) and ctx.stack.count() == steps + 2
    ctx.stack.undo()
    assert S.get(clip, "volume") == 1.0 and volume.value() == 0.0
    ctx.stack.redo()
    assert volume.value() == pytest.approx(-9.0)
    # Typing a value is one step too; showing the document pushed nothing.
    volume.spin.setValue(3.0)
    assert S.get(clip, "volume") == pytest.approx(10 ** (3 / 20))
    assert volume.value() == pytest.approx(gain_to_db(10 ** (3 / 20)))
    assert ctx.stack.count() == steps + 2 and ctx.stack.index() == steps + 2


def test_grade_lut_params_and_sharpen(ctx, inspector):
    clip = clip_named(ctx, "pattern-1")
    ctx.select([clip])
    panel = inspector.clip_panel
    effects = lambda: S.get(clip, "effects")  # noqa: E731
    steps = ctx.stack.count()
    choose(panel.grade, "cinematic")
    assert effects()["grade"] == "cinematic" and panel.grade_params_box.isHidden()
    choose(panel.grade, "custom")
    assert effects()["grade"] == "custom" and not panel.grade_params_box.isHidden()
    assert effects()["grade_params"] == {"brightness": 0.0, "contrast": 1.0, "saturation": 1.0,
                                         "temperature": 0.0, "tint": 0.0, "gamma": 1.0}
    assert ctx.stack.count() == steps + 2  # two combo changes, two steps
    drag(panel.grade_params["brightness"], 10, 20, 30)
    drag(panel.grade_params["saturation"], 120, 150)
    assert effects()["grade_params"]["brightness"] == pytest.approx(0.3)
    assert effects()["grade_params"]["saturation"] == pytest.approx(1.5)
    assert ctx.stack.count() == steps + 4
    assert panel.set_lut("teal-orange.cube")
    assert effects()["lut"] == "teal-orange.cube"
    assert panel.lut.currentText() == "teal-orange"
    drag(panel.sharpen, 20, 40, 65)
    assert effects()["sharpen"] == pytest.approx(0.65)
    panel.stabilize.setChecked(True)
    choose(panel.fit, "fill")
    drag(panel.opacity, 80, 50)
    assert effects()["stabilize"] and S.get(clip, "fit") == "fill"
    assert S.get(clip, "opacity") == pytest.approx(0.5)
    assert ctx.stack.count() == steps + 9
    ctx.stack.undo()  # the whole opacity drag
    assert S.get(clip, "opacity", 1.0) == 1.0 and panel.opacity.value() == 100
    for _ in range(4):
        ctx.stack.undo()
    assert effects()["sharpen"] == 0.0 and panel.sharpen.value() == 0.0
    assert panel.grade_params["saturation"].value() == pytest.approx(1.5)
    ctx.stack.undo()
    assert panel.grade_params["saturation"].value() == pytest.approx(1.0)


def test_speed_and_a_refused_speed(ctx, inspector, errors):
    clip = clip_named(ctx, "pattern-1")
    ctx.select([clip])
    panel = inspector.clip_panel
    steps = ctx.stack.count()
    panel.speed.setValue(2.0)
    assert S.clip_speed(clip) == 2.0 and "(84 f" in panel.duration.text()
    panel.speed.setValue(0.0)
    assert len(errors) == 1 and "Speed must be between" in errors[0]
    assert panel.speed.value() == 2.0 and S.clip_speed(clip) == 2.0
    assert ctx.stack.count() == steps + 1
    ctx.stack.undo()
    assert panel.speed.value() == 1.0 and "(168 f" in panel.duration.text()


def test_trims_and_a_trim_beyond_the_media(ctx, inspector, errors):
    clip = clip_named(ctx, "pattern-4")  # media frames 9..168 of 168 in use
    ctx.select([clip])
    panel = inspector.clip_panel
    assert (panel.source_in.value(), panel.source_out.value()) == (9, 168)
    steps = ctx.stack.count()
    panel.source_out.setValue(200)
    assert len(errors) == 1 and "pattern-4" in errors[0]
    assert panel.source_out.value() == 168 and ctx.stack.count() == steps
    panel.source_out.setValue(150)
    assert S.frames(clip.source_range.duration, 24) == 141 and "(141 f" in panel.duration.text()
    panel.source_in.setValue(20)
    assert clip.source_range.start_time.value == 20 and panel.source_in.value() == 20
    assert ctx.stack.count() == steps + 2
    ctx.stack.undo()
    ctx.stack.undo()
    assert (panel.source_in.value(), panel.source_out.value()) == (9, 168)


def test_fades_rename_and_refused_fade(ctx, inspector, errors):
    clip = clip_named(ctx, "music-bed")
    ctx.select([clip])
    panel = inspector.clip_panel
    panel.fade_out.setValue(3.5)
    assert S.get(clip, "fade_out") == 3.5
    panel.fade_in.setValue(100.0)  # longer than the clip
    assert "do not fit" in errors[-1] and panel.fade_in.value() == 1.0
    drag(panel.pan, -20, -50)
    assert S.get(clip, "pan") == pytest.approx(-0.5)
    panel.name.setText("Score")
    panel.name.editingFinished.emit()
    assert clip.name == "Score"
    ctx.stack.undo()
    assert panel.name.text() == "music-bed"


def test_transition_kind_and_duration(ctx, inspector, errors):
    track = video(ctx)
    ctx.select([track[3]])
    tp = inspector.transition_panel
    steps = ctx.stack.count()
    choose(tp.kind, "wipe")
    assert S.transition_kind(track[3]) == S.TransitionKind.WIPE
    assert inspector.item is track[3] and ctx.selection == [track[3]]  # follows the new one
    assert tp.direction.isEnabled()
    choose(tp.direction, "up")
    assert S.transition_direction(track[3]) == S.Direction.UP
    tp.duration.setValue(1.5)
    assert S.frames(track[3].in_offset, 24) + S.frames(track[3].out_offset, 24) == 36
    assert ctx.stack.count() == steps + 3
    tp.duration.setValue(30.0)  # longer than the clips
    assert "longer than clip" in errors[-1] and tp.duration.value() == 1.5
    assert ctx.stack.count() == steps + 3
    ctx.stack.undo()
    assert tp.duration.value() == 1.0 and inspector.item is track[3]
    ctx.stack.undo()
    ctx.stack.undo()
    assert tp.kind.currentData() == "dissolve" and S.transition_kind(track[3]) == "dissolve"
    assert inspector.showing == "transition" and ctx.stack.count() == steps + 3
    dissolve = track[3]
    choose(tp.kind, "cut")  # removes the transition
    assert dissolve.parent() is None and inspector.showing == "hint"
    ctx.stack.undo()
    assert S.transition_kind(track[3]) == "dissolve"


def test_take_selector(ctx, inspector):
    clip = clip_named(ctx, "pattern-1")
    other = clip_named(ctx, "pattern-2").media_reference.target_url
    alt = S.new_reference(other, duration_frames=168, rate=24)
    assert ctx.push(C.AddTake(clip, alt, "alt", activate=False))
    ctx.select([clip])
    take = inspector.clip_panel.take
    assert inspector.clip_panel.clip_form.isRowVisible(take)
    assert sorted(take.itemData(i) for i in range(take.count())) == ["alt", "take1"]
    choose(take, "alt")
    assert clip.active_media_reference_key == "alt"
    ctx.stack.undo()
    assert take.currentData() == "take1"


def test_follows_a_replaced_project(ctx, inspector, sample_project):
    ctx.select([clip_named(ctx, "pattern-1")])
    ctx.set_project(project_io.load(sample_project))
    assert inspector.showing == "hint"
    clip = clip_named(ctx, "pattern-3")
    ctx.select([clip])
    drag(inspector.clip_panel.sharpen, 50)
    assert S.get(clip, "effects")["sharpen"] == 0.5
    ctx.stack.undo()
    assert inspector.clip_panel.sharpen.value() == 0.0


def test_lut_choices_follow_the_shown_lut(ctx, inspector, tmp_path):
    """The LUT list is rebuilt only when its custom entry changes (a skip that ignored the
    clip's LUT would leave a stale path listed or miss a new one)."""
    clip, other = clip_named(ctx, "pattern-1"), clip_named(ctx, "pattern-2")
    ctx.select([clip])
    panel = inspector.clip_panel
    datas = lambda: [panel.lut.itemData(i) for i in range(panel.lut.count())]  # noqa: E731
    builtin = datas()
    assert builtin[0] is None and "teal-orange.cube" in builtin
    cube = tmp_path / "mine.cube"
    cube.write_text("LUT_3D_SIZE 2\n" + "0 0 0\n1 0 0\n0 1 0\n1 1 0\n"
                    "0 0 1\n1 0 1\n0 1 1\n1 1 1\n")
    assert panel.set_lut(str(cube))
    assert panel.lut.currentData() == str(cube) and panel.lut.currentText() == "mine.cube"
    assert datas() == [*builtin[:-1], str(cube), builtin[-1]]
    ctx.select([other])  # no LUT: the path is no longer listed
    assert datas() == builtin and panel.lut.currentData() is None
    ctx.select([clip])
    assert panel.lut.currentData() == str(cube)
    ctx.stack.undo()  # back to no LUT on the same clip
    assert datas() == builtin and panel.lut.currentData() is None
    ctx.stack.redo()
    assert panel.lut.currentData() == str(cube) and str(cube) in datas()
    assert panel.set_lut("teal-orange.cube")
    assert datas() == builtin and panel.lut.currentText() == "teal-orange"
    panel.lut.setCurrentIndex(panel.lut.count() - 1)  # "Choose…", then the user cancels
    inspector.refresh()
    assert panel.lut.currentText() == "teal-orange"
