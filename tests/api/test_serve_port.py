"""``aladdin-studio serve`` without ``--port`` listens on the ``api_port`` setting
(``ALADDIN_API_PORT``), not on a fixed 8765; ``--port`` still wins."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from api_helpers import wait_for


def _serve(env_port: int, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ALADDIN_API_TOKEN": "port-token-0123456789abcdef",
           "ALADDIN_PROVIDER": "local", "ALADDIN_API_PORT": str(env_port)}
    return subprocess.Popen([sys.executable, "-m", "aladdin_studio.cli", "serve", *args],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def _answers(proc: subprocess.Popen, port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        assert proc.poll() is None, proc.stderr.read()
        return False


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    proc.wait(20)
    return proc.stderr.read()


def test_serve_listens_on_the_api_port_setting_unless_told(tmp_path):
    from aladdin_studio.api.server import free_port

    setting, flag = free_port(), free_port()
    while flag == setting:
        flag = free_port()
    proc = _serve(setting)
    try:
        wait_for(lambda: _answers(proc, setting), 30, f"the server on port {setting}")
    finally:
        err = _stop(proc)
    assert f"http://127.0.0.1:{setting}/api/v1" in err

    proc = _serve(setting, "--port", str(flag))
    try:
        wait_for(lambda: _answers(proc, flag), 30, f"the server on port {flag}")
        assert not _answers(proc, setting)
    finally:
        _stop(proc)
