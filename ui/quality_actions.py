"""Verify a clip on demand (timeline right-click ▸ Verify, the Inspector's Quality box):
the active take's file is verified off the GUI thread and the report is stored on the take
(one undo step). Imported footage can be checked against a reference the user picks."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import opentimelineio as otio
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from ..quality.takes import (
    NoMediaToVerify,
    SetTakeQuality,
    recorded_params,
    stored_report,
    take_media,
)
from ..quality.verify import VerifyParams

__all__ = ["REFERENCE_KINDS", "QualityVerifier", "pick_reference", "verifier_for"]

REFERENCE_KINDS = ("Character reference", "Location reference", "First frame")


class QualityVerifier(QObject):
    """Runs verifications in worker threads; ``finished(clip, report)`` /
    ``failed(clip, message)`` arrive on the GUI thread, after the report is pushed."""

    finished = Signal(object, object)
    failed = Signal(object, str)
    _done = Signal(object, object, object)  # clip, key, result or exception

    def __init__(self, ctx: Any) -> None:
        super().__init__()
        self.ctx = ctx
        self.running: set[int] = set()
        self._done.connect(self._land)

    def params_for(self, clip: otio.schema.Clip, reference: Path | None = None,
                   kind: str = REFERENCE_KINDS[0]) -> VerifyParams:
        """The take's recorded parameters (a generated take: its request), else only the
        general checks; ``reference`` as a character/location reference or first frame."""
        from ..quality.verify import apply_settings

        params = recorded_params(clip)
        if reference is not None:
            if kind == REFERENCE_KINDS[1]:
                params.location_ref = reference
            elif kind == REFERENCE_KINDS[2]:
                params.first_frame = reference
            else:
                params.character_refs = [reference]
        settings = getattr(self.ctx, "settings", None)
        return apply_settings(params, settings) if settings is not None else params

    def verify(self, clip: otio.schema.Clip, params: VerifyParams) -> bool:
        """Start verifying ``clip``'s active take; False (and ``failed``) if it has no file."""
        try:
            path = take_media(self.ctx.project, clip)
        except NoMediaToVerify as exc:
            self.failed.emit(clip, str(exc))
            return False
        if id(clip) in self.running:
            return True
        key = clip.active_media_reference_key
        self.running.add(id(clip))

        def work() -> None:
            from ..quality import verify_video

            try:
                result: object = verify_video(path, params)
            except Exception as exc:  # noqa: BLE001 - reported to the user below
                result = exc
            self._done.emit(clip, key, (result, params))

        threading.Thread(target=work, name="verify-clip", daemon=True).start()
        return True

    def _land(self, clip: otio.schema.Clip, key: str, outcome: Any) -> None:
        self.running.discard(id(clip))
        result, params = outcome
        if isinstance(result, Exception):
            self.failed.emit(clip, str(result) or type(result).__name__)
            return
        report = stored_report(result, params)
        try:
            self.ctx.push(SetTakeQuality(clip, report, key))
        except Exception as exc:  # noqa: BLE001 - the clip went away meanwhile
            self.failed.emit(clip, str(exc))
            return
        self.finished.emit(clip, report)


def verifier_for(ctx: Any) -> QualityVerifier:
    """The editor's one verifier (kept on the context)."""
    verifier = getattr(ctx, "_quality_verifier", None)
    if verifier is None:
        verifier = QualityVerifier(ctx)
        ctx._quality_verifier = verifier
    return verifier


def pick_reference(parent: QWidget | None) -> tuple[Path, str] | None:
    """Ask for a reference image and what it is (None: cancelled)."""
    name, _ = QFileDialog.getOpenFileName(parent, "Verify against a reference",
                                          filter="Images (*.png *.jpg *.jpeg *.webp)")
    if not name:
        return None
    kind, ok = QInputDialog.getItem(parent, "Verify against a reference",
                                    "Use the picture as:", list(REFERENCE_KINDS), 0, False)
    return (Path(name), kind) if ok else None


def verify_clip(ctx: Any, clip: otio.schema.Clip, parent: QWidget | None = None, *,
                ask_reference: bool = False) -> bool:
    """Right-click ▸ Verify (``ask_reference``: ▸ Verify Against Reference…)."""
    reference = None
    kind = REFERENCE_KINDS[0]
    if ask_reference:
        picked = pick_reference(parent)
        if picked is None:
            return False
        reference, kind = picked
    verifier = verifier_for(ctx)
    if parent is not None and not getattr(verifier, "_reports_to_user", False):
        verifier.failed.connect(lambda _c, message: QMessageBox.warning(
            parent, "Verify", message))
        verifier._reports_to_user = True
    return verifier.verify(clip, verifier.params_for(clip, reference, kind))
