"""The Inspector's clip page: name, timing, takes, audio and picture settings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import opentimelineio as otio
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..render.effects import builtin_luts
from ..render.grade import CUSTOM_RANGES
from ..timeline import schema as S
from ..timeline.commands import (
    RenameItem,
    SetActiveTake,
    SetClipAudio,
    SetClipEffects,
    SetSpeed,
    Trim,
)
from ..timeline.titles import is_title
from .dialog_dirs import remember_dir, start_dir
from .inspector_fields import (
    MAX_DB,
    MIN_DB,
    SliderField,
    combo,
    db_to_gain,
    double_spin,
    frame_spin,
    gain_to_db,
    select_data,
    set_blocked,
    timecode,
)
from .inspector_quality import QualityBox
from .inspector_title import TitleBox

if TYPE_CHECKING:
    from .inspector import Inspector, Placement

CHOOSE_LUT = "\0choose"  # the LUT combo's "Choose .cube file…" item
GRADE_LABELS = {"none": "None", "natural": "Natural", "cinematic": "Cinematic",
                "warm": "Warm", "cool": "Cool", "high-contrast": "High contrast",
                "custom": "Custom"}


def _row(form: QFormLayout, label: str, widget: QWidget) -> QWidget:
    form.addRow(label, widget)
    return widget


class ClipPanel(QWidget):
    """Edits one clip through timeline commands (see :class:`~.inspector.Inspector`)."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__()
        self.inspector = inspector
        self.clip: otio.schema.Clip | None = None
        layout = QVBoxLayout(self)

        box = QGroupBox("Clip")
        form = self.clip_form = QFormLayout(box)
        self.name = _row(form, "Name", QLineEdit())
        self.timeline_in = _row(form, "Timeline in", QLabel())
        self.timeline_out = _row(form, "Timeline out", QLabel())
        self.duration = _row(form, "Duration", QLabel())
        self.source_in = _row(form, "Source in", frame_spin())
        self.source_out = _row(form, "Source out", frame_spin())
        self.ripple = _row(form, "", QCheckBox("Ripple trims (move later items)"))
        self.speed = _row(form, "Speed", double_spin(0.0, 100.0, step=0.25, decimals=2,
                                                     suffix=" ×"))
        self.take = _row(form, "Take", QComboBox())
        layout.addWidget(box)
        self.title_box = TitleBox(self)  # title clips only
        layout.addWidget(self.title_box)

        box = self.audio_box = QGroupBox("Audio")
        form = self.audio_form = QFormLayout(box)
        self.volume = _row(form, "Volume", SliderField(MIN_DB, MAX_DB, step=0.1, decimals=1,
                                                       suffix=" dB", special_min="-∞ dB"))
        self.pan = _row(form, "Pan", SliderField(-1.0, 1.0, step=0.01))
        self.fade_in = _row(form, "Fade in", double_spin(0.0, 3600.0, suffix=" s"))
        self.fade_out = _row(form, "Fade out", double_spin(0.0, 3600.0, suffix=" s"))
        layout.addWidget(box)

        box = self.picture_box = QGroupBox("Picture")
        form = QFormLayout(box)
        self.fit = _row(form, "Fit", combo((m, m) for m in S.FIT_MODES))
        self.opacity = _row(form, "Opacity", SliderField(0.0, 100.0, step=1.0, decimals=0,
                                                         suffix=" %"))
        self.grade = _row(form, "Colour grade", combo((GRADE_LABELS.get(g, g), g)
                                                      for g in S.GRADE_PRESETS))
        self.lut = _row(form, "LUT", QComboBox())
        self._builtin_luts: list[tuple[str, str]] | None = None  # read once: bundled files
        self._lut_custom: str | None = None  # the .cube path listed besides the bundled ones
        self.grade_params_box = QGroupBox("Custom grade")
        params_form = QFormLayout(self.grade_params_box)
        self.grade_params: dict[str, SliderField] = {}
        for key, (lo, hi, _neutral) in CUSTOM_RANGES.items():
            self.grade_params[key] = _row(params_form, key.title(), SliderField(lo, hi))
        form.addRow(self.grade_params_box)
        self.stabilize = _row(form, "", QCheckBox("Stabilize"))
        self.denoise = _row(form, "", QCheckBox("Denoise"))
        self.sharpen = _row(form, "Sharpen", SliderField(0.0, 1.0))
        layout.addWidget(box)
        self.quality_box = QualityBox(self)  # issue 15: the take's verification report
        layout.addWidget(self.quality_box)
        layout.addStretch(1)
        self._connect()

    # ------------------------------------------------------------------ wiring

    def _apply(self, make: Any, source: object = None) -> bool:
        return self.inspector.apply(make, source)

    def _connect(self) -> None:
        self.name.editingFinished.connect(self._rename)
        self.source_in.valueChanged.connect(lambda v: self._trim("in", v))
        self.source_out.valueChanged.connect(lambda v: self._trim("out", v))
        self.speed.valueChanged.connect(self._speed)
        self.take.activated.connect(self._take)
        self.volume.edited.connect(
            lambda v: self._audio(self.volume, volume=db_to_gain(v)))
        self.pan.edited.connect(lambda v: self._audio(self.pan, pan=v))
        self.fade_in.valueChanged.connect(lambda v: self._audio(None, fade_in=v))
        self.fade_out.valueChanged.connect(lambda v: self._audio(None, fade_out=v))
        self.fit.activated.connect(lambda _: self._effects(None, fit=self.fit.currentData()))
        self.opacity.edited.connect(lambda v: self._effects(self.opacity, opacity=v / 100.0))
        self.grade.activated.connect(self._grade)
        self.lut.activated.connect(self._lut)
        for field in self.grade_params.values():
            field.edited.connect(lambda _v, f=field: self._grade_params(f))
        self.stabilize.toggled.connect(lambda on: self._effects(None, stabilize=on))
        self.denoise.toggled.connect(lambda on: self._effects(None, denoise=on))
        self.sharpen.edited.connect(lambda v: self._effects(self.sharpen, sharpen=v))
        for field in self.findChildren(SliderField):
            field.released.connect(self.inspector.refresh)

    def _rename(self) -> None:
        clip = self.clip
        if clip is not None and self.name.text() != clip.name:
            self._apply(lambda: RenameItem(clip, self.name.text()))

    def _trim(self, edge: str, value: int) -> None:
        clip, where = self.clip, self.inspector.placement()
        if clip is None or where is None:
            return
        media_in, media_out = self.media_span(clip, where)
        delta_media = value - (media_in if edge == "in" else media_out)
        delta = round(delta_media / S.clip_speed(clip))
        if delta == 0 and delta_media:  # at high speed one step is less than a frame
            delta = 1 if delta_media > 0 else -1
        if delta == 0:
            self.inspector.refresh()  # less than a timeline frame: show the real value
            return
        ripple = self.ripple.isChecked()
        self._apply(lambda: Trim(clip, edge, delta, ripple=ripple))

    def _speed(self, value: float) -> None:
        clip = self.clip
        if clip is not None and abs(value - S.clip_speed(clip)) > 1e-9:
            self._apply(lambda: SetSpeed(clip, value))

    def _take(self, index: int) -> None:
        clip, key = self.clip, self.take.itemData(index)
        if clip is not None and key != clip.active_media_reference_key:
            self._apply(lambda: SetActiveTake(clip, key))

    def _audio(self, source: object, **values: float) -> None:
        clip = self.clip
        if clip is not None:
            self._apply(lambda: SetClipAudio(clip, **values), source)

    def _effects(self, source: object, **changes: Any) -> None:
        clip = self.clip
        if clip is not None:
            self._apply(lambda: SetClipEffects(clip, **changes), source)

    def _current_params(self) -> dict[str, float]:
        return {key: round(field.value(), 4) for key, field in self.grade_params.items()}

    def _grade(self, _index: int) -> None:
        clip, grade = self.clip, self.grade.currentData()
        if clip is None:
            return
        if grade == "custom":
            effects = S.get(clip, "effects", {}) or {}
            params = effects.get("grade_params") or self._current_params()
            self._effects(None, grade=grade, grade_params=params)
        else:
            self._effects(None, grade=grade)

    def _grade_params(self, field: SliderField) -> None:
        self._effects(field, grade_params=self._current_params())

    def _lut(self, index: int) -> None:
        value = self.lut.itemData(index)
        if value == CHOOSE_LUT:
            path, _ = QFileDialog.getOpenFileName(
                self, "Choose a LUT", start_dir(self.inspector.ctx.project, "lut"),
                "Cube LUT (*.cube);;All files (*)")
            if not path:
                self.inspector.refresh()
                return
            remember_dir("lut", path)
            value = path
        self.set_lut(value)

    def set_lut(self, value: str | None) -> bool:
        """Use a LUT: a built-in name (``"teal-orange.cube"``), a .cube path, or None."""
        clip = self.clip
        return clip is not None and self._apply(lambda: SetClipEffects(clip, lut=value or None))

    # ------------------------------------------------------------------ showing

    @staticmethod
    def media_span(clip: otio.schema.Clip, where: Placement) -> tuple[int, int]:
        """The media frames (at the scene rate) the clip shows: ``[in, out)``."""
        start = S.frames_exact(clip.source_range.start_time, where.rate)
        used = where.slot.duration * S.clip_speed(clip)
        return round(start), round(start + used)

    def show_item(self, clip: otio.schema.Clip, where: Placement) -> None:
        self.clip = clip
        rate, slot = where.rate, where.slot
        if not self.name.hasFocus() or self.name.text() == clip.name:
            set_blocked(self.name, "setText", clip.name)
        self.timeline_in.setText(f"{timecode(slot.start, rate)}  ({slot.start} f)")
        self.timeline_out.setText(f"{timecode(slot.end, rate)}  ({slot.end} f)")
        self.duration.setText(f"{timecode(slot.duration, rate)}  ({slot.duration} f, "
                              f"{slot.duration / rate:.2f} s)")
        media_in, media_out = self.media_span(clip, where)
        set_blocked(self.source_in, "setValue", media_in)
        set_blocked(self.source_out, "setValue", media_out)
        set_blocked(self.speed, "setValue", S.clip_speed(clip))
        self._show_takes(clip)

        self.volume.set_value(gain_to_db(float(S.get(clip, "volume", 1.0))))
        self.pan.set_value(float(S.get(clip, "pan", 0.0)))
        set_blocked(self.fade_in, "setValue", float(S.get(clip, "fade_in", 0.0)))
        set_blocked(self.fade_out, "setValue", float(S.get(clip, "fade_out", 0.0)))
        self.audio_form.setRowVisible(self.pan, where.is_audio)

        self.picture_box.setVisible(not where.is_audio)
        effects = {**S.DEFAULT_CLIP_EFFECTS, **(S.get(clip, "effects", {}) or {})}
        select_data(self.fit, str(S.get(clip, "fit", "fit")))
        self.opacity.set_value(100.0 * float(S.get(clip, "opacity", 1.0)))
        select_data(self.grade, effects["grade"])
        self._show_lut(effects.get("lut"))
        params = effects.get("grade_params") or {}
        for key, field in self.grade_params.items():
            field.set_value(float(params.get(key, CUSTOM_RANGES[key][2])))
        self.grade_params_box.setVisible(effects["grade"] == "custom")
        set_blocked(self.stabilize, "setChecked", bool(effects["stabilize"]))
        set_blocked(self.denoise, "setChecked", bool(effects["denoise"]))
        self.sharpen.set_value(float(effects["sharpen"] or 0.0))
        title = is_title(clip)
        for row in (self.source_in, self.source_out, self.ripple, self.speed):
            self.clip_form.setRowVisible(row, not title)  # a title has no media to trim
        self.title_box.setVisible(title)
        self.audio_box.setVisible(not title)  # a title has no sound
        self.quality_box.show_item(clip, visible=not where.is_audio and not title)
        if title:
            self.title_box.show_item(clip)

    def _show_takes(self, clip: otio.schema.Clip) -> None:
        refs = clip.media_references()
        self.take.blockSignals(True)
        try:
            self.take.clear()
            for key, ref in refs.items():
                url = getattr(ref, "target_url", "") or ""
                label = ref.name or (Path(url).name if url else "")  # a generated take's name
                self.take.addItem(f"{key}: {label}" if label else key, key)
            self.take.setCurrentIndex(self.take.findData(clip.active_media_reference_key))
        finally:
            self.take.blockSignals(False)
        self.clip_form.setRowVisible(self.take, len(refs) > 1)

    def _show_lut(self, lut: str | None) -> None:
        """Select ``lut``; the choices are rebuilt only when they differ from the shown ones
        (the Inspector re-shows its clip after every edit: listing the bundled LUTs each
        time cost ~2 ms of the GUI thread)."""
        if self._builtin_luts is None:
            self._builtin_luts = [(name, f"{name}.cube") for name in builtin_luts()]
        custom = lut if lut and lut not in {data for _, data in self._builtin_luts} else None
        self.lut.blockSignals(True)
        try:
            if custom != self._lut_custom or self.lut.count() == 0:
                self._lut_custom = custom
                self.lut.clear()
                self.lut.addItem("None", None)
                for name, data in self._builtin_luts:
                    self.lut.addItem(name, data)
                if custom:
                    self.lut.addItem(Path(custom).name, custom)
                self.lut.addItem("Choose .cube file…", CHOOSE_LUT)
            self.lut.setCurrentIndex(max(0, self.lut.findData(lut)))
        finally:
            self.lut.blockSignals(False)
