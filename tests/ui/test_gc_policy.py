"""The app's garbage-collector policy: what is alive once a project is open is frozen (full
collections skip it), and a project switch unfreezes and collects it, so nothing of the
closed project is kept by the freeze."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

from aladdin_studio.ui import gc_policy
from aladdin_studio.ui.editor_context import EditorContext

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "timeline"))
from doc_factory import make_doc  # noqa: E402


class _Node:
    pass


def test_frozen_objects_are_skipped_until_a_project_switch_collects_them(qtbot):
    ctx = EditorContext(make_doc(3)[0])
    try:
        gc_policy.install(ctx)
        assert gc.get_freeze_count() > 0
        node = _Node()
        node.self = node  # a cycle: only the collector frees it
        gone = weakref.ref(node)
        gc.freeze()  # alive when frozen, like the open project's objects
        del node
        gc.collect()
        assert gone() is not None  # frozen: a full collection skips it
        ctx.set_project(make_doc(2)[0])  # another project: unfrozen, collected, refrozen
        qtbot.waitUntil(lambda: gone() is None, timeout=10_000)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        ctx.close()
