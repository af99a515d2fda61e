"""Which back-ends the media collection and the Brain use: MongoDB / Neo4j when their URIs
are set, the embedded SQLite stores in the user data dir otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .brain import Brain
from .media import MediaRepository

if TYPE_CHECKING:
    from aladdin_studio.config import Settings

__all__ = ["open_brain", "open_media"]


def _settings(settings: Settings | None) -> Settings:
    if settings is None:
        from aladdin_studio.config import load_settings

        settings = load_settings()
    return settings


def open_media(settings: Settings | None = None, *,
               path: str | Path | None = None) -> MediaRepository:
    """The media collection: ``MONGODB_URI`` → pymongo, else SQLite (``path`` or the data
    dir's ``library.sqlite3``)."""
    settings = _settings(settings)
    if settings.mongodb_uri and path is None:
        from .media_mongo import MongoMediaRepository

        return MongoMediaRepository(settings.mongodb_uri)
    from .media_sqlite import SqliteMediaRepository

    return SqliteMediaRepository(path)


def open_brain(settings: Settings | None = None, *, path: str | Path | None = None) -> Brain:
    """The Brain: ``NEO4J_URI`` → the neo4j driver, else SQLite (``brain.sqlite3``)."""
    settings = _settings(settings)
    if settings.neo4j_uri and path is None:
        from .brain_neo4j import Neo4jBrain

        return Brain(Neo4jBrain(settings.neo4j_uri, settings.neo4j_user,
                                settings.neo4j_password))
    from .brain_sqlite import SqliteBrain

    return Brain(SqliteBrain(path))
