"""The Inspector's "Related" section: what the Brain knows about the selected clip (the
characters it depicts, where it is set, the references it used, its scenes and voices, the
take it replaced). Looked up on a worker thread; the section hides for clips the Brain does
not know."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

__all__ = ["RelatedBox"]

# One worker thread for every instance (editors and tests create many; lookups are short).
_POOL = ThreadPoolExecutor(1, thread_name_prefix="brain")

ROWS = (("depicts", "Depicts"), ("set_in", "Set in"), ("references", "References"),
        ("scenes", "Scenes"), ("voices", "Voices"), ("take_of", "Replaced take"))


class _Relay(QObject):
    related = Signal(int, object)  # token, dict | None


class RelatedBox(QGroupBox):
    shown = Signal(dict)

    def __init__(self, ctx: Any, parent: QWidget | None = None, *, brain: Any = None) -> None:
        super().__init__("Related", parent)
        self.setObjectName("inspector-related")
        self.ctx = ctx
        self._brain = brain
        self._pool = _POOL
        self._relay = _Relay()
        self._relay.related.connect(self._show)
        self._token = 0
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        for key, title in ROWS:
            label = QLabel("")
            label.setWordWrap(True)
            label.setObjectName(f"related-{key}")
            self.labels[key] = label
            form.addRow(title, label)
        self.setVisible(False)

    def _open(self) -> Any:
        if self._brain is None:
            from ..library.backends import open_brain

            self._brain = open_brain(getattr(self.ctx, "settings", None))
        return self._brain

    def show_clip(self, clip: Any) -> Future | None:
        """Look ``clip`` up (None hides the section)."""
        self._token += 1
        token = self._token
        if clip is None:
            self.setVisible(False)
            return None
        project = self.ctx.project
        relay = self._relay

        def run() -> None:
            from ..library.record import clip_media

            try:
                media = clip_media(project, clip)
                found = self._open().related(media.media_id) if media is not None else None
            except Exception:  # noqa: BLE001 - the section just stays hidden
                found = None
            relay.related.emit(token, found)

        return self._pool.submit(run)

    def _show(self, token: int, found: Any) -> None:
        if token != self._token:
            return
        if not found or not any(found.values()):
            self.setVisible(False)
            return
        for key, label in self.labels.items():
            values = found.get(key) or []
            label.setText(", ".join(values) if values else "–")
        self.setVisible(True)
        self.shown.emit(found)

    def close_pool(self) -> None:
        self._token += 1  # results still queued for this widget are dropped
