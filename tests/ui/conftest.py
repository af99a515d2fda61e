"""Fixtures shared by the editor widget tests."""

from __future__ import annotations

import pytest

from aladdin_studio.timeline import project_io
from aladdin_studio.ui.editor_context import EditorContext


@pytest.fixture
def ctx(sample_project):
    """An editor context on a private copy of the sample project."""
    context = EditorContext(project_io.load(sample_project))
    yield context
    context.close()


@pytest.fixture
def errors(ctx) -> list[str]:
    """Messages the context reported through its ``error`` signal."""
    seen: list[str] = []
    ctx.error.connect(seen.append)
    return seen
