"""The automation API: the design doc's REST routes, job events over WebSocket and signed
webhooks, served by uvicorn (``aladdin-studio serve``) or inside the editor."""

from __future__ import annotations

from typing import Any

__all__ = ["build_app", "serve"]


def build_app(settings: Any, **backend_options: Any) -> Any:
    """The app with its backend (a queue, consumer and ledger of its own unless given)."""
    from .access import api_token
    from .app import create_app
    from .backend import ApiBackend

    return create_app(ApiBackend(settings, **backend_options), api_token())


def serve(settings: Any, host: str, port: int) -> int:
    """Run the API in the foreground until interrupted (``aladdin-studio serve``)."""
    import sys

    import uvicorn

    from .server import uvicorn_config

    app = build_app(settings)
    print(f"Aladdin Studio automation API on http://{host}:{port}/api/v1 (docs: "
          f"http://{host}:{port}/docs); token: aladdin-studio serve --show-token",
          file=sys.stderr, flush=True)
    try:
        uvicorn.Server(uvicorn_config(app, host, port, log_level="info")).run()
    finally:
        app.state.backend.close()
    return 0
