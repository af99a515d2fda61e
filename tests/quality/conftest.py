"""Quality tests: the labelled set (built once per session at test time)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from labelled import Sample, build_set  # noqa: E402

LABELLED_SEED = 3  # thresholds were chosen on seeds 1 and 2 (bench/quality.py)


@pytest.fixture(scope="session")
def labelled(tmp_path_factory) -> dict[str, Sample]:
    """A labelled set of 3 s clips (good and degraded), by sample name."""
    folder = tmp_path_factory.mktemp("labelled")
    return {s.name: s for s in build_set(folder, LABELLED_SEED, durations=(3.0,))}


@pytest.fixture(scope="session")
def verified(labelled):
    """``verified(name)``: the sample and its result, each clip verified once a session."""
    from aladdin_studio.quality import verify_video

    cache: dict[str, object] = {}

    def get(name: str):
        if name not in labelled:
            pytest.skip(f"{name} is not in this set (no ffmpeg binary?)")
        if name not in cache:
            sample = labelled[name]
            cache[name] = verify_video(sample.path, sample.params)
        return labelled[name], cache[name]

    return get
