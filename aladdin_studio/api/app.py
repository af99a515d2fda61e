"""The FastAPI application: the design doc's routes under ``/api/v1`` (OpenAPI at ``/docs``).

Routes translate requests into service calls (``backend``, ``generate``, ``media``) and
shape the answers (``views``); they hold no logic of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse

from ..errors import ErrorKind
from ..jobs import Job
from .backend import ApiBackend
from .errors import ApiError, install_handlers
from .events import JobWatcher
from .gate import ApiApp
from .generate import submit_generation
from .limits import BodyLimit
from .schemas import (
    AssembleRequest,
    GenerateRequest,
    PublishBody,
    RenderRequest,
    VerifyRequest,
)
from .views import estimate_seconds, iso, job_view
from .webhooks import ApiWebhooks

__all__ = ["DEFAULT_MAX_BODY", "create_app"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 16 * 1024 * 1024  # a base64 image of up to 10 MB fits
WS_NOT_FOUND = 4404
ESTIMATE_TTL_S = 30.0
STATUS_CACHE_S = 1.0  # a job status answer is reused at most this long (job_status_answer)


class _Estimates:
    """``estimate_seconds`` per (method, model), cached: job status is polled often."""

    def __init__(self, backend: ApiBackend) -> None:
        self.backend = backend
        self._cache: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, method: str, model: str | None, kind: str = "generation") -> float:
        key = (f"{kind}:{method}", model or "")
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[1] < ESTIMATE_TTL_S:
            return hit[0]
        value = estimate_seconds(self.backend.store, kind, method, model)
        with self._lock:
            self._cache[key] = (value, now)
        return value


def create_app(backend: ApiBackend, token: str, *, max_body: int = DEFAULT_MAX_BODY,
               watch_interval: float = 0.02, webhook_backoff: float = 1.0) -> ApiApp:
    """The API app over ``backend``; every route needs ``Authorization: Bearer <token>``
    (WebSockets: that header or ``?token=``)."""
    estimates = _Estimates(backend)
    project_ids: dict[str, str] = {}  # ledger key -> registry id (for event views)

    def view(job: Job) -> dict[str, Any]:
        payload = dict(getattr(job, "payload", None) or {})
        pid = project_ids.get(job.project) or _project_id(job.project)
        return job_view(job, pid, estimates(str(payload.get("method")), job.model, job.kind),
                        time.time())

    watcher = JobWatcher(backend.store, view, interval=watch_interval)
    hooks = ApiWebhooks(backend, backoff=webhook_backoff)
    watcher.on_finished.append(hooks.job_finished)
    watcher.on_finished.append(lambda job: backend.land_soon(job.project))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend.start()
        watcher.start()
        hooks.start()
        try:
            yield
        finally:
            watcher.stop()
            hooks.stop()

    app = FastAPI(title="Aladdin Studio automation API", version="1",
                  description="Generate, assemble, verify and render videos of the projects "
                              "opened in Aladdin Studio. Every route needs the bearer token "
                              "(`aladdin-studio serve --show-token`, or Settings ▸ "
                              "Automation).", lifespan=lifespan, docs_url=None,
                  redoc_url=None)
    app.state.backend = backend
    app.state.watcher = watcher
    app.state.webhooks = hooks
    app.add_middleware(BodyLimit, max_bytes=max_body)
    install_handlers(app)

    api = APIRouter(prefix="/api/v1")  # the token is checked by TokenGate, once

    def entry(project_id: str) -> Any:
        found = backend.project(project_id)
        project_ids[backend.key(found)] = found.id
        return found

    def accepted(job: Job, estimate: Any, **extra: Any) -> dict[str, Any]:
        """The 202 answer of a queued job (its webhook already subscribed: ``queued``)."""
        return {"jobId": job.id, "status": "queued", **extra, "estimatedTime": estimate}

    def queued(submit: Callable[..., Job], found: Any, webhook_url: Any) -> Job:
        """``submit(hold=...)`` a job; a per-request webhook is subscribed while the job is
        held, before it can run, so a job that finishes at once still announces itself."""
        if not webhook_url:
            return submit(hold=False)
        job = submit(hold=True)
        try:
            hooks.subscribe(job.id, str(webhook_url), found.id)
        except BaseException:
            if job.info.get("held"):
                backend.queue.abandon(job.id, "its webhook could not be recorded")
            raise
        try:
            job = backend.queue.release(job.id)
        except BaseException:  # the queue (Redis) cannot take it: nothing left held
            backend.queue.abandon(job.id, "the job queue could not take it")
            raise
        if job.done:  # created finished (a reused result): nothing will change it now
            hooks.job_finished(job)
        return job

    # ------------------------------------------------------------------ projects

    @api.get("/projects", summary="The projects opened in the editor or the CLI")
    def list_projects() -> dict[str, Any]:
        from ..project_registry import projects

        return {"projects": [{"id": e.id, "name": e.name, "lastOpened": iso(e.last_opened)}
                             for e in projects()]}

    @api.get("/projects/{projectId}/scenes", summary="The project's scenes and tracks")
    def list_scenes(projectId: str) -> dict[str, Any]:  # noqa: N803 (design doc names)
        from ..services.describe import describe

        found = entry(projectId)
        data = describe(backend.load(found))
        return {"projectId": found.id, "name": data["name"],
                "scenes": [_scene(s) for s in data["scenes"]]}

    # ------------------------------------------------------------------ videos

    @api.post("/projects/{projectId}/videos/generate", status_code=202,
              summary="Generate a clip (design doc 7.1): queued as a job")
    def generate(projectId: str, body: GenerateRequest) -> dict[str, Any]:  # noqa: N803
        found = entry(projectId)
        url = body.webhookUrl
        # Subscribed while the job is held, so even a job that ends at once is announced.
        job = submit_generation(backend, found, body, before_release=None if not url else
                                lambda held: hooks.subscribe(held.id, str(url), found.id))
        reply = accepted(job, estimates(body.method, job.model))
        if job.done:  # an identical earlier result was reused
            hooks.job_finished(job)
            reply["status"] = view(job)["status"]
        return reply

    @api.get("/projects/{projectId}/videos/jobs/{jobId}", response_model=None,
             summary="Job status (design doc 7.5)")
    async def job_status(projectId: str, jobId: str) -> JSONResponse:  # noqa: N803
        return JSONResponse(job_status_answer(projectId, jobId)[0])

    status_cache: dict[tuple[str, str], tuple[int, float, dict[str, Any], bytes]] = {}

    def job_status_answer(project_id: str, job_id: str) -> tuple[dict[str, Any], bytes]:
        """The status of a job as data and as encoded JSON. Polled hard by pipelines: served
        by FastRoute (below) on the event loop without FastAPI's routing, and the whole
        answer (the registry lookup, the ledger read, the JSON) is reused while the watcher
        sees no ledger change, at most STATUS_CACHE_S (see bench/api.py)."""
        key, now = (project_id, job_id), time.monotonic()
        hit = status_cache.get(key)
        if hit is not None and hit[0] == watcher.version and now - hit[1] < STATUS_CACHE_S:
            return hit[2], hit[3]
        version = watcher.version  # before the read: a change after it is not missed
        body = view(backend.job(entry(project_id), job_id))
        encoded = json.dumps(body, separators=(",", ":")).encode()
        if len(status_cache) > 10_000:
            status_cache.clear()
        status_cache[key] = (version, now, body, encoded)
        return body, encoded

    @api.post("/projects/{projectId}/videos/jobs/{jobId}/cancel",
              summary="Cancel a queued or running job (its remote request too)")
    def cancel_job(projectId: str, jobId: str) -> dict[str, Any]:  # noqa: N803
        job = backend.job(entry(projectId), jobId)
        if job.done:
            raise ApiError(f"Job {jobId[:12]} has already finished ({job.status}).",
                           ErrorKind.CONFLICT)
        return view(backend.queue.cancel(job.id))

    @api.get("/projects/{projectId}/jobs", summary="The project's jobs, newest first")
    def project_jobs(projectId: str, limit: int = 50) -> dict[str, Any]:  # noqa: N803
        found = entry(projectId)
        return {"jobs": [view(j) for j in backend.project_jobs(found, min(max(limit, 1),
                                                                           500))]}

    @api.post("/projects/{projectId}/videos/assemble", status_code=202,
              summary="Assemble a scene from clips (design doc 7.2): queued as a job")
    def assemble(projectId: str, body: AssembleRequest) -> dict[str, Any]:  # noqa: N803
        from .assemble import submit_assembly

        found = entry(projectId)
        job = queued(partial(submit_assembly, backend, found, body), found, body.webhookUrl)
        scene = job.payload.get("scene") or (job.payload.get("brief") or {}).get("scene")
        estimate = ((job.info or {}).get("estimate") or {}).get("est_seconds") or \
            estimates("assemble", job.model, kind=job.kind)
        return accepted(job, estimate, sceneId=scene)

    @api.post("/projects/{projectId}/videos/verify",
              summary="Verify a video's quality (design doc 7.3, synchronous)")
    def verify(projectId: str, body: VerifyRequest) -> dict[str, Any]:  # noqa: N803
        from .operations import verify as run_verify

        return run_verify(backend, entry(projectId), body)

    @api.get("/projects/{projectId}/videos/{videoId}",
             summary="The media document of a video (design doc 7.4)")
    def video(projectId: str, videoId: str) -> dict[str, Any]:  # noqa: N803
        from .media import media_document

        doc = media_document(backend, entry(projectId), videoId)
        doc.pop("_file", None)
        return doc

    @api.get("/projects/{projectId}/videos/{videoId}/file", summary="The video file",
             response_class=FileResponse)
    def video_file(projectId: str, videoId: str) -> FileResponse:  # noqa: N803
        from .media import media_file

        path = media_file(backend, entry(projectId), videoId)
        return FileResponse(path, filename=path.name)

    # ------------------------------------------------------------------ scenes

    @api.post("/projects/{projectId}/scenes/{scene}/render", status_code=202,
              summary="Render (export) a scene as saved: queued as an export job")
    def render(projectId: str, scene: str,  # noqa: N803
               body: RenderRequest | None = None) -> dict[str, Any]:
        from .operations import submit_render

        found = entry(projectId)
        body = body or RenderRequest()
        job = queued(partial(submit_render, backend, found, scene, body), found,
                     body.webhookUrl)
        return accepted(job, estimates("export", job.model, kind="export"))

    @api.post("/projects/{projectId}/scenes/{scene}/publish", status_code=202,
              summary="Publish a scene's render (R2 or the local publish folder): a job")
    def publish(projectId: str, scene: str,  # noqa: N803
                body: PublishBody | None = None) -> dict[str, Any]:
        from .operations import submit_publish

        found = entry(projectId)
        body = body or PublishBody()
        job = queued(partial(submit_publish, backend, found, scene, body), found,
                     body.webhookUrl)
        return accepted(job, estimates("publish", job.model, kind="publish"))

    app.include_router(api)
    hot_route = (r"/api/v1/projects/([\w-]{1,64})/videos/jobs/([\w-]{1,64})",
                 lambda project_id, job_id: job_status_answer(project_id, job_id)[1])

    # ------------------------------------------------------------------ websockets

    async def _stream(ws: WebSocket, project_id: str, job_id: str | None) -> None:
        try:
            found = entry(project_id)
            jobs = ([backend.job(found, job_id)] if job_id is not None
                    else [j for j in backend.project_jobs(found, 50) if not j.done])
        except ApiError as exc:  # accepted, so the client can read why in the close frame
            await ws.accept()
            await ws.close(code=WS_NOT_FOUND, reason=str(exc)[:120])
            return
        await ws.accept()
        sub = watcher.subscribe(backend.key(found), job_id, asyncio.get_running_loop())
        try:
            for job in jobs:  # the state now; changes follow as they happen
                await ws.send_json({"event": "snapshot", "jobId": job.id, "job": view(job),
                                    "timestamp": iso(time.time())})
            if job_id is not None and jobs[0].done:
                await ws.close()
                return
            reader = asyncio.create_task(_until_disconnect(ws))
            try:
                while True:
                    getter = asyncio.create_task(sub.queue.get())
                    done, _ = await asyncio.wait({getter, reader},
                                                 return_when=asyncio.FIRST_COMPLETED)
                    if reader in done:  # the client went away
                        getter.cancel()
                        return
                    event = getter.result()
                    await ws.send_json(event)
                    if job_id is not None and event["event"] in ("complete", "failed"):
                        await ws.close()
                        return
            finally:
                reader.cancel()
        except WebSocketDisconnect:
            pass
        finally:
            watcher.unsubscribe(sub)

    @app.websocket("/api/v1/projects/{projectId}/jobs/{jobId}/events")
    async def job_events(ws: WebSocket, projectId: str, jobId: str) -> None:  # noqa: N803
        await _stream(ws, projectId, jobId)

    @app.websocket("/api/v1/projects/{projectId}/jobs/events")
    async def project_events(ws: WebSocket, projectId: str) -> None:  # noqa: N803
        await _stream(ws, projectId, None)

    def openapi() -> dict[str, Any]:
        """The schema with the bearer scheme, so /docs' "Authorize" sends the token."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _local_docs(app)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # What is served: the token gate, then the hot job-status route, in front of FastAPI's
    # own middleware stack (half the cost of a status poll; see bench/api.py).
    return ApiApp(app, token, *hot_route)


def _local_docs(app: FastAPI) -> None:
    """/docs with Swagger UI from the installed fastapi-offline package: the page works on
    a machine without internet access (FastAPI's default loads it from a CDN)."""
    from pathlib import Path

    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    static = Path(fastapi_offline.__file__).parent / "static"
    if not (static / "swagger-ui-bundle.js").is_file():  # a build that left the files out
        log.warning("Swagger UI files missing in %s; /docs is not served", static)
        return
    app.mount("/docs-static", StaticFiles(directory=static), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Any:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} — docs",
                                   swagger_js_url="/docs-static/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-static/swagger-ui.css",
                                   swagger_favicon_url="/docs-static/favicon.png")


async def _until_disconnect(ws: WebSocket) -> None:
    """Read (and ignore) client messages until the client disconnects."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return


def _project_id(ledger_key: str) -> str | None:
    from ..project_registry import find_path

    path = ledger_key[: -len("/project.otio")] if ledger_key.endswith("/project.otio") \
        else ledger_key
    found = find_path(path)
    return found.id if found else None


def _scene(scene: dict[str, Any]) -> dict[str, Any]:
    return {"name": scene["name"], "fps": scene["fps"], "size": scene["size"],
            "duration": scene["duration"],
            "tracks": [{"name": t["name"], "kind": t["kind"], "role": t["role"],
                        "duration": t["duration"],
                        "clips": [{"name": i.get("name"), "start": i["start"], "end": i["end"],
                                   "generation": i.get("generation")}
                                  for i in t["items"] if i["type"] == "clip"]}
                       for t in scene["tracks"]]}

