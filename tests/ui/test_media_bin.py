"""The Media Bin dock on the sample project: badges, imports, drops, drags, offline media."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from aladdin_studio import sample_media as M
from aladdin_studio.timeline.media import bin_entries
from aladdin_studio.ui.editor_context import EditorContext
from aladdin_studio.ui.media_bin import (
    BADGES_ROLE,
    MEDIA_MIME,
    OFFLINE_ROLE,
    MediaBin,
    clips_using,
)

WAIT_MS = 15000


@pytest.fixture(scope="module")
def import_media(tmp_path_factory) -> dict[str, Path]:
    """Small media outside the project: two files and a folder with media and a text file."""
    root = tmp_path_factory.mktemp("imports")
    folder = root / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("not media")
    broken = root / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 100)
    return {
        "video": M.make_pattern_video(root / "clip.mp4", seconds=1.0, size=(160, 90), fps=24),
        "still": M.make_still(root / "card.png", size=(160, 90)),
        "music": M.make_music_bed(folder / "sub" / "bed.m4a", seconds=1.0),
        "folder_still": M.make_still(folder / "folder-card.png", size=(160, 90)),
        "folder": folder,
        "broken": broken,
    }


@pytest.fixture
def media_bin(qtbot, ctx) -> MediaBin:
    widget = MediaBin(ctx)
    qtbot.addWidget(widget)
    return widget


def run_import(qtbot, media_bin: MediaBin, paths) -> list[str]:
    with qtbot.waitSignal(media_bin.import_finished, timeout=WAIT_MS) as blocker:
        media_bin.import_paths(paths)
    assert not media_bin.busy
    return blocker.args[0]


def url_named(ctx: EditorContext, name: str) -> str:
    return next(e["url"] for e in bin_entries(ctx.project) if e["name"] == name)


def test_bin_lists_the_sample_entries_with_badges(qtbot, ctx, media_bin):
    names = [e["name"] for e in bin_entries(ctx.project)]
    assert len(names) == 8 and media_bin.view.count() == 8
    badges = {media_bin.view.item(i).text(): media_bin.view.item(i).data(BADGES_ROLE)
              for i in range(media_bin.view.count())}
    assert badges["pattern-1.mp4"] == ["0:07", "320×180", "24 fps"]
    assert badges["title-card.png"] == ["320×180", "image"]
    assert badges["music-bed.m4a"] == ["0:35", "audio"]
    assert not any(media_bin.view.item(i).data(OFFLINE_ROLE) for i in range(8))
    # The icon shows the first tile of the background cache's filmstrip.
    url = url_named(ctx, "pattern-1.mp4")
    qtbot.waitUntil(lambda: media_bin.has_thumbnail(url), timeout=WAIT_MS)
    media_bin.set_icon_mode(False)
    assert media_bin.item_for(url).text().startswith("pattern-1.mp4    0:07 · 320×180")
    media_bin.set_icon_mode(True)
    assert media_bin.item_for(url).text() == "pattern-1.mp4"


def test_search_filters_and_remove_is_undoable(ctx, media_bin):
    media_bin.search.setText("DIALOGUE")
    assert [u.rsplit("/", 1)[-1] for u in media_bin.visible_urls()] == [
        "dialogue-1.m4a", "dialogue-2.m4a"]
    media_bin.search.clear()
    assert len(media_bin.visible_urls()) == 8
    url = url_named(ctx, "music-bed.m4a")
    media_bin.item_for(url).setSelected(True)
    assert media_bin.remove_selected()
    assert url not in [e["url"] for e in bin_entries(ctx.project)]
    assert media_bin.item_for(url) is None
    assert ctx.project.resolve_media(url).exists()  # the file stays
    assert clips_using(ctx.project, url)  # and so does its clip
    ctx.stack.undo()
    assert media_bin.item_for(url) is not None and len(bin_entries(ctx.project)) == 8


def test_import_files_then_folder_one_undo_step_each(qtbot, ctx, media_bin, import_media,
                                                     errors):
    before = bin_entries(ctx.project)
    steps = ctx.stack.count()
    added = run_import(qtbot, media_bin, [import_media["video"], import_media["still"]])
    assert added == [str(import_media["video"]), str(import_media["still"])]
    assert ctx.stack.count() == steps + 1
    entries = bin_entries(ctx.project)
    assert entries[:8] == before and [e["name"] for e in entries[8:]] == ["clip.mp4", "card.png"]
    assert media_bin.item_for(added[0]).data(BADGES_ROLE) == ["0:01", "160×90", "24 fps"]

    added = run_import(qtbot, media_bin, [import_media["folder"]])
    # Recursive, media only (notes.txt is skipped), one more undo step.
    assert sorted(Path(u).name for u in added) == ["bed.m4a", "folder-card.png"]
    assert ctx.stack.count() == steps + 2 and len(bin_entries(ctx.project)) == 12
    assert media_bin.item_for(str(import_media["music"])).data(BADGES_ROLE) == ["0:01", "audio"]

    # Importing the same files again adds nothing and makes no undo step.
    assert run_import(qtbot, media_bin, [import_media["video"]]) == []
    assert ctx.stack.count() == steps + 2
    ctx.stack.undo()
    assert len(bin_entries(ctx.project)) == 10
    ctx.stack.undo()
    assert bin_entries(ctx.project) == before and media_bin.view.count() == 8
    assert errors == []


def test_corrupt_file_is_named_and_skipped(qtbot, ctx, media_bin, import_media, errors):
    added = run_import(qtbot, media_bin, [import_media["broken"], import_media["still"]])
    assert added == [str(import_media["still"])]
    assert len(errors) == 1
    assert "broken.mp4" in errors[0] and "could not be read" in errors[0]
    assert "broken.mp4" not in [e["name"] for e in bin_entries(ctx.project)]


def test_dropped_file_url_imports(qtbot, ctx, media_bin, import_media):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(import_media["video"]))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(media_bin.import_finished, timeout=WAIT_MS) as blocker:
        media_bin.view.dropEvent(event)
    assert event.isAccepted()
    assert blocker.args[0] == [str(import_media["video"])]
    assert bin_entries(ctx.project)[-1]["name"] == "clip.mp4"


def test_drag_out_mime_data(ctx, media_bin):
    urls = [url_named(ctx, "pattern-2.mp4"), url_named(ctx, "music-bed.m4a")]
    mime = media_bin.view.mimeData([media_bin.item_for(u) for u in urls])
    assert set(media_bin.view.mimeTypes()) >= {MEDIA_MIME, "text/uri-list"}
    payload = json.loads(bytes(mime.data(MEDIA_MIME)).decode())
    paths = [str(ctx.project.resolve_media(u)) for u in urls]
    assert payload == [{"path": p, "url": u} for p, u in zip(paths, urls, strict=True)]
    assert all(Path(p).is_absolute() for p in paths)
    assert [u.toLocalFile() for u in mime.urls()] == paths


def test_offline_entry_and_relink(qtbot, ctx, media_bin, tmp_path):
    url = url_named(ctx, "pattern-3.mp4")
    path = ctx.project.resolve_media(url)
    moved = tmp_path / "elsewhere" / "pattern-3-moved.mp4"
    moved.parent.mkdir()
    shutil.move(path, moved)
    media_bin.refresh()
    item = media_bin.item_for(url)
    assert item.data(OFFLINE_ROLE) and item.data(BADGES_ROLE)[0] == "offline"
    assert not item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    assert media_bin.view.mimeData([item]).data(MEDIA_MIME).data() == b"[]"

    steps = ctx.stack.count()
    assert media_bin.relink(url, moved)
    assert ctx.stack.count() == steps + 1
    new_url = str(moved)
    assert [e["url"] for e in bin_entries(ctx.project)].count(new_url) == 1
    assert url not in [e["url"] for e in bin_entries(ctx.project)]
    assert not clips_using(ctx.project, url)
    (_, clip), = clips_using(ctx.project, new_url)
    assert clip.media_reference.target_url == new_url
    assert not media_bin.item_for(new_url).data(OFFLINE_ROLE)

    ctx.stack.undo()  # one step restores the entry and the clip
    assert clip.media_reference.target_url == url
    assert media_bin.item_for(url).data(OFFLINE_ROLE)


def test_relink_to_unreadable_file_is_refused(ctx, media_bin, import_media, errors):
    url = url_named(ctx, "pattern-1.mp4")
    steps = ctx.stack.count()
    assert not media_bin.relink(url, import_media["broken"])
    assert ctx.stack.count() == steps and "broken.mp4" in errors[0]
