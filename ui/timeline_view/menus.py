"""The timeline's context menu: transitions on a cut, clip edits, takes and generation, a
marker."""

from __future__ import annotations

from typing import TYPE_CHECKING

import opentimelineio as otio
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMenu

from ...generation import placement
from ...timeline import commands as C
from ...timeline import schema as S
from ..scene_panel import clips_to_new_scene
from .tools import SELECT, hit_test

if TYPE_CHECKING:
    from .view import TimelineView

TRANSITION_KINDS = (("Fade", "fade"), ("Dissolve", "dissolve"), ("Wipe", "wipe"),
                    ("Slide", "slide"))


def context_menu(view: TimelineView, pos: QPointF) -> QMenu:
    """The menu for scene position ``pos``.

    Near a cut between two video clips (or on a transition): add a fade, dissolve, wipe or
    slide (``AddTransition`` on the clip left of the cut), remove the transition. On a
    clip: split at the playhead, lift, ripple delete (audio: reset volume); on a video clip
    also "Regenerate…", a "Takes" submenu when it has several takes, and Retry / Cancel on
    a generation placeholder. Always: add a marker at the playhead.
    """
    ctx = view.ctx
    hit = hit_test(view, pos, SELECT)
    menu = QMenu(view)
    cut = view.cut_near(hit.row, pos.x())
    transition = hit.transition
    if transition is not None:
        a = transition.row.clip_at(transition.cut - 1)
        b = transition.row.clip_at(transition.cut)
        cut = (a, b) if a is not None and b is not None else cut
    if cut is not None:
        left = cut[0]
        existing = transition or left.row.transition_after(left)
        for label, kind in TRANSITION_KINDS:
            menu.addAction(f"Add {label}").triggered.connect(
                lambda _=False, k=kind, c=left.clip: ctx.push(C.AddTransition(c, k)))
        if existing is not None:
            menu.addAction("Remove Transition").triggered.connect(
                lambda _=False, t=existing.transition: ctx.push(C.RemoveTransition(t)))
        menu.addSeparator()
    if hit.clip is not None:
        item = hit.clip
        split = menu.addAction("Split at Playhead")
        split.setEnabled(item.start < ctx.playhead < item.end)
        split.triggered.connect(
            lambda _=False, t=item.row.track: ctx.push(C.Split(t, int(ctx.playhead))))
        menu.addAction("Lift").triggered.connect(
            lambda _=False, c=item.clip: ctx.push(C.Lift(c)))
        menu.addAction("Ripple Delete").triggered.connect(
            lambda _=False, c=item.clip: ctx.push(C.RippleDelete(c)))
        if item.row.audio:
            menu.addAction("Reset Volume").triggered.connect(
                lambda _=False, c=item.clip: ctx.push(C.SetClipAudio(c, volume=1.0)))
        else:
            menu.addSeparator()
            generation_items(view, menu, item.clip)
        menu.addSeparator()
        for label, copy in (("Move Selected Clips to New Scene", False),
                            ("Copy Selected Clips to New Scene", True)):
            menu.addAction(label).triggered.connect(
                lambda _=False, c=copy: clips_to_new_scene(ctx, copy=c))
        menu.addSeparator()
    scene = view.scene_tl
    if scene is not None:
        menu.addAction("Add Marker at Playhead").triggered.connect(
            lambda _=False: ctx.push(C.AddMarker(scene, int(ctx.playhead))))
    return menu


def generation_items(view: TimelineView, menu: QMenu, clip: otio.schema.Clip) -> None:
    """Retry / Cancel (placeholders), the Takes submenu and Regenerate… for ``clip``."""
    ctx = view.ctx
    generation = getattr(ctx, "generation", None)
    if placement.is_placeholder(clip):
        job = generation.clip_job(clip) if generation is not None else None
        status = job.status if job is not None else ""
        retry = menu.addAction("Retry")
        retry.setEnabled(status in ("failed", "cancelled"))
        retry.triggered.connect(lambda _=False, j=job: generation.retry(j.id))
        cancel = menu.addAction("Cancel")
        cancel.setEnabled(status in ("queued", "submitted", "running"))
        cancel.triggered.connect(lambda _=False, j=job: generation.cancel(j.id))
    takes = clip.media_references()
    if len(takes) > 1:
        sub = menu.addMenu("Takes")
        active = clip.active_media_reference_key
        for key, ref in takes.items():
            model = (S.get(ref, "provenance", {}) or {}).get("model")
            about = " · ".join(p for p in (ref.name, model) if p)  # generated: readable name
            action = sub.addAction(f"{key} — {about}" if about else key)
            action.setCheckable(True)
            action.setChecked(key == active)
            action.triggered.connect(
                lambda _=False, k=key: ctx.push(C.SetActiveTake(clip, k)))
    regenerate = menu.addAction("Regenerate…")
    regenerate.setEnabled(generation is not None)
    regenerate.triggered.connect(lambda _=False: _regenerate(view, clip))
    if not placement.is_placeholder(clip):  # issue 15: verify any clip's active take
        menu.addAction("Verify").triggered.connect(lambda _=False: _verify(view, clip, False))
        menu.addAction("Verify Against Reference…").triggered.connect(
            lambda _=False: _verify(view, clip, True))


def _verify(view: TimelineView, clip: otio.schema.Clip, ask_reference: bool) -> None:
    from ..quality_actions import verify_clip

    verify_clip(view.ctx, clip, view.window(), ask_reference=ask_reference)


def _regenerate(view: TimelineView, clip: otio.schema.Clip) -> None:
    from ..generate_dialog import open_generate_dialog

    open_generate_dialog(view.ctx, parent=view.window(), clip=clip)
