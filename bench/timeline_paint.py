"""Paint time of the timeline widget on a 1,000-clip scene.

Full repaints of the viewport of a 1600x600 ``TimelineWidget`` (``viewport().repaint()``,
median and p95 over 50 paints) at fit-all zoom, at 100 px/s, and during a simulated clip
drag (mouse-move events; the time to handle each move is printed too). Goal (issue): < 16 ms,
one frame at 60 Hz. The reference printed alongside is the same number of plain
``QGraphicsRectItem``\\ s (C++ painting, no names, thumbnails or waveforms) at the same
positions in a view of the same size and zoom, measured in the same run. The last line is a
committed ripple trim and its undo on the 600-clip track with the view following it (only
that row is synchronised), against the document alone.

The scene: 600 back-to-back video clips on V1, 200 video clips on V2 and 200 dialogue clips,
2 s each, using two real media files (so filmstrips and waveforms are drawn).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_TMP = Path(tempfile.mkdtemp(prefix="timeline-paint-"))
os.environ["XDG_CACHE_HOME"] = str(_TMP / "cache")  # keep preview caches out of ~/.cache
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "timeline"))

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPen, QTransform  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
)

from aladdin_studio import sample_media  # noqa: E402
from aladdin_studio.timeline import commands as C  # noqa: E402
from aladdin_studio.timeline import schema as S  # noqa: E402
from aladdin_studio.ui.editor_context import EditorContext  # noqa: E402
from aladdin_studio.ui.timeline_view import TimelineWidget  # noqa: E402

from doc_factory import RATE, make_doc  # noqa: E402

V1_CLIPS, V2_CLIPS, AUDIO_CLIPS = 600, 200, 200
CLIPS = V1_CLIPS + V2_CLIPS + AUDIO_CLIPS
PAINTS = 50
SIZE = (1600, 600)
GOAL_MS = 16.0


def media_clip(name: str, path: Path, audio: bool) -> object:
    ref = S.new_reference(str(path), duration_frames=4 * RATE, rate=RATE,
                          info={"has_video": not audio, "has_audio": True, "duration": 4.0})
    return S.new_clip(name, ref, start=0, duration=2 * RATE, rate=RATE, audio=audio)


def build():
    video = sample_media.make_pattern_video(_TMP / "pattern.mp4", seconds=4, size=(320, 180))
    speech = sample_media.make_dialogue(_TMP / "speech.m4a", seconds=4)
    project, _stack, scene = make_doc(0, max_clips=V1_CLIPS + V2_CLIPS + 10)
    add = C.AddTrack(scene, "video")
    add.redo(project)
    v1, dialogue, v2 = scene.tracks[0], scene.tracks[1], add.track
    for i in range(V1_CLIPS):
        C.AppendClip(v1, media_clip(f"v{i}", video, False)).redo(project)
    for i in range(V2_CLIPS):
        C.OverwriteClip(v2, media_clip(f"b{i}", video, False), i * 6 * RATE).redo(project)
    for i in range(AUDIO_CLIPS):
        C.OverwriteClip(dialogue, media_clip(f"d{i}", speech, True),
                        i * 6 * RATE + 2 * RATE).redo(project)
    return project, scene, (video, speech)


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def time_repaints(app: QApplication, viewport) -> list[float]:
    out = []
    for _ in range(PAINTS):
        app.processEvents()
        t0 = time.perf_counter()
        viewport.repaint()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def reference_view(widget: TimelineWidget) -> tuple[QGraphicsView, QGraphicsScene]:
    """Plain rect items at the widget's clip rectangles, in a view of the same size."""
    scene = QGraphicsScene()
    pen = QPen(QColor("#202020"))
    pen.setCosmetic(True)
    brush = QBrush(QColor("#3b6cb3"))
    for row in widget.view.rows:
        for item in row.clips:
            rect = QGraphicsRectItem(QRectF(item.start, row.top + 1, item.duration,
                                            row.height - 2))
            rect.setPen(pen)
            rect.setBrush(brush)
            scene.addItem(rect)
    scene.setSceneRect(widget.view.sceneRect())
    view = QGraphicsView(scene)
    view.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    view.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
    view.resize(widget.view.size())
    view.show()
    return view, scene


def match(ref: QGraphicsView, widget: TimelineWidget) -> None:
    ref.setTransform(QTransform.fromScale(widget.view.ppf, 1.0))
    ref.horizontalScrollBar().setValue(widget.view.horizontalScrollBar().value())


def wait_for_previews(app: QApplication, widget: TimelineWidget, files) -> None:
    previews = widget.previews
    deadline = time.time() + 60
    while time.time() < deadline:
        widget.view.viewport().repaint()
        app.processEvents()
        if previews.strip(str(files[0]), 4, 40) is not None and \
                previews.waveform(str(files[1])) is not None:
            return
        time.sleep(0.05)
    print("warning: previews did not arrive; painting placeholders")


def mouse(kind: QEvent.Type, view, frame: float, y: float) -> QMouseEvent:
    pos = view.mapFromScene(QPointF(frame, y))
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else \
        Qt.MouseButton.LeftButton
    return QMouseEvent(kind, QPointF(pos), QPointF(view.viewport().mapToGlobal(pos)),
                       Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)


def drag(app: QApplication, widget: TimelineWidget) -> tuple[list[float], list[float]]:
    """Press on a visible V1 clip, then PAINTS move events; time each move and a full
    repaint after it. The drag is cancelled at the end (nothing is committed)."""
    view = widget.view
    vp = view.viewport()
    row = view.row_for(widget.ctx.scene.tracks[0])
    first = view.frame_at(vp.width() * 0.3)
    clip = row.clip_at(first) or row.clips[0]
    y = row.top + row.height * 0.9
    frame = clip.start + clip.duration / 2
    QApplication.sendEvent(vp, mouse(QEvent.Type.MouseButtonPress, view, frame, y))
    moves, paints = [], []
    for i in range(PAINTS):  # 12 px, then 2 px a move
        event = mouse(QEvent.Type.MouseMove, view, frame + (12 + 2 * i) / view.ppf, y)
        t0 = time.perf_counter()
        QApplication.sendEvent(vp, event)
        t1 = time.perf_counter()
        vp.repaint()
        t2 = time.perf_counter()
        moves.append((t1 - t0) * 1000)
        paints.append((t2 - t1) * 1000)
    assert view.dragging, "the drag did not start"
    view.cancel_drag()
    return moves, paints


def edits(app: QApplication, widget: TimelineWidget) -> list[float]:
    """A ripple trim near the start of the 600-clip row and its undo (every later item moves),
    ``PAINTS`` times; each sample is edit + undo including the view's update."""
    ctx = widget.ctx
    v1 = ctx.scene.tracks[0]
    out = []
    for _ in range(PAINTS):
        t0 = time.perf_counter()
        ctx.push(C.Trim(v1[5], "out", -2, ripple=True))
        ctx.stack.undo()
        out.append((time.perf_counter() - t0) * 1000)
        app.processEvents()
    return out


def report(label: str, samples: list[float], ref: list[float] | None = None,
           ref_label: str = "reference") -> None:
    med, p95 = stats(samples)
    line = f"{label:<34} median {med:6.2f} ms  p95 {p95:6.2f} ms"
    if ref is not None:
        rmed, rp95 = stats(ref)
        line += f"   {ref_label} median {rmed:5.2f} ms (p95 {rp95:5.2f}), ratio {med / rmed:4.1f}x"
    print(line + f"   {'OK' if p95 < GOAL_MS else 'OVER'} (goal < {GOAL_MS:.0f} ms)")


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    project, scene, files = build()
    ctx = EditorContext(project)
    ctx.set_scene(scene)
    widget = TimelineWidget(ctx)
    widget.resize(*SIZE)
    widget.show()
    app.processEvents()
    vp = widget.view.viewport()
    widget.set_zoom(100, 0)
    wait_for_previews(app, widget, files)
    ref, _ref_scene = reference_view(widget)
    app.processEvents()
    seconds = widget.view._content_end / RATE
    print(f"scene: {CLIPS} clips ({V1_CLIPS} + {V2_CLIPS} video, {AUDIO_CLIPS} audio) on "
          f"{len(widget.view.rows)} tracks, {seconds:.0f} s; viewport {vp.width()}x"
          f"{vp.height()} px; {PAINTS} paints each")

    widget.zoom_fit()
    match(ref, widget)
    fit = time_repaints(app, vp)
    report(f"fit-all ({widget.pixels_per_second:.2f} px/s)", fit,
           time_repaints(app, ref.viewport()))

    widget.set_zoom(100, 0)
    widget.view.horizontalScrollBar().setValue(int(widget.view.horizontalScrollBar().maximum()
                                                   * 0.4))
    match(ref, widget)
    app.processEvents()
    close = time_repaints(app, vp)
    report("100 px/s", close, time_repaints(app, ref.viewport()))

    moves, paints = drag(app, widget)
    report("drag at 100 px/s: full repaint", paints, close, "no drag")
    report("drag at 100 px/s: move event", moves)

    widget.zoom_fit()
    match(ref, widget)
    app.processEvents()
    moves, paints = drag(app, widget)
    report("drag at fit-all: full repaint", paints, fit, "no drag")
    report("drag at fit-all: move event", moves)

    with_view = edits(app, widget)
    widget.ctx.document_changed.disconnect(widget.view.on_project_changed)  # views listen here
    alone = edits(app, widget)
    report("ripple trim + undo, 600-clip row", with_view, alone, "document alone")
    ctx.close()
    widget.previews.close()


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(_TMP, ignore_errors=True)
