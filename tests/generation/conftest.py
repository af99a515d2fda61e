"""Generation tests: the FAL emulator wired under the real ``fal_client``.

fal_client reads ``FAL_RUN_HOST``/``FAL_QUEUE_RUN_HOST`` when it is imported, so they are set
here, at conftest import (before any test module imports it), together with ``SSL_CERT_FILE``
(the emulator's per-session self-signed certificate, which httpx then trusts). The port is
reserved now and the server starts on it in a session fixture. The storage hosts fal_client
hard-codes (``REST_URL``, ``CDN_URL``) are redirected per test with monkeypatch.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fal_emulator import DEFAULT_KEY, FalEmulator, make_self_signed, reserve_socket

_EARLY_IMPORT = "fal_client" in sys.modules  # too late to redirect it: fail its tests
_SOCK = reserve_socket("127.0.0.1")
_PORT = _SOCK.getsockname()[1]
_CERT_DIR = Path(tempfile.mkdtemp(prefix="fal-emulator-cert-"))
_CERT = make_self_signed(_CERT_DIR)
atexit.register(shutil.rmtree, _CERT_DIR, True)

os.environ["FAL_RUN_HOST"] = f"localhost:{_PORT}"
os.environ["FAL_QUEUE_RUN_HOST"] = f"127.0.0.1:{_PORT}"
os.environ["SSL_CERT_FILE"] = str(_CERT.cert)

FAL_KEY = DEFAULT_KEY


@pytest.fixture(scope="session")
def fal_server() -> Iterator[FalEmulator]:
    """The emulator, started once per session on the port reserved above."""
    import fal_client.client as fc

    expected = f"https://127.0.0.1:{_PORT}/"
    if _EARLY_IMPORT or fc.QUEUE_URL_FORMAT != expected:
        pytest.fail(
            "fal_client was imported before tests/generation/conftest.py could point it at "
            f"the emulator (its queue URL is {fc.QUEUE_URL_FORMAT!r}); keep fal_client "
            "imports out of tests/conftest.py and module level code that loads earlier",
            pytrace=False,
        )
    emulator = FalEmulator(_CERT, key=FAL_KEY, sock=_SOCK).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def fal_emulator(fal_server: FalEmulator, monkeypatch: pytest.MonkeyPatch) -> FalEmulator:
    """A clean emulator for one test, with fal_client's storage hosts redirected to it and
    its retry backoff (``BASE_DELAY``/``MAX_DELAY``, module globals) made tiny."""
    import fal_client.client as fc

    fal_server.reset()
    monkeypatch.setattr(fc, "REST_URL", fal_server.rest_url)
    monkeypatch.setattr(fc, "CDN_URL", fal_server.cdn_url)
    monkeypatch.setattr(fc, "BASE_DELAY", 0.001)
    monkeypatch.setattr(fc, "MAX_DELAY", 0.005)
    return fal_server
