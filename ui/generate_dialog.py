"""Generate → <method>…: the parameters of one generation and where its clip goes.

One dialog for the four methods (a selector on top switches the method page). The request
is validated on submit (``GenerationRequest.validate``: the message is shown inline, nothing
is submitted); a valid one goes to :meth:`GenerationController.submit`, which places the
placeholder clip with an undoable command, and the dialog closes. With ``clip=`` the dialog
regenerates that clip: the result becomes a new take of it.
"""

from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..errors import AladdinError
from ..generation import references
from ..generation.errors import InvalidInputError
from ..generation.request import (
    ASPECTS,
    INTERPOLATIONS,
    MAX_CLIP_SECONDS,
    METHODS,
    TIERS,
    GenerationRequest,
)
from ..timeline import schema as S
from ..timeline.errors import TimelineError
from ..timeline.layout import layout
from .dialog_dirs import remember_dir, start_dir
from .generate_fields import IMAGE_FILTER, FrameGrabber, ImageField
from .layer_composer import LayerComposer
from .timecode import format_timecode, parse_timecode

__all__ = ["METHOD_LABELS", "GenerateDialog", "find_gap", "open_generate_dialog"]

METHOD_LABELS = {
    "text-to-video": "Text to Video",
    "image-to-video": "Image to Video",
    "first-last-frame": "First + Last Frame",
    "composite-to-video": "Composite to Video",
}
MOTION_LABELS = (("None", ""), ("Pan", "pan"), ("Zoom", "zoom"), ("Dolly", "dolly"))
MAX_SEED = 2**32 - 1
ERROR_STYLE = "QLabel { color: #ff6b6b; }"


def find_gap(track: otio.schema.Track, frame: int, rate: float) -> tuple[int, int]:
    """``(start, end)`` of the gap at ``frame`` on ``track`` with a clip on both sides;
    raises ``ValueError`` with a readable message otherwise."""
    slots = layout(track, rate)
    for i, slot in enumerate(slots):
        if slot.start <= frame < slot.end or (slot.is_gap and frame == slot.end - 1):
            if not slot.is_gap:
                break
            before = next((s for s in reversed(slots[:i]) if not s.is_transition), None)
            after = next((s for s in slots[i + 1:] if not s.is_transition), None)
            if before is None or not before.is_clip or after is None or not after.is_clip:
                raise ValueError(f"The gap at the playhead on track '{track.name}' needs a "
                                 "clip on each side to bridge.")
            return slot.start, slot.end
    raise ValueError(f"The playhead is not in a gap between two clips on track "
                     f"'{track.name}'. Park it in the empty space to bridge.")


class GenerateDialog(QDialog):
    """Parameters of one generation; ``submitted(job)`` fires before the dialog closes."""

    submitted = Signal(object)  # jobs.Job

    def __init__(self, ctx: Any, controller: Any, method: str = "text-to-video",
                 parent: QWidget | None = None, *, clip: otio.schema.Clip | None = None,
                 track: otio.schema.Track | None = None,
                 request: GenerationRequest | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("generate-dialog")
        self.setMinimumWidth(640)
        self.ctx = ctx
        self.controller = controller
        self.registry = controller.registry
        self.clip = clip
        self.job: Any = None
        self.grabber = FrameGrabber(ctx, self)
        self.grabber.grabbed.connect(self._grabbed)
        self.grabber.failed.connect(self._grab_failed)
        self._grab_targets: dict[int, Any] = {}
        self._build()
        self._fill_targets(track)
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        if request is not None:
            self.set_request(request)
        else:
            self.set_method(method)
        self._update_estimate()

    # ------------------------------------------------------------------ widgets

    def _build(self) -> None:
        self.method_combo = QComboBox()
        for method in METHODS:
            self.method_combo.addItem(METHOD_LABELS[method], method)
        self.pages = QStackedWidget()
        self.pages.addWidget(QWidget())  # text-to-video: only the common fields
        self.pages.addWidget(self._image_page())
        self.pages.addWidget(self._frames_page())
        self.pages.addWidget(self._composite_page())

        common = QFormLayout()
        self.prompt_label = QLabel("Prompt:")
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setPlaceholderText("What happens in the clip")
        self.prompt_edit.setFixedHeight(60)
        common.addRow(self.prompt_label, self.prompt_edit)
        self.negative_edit = QLineEdit()
        self.negative_edit.setPlaceholderText("What to avoid (optional)")
        common.addRow("Negative prompt:", self.negative_edit)
        self.style_edit = QComboBox()
        self.style_edit.setEditable(True)
        self.style_edit.addItems(["", "cinematic", "documentary", "anime", "watercolor",
                                  "film noir", "3D animation"])
        common.addRow("Style:", self.style_edit)
        self.camera_edit = QLineEdit()
        self.camera_edit.setPlaceholderText("e.g. slow pan left, dolly in (optional)")
        common.addRow("Camera movement:", self.camera_edit)
        self.aspect_combo = QComboBox()
        self.aspect_combo.addItems(list(ASPECTS))
        self.duration_spin = QDoubleSpinBox()
        self.duration_spin.setRange(0.5, 60.0)
        self.duration_spin.setSingleStep(0.5)
        self.duration_spin.setDecimals(1)
        self.duration_spin.setSuffix(" s")
        default = float(getattr(self.ctx.settings, "video_default_duration", 5.0) or 5.0)
        self.duration_spin.setValue(min(default, MAX_CLIP_SECONDS))
        self.duration_spin.setToolTip(f"At most {MAX_CLIP_SECONDS:g} s per generated clip")
        shape = QHBoxLayout()
        shape.addWidget(self.aspect_combo)
        shape.addSpacing(12)
        shape.addWidget(QLabel("Duration:"))
        shape.addWidget(self.duration_spin)
        shape.addStretch(1)
        common.addRow("Aspect:", shape)

        self.quality_combo = QComboBox()
        for tier in TIERS:
            self.quality_combo.addItem(tier.capitalize(), tier)
        self.quality_combo.setCurrentIndex(TIERS.index("standard"))
        self.model_label = QLabel("")
        self.model_label.setObjectName("generate-model")
        self.cost_label = QLabel("")
        self.cost_label.setObjectName("generate-cost")
        self.provider_label = QLabel("")
        quality = QVBoxLayout()
        quality.addWidget(self.quality_combo)
        quality.addWidget(self.model_label)
        quality.addWidget(self.cost_label)
        quality.addWidget(self.provider_label)
        common.addRow("Quality:", quality)

        self.seed_edit = QLineEdit()
        self.seed_edit.setPlaceholderText("random")
        self.random_seed_button = QPushButton("Random")
        self.random_seed_button.setAutoDefault(False)
        self.random_seed_button.clicked.connect(self.random_seed)
        seed = QHBoxLayout()
        seed.addWidget(self.seed_edit, 1)
        seed.addWidget(self.random_seed_button)
        common.addRow("Seed:", seed)

        target = QGroupBox("Place the clip")
        row = QHBoxLayout()
        self.scene_combo = QComboBox()
        self.scene_combo.currentIndexChanged.connect(self._scene_chosen)
        self.track_combo = QComboBox()
        self.position_edit = QLineEdit()
        self.take_label = QLabel("")
        self.position_edit.setMaximumWidth(110)
        for label, widget in (("Scene:", self.scene_combo), ("Track:", self.track_combo),
                              ("Position:", self.position_edit)):
            row.addWidget(QLabel(label))
            row.addWidget(widget, 1)
        box = QVBoxLayout(target)
        box.addLayout(row)
        box.addWidget(self.take_label)
        self.target_box = target

        self.error_label = QLabel("")
        self.error_label.setObjectName("generate-error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.submit_button = QPushButton("Submit")
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        buttons.addWidget(self.cancel_button)

        top = QFormLayout()
        top.addRow("Method:", self.method_combo)
        layout_ = QVBoxLayout(self)
        layout_.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout_.addLayout(top)
        layout_.addWidget(self.pages)
        layout_.addLayout(common)
        layout_.addWidget(target)
        layout_.addWidget(self.error_label)
        layout_.addLayout(buttons)

        for signal in (self.quality_combo.currentIndexChanged,
                       self.aspect_combo.currentIndexChanged, self.duration_spin.valueChanged):
            signal.connect(self._update_estimate)
        for field in (self.image_field, self.first_field, self.last_field):
            field.changed.connect(self._update_estimate)

    def _image_field(self, label: str, grab: bool = True) -> ImageField:
        field = ImageField(label, grab=grab, project=self.ctx.project)
        field.grab_requested.connect(lambda f=field: self.grab_into(f))
        return field

    def _image_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.image_field = self._image_field("source image")
        form.addRow("Source image:", self.image_field)
        self.motion_combo = QComboBox()
        for label, value in MOTION_LABELS:
            self.motion_combo.addItem(label, value)
        form.addRow("Motion:", self.motion_combo)
        self.character_field = self._image_field("character reference", grab=False)
        library = self._library("character", self.character_field.set_path)
        if library is not None:
            self.character_field.buttons.insertWidget(self.character_field.buttons.count() - 1,
                                                      library)
        form.addRow("Character reference:", self.character_field)
        return page

    def _frames_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.first_field = self._image_field("first frame")
        self.last_field = self._image_field("last frame")
        form.addRow("First frame:", self.first_field)
        form.addRow("Last frame:", self.last_field)
        self.interpolation_combo = QComboBox()
        for value in INTERPOLATIONS:
            self.interpolation_combo.addItem(value.capitalize(), value)
        form.addRow("Interpolation:", self.interpolation_combo)
        self.bridge_button = QPushButton("Bridge the gap")
        self.bridge_button.setAutoDefault(False)
        self.bridge_button.setToolTip("First frame: the last frame of the clip before the "
                                      "playhead's gap; last frame: the first frame after it")
        self.bridge_button.clicked.connect(self.bridge_gap)
        form.addRow("", self.bridge_button)
        return page

    def _composite_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        self.composer = LayerComposer()
        self.composer.setMinimumHeight(180)
        buttons = QHBoxLayout()
        self.location_button = QPushButton("Location…")
        self.location_button.clicked.connect(self._choose_location)
        self.add_character_button = QPushButton("Add character…")
        self.add_character_button.clicked.connect(self._choose_character)
        self.remove_layer_button = QPushButton("Remove selected")
        self.remove_layer_button.clicked.connect(self.composer.remove_selected)
        self.timeline_frame_button = QPushButton("Use current timeline frame")
        self.timeline_frame_button.clicked.connect(
            lambda: self._grab(self.ctx.playhead, "background"))
        for button in (self.location_button, self.add_character_button,
                       self.remove_layer_button, self.timeline_frame_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        for kind, pick in (("location", self.composer.set_background),
                           ("character", self.composer.add_layer)):
            library = self._library(kind, pick)
            if library is not None:
                buttons.addWidget(library)
        buttons.addStretch(1)
        hint = QLabel("Drag a character to move it; the mouse wheel scales it.")
        box.addWidget(self.composer, 1)
        box.addLayout(buttons)
        box.addWidget(hint)
        return page

    def _library(self, kind: str, pick: Any) -> QComboBox | None:
        """A combo of the project's ``kind`` master references (None when there are none);
        choosing one calls ``pick(path)``."""
        entries = [e for e in references.references(self.ctx.project, kind)
                   if Path(e["path"]).is_file()]
        if not entries:
            return None
        combo = QComboBox()
        combo.setObjectName(f"library-{kind}")
        combo.addItem(f"{kind.title()} library…", None)
        for entry in entries:
            combo.addItem(str(entry.get("name") or Path(entry["path"]).stem), entry["path"])
        combo.activated.connect(lambda i: combo.itemData(i) and self._try(
            lambda: pick(combo.itemData(i))))
        return combo

    # ------------------------------------------------------------------ targets

    def _fill_targets(self, track: otio.schema.Track | None) -> None:
        project = self.ctx.project
        scene = self.ctx.scene
        if self.clip is not None:
            track = self.clip.parent()
        if track is not None:
            try:
                scene = project.scene_of(track)
            except TimelineError:
                track = None
        if track is None:
            track = _selected_video_track(self.ctx)
        self.scene_combo.blockSignals(True)
        for s in project.scenes:
            self.scene_combo.addItem(s.name, s)
        self.scene_combo.setCurrentIndex(max(_index_of(self.scene_combo, scene), 0))
        self.scene_combo.blockSignals(False)
        self._scene_chosen()
        if track is not None:
            self.track_combo.setCurrentIndex(max(_index_of(self.track_combo, track), 0))
        at = self.ctx.playhead
        if self.clip is not None:
            if self.clip.parent() is not None:
                at = S.frames(self.clip.range_in_parent().start_time, self._rate())
            self.take_label.setText(f"Regenerating clip '{self.clip.name}': the result is "
                                    "added as a new take.")
            for widget in (self.scene_combo, self.track_combo, self.position_edit):
                widget.setEnabled(False)
        self.take_label.setVisible(self.clip is not None)
        self.position_edit.setText(format_timecode(int(at), self._rate()))

    def _scene_chosen(self, _index: int = 0) -> None:
        scene = self.scene_combo.currentData()
        current = self.track_combo.currentData()
        self.track_combo.clear()
        if scene is None:
            return
        for t in scene.tracks:
            if not S.is_audio(t):
                self.track_combo.addItem(t.name, t)
        self.track_combo.setCurrentIndex(max(_index_of(self.track_combo, current), 0))

    def _rate(self) -> float:
        scene = self.scene_combo.currentData()
        return S.scene_rate(scene) if scene is not None else self.ctx.rate

    def target(self) -> tuple[Any, Any, int]:
        """``(scene, track, at_frame)`` from the target fields; ValueError if unusable."""
        scene = self.scene_combo.currentData()
        track = self.track_combo.currentData()
        if scene is None or track is None:
            raise ValueError("Choose a scene and a video track for the clip.")
        try:
            at = parse_timecode(self.position_edit.text(), self._rate(), self.ctx.playhead)
        except ValueError as exc:
            raise ValueError(f"Position: {exc}") from None
        if at < 0:
            raise ValueError("Position: the clip cannot start before 00:00:00:00.")
        return scene, track, at

    # ------------------------------------------------------------------ method, values

    @property
    def method(self) -> str:
        return self.method_combo.currentData()

    def set_method(self, method: str) -> None:
        if method not in METHODS:
            raise ValueError(f"Unknown generation method {method!r}")
        self.method_combo.setCurrentIndex(METHODS.index(method))
        self._method_changed()

    def _method_changed(self, _index: int = 0) -> None:
        method = self.method
        current = METHODS.index(method)
        for i in range(self.pages.count()):  # the stack takes the current page's height
            policy = QSizePolicy.Policy.Preferred if i == current else QSizePolicy.Policy.Ignored
            self.pages.widget(i).setSizePolicy(QSizePolicy.Policy.Preferred, policy)
        self.pages.setCurrentIndex(current)
        verb = "Regenerate" if self.clip is not None else "Generate"
        self.setWindowTitle(f"{verb}: {METHOD_LABELS[method]}")
        self.prompt_label.setText("Action:" if method == "composite-to-video" else "Prompt:")
        self.clear_error()
        self._update_estimate()

    def random_seed(self) -> None:
        self.seed_edit.setText(str(random.randint(0, MAX_SEED)))

    def seed(self) -> int | None:
        text = self.seed_edit.text().strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise InvalidInputError(
                f"Seed must be a whole number from 0 to 2^32-1, got {text!r}.") from None

    def request(self, *, compose: bool = False) -> GenerationRequest:
        """The request the fields describe (not validated). ``compose`` renders the layer
        composer to a PNG for composite-to-video."""
        method = self.method
        files: dict[str, Path | None] = {}
        if method == "image-to-video":
            files = {"image": self.image_field.path(),
                     "character_ref": self.character_field.path()}
        elif method == "first-last-frame":
            files = {"first_frame": self.first_field.path(),
                     "last_frame": self.last_field.path()}
        elif method == "composite-to-video":
            files = self._composite_files(compose)
        motion = self.motion_combo.currentData() if method == "image-to-video" else ""
        return GenerationRequest(
            method=method, prompt=self.prompt_edit.toPlainText(),
            negative_prompt=self.negative_edit.text(), style=self.style_edit.currentText(),
            aspect=self.aspect_combo.currentText(), duration=float(self.duration_spin.value()),
            motion=motion or "", camera=self.camera_edit.text(),
            interpolation=self.interpolation_combo.currentData(),
            quality=self.quality_combo.currentData(), seed=self.seed(), **files)

    def _composite_files(self, compose: bool) -> dict[str, Path | None]:
        layers = self.composer.layers()
        files: dict[str, Path | None] = {
            "location_ref": self.composer.background_path if layers else None,
            "character_ref": layers[0].path if layers else None,
            "image": None,
        }
        if self.composer.is_empty():
            return files
        if not layers:  # just a location or a timeline frame: use it as it is
            files["image"] = self.composer.background_path
        elif compose:
            files["image"] = self._render_composite()
        else:
            files["image"] = self.composer.background_path or layers[0].path
        return files

    def _render_composite(self) -> Path:
        key = repr([(str(l.path), round(l.x, 1), round(l.y, 1), round(l.scale, 4))
                    for l in self.composer.layers()] + [str(self.composer.background_path)])
        digest = hashlib.sha256(f"{key}{time.time()}".encode()).hexdigest()[:16]
        out = self.grabber.cache_dir() / "composites" / f"composite-{digest}.png"
        return self.composer.render_png(out)

    def set_request(self, request: GenerationRequest) -> None:
        """Fill every field from ``request`` (regenerate: the clip's provenance)."""
        self.set_method(request.method)
        self.prompt_edit.setPlainText(request.prompt)
        self.negative_edit.setText(request.negative_prompt)
        self.style_edit.setCurrentText(request.style)
        self.camera_edit.setText(request.camera)
        if request.aspect in ASPECTS:
            self.aspect_combo.setCurrentIndex(ASPECTS.index(request.aspect))
        self.duration_spin.setValue(float(request.duration))
        if request.quality in TIERS:
            self.quality_combo.setCurrentIndex(TIERS.index(request.quality))
        self.seed_edit.setText("" if request.seed is None else str(request.seed))
        index = self.motion_combo.findData(request.motion or "")
        self.motion_combo.setCurrentIndex(max(index, 0))
        index = self.interpolation_combo.findData(request.interpolation)
        self.interpolation_combo.setCurrentIndex(max(index, 0))
        self.image_field.set_path(request.image if request.method == "image-to-video" else None)
        self.character_field.set_path(request.character_ref)
        self.first_field.set_path(request.first_frame)
        self.last_field.set_path(request.last_frame)
        if request.method == "composite-to-video":
            self.composer.clear()
            background = request.location_ref or request.image
            if background is not None and Path(background).is_file():
                self.composer.set_background(background)
        self._update_estimate()

    # ------------------------------------------------------------------ estimate

    def _update_estimate(self, *_args: Any) -> None:
        method, tier = self.method, self.quality_combo.currentData()
        duration = float(self.duration_spin.value())
        try:
            request = self.request()
        except InvalidInputError:
            request = None
        per_tier = []
        for t in TIERS:
            chain = self.registry.chain(method, t, request=request) or \
                self.registry.chain(method, t)
            cost = chain[0].estimate_cost(duration) if chain else None
            label = t.capitalize() + (f"  ≈ ${cost:.2f}" if cost is not None else "")
            self.quality_combo.setItemText(TIERS.index(t), label)
            per_tier.append((t, chain, cost))
        _t, chain, cost = per_tier[TIERS.index(tier)]
        provider = self.controller.provider_name()
        if not chain:
            self.model_label.setText(f"No hosted model does {method} at {tier} quality "
                                     "with these inputs.")
            self.cost_label.setText("")
            self.provider_label.hide()
            return
        fallbacks = ", ".join(e.id for e in chain[1:]) or "none"
        self.model_label.setText(f"Model: {chain[0].id}\nFallbacks: {fallbacks}")
        seconds = chain[0].clamp_duration(duration)
        self.cost_label.setText(f"Estimated cost ({tier}): ${cost:.2f} for a {seconds:g} s "
                                "clip on FAL")
        note = ""
        if provider == "local":
            local = self.registry.local(method)
            note = "No FAL key set: a local animatic is rendered instead ($0.00)."
            self.provider_label.setToolTip(f"{local.id if local else 'The local provider'} "
                                           "renders an offline animatic of the request.")
        self.provider_label.setText(note)
        self.provider_label.setVisible(bool(note))

    # ------------------------------------------------------------------ frames

    def grab_into(self, field: ImageField) -> None:
        """Render the frame at the playhead into ``field`` (in a worker thread)."""
        self._grab(self.ctx.playhead, field)

    def _grab(self, frame: int, target: Any) -> int:
        self.clear_error()
        scene = self.scene_combo.currentData()
        token = self.grabber.grab(frame, scene)
        if token in self.grabber.pending:  # (not refused at once)
            self._grab_targets[token] = target
        return token

    def _grabbed(self, token: int, _frame: int, path: str) -> None:
        target = self._grab_targets.pop(token, None)
        if isinstance(target, ImageField):
            target.set_path(path)
        elif target == "background":
            self.composer.set_background(path)
            self._update_estimate()

    def _grab_failed(self, token: int, message: str) -> None:
        self._grab_targets.pop(token, None)
        self.show_error(message)

    @property
    def grabbing(self) -> bool:
        return bool(self._grab_targets)

    def bridge_gap(self) -> None:
        """First frame = the last frame before the playhead's gap, last frame = the first
        after it; the clip is placed at the gap's start and lasts as long (≤ 7 s)."""
        self.clear_error()
        track = self.track_combo.currentData()
        if track is None:
            self.show_error("Choose a video track first.")
            return
        rate = self._rate()
        try:
            start, end = find_gap(track, int(self.ctx.playhead), rate)
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self._grab(start - 1, self.first_field)
        self._grab(end, self.last_field)
        if self.clip is None:
            self.position_edit.setText(format_timecode(start, rate))
        seconds = min(MAX_CLIP_SECONDS, max(1.0, (end - start) / rate))
        self.duration_spin.setValue(round(seconds * 2) / 2)

    def _choose_location(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a location image",
                                              start_dir(self.ctx.project, "images"),
                                              IMAGE_FILTER)
        if path:
            remember_dir("images", path)
            self._try(lambda: self.composer.set_background(path))

    def _choose_character(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a character image",
                                              start_dir(self.ctx.project, "images"),
                                              IMAGE_FILTER)
        if path:
            remember_dir("images", path)
            self._try(lambda: self.composer.add_layer(path))

    def _try(self, action: Any) -> None:
        try:
            action()
        except ValueError as exc:
            self.show_error(str(exc))

    # ------------------------------------------------------------------ submit

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    @property
    def error(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def submit(self) -> bool:
        """Validate, submit to the controller and close; on a problem show it and stay."""
        self.clear_error()
        if self.grabbing:
            self.show_error("Still grabbing a frame from the timeline; try again in a moment.")
            return False
        try:
            scene, track, at = self.target()
            request = self.request()
            request.validate(self.registry)  # before rendering anything
            if request.method == "composite-to-video":
                request = self.request(compose=True)
                request.validate(self.registry)
            self.job = self.controller.submit(request, scene, track, at, clip=self.clip)
        except (ValueError, AladdinError, OSError) as exc:
            self.show_error(str(exc))
            return False
        self.submitted.emit(self.job)
        self.accept()
        return True


def _index_of(combo: QComboBox, obj: Any) -> int:
    """The index of the item whose data *is* ``obj`` (-1: none)."""
    return next((i for i in range(combo.count()) if obj is not None
                 and combo.itemData(i) is obj), -1)


def _selected_video_track(ctx: Any) -> otio.schema.Track | None:
    for item in ctx.selection:
        parent = item.parent() if hasattr(item, "parent") else None
        if isinstance(parent, otio.schema.Track) and not S.is_audio(parent):
            return parent
    return None


def open_generate_dialog(ctx: Any, method: str = "text-to-video", parent: QWidget | None = None,
                         *, clip: otio.schema.Clip | None = None,
                         track: otio.schema.Track | None = None) -> GenerateDialog | None:
    """Open (non-modal) the dialog on ``ctx.generation``; for ``clip`` pre-filled from its
    provenance. None (and an ``error``) when there is no generation controller."""
    controller = getattr(ctx, "generation", None)
    if controller is None:
        ctx.error.emit("Generation is not available in this window.")
        return None
    request = controller.request_for(clip) if clip is not None else None
    dialog = GenerateDialog(ctx, controller, request.method if request else method, parent,
                            clip=clip, track=track, request=request)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
