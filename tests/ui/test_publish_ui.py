"""Publish dialog, Library panel and the Inspector's Related section on the sample project,
with the real job queue (SqliteHuey + embedded consumer) and the local publish folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtGui import QGuiApplication

from aladdin_studio.config import Settings
from aladdin_studio.generation import references as R
from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.undo import UndoStack


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "xdg" / var.lower()))
    for var in ("R2_ACCOUNT_ID", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "R2_ENDPOINT_URL",
                "MONGODB_URI", "NEO4J_URI"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "xdg"


@pytest.fixture
def sarah_project(sample_project: Path, tmp_path: Path, xdg) -> Path:
    """The sample project whose first clip was made with the character reference Sarah."""
    project = project_io.load(sample_project)
    face = tmp_path / "sarah.png"
    Image.new("RGB", (320, 320), (200, 80, 80)).save(face)
    command = R.add_reference(project, face, "character", "Sarah")
    UndoStack(project).push(command)
    clip = project.scenes[0].find_clips()[0]
    md = S.to_py(clip.media_reference.metadata.get(S.NS, {}))
    md["provenance"] = {"job_id": "job0sarah00000000001", "method": "image-to-video",
                        "model": "local/animatic", "prompt": "Sarah smiles", "seed": 7,
                        "character_reference": command.entry["id"], "quality": 0.9}
    clip.media_reference.metadata[S.NS] = md
    project_io.save(project)
    return sample_project


@pytest.fixture
def queue(tmp_path: Path):
    settings = Settings()
    store = JobStore(tmp_path / "jobs.sqlite3")
    q = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"), store, None, settings,
                 backoff_base=0.05)
    consumer = EmbeddedConsumer(q.huey, 2, queue=q, tick=0.05)
    consumer.start()
    yield q
    assert consumer.close(10)


def test_publish_dialog_then_library_and_related_find_it_by_character(
        qtbot, sarah_project, queue, xdg):
    from aladdin_studio.ui.editor_context import EditorContext
    from aladdin_studio.ui.inspector import Inspector
    from aladdin_studio.ui.library_panel import LibraryPanel
    from aladdin_studio.ui.publish_dialog import PublishDialog
    from aladdin_studio.ui.timeline_view.drops import dropped_paths

    ctx = EditorContext(project_io.load(sarah_project))
    dialog = PublishDialog(ctx, queue=queue)
    qtbot.addWidget(dialog)
    assert not dialog.destination.model().item(0).isEnabled()  # R2 is not configured
    assert dialog.destination.currentData() == "local"
    render = sorted((sarah_project / "media").glob("*.mp4"))[0]  # stands in for a render
    dialog.render_file.setChecked(True)
    dialog.file.setText(str(render))
    dialog.with_media.setCurrentIndex(2)  # with all media
    with qtbot.waitSignal(dialog.published, timeout=60_000) as signal:
        dialog.publish_button.click()
        assert not dialog.publish_button.isEnabled() and dialog.cancel_button.isEnabled()
    result = signal.args[0]
    assert result["destination"] == "local"
    urls = dialog.urls()
    assert len(urls) == len(result["files"]) + 1 and all(u.startswith("file://") for u in urls)
    assert all(Path(u[len("file://"):]).is_file() for u in urls)
    assert dialog.table.item(dialog.table.rowCount() - 1, 0).text() == "manifest"
    dialog.table.selectRow(0)
    assert dialog.copy_url() == QGuiApplication.clipboard().text() == urls[0]
    assert dialog.publish_button.isEnabled()

    panel = LibraryPanel(ctx)
    qtbot.addWidget(panel)
    assert [panel.character.itemText(i) for i in range(panel.character.count())] == \
        ["", "Sarah"]
    panel.character.setCurrentText("sarah")
    with qtbot.waitSignal(panel.searched, timeout=10_000) as found:
        panel.search()
    assert found.args[0] == 2  # the clip and the render it is in
    names = {d.metadata.get("name") for d in panel.docs}
    assert "pattern-1" in names and any("render" in n for n in names)
    clip_row = next(i for i, d in enumerate(panel.docs) if d.metadata.get("name") == "pattern-1")
    item = panel.results.item(clip_row)
    mime = panel.results.mimeData([item])
    assert dropped_paths(mime, ctx.project) == [Path(panel.docs[clip_row].metadata["path"])]
    qtbot.waitUntil(lambda: panel.has_thumbnail(clip_row), timeout=20_000)
    panel.quality.setValue(0.95)  # the clip's report says 0.9
    with qtbot.waitSignal(panel.searched, timeout=10_000) as found:
        panel.search()
    assert found.args[0] == 0

    inspector = Inspector(ctx)
    qtbot.addWidget(inspector)
    clip = ctx.project.scenes[0].find_clips()[0]
    with qtbot.waitSignal(inspector.related.shown, timeout=10_000) as shown:
        ctx.select([clip])
    assert shown.args[0]["depicts"] == ["Sarah"]
    assert inspector.related.labels["scenes"].text() == ctx.project.scenes[0].name
    other = ctx.project.scenes[0].find_clips()[1]
    ctx.select([other])  # the Brain knows it (published) but it depicts no one
    qtbot.waitUntil(lambda: inspector.related.labels["depicts"].text() == "–", timeout=10_000)
    panel.close_pool()
    inspector.related.close_pool()
    ctx.close()


def test_publish_dialog_refuses_what_cannot_be_published(qtbot, ctx, queue, xdg):
    from aladdin_studio.ui.publish_dialog import PublishDialog

    dialog = PublishDialog(ctx, queue=queue)
    qtbot.addWidget(dialog)
    dialog.selected.setChecked(True)
    dialog.publish_button.click()
    assert "Select the clips" in dialog.status.text() and dialog.job_id is None
    dialog.render_file.setChecked(True)
    dialog.file.setText("/nonexistent/render.mp4")
    dialog.publish_button.click()
    assert "does not exist" in dialog.status.text() and dialog.job_id is None


def test_publish_dialog_to_r2_on_a_local_s3_server(qtbot, sample_project, tmp_path, xdg):
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    from aladdin_studio.ui.editor_context import EditorContext
    from aladdin_studio.ui.publish_dialog import PublishDialog

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="x", aws_secret_access_key="y").create_bucket(
            Bucket="ui-bucket")
        settings = Settings(r2_endpoint_url=endpoint, r2_access_key_id="AKIAUITESTUITEST0000",
                            r2_secret_access_key="ui-secret-ui-secret-123",
                            r2_bucket_name="ui-bucket", r2_public_domain="cdn.example.com")
        store = JobStore(tmp_path / "jobs.sqlite3")
        q = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"), store, None,
                     settings)
        consumer = EmbeddedConsumer(q.huey, 1, queue=q, tick=0.05)
        consumer.start()
        ctx = EditorContext(project_io.load(sample_project))
        dialog = PublishDialog(ctx, queue=q)
        qtbot.addWidget(dialog)
        assert dialog.destination.model().item(0).isEnabled()
        dialog.destination.setCurrentIndex(0)
        render = sorted((sample_project / "media").glob("*.mp4"))[0]
        dialog.render_file.setChecked(True)
        dialog.file.setText(str(render))
        with qtbot.waitSignal(dialog.published, timeout=60_000) as signal:
            dialog.publish_button.click()
        result = signal.args[0]
        assert result["destination"] == "r2"
        key = result["files"][0]["key"]
        assert dialog.urls()[0] == f"https://cdn.example.com/{key}"
        got = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="y").get_object(
            Bucket="ui-bucket", Key=key)
        assert got["Body"].read() == render.read_bytes()
        ctx.close()
        assert consumer.close(10)
    finally:
        server.stop()
