"""The Brain: what was made from what, as a graph (design doc: ``createBrainRelationship``).

Nodes ``Media``, ``Character``, ``Location``, ``Scene``, ``Voice``; relationships::

    (Media)-[:USES_CHARACTER_REFERENCE]->(Character)   the reference image a generation used
    (Media)-[:DEPICTS]->(Character)                    who is in the shot
    (Media)-[:SET_IN]->(Location)                      where it happens (the location reference)
    (Media)-[:PART_OF]->(Scene)                        placed on the scene's timeline
    (Character)-[:VOICED_BY]->(Voice)                  the voice a character speaks with
    (Media)-[:VOICED_BY]->(Voice)                      a dialogue line and its voice
    (Media)-[:TAKE_OF]->(Media)                        a take and the take it replaced

Characters and locations are the reference library's named entries, keyed by project and
name (case-insensitive), so queries take the names a user knows. Every node has a ``key``
(its identity), a ``projectId`` and a ``name``. Two back-ends with the same interface:
``brain_sqlite`` (embedded) and ``brain_neo4j`` (the real driver, ``NEO4J_URI``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from .media import LibraryError

__all__ = [
    "ALLOWED",
    "LABELS",
    "RELATIONSHIPS",
    "Brain",
    "BrainBackend",
    "entity_key",
    "newest_first",
]

LABELS = ("Media", "Character", "Location", "Scene", "Voice")
RELATIONSHIPS = ("USES_CHARACTER_REFERENCE", "DEPICTS", "SET_IN", "PART_OF", "VOICED_BY",
                 "TAKE_OF")
ALLOWED = {
    ("Media", "USES_CHARACTER_REFERENCE", "Character"),
    ("Media", "DEPICTS", "Character"),
    ("Media", "SET_IN", "Location"),
    ("Scene", "SET_IN", "Location"),
    ("Media", "PART_OF", "Scene"),
    ("Character", "VOICED_BY", "Voice"),
    ("Media", "VOICED_BY", "Voice"),
    ("Media", "TAKE_OF", "Media"),
}
Props = dict[str, Any]


def entity_key(project_id: str, name_or_id: str) -> str:
    """The key of a project-scoped node (character, location, scene, voice)."""
    return f"{project_id}:{str(name_or_id).strip().casefold()}"


def newest_first(nodes: list[Props]) -> list[Props]:
    """Media nodes by ``createdAt`` (ISO text), newest first; ties by key."""
    return sorted(nodes, key=lambda p: (str(p.get("createdAt") or ""), str(p.get("key"))),
                  reverse=True)


def _clean(props: Props) -> Props:
    """Graph properties are scalars or lists of scalars; None means "not set"."""
    out = {}
    for name, value in props.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = [v for v in value if isinstance(v, str | int | float | bool)]
        elif not isinstance(value, str | int | float | bool):
            value = str(value)
        out[name] = value
    return out


class BrainBackend(Protocol):
    backend: str

    def merge_nodes(self, label: str, rows: list[tuple[str, Props]]) -> None:
        """Create or update nodes ``(key, props)``; props are merged into existing ones."""

    def merge_edges(self, src_label: str, rel: str, dst_label: str,
                    rows: list[tuple[str, str, Props]]) -> None:
        """Create (once) relationships ``(src_key, dst_key, props)`` between existing nodes."""

    def node(self, label: str, key: str) -> Props | None: ...

    def find_node(self, label: str, project_id: str, text: str) -> Props | None:
        """A project's node whose key, name (case-insensitive) or ``refId`` is ``text``."""

    def media_to(self, rel: str, label: str, key: str) -> list[Props]:
        """Media nodes with ``rel`` to the node ``(label, key)``, newest first."""

    def scenes_with_media_to(self, rel: str, label: str, key: str) -> list[Props]:
        """Scenes holding media with ``rel`` to ``(label, key)``, or with ``rel`` themselves."""

    def out_edges(self, label: str, key: str) -> list[tuple[str, str, Props, Props]]:
        """``(rel, dst_label, dst_props, edge_props)`` leaving ``(label, key)``."""

    def close(self) -> None: ...


class Brain:
    """Writes the relationships the app knows about and answers the four questions."""

    def __init__(self, backend: BrainBackend) -> None:
        self.backend = backend

    @property
    def name(self) -> str:
        return self.backend.backend

    def close(self) -> None:
        self.backend.close()

    # ------------------------------------------------------------------ writing

    def _entity(self, label: str, project_id: str, name: str, **props: Any) -> str:
        name = str(name).strip()
        if not name:
            raise LibraryError(f"A {label.lower()} needs a name.")
        key = entity_key(project_id, name)
        self.backend.merge_nodes(label, [(key, _clean({"projectId": project_id, "name": name,
                                                        **props}))])
        return key

    def _edge(self, src_label: str, src: str, rel: str, dst_label: str, dst: str,
              **props: Any) -> None:
        if (src_label, rel, dst_label) not in ALLOWED:
            raise LibraryError(f"The Brain has no ({src_label})-[:{rel}]->({dst_label}).")
        self.backend.merge_edges(src_label, rel, dst_label, [(src, dst, _clean(props))])

    def record_media(self, project_id: str, media_id: str, **props: Any) -> str:
        """The Media node (id = the media document id)."""
        self.backend.merge_nodes("Media", [(media_id, _clean({"projectId": project_id,
                                                              "mediaId": media_id, **props}))])
        return media_id

    def record_generated(self, project_id: str, media_id: str, *,
                         character: dict[str, Any] | None = None,
                         location: dict[str, Any] | None = None, **props: Any) -> None:
        """A generated clip and the references it used. ``character`` / ``location`` are
        reference library entries (``name``, ``id``, ``hash``)."""
        self.record_media(project_id, media_id, **props)
        if character and character.get("name"):
            key = self._entity("Character", project_id, character["name"],
                               refId=character.get("id"), sha256=character.get("hash"))
            self._edge("Media", media_id, "USES_CHARACTER_REFERENCE", "Character", key,
                       refId=character.get("id"), sha256=character.get("hash"))
            self._edge("Media", media_id, "DEPICTS", "Character", key)
        if location and location.get("name"):
            key = self._entity("Location", project_id, location["name"],
                               refId=location.get("id"), sha256=location.get("hash"))
            self._edge("Media", media_id, "SET_IN", "Location", key,
                       refId=location.get("id"), sha256=location.get("hash"))

    def record_placed(self, project_id: str, media_id: str, scene_id: str, scene_name: str,
                      *, replaced: str | None = None, clip: str | None = None) -> None:
        """``media_id`` is on the timeline of a scene (replacing the take ``replaced``)."""
        scene = entity_key(project_id, scene_id)
        self.backend.merge_nodes("Scene", [(scene, _clean({"projectId": project_id,
                                                           "name": scene_name,
                                                           "sceneId": scene_id}))])
        self.record_media(project_id, media_id)
        self._edge("Media", media_id, "PART_OF", "Scene", scene, clip=clip)
        if replaced and replaced != media_id:
            self.record_media(project_id, replaced)
            self._edge("Media", media_id, "TAKE_OF", "Media", replaced)

    def record_depicts(self, project_id: str, media_id: str, characters: Iterable[str]) -> None:
        for name in characters:
            key = self._entity("Character", project_id, name)
            self._edge("Media", media_id, "DEPICTS", "Character", key)

    def record_voiced(self, project_id: str, character: str, voice_id: str, *,
                      voice_name: str | None = None, media_id: str | None = None,
                      provider: str | None = None) -> None:
        """A character speaks with ``voice_id``; ``media_id`` is a line it said."""
        voice = entity_key(project_id, voice_id)
        self.backend.merge_nodes("Voice", [(voice, _clean({
            "projectId": project_id, "name": voice_name or voice_id, "voiceId": voice_id,
            "provider": provider}))])
        who = self._entity("Character", project_id, character)
        self._edge("Character", who, "VOICED_BY", "Voice", voice)
        if media_id:
            self.record_media(project_id, media_id, type="audio")
            self._edge("Media", media_id, "VOICED_BY", "Voice", voice)
            self._edge("Media", media_id, "DEPICTS", "Character", who)

    def record_published(self, project_id: str, media_id: str, url: str,
                         storage_key: str | None = None) -> None:
        self.record_media(project_id, media_id, url=url, storageKey=storage_key)

    # ------------------------------------------------------------------ questions

    def _find(self, label: str, project_id: str, text: str) -> Props:
        node = self.backend.find_node(label, project_id, text)
        if node is None:
            raise LibraryError(f"No {label.lower()} named '{text}' in this project's Brain.")
        return node

    def shots_depicting(self, project_id: str, character: str) -> list[Props]:
        """Every media node depicting ``character`` (name or reference id)."""
        node = self._find("Character", project_id, character)
        return self.backend.media_to("DEPICTS", "Character", node["key"])

    def scenes_set_in(self, project_id: str, location: str) -> list[Props]:
        """Every scene with a shot set in ``location`` (name or reference id)."""
        node = self._find("Location", project_id, location)
        return self.backend.scenes_with_media_to("SET_IN", "Location", node["key"])

    def references_of(self, media_id: str) -> list[Props]:
        """The references a clip used: ``{"kind", "name", "refId", "sha256"}``."""
        out = []
        for rel, label, node, edge in self.backend.out_edges("Media", media_id):
            if rel == "USES_CHARACTER_REFERENCE" or (rel == "SET_IN" and label == "Location"):
                out.append({"kind": "character" if label == "Character" else "location",
                            "name": node.get("name"), "refId": edge.get("refId"),
                            "sha256": edge.get("sha256")})
        return sorted(out, key=lambda r: (r["kind"], str(r["name"])))

    def related(self, media_id: str) -> dict[str, list[str]]:
        """For the Inspector: names this clip depicts, is set in, used, is part of, voiced
        by, and the ids of the takes it replaced."""
        found: dict[str, list[str]] = {"depicts": [], "set_in": [], "references": [],
                                       "scenes": [], "voices": [], "take_of": []}
        slot = {"DEPICTS": "depicts", "SET_IN": "set_in", "PART_OF": "scenes",
                "VOICED_BY": "voices", "TAKE_OF": "take_of",
                "USES_CHARACTER_REFERENCE": "references"}
        for rel, _label, node, _edge in self.backend.out_edges("Media", media_id):
            name = str(node.get("key") if rel == "TAKE_OF" else node.get("name") or node.get("key"))
            if rel == "SET_IN":
                found["references"].append(name)
            found[slot[rel]].append(name)
        return {k: sorted(set(v)) for k, v in found.items()}

    def scene_contents(self, project_id: str, scene: str) -> dict[str, Any]:
        """What a scene is made of: its media, and the characters, locations and voices
        they bring."""
        node = self._find("Scene", project_id, scene)
        media = self.backend.media_to("PART_OF", "Scene", node["key"])
        characters: set[str] = set()
        locations: set[str] = set()
        voices: set[str] = set()
        rows = []
        for m in media:
            related = self.related(m["key"])
            characters.update(related["depicts"])
            locations.update(related["set_in"])
            voices.update(related["voices"])
            rows.append({**m, "depicts": related["depicts"], "setIn": related["set_in"]})
        return {"scene": node, "media": rows, "characters": sorted(characters),
                "locations": sorted(locations), "voices": sorted(voices)}
