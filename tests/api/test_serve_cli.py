"""``aladdin-studio serve``: the token from the keyring, loopback by default, the projects
registry filled by the CLI, and a real server process answering curl-like requests."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
from api_helpers import wait_for

from aladdin_studio import project_registry
from aladdin_studio.cli import main


def test_show_token_makes_one_token_and_keeps_it(memory_keyring, capsys):
    assert main(["serve", "--show-token"]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 32
    assert memory_keyring.get_password("aladdin-studio", "ALADDIN_API_TOKEN") == token
    assert main(["serve", "--show-token"]) == 0
    assert capsys.readouterr().out.strip() == token


def test_binding_beyond_loopback_needs_an_explicit_flag(memory_keyring, capsys):
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "--allow-remote" in err and "other machines" in err


def test_cli_commands_register_their_projects(tmp_path, capsys):
    path = tmp_path / "Reg.aladdin"
    assert main(["new", str(path), "--size", "320x180"]) == 0
    entry = project_registry.find_path(path)
    assert entry is not None and entry.name == "Reg"
    assert project_registry.find(entry.id).path == str(path.resolve())
    assert main(["info", str(path / "project.otio")]) == 0  # same project, same id
    assert project_registry.find_path(path).id == entry.id
    assert project_registry.find("../../etc") is None


def test_serve_process_answers_with_the_token(tmp_path):
    from aladdin_studio.api.server import free_port

    port = free_port()
    env = {**os.environ, "ALADDIN_API_TOKEN": "process-token-0123456789",
           "ALADDIN_PROVIDER": "local"}
    proc = subprocess.Popen([sys.executable, "-m", "aladdin_studio.cli", "serve", "--port",
                             str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"

        def up():
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                return False
        wait_for(up, 30, "the server to start")
        assert httpx.get(f"{url}/api/v1/projects").status_code == 401
        r = httpx.get(f"{url}/api/v1/projects",
                      headers={"Authorization": "Bearer process-token-0123456789"})
        assert r.status_code == 200 and "projects" in r.json()
    finally:
        proc.terminate()
        started = time.monotonic()
        proc.wait(20)
        assert time.monotonic() - started < 20
    # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells why
    assert proc.returncode in (0, -15)
    assert "Finished server process" in proc.stderr.read()
