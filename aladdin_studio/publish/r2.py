"""Cloudflare R2 through the real ``boto3`` S3 client.

Endpoint ``https://{R2_ACCOUNT_ID}.r2.cloudflarestorage.com`` (or ``R2_ENDPOINT_URL``), region
``auto``, bucket ``R2_BUCKET_NAME``. Uploads:

* unchanged content is not sent again: an object under the key whose ``sha256`` metadata is
  the file's hash is kept as it is (idempotent by content hash);
* small files: one ``PutObject`` with ``Content-MD5``; large ones (``TransferConfig``
  threshold and chunk size, ``max_concurrency`` parts in flight): a multipart upload, each
  part with ``Content-MD5`` and its returned ETag checked. An S3 object appears only when
  the upload completes, so no partial object is ever readable under its final key;
* resume: an interrupted upload of the key is found with ``ListMultipartUploads``, its parts
  are listed and each kept only if its ETag is the MD5 of our bytes for that range, so a
  killed publish continues where it stopped and nothing is uploaded twice;
* end to end: SHA-256 of the file goes in the metadata (and the manifest); after upload the
  store's own report (``HeadObject``: size, the composite multipart ETag built from the
  MD5s of the bytes it received, the sha256 metadata) is compared with ours;
* each request retries 5xx, throttling, timeouts and resets (botocore standard mode, then our
  backoff per part); bad credentials, a missing bucket and quota errors are told apart.

``request_checksum_calculation="when_required"`` is what Cloudflare asks of boto3 ≥ 1.36.
Secrets (access key id, secret key) are registered with the log redaction and scrubbed from
every message this module builds.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from .errors import (
    PublishAuthError,
    PublishCancelled,
    PublishError,
    PublishIntegrityError,
    PublishNotFound,
    PublishQuotaError,
    PublishUnavailable,
)
from .keys import validate_key
from .store import Progress, StoredObject, UploadResult, trim_metadata

__all__ = ["DEFAULT_PRESIGN_S", "R2Store", "default_transfer_config", "expected_etag",
           "r2_configured"]

log = logging.getLogger(__name__)

DEFAULT_PRESIGN_S = 7 * 24 * 3600  # the longest a SigV4 presigned URL may live
MB = 1024 * 1024
_AUTH = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken",
         "ExpiredToken", "AuthorizationHeaderMalformed", "Unauthorized", "InvalidSignature"}
_QUOTA = {"QuotaExceeded", "StorageQuotaExceeded", "TooManyBuckets", "EntityTooLarge",
          "ServiceQuotaExceeded"}
_RETRY_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout",
                "RequestTimeTooSkewed", "Throttling", "ThrottlingException", "BadDigest",
                "IncompleteBody"}


def r2_configured(settings: Any) -> bool:
    return bool((settings.r2_endpoint_url or settings.r2_account_id)
                and settings.r2_access_key_id and settings.r2_secret_access_key)


def default_transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=16 * MB, multipart_chunksize=16 * MB,
                          max_concurrency=8)


def expected_etag(part_md5s: list[str]) -> str:
    """The S3 ETag of a multipart object: MD5 of the parts' MD5s, dash, part count."""
    joined = b"".join(bytes.fromhex(m) for m in part_md5s)
    return f"{hashlib.md5(joined).hexdigest()}-{len(part_md5s)}"


class R2Store:
    name = "r2"

    def __init__(self, settings: Any, *, transfer: Any = None,
                 presign_expiry_s: int = DEFAULT_PRESIGN_S, max_part_attempts: int = 5,
                 backoff_base: float = 0.5, read_timeout: float = 30.0,
                 on_part: Callable[[int], None] | None = None) -> None:
        import boto3
        from botocore.config import Config

        from .. import logs

        if not r2_configured(settings):
            raise PublishAuthError(
                "R2 is not configured: set R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (env or "
                "keyring) and R2_ACCOUNT_ID or R2_ENDPOINT_URL.")
        self._secrets = [s for s in (settings.r2_access_key_id, settings.r2_secret_access_key)
                         if s]
        for secret in self._secrets:
            logs.add_secret(secret)
        account = (settings.r2_account_id or "").strip()
        if not settings.r2_endpoint_url and not re.fullmatch(r"[A-Za-z0-9-]{1,63}", account):
            raise PublishError("R2_ACCOUNT_ID must be the account id from the Cloudflare "
                               "dashboard (letters, digits and '-').")
        self.endpoint = (settings.r2_endpoint_url.rstrip("/") if settings.r2_endpoint_url else
                         f"https://{account}.r2.cloudflarestorage.com")
        self.bucket = settings.r2_bucket_name
        self.public_domain = (settings.r2_public_domain or "").strip().rstrip("/")
        self.presign_expiry_s = int(presign_expiry_s)
        self.transfer = transfer or default_transfer_config()
        self.max_part_attempts = max_part_attempts
        self.backoff_base = backoff_base
        self.on_part = on_part  # tests: called with each part number sent
        config = Config(
            region_name="auto", signature_version="s3v4",
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=10, read_timeout=read_timeout,
            s3={"addressing_style": "path"},
            max_pool_connections=max(10, int(self.transfer.max_concurrency) + 2),
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            user_agent_extra="aladdin-studio")
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="auto",
            aws_access_key_id=settings.r2_access_key_id,
            aws_secret_access_key=settings.r2_secret_access_key, config=config)

    # ------------------------------------------------------------------ plumbing

    def describe(self) -> str:
        return f"bucket '{self.bucket}' at {urlsplit(self.endpoint).netloc}"

    def close(self) -> None:
        self.client.close()

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _error(self, exc: Exception, what: str) -> PublishError:
        """The user-facing error for a boto3/botocore failure of ``what``."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        where = self.describe()
        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            code = str(err.get("Code") or "")
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in _QUOTA or status == 507:
                return PublishQuotaError(self._scrub(
                    f"R2 refused {what}: storage quota or size limit reached ({code})."))
            if code in _AUTH or status in (401, 403):
                return PublishAuthError(self._scrub(
                    f"R2 refused the credentials while {what} ({code or status}): check "
                    "R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY."))
            if code == "NoSuchBucket":
                return PublishNotFound(self._scrub(
                    f"The bucket '{self.bucket}' does not exist at "
                    f"{urlsplit(self.endpoint).netloc} (R2_BUCKET_NAME)."))
            if code in _RETRY_CODES or status >= 500 or status == 429:
                return PublishUnavailable(self._scrub(
                    f"R2 failed while {what} ({code or status}); try again later."))
            message = str(err.get("Message") or code or status)
            return PublishError(self._scrub(f"R2 refused {what}: {message} ({code})."))
        if isinstance(exc, NoCredentialsError):
            return PublishAuthError("No R2 credentials: set R2_ACCESS_KEY_ID and "
                                    "R2_SECRET_ACCESS_KEY.")
        if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
            return PublishUnavailable(f"Cannot reach {where} while {what}.")
        if isinstance(exc, ReadTimeoutError | ConnectionClosedError | BotoCoreError | OSError):
            return PublishUnavailable(self._scrub(
                f"The connection to {where} failed while {what} ({type(exc).__name__})."))
        return PublishError(self._scrub(f"Publishing failed while {what}: "
                                        f"{type(exc).__name__}."))

    def _call(self, what: str, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """One S3 call, retried with backoff on errors that may pass."""
        for attempt in range(1, self.max_part_attempts + 1):
            try:
                return fn(**kwargs)
            except Exception as exc:  # noqa: BLE001 - classified below
                error = self._error(exc, what)
                if not error.retryable or attempt == self.max_part_attempts:
                    raise error from None
                delay = self.backoff_base * 2 ** (attempt - 1)
                log.info("r2: %s failed (%s), retry %d in %.1f s", what, type(exc).__name__,
                         attempt, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ reading

    def head(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        validate_key(key)
        try:
            resp = self._call(f"checking {key}", self.client.head_object, Bucket=self.bucket,
                              Key=key)
        except PublishError as exc:
            cause = exc.__context__
            if isinstance(cause, ClientError) and cause.response.get("Error", {}).get(
                    "Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        meta = {k.lower(): v for k, v in (resp.get("Metadata") or {}).items()}
        return StoredObject(key, int(resp["ContentLength"]), meta.get("sha256"),
                            str(resp.get("ETag", "")).strip('"'), meta)

    def url(self, key: str) -> tuple[str, str | None]:
        validate_key(key)
        if self.public_domain:
            base = self.public_domain if "://" in self.public_domain else \
                f"https://{self.public_domain}"
            return f"{base}/{quote(key)}", None
        url = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=self.presign_expiry_s)
        expires = _dt.datetime.now(_dt.UTC) + _dt.timedelta(seconds=self.presign_expiry_s)
        return url, expires.isoformat(timespec="seconds")

    # ------------------------------------------------------------------ writing

    def put_bytes(self, key: str, data: bytes, *, content_type: str,
                  metadata: dict[str, Any]) -> UploadResult:
        sha = hashlib.sha256(data).hexdigest()
        kept, dropped = trim_metadata({**metadata, "sha256": sha})
        md5 = hashlib.md5(data)
        resp = self._call(f"uploading {key}", self.client.put_object, Bucket=self.bucket,
                          Key=validate_key(key), Body=data, ContentType=content_type,
                          Metadata=kept, ContentMD5=base64.b64encode(md5.digest()).decode())
        etag = str(resp.get("ETag", "")).strip('"')
        if etag and etag != md5.hexdigest():
            raise PublishIntegrityError(f"R2 stored different bytes for {key}.")
        url, expires = self.url(key)
        return UploadResult(key, len(data), sha, url, etag, uploaded_bytes=len(data),
                            url_expires_at=expires, metadata_dropped=dropped)

    def upload(self, key: str, path: Path, *, sha256: str, content_type: str,
               metadata: dict[str, Any], progress: Progress | None = None,
               cancel: threading.Event | None = None) -> UploadResult:
        validate_key(key)
        size = path.stat().st_size
        kept, dropped = trim_metadata({**metadata, "sha256": sha256})
        existing = self.head(key)
        if existing is not None and existing.sha256 == sha256 and existing.size == size:
            if progress:
                progress(size, size)
            url, expires = self.url(key)
            return UploadResult(key, size, sha256, url, existing.etag, skipped=True,
                                parts=0, url_expires_at=expires, metadata_dropped=dropped)
        if size < int(self.transfer.multipart_threshold):
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != sha256:
                raise PublishIntegrityError(f"{path.name} changed while it was published.")
            result = self.put_bytes(key, data, content_type=content_type, metadata=metadata)
            if progress:
                progress(size, size)
            return result
        return self._multipart(key, path, size, sha256, content_type, kept, dropped,
                               progress, cancel)

    def _part_ranges(self, size: int, chunk: int) -> list[tuple[int, int, int]]:
        count = max(1, -(-size // chunk))
        return [(n + 1, n * chunk, min(chunk, size - n * chunk)) for n in range(count)]

    def _find_upload(self, key: str, fd: int, size: int, chunk: int
                     ) -> tuple[str | None, dict[int, str]]:
        """An interrupted upload of ``key`` to continue and its parts that hold our bytes
        ({part number: md5}); uploads of other content for the key are aborted."""
        resp = self._call(f"listing unfinished uploads of {key}",
                          self.client.list_multipart_uploads, Bucket=self.bucket, Prefix=key)
        uploads = sorted((u for u in resp.get("Uploads", []) if u.get("Key") == key),
                         key=lambda u: u.get("Initiated") or 0, reverse=True)
        chosen: tuple[str | None, dict[int, str]] = (None, {})
        for upload in uploads:
            upload_id = upload["UploadId"]
            good: dict[int, str] = {}
            foreign = False
            marker = 0
            while True:
                page = self._call(f"listing the parts of {key}", self.client.list_parts,
                                  Bucket=self.bucket, Key=key, UploadId=upload_id,
                                  PartNumberMarker=marker)
                for part in page.get("Parts", []):
                    number, psize = int(part["PartNumber"]), int(part["Size"])
                    start = (number - 1) * chunk
                    if psize != min(chunk, size - start) or start >= size:
                        foreign = True
                        continue
                    md5 = hashlib.md5(os.pread(fd, psize, start)).hexdigest()
                    if md5 == str(part["ETag"]).strip('"'):
                        good[number] = md5
                    else:
                        foreign = True
                if not page.get("IsTruncated"):
                    break
                marker = int(page.get("NextPartNumberMarker") or 0)
            if chosen[0] is None and good and not foreign:
                chosen = (upload_id, good)
            else:
                self._abort(key, upload_id)
        return chosen

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self._call(f"dropping an old upload of {key}", self.client.abort_multipart_upload,
                       Bucket=self.bucket, Key=key, UploadId=upload_id)
        except PublishError as exc:
            log.warning("r2: could not abort upload of %s: %s", key, exc)

    def _multipart(self, key: str, path: Path, size: int, sha256: str, content_type: str,
                   metadata: dict[str, str], dropped: list[str], progress: Progress | None,
                   cancel: threading.Event | None) -> UploadResult:
        chunk = max(5 * MB, int(self.transfer.multipart_chunksize))
        ranges = self._part_ranges(size, chunk)
        fd = os.open(path, os.O_RDONLY)
        before = os.fstat(fd)
        try:
            upload_id, kept_parts = self._find_upload(key, fd, size, chunk)
            if upload_id is None:
                resp = self._call(f"starting the upload of {key}",
                                  self.client.create_multipart_upload, Bucket=self.bucket,
                                  Key=key, ContentType=content_type, Metadata=metadata)
                upload_id = resp["UploadId"]
            else:
                log.info("r2: resuming the upload of %s with %d of %d parts already stored",
                         key, len(kept_parts), len(ranges))
            md5s: dict[int, str] = dict(kept_parts)
            done = [sum(length for n, _, length in ranges if n in kept_parts)]
            lock = threading.Lock()
            if progress:
                progress(done[0], size)

            def send(number: int, start: int, length: int) -> None:
                if cancel is not None and cancel.is_set():
                    raise PublishCancelled("Publishing was cancelled; publish again to resume.")
                data = os.pread(fd, length, start)
                digest = hashlib.md5(data)
                if self.on_part:
                    self.on_part(number)
                resp = self._call(f"uploading part {number} of {key}", self.client.upload_part,
                                  Bucket=self.bucket, Key=key, UploadId=upload_id,
                                  PartNumber=number, Body=data,
                                  ContentMD5=base64.b64encode(digest.digest()).decode())
                if str(resp.get("ETag", "")).strip('"') != digest.hexdigest():
                    raise PublishIntegrityError(f"R2 stored different bytes for part {number} "
                                                f"of {key}.")
                with lock:
                    md5s[number] = digest.hexdigest()
                    done[0] += length
                    if progress:
                        progress(done[0], size)

            todo = [r for r in ranges if r[0] not in kept_parts]
            workers = max(1, int(self.transfer.max_concurrency))
            with ThreadPoolExecutor(workers, thread_name_prefix="r2-part") as pool:
                futures = [pool.submit(send, *r) for r in todo]
                finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
                failed = next((f for f in finished if f.exception() is not None), None)
                if failed is not None:
                    for f in futures:
                        f.cancel()
                    raise failed.exception()  # the upload stays, a rerun resumes it
            # A file that changed while it was sent must not be completed under its hash.
            after = os.stat(path)
            if (after.st_mtime_ns, after.st_size, after.st_ino) != (
                    before.st_mtime_ns, before.st_size, before.st_ino):
                self._abort(key, upload_id)
                raise PublishIntegrityError(f"{path.name} changed while it was published.")
            parts = [{"PartNumber": n, "ETag": f'"{md5s[n]}"'} for n, _, _ in ranges]
            resp = self._call(f"completing the upload of {key}",
                              self.client.complete_multipart_upload, Bucket=self.bucket,
                              Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
        finally:
            os.close(fd)
        expected = expected_etag([md5s[n] for n, _, _ in ranges])
        stored = self.head(key)
        if stored is None or stored.size != size:
            raise PublishIntegrityError(f"R2 does not report {key} with {size} bytes after "
                                        "the upload.")
        if "-" in (stored.etag or "") and stored.etag != expected:
            raise PublishIntegrityError(f"R2 holds other bytes for {key} (ETag {stored.etag}, "
                                        f"expected {expected}).")
        if stored.sha256 != sha256:  # an upload resumed from a run with other metadata
            self._call(f"fixing the metadata of {key}", self.client.copy_object,
                       Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket,
                                                                "Key": key},
                       MetadataDirective="REPLACE", ContentType=content_type,
                       Metadata=metadata)
        url, expires = self.url(key)
        return UploadResult(key, size, sha256, url, stored.etag,
                            uploaded_bytes=sum(length for n, _, length in ranges
                                               if n not in kept_parts),
                            resumed_parts=len(kept_parts), parts=len(ranges),
                            url_expires_at=expires, metadata_dropped=dropped)

