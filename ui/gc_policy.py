"""Keep Python's full garbage collections from stalling edits on a long timeline.

An open 1,000-clip project and its views are ~85,000 objects the cyclic collector tracks;
every edit makes new long-lived ones (a track's layout, items' memos), so every few edits a
full collection walked all of them on the GUI thread (~30 ms here, the occasional 100 ms
edit). ``freeze_long_lived`` moves what is alive once a project is open out of the
collector's reach (``gc.freeze``): full collections then walk only what was made since.
Reference counting still frees frozen objects; on a project switch they are unfrozen and
collected first, so a closed project's cycles are not kept.
"""

from __future__ import annotations

import gc
from typing import Any

from PySide6.QtCore import QTimer


def freeze_long_lived() -> None:
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def install(ctx: Any) -> None:
    """Freeze now and after each project switch (once the views have rebuilt onto it).
    The app does this, not the window: tests open and drop many windows in one process."""
    freeze_long_lived()
    ctx.project_replaced.connect(lambda _project: QTimer.singleShot(0, freeze_long_lived))
