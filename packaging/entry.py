"""Frozen entry point of the ``aladdin-studio`` executable (PyInstaller one-folder build).

Same as the ``aladdin-studio`` console script, plus ``--package-selfcheck [PROJECT OUT]``:
prints a JSON line describing what the bundle can find (OTIO adapters, LUTs, Qt plugins,
codecs) and, given a project, exports 0.5 s of it to OUT through the editor's spawned export
worker (the frozen multiprocessing path); ``make package-check`` uses it.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from typing import Any


def spawned_export(project: str, out: str) -> dict[str, Any]:
    """Export 0.5 s of ``project`` in an :class:`ExportProcess`, as the export dialog does."""
    from aladdin_studio.render.presets import get_preset
    from aladdin_studio.render.worker import ExportProcess, ExportRequest
    from aladdin_studio.timeline.project_io import load, serialize

    doc = load(project)
    request = ExportRequest(serialize(doc), str(doc.location.file), out, get_preset("draft"),
                            time_range=(0.0, 0.5))
    result = ExportProcess(request).start().wait(timeout=120)
    return {"path": result.path, "frames": result.frames, "seconds": round(result.seconds, 2)}


def selfcheck() -> dict[str, Any]:
    """What the frozen app can load: adapters, LUTs, Qt platform plugins, PyAV/OpenCV."""
    import av
    import cv2
    import opentimelineio as otio
    from PySide6.QtCore import QLibraryInfo

    from aladdin_studio.render import effects

    plugins = QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)
    from pathlib import Path

    def names(kind: str) -> list[str]:
        return sorted(p.name for p in (Path(plugins) / kind).glob("*.so"))

    return {
        "frozen": bool(getattr(sys, "frozen", False)),
        "otio_adapters": sorted(otio.adapters.available_adapter_names()),
        "luts": effects.builtin_luts(),
        "lut_dir": str(effects.LUT_DIR),
        "qt_platforms": names("platforms"),
        "qt_multimedia": names("multimedia"),
        "av": av.__version__,
        "h264_encoder": "libx264" in av.codecs_available,
        "cv2": cv2.__version__,
    }


def run() -> int:
    multiprocessing.freeze_support()  # export workers are spawned from this executable
    if sys.argv[1:2] == ["--package-selfcheck"]:
        info = selfcheck()
        if len(sys.argv) == 4:
            info["spawned_export"] = spawned_export(sys.argv[2], sys.argv[3])
        print(json.dumps(info), flush=True)
        return 0
    from aladdin_studio.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
