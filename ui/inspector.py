"""The Inspector dock: settings of the selected clip or transition.

Shows the first item of ``ctx.selection``. Every user change becomes one timeline command
pushed with ``ctx.push``; a slider drag is one undo step (its commands share a merge key
for the length of the drag). The fields follow the document: they are re-read on every
``project.changed`` (undo, redo, edits elsewhere) with signals blocked, so showing the
document never pushes a command. A refused edit shows through ``ctx.error`` and the
fields go back to the document's values. When an edit or undo takes the selected item off
the timeline, the panel says so; the context selects it again when an undo/redo puts it
back (same stable id), and follows a transition an edit replaced.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..timeline import schema as S
from ..timeline.commands import ChangeTransition, Command
from ..timeline.document import ChangeSet, Project
from ..timeline.errors import EditError, TimelineError
from ..timeline.layout import Slot, slot_of
from .editor_context import EditorContext
from .inspector_clip import ClipPanel
from .inspector_fields import SliderField, combo, double_spin, select_data, set_blocked, timecode
from .wheel_guard import guard_wheel

Clip = otio.schema.Clip
Transition = otio.schema.Transition

HINT = "Select a clip or a transition in the timeline to see its settings here."
GONE = "The selected item is no longer on the timeline."


@dataclass(frozen=True)
class Placement:
    """Where a shown item sits: its track, scene rate and span on the track."""

    track: otio.schema.Track
    rate: float
    slot: Slot

    @property
    def is_audio(self) -> bool:
        return S.is_audio(self.track)


class TransitionPanel(QWidget):
    """Kind, direction, easing and duration of a transition (``ChangeTransition``)."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__()
        self.inspector = inspector
        self.between = QLabel()
        self.between.setWordWrap(True)
        self.kind = combo((k.value if k != S.TransitionKind.CUT else "cut (remove)", k.value)
                          for k in S.TransitionKind)
        self.direction = combo((d.value, d.value) for d in S.Direction)
        self.easing = combo((e.value, e.value) for e in S.Easing)
        self.duration = double_spin(0.04, 60.0, step=0.05, decimals=2, suffix=" s")
        self.span = QLabel()
        box = QGroupBox("Transition")
        form = QFormLayout(box)
        form.addRow(self.between)
        form.addRow("Kind", self.kind)
        form.addRow("Direction", self.direction)
        form.addRow("Easing", self.easing)
        form.addRow("Duration", self.duration)
        form.addRow("On timeline", self.span)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addStretch(1)
        self.kind.activated.connect(lambda _: self._change(kind=self.kind.currentData()))
        self.direction.activated.connect(
            lambda _: self._change(direction=self.direction.currentData()))
        self.easing.activated.connect(lambda _: self._change(easing=self.easing.currentData()))
        self.duration.valueChanged.connect(lambda v: self._change(seconds=float(v)))

    def _change(self, **change: Any) -> None:
        transition = self.inspector.item
        self.inspector.apply(lambda: ChangeTransition(transition, **change))

    def show_item(self, transition: otio.schema.Transition, where: Placement) -> None:
        kind = S.transition_kind(transition)
        select_data(self.kind, kind.value)
        select_data(self.direction, S.transition_direction(transition).value)
        select_data(self.easing, S.transition_easing(transition).value)
        self.direction.setEnabled(kind in (S.TransitionKind.WIPE, S.TransitionKind.SLIDE))
        frames = (S.frames(transition.in_offset, where.rate)
                  + S.frames(transition.out_offset, where.rate))
        set_blocked(self.duration, "setValue", frames / where.rate)
        index = where.slot.index
        names = [where.track[i].name if 0 <= i < len(where.track) else "?"
                 for i in (index - 1, index + 1)]
        self.between.setText(f"Between '{names[0]}' and '{names[1]}' on track "
                             f"'{where.track.name}'")
        self.span.setText(f"{timecode(where.slot.start, where.rate)} – "
                          f"{timecode(where.slot.end, where.rate)} ({frames} frames)")


class Inspector(QWidget):
    """The Inspector dock widget for ``ctx``'s selection."""

    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.ctx = ctx
        self.item: Any = None  # the Clip or Transition shown
        self._loading = False
        self._tokens = itertools.count(1)
        self._project: Project | None = None

        self.hint = QLabel(HINT)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setMargin(12)
        self.clip_panel = ClipPanel(self)
        self.transition_panel = TransitionPanel(self)
        self.pages = QStackedWidget()
        for page in (self.hint, self.clip_panel, self.transition_panel):
            if page is self.hint:
                self.pages.addWidget(page)
                continue
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(page)
            self.pages.addWidget(scroll)
        from .inspector_related import RelatedBox

        self.related = RelatedBox(ctx)  # the Brain's view of the clip (hidden when empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        layout.addWidget(self.related)

        ctx.selection_changed.connect(self._on_selection)
        ctx.scene_changed.connect(lambda _scene: self._on_selection(self.ctx.selection))
        ctx.project_replaced.connect(self._on_project_replaced)
        ctx.document_changed.connect(self._on_changed)
        self._on_project_replaced(ctx.project)
        guard_wheel(self)  # the wheel scrolls the panel unless a field has the focus

    # ------------------------------------------------------------------ what is shown

    @property
    def showing(self) -> str:
        """``"clip"``, ``"transition"`` or ``"hint"``."""
        return ("hint", "clip", "transition")[self.pages.currentIndex()]

    def _on_project_replaced(self, project: Project) -> None:
        self._project = project
        self._on_selection(self.ctx.selection)

    def _on_changed(self, _change: ChangeSet) -> None:
        self.refresh()

    def _on_selection(self, items: list[Any]) -> None:
        if not items and self.ctx.selection_gone:
            self._show_hint(GONE)  # an undo/redo that brings it back selects it again
            return
        first = items[0] if items else None
        if first is not None and not isinstance(first, (Clip, Transition)):
            self._show_hint("Gaps and other items have no settings. Select a clip or a "
                            "transition.")
            return
        self.item = first
        self.refresh()

    def _show_hint(self, text: str = HINT) -> None:
        self.item = None
        self.related.show_clip(None)
        self.hint.setText(text)
        self.pages.setCurrentIndex(0)

    def _placement(self, item: Any) -> Placement | None:
        track = item.parent()
        if not isinstance(track, otio.schema.Track):
            return None
        try:
            rate = S.scene_rate(self.ctx.project.scene_of(track))
            return Placement(track, rate, slot_of(track, item, rate))
        except (EditError, LookupError):
            return None

    def refresh(self) -> None:
        """Show the current item's values from the document (no commands are pushed)."""
        item = self.item
        if item is None:
            self._show_hint(self.hint.text() if self.pages.currentIndex() == 0 else HINT)
            return
        where = self._placement(item)
        if where is None:  # (the context re-selects items brought back, replaced transitions)
            self._show_hint(GONE)
            return
        self._loading = True
        try:
            if isinstance(item, Transition):
                self.transition_panel.show_item(item, where)
                self.pages.setCurrentIndex(2)
            else:
                self.clip_panel.show_item(item, where)
                self.pages.setCurrentIndex(1)
            self.related.show_clip(item if not isinstance(item, Transition) else None)
        finally:
            self._loading = False

    # ------------------------------------------------------------------ editing

    def placement(self) -> Placement | None:
        return self._placement(self.item) if self.item is not None else None

    def apply(self, make: Callable[[], Command], source: object = None) -> bool:
        """Build a command and push it; on refusal report it and re-show the document.

        ``source`` is the widget edited: the commands of one slider drag merge into one
        undo step, every other edit is a step of its own.
        """
        if self._loading or self.item is None:
            return False
        try:
            command = make()
            if command.merge_key is not None:
                token = ((id(source), source.gesture) if isinstance(source, SliderField)
                         else next(self._tokens))
                command.merge_key = (*command.merge_key, "gesture", token)
            ok = self.ctx.push(command)
        except (TimelineError, ValueError, TypeError) as exc:  # refused before it ran
            self.ctx.error.emit(str(exc))
            ok = False
        if not ok:
            self.refresh()
        return ok
