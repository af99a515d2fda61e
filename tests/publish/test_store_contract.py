"""What both destinations promise (the local publish folder and R2 on the local S3 server):
key layout, idempotence by content hash, URLs, metadata, and nothing readable under a final
key before the whole object is there (cancel mid-upload)."""

from __future__ import annotations

import hashlib
import threading

import pytest
from boto3.s3.transfer import TransferConfig
from s3_helpers import r2_settings, random_file

from aladdin_studio.publish.errors import PublishCancelled, PublishIntegrityError
from aladdin_studio.publish.r2 import R2Store
from aladdin_studio.publish.store import LocalStore

MB = 1024 * 1024


@pytest.fixture(params=["local", "r2"])
def store(request, tmp_path):
    if request.param == "local":
        s = LocalStore(tmp_path / "publish")
        s.CHUNK = 1 * MB  # several progress steps for the cancel test
    else:
        s3_server, bucket = request.getfixturevalue("s3_server"), request.getfixturevalue(
            "bucket")
        s = R2Store(r2_settings(s3_server, bucket), backoff_base=0.01,
                    transfer=TransferConfig(multipart_threshold=5 * MB,
                                            multipart_chunksize=5 * MB, max_concurrency=1))
    yield s
    s.close()


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_head_url_and_idempotence(store, tmp_path):
    key = "projects/p1/videos/m1.mp4"
    path = random_file(tmp_path / "m1.mp4", 7 * MB)
    seen: list[tuple[int, int]] = []
    first = store.upload(key, path, sha256=sha(path), content_type="video/mp4",
                         metadata={"project_id": "p1", "prompt": "Sarah ✓ in the park"},
                         progress=lambda done, total: seen.append((done, total)))
    assert first.uploaded_bytes == 7 * MB and not first.skipped
    assert seen[-1] == (7 * MB, 7 * MB)
    head = store.head(key)
    assert head.size == 7 * MB and head.sha256 == sha(path)
    assert head.metadata["project-id"] == "p1"
    assert head.metadata["prompt"] == "Sarah %E2%9C%93 in the park"  # ASCII only
    url, expires = store.url(key)
    assert url == first.url
    assert (expires is None) == (store.name == "local")
    again = store.upload(key, path, sha256=sha(path), content_type="video/mp4", metadata={})
    assert again.skipped and again.uploaded_bytes == 0
    changed = random_file(tmp_path / "m1b.mp4", 7 * MB, seed=9)
    third = store.upload(key, changed, sha256=sha(changed), content_type="video/mp4",
                         metadata={})
    assert not third.skipped and store.head(key).sha256 == sha(changed)
    manifest = store.put_bytes("projects/p1/scenes/s1/r1.manifest.json", b'{"a": 1}',
                               content_type="application/json", metadata={})
    assert store.head(manifest.key).size == 8


def test_cancel_mid_upload_leaves_nothing_under_the_key(store, tmp_path):
    key = "projects/p1/scenes/s1/r2.mp4"
    path = random_file(tmp_path / "r2.mp4", 16 * MB, seed=3)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if 0 < done < total:
            cancel.set()

    with pytest.raises(PublishCancelled):
        store.upload(key, path, sha256=sha(path), content_type="video/mp4", metadata={},
                     progress=progress, cancel=cancel)
    assert store.head(key) is None
    if store.name == "local":
        assert [p.name for p in (store.root / "projects/p1/scenes/s1").iterdir()] == []


def test_a_file_that_does_not_match_its_hash_is_not_published(store, tmp_path):
    key = "projects/p1/videos/m2.mp4"
    path = random_file(tmp_path / "m2.mp4", 2 * MB)
    with pytest.raises(PublishIntegrityError, match="changed while it was published"):
        store.upload(key, path, sha256="0" * 64, content_type="video/mp4", metadata={})
    assert store.head(key) is None
