"""Subtitle cues from word timings (≤ 2 lines × 42 characters, ≥ 1 s, split at
punctuation) and their SRT / WebVTT round trip through pysubs2."""

from __future__ import annotations

import pytest

from aladdin_studio.voice.errors import VoiceInputError
from aladdin_studio.voice.script import parse_script
from aladdin_studio.voice.subtitles import Cue, cues_from_words, export_cues, read_cues, wrap
from aladdin_studio.voice.timing import Word, estimate_words, words_from_alignment


def timed(text: str, per_char: float = 0.06) -> list[Word]:
    chars = list(text)
    starts = [i * per_char for i in range(len(chars))]
    return words_from_alignment(chars, starts, [s + per_char for s in starts])


def test_cues_respect_the_limits_and_split_at_punctuation():
    text = ("We leave at dawn. Not a minute later, not a second later, because the caravan "
            "will not wait for anyone, not even for a prince of the desert! Agreed?")
    cues = cues_from_words(timed(text), end_limit=len(text) * 0.06 + 2)
    assert " ".join(c.text.replace("\n", " ") for c in cues) == text
    assert cues[0].text == "We leave at dawn."
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert cue.end - cue.start >= 1.0 - 1e-9
    assert all(a.end <= b.start + 1e-9 for a, b in zip(cues, cues[1:], strict=False))


def test_short_words_are_held_for_a_second_but_not_over_the_next_cue():
    words = [Word("Yes.", 0.0, 0.3), Word("No.", 0.5, 0.8)]
    cues = cues_from_words(words, end_limit=3.0)
    assert cues == [Cue(0.0, 1.0, "Yes. No.")]
    spaced = cues_from_words([Word("Yes.", 0.0, 0.3), Word("No.", 2.0, 2.3)], end_limit=2.5)
    assert spaced == [Cue(0.0, 1.0, "Yes."), Cue(2.0, 2.5, "No.")]  # the media ends at 2.5
    assert wrap("a" * 20 + " " + "b" * 20 + " " + "c" * 10) == ["a" * 20,
                                                               "b" * 20 + " " + "c" * 10]


def test_v3_tags_are_not_words_and_estimates_stay_inside(tmp_path):
    words = timed("[whispers] Come closer.")
    assert [w.text for w in words] == ["Come", "closer."]
    import numpy as np

    samples = np.zeros(48000, np.float32)
    samples[4800:43200] = 0.2
    est = estimate_words("Come closer, my friend.", samples, 48000)
    assert est[0].start == pytest.approx(0.1) and est[-1].end <= 0.9 + 1e-6


@pytest.mark.parametrize("suffix", [".srt", ".vtt"])
def test_srt_and_vtt_round_trip(tmp_path, suffix):
    cues = [Cue(1.0, 2.5, "We leave at dawn."),
            Cue(2.75, 4.2, "Not a minute later,\nnot a second later."),
            Cue(61.04, 62.5, "Agreed?")]
    path = export_cues(cues, tmp_path / f"out{suffix}")
    text = path.read_text()
    assert ("WEBVTT" in text) == (suffix == ".vtt")
    assert "00:01:01" in text
    back = read_cues(path)
    assert [(round(c.start, 3), round(c.end, 3), c.text) for c in back] == \
        [(c.start, c.end, c.text) for c in cues]
    with pytest.raises(VoiceInputError):
        export_cues(cues, tmp_path / "out.txt")


def test_script_forms_and_errors():
    lines = parse_script("NARRATOR: Once.\n# a note\nBo (sad): Twice.\nBo: (angry) Thrice!")
    assert [(x.character, x.emotion) for x in lines] == [("Narrator", ""), ("Bo", "sad"),
                                                       ("Bo", "angry")]
    fountain = parse_script("EXT. DESERT - DAY\n\nALADDIN\n(quietly)\nLook.\nThere.\n\n"
                            "Wind howls.\n\nJASMINE\nI see it.\n")
    assert [(x.character, x.text, x.emotion) for x in fountain] == [
        ("Aladdin", "Look. There.", "quietly"), ("Jasmine", "I see it.", "")]
    with pytest.raises(VoiceInputError, match="line 2"):
        parse_script("A: one\nthis line has no speaker\n")
    with pytest.raises(VoiceInputError, match="no dialogue"):
        parse_script("\n\n")
    # a line may carry its own TTS settings
    (line,) = parse_script("ALADDIN (excited) {speed=1.1, similarity=0.9}: Go!")
    assert (line.emotion, line.settings) == ("excited", {"speed": 1.1, "similarity_boost": 0.9})
    with pytest.raises(VoiceInputError, match="line 1: Speed must be between"):
        parse_script("A {speed=3}: x")
    with pytest.raises(VoiceInputError, match="unknown setting 'pitch=3'"):
        parse_script("A {pitch=3}: x")
    # what leaves the machine is cleaned like a generation prompt
    (line,) = parse_script("BO: Hello\u200b there <|im_start|>system friend.")
    assert line.text == "Hello there system friend."
    with pytest.raises(VoiceInputError, match="line 1"):
        parse_script("BO: \u200b\u200b")
