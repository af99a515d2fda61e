"""Adding a title from the editor (Timeline ▸ Add Title, the media bin's Title button)."""

from __future__ import annotations

from typing import Any

from ..timeline import schema as S
from ..timeline.title_commands import AddTitle
from ..timeline.titles import new_title_clip
from .editor_context import EditorContext


def add_title(ctx: EditorContext, track: Any = None, text: str = "Title") -> Any:
    """A title at the playhead on ``track`` (or the upper video track), on the first free
    video track above it or a new one; selected for the Inspector. Returns the clip or None."""
    scene = ctx.scene
    if scene is None:
        ctx.error.emit("Open a scene before adding a title.")
        return None
    if track is not None and S.is_audio(track):
        track = None
    clip = new_title_clip(ctx.rate, text=text)
    if not ctx.push(AddTitle(scene, ctx.playhead, clip, track)):
        return None
    ctx.select([clip])
    return clip
