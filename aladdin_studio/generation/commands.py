"""Undoable document edits used by generation, built from recorded transaction primitives
(see ``timeline/commands.py``): they read the document when they run, not when they are
constructed, so several of them can be queued (one per finished job) without clobbering
each other's list entries."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import opentimelineio as otio

from ..timeline import schema as S
from ..timeline.commands import Command, Macro, _fit_to_take
from ..timeline.document import Project
from ..timeline.errors import InvalidEditError
from ..timeline.schema import NS
from ..timeline.transaction import Op, Transaction

__all__ = ["AppendMetaItem", "AppendProjectEntry", "GenerationMacro", "ReplaceTake",
           "SetGeneration"]

META_KEY = "generation"  # the clip's ``metadata["aladdin"]["generation"]``


class GenerationMacro(Macro):
    """A :class:`Macro` that knows which job it lands (``job_id``) so the caller can mark
    that job applied once the step is on its undo stack."""

    def __init__(self, text: str, commands: list[Command], job_id: str | None = None) -> None:
        super().__init__(text, commands)
        self.job_id = job_id


class SetGeneration(Command):
    """Merge ``values`` into a clip's generation record (``None`` removes a key)."""

    text = "Update Generation"

    def __init__(self, clip: otio.schema.Clip, text: str | None = None, **values: Any) -> None:
        super().__init__()
        self.clip, self.values = clip, values
        self.job_id: str | None = None  # set when it lands a job's outcome (status_command)
        if text:
            self.text = text

    def build(self, project: Project, tx: Transaction) -> None:
        if not isinstance(self.clip, otio.schema.Clip):
            raise InvalidEditError("Select a clip first.")
        record = dict(S.get(self.clip, META_KEY, {}) or {})
        for key, value in self.values.items():
            if value is None:
                record.pop(key, None)
            else:
                record[key] = value
        tx.set_meta(self.clip, META_KEY, record)


class ReplaceTake(Command):
    """Put ``reference`` in place of a clip's active take (a placeholder's generator) under the
    same key, make it active and keep the clip inside the new media."""

    text = "Replace Take"

    def __init__(self, clip: otio.schema.Clip, reference: otio.schema.MediaReference) -> None:
        super().__init__()
        self.clip, self.reference = clip, reference
        self.key: str | None = None

    def build(self, project: Project, tx: Transaction) -> None:
        if not isinstance(self.clip, otio.schema.Clip):
            raise InvalidEditError("Select a clip first.")
        refs = dict(self.clip.media_references())
        self.key = self.clip.active_media_reference_key
        refs[self.key] = self.reference
        tx.set_takes(self.clip, refs, self.key)
        _fit_to_take(tx, project, self.clip)


@dataclass
class AppendMetaItem(Op):
    """Append one item to the list ``obj.metadata["aladdin"][key]`` in place; revert pops it.

    O(1) where ``Transaction.set_meta`` converts and copies the whole list (the media bin
    holds hundreds of entries). Undo is LIFO, so the item is the last one when reverted.
    """

    obj: Any
    key: str
    item: dict[str, Any]
    created: bool = False  # the list (or the aladdin namespace) did not exist

    def apply(self) -> None:
        md = self.obj.metadata
        if NS not in md:
            md[NS] = {}
        if self.key not in md[NS]:
            md[NS][self.key] = []
        md[NS][self.key].append(copy.deepcopy(self.item))

    def revert(self) -> None:
        md = self.obj.metadata
        md[NS][self.key].pop()
        if self.created and len(md[NS][self.key]) == 0:
            del md[NS][self.key]


class AppendProjectEntry(Command):
    """Append ``entry`` to the project-level list ``key`` (the media bin, the references).

    With ``unique`` an entry whose ``entry[unique]`` is already listed is not added twice.
    """

    def __init__(self, key: str, entry: dict[str, Any], text: str = "Change Project", *,
                 unique: str | None = None) -> None:
        super().__init__()
        self.key, self.entry, self.text, self.unique = key, entry, text, unique

    def build(self, project: Project, tx: Transaction) -> None:
        md = project.collection.metadata
        current = md[NS][self.key] if NS in md and self.key in md[NS] else None
        if current is not None and not isinstance(current, otio._otio.AnyVector):
            tx.set_meta(project.collection, self.key, [dict(self.entry)])  # not a list: reset
        else:
            if self.unique is not None and current is not None and any(
                    hasattr(e, "get") and e.get(self.unique) == self.entry.get(self.unique)
                    for e in current):
                return
            op = AppendMetaItem(project.collection, self.key, S.to_py(dict(self.entry)),
                                created=current is None)
            op.apply()
            tx.ops.append(op)
        tx.topics.add(self.key)
