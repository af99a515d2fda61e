"""R2Store through the real boto3 client against a real S3 server on 127.0.0.1 (moto),
directly and through a TCP fault proxy."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest
from boto3.s3.transfer import TransferConfig
from s3_helpers import ACCESS_KEY_ID, SECRET_KEY, r2_settings, random_file

from aladdin_studio.publish.errors import (
    PublishAuthError,
    PublishNotFound,
    PublishQuotaError,
    PublishUnavailable,
)
from aladdin_studio.publish.keys import media_key, scene_key, validate_key
from aladdin_studio.publish.r2 import R2Store, expected_etag
from aladdin_studio.publish.store import trim_metadata

MB = 1024 * 1024
SMALL_PARTS = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB,
                             max_concurrency=3)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_for(endpoint, bucket, **options) -> R2Store:
    options.setdefault("transfer", SMALL_PARTS)
    options.setdefault("backoff_base", 0.01)
    settings_extra = options.pop("settings", {})
    return R2Store(r2_settings(endpoint, bucket, **settings_extra), **options)


def test_keys_follow_the_design_and_refuse_unsafe_parts():
    assert media_key("p1", "video", "abc", ".mp4") == "projects/p1/videos/abc.mp4"
    assert media_key("p1", "audio", "l1", ".WAV") == "projects/p1/audio/l1.wav"
    assert scene_key("p1", "s1", "r1") == "projects/p1/scenes/s1/r1.mp4"
    for bad in ("../x", "/abs/key", "a//b", "a/./b", "a\x00b", "a\\b", "é"):
        with pytest.raises(Exception, match="key"):
            validate_key(bad)
    with pytest.raises(Exception, match="cannot be part of a storage key"):
        media_key("p1", "video", "../../etc", ".mp4")
    with pytest.raises(Exception, match="cannot be part of a storage key"):
        scene_key("p1", "My Scene", "r1")


def test_metadata_is_trimmed_to_the_s3_limit_in_priority_order():
    kept, dropped = trim_metadata({"sha256": "a" * 64, "project_id": "p", "prompt": "ü" * 3000,
                                   "model": "fal-ai/x", "huge_param": "y" * 2000})
    assert kept["sha256"] == "a" * 64 and kept["model"] == "fal-ai/x"
    assert sum(len(k) + len(v) for k, v in kept.items()) <= 2000
    assert all(0x20 <= ord(c) <= 0x7E for v in kept.values() for c in v)
    assert "huge-param" in dropped and "prompt" in dropped  # cut: the manifest has it all


def test_small_and_multipart_uploads_verify_and_republishing_sends_nothing(
        s3_server, bucket, s3, tmp_path):
    store = store_for(s3_server, bucket)
    small = random_file(tmp_path / "small.mp4", 300_000)
    big = random_file(tmp_path / "big.mp4", 12 * MB + 123, seed=2)
    r1 = store.upload("projects/p/videos/a.mp4", small, sha256=sha(small),
                      content_type="video/mp4", metadata={"project_id": "p", "fps": 24})
    r2 = store.upload("projects/p/scenes/s/r.mp4", big, sha256=sha(big),
                      content_type="video/mp4", metadata={"prompt": "a kite"})
    assert (r1.parts, r2.parts) == (1, 3) and r2.uploaded_bytes == big.stat().st_size
    head = s3.head_object(Bucket=bucket, Key="projects/p/scenes/s/r.mp4")
    assert head["ContentType"] == "video/mp4"
    assert head["Metadata"]["sha256"] == sha(big) and head["Metadata"]["prompt"] == "a kite"
    md5s = [hashlib.md5(big.read_bytes()[i:i + 5 * MB]).hexdigest()
            for i in range(0, big.stat().st_size, 5 * MB)]
    assert head["ETag"].strip('"') == expected_etag(md5s)
    body = s3.get_object(Bucket=bucket, Key="projects/p/scenes/s/r.mp4")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha(big)
    again = store.upload("projects/p/scenes/s/r.mp4", big, sha256=sha(big),
                         content_type="video/mp4", metadata={})
    assert again.skipped and again.uploaded_bytes == 0
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_urls_public_domain_or_presigned_with_stated_expiry(s3_server, bucket, tmp_path):
    import urllib.request

    public = store_for(s3_server, bucket, settings={"r2_public_domain": "media.example.com"})
    assert public.url("projects/p/videos/a b.mp4") == (
        "https://media.example.com/projects/p/videos/a%20b.mp4", None)
    signed = store_for(s3_server, bucket, presign_expiry_s=3600)
    path = random_file(tmp_path / "x.mp4", 1000)
    result = signed.upload("projects/p/videos/x.mp4", path, sha256=sha(path),
                           content_type="video/mp4", metadata={})
    assert "X-Amz-Expires=3600" in result.url and result.url_expires_at
    with urllib.request.urlopen(result.url, timeout=10) as resp:
        assert resp.read() == path.read_bytes()
    assert SECRET_KEY not in result.url


@pytest.mark.parametrize(("fault", "error", "words"), [
    ("http:403:InvalidAccessKeyId", PublishAuthError, "refused the credentials"),
    ("http:403:SignatureDoesNotMatch", PublishAuthError, "R2_SECRET_ACCESS_KEY"),
    ("http:404:NoSuchBucket", PublishNotFound, "does not exist"),
    ("http:403:QuotaExceeded", PublishQuotaError, "quota"),
    ("http:507:StorageQuotaExceeded", PublishQuotaError, "quota"),
])
def test_store_errors_are_told_apart_without_secrets(s3_server, bucket, proxy_to, tmp_path,
                                                      fault, error, words):
    # HEAD answers carry no error body, so the codes are given to the writes.
    proxy = proxy_to(lambda method, target, i: None if method == "HEAD" else fault)
    store = store_for(proxy.url, bucket)
    path = random_file(tmp_path / "x.mp4", 1000)
    with pytest.raises(error, match=words) as info:
        store.upload("projects/p/videos/x.mp4", path, sha256=sha(path),
                     content_type="video/mp4", metadata={})
    assert SECRET_KEY not in str(info.value) and ACCESS_KEY_ID not in str(info.value)


def test_r2_settings_are_checked_before_any_request():
    from aladdin_studio.config import Settings
    from aladdin_studio.publish.errors import PublishError

    with pytest.raises(PublishAuthError, match="R2 is not configured"):
        R2Store(Settings(r2_account_id="abc123"))
    with pytest.raises(PublishError, match="R2_ACCOUNT_ID"):
        R2Store(Settings(r2_account_id="evil.example.com/x", r2_access_key_id=ACCESS_KEY_ID,
                         r2_secret_access_key=SECRET_KEY))
    store = R2Store(Settings(r2_account_id="0123abcd", r2_access_key_id=ACCESS_KEY_ID,
                             r2_secret_access_key=SECRET_KEY))
    assert store.endpoint == "https://0123abcd.r2.cloudflarestorage.com"
    assert store.describe() == "bucket 'aladdin-media' at 0123abcd.r2.cloudflarestorage.com"


def test_5xx_beyond_the_retries_is_a_retryable_unavailable_error(s3_server, bucket, proxy_to,
                                                                tmp_path):
    proxy = proxy_to(lambda method, target, i: "500")
    store = store_for(proxy.url, bucket, max_part_attempts=2)
    path = random_file(tmp_path / "x.mp4", 1000)
    with pytest.raises(PublishUnavailable) as info:
        store.upload("projects/p/videos/x.mp4", path, sha256=sha(path),
                     content_type="video/mp4", metadata={})
    assert info.value.retryable
    assert len(proxy.requests) >= 4  # botocore's own retries, then ours


def test_faults_mid_multipart_publish_completes_once_with_no_partial_object(
        s3_server, bucket, s3, proxy_to, tmp_path):
    """Connection reset mid-part, a stalled response and 500s (on a part and on complete):
    the object is complete and correct, never visible half-way, and no part is stored
    twice except the stalled one the client had to resend."""
    key = "projects/p/scenes/s/faulty.mp4"
    seen: dict[str, int] = {}

    def decide(method: str, target: str, index: int) -> str | None:
        if method == "PUT" and "partNumber=" in target:
            number = target.split("partNumber=")[1].split("&")[0]
            seen[number] = seen.get(number, 0) + 1
            first = seen[number] == 1
            return {"1": "500", "2": "reset", "3": "stall"}.get(number) if first else None
        if method == "POST" and "uploadId=" in target:
            seen["complete"] = seen.get("complete", 0) + 1
            return "500" if seen["complete"] == 1 else None
        return None

    proxy = proxy_to(decide, stall_s=4.0)
    store = store_for(proxy.url, bucket, read_timeout=2.0)
    big = random_file(tmp_path / "big.mp4", 17 * MB, seed=3)
    sizes: list[int] = []
    stop = threading.Event()

    def watch() -> None:  # a reader polling the final key all along
        while not stop.is_set():
            try:
                sizes.append(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
            except s3.exceptions.ClientError:
                sizes.append(-1)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = store.upload(key, big, sha256=sha(big), content_type="video/mp4",
                              metadata={})
    finally:
        stop.set()
        watcher.join()
    assert result.parts == 4 and not result.skipped
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha(big)
    assert set(sizes) <= {-1, big.stat().st_size} and -1 in sizes  # absent, then whole
    faults = [f for _, _, f in proxy.requests if f]
    assert sorted(faults) == ["500", "500", "reset", "stall"]
    forwarded = [t for m, t, f in proxy.requests if m == "PUT" and "partNumber=" in t
                 and f in (None, "stall")]
    per_part = {n: sum(f"partNumber={n}&" in t + "&" for t in forwarded) for n in "1234"}
    # Once each, the stalled one twice (a second send only if a loaded machine made a
    # plain request outlast the 2 s read timeout too).
    assert 2 <= per_part.pop("3") <= 3 and all(1 <= n <= 2 for n in per_part.values())
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]


def test_kill_9_during_a_multipart_publish_then_rerun_resumes(s3_server, bucket, s3, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    key = "projects/p/scenes/s/killed.mp4"
    big = random_file(tmp_path / "big.mp4", 31 * MB, seed=4)  # 7 parts of 5 MB
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "resume_proc.py"),
                             s3_server, bucket, key, str(big), sha(big)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stored: list = []
    deadline = time.monotonic() + 60
    while len(stored) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the publish stored no parts"
        uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        if uploads:
            stored = s3.list_parts(Bucket=bucket, Key=key,
                                   UploadId=uploads[0]["UploadId"]).get("Parts", [])
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with pytest.raises(s3.exceptions.ClientError):  # nothing under the final key
        s3.head_object(Bucket=bucket, Key=key)
    kept = len(s3.list_parts(Bucket=bucket, Key=key, UploadId=s3.list_multipart_uploads(
        Bucket=bucket)["Uploads"][0]["UploadId"])["Parts"])

    sent: list[int] = []
    store = store_for(s3_server, bucket, transfer=SMALL_PARTS, on_part=sent.append)
    result = store.upload(key, big, sha256=sha(big), content_type="video/mp4", metadata={})
    assert result.resumed_parts == kept == 3 and result.parts == 7  # the 4th was held
    assert sorted(sent) == list(range(kept + 1, 8))  # only the missing parts went out
    assert result.uploaded_bytes == big.stat().st_size - kept * 5 * MB
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha(big)
    assert s3.head_object(Bucket=bucket, Key=key)["Metadata"]["sha256"] == sha(big)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]


def test_an_unfinished_upload_of_other_content_is_dropped_not_reused(s3_server, bucket, s3,
                                                                    tmp_path):
    key = "projects/p/scenes/s/changed.mp4"
    old = random_file(tmp_path / "old.mp4", 11 * MB, seed=5)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1,
                   Body=old.read_bytes()[:5 * MB])
    new = random_file(tmp_path / "new.mp4", 11 * MB, seed=6)
    result = store_for(s3_server, bucket).upload(key, new, sha256=sha(new),
                                                 content_type="video/mp4", metadata={})
    assert result.resumed_parts == 0
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha(new)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
