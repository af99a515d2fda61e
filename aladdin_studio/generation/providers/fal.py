"""The FAL provider: video generation on FAL's queue through the official ``fal_client``.

``submit`` uploads the request's local files (once per content fingerprint), builds the
model's arguments and queues the request; ``status`` polls it with logs; ``fetch`` reads the
result and downloads the video with its own HTTPS client (the FAL key is never sent to the
result's host); ``cancel`` asks the queue to drop it. Only the request id ties the steps
together, so a new provider (a restarted worker) can re-attach to a stored request id.

fal_client retries 408/409/429, nginx 502-504 pages and transport errors by itself (up to
``fal_client.client.MAX_ATTEMPTS`` tries, exponential backoff from ``BASE_DELAY``); what
still fails is mapped to the :mod:`~aladdin_studio.generation.errors` kinds.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import fal_client
import httpx

from aladdin_studio.timeline.probe import content_fingerprint

from ..errors import (
    ContentPolicyError,
    GenerationCancelled,
    GenerationError,
    GenerationTimeout,
    InvalidInputError,
    ModelUnavailableError,
    ProviderAuthError,
    RateLimitError,
)
from .base import Output, Status

if TYPE_CHECKING:
    from aladdin_studio.config import Settings

    from ..registry import ModelEntry
    from ..request import GenerationRequest

__all__ = ["MAX_VIDEO_BYTES", "FalProvider", "progress_from_logs"]

log = logging.getLogger(__name__)

MAX_VIDEO_BYTES = 50 * 1024 * 1024  # design doc: maxVideoSizeMB = 50
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_CANCELLED_TYPES = ("cancelled", "canceled", "request_cancelled", "request_canceled")
_TIMEOUT_TYPES = ("request_timeout", "startup_timeout")
_T = TypeVar("_T")


def progress_from_logs(messages: list[str]) -> float | None:
    """The latest "NN%" in the log messages as 0..1 (e.g. "progress: 42%"), else None."""
    for message in reversed(messages):
        found = _PERCENT.findall(message)
        if found:
            return max(0.0, min(1.0, float(found[-1]) / 100.0))
    return None


class FalProvider:
    """:class:`~aladdin_studio.generation.providers.base.Provider` for FAL's queue API.

    ``download_timeout`` bounds the whole video download (s); ``max_download_bytes`` is the
    size limit for a result video; ``result_timeout`` is how long ``fetch`` waits for a
    request that has not completed yet; ``request_timeout`` is fal_client's HTTP timeout.
    """

    name = "fal"

    def __init__(
        self,
        key: str,
        *,
        client: fal_client.SyncClient | None = None,
        download_timeout: float = 300.0,
        max_download_bytes: int = MAX_VIDEO_BYTES,
        result_timeout: float = 180.0,
        poll_interval: float = 2.0,
        request_timeout: float = 30.0,
    ) -> None:
        if not key and client is None:
            raise ProviderAuthError(_NO_KEY)
        self._secret = key  # kept only to scrub it from messages
        self._client = client or fal_client.SyncClient(key=key, default_timeout=request_timeout)
        self.download_timeout = download_timeout
        self.max_download_bytes = max_download_bytes
        self.result_timeout = result_timeout
        self.poll_interval = poll_interval
        self._uploads: dict[str, str] = {}  # content fingerprint -> FAL file URL
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"<FalProvider uploads={len(self._uploads)}>"

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> FalProvider:
        """A provider with ``settings.fal_api_key`` (FAL_API_KEY or FAL_KEY), the video size
        limit and the generation timeout from the settings."""
        key = (settings.fal_api_key or "").strip()
        if not key:
            raise ProviderAuthError(_NO_KEY)
        kwargs.setdefault("max_download_bytes", settings.video_max_size_mb * 1024 * 1024)
        kwargs.setdefault("result_timeout", settings.video_generation_timeout_ms / 1000.0)
        return cls(key, **kwargs)

    def close(self) -> None:
        """Close the download client (fal_client's own client lives with the SyncClient)."""
        if self._http is not None:
            self._http.close()
            self._http = None

    # --- the Provider protocol ----------------------------------------------------------

    def submit(self, request: GenerationRequest, model: ModelEntry) -> str:
        """Upload the file inputs, queue the request on ``model.endpoint``; the request id."""
        endpoint = self._endpoint(model)
        clean = request.sanitized()
        uploaded = {name: self._upload(Path(path)) for name, path in clean.file_inputs().items()}
        arguments = model.build_arguments(clean, uploaded)
        handle = self._call(f"submitting to {endpoint}", endpoint,
                            lambda: self._client.submit(endpoint, arguments))
        log.info("FAL request %s queued on %s", handle.request_id, endpoint)
        return handle.request_id

    def status(self, request_id: str, model: ModelEntry) -> Status:
        """Queue position, logs and (when the logs tell) progress of a request."""
        endpoint = self._endpoint(model)
        st = self._call("checking the request status", endpoint,
                        lambda: self._client.status(endpoint, request_id, with_logs=True))
        if isinstance(st, fal_client.Queued):
            return Status("IN_QUEUE", queue_position=st.position)
        logs = _log_messages(getattr(st, "logs", None))
        if isinstance(st, fal_client.Completed):
            return Status("COMPLETED", progress=1.0, logs=logs)
        return Status("IN_PROGRESS", progress=progress_from_logs(logs), logs=logs)

    def fetch(self, request_id: str, model: ModelEntry, request: GenerationRequest,
              dest_dir: Path) -> Output:
        """Wait for completion (up to ``result_timeout``), read the result and download the
        video to ``dest_dir/<method>-<id8>.mp4`` (atomically, at most ``max_download_bytes``)."""
        endpoint = self._endpoint(model)
        started = time.monotonic()
        done = self._wait_completed(request_id, endpoint)
        if request_id in self._cancelled or (done.error_type or "") in _CANCELLED_TYPES:
            raise GenerationCancelled(f"FAL request {request_id[:8]} was cancelled")
        result = self._call("fetching the result", endpoint,
                            lambda: self._client.result(endpoint, request_id))
        waited = time.monotonic() - started
        if done.error:  # failed, yet the result call did not say how
            raise ModelUnavailableError(
                f"FAL request {request_id[:8]} failed: {self._scrub(done.error)}")
        video = result.get("video") if isinstance(result, Mapping) else None
        url = video.get("url") if isinstance(video, Mapping) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            shape = sorted(result) if isinstance(result, Mapping) else type(result).__name__
            raise ModelUnavailableError(
                f"FAL returned no video URL for request {request_id[:8]} (result: {shape})")
        dest_dir = Path(dest_dir)
        method = re.sub(r"[^A-Za-z0-9_-]+", "-", str(request.method)).strip("-") or "video"
        target = dest_dir / f"{method}-{request_id[:8]}.mp4"
        t0 = time.monotonic()
        size, content_type = self._download(url, target)
        seed = result.get("seed")
        info: dict[str, Any] = {
            "video_url": url,
            "content_type": content_type or video.get("content_type"),
            "bytes": size,
            "file_name": video.get("file_name"),
            "timings": {
                "wait_s": round(waited, 3),
                "download_s": round(time.monotonic() - t0, 3),
                "fal": result.get("timings"),
                "metrics": done.metrics or {},
            },
        }
        log.info("FAL request %s: %d bytes downloaded to %s", request_id, size, target.name)
        return Output(
            path=target, request_id=request_id, model=model.id, endpoint=endpoint,
            seed=seed if isinstance(seed, int) else getattr(request, "seed", None), info=info,
        )

    def cancel(self, request_id: str, model: ModelEntry) -> None:
        """Ask FAL to drop the request; already finished or unknown requests are no-ops."""
        endpoint = self._endpoint(model)
        try:
            self._client.cancel(endpoint, request_id)
        except fal_client.FalClientHTTPError as exc:
            if exc.status_code in (400, 404):  # ALREADY_COMPLETED / NOT_FOUND
                log.info("FAL request %s: nothing to cancel (HTTP %d)", request_id,
                         exc.status_code)
                return
            raise self._map_http(exc.status_code, exc.response, "cancelling", endpoint) from exc
        except httpx.HTTPError as exc:
            raise self._map_transport(exc, "cancelling") from exc
        with self._lock:
            self._cancelled.add(request_id)
        log.info("FAL request %s: cancellation requested", request_id)

    # --- helpers ------------------------------------------------------------------------

    def _endpoint(self, model: ModelEntry) -> str:
        if model.provider != "fal" or not model.hosted or not model.endpoint:
            raise ModelUnavailableError(f"model {model.id} is not hosted on FAL")
        return model.endpoint

    def _upload(self, path: Path) -> str:
        if not path.is_file():
            raise InvalidInputError(f"input file not found: {path.name}")
        fingerprint = content_fingerprint(path)
        with self._lock:
            cached = self._uploads.get(fingerprint)
        if cached is not None:
            return cached
        url = self._call(f"uploading {path.name}", None,
                         lambda: self._client.upload_file(path))
        with self._lock:
            self._uploads[fingerprint] = url
        log.info("uploaded %s to FAL storage", path.name)
        return url

    def _wait_completed(self, request_id: str, endpoint: str) -> fal_client.Completed:
        deadline = time.monotonic() + self.result_timeout
        while True:
            st = self._call("checking the request status", endpoint,
                            lambda: self._client.status(endpoint, request_id))
            if isinstance(st, fal_client.Completed):
                return st
            left = deadline - time.monotonic()
            if left <= 0:
                raise GenerationTimeout(
                    f"FAL request {request_id[:8]} did not finish within "
                    f"{self.result_timeout:g} s")
            time.sleep(min(self.poll_interval, left))

    def _download(self, url: str, target: Path) -> tuple[int, str]:
        """Stream ``url`` into a temp file next to ``target``, then rename it into place."""
        target.parent.mkdir(parents=True, exist_ok=True)
        limit = self.max_download_bytes
        deadline = time.monotonic() + self.download_timeout
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".part",
                                        dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh, self._downloader().stream("GET", url) as resp:
                if resp.status_code >= 400:
                    raise self._download_error(resp.status_code)
                content_type = resp.headers.get("content-type", "").split(";")[0].strip()
                if content_type.startswith("text/") or content_type.endswith("json"):
                    raise ModelUnavailableError(
                        f"FAL served {content_type} instead of a video")
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > limit:
                    raise _too_large(int(declared), limit)
                size = 0
                for chunk in resp.iter_bytes(1024 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(size, limit, streamed=True)
                    if time.monotonic() > deadline:
                        raise GenerationTimeout(
                            f"downloading the video took longer than {self.download_timeout:g} s")
                    fh.write(chunk)
            if size == 0:
                raise ModelUnavailableError("FAL served an empty video file")
            os.replace(tmp, target)
            return size, content_type
        except httpx.HTTPError as exc:
            raise self._map_transport(exc, "downloading the video") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _downloader(self) -> httpx.Client:
        # A separate client: the FAL key must never travel to the result's host.
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    timeout=httpx.Timeout(min(60.0, self.download_timeout)),
                    follow_redirects=True,
                    headers={"User-Agent": "aladdin-studio"},
                )
            return self._http

    def _download_error(self, status: int) -> GenerationError:
        if status in (404, 410):
            return ModelUnavailableError(f"the result video is gone from FAL's CDN (HTTP {status})")
        if status == 429:
            return RateLimitError("FAL's CDN is rate limiting downloads (HTTP 429)")
        return ModelUnavailableError(f"downloading the result video failed (HTTP {status})")

    def _call(self, what: str, endpoint: str | None, fn: Callable[[], _T]) -> _T:
        """Run a fal_client call; map its failures to GenerationError kinds."""
        try:
            return fn()
        except fal_client.FalClientHTTPError as exc:
            raise self._map_http(exc.status_code, exc.response, what, endpoint) from exc
        except httpx.HTTPStatusError as exc:  # the CDN token request raises these
            raise self._map_http(exc.response.status_code, exc.response, what,
                                 endpoint) from exc
        except httpx.HTTPError as exc:
            raise self._map_transport(exc, what) from exc
        except fal_client.FalClientTimeoutError as exc:
            raise GenerationTimeout(f"FAL timed out while {what}") from exc
        except (KeyError, ValueError, TypeError) as exc:  # an answer not in FAL's shape
            raise ModelUnavailableError(
                f"unexpected answer from FAL while {what}: {type(exc).__name__}") from exc

    def _map_http(self, status: int, response: httpx.Response | None, what: str,
                  endpoint: str | None) -> GenerationError:
        body = _json_body(response)
        headers = response.headers if response is not None else httpx.Headers()
        detail = body.get("detail") if isinstance(body, dict) else body
        error_type = (body.get("error_type") if isinstance(body, dict) else None) \
            or headers.get("x-fal-error-type")
        items = [d for d in detail if isinstance(d, dict)] if isinstance(detail, list) else []
        text = self._scrub(_describe(detail, items))
        if status in (401, 403):
            return ProviderAuthError(
                f"FAL rejected the API key (HTTP {status} while {what}); check FAL_API_KEY")
        policy = [i for i in items if i.get("type") == "content_policy_violation"]
        if policy or error_type == "content_policy_violation":
            return ContentPolicyError(
                f"FAL refused the request on content-policy grounds: "
                f"{self._scrub(_describe(detail, policy or items))}")
        if status in (400, 422):
            return InvalidInputError(f"FAL rejected the input: {text}")
        if status == 429:
            return RateLimitError(f"FAL rate limit reached while {what}",
                                  retry_after=_retry_after(headers.get("retry-after")))
        if status == 404:
            where = f" {endpoint}" if endpoint else ""
            return ModelUnavailableError(f"FAL does not serve{where} (HTTP 404: {text})")
        if status == 408 or error_type in _TIMEOUT_TYPES:
            return GenerationTimeout(f"FAL timed out while {what} (HTTP {status}: {text})")
        if status >= 500:
            return ModelUnavailableError(f"FAL failed while {what} (HTTP {status}: {text})")
        return GenerationError(f"FAL error while {what} (HTTP {status}: {text})")

    def _map_transport(self, exc: httpx.HTTPError, what: str) -> GenerationError:
        if isinstance(exc, httpx.TimeoutException):
            return GenerationTimeout(f"FAL did not answer in time while {what}")
        return ModelUnavailableError(f"cannot reach FAL while {what} ({type(exc).__name__})")

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text


_NO_KEY = "no FAL API key is configured: set FAL_API_KEY (or FAL_KEY) or save it in settings"


def _too_large(size: int, limit: int, *, streamed: bool = False) -> InvalidInputError:
    got = f"more than {limit / 1e6:.1f}" if streamed else f"{size / 1e6:.1f}"
    return InvalidInputError(
        f"the generated video is too large ({got} MB; the limit is {limit / 1e6:.1f} MB): "
        "choose a shorter duration or a lower quality")


def _json_body(response: httpx.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except (ValueError, httpx.ResponseNotRead):
        try:
            return response.text[:500]
        except httpx.ResponseNotRead:
            return None


def _describe(detail: Any, items: list[dict[str, Any]]) -> str:
    """"msg (at loc)" for FAL's 422 detail items, else the detail text (shortened)."""
    if items:
        parts = []
        for item in items:
            loc = [str(p) for p in item.get("loc") or () if p != "body"]
            msg = str(item.get("msg") or item.get("type") or "invalid")
            parts.append(f"{msg} (at {'.'.join(loc)})" if loc else msg)
        text = "; ".join(parts)
    else:
        text = str(detail) if detail not in (None, "") else "no details"
    return text if len(text) <= 300 else text[:297] + "..."


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _log_messages(logs: Any) -> list[str]:
    out: list[str] = []
    for entry in logs or ():
        if isinstance(entry, Mapping):
            message = entry.get("message")
            if message is not None:
                out.append(str(message))
        elif entry is not None:
            out.append(str(entry))
    return out
