"""Shared fixtures: isolated XDG dirs, offscreen Qt, a small sample project."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_SESSION_HOME = Path(os.environ.get("PYTEST_XDG_ROOT", "/tmp")) / f"aladdin-tests-{os.getpid()}"
for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    os.environ[var] = str(_SESSION_HOME / var.lower())

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def sample_master(tmp_path_factory) -> Path:
    """A small sample project built once (320x180, 7 s clips)."""
    from aladdin_studio.demo import build_demo

    root = tmp_path_factory.mktemp("sample") / "Sample.aladdin"
    build_demo(root, size=(320, 180))
    return root


@pytest.fixture
def sample_project(sample_master, tmp_path) -> Path:
    """A private copy of the sample project for a test to change."""
    target = tmp_path / "Sample.aladdin"
    shutil.copytree(sample_master, target)
    return target


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    """End the process once the results are reported, skipping the interpreter's final
    garbage collection: in full-suite runs, collecting the leftover PySide wrappers of
    hundreds of widget tests in arbitrary order segfaulted (exit 139 after every test had
    passed), which no single test reproduces. The exit status is the session's."""
    if _EXIT_STATUS and "PySide6.QtWidgets" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
