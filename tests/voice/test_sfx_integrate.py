"""Sound effects through the queue onto the sfx track (offline set and ElevenLabs), and the
Audio Integrator on a scene: dialogue levelled, music under it with fades, music ducked in
the mix while the dialogue speaks."""

from __future__ import annotations

import numpy as np
import pytest
from elevenlabs_emulator import DEFAULT_KEY as EL_KEY

from aladdin_studio.config import Settings
from aladdin_studio.render.audio import Mixer
from aladdin_studio.render.plan import build_plan
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.layout import layout
from aladdin_studio.timeline.media import clip_for_media
from aladdin_studio.timeline.project_io import load
from aladdin_studio.timeline.undo import UndoStack
from aladdin_studio.voice import audio
from aladdin_studio.voice.integrate import integrate_audio_command
from aladdin_studio.voice.library import VoiceLibrary
from aladdin_studio.voice.providers.base import SoundRequest
from aladdin_studio.voice.script import parse_script
from aladdin_studio.voice.service import VoiceService


def role_track(scene, role):
    return next(t for t in scene.tracks if S.is_audio(t) and S.track_role(t) == role)


@pytest.mark.parametrize("provider", ["local", "elevenlabs"])
def test_sfx_lands_on_a_new_sfx_track(project, voice_queue, elevenlabs, tmp_path, provider):
    settings = Settings(max_generations_per_hour=500, elevenlabs_api_key=EL_KEY)
    queue = voice_queue(settings)
    service = VoiceService(queue, settings, provider=provider,
                           library=VoiceLibrary(tmp_path / "v.json"))
    doc = load(project)
    scene = doc.scenes[0]
    job_id = service.submit_sfx(project, SoundRequest("a heavy door slams", duration=1.5))
    (job,) = service.wait([job_id], timeout=30)
    assert job.status == "succeeded", job.error_message
    stack = UndoStack(doc)
    stack.push(service.sfx_command(doc, scene, job_id, at=2.0))
    track = role_track(scene, "sfx")
    (slot,) = [s for s in layout(track, 24) if s.is_clip]
    assert slot.start == 48 and (slot.end - slot.start) / 24 == pytest.approx(1.5, abs=0.05)
    prov = S.to_py(slot.item.media_reference.metadata["aladdin"]["provenance"])
    assert prov["kind"] == "sfx" and prov["provider"] == provider
    if provider == "local":
        assert prov["extra"]["sfx_kind"] == "impact"
    else:
        assert prov["characters_billed"] == 60 and job.actual_cost > 0
    stack.undo()
    assert not any(S.is_audio(t) and S.track_role(t) == "sfx" for t in scene.tracks)


def test_integrator_levels_dialogue_and_music_is_ducked(project, voice_queue, tmp_path):
    queue = voice_queue()
    service = VoiceService(queue, queue.settings, provider="local",
                           library=VoiceLibrary(tmp_path / "v.json"))
    doc = load(project)
    scene = doc.scenes[0]
    t = np.arange(8 * audio.RATE) / audio.RATE
    music = audio.write_wav(project / "media" / "music.wav",
                            (0.3 * np.sin(2 * np.pi * 50 * t)).astype(np.float32))
    stack = UndoStack(doc)
    stack.push(C.OverwriteClip(role_track(scene, "music"),
                               clip_for_media(doc, music, scene, audio=True), 0))
    batch = service.submit_script(doc, project, scene,
                                  parse_script("NARRATOR: Listen to the desert wind tonight."),
                                  start=3.0)
    service.wait(batch.job_ids, timeout=30)
    stack.push(service.place_command(doc, batch))
    macro, report = integrate_audio_command(doc, scene)
    stack.push(macro)
    assert (report.dialogue, report.music) == (1, 1) and "ducked" in report.summary()
    music_clip = next(c for c in role_track(scene, "music") if isinstance(c, C.Clip))
    assert S.get(music_clip, "volume") == 0.5 and S.get(music_clip, "fade_in") == 1.0
    line = next(c for c in role_track(scene, "dialogue") if isinstance(c, C.Clip))
    assert S.get(line, "volume") != 1.0
    mixer = Mixer(build_plan(scene, lambda url: doc.resolve_media(url)))

    def hum(at: float) -> float:  # the 50 Hz music's amplitude around ``at`` seconds
        block = mixer.mix(int(at * audio.RATE), audio.RATE // 2)[:, 0].astype(np.float64)
        tt = np.arange(len(block)) / audio.RATE
        return 2 * abs(np.mean(block * np.exp(-2j * np.pi * 50 * tt)))

    quiet, speaking = hum(1.5), hum(3.6)
    assert 20 * np.log10(speaking / quiet) < -8  # ducked while the line plays
    stack.undo()
    assert S.get(music_clip, "volume") == 1.0
