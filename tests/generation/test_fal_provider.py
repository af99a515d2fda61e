"""FalProvider through the real fal_client against the local FAL emulator (no network)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import av
import fal_client.client as fc
import pytest
from fal_emulator import (
    CONTENT_POLICY_MSG,
    DEFAULT_KEY,
    FalEmulator,
    completes,
    content_policy,
    never_completes,
    progress,
    rate_limit,
    server_error,
    stall,
    tiny_mp4,
    validation_error,
)
from PIL import Image

from aladdin_studio.config import Settings
from aladdin_studio.generation.errors import (
    ContentPolicyError,
    GenerationCancelled,
    GenerationTimeout,
    InvalidInputError,
    ModelUnavailableError,
    ProviderAuthError,
    RateLimitError,
)
from aladdin_studio.generation.providers.fal import FalProvider, progress_from_logs
from aladdin_studio.generation.registry import ModelEntry
from aladdin_studio.generation.request import GenerationRequest


def _model(mid: str, method: str, endpoint: str, inputs: dict[str, str],
           required: tuple[str, ...] = ("prompt",)) -> ModelEntry:
    return ModelEntry(
        id=mid, method=method, tier="standard", provider="fal", endpoint=endpoint, hosted=True,
        inputs=inputs, constants={"resolution": "720p"}, duration_format="string",
        durations=("5",), price_per_second=0.05, required=required,
    )


MODELS = {
    "text-to-video": _model(
        "minimax-t2v", "text-to-video", "fal-ai/minimax/video-01",
        {"prompt": "prompt", "seed": "seed"},
    ),
    "image-to-video": _model(
        "kling-i2v", "image-to-video", "fal-ai/kling-video/v2.1/standard/image-to-video",
        {"prompt": "prompt", "image": "image_url", "duration": "duration"},
        ("prompt", "image"),
    ),
    "first-last-frame": _model(
        "kling-flf", "first-last-frame", "fal-ai/kling-video/v1.6/pro/image-to-video",
        {"prompt": "prompt", "first_frame": "image_url", "last_frame": "tail_image_url"},
        ("prompt", "first_frame", "last_frame"),
    ),
    "composite-to-video": _model(
        "luma-composite", "composite-to-video", "fal-ai/luma-dream-machine/ray-2/modify",
        {"prompt": "prompt", "image": "image_url", "video": "video_url"},
        ("prompt", "image"),
    ),
}
T2V = MODELS["text-to-video"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    out = {}
    for name, color in (("image", (200, 40, 40)), ("first", (40, 200, 40)),
                        ("last", (40, 40, 200))):
        out[name] = folder / f"{name}.png"
        Image.new("RGB", (320, 320), color).save(out[name])
    out["same"] = folder / "same.png"
    out["same"].write_bytes(out["first"].read_bytes())
    out["video"] = folder / "source.mp4"
    out["video"].write_bytes(tiny_mp4())
    return out


def make_request(method: str, inputs: dict[str, Path], **kw: object) -> GenerationRequest:
    files = {
        "text-to-video": {},
        "image-to-video": {"image": inputs["image"]},
        "first-last-frame": {"first_frame": inputs["first"], "last_frame": inputs["last"]},
        "composite-to-video": {"image": inputs["image"], "video": inputs["video"]},
    }[method]
    return GenerationRequest(method=method, prompt="A lighthouse at dusk", **files, **kw)


@pytest.fixture
def provider(fal_emulator: FalEmulator) -> Iterator[FalProvider]:
    p = FalProvider(DEFAULT_KEY, poll_interval=0.01, result_timeout=5.0, download_timeout=10.0)
    yield p
    p.close()


def frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


# --- the four methods ---------------------------------------------------------------------


def test_text_to_video_round_trip(fal_emulator: FalEmulator, provider: FalProvider,
                                  inputs: dict[str, Path], tmp_path: Path,
                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    request = make_request("text-to-video", inputs, seed=7)
    rid = provider.submit(request, T2V)

    (submit,) = fal_emulator.submits()
    assert submit.request_id == rid
    assert submit.path == "/fal-ai/minimax/video-01"
    assert submit.json() == {"resolution": "720p", "prompt": "A lighthouse at dusk.", "seed": 7}
    assert not fal_emulator.uploads

    status = provider.status(rid, T2V)
    assert status.state == "COMPLETED" and status.progress == 1.0

    out = provider.fetch(rid, T2V, request, tmp_path)
    assert out.path == tmp_path / f"text-to-video-{rid[:8]}.mp4"
    assert frames(out.path) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.path.name]  # no temp files
    assert (out.request_id, out.model, out.endpoint, out.seed) == (
        rid, "minimax-t2v", "fal-ai/minimax/video-01", 7)
    assert out.info["video_url"].endswith(f"/results/{rid}/output.mp4")
    assert out.info["content_type"] == "video/mp4"
    assert out.info["bytes"] == out.path.stat().st_size
    assert {"wait_s", "download_s", "fal", "metrics"} <= set(out.info["timings"])

    queue_calls = [r for r in fal_emulator.requests if r.route != "download"]
    assert queue_calls and all(r.auth == "key" for r in queue_calls)
    assert {r.request_id for r in queue_calls} == {rid}
    # results come from the CDN: the key is not sent there
    (download,) = fal_emulator.calls("download")
    assert download.auth == "none" and "authorization" not in download.headers
    assert DEFAULT_KEY not in caplog.text


@pytest.mark.parametrize("method", ["image-to-video", "first-last-frame", "composite-to-video"])
def test_file_inputs_are_uploaded_and_passed_by_url(
    method: str, fal_emulator: FalEmulator, provider: FalProvider, inputs: dict[str, Path],
    tmp_path: Path,
) -> None:
    model = MODELS[method]
    request = make_request(method, inputs)
    rid = provider.submit(request, model)

    files = request.file_inputs()
    uploads = {u.name: u for u in fal_emulator.uploads}
    assert sorted(uploads) == sorted(p.name for p in files.values())
    body = fal_emulator.submits()[0].json()
    for field_name, path in files.items():
        upload = uploads[path.name]
        assert upload.data == path.read_bytes()
        assert upload.via == "cdn"
        assert body[model.inputs[field_name]] == upload.url
    if method == "composite-to-video":
        assert uploads["source.mp4"].content_type == "video/mp4"
    assert {r.auth for r in fal_emulator.calls("cdn_token")} == {"key"}
    assert {r.auth for r in fal_emulator.calls("cdn_upload")} == {"cdn-token"}

    out = provider.fetch(rid, model, request, tmp_path)
    assert out.path.name == f"{method}-{rid[:8]}.mp4" and frames(out.path) > 0


def test_uploads_are_cached_by_content(fal_emulator: FalEmulator, provider: FalProvider,
                                       inputs: dict[str, Path]) -> None:
    model = MODELS["first-last-frame"]
    same = GenerationRequest(method="first-last-frame", prompt="Dawn",
                             first_frame=inputs["first"], last_frame=inputs["same"])
    provider.submit(same, model)
    provider.submit(same, model)
    assert len(fal_emulator.uploads) == 1  # same content, one upload, across submits
    body = fal_emulator.submits()[1].json()
    assert body["image_url"] == body["tail_image_url"] == fal_emulator.uploads[0].url

    FalProvider(DEFAULT_KEY).submit(same, model)  # the cache belongs to the instance
    assert len(fal_emulator.uploads) == 2


def test_upload_falls_back_to_signed_url_storage(fal_emulator: FalEmulator,
                                                 provider: FalProvider,
                                                 inputs: dict[str, Path]) -> None:
    fal_emulator.script_storage([server_error(500, on="cdn_upload")])
    model = MODELS["image-to-video"]
    provider.submit(make_request("image-to-video", inputs), model)
    (upload,) = fal_emulator.uploads
    assert upload.via == "storage" and upload.data == inputs["image"].read_bytes()
    assert fal_emulator.submits()[0].json()["image_url"] == upload.url


# --- status -------------------------------------------------------------------------------


def test_status_reports_queue_positions_then_logs_and_progress(
    fal_emulator: FalEmulator, provider: FalProvider, inputs: dict[str, Path], tmp_path: Path,
) -> None:
    fal_emulator.script(T2V.endpoint, [progress(
        queue=(3, 2, 1), queue_seconds=30,
        logs=("loading model", "progress: 42%", "step 40/50 - progress: 80%"), run_seconds=30,
    )])
    request = make_request("text-to-video", inputs)
    rid = provider.submit(request, T2V)
    seen = []
    for step in (0, 10, 10, 10, 10, 10, 10):
        fal_emulator.advance(step)
        st = provider.status(rid, T2V)
        seen.append((st.state, st.queue_position, st.progress, st.logs[-1:] if st.logs else []))
    assert seen == [
        ("IN_QUEUE", 3, None, []),
        ("IN_QUEUE", 2, None, []),
        ("IN_QUEUE", 1, None, []),
        ("IN_PROGRESS", None, None, ["loading model"]),
        ("IN_PROGRESS", None, 0.42, ["progress: 42%"]),
        ("IN_PROGRESS", None, 0.8, ["step 40/50 - progress: 80%"]),
        ("COMPLETED", None, 1.0, ["step 40/50 - progress: 80%"]),
    ]
    assert {r.query.get("logs") for r in fal_emulator.calls("status")} == {"true"}
    assert frames(provider.fetch(rid, T2V, request, tmp_path).path) > 0


def test_progress_from_logs() -> None:
    assert progress_from_logs([]) is None
    assert progress_from_logs(["warming up"]) is None
    assert progress_from_logs(["progress: 10%", "50%|#####     | 25/50", "done"]) == 0.5
    assert progress_from_logs(["progress: 142%"]) == 1.0


def test_fetch_times_out_when_the_request_never_completes(
    fal_emulator: FalEmulator, inputs: dict[str, Path], tmp_path: Path,
) -> None:
    fal_emulator.script(T2V.endpoint, [never_completes(logs=("progress: 5%",))])
    provider = FalProvider(DEFAULT_KEY, poll_interval=0.05, result_timeout=0.3)
    request = make_request("text-to-video", inputs)
    rid = provider.submit(request, T2V)
    st = provider.status(rid, T2V)
    assert (st.state, st.progress) == ("IN_PROGRESS", 0.05)
    with pytest.raises(GenerationTimeout, match="did not finish within 0.3 s"):
        provider.fetch(rid, T2V, request, tmp_path)
    assert not list(tmp_path.iterdir())
    assert not fal_emulator.calls("result")


# --- cancel -------------------------------------------------------------------------------


def test_cancel_reaches_the_queue(fal_emulator: FalEmulator, provider: FalProvider,
                                  inputs: dict[str, Path], tmp_path: Path) -> None:
    fal_emulator.script(T2V.endpoint, [never_completes()])
    request = make_request("text-to-video", inputs)
    rid = provider.submit(request, T2V)
    provider.cancel(rid, T2V)
    (call,) = fal_emulator.calls("cancel")
    assert (call.method, call.request_id, call.auth, call.status) == ("PUT", rid, "key", 202)
    assert call.path == f"/fal-ai/minimax/requests/{rid}/cancel"
    assert fal_emulator.jobs[rid].cancelled
    with pytest.raises(GenerationCancelled):
        provider.fetch(rid, T2V, request, tmp_path)


def test_cancel_after_completion_is_a_no_op(fal_emulator: FalEmulator, provider: FalProvider,
                                            inputs: dict[str, Path]) -> None:
    rid = provider.submit(make_request("text-to-video", inputs), T2V)
    provider.cancel(rid, T2V)
    assert [c.status for c in fal_emulator.calls("cancel")] == [400]


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("on", ["submit", "result"])
def test_content_policy_violation(on: str, fal_emulator: FalEmulator, provider: FalProvider,
                                  inputs: dict[str, Path], tmp_path: Path) -> None:
    msg = "The prompt was flagged: depicts violence"
    fal_emulator.script(T2V.endpoint, [content_policy(msg, on=on)])
    request = make_request("text-to-video", inputs)
    with pytest.raises(ContentPolicyError, match="depicts violence") as err:
        if on == "submit":
            provider.submit(request, T2V)
        else:
            rid = provider.submit(request, T2V)
            assert provider.status(rid, T2V).state == "COMPLETED"
            provider.fetch(rid, T2V, request, tmp_path)
    assert "content-policy" in str(err.value)
    assert len(fal_emulator.calls("submit")) == 1
    assert not list(tmp_path.iterdir())


def test_default_content_policy_message(fal_emulator: FalEmulator, provider: FalProvider,
                                        inputs: dict[str, Path], tmp_path: Path) -> None:
    fal_emulator.script(T2V.endpoint, [content_policy(loc=("body", "image_url"))])
    request = make_request("text-to-video", inputs)
    rid = provider.submit(request, T2V)
    with pytest.raises(ContentPolicyError) as err:
        provider.fetch(rid, T2V, request, tmp_path)
    assert str(err.value).endswith(f"{CONTENT_POLICY_MSG} (at image_url)")


def test_validation_error_is_invalid_input(fal_emulator: FalEmulator, provider: FalProvider,
                                           inputs: dict[str, Path]) -> None:
    fal_emulator.script(T2V.endpoint, [
        validation_error("Input should be '5' or '10'", loc=("body", "duration"),
                         kind="literal_error"),
    ])
    with pytest.raises(InvalidInputError) as err:
        provider.submit(make_request("text-to-video", inputs), T2V)
    assert str(err.value) == "FAL rejected the input: Input should be '5' or '10' (at duration)"
    assert not isinstance(err.value, ContentPolicyError)
    assert not fal_emulator.jobs


def test_rate_limit_storm_is_retried_by_the_client_then_raised(
    fal_emulator: FalEmulator, provider: FalProvider, inputs: dict[str, Path],
) -> None:
    fal_emulator.script(T2V.endpoint, [rate_limit(times=None, retry_after=7)])
    with pytest.raises(RateLimitError) as err:
        provider.submit(make_request("text-to-video", inputs), T2V)
    assert err.value.retry_after == 7.0 and err.value.retryable
    assert len(fal_emulator.calls("submit", status=429)) == fc.MAX_ATTEMPTS
    assert not fal_emulator.jobs


def test_brief_rate_limit_is_absorbed_with_one_submit(
    fal_emulator: FalEmulator, provider: FalProvider, inputs: dict[str, Path],
) -> None:
    fal_emulator.script(T2V.endpoint, [rate_limit(times=3), server_error(502, ingress=True)])
    rid = provider.submit(make_request("text-to-video", inputs), T2V)
    assert [c.status for c in fal_emulator.calls("submit")] == [429, 429, 429, 502, 200]
    assert list(fal_emulator.jobs) == [rid]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_mean_model_unavailable(status: int, fal_emulator: FalEmulator,
                                              provider: FalProvider,
                                              inputs: dict[str, Path]) -> None:
    fal_emulator.script(T2V.endpoint, [
        server_error(status, times=None, detail="Runner crashed",
                     error_type="runner_disconnected"),
    ])
    with pytest.raises(ModelUnavailableError, match=f"HTTP {status}: Runner crashed"):
        provider.submit(make_request("text-to-video", inputs), T2V)


def test_unknown_endpoint_means_model_unavailable(fal_emulator: FalEmulator,
                                                  provider: FalProvider,
                                                  inputs: dict[str, Path]) -> None:
    fal_emulator.mark_unknown(T2V.endpoint)
    with pytest.raises(ModelUnavailableError, match="fal-ai/minimax/video-01") as err:
        provider.submit(make_request("text-to-video", inputs), T2V)
    assert "404" in str(err.value)
    assert fal_emulator.calls("submit")[0].status == 404


def test_failures_after_submit(fal_emulator: FalEmulator, provider: FalProvider,
                               inputs: dict[str, Path], tmp_path: Path) -> None:
    fal_emulator.script(T2V.endpoint, [
        completes(),
        server_error(500, on="status"),
        server_error(504, on="result", times=None, detail="Request timed out",
                     error_type="request_timeout"),
    ])
    request = make_request("text-to-video", inputs)
    rid = provider.submit(request, T2V)
    with pytest.raises(ModelUnavailableError):
        provider.status(rid, T2V)
    assert provider.status(rid, T2V).state == "COMPLETED"  # the 500 was a one-off
    with pytest.raises(GenerationTimeout, match="Request timed out"):
        provider.fetch(rid, T2V, request, tmp_path)


def test_result_without_a_video_is_model_unavailable(
    fal_emulator: FalEmulator, provider: FalProvider, inputs: dict[str, Path], tmp_path: Path,
) -> None:
    fal_emulator.script(T2V.endpoint, [completes(result={"images": [], "seed": 1})])
    request = make_request("text-to-video", inputs)
    rid = provider.submit(request, T2V)
    with pytest.raises(ModelUnavailableError, match=r"no video URL.*\['images', 'seed'\]"):
        provider.fetch(rid, T2V, request, tmp_path)


def test_wrong_key_is_an_auth_error_and_never_leaks(
    fal_emulator: FalEmulator, inputs: dict[str, Path], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-key-id:s3cr3t-0123456789abcdef"
    provider = FalProvider(wrong, poll_interval=0.01)
    failures: list[BaseException] = []
    for method in ("text-to-video", "image-to-video"):  # queue submit, CDN token request
        with pytest.raises(ProviderAuthError, match="FAL rejected the API key") as err:
            provider.submit(make_request(method, inputs), MODELS[method])
        failures.append(err.value)
    good = FalProvider(DEFAULT_KEY)
    rid = good.submit(make_request("text-to-video", inputs), T2V)
    for call in (lambda: provider.status(rid, T2V),
                 lambda: provider.fetch(rid, T2V, make_request("text-to-video", inputs),
                                        tmp_path)):
        with pytest.raises(ProviderAuthError) as err:
            call()
        failures.append(err.value)

    secret = "s3cr3t-0123456789abcdef"
    for exc in failures:
        text = "".join(traceback.format_exception(exc)) + repr(exc)
        assert secret not in text and DEFAULT_KEY not in text
    assert secret not in caplog.text and DEFAULT_KEY not in caplog.text
    assert secret not in repr(provider)
    wrong_calls = [r for r in fal_emulator.requests if r.auth == "wrong-key"]
    assert {r.route for r in wrong_calls} == {"submit", "cdn_token", "status"}
    assert all(r.status == 401 for r in wrong_calls)
    assert all(secret not in str(r.headers) for r in fal_emulator.requests)


def test_from_settings(fal_emulator: FalEmulator, inputs: dict[str, Path]) -> None:
    with pytest.raises(ProviderAuthError, match="FAL_API_KEY"):
        FalProvider.from_settings(Settings(fal_api_key=""))
    with pytest.raises(ProviderAuthError):
        FalProvider("")
    provider = FalProvider.from_settings(
        Settings(fal_api_key=DEFAULT_KEY, video_max_size_mb=3,
                 video_generation_timeout_ms=90_000))
    assert provider.max_download_bytes == 3 * 1024 * 1024
    assert provider.result_timeout == 90.0
    provider.submit(make_request("text-to-video", inputs), T2V)
    assert fal_emulator.submits()[0].auth == "key"


# --- downloads ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_video_size_limit(chunked: bool, fal_emulator: FalEmulator, inputs: dict[str, Path],
                          tmp_path: Path) -> None:
    fal_emulator.script(T2V.endpoint, [completes(video_size=600_000, chunked=chunked)])
    provider = FalProvider(DEFAULT_KEY, max_download_bytes=200_000, poll_interval=0.01)
    request = make_request("text-to-video", inputs)
    rid = provider.submit(request, T2V)
    with pytest.raises(InvalidInputError, match=r"too large .*limit is 0\.2 MB"):
        provider.fetch(rid, T2V, request, tmp_path)
    assert not list(tmp_path.iterdir())  # the partial file is gone
    assert len(fal_emulator.calls("download")) == 1


def test_stalled_download_times_out(fal_emulator: FalEmulator, inputs: dict[str, Path],
                                    tmp_path: Path) -> None:
    fal_emulator.script(T2V.endpoint, [completes(), stall(1.0, on="download")])
    provider = FalProvider(DEFAULT_KEY, download_timeout=0.2, poll_interval=0.01)
    request = make_request("text-to-video", inputs)
    rid = provider.submit(request, T2V)
    with pytest.raises(GenerationTimeout, match="downloading the video"):
        provider.fetch(rid, T2V, request, tmp_path)
    assert not list(tmp_path.iterdir())


# --- re-attaching -------------------------------------------------------------------------


def test_a_new_provider_reattaches_to_a_stored_request_id(
    fal_emulator: FalEmulator, inputs: dict[str, Path], tmp_path: Path,
) -> None:
    model = MODELS["image-to-video"]
    fal_emulator.script(model.endpoint, [progress(queue=(1,), queue_seconds=10,
                                                  logs=("progress: 30%",), run_seconds=10)])
    request = make_request("image-to-video", inputs)
    first = FalProvider(DEFAULT_KEY)
    stored = first.submit(request, model)
    first.close()
    del first  # the worker restarts: only the request id survives

    second = FalProvider(DEFAULT_KEY, poll_interval=0.01)
    assert second.status(stored, model).state == "IN_QUEUE"
    fal_emulator.advance(10)
    assert second.status(stored, model).progress == 0.3
    fal_emulator.advance(10)
    out = second.fetch(stored, model, request, tmp_path)

    assert frames(out.path) > 0 and out.request_id == stored
    assert len(fal_emulator.calls("submit")) == 1
    assert len(fal_emulator.uploads) == 1
    later = [r for r in fal_emulator.requests if r.route in ("status", "result", "download")]
    assert later and {r.request_id for r in later} == {stored}


def test_every_hosted_registry_model_round_trips(fal_emulator: FalEmulator,
                                                 provider: FalProvider,
                                                 inputs: dict[str, Path],
                                                 tmp_path: Path) -> None:
    from aladdin_studio.generation.registry import load_registry

    models = [m for m in load_registry() if m.provider == "fal" and m.hosted]
    assert models
    for model in models:
        request = make_request(model.method, inputs)
        if "video" not in model.inputs:
            request.video = None
        rid = provider.submit(request, model)
        body = fal_emulator.calls("submit", request_id=rid)[0].json()
        urls = {u.name: u.url for u in fal_emulator.uploads}
        for field_name, path in request.file_inputs().items():
            assert body[model.inputs[field_name]] == urls[path.name], (model.id, field_name)
        out = provider.fetch(rid, model, request, tmp_path / model.id)
        assert out.path.is_file() and out.endpoint == model.endpoint, model.id
    assert len(fal_emulator.submits()) == len(models)
    assert len(fal_emulator.uploads) == 4  # image, first, last, source video: once each
