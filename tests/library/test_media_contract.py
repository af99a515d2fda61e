"""The media collection contract, run on every back-end (SQLite; MongoDB when MONGODB_URI)."""

from __future__ import annotations

import datetime as dt

import pytest

from aladdin_studio.library.media import LibraryError, MediaDocument, MediaQuery

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _doc(i: int, project: str = "p1", **meta) -> MediaDocument:
    base = {"method": "text-to-video", "duration": 7.0, "fps": 24, "resolution": "1920x1080",
            "provider": "local", "model": "local/animatic", "cost": 0.0}
    return MediaDocument(id=f"m{i:03d}", project_id=project, type=meta.pop("type", "video"),
                         url=f"file:///tmp/m{i}.mp4", storage_key=None, sha256=f"{i:064x}",
                         size=1000 + i, metadata={**base, **meta},
                         created_at=T0 + dt.timedelta(minutes=i))


def test_put_get_roundtrip_keeps_the_design_shape(media_repo):
    doc = _doc(1, characterReference="ref1", characterName="Sarah", locationName="Park",
               qualityScore=0.86, sceneId="s1", voice="en+f3")
    media_repo.put(doc)
    back = media_repo.get("m001")
    assert back == doc
    data = back.to_dict()
    assert set(data) == {"id", "projectId", "type", "url", "storageKey", "sha256", "size",
                         "metadata", "createdAt"}
    assert data["metadata"]["qualityScore"] == 0.86
    assert media_repo.get("nope") is None


def test_put_replaces_by_id_and_delete(media_repo):
    media_repo.put(_doc(1))
    media_repo.put(_doc(1).with_changes(url="https://cdn/x.mp4", storage_key="projects/p1/x",
                                        metadata={"qualityScore": 0.5}))
    assert media_repo.count(MediaQuery(project_id="p1")) == 1
    got = media_repo.get("m001")
    assert got.url == "https://cdn/x.mp4" and got.storage_key == "projects/p1/x"
    assert got.meta("qualityScore") == 0.5 and got.meta("method") == "text-to-video"
    assert media_repo.delete("m001") is True
    assert media_repo.delete("m001") is False
    assert media_repo.get("m001") is None


def test_queries_filter_sort_newest_first_and_paginate(media_repo):
    for i in range(12):
        media_repo.put(_doc(
            i, project="p1" if i < 10 else "p2",
            type="audio" if i % 5 == 4 else "video",
            method="image-to-video" if i % 2 else "text-to-video",
            characterReference=f"ref-{'sarah' if i % 3 == 0 else 'tom'}",
            characterName="Sarah" if i % 3 == 0 else "Tom",
            locationName="Park" if i < 6 else "Beach", qualityScore=i / 10))
    ids = lambda q: [d.id for d in media_repo.find(q)]  # noqa: E731
    assert ids(MediaQuery(project_id="p1")) == [f"m{i:03d}" for i in range(9, -1, -1)]
    assert ids(MediaQuery(project_id="p1", type="audio")) == ["m009", "m004"]
    assert ids(MediaQuery(project_id="p1", character="sarah")) == ["m009", "m006", "m003",
                                                                     "m000"]
    assert ids(MediaQuery(project_id="p1", character="ref-tom", location="PARK")) == \
        ["m005", "m004", "m002", "m001"]
    assert ids(MediaQuery(project_id="p1", method="image-to-video", min_quality=0.5)) == \
        ["m009", "m007", "m005"]
    assert ids(MediaQuery(project_id="p1", since=T0 + dt.timedelta(minutes=3),
                          until=T0 + dt.timedelta(minutes=5))) == ["m004", "m003"]
    pages = [ids(MediaQuery(project_id="p1", limit=4, offset=o)) for o in (0, 4, 8)]
    assert pages == [["m009", "m008", "m007", "m006"], ["m005", "m004", "m003", "m002"],
                     ["m001", "m000"]]
    assert media_repo.count(MediaQuery(project_id="p1", location="park")) == 6
    assert media_repo.count(MediaQuery(character="Nobody")) == 0


def test_by_sha256(media_repo):
    media_repo.put(_doc(1))
    media_repo.put(_doc(2, project="p2").with_changes(sha256=f"{1:064x}"))
    assert {d.id for d in media_repo.by_sha256(f"{1:064x}")} == {"m001", "m002"}
    assert [d.id for d in media_repo.by_sha256(f"{1:064x}", "p2")] == ["m002"]


def test_bad_queries_and_documents_are_refused():
    with pytest.raises(LibraryError, match="media type"):
        MediaQuery(type="gif")
    with pytest.raises(LibraryError, match="page"):
        MediaQuery(limit=0)
    with pytest.raises(LibraryError, match="Quality"):
        MediaQuery(min_quality=2)
    with pytest.raises(LibraryError, match="project"):
        MediaDocument(id="x", project_id="", type="video")


def test_sqlite_store_is_shared_by_threads_and_reopens(tmp_path):
    import threading

    from aladdin_studio.library.media_sqlite import SqliteMediaRepository

    repo = SqliteMediaRepository(tmp_path / "lib.sqlite3")
    threads = [threading.Thread(target=lambda k=k: [repo.put(_doc(k * 10 + i))
                                                     for i in range(10)]) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    repo.close()
    again = SqliteMediaRepository(tmp_path / "lib.sqlite3")
    assert again.count(MediaQuery(project_id="p1")) == 40
    again.close()


def test_a_render_is_found_by_any_character_or_location_it_holds(media_repo):
    media_repo.put(_doc(1, characters=["Sarah", "Tom_1"], locations=["Park"]))
    media_repo.put(_doc(2, characterName="Tom"))
    assert [d.id for d in media_repo.find(MediaQuery(character="tom_1"))] == ["m001"]
    assert [d.id for d in media_repo.find(MediaQuery(character="Tom"))] == ["m002"]
    assert [d.id for d in media_repo.find(MediaQuery(character="tom%"))] == []
    assert [d.id for d in media_repo.find(MediaQuery(location="park"))] == ["m001"]
