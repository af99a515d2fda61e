"""The project's master references: character and location images reused across generations
for consistency (design doc: ``characterReference`` / ``locationReference``).

They live in the collection metadata ``"references"``, a list of
``{"id", "kind": "character" | "location", "name", "url", "hash"}`` (``url`` relative to the
project when the file is inside it, ``hash`` the file's sha256), and change through undoable
commands. Generation provenance records the ids of the references a request used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..timeline import schema as S
from ..timeline.document import Project
from ..timeline.media import media_url
from .commands import AppendProjectEntry
from .errors import InvalidInputError
from .placement import file_sha256
from .request import _check_image

__all__ = [
    "KINDS",
    "META_KEY",
    "add_reference",
    "find_reference",
    "list_references",
    "reference_id_for",
    "references",
    "resolve_reference",
]

KINDS = ("character", "location")
META_KEY = "references"


def _entries(project: Project) -> list[dict[str, Any]]:
    return [dict(e) for e in (S.get(project.collection, META_KEY, []) or [])
            if isinstance(e, dict)]


def references(project: Project, kind: str | None = None) -> list[dict[str, Any]]:
    """The library (optionally one kind), each entry with ``path``: its resolved file."""
    if kind is not None and kind not in KINDS:
        raise InvalidInputError(f"Unknown reference kind '{kind}'. Use character or location.")
    out = []
    for entry in _entries(project):
        if kind is None or entry.get("kind") == kind:
            entry["path"] = str(project.resolve_media(str(entry.get("url", ""))))
            out.append(entry)
    return out


list_references = references  # the name the Generate dialog looks up


def find_reference(project: Project, ref_id: str) -> dict[str, Any] | None:
    return next((e for e in references(project) if e.get("id") == ref_id), None)


def add_reference(project: Project, path: str | Path, kind: str,
                  name: str | None = None) -> AppendProjectEntry:
    """An undoable command adding ``path`` as a ``kind`` master reference; the new entry
    (with its ``id``) is ``command.entry``. Refuses non-images and duplicates."""
    if kind not in KINDS:
        raise InvalidInputError(f"Unknown reference kind '{kind}'. Use character or location.")
    path = Path(path)
    _check_image(path, f"a {kind} reference")
    digest = file_sha256(path)
    for entry in _entries(project):
        if entry.get("kind") == kind and entry.get("hash") == digest:
            raise InvalidInputError(f"{path.name} is already the {kind} reference "
                                    f"'{entry.get('name')}' ({entry.get('id')}).")
    entry = {"id": S.new_id(), "kind": kind, "name": (name or path.stem).strip() or path.stem,
             "url": media_url(project, path), "hash": digest}
    return AppendProjectEntry(META_KEY, entry, f"Add {kind.title()} Reference", unique="id")


def resolve_reference(project: Project, id_or_path: str | Path) -> Path:
    """The file of a reference given by library id, or an existing image path."""
    text = str(id_or_path)
    entry = find_reference(project, text)
    if entry is not None:
        path = Path(entry["path"])
        if not path.is_file():
            raise InvalidInputError(f"The file of reference '{entry.get('name')}' is missing: "
                                    f"{path}")
        return path
    path = Path(text).expanduser()
    if path.is_file():
        return path.absolute()
    raise InvalidInputError(f"'{text}' is neither a reference id in this project nor a file.")


def reference_id_for(project: Project, path: str | Path, digest: str | None = None,
                     kind: str | None = None) -> str | None:
    """The id of the library entry for ``path`` (same file, or same content), if any."""
    entries = references(project, kind)
    target = Path(path).resolve()
    for entry in entries:
        if Path(entry["path"]).resolve() == target:
            return entry.get("id")
    if digest is None:
        try:
            digest = file_sha256(target)
        except OSError:
            return None
    return next((e.get("id") for e in entries if e.get("hash") == digest), None)
