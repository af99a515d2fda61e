"""The REST routes against a real uvicorn server with httpx: access (401), projects and
scenes, a text-to-video job from submit to the fetched file, and the errors (404 of another
project's video, 422 naming the field, 413, 429 at the hourly limit, 501 for what this
build lacks)."""

from __future__ import annotations

import base64

from api_helpers import generate_body, wait_for


def _job(api, pid, job_id):
    return api.client.get(f"/api/v1/projects/{pid}/videos/jobs/{job_id}").json()


def test_every_route_needs_the_token_and_docs_list_them(api, new_project):
    pid = new_project().id
    for method, path in (("GET", "/api/v1/projects"), ("GET", f"/api/v1/projects/{pid}/scenes"),
                         ("POST", f"/api/v1/projects/{pid}/videos/generate"),
                         ("GET", f"/api/v1/projects/{pid}/videos/jobs/x")):
        r = api.anonymous.request(method, path, json={})
        assert r.status_code == 401, path
        assert r.json()["kind"] == "auth"
    wrong = api.anonymous.get("/api/v1/projects", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    docs = api.anonymous.get("/docs")
    assert docs.status_code == 200 and "/docs-static/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()  # works offline
    js = api.anonymous.get("/docs-static/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    paths = api.anonymous.get("/openapi.json").json()["paths"]
    for route in ("/api/v1/projects", "/api/v1/projects/{projectId}/scenes",
                  "/api/v1/projects/{projectId}/videos/generate",
                  "/api/v1/projects/{projectId}/videos/assemble",
                  "/api/v1/projects/{projectId}/videos/verify",
                  "/api/v1/projects/{projectId}/videos/{videoId}",
                  "/api/v1/projects/{projectId}/videos/jobs/{jobId}",
                  "/api/v1/projects/{projectId}/scenes/{scene}/render",
                  "/api/v1/projects/{projectId}/scenes/{scene}/publish"):
        assert route in paths, route


def test_projects_are_listed_by_id_and_unknown_ids_are_404(api, new_project):
    entry = new_project("Listed")
    listed = api.client.get("/api/v1/projects").json()["projects"]
    assert {"id": entry.id, "name": "Listed"}.items() <= next(
        p for p in listed if p["id"] == entry.id).items()
    for bad in ("nope", "..%2F..%2Fetc", "abc.def"):
        r = api.client.get(f"/api/v1/projects/{bad}/scenes")
        assert r.status_code == 404 and r.json()["kind"] == "not_found"
    scenes = api.client.get(f"/api/v1/projects/{entry.id}/scenes").json()["scenes"]
    assert [s["name"] for s in scenes] == ["Scene 1"]
    assert [t["name"] for t in scenes[0]["tracks"]][0] == "V1"


def test_text_to_video_from_submit_to_the_fetched_file(api, new_project):
    pid = new_project().id
    r = api.client.post(f"/api/v1/projects/{pid}/videos/generate", json=generate_body())
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "queued" and body["estimatedTime"] > 0
    job_id = body["jobId"]
    first = _job(api, pid, job_id)
    assert first["type"] == "video_generation"
    assert first["status"] in ("queued", "processing") and first["createdAt"]
    done = wait_for(lambda: (j := _job(api, pid, job_id))["status"] in ("complete", "failed")
                    and j, what="the job to finish")
    assert done["status"] == "complete", done["error"]
    assert done["progress"] == 1.0 and done["completedAt"] and done["error"] is None
    assert 0.0 <= done["result"]["qualityScore"] <= 1.0  # the generation's own check
    assert done["result"]["videoId"] == job_id
    assert done["result"]["url"] == f"/api/v1/projects/{pid}/videos/{job_id}"

    doc = api.client.get(done["result"]["url"]).json()
    assert doc["_id"] == job_id and doc["projectId"] == pid and doc["type"] == "video"
    assert doc["metadata"]["method"] == "text-to-video"
    assert abs(doc["metadata"]["duration"] - 1.0) < 0.1 and doc["metadata"]["fps"] > 0
    video = api.client.get(doc["url"])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"

    # the clip landed on the timeline: the placeholder became the generated take
    def landed():
        clips = api.client.get(f"/api/v1/projects/{pid}/scenes").json()[
            "scenes"][0]["tracks"][0]["clips"]
        return clips and not clips[0]["generation"]["placeholder"] and clips
    clips = wait_for(landed, what="the result on the timeline")
    assert clips[0]["generation"]["job_id"] == job_id
    assert clips[0]["generation"]["status"] == "done"


def test_another_projects_video_and_job_are_404(api, new_project):
    a, b = new_project("A").id, new_project("B").id
    job_id = api.client.post(f"/api/v1/projects/{a}/videos/generate",
                             json=generate_body("a lighthouse at dusk")).json()["jobId"]
    wait_for(lambda: _job(api, a, job_id)["status"] == "complete", what="the job")
    assert api.client.get(f"/api/v1/projects/{a}/videos/{job_id}").status_code == 200
    for path in (f"/api/v1/projects/{b}/videos/{job_id}",
                 f"/api/v1/projects/{b}/videos/{job_id}/file",
                 f"/api/v1/projects/{b}/videos/jobs/{job_id}",
                 f"/api/v1/projects/{a}/videos/0123456789abcdef",
                 f"/api/v1/projects/{a}/videos/jobs/0123456789abcdef"):
        r = api.client.get(path)
        assert r.status_code == 404, path
        assert r.json()["kind"] == "not_found"


def test_validation_errors_are_422_naming_the_field(api, new_project):
    pid = new_project().id
    url = f"/api/v1/projects/{pid}/videos/generate"
    cases = [
        ({"method": "text-to-video", "input": {}}, "input.prompt"),
        ({"method": "text-to-gif", "input": {"prompt": "x"}}, "method"),
        (generate_body(duration=9), "parameters.duration"),
        (generate_body(quality="ultra"), "parameters.quality"),
        ({**generate_body(), "extra": 1}, "extra"),
        ({"method": "image-to-video", "input": {"prompt": "x", "sourceImage": "/etc/passwd"}},
         "input.sourceImage"),
        ({"method": "image-to-video", "input": {"prompt": "x",
                                                "sourceImage": "data:image/png;base64,@@@"}},
         "input.sourceImage"),
    ]
    for body, field in cases:
        r = api.client.post(url, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"] == field, r.json()
        assert r.json()["kind"] == "invalid_input"
    # a request the generation service refuses (image-to-video without an image)
    r = api.client.post(url, json={"method": "image-to-video", "input": {"prompt": "x"}})
    assert r.status_code == 422 and "needs an image" in r.json()["error"]
    assert api.client.get(f"/api/v1/projects/{pid}/jobs").json()["jobs"] == []


def test_image_to_video_takes_a_data_url_image(api, new_project, tmp_path):
    from PIL import Image

    pid = new_project().id
    Image.new("RGB", (480, 320), (200, 80, 40)).save(tmp_path / "in.png")
    data = base64.b64encode((tmp_path / "in.png").read_bytes()).decode()
    r = api.client.post(f"/api/v1/projects/{pid}/videos/generate", json={
        "method": "image-to-video",
        "parameters": {"duration": 1, "motion": "zoom", "quality": "draft"},
        "input": {"prompt": "slow zoom", "sourceImage": f"data:image/png;base64,{data}"}})
    assert r.status_code == 202, r.text
    job = wait_for(lambda: (j := _job(api, pid, r.json()["jobId"]))["status"] != "queued"
                   and j["status"] != "processing" and j, 90, "the job")
    assert job["status"] == "complete", job["error"]


def test_bodies_over_the_limit_are_413(api, new_project):
    pid = new_project().id
    big = generate_body("x" * 10)
    big["input"]["sourceImage"] = "data:image/png;base64," + "A" * (1024 * 1024)
    r = api.client.post(f"/api/v1/projects/{pid}/videos/generate", json=big)
    assert r.status_code == 413 and "larger than 1 MB" in r.json()["error"]

    def chunks():  # no Content-Length: counted while reading
        yield b'{"method": "text-to-video", "input": {"prompt": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}}'
    r = api.client.post(f"/api/v1/projects/{pid}/videos/generate", content=chunks(),
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_the_hourly_limit_answers_429(api, new_project, settings):
    settings.max_generations_per_hour = 2
    pid = new_project().id
    url = f"/api/v1/projects/{pid}/videos/generate"
    for i in range(2):
        assert api.client.post(url, json=generate_body(f"shot {i}")).status_code == 202
    r = api.client.post(url, json=generate_body("one too many"))
    assert r.status_code == 429, r.text
    assert r.json()["kind"] == "quota" and "per hour" in r.json()["error"]
    assert r.headers["Retry-After"]
    # the refused request left nothing on the timeline
    clips = api.client.get(f"/api/v1/projects/{pid}/scenes").json()["scenes"][0][
        "tracks"][0]["clips"]
    assert len(clips) == 2


def test_verify_scores_a_generated_clip_synchronously(api, new_project):
    pid = new_project().id
    job_id = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                             json=generate_body("a slow pan over hills")).json()["jobId"]
    wait_for(lambda: _job(api, pid, job_id)["status"] == "complete", what="the job")
    r = api.client.post(f"/api/v1/projects/{pid}/videos/verify",
                        json={"videoId": job_id, "checkTypes": ["duration", "fps"]})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["videoId"] == job_id and isinstance(result["passed"], bool)
    assert 0.0 <= result["overallQuality"] <= 1.0
    assert [c["type"] for c in result["checks"]] == ["duration", "fps"]
    assert result["checks"][0]["passed"] is True  # 1 s asked, 1 s made
    assert isinstance(result["issues"], list) and isinstance(result["suggestions"], list)
    # the route checks the take with the parameters its generation step used (the local
    # provider renders below the model's resolution, which that step allowed for)
    r = api.client.post(f"/api/v1/projects/{pid}/videos/verify",
                        json={"videoId": job_id, "checkTypes": ["resolution"]})
    assert r.status_code == 200 and r.json()["checks"][0]["passed"] is True, r.text
    r = api.client.post(f"/api/v1/projects/{pid}/videos/verify",
                        json={"videoId": job_id, "checkTypes": ["sharpness"]})
    assert r.status_code == 422 and r.json()["field"] == "checkTypes"
    r = api.client.post(f"/api/v1/projects/{pid}/videos/verify", json={"videoId": "nope"})
    assert r.status_code == 404


def test_render_queues_an_export_job_of_the_scene(api, new_project):
    pid = new_project().id
    job_id = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                             json=generate_body("a boat at sea")).json()["jobId"]
    wait_for(lambda: _job(api, pid, job_id)["status"] == "complete", what="the clip")
    wait_for(lambda: not api.client.get(f"/api/v1/projects/{pid}/scenes").json()["scenes"][0][
        "tracks"][0]["clips"][0]["generation"]["placeholder"], what="the clip on the timeline")
    r = api.client.post(f"/api/v1/projects/{pid}/scenes/Scene%201/render",
                        json={"preset": "draft"})
    assert r.status_code == 202, r.text
    render_id = r.json()["jobId"]
    done = wait_for(lambda: (j := _job(api, pid, render_id))["status"] in ("complete", "failed")
                    and j, 60, "the render")
    assert done["status"] == "complete", done["error"]
    assert done["type"] == "render"
    doc = api.client.get(done["result"]["url"]).json()
    assert doc["metadata"]["resolution"] == "960x540" and doc["metadata"]["duration"] > 0.9
    assert api.client.get(doc["url"]).content[4:8] == b"ftyp"
    for body, status, field in (({"preset": "8k"}, 422, "preset"),
                                ({"range": [3, 1]}, 422, "range")):
        r = api.client.post(f"/api/v1/projects/{pid}/scenes/Scene%201/render", json=body)
        assert (r.status_code, r.json().get("field")) == (status, field)
    r = api.client.post(f"/api/v1/projects/{pid}/scenes/Nowhere/render", json={})
    assert r.status_code == 404 and "Scene 1" in r.json()["error"]


def test_publish_sends_the_latest_render_to_the_local_folder(api, new_project):
    pid = new_project().id
    job_id = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                             json=generate_body("a kite in wind")).json()["jobId"]
    wait_for(lambda: _job(api, pid, job_id)["status"] == "complete", what="the clip")
    wait_for(lambda: not api.client.get(f"/api/v1/projects/{pid}/scenes").json()["scenes"][0][
        "tracks"][0]["clips"][0]["generation"]["placeholder"], what="the clip on the timeline")
    render_id = api.client.post(f"/api/v1/projects/{pid}/scenes/Scene%201/render",
                                json={"preset": "draft"}).json()["jobId"]
    wait_for(lambda: _job(api, pid, render_id)["status"] == "complete", 60, "the render")
    r = api.client.post(f"/api/v1/projects/{pid}/scenes/Scene%201/publish",
                        json={"destination": "local"})
    assert r.status_code == 202, r.text
    done = wait_for(lambda: (j := _job(api, pid, r.json()["jobId"]))["status"]
                    in ("complete", "failed") and j, 60, "the publish")
    assert done["status"] == "complete", done["error"]
    assert done["type"] == "publish" and done["result"]["destination"] == "local"
    urls = [f["url"] for f in done["result"]["files"]]
    assert urls and all(u.startswith("file://") for u in urls)
    assert done["result"]["manifest"].startswith("file://")
    # published with its clips: the media collection's document answers for the clip
    r = api.client.post(f"/api/v1/projects/{pid}/scenes/Scene%201/publish",
                        json={"destination": "local", "renderId": render_id,
                              "media": "generated"})
    assert r.status_code == 202, r.text
    wait_for(lambda: _job(api, pid, r.json()["jobId"])["status"] == "complete", 60,
             "the publish with media")
    doc = api.client.get(f"/api/v1/projects/{pid}/videos/{job_id}").json()
    assert doc["_id"] == job_id and doc["projectId"] == pid
    assert doc["publicUrl"].startswith("file://") and doc["storageKey"]
    assert doc["metadata"]["method"] == "text-to-video"
    assert api.client.get(doc["url"]).content[4:8] == b"ftyp"
    other = new_project("Other").id
    assert api.client.get(f"/api/v1/projects/{other}/videos/{job_id}").status_code == 404
    r = api.client.post(f"/api/v1/projects/{pid}/scenes/Scene%201/publish",
                        json={"renderId": job_id})  # a generation, not a render
    assert r.status_code == 422 and r.json()["field"] == "renderId"


def test_assemble_builds_a_new_scene_and_renders_it(api, new_project):
    pid = new_project().id
    ids = [api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                           json=generate_body(prompt)).json()["jobId"]
           for prompt in ("a door opens", "a hallway")]
    for job_id in ids:
        wait_for(lambda j=job_id: _job(api, pid, j)["status"] == "complete", what="a clip")
    url = f"/api/v1/projects/{pid}/videos/assemble"
    body = {"sceneId": "Assembled", "preset": "draft",
            "clips": [{"clipId": ids[1], "sequence": 2, "trimStart": 0.25},
                      {"clipId": ids[0], "sequence": 1, "trimEnd": 0.25}],
            "transitions": [{"fromClip": 1, "toClip": 2, "type": "dissolve",
                             "duration": 0.25}]}
    for bad, status, field in (
            ({**body, "clips": [{"clipId": "nope", "sequence": 1}], "transitions": []}, 422,
             "clips[0].clipId"),
            ({**body, "transitions": [{"fromClip": 2, "toClip": 1, "type": "fade",
                                       "duration": 0.5}]}, 422, "transitions"),
            ({**body, "sceneId": "Scene 1"}, 409, "sceneId")):
        r = api.client.post(url, json=bad)
        assert (r.status_code, r.json().get("field")) == (status, field), r.text
    r = api.client.post(url, json=body)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued" and r.json()["sceneId"] == "Assembled"
    job = wait_for(lambda: (j := _job(api, pid, r.json()["jobId"]))["status"]
                   in ("complete", "failed") and j, 60, "the assembly")
    assert job["status"] == "complete", job["error"]
    assert job["type"] == "scene_assembly"
    scenes = api.client.get(f"/api/v1/projects/{pid}/scenes").json()["scenes"]
    assembled = next(s for s in scenes if s["name"] == "Assembled")
    clips = assembled["tracks"][0]["clips"]
    assert [c["name"] for c in clips] == ["a door opens", "a hallway"]
    doc = api.client.get(job["result"]["url"]).json()
    assert 1.0 < doc["metadata"]["duration"] < 1.6  # 0.75 + 0.75, the dissolve overlapping


def test_a_project_another_program_is_writing_answers_409(api, new_project):
    """The editor (here: another process holding the project's writer lock) has it open:
    the standalone server refuses to write it and says who has it."""
    import subprocess
    import sys

    entry = new_project()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from aladdin_studio.timeline.project_lock import acquire\n"
         "lock = acquire(sys.argv[1], 'the editor')\nprint('held', flush=True)\n"
         "sys.stdin.read()", entry.path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = api.client.post(f"/api/v1/projects/{entry.id}/videos/generate",
                            json=generate_body("blocked"))
        assert r.status_code == 409, r.text
        assert r.json()["kind"] == "conflict" and "the editor" in r.json()["error"]
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert api.client.get(f"/api/v1/projects/{entry.id}/jobs").json()["jobs"] == []


def test_assemble_runs_a_brief_through_the_director(api, new_project):
    pid = new_project().id
    url = f"/api/v1/projects/{pid}/videos/assemble"
    brief = {"version": 1, "scene": "From Brief", "size": [320, 180], "fps": 24,
             "preset": "draft",
             "shots": [{"name": "One", "method": "text-to-video", "prompt": "a calm lake",
                        "duration": 1, "quality": "draft"},
                       {"name": "Two", "method": "text-to-video", "prompt": "a pine forest",
                        "duration": 1, "quality": "draft"}],
             "transitions": [{"after": 1, "type": "cut", "duration": 0}]}
    for bad, field in (({"brief": {**brief, "music": "/etc/passwd"}}, "brief.music"),
                       ({"brief": {**brief, "transitions": [],
                                   "shots": [{**brief["shots"][0], "method": "image-to-video",
                                              "image": "../../x.png"}]}},
                        "brief.shots[0].image"),
                       ({"brief": brief, "clips": [{"clipId": "x", "sequence": 1}]},
                        "brief")):
        r = api.client.post(url, json=bad)
        assert r.status_code == 422 and r.json().get("field") == field, r.text
    r = api.client.post(url, json={"brief": "scene: x\nshots: 3\n"})
    assert r.status_code == 422 and "problem(s) in the brief" in r.json()["error"]
    r = api.client.post(url, json={"brief": brief})
    assert r.status_code == 202, r.text
    assert r.json()["sceneId"] == "From Brief" and r.json()["estimatedTime"] > 0
    job = wait_for(lambda: (j := _job(api, pid, r.json()["jobId"]))["status"]
                   in ("complete", "failed") and j, 180, "the director")
    assert job["status"] == "complete", job["error"]
    assert job["type"] == "scene_assembly"
    scenes = api.client.get(f"/api/v1/projects/{pid}/scenes").json()["scenes"]
    assert "From Brief" in [s["name"] for s in scenes]
    doc = api.client.get(job["result"]["url"]).json()  # the scene's render
    assert doc["type"] == "video" and doc["metadata"]["duration"] > 1.5
