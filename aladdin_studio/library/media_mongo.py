"""The media collection in MongoDB through the real ``pymongo`` client (``MONGODB_URI``).

Indexes created on start: unique ``id``, ``(projectId, createdAt)``, ``sha256``. Documents keep
the design doc's shape; ``createdAt`` is a BSON date. Names are matched case-insensitively via
lower-cased copies (``metadata.characterKeys`` / ``metadata.locationKeys``: the single
``characterName`` plus a render's ``characters`` list) so the queries use plain equality on
a multikey field.
"""

from __future__ import annotations

import re
from typing import Any

from .media import LibraryUnavailable, MediaDocument, MediaQuery

__all__ = ["MongoMediaRepository"]

DEFAULT_DB = "aladdin"
COLLECTION = "media"


def _safe_uri(uri: str) -> str:
    """The URI without its user info (never shown to anyone)."""
    return re.sub(r"//[^@/]*@", "//", uri)


def _key(value: Any) -> str | None:
    return str(value).casefold() if value not in (None, "") else None


class MongoMediaRepository:
    backend = "mongodb"

    def __init__(self, uri: str, *, database: str | None = None,
                 collection: str = COLLECTION, timeout_ms: int = 5000) -> None:
        import pymongo
        from pymongo.errors import ConfigurationError, PyMongoError

        try:
            self.client: Any = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms,
                                                   tz_aware=True, appname="aladdin-studio")
            db = self.client.get_default_database(default=database or DEFAULT_DB)
            self.collection = db[collection]
            self.collection.create_index("id", unique=True, name="id_unique")
            self.collection.create_index([("projectId", 1), ("createdAt", -1)],
                                         name="project_created")
            self.collection.create_index("sha256", name="sha256")
        except (ConfigurationError, PyMongoError) as exc:
            raise LibraryUnavailable(f"MongoDB at {_safe_uri(uri)} is not reachable "
                                     f"({type(exc).__name__}).") from None

    @staticmethod
    def _encode(doc: MediaDocument) -> dict[str, Any]:
        data = doc.to_dict()
        data["createdAt"] = doc.created_at
        meta = data["metadata"]
        for kind in ("character", "location"):
            names = [meta.get(f"{kind}Name"), *(meta.get(f"{kind}s") or [])]
            meta[f"{kind}Keys"] = sorted({k for k in map(_key, names) if k})
        return data

    @staticmethod
    def _decode(data: dict[str, Any]) -> MediaDocument:
        data = dict(data)
        data.pop("_id", None)
        meta = dict(data.get("metadata") or {})
        meta.pop("characterKeys", None)
        meta.pop("locationKeys", None)
        data["metadata"] = meta
        return MediaDocument.from_dict(data)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from pymongo.errors import PyMongoError

        try:
            return fn(*args, **kwargs)
        except PyMongoError as exc:
            raise LibraryUnavailable(f"MongoDB refused the request ({type(exc).__name__}).") \
                from None

    def put(self, doc: MediaDocument) -> MediaDocument:
        self._call(self.collection.replace_one, {"id": doc.id}, self._encode(doc), upsert=True)
        return doc

    def get(self, media_id: str) -> MediaDocument | None:
        data = self._call(self.collection.find_one, {"id": media_id})
        return self._decode(data) if data else None

    def delete(self, media_id: str) -> bool:
        return self._call(self.collection.delete_one, {"id": media_id}).deleted_count > 0

    @staticmethod
    def _filter(query: MediaQuery) -> dict[str, Any]:
        f: dict[str, Any] = {}
        if query.project_id is not None:
            f["projectId"] = query.project_id
        if query.type is not None:
            f["type"] = query.type
        ors = []
        if query.character is not None:
            ors.append({"$or": [{"metadata.characterReference": query.character},
                                {"metadata.characterKeys": _key(query.character)}]})
        if query.location is not None:
            ors.append({"$or": [{"metadata.locationReference": query.location},
                                {"metadata.locationKeys": _key(query.location)}]})
        if ors:
            f["$and"] = ors
        if query.method is not None:
            f["metadata.method"] = query.method
        if query.min_quality is not None:
            f["metadata.qualityScore"] = {"$gte": float(query.min_quality)}
        if query.scene_id is not None:
            f["metadata.sceneId"] = query.scene_id
        created: dict[str, Any] = {}
        if query.since is not None:
            created["$gte"] = query.since
        if query.until is not None:
            created["$lt"] = query.until
        if created:
            f["createdAt"] = created
        return f

    def find(self, query: MediaQuery) -> list[MediaDocument]:
        cursor = self._call(self.collection.find, self._filter(query))
        cursor = cursor.sort([("createdAt", -1), ("id", -1)]).skip(int(query.offset)).limit(
            int(query.limit))
        return [self._decode(d) for d in self._call(list, cursor)]

    def count(self, query: MediaQuery) -> int:
        return int(self._call(self.collection.count_documents, self._filter(query)))

    def by_sha256(self, sha256: str, project_id: str | None = None) -> list[MediaDocument]:
        f: dict[str, Any] = {"sha256": sha256}
        if project_id is not None:
            f["projectId"] = project_id
        cursor = self._call(self.collection.find, f).sort("createdAt", -1)
        return [self._decode(d) for d in self._call(list, cursor)]

    def close(self) -> None:
        self.client.close()

