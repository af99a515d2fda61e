"""The voice commands end to end in-process: with no keys a voice is designed and assigned, a
5-line script becomes 5 dialogue clips, subtitles export as SRT/VTT and burn-in is switched
on; queued dialogue is placed later with --apply; through ElevenLabs (emulated) the quota
failure is one clear line and exit status 2."""

from __future__ import annotations

import json

import pytest
from elevenlabs_emulator import quota_exceeded

from aladdin_studio import cli
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.project_io import load
from aladdin_studio.timeline.subtitles import scene_cues, subtitle_style
from aladdin_studio.voice.library import characters
from aladdin_studio.voice.placement import dialogue_clips
from aladdin_studio.voice.subtitles import read_cues

SCRIPT = """ALADDIN: We leave at dawn.
JASMINE (worried): Not a minute later?
ALADDIN: Not a second later, I promise.
GENIE (laughing): You two and your schedules!
JASMINE: Then it is settled.
"""


@pytest.fixture
def no_keys(monkeypatch):
    monkeypatch.delenv("ELEVENLABS_API_KEY", raising=False)
    monkeypatch.delenv("ELEVENLABS_BASE_URL", raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_offline_voice_dialogue_subtitles_sfx(project, tmp_path, capsys, no_keys):
    design = ("voice", "design", "Aladdin", "--gender", "male", "--age", "young",
              "--description", "a street-smart dreamer")
    code, out, _ = run(capsys, *design, "--json")
    assert code == 0
    listened = json.loads(out)["previews"]
    code, out, _ = run(capsys, *design, "--pick", "2", "--project", project, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["reused"] and data["previews"] == listened  # keeps what was heard
    assert len(data["previews"]) == 3 and data["saved"]["provider"] == "local"
    assert data["saved"]["voice_id"] == listened[1]["generated_voice_id"]
    (aladdin,) = characters(load(project))
    assert aladdin.voice.voice_id == data["saved"]["voice_id"]
    code, out, _ = run(capsys, "voice", "list", "--library", "--json")
    assert code == 0 and any(v["name"] == "Aladdin" for v in json.loads(out))
    code, out, _ = run(capsys, "voice", "assign", project, "Aladdin", "--speed", "1.1",
                       "--stability", "0.4")
    assert code == 0 and "keeps its voice" in out
    (aladdin,) = characters(load(project))
    assert (aladdin.tts.speed, aladdin.tts.stability) == (1.1, 0.4)
    assert aladdin.voice.voice_id == data["saved"]["voice_id"]
    from PIL import Image

    from aladdin_studio.generation.references import references

    Image.new("RGB", (320, 320), (200, 120, 40)).save(tmp_path / "aladdin.png")
    for _ in range(2):  # the second time the same image is the same reference
        code, _, err = run(capsys, "voice", "assign", project, "Aladdin", "--reference",
                           tmp_path / "aladdin.png")
        assert code == 0, err
    doc = load(project)
    (ref,) = references(doc, "character")
    (aladdin,) = characters(doc)
    assert aladdin.references == [ref["id"]] and ref["name"] == "Aladdin"

    script = tmp_path / "scene.txt"
    script.write_text(SCRIPT)
    code, out, err = run(capsys, "dialogue", project, "--script", script, "--at", "1.5",
                         "--wait", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["clips"]) == 5 and data["clips"][0]["start"] == 1.5
    assert sorted(data["new_characters"]) == ["Genie", "Jasmine"]  # Aladdin had a voice
    assert "had no offline voice" in err
    doc = load(project)
    clips = dialogue_clips(doc.scenes[0])
    assert len(clips) == 5
    code, out, _ = run(capsys, "voice", "list", "--library", "--json")
    assert next(v for v in json.loads(out) if v["name"] == "Aladdin")["usage_count"] == 2
    voice_of = {S.get(c, "voice")["character"]: c.media_reference.metadata["aladdin"]
                ["provenance"]["voice_id"] for c in clips}
    assert voice_of["Aladdin"] == aladdin.voice.voice_id and len(set(voice_of.values())) == 3

    for suffix in (".srt", ".vtt"):
        out_file = tmp_path / f"subs{suffix}"
        code, out, _ = run(capsys, "subtitles", project, "-o", out_file)
        assert code == 0 and out_file.is_file()
        cues = read_cues(out_file)
        assert [c.text for c in cues] == [c.text for c in scene_cues(doc.scenes[0])]
        assert cues[0].start >= 1.5
    code, out, _ = run(capsys, "subtitles", project, "--burn-in", "on", "--font",
                       "DejaVu Serif", "--size", "52", "--position", "top")
    style = subtitle_style(load(project).scenes[0])
    assert code == 0 and style["burn_in"] is True and "DejaVu Serif, 52 px" in out
    assert (style["font"], style["size"], style["position"]) == ("DejaVu Serif", 52, "top")

    code, out, err = run(capsys, "sfx", project, "--prompt", "a fast whoosh", "--duration",
                         "1", "--at", "0.5", "--json")
    assert code == 0, err
    assert json.loads(out)["clip"] == "a fast whoosh"
    code, out, _ = run(capsys, "integrate-audio", project)
    assert code == 0 and "Levelled 5 dialogue clip(s)" in out


def test_user_errors_are_one_line_and_exit_2(project, tmp_path, capsys, no_keys):
    cases = [("dialogue", project, "--script", tmp_path / "missing.txt", "--wait"),
             ("subtitles", project, "-o", tmp_path / "subs.txt"),
             ("subtitles", project, "-o", tmp_path / "subs.srt"),
             ("voice", "assign", project, "Bob", "nobody"),
             ("sfx", project, "--prompt", "boom", "--duration", "99"),
             ("subtitles", project, "--font", "Comic Sans"),
             ("voice", "delete", "nobody-at-all")]
    for argv in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert err.count("\n") == 1 and err.startswith("aladdin-studio: error:"), err


def test_queued_dialogue_is_placed_with_apply(project, tmp_path, capsys, no_keys):
    from aladdin_studio.config import load_settings
    from aladdin_studio.jobs import EmbeddedConsumer, JobQueue, JobStore, make_huey

    script = tmp_path / "s.txt"
    script.write_text("NARRATOR: The sun sets.\nNARRATOR: The city sleeps.\n")
    code, out, _ = run(capsys, "dialogue", project, "--script", script, "--json")
    assert code == 0 and len(json.loads(out)["queued"]) == 2
    assert dialogue_clips(load(project).scenes[0]) == []
    settings = load_settings()
    queue = JobQueue(make_huey(settings), JobStore(), None, settings, poll_interval=0.05)
    with EmbeddedConsumer(queue.huey, 2, queue=queue, tick=0.05):
        from aladdin_studio.voice.service import VoiceService

        VoiceService(queue, settings).wait(json.loads(out)["queued"], timeout=30)
    code, out, _ = run(capsys, "dialogue", project, "--apply", "--json")
    assert code == 0 and json.loads(out) == {"placed": 2, "waiting": 0}
    assert len(dialogue_clips(load(project).scenes[0])) == 2
    code, out, _ = run(capsys, "dialogue", project, "--apply", "--json")
    assert json.loads(out) == {"placed": 0, "waiting": 0}


def test_elevenlabs_dialogue_and_a_clear_quota_message(project, tmp_path, capsys, elevenlabs):
    script = tmp_path / "s.txt"
    script.write_text("ALADDIN: We leave at dawn.\nJASMINE: Not a minute later?\n")
    code, out, err = run(capsys, "dialogue", project, "--script", script, "--wait", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["provider"] == "elevenlabs" and data["cost"] > 0
    assert sum(c["characters_billed"] for c in data["clips"]) == len(
        "We leave at dawn.Not a minute later?")
    code, _, _ = run(capsys, "subtitles", project, "-o", tmp_path / "el.srt")
    cues = read_cues(tmp_path / "el.srt")  # from ElevenLabs' own alignment
    assert code == 0 and [c.text for c in cues] == ["We leave at dawn.", "Not a minute later?"]
    assert cues[0].start == pytest.approx(0.05, abs=0.01)  # the first character's time
    elevenlabs.inject("tts_timestamps", quota_exceeded(times=None))
    script.write_text("ALADDIN: Something new to say.\n")
    code, out, err = run(capsys, "dialogue", project, "--script", script, "--wait")
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("aladdin-studio: error:") and "quota exceeded" in last
    assert len(elevenlabs.calls("tts_timestamps")) == 3  # no retries of a quota failure
    code, out, err = run(capsys, "voice", "list", "--search", "british")
    assert code == 0 and "Daniel" in out
    code, out, err = run(capsys, "voice", "delete", "onwK4e9ZLuTAKqWW03F9")  # an account voice
    assert code == 0 and elevenlabs.calls("voice_delete")[0].path.endswith("onwK4e9ZLuTAKqWW03F9")
    code, out, err = run(capsys, "voice", "delete", "onwK4e9ZLuTAKqWW03F9")  # gone now
    assert code == 2 and "not found" in err
