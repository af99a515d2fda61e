"""Render a project like ``aladdin-studio render`` does, printing progress lines.

Usage: ``python render_progress.py PROJECT OUT PRESET``. A helper of ``bench/render_scene.py
--long``: the same calls as the CLI (load, ``build_plan``, ``render_scene`` with the
project's cache folder), plus one stdout line per progress report::

    progress STAGE DONE TOTAL

so the benchmark can tell where in the render each memory sample was taken. The last line
is the ``RenderResult`` as JSON.
"""

from __future__ import annotations

import json
import sys

from aladdin_studio.render.export import Progress, render_scene
from aladdin_studio.render.plan import build_plan
from aladdin_studio.render.presets import get_preset
from aladdin_studio.timeline.project_io import load


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    project_path, out, preset_name = argv[1:]
    project = load(project_path)
    plan = build_plan(project.scene(None), project.resolve_media)

    def report(p: Progress) -> None:
        print(f"progress {p.stage} {p.done} {p.total}", flush=True)

    cache = project.location.cache_dir if project.location else None
    result = render_scene(plan, out, get_preset(preset_name), progress=report, cache_dir=cache)
    print(json.dumps(result.to_dict()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
