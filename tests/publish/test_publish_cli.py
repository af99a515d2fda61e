"""The issue's "done when", as a user runs it: generate a clip with a character and a
location reference onto the sample scene, publish the scene with no settings (local publish
folder), then with R2 variables pointing at the local S3 server and NEO4J_URI at the Bolt
server; ``media`` and ``brain`` answer by character and location; no secret is written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from s3_helpers import ACCESS_KEY_ID, SECRET_KEY

EXE = [sys.executable, "-m", "aladdin_studio.cli"]


@pytest.fixture
def cli(tmp_path: Path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / "xdg" / var.lower())
    for var in ("ALADDIN_PROVIDER", "FAL_KEY", "FAL_API_KEY", "REDIS_URL", "MONGODB_URI",
                "NEO4J_URI", "R2_ACCOUNT_ID", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY",
                "R2_ENDPOINT_URL", "R2_BUCKET_NAME", "R2_PUBLIC_DOMAIN"):
        env.pop(var, None)
    outputs: list[str] = []

    def run(*args, check=True, extra_env=None):
        proc = subprocess.run([*EXE, "--log-level", "DEBUG", *map(str, args)],
                              capture_output=True, text=True, env={**env, **(extra_env or {})},
                              timeout=180)
        outputs.extend([proc.stdout, proc.stderr])
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    run.outputs = outputs
    return run


def _images(tmp_path: Path) -> tuple[Path, Path]:
    from PIL import Image

    face, park = tmp_path / "sarah_face.png", tmp_path / "park.png"
    Image.new("RGB", (320, 320), (200, 80, 80)).save(face)
    Image.new("RGB", (320, 320), (40, 160, 60)).save(park)
    return face, park


def _credential_free(text: str) -> bool:
    """No secret key at all; the access key id only as a presigned URL's X-Amz-Credential."""
    if SECRET_KEY in text or SECRET_KEY.replace("/", "%2F") in text:
        return False
    cleaned = re.sub(r"X-Amz-Credential=" + ACCESS_KEY_ID, "X-Amz-Credential=", text)
    return ACCESS_KEY_ID not in cleaned


def test_publish_local_then_r2_and_query_by_character_and_location(
        cli, sample_project, tmp_path, s3_server, bucket, s3, bolt_server):
    face, park = _images(tmp_path)
    cli("generate", sample_project, "--method", "text-to-video", "--prompt",
        "Sarah walks in the park", "--duration", "1", "--provider", "local", "--seed", "3",
        "--character-ref", f"Sarah={face}", "--location-ref", park, "--wait")
    landed = json.loads(cli("media", sample_project, "--character", "Sarah", "--json").stdout)
    assert [m["metadata"]["method"] for m in landed["media"]] == ["text-to-video"]
    assert landed["media"][0]["url"].startswith(f"file://{sample_project}/media/")

    # 1. No settings: the local publish folder, file:// URLs.
    out = json.loads(cli("publish", sample_project, "--render-now", "--preset", "draft",
                         "--media", "generated", "--json").stdout)
    assert out["destination"] == "local"
    render = next(f for f in out["files"] if f["kind"] == "render")
    clip = next(f for f in out["files"] if f["kind"] == "media")
    folder = tmp_path / "xdg" / "xdg_data_home" / "aladdin-studio" / "publish"
    pid, sid = out["project_id"], out["scene_id"]
    assert render["key"].startswith(f"projects/{pid}/scenes/{sid}/")
    assert clip["key"] == f"projects/{pid}/videos/{clip['mediaId']}.mp4"
    assert (folder / render["key"]).is_file() and render["url"].startswith("file://")
    local_manifest = json.loads((folder / out["manifest"]["key"]).read_text())
    assert Path(out["manifest"]["path"]).parent == sample_project / "renders"
    prov = local_manifest["provenance"]
    assert [p["provenance"]["prompt"] for p in prov] == ["Sarah walks in the park"]
    assert prov[0]["characterName"] == "Sarah" and prov[0]["locationName"] == "park"
    assert clip["url"] in json.dumps(local_manifest["otio"])  # the take points at its URL

    found = json.loads(cli("media", sample_project, "--character", "sarah", "--json").stdout)
    assert found["backend"] == "sqlite"
    assert {m["id"] for m in found["media"]} == {render["mediaId"], clip["mediaId"]}
    by_place = json.loads(cli("media", sample_project, "--location", "Park", "--method",
                              "text-to-video", "--json").stdout)
    assert [m["id"] for m in by_place["media"]] == [clip["mediaId"]]
    the_render = out["manifest"]["path"].replace(".manifest.json", ".mp4")
    again = json.loads(cli("publish", sample_project, "--render", the_render, "--media",
                           "generated", "--json").stdout)
    assert all(f["skipped"] and f["uploaded_bytes"] == 0 for f in again["files"])

    # 2. R2 settings (the local S3 server) and NEO4J_URI (the Bolt server).
    r2 = {"R2_ENDPOINT_URL": s3_server, "R2_ACCESS_KEY_ID": ACCESS_KEY_ID,
          "R2_SECRET_ACCESS_KEY": SECRET_KEY, "R2_BUCKET_NAME": bucket,
          "NEO4J_URI": bolt_server.uri}
    pub = json.loads(cli("publish", sample_project, "--render", the_render, "--media",
                         "generated", "--json", extra_env=r2).stdout)
    assert pub["destination"] == "r2" and f"'{bucket}'" in pub["where"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {f["key"] for f in pub["files"]} | {pub["manifest"]["key"]}
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=pub["manifest"]["key"])["Body"]
                          .read())
    assert str(tmp_path) not in json.dumps(manifest)  # no local paths leave the machine
    assert manifest["provenance"][0]["provenance"]["inputs"]["character_ref"]["path"] == \
        face.name
    r2_clip = next(f for f in manifest["files"] if f["kind"] == "media")
    assert r2_clip["url"].startswith(f"{s3_server}/{bucket}/projects/{pid}/videos/")
    assert "X-Amz-Expires=" in r2_clip["url"] and r2_clip["urlExpiresAt"]
    assert r2_clip["url"] in json.dumps(manifest["otio"])
    head = s3.head_object(Bucket=bucket, Key=r2_clip["key"])
    assert head["ContentType"] == "video/mp4" and head["Metadata"]["sha256"] == r2_clip["sha256"]
    assert head["Metadata"]["project-id"] == pid and head["Metadata"]["method"] == "text-to-video"

    depicts = json.loads(cli("brain", sample_project, "depicts", "Sarah", "--json",
                             extra_env=r2).stdout)
    assert depicts["backend"] == "neo4j"
    assert {m["key"] for m in depicts["answer"]} >= {clip["mediaId"], render["mediaId"]}
    assert any(m.get("url", "").startswith(s3_server) for m in depicts["answer"])
    set_in = json.loads(cli("brain", sample_project, "set-in", "park", "--json",
                            extra_env=r2).stdout)
    assert [s["name"] for s in set_in["answer"]] == ["Scene 1"]
    made = json.loads(cli("brain", sample_project, "scene", "Scene 1", "--json",
                          extra_env=r2).stdout)
    assert made["answer"]["characters"] == ["Sarah"]
    missing = cli("brain", sample_project, "depicts", "Nobody", check=False, extra_env=r2)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1

    # 3. No secret in anything written: logs, manifests, library, project, outputs.
    written = [p for root in (tmp_path, sample_project) for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "aladdin-studio.log" for p in written)
    for path in written:
        text = path.read_bytes().decode("latin-1")
        assert _credential_free(text), f"a credential in {path}"
    assert all(_credential_free(text) for text in cli.outputs)


def test_user_errors_are_one_line_and_exit_2(xdg, sample_project, tmp_path, capsys):
    from aladdin_studio.cli import main

    for args in (["publish", sample_project],
                 ["publish", sample_project, "--render", tmp_path / "none.mp4"],
                 ["publish", sample_project, "--preset", "draft", "--media", "all"],
                 ["publish", sample_project, "--scene", "Nope", "--media", "all"],
                 ["publish", tmp_path / "missing.aladdin", "--media", "all"],
                 ["media", sample_project, "--min-quality", "3"],
                 ["media", sample_project, "--page", "0"],
                 ["publish", sample_project, "--media", "all", "--destination", "r2"],
                 ["brain", sample_project, "set-in", "Atlantis"]):
        status = main([str(a) for a in args])
        err = capsys.readouterr().err
        assert status == 2, (args, err)
        assert err.count("\n") == 1 and err.startswith("aladdin-studio: error:"), err
