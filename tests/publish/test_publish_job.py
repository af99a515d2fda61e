"""The publish job kind in the real queue (SqliteHuey + embedded consumer): per-file progress
in the ledger, cancel mid-upload leaving the stored parts, and the next publish resuming."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from s3_helpers import r2_settings, random_file
from waits import wait_for

from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey
from aladdin_studio.publish import r2 as R2
from aladdin_studio.publish.job_kind import PublishPayload

MB = 1024 * 1024


@pytest.fixture
def queue_for(tmp_path: Path):
    consumers: list[EmbeddedConsumer] = []

    def make(settings) -> JobQueue:
        queue = JobQueue(make_huey(settings, path=tmp_path / "queue.sqlite3"),
                         JobStore(tmp_path / "jobs.sqlite3"), None, settings, backoff_base=0.05)
        consumer = EmbeddedConsumer(queue.huey, 2, queue=queue, tick=0.05)
        consumer.start()
        consumers.append(consumer)
        return queue

    yield make
    for consumer in consumers:
        assert consumer.close(15)


def hold_parts_from(first: int, holding: threading.Event, gate: threading.Event):
    """A proxy hook: multipart PUTs of part ``first`` and later set ``holding`` and wait
    for ``gate``."""
    def hold(method: str, target: str, index: int) -> None:
        part = re.search(r"[?&]partNumber=(\d+)", target)
        if method == "PUT" and part and int(part[1]) >= first:
            holding.set()
            assert gate.wait(120), "the test never released the held part"
    return hold


def test_cancel_mid_upload_then_publish_again_resumes(
        xdg, sample_project, s3_server, bucket, s3, proxy_to, queue_for, monkeypatch):
    monkeypatch.setattr(R2, "default_transfer_config", lambda: TransferConfig(
        multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=1))
    # parts from the third on wait at the proxy until the test has cancelled (a fixed delay
    # per part raced the cancel against the upload)
    holding, gate = threading.Event(), threading.Event()
    held = proxy_to(hold_parts_from(3, holding, gate))
    queue = queue_for(r2_settings(held.url, bucket))
    render = random_file(sample_project / "renders" / "Scene-1.mp4", 26 * MB, seed=8)
    payload = PublishPayload(project=str(sample_project), render=str(render),
                             destination="r2")
    job = queue.submit(payload, sample_project / "project.otio")
    assert holding.wait(60), "the upload never reached its third part"  # two are stored
    files = wait_for(lambda: (queue.store.get(job.id).info or {}).get("files"), what="files")
    assert files[0]["status"] == "uploading" and files[0]["size"] == 26 * MB
    queue.cancel(job.id)
    gate.set()
    wait_for(lambda: not any(t.name.startswith("r2-part") for t in threading.enumerate()),
             what="the part threads to stop")
    assert queue.store.get(job.id).status == "cancelled"
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert len(uploads) == 1  # kept for the next publish; nothing under the final key
    stored = s3.list_parts(Bucket=bucket, Key=uploads[0]["Key"],
                           UploadId=uploads[0]["UploadId"]).get("Parts", [])
    assert 2 <= len(stored) < 6
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)

    again = queue.submit(payload, sample_project / "project.otio")
    done = wait_for(lambda: (j := queue.store.get(again.id)).done and j, what="the publish")
    assert done.status == "succeeded", done.error_message
    result = done.info["publish"]["files"][0]
    assert result["resumed_parts"] == len(stored) and result["parts"] == 6
    assert result["uploaded_bytes"] == 26 * MB - len(stored) * 5 * MB
    head = s3.head_object(Bucket=bucket, Key=result["key"])
    assert head["ContentLength"] == 26 * MB and head["Metadata"]["sha256"] == result["sha256"]
    assert Path(done.output_path).is_file()  # the local manifest beside the render
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_the_ledger_shows_every_stored_part_while_the_next_one_is_slow(
        xdg, sample_project, s3_server, bucket, s3, proxy_to, queue_for, monkeypatch):
    """Progress is throttled to one ledger write per 0.2 s; the last update before a slow
    part must still reach the ledger (it was dropped, so the ledger showed fewer bytes
    than were stored for as long as the next part took)."""
    monkeypatch.setattr(R2, "default_transfer_config", lambda: TransferConfig(
        multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=1))
    holding, gate = threading.Event(), threading.Event()
    held = proxy_to(hold_parts_from(3, holding, gate))
    queue = queue_for(r2_settings(held.url, bucket))
    render = random_file(sample_project / "renders" / "Scene-1.mp4", 16 * MB, seed=9)
    job = queue.submit(PublishPayload(project=str(sample_project), render=str(render),
                                      destination="r2"), sample_project / "project.otio")
    try:
        assert holding.wait(60), "the upload never reached its third part"
        wait_for(lambda: ((queue.store.get(job.id).info or {}).get("files") or [{}])[0]
                 .get("done") == 10 * MB, timeout=10, what="the two stored parts in the ledger")
    finally:
        gate.set()
    done = wait_for(lambda: (j := queue.store.get(job.id)).done and j, what="the publish")
    assert done.status == "succeeded", done.error_message
