"""Media dropped on the timeline: what was dragged, turned into a call of the placement
service (``services.placement``: which track and frame, overwrite or insert with Ctrl)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import opentimelineio as otio
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

from ...errors import AladdinError
from ...services.placement import PlacementError, media_command
from ...timeline import commands as C
from ...timeline.document import Project
from ...timeline.layout import item_frames
from ...timeline.media import clip_for_media
from ...timeline.probe import probe
from ...timeline.snapping import Snapper
from .geometry import DROP_CUT_PX
from .palette import read_transition

if TYPE_CHECKING:
    from .view import TimelineView

MEDIA_MIME = "application/x-aladdin-media"
SOURCE_MIME = "application/x-aladdin-source"  # the source monitor's in/out span


DropError = PlacementError  # a drop that cannot be placed; the message is for the status bar


def has_media(mime: QMimeData) -> bool:
    return mime.hasFormat(MEDIA_MIME) or mime.hasFormat(SOURCE_MIME) or mime.hasUrls()


def source_mime(path: str | Path, url: str, span: tuple[int, int] | None) -> QMimeData:
    """Drag data for the source monitor's item and its in/out span (None: all of it)."""
    mime = QMimeData()
    data = {"path": str(path), "url": url, "span": list(span) if span else None}
    mime.setData(SOURCE_MIME, json.dumps(data).encode("utf-8"))
    return mime


def read_source(mime: QMimeData) -> dict | None:
    """``{"path", "url", "span"}`` of a source monitor drag, or None."""
    if not mime.hasFormat(SOURCE_MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(SOURCE_MIME).data()).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("path") else None


def media_mime(paths: list[str | Path]) -> QMimeData:
    mime = QMimeData()
    mime.setData(MEDIA_MIME, json.dumps([{"path": str(p)} for p in paths]).encode())
    return mime


def dropped_paths(mime: QMimeData, project: Project | None = None) -> list[Path]:
    """Files carried by a media-bin drag (``{"path"}`` or ``{"url"}`` entries) or file URLs."""
    if mime.hasFormat(MEDIA_MIME):
        try:
            entries = json.loads(bytes(mime.data(MEDIA_MIME).data()).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return []
        if isinstance(entries, dict):
            entries = [entries]
        paths = []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, str):
                paths.append(Path(entry))
            elif isinstance(entry, dict) and entry.get("path"):
                paths.append(Path(entry["path"]))
            elif isinstance(entry, dict) and entry.get("url") and project is not None:
                paths.append(project.resolve_media(str(entry["url"])))
        return paths
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def media_drop(project: Project, scene: otio.schema.Timeline, paths: list[Path], frame: int,
               track: otio.schema.Track | None, tracks: list[otio.schema.Track], *,
               insert: bool = False) -> C.Command:
    """The command placing ``paths`` at ``frame`` (``services.placement`` decides)."""
    return media_command(project, scene, paths, frame, track, tracks, insert=insert)


def _covers_clip(row: Any, start: int, end: int) -> bool:
    """Whether a clip of ``row`` lies (partly) in ``[start, end)``."""
    for clip in row.clips[max(0, row.clip_index_at(start)):]:
        if clip.start >= end:
            return False
        if clip.end > start:
            return True
    return False


def drop_label(insert: bool, *, over_clip: bool, at: str) -> str:
    """What the drop marker says: insert (pushes clips right) or overwrite (replaces what
    lies there), and how to switch (Ctrl)."""
    if insert:
        return f"Insert at {at} · pushes later clips right (release Ctrl to overwrite)"
    if over_clip:
        return f"Overwrite at {at} · replaces what is there (hold Ctrl to insert)"
    return f"Place at {at} (hold Ctrl to insert)"


class DropController:
    """Drag-and-drop onto the timeline view: media from the bin or a file manager, and
    transitions from the palette (onto the cut nearest the pointer)."""

    def __init__(self, view: TimelineView) -> None:
        self.view = view
        self._snapper: Snapper | None = None
        self._lengths: dict[bool, int] = {}  # audio? -> frames the dragged files take

    def enter(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if read_transition(mime) is None and not has_media(mime):
            event.ignore()
            return
        self._snapper = self.view.make_snapper()  # once per drag, not per move
        self._lengths = self._measure(mime)
        event.acceptProposedAction()
        self.move(event)

    def _measure(self, mime: QMimeData) -> dict[bool, int]:
        """How long the dragged files are on video and on audio tracks (probes are
        cached), for the drop marker's extent; unreadable files count as nothing here
        (the drop says why)."""
        view = self.view
        lengths: dict[bool, int] = {}
        if view.scene_tl is None or not has_media(mime):
            return lengths
        rate = view.rate
        for path in dropped_paths(mime, view.ctx.project)[:50]:
            try:
                clip = clip_for_media(view.ctx.project, path, view.scene_tl)
            except (AladdinError, OSError):
                continue
            audio = not probe(path).has_video
            lengths[audio] = lengths.get(audio, 0) + item_frames(clip, rate)
        return lengths

    def move(self, event: QDragMoveEvent) -> None:
        view = self.view
        pos = view.mapToScene(event.position().toPoint())
        mime = event.mimeData()
        if read_transition(mime) is not None:
            cut = view.cut_near(view.row_at(pos.y()), pos.x(), DROP_CUT_PX)
            if cut is None:
                view.hide_feedback()
                event.ignore()
                return
            view.show_snap(cut[0].end)
            event.acceptProposedAction()
            return
        if not has_media(mime):
            event.ignore()
            return
        frame = self.frame_at(pos.x())
        view.show_snap(frame)
        row = view.row_at(pos.y())
        if row is not None:
            insert = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            length = self._lengths.get(row.audio, 0)
            covered = _covers_clip(row, frame, frame + max(length, 1))
            view.show_label(row, frame, drop_label(insert, over_clip=covered,
                                                   at=view.timecode(frame)))
            if length:  # what the drop takes: red where it would replace clips
                view.show_ghost(0, row, frame, frame + length, ok=insert or not covered)
        event.acceptProposedAction()

    def leave(self) -> None:
        self.view.hide_feedback()
        self._snapper = None

    def frame_at(self, x: float) -> int:
        """The drop frame for scene x: ``round(x)`` (x is in frames), snapped."""
        if self._snapper is None:
            self._snapper = self.view.make_snapper()
        return max(0, self._snapper.snap(max(0, round(x))).frame)

    def drop(self, event: QDropEvent) -> None:
        view = self.view
        view.hide_feedback()
        pos = view.mapToScene(event.position().toPoint())
        mime = event.mimeData()
        transition = read_transition(mime)
        if transition is not None:
            ok = self.drop_transition(pos, transition["kind"], transition["direction"])
        elif (source := read_source(mime)) is not None:
            insert = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            ok = self.drop_source(pos, source, insert=insert)
        else:
            insert = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            ok = self.drop_media(pos, dropped_paths(mime, view.ctx.project), insert=insert)
        self._snapper = None
        if ok:
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop_transition(self, pos: QPointF, kind: str, direction: str = "left") -> bool:
        """AddTransition on the cut nearest ``pos`` (within DROP_CUT_PX)."""
        view = self.view
        cut = view.cut_near(view.row_at(pos.y()), pos.x(), DROP_CUT_PX)
        if cut is None:
            view.ctx.error.emit("Drop a transition on a cut between two video clips.")
            return False
        try:
            command = C.AddTransition(cut[0].clip, kind, direction=direction)
        except ValueError as exc:
            view.ctx.error.emit(f"Unknown transition: {exc}")
            return False
        return view.ctx.push(command)

    def drop_media(self, pos: QPointF, paths: list[Path], *, insert: bool = False) -> bool:
        """Place dropped files at the (snapped) frame under ``pos``."""
        view = self.view
        if view.scene_tl is None:
            view.ctx.error.emit("Open a scene before adding media to the timeline.")
            return False
        row = view.row_at(pos.y())
        try:
            command = media_drop(view.ctx.project, view.scene_tl, paths, self.frame_at(pos.x()),
                                 row.track if row is not None else None,
                                 [r.track for r in view.rows], insert=insert)
        except DropError as exc:
            view.ctx.error.emit(str(exc))
            return False
        return view.ctx.push(command)

    def drop_source(self, pos: QPointF, source: dict, *, insert: bool = False) -> bool:
        """The source monitor's span dropped at the (snapped) frame under ``pos``: the same
        three-point edit as its Insert/Overwrite buttons, at the drop point."""
        from ...timeline.errors import TimelineError
        from ...timeline.probe import MediaProbeError
        from ...timeline.source_edit import source_media, three_point_edit

        view = self.view
        if view.scene_tl is None:
            view.ctx.error.emit("Open a scene before adding media to the timeline.")
            return False
        row = view.row_at(pos.y())
        span = source.get("span")
        try:
            media = source_media(view.ctx.project, view.scene_tl, source["path"],
                                 str(source.get("url") or ""))
            command = three_point_edit(view.ctx.project, view.scene_tl, media,
                                       tuple(span) if span else None, self.frame_at(pos.x()),
                                       row.track if row is not None else None, insert=insert)
        except (MediaProbeError, TimelineError) as exc:
            view.ctx.error.emit(str(exc))
            return False
        return view.ctx.push(command)
