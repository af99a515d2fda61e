"""OTIOZ packs only media under distinct names and lists what comes from outside;
``info`` marks outside media; imported clip names are one clean line."""

from __future__ import annotations

import json
import os
import shutil
import zipfile

from aladdin_studio.cli import main
from aladdin_studio.timeline.names import clean_name


def retarget(bundle, targets: dict[str, str]) -> None:
    """Point clips (by name) of the first video track at other URLs, in the file."""
    path = bundle / "project.otio"
    doc = json.loads(path.read_text())
    for item in doc["children"][0]["tracks"]["children"][0]["children"]:
        if item.get("name") in targets:
            item["media_references"]["take1"]["target_url"] = targets[item["name"]]
    path.write_text(json.dumps(doc))


def test_otioz_packs_only_media_with_distinct_names(capsys, sample_project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "a").mkdir(parents=True)
    (elsewhere / "b").mkdir()
    shutil.copy(sample_project / "media" / "pattern-3.mp4", elsewhere / "a" / "take.mp4")
    shutil.copy(sample_project / "media" / "pattern-4.mp4", elsewhere / "b" / "take.mp4")
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    (tmp_path / "notes.mp4").write_text("secret notes, not a video")
    retarget(sample_project, {
        "pattern-1": "../../../../../../../../etc/passwd",
        "pattern-2": str(elsewhere / "a" / "take.mp4"),
        "pattern-3": str(elsewhere / "b" / "take.mp4"),
        "pattern-4": str(fifo),
        "title-card": str(tmp_path / "notes.mp4"),
    })
    out = tmp_path / "out.otioz"
    assert main(["export", str(sample_project), "--format", "otioz", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    with zipfile.ZipFile(out) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("media/"))
        sizes = {n: archive.getinfo(n).file_size for n in names}
        inner = archive.read("content.otio").decode()
    audio = ["media/dialogue-1.m4a", "media/dialogue-2.m4a", "media/music-bed.m4a"]
    assert names == [*audio, "media/take-2.mp4", "media/take.mp4"], names
    assert sorted(sizes[n] for n in names if "take" in n) == sorted(
        (elsewhere / d / "take.mp4").stat().st_size for d in "ab")
    assert "root:" not in inner and "passwd" in err and "system folder" in err
    assert "pipe.mp4" in err and "notes.mp4" in err and "not a media file" in err
    assert str(elsewhere / "a" / "take.mp4") in err and str(elsewhere / "b" / "take.mp4") in err
    assert "outside the project folder" in err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_otioz_refuses_devices_and_folders(capsys, sample_project, tmp_path):
    retarget(sample_project, {"pattern-1": "/dev/zero", "pattern-2": str(tmp_path),
                              "pattern-3": "/etc/shadow"})
    out = tmp_path / "x.otioz"
    assert main(["export", str(sample_project), "--format", "otioz", "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("media/"))
    assert [n for n in names if not n.endswith(".m4a")] == ["media/pattern-4.mp4",
                                                            "media/title-card.png"]


def test_info_marks_media_outside_the_project(capsys, sample_project, tmp_path):
    outside = tmp_path / "outside.mp4"
    shutil.copy(sample_project / "media" / "pattern-2.mp4", outside)
    retarget(sample_project, {"pattern-2": str(outside)})
    assert main(["info", str(sample_project)]) == 0
    text = capsys.readouterr().out
    line = next(ln for ln in text.splitlines() if "pattern-2" in ln)
    assert "[outside the project folder]" in line
    assert "[outside" not in next(ln for ln in text.splitlines() if "pattern-1" in ln)
    assert f"1 media file(s) outside the project folder: {outside}" in text
    assert main(["info", str(sample_project), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["media_outside_project"] == [str(outside)]


def test_imported_clip_names_are_one_clean_line(capsys, sample_project, tmp_path):
    png = sample_project / "media" / "title-card.png"
    names = ["new\nline.png", "rtl-\u202egnp.exe.png", "tab\tand\x07bell.png",
             "zero\u200bwidth\u2066.png"]
    for name in names:
        shutil.copy(png, tmp_path / name)
    assert main(["import", str(sample_project), *(str(tmp_path / n) for n in names),
                 "--append-to", "V1"]) == 0
    capsys.readouterr()
    assert main(["info", str(sample_project), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    clips = [i["name"] for i in data["scenes"][0]["tracks"][0]["items"] if i["type"] == "clip"]
    assert clips[-4:] == ["new line", "rtl-gnp.exe", "tab andbell", "zerowidth"]
    assert main(["info", str(sample_project)]) == 0
    text = capsys.readouterr().out
    assert "\u202e" not in text and "\x07" not in text
    assert sum("new line" in ln for ln in text.splitlines()) == 1
    assert clean_name("\n\t") == "clip" and clean_name("a" * 300).endswith("…")
