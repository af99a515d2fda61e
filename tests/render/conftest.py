import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def render_media(tmp_path_factory) -> Path:
    """Synthetic media for render tests, made once per session (see scene_factory)."""
    from scene_factory import make_media

    return make_media(tmp_path_factory.mktemp("render-media"))


@pytest.fixture
def scene(render_media, tmp_path):
    from scene_factory import Scene

    return Scene(tmp_path, render_media)
