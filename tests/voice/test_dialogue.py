"""A script through the shared queue and ledger with the offline provider: five lines land as
five clips on the dialogue track in one undo step, characters get distinct default voices,
identical requests hit the cache, a regenerated line adds a take, subtitles ride with the
clip; and the same through ElevenLabs (emulated), incl. a clear quota message."""

from __future__ import annotations

import pytest
from elevenlabs_emulator import rate_limited

from aladdin_studio.config import Settings
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.layout import layout
from aladdin_studio.timeline.project_io import load
from aladdin_studio.timeline.undo import UndoStack
from aladdin_studio.voice.library import VoiceLibrary, characters
from aladdin_studio.voice.placement import dialogue_clips
from aladdin_studio.voice.script import parse_script
from aladdin_studio.voice.service import VoiceService
from aladdin_studio.voice.subtitles import scene_cues

SCRIPT = """ALADDIN: We leave at dawn.
JASMINE (worried): Not a minute later?
ALADDIN: Not a second later, I promise.
GENIE (laughing): You two and your schedules!
JASMINE: Then it is settled.
"""


def dialogue_track(scene):
    return next(t for t in scene.tracks if S.is_audio(t) and S.track_role(t) == "dialogue")


def spans(scene):
    rate = S.scene_rate(scene)
    return [(s.start / rate, s.end / rate) for s in layout(dialogue_track(scene), rate)
            if s.is_clip]


def run_script(service, project_path, *, start=1.0, gap=0.25):
    project = load(project_path)
    scene = project.scenes[0]
    batch = service.submit_script(project, project_path, scene, parse_script(SCRIPT),
                                  start=start, gap=gap)
    jobs = service.wait(batch.job_ids, timeout=60)
    return project, scene, batch, jobs


def test_five_lines_become_five_clips_in_one_undo_step(project, voice_queue, tmp_path):
    queue = voice_queue(Settings(max_generations_per_hour=500, elevenlabs_api_key=""))
    service = VoiceService(queue, queue.settings, library=VoiceLibrary(tmp_path / "v.json"))
    project_obj, scene, batch, jobs = run_script(service, project)
    assert service.provider_name == "local" and all(j.status == "succeeded" for j in jobs)
    assert {c.name for c in batch.new_characters} == {"Aladdin", "Jasmine", "Genie"}
    assert len({c.voice.voice_id for c in batch.new_characters}) == 3  # distinct voices
    assert len(batch.report()) == 3 and "Character Voices" in batch.report()[0]
    stack = UndoStack(project_obj)
    stack.push(service.place_command(project_obj, batch))
    placed = spans(scene)
    assert len(placed) == 5 and placed[0][0] == pytest.approx(1.0)
    for (_a0, a1), (b0, _) in zip(placed, placed[1:], strict=False):
        assert b0 - a1 == pytest.approx(0.25, abs=1 / 24)  # in order, with the gap
    clips = dialogue_clips(scene)
    prov = S.to_py(clips[1].media_reference.metadata["aladdin"]["provenance"])
    assert prov["provider"] == "local" and prov["text"] == "Not a minute later?"
    assert prov["emotion"] == "worried" and prov["job_id"] == jobs[1].id
    assert prov["settings"]["stability"] == 0.5 and prov["timing"] == "estimated"
    assert {c.name for c in characters(project_obj)} == {"Aladdin", "Jasmine", "Genie"}
    cues = scene_cues(scene)
    assert cues and cues[0].start >= 1.0 and all(c.end - c.start >= 0.99 or c is cues[-1]
                                                 for c in cues)
    stack.undo()  # one step takes the clips and the new characters away
    assert spans(scene) == [] and characters(project_obj) == []
    stack.redo()
    assert len(spans(scene)) == 5 and len(characters(project_obj)) == 3

    # the same script again: every line is a cache hit (no new audio, no cost)
    again = service.submit_script(project_obj, project, scene, parse_script(SCRIPT))
    hits = service.wait(again.job_ids, timeout=30)
    assert all(j.cached_from for j in hits) and all(j.actual_cost == 0 for j in hits)
    assert again.new_characters == []  # the characters have voices now

    # a line's own settings override its character's
    custom = service.submit_script(project_obj, project, scene, parse_script(
        "GENIE (laughing) {speed=1.15, seed=9}: You two and your schedules!"))
    (job,) = service.wait(custom.job_ids, timeout=30)
    assert job.payload["request"]["settings"]["speed"] == 1.15
    assert job.payload["request"]["settings"]["seed"] == 9 and not job.cached_from

    # regenerate line 2: a new take on the same clip, undoable
    clip = dialogue_clips(scene)[1]
    job_id = service.regenerate(project_obj, project, clip, {"speed": 1.1})
    service.wait([job_id], timeout=30)
    assert not queue.store.get(job_id).cached_from
    stack.push(service.take_command(project_obj, clip, job_id))
    assert len(clip.media_references()) == 2 and clip.active_media_reference_key == "take2"
    stack.undo()
    assert len(clip.media_references()) == 1
    # a slower (longer) new take of the last line keeps all its words: the clip grows
    last = dialogue_clips(scene)[-1]
    before = last.source_range.duration.to_seconds()
    job_id = service.regenerate(project_obj, project, last, {"speed": 0.8})
    service.wait([job_id], timeout=30)
    stack.push(service.take_command(project_obj, last, job_id))
    take = last.media_reference.available_range.duration.to_seconds()
    assert take > before + 0.2
    assert last.source_range.duration.to_seconds() == pytest.approx(take, abs=1 / 24)
    stack.undo()
    assert last.source_range.duration.to_seconds() == pytest.approx(before)


def test_moving_a_dialogue_clip_moves_its_cues_and_undo_restores_both(project, voice_queue,
                                                                       tmp_path):
    queue = voice_queue()
    service = VoiceService(queue, queue.settings, provider="local",
                           library=VoiceLibrary(tmp_path / "v.json"))
    project_obj, scene, batch, _ = run_script(service, project, start=0.0, gap=0.5)
    stack = UndoStack(project_obj)
    stack.push(service.place_command(project_obj, batch))
    rate = S.scene_rate(scene)
    last = dialogue_clips(scene)[-1]
    before = [c for c in scene_cues(scene) if c.text.startswith("Then")]
    assert before
    old_start, end = spans(scene)[-1]
    new_frame = int(round((end + 3.0) * rate))
    stack.push(C.MoveClip(last, dialogue_track(scene), new_frame))
    assert spans(scene)[-1][0] == pytest.approx(new_frame / rate)
    after = [c for c in scene_cues(scene) if c.text.startswith("Then")]
    assert len(after) == len(before)
    for a, b in zip(before, after, strict=True):
        assert b.start - a.start == pytest.approx(new_frame / rate - old_start, abs=0.002)
        assert b.end - b.start == pytest.approx(a.end - a.start, abs=0.002)
    stack.undo()
    assert [c for c in scene_cues(scene) if c.text.startswith("Then")] == before
    # trimming the line's head away takes the cue's start with it; undo brings it back
    first = dialogue_clips(scene)[0]
    (cue,) = [c for c in scene_cues(scene) if c.text == "We leave at dawn."]
    cut = int(round((cue.start + 0.3 - spans(scene)[0][0]) * rate))
    stack.push(C.Trim(first, "in", cut))
    (trimmed,) = [c for c in scene_cues(scene) if c.text == "We leave at dawn."]
    assert trimmed.start == pytest.approx(spans(scene)[0][0], abs=0.002)
    assert trimmed.end == pytest.approx(cue.end, abs=0.002)
    stack.undo()
    assert [c for c in scene_cues(scene) if c.text == "We leave at dawn."] == [cue]


def test_elevenlabs_script_with_rate_limit_backoff_and_quota_message(project, voice_queue,
                                                                     elevenlabs, tmp_path):
    settings = Settings(max_generations_per_hour=500, elevenlabs_api_key="x")
    from elevenlabs_emulator import DEFAULT_KEY as EL_KEY

    settings.elevenlabs_api_key = EL_KEY
    queue = voice_queue(settings, workers=1)  # one worker: the three 429s hit one request
    service = VoiceService(queue, settings, library=VoiceLibrary(tmp_path / "v.json"))
    assert service.provider_name == "elevenlabs"
    elevenlabs.inject("tts_timestamps", rate_limited(retry_after=0, times=3))  # SDK: 2 retries
    project_obj, scene, batch, jobs = run_script(service, project)
    assert all(j.status == "succeeded" for j in jobs)
    assert sum(j.rate_limited for j in jobs) == 1  # one requeue by the job layer
    assert len({c.voice.voice_id for c in batch.new_characters}) == 3
    assert len(elevenlabs.calls("voices_search")) == 1  # the account listed once, not 3 times
    billed = sum(j.info["characters"] for j in jobs)
    assert billed == sum(len(line.text) for line in parse_script(SCRIPT))
    estimated, actual = queue.store.spend(kind="voice")
    assert actual == pytest.approx(billed * 0.0003) and estimated == pytest.approx(actual)
    UndoStack(project_obj).push(service.place_command(project_obj, batch))
    prov = S.to_py(dialogue_clips(scene)[0].media_reference.metadata["aladdin"]["provenance"])
    assert prov["provider"] == "elevenlabs" and prov["request_id"] and \
        prov["characters_billed"] == len("We leave at dawn.") and prov["timing"] == "aligned"

    elevenlabs.reset(character_limit=5)  # the quota runs out: clear message, no retries
    line = parse_script("ALADDIN: A brand new line to speak.")
    failed = service.submit_script(project_obj, project, scene, line)
    (job,) = service.wait(failed.job_ids, timeout=30)
    assert job.status == "failed" and job.error_kind == "VoiceQuotaError"
    assert "quota exceeded" in job.error_message and job.attempts == 0
    assert len(elevenlabs.calls("tts_timestamps")) == 1


def test_a_multi_speaker_scene_on_eleven_v3_is_one_text_to_dialogue_request(
        project, voice_queue, elevenlabs, tmp_path):
    from elevenlabs_emulator import DEFAULT_KEY as EL_KEY

    from aladdin_studio.voice.profiles import TTSSettings, VoiceProfile

    settings = Settings(max_generations_per_hour=500, elevenlabs_api_key=EL_KEY)
    queue = voice_queue(settings)
    service = VoiceService(queue, settings, library=VoiceLibrary(tmp_path / "v.json"))
    doc = load(project)
    stack = UndoStack(doc)
    for name, voice_id in (("Aladdin", "pNInz6obpgDQGcFmaJgB"),
                           ("Jasmine", "21m00Tcm4TlvDq8ikWAM"),
                           ("Genie", "VR6AewLTigWG4xSOukaG")):
        voice = VoiceProfile(name, provider="elevenlabs", voice_id=voice_id)
        stack.push(service.assign_command(doc, name, voice, tts=TTSSettings(model="eleven_v3")))
    scene = doc.scenes[0]
    batch = service.submit_script(doc, project, scene, parse_script(SCRIPT), start=0.5)
    assert len(set(batch.job_ids)) == 1  # one request for the five lines
    jobs = service.wait(batch.job_ids, timeout=30)
    assert jobs[0].status == "succeeded", jobs[0].error_message
    assert len(elevenlabs.calls("dialogue_timestamps")) == 1
    assert not elevenlabs.calls("tts_timestamps")
    body = elevenlabs.calls("dialogue_timestamps")[0].body
    assert body["model_id"] == "eleven_v3"
    assert body["inputs"][1]["text"] == "[worried] Not a minute later?"  # v3 audio tag
    stack.push(service.place_command(doc, batch))
    clips = dialogue_clips(scene)
    assert len(clips) == 5 and len(spans(scene)) == 5
    texts = [c.text for c in scene_cues(scene)]
    assert texts[0] == "We leave at dawn." and texts[1] == "Not a minute later?"
    prov = [S.to_py(c.media_reference.metadata["aladdin"]["provenance"]) for c in clips]
    assert [p["voice_id"] for p in prov[:2]] == ["pNInz6obpgDQGcFmaJgB", "21m00Tcm4TlvDq8ikWAM"]
    billed = sum(p["characters_billed"] for p in prov)
    assert billed == jobs[0].info["characters"] and jobs[0].actual_cost == pytest.approx(
        billed * 0.0003)
    # each line is cut at its voice segment: its clip is about as long as its own speech
    for clip, line in zip(clips, parse_script(SCRIPT), strict=True):
        seconds = clip.source_range.duration.to_seconds()
        chars = len(line.text) + (len(line.emotion) + 3 if line.emotion else 0)
        assert seconds == pytest.approx(0.15 + chars * 0.065, abs=0.1)


def test_job_layer_retries_5xx_and_fails_422_at_once(project, voice_queue, elevenlabs,
                                                     tmp_path):
    from elevenlabs_emulator import DEFAULT_KEY as EL_KEY
    from elevenlabs_emulator import server_error, unprocessable

    settings = Settings(max_generations_per_hour=500, elevenlabs_api_key=EL_KEY)
    queue = voice_queue(settings, workers=1)
    service = VoiceService(queue, settings, library=VoiceLibrary(tmp_path / "v.json"))
    doc = load(project)
    scene = doc.scenes[0]
    # three 500s: two retried inside the SDK (a JSON endpoint), the third by the job layer
    elevenlabs.inject("tts_timestamps", server_error(times=3))
    batch = service.submit_script(doc, project, scene, parse_script("BO: One more try."))
    (job,) = service.wait(batch.job_ids, timeout=30)
    assert job.status == "succeeded" and job.attempts == 1
    assert len(elevenlabs.calls("tts_timestamps")) == 4
    elevenlabs.inject("tts_timestamps", unprocessable("text is too long"))
    batch = service.submit_script(doc, project, scene, parse_script("BO: Something else."))
    (job,) = service.wait(batch.job_ids, timeout=30)
    assert job.status == "failed" and job.error_kind == "VoiceInputError"
    assert "text is too long" in job.error_message and job.attempts == 0
    assert len(elevenlabs.calls("tts_timestamps")) == 5  # not retried


def test_the_hourly_limit_refuses_a_script_whole(project, voice_queue, tmp_path):
    from aladdin_studio.jobs.store import LimitExceeded

    queue = voice_queue(Settings(max_generations_per_hour=6))
    service = VoiceService(queue, queue.settings, provider="local",
                           library=VoiceLibrary(tmp_path / "v.json"))
    doc = load(project)
    batch = service.submit_script(doc, project, doc.scenes[0], parse_script(SCRIPT))
    service.wait(batch.job_ids, timeout=30)
    more = parse_script("A: one.\nB: two.\nC: three.")
    with pytest.raises(LimitExceeded, match="1 of the 6 per hour are left"):
        service.submit_script(doc, project, doc.scenes[0], more)
    assert len(queue.store.list(kind="voice")) == 5  # nothing of it was queued
    again = service.submit_script(doc, project, doc.scenes[0], parse_script(SCRIPT))
    assert all(j.cached_from for j in service.wait(again.job_ids, timeout=30))  # free


def test_a_line_reused_from_another_project_is_copied_into_this_one(tmp_path, voice_queue):
    from aladdin_studio.timeline.project_io import new_project

    queue = voice_queue()
    service = VoiceService(queue, queue.settings, provider="local",
                           library=VoiceLibrary(tmp_path / "v.json"))
    paths = []
    for name in ("A", "B"):
        new_project(tmp_path / f"{name}.aladdin")
        doc = load(tmp_path / f"{name}.aladdin")
        batch = service.submit_script(doc, doc.location.file, doc.scenes[0],
                                      parse_script("NARRATOR: The same words twice."))
        (job,) = service.wait(batch.job_ids, timeout=30)
        UndoStack(doc).push(service.place_command(doc, batch))
        paths.append((job, doc.resolve_media(dialogue_clips(doc.scenes[0])[0]
                                             .media_reference.target_url)))
    (first, a), (second, b) = paths
    assert second.cached_from == first.id and second.actual_cost == 0
    assert a.parent == tmp_path / "A.aladdin" / "media"
    assert b.parent == tmp_path / "B.aladdin" / "media" and b.read_bytes() == a.read_bytes()
