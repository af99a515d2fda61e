"""A headless core: the services, the timeline, the render engine, the jobs (and every module
in them) import without QtGui/QtWidgets or a display stack, so a worker or server image can
use them. Checked in a fresh interpreter with no display and no Qt platform set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PACKAGES = ("aladdin_studio.services", "aladdin_studio.timeline", "aladdin_studio.render",
            "aladdin_studio.jobs")
# Also headless: what `aladdin-studio worker` and the project commands load.
ALSO = ("aladdin_studio.generation", "aladdin_studio.cli")
GUI_LIBS = ("libQt6Gui", "libQt6Widgets", "libGL.", "libGLX", "libEGL", "libxkbcommon")

PROBE = """
import importlib, json, pkgutil, sys
packages = sys.argv[1:]
for name in packages:
    importlib.import_module(name)
top_level = sorted(m for m in sys.modules if m.startswith(("PySide6.QtGui", "PySide6.QtWidgets",
                                                           "aladdin_studio.ui")))
for name in packages:  # then every module inside them
    module = importlib.import_module(name)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
        importlib.import_module(info.name)
with open("/proc/self/maps") as fh:
    libs = sorted({line.split()[-1] for line in fh if "/" in line})
print(json.dumps({"top_level": top_level, "modules": sorted(sys.modules), "libs": libs}))
"""


def test_the_core_imports_without_qt_gui_or_a_display():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-c", PROBE, *PACKAGES, *ALSO], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["top_level"] == []  # the documented import, plus generation and the CLI
    gui = [m for m in seen["modules"]
           if m.startswith(("PySide6.QtGui", "PySide6.QtWidgets", "aladdin_studio.ui"))]
    assert gui == [], f"imported by some module of {PACKAGES}: {gui}"
    libs = [lib for lib in seen["libs"] if any(name in lib for name in GUI_LIBS)]
    assert libs == [], f"display libraries loaded: {libs}"
    assert any("libQt6Core" in lib for lib in seen["libs"])  # the probe sees Qt libraries


RENDER_PROBE = """
import importlib, pkgutil, sys
import aladdin_studio.render as render
for info in pkgutil.walk_packages(render.__path__, "aladdin_studio.render."):
    importlib.import_module(info.name)
print(" ".join(sorted(m for m in sys.modules if m.startswith("PySide6"))))
"""


def test_the_render_engine_imports_no_qt_at_all():
    """The timeline may use QtCore signals; every module of render/ imports no Qt at all
    (it reads the document through Qt-free modules such as ``timeline.subtitle_cues``)."""
    proc = subprocess.run([sys.executable, "-c", RENDER_PROBE], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == []
