"""The generate route submits through ``services.generation.submit_placed`` (the editor's
and the CLI's held-submit sequence), not a copy of it: a failed save abandons the job with
the reason the CLI records, and a request's webhook is subscribed while the job is
still held (so a job that ends at once is announced too)."""

from __future__ import annotations

from api_helpers import generate_body, job_status, wait_for


def test_a_failed_save_abandons_the_job_as_the_cli_does(api, new_project):
    from pathlib import Path

    entry = new_project()
    (Path(entry.path) / "backups").write_text("not a folder")  # saving cannot keep a backup
    r = api.client.post(f"/api/v1/projects/{entry.id}/videos/generate", json=generate_body())
    assert r.status_code != 202 and "no backup of the previous version" in r.json()["error"]
    [job] = api.backend.store.list()
    assert job.status == "cancelled" and job.error_kind == "Abandoned"
    assert job.error_message.startswith("the placeholder could not be saved: "), job.error_message


def test_the_webhook_is_subscribed_while_the_job_is_held(api, new_project):
    hooks = api.app.state.webhooks
    subscribe, seen = hooks.subscribe, []

    def watching(job_id, url, project_id):
        seen.append(api.backend.store.get(job_id).info.get("held"))
        subscribe(job_id, url, project_id)

    hooks.subscribe = watching
    pid = new_project().id
    r = api.client.post(f"/api/v1/projects/{pid}/videos/generate",
                        json={**generate_body(), "webhookUrl": "http://127.0.0.1:9/hook"})
    assert r.status_code == 202, r.text
    assert seen == [True]
    done = wait_for(lambda: (j := job_status(api, pid, r.json()["jobId"]))["status"]
                    in ("complete", "failed") and j, what="the job")
    assert done["status"] == "complete", done["error"]
