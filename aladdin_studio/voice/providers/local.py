"""The offline provider: espeak-ng for speech (a profile maps to a voice variant, pitch and
rate; word timings estimated and marked so), the procedural set for sound effects. Output
converted to 48 kHz like every provider's."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from .. import audio, sfx_local
from ..errors import VoiceInputError, VoiceNotFound, VoiceUnavailable
from ..profiles import VoiceProfile
from ..timing import estimate_words, strip_tags
from .base import Preview, SoundRequest, SpeechRequest, SpeechResult

__all__ = ["LocalVoiceProvider", "LocalVoice", "default_voice_id", "distinct_voice_ids"]

MODEL = "espeak-ng"
SFX_MODEL = "procedural-sfx"
ACCENTS = {"american": "en-us", "us": "en-us", "british": "en-gb", "english": "en-gb",
           "uk": "en-gb", "scottish": "en-gb-scotland", "rp": "en-gb-x-rp",
           "received pronunciation": "en-gb-x-rp", "caribbean": "en-029",
           "lancaster": "en-gb-x-gbclan", "midlands": "en-gb-x-gbcwmd"}
VARIANTS = {"male": ("m3", "m1", "m2", "m4", "m5", "m6", "m7"),
            "female": ("f3", "f1", "f2", "f4", "f5"),
            "neutral": ("klatt", "klatt2", "klatt3", "m8", "f5")}
PITCH = {"young": 62, "middle_aged": 48, "old": 34}
SLOW = ("slow", "calm", "soft", "gentle", "tired", "measured", "warm")
FAST = ("fast", "excited", "energetic", "quick", "nervous", "brisk")
EMOTION = {  # (pitch delta, rate factor, variant override)
    "excited": (10, 1.12, None), "happy": (8, 1.05, None), "angry": (4, 1.08, None),
    "sad": (-8, 0.88, None), "scared": (8, 1.1, None), "calm": (-3, 0.94, None),
    "whisper": (0, 0.92, "whisper"), "whispers": (0, 0.92, "whisper"),
    "whispering": (0, 0.92, "whisper"),
}


# espeak-ng is CPU-bound: more renders at once than cores only adds threads fighting the
# editor for the interpreter lock (the queue may run 5 voice jobs at once).
_CPU_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


class LocalVoice:
    """An espeak-ng voice: ``language+variant``, pitch 0-99 and rate (words per minute);
    its id is ``"en-us+f3@60/165"``."""

    def __init__(self, language: str, variant: str, pitch: int, rate: int) -> None:
        self.language, self.variant = language, variant
        self.pitch, self.rate = max(0, min(99, int(pitch))), max(80, min(400, int(rate)))

    @property
    def id(self) -> str:
        return f"{self.language}+{self.variant}@{self.pitch}/{self.rate}"

    @classmethod
    def parse(cls, voice_id: str) -> LocalVoice:
        try:
            head, numbers = voice_id.split("@")
            language, variant = head.split("+")
            pitch, rate = numbers.split("/")
            return cls(language, variant, int(pitch), int(rate))
        except ValueError:
            raise VoiceNotFound(f"'{voice_id}' is not an offline voice (expected e.g. "
                                "en-us+f3@60/165).") from None

    @classmethod
    def for_profile(cls, profile: VoiceProfile, index: int = 0) -> LocalVoice:
        language = ACCENTS.get(profile.accent.strip().lower(), "en-us")
        variants = VARIANTS.get(profile.gender, VARIANTS["neutral"])
        style = f"{profile.style} {profile.description}".lower()
        rate = 160
        if any(w in style for w in SLOW):
            rate = 145
        if any(w in style for w in FAST):
            rate = 180
        pitch = PITCH.get(profile.age, 48) + (index // len(variants)) * 7
        return cls(language, variants[index % len(variants)], pitch, rate)


def default_voice_id(profile: VoiceProfile) -> str:
    return LocalVoice.for_profile(profile).id


def distinct_voice_ids(profile: VoiceProfile, taken: set[str], count: int = 1) -> list[str]:
    """``count`` voice ids for ``profile`` that differ from ``taken`` (other characters')."""
    out: list[str] = []
    index = 0
    while len(out) < count and index < 64:
        vid = LocalVoice.for_profile(profile, index).id
        variants = {LocalVoice.parse(t).variant for t in taken | set(out) if "@" in t}
        if vid not in taken and vid not in out and (
                LocalVoice.parse(vid).variant not in variants or index >= 12):
            out.append(vid)
        index += 1
    return out


def _run(args: list[str], data: bytes | None, name: str, out: Path) -> None:
    try:
        proc = subprocess.run(args, input=data, capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise VoiceUnavailable(f"{name} took longer than 60 s.") from None
    if proc.returncode != 0 or not out.is_file():
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise VoiceUnavailable(f"{name} failed: {reason[-1] if reason else 'no output'}")


def _espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise VoiceUnavailable("espeak-ng is not installed; the offline voices need it "
                               "(apt-get install espeak-ng, or `make setup` as root).")
    return exe


class LocalVoiceProvider:
    name = "local"

    def _render(self, text: str, voice: LocalVoice) -> tuple[list[float], float]:
        """Run espeak-ng (argument list, text on stdin) and return (48 kHz samples, native
        duration)."""
        spoken = strip_tags(text)
        if not spoken:
            raise VoiceInputError("There is no text to speak.")
        with _CPU_SLOTS, tempfile.TemporaryDirectory(prefix="aladdin-espeak-") as tmp:
            wav = Path(tmp) / "line.wav"
            args = [_espeak(), "-v", f"{voice.language}+{voice.variant}", "-s", str(voice.rate),
                    "-p", str(voice.pitch), "-w", str(wav), "--stdin"]
            _run(args, spoken.encode(), "espeak-ng", wav)
            sox = shutil.which("sox")
            if sox is not None:  # resampled in a child process: the editor keeps the GIL
                out = Path(tmp) / "line48k.wav"  # (measured: in-process resampling doubled
                _run([sox, str(wav), "-r", str(audio.RATE), "-b", "16", "-c", "1",  # the
                      str(out)], None, "sox", out)  # editor's p99 timer lateness)
                samples, rate = audio.read_wav(out)
            else:
                samples, rate = audio.read_wav(wav)  # espeak-ng: 22,050 Hz 16-bit mono
            samples = audio.resample(samples, rate)
        return samples, len(samples) / audio.RATE

    def speak(self, request: SpeechRequest, out: Path) -> SpeechResult:
        voice = LocalVoice.parse(request.voice.voice_id) if request.voice.voice_id else \
            LocalVoice.for_profile(request.voice)
        pitch_delta, factor, variant = EMOTION.get(request.emotion.strip().lower(),
                                                   (0, 1.0, None))
        tuned = LocalVoice(voice.language, variant or voice.variant, voice.pitch + pitch_delta,
                           round(voice.rate * factor * request.settings.speed))
        samples, _ = self._render(request.text, tuned)
        audio.write_wav(out, samples)
        return SpeechResult(
            path=Path(out), duration=audio.duration(samples),
            words=estimate_words(request.text, samples, audio.RATE), estimated=True,
            provider=self.name, model=MODEL, voice_id=voice.id, characters=0, cost=0.0,
            seed=request.settings.seed,
            extra={"espeak": {"voice": f"{tuned.language}+{tuned.variant}",
                              "pitch": tuned.pitch, "rate": tuned.rate}})

    def sound(self, request: SoundRequest, out: Path) -> SpeechResult:
        if not request.prompt.strip():
            raise VoiceInputError("Describe the sound effect.")
        if not 0.5 <= request.duration <= 30:
            raise VoiceInputError("A sound effect lasts 0.5 to 30 seconds.")
        kind = sfx_local.pick_kind(request.prompt)
        samples = sfx_local.render(kind, request.duration, audio.RATE, prompt=request.prompt,
                                   seed=request.seed, loop=request.loop)
        audio.write_wav(out, samples)
        return SpeechResult(path=Path(out), duration=audio.duration(samples), words=[],
                            estimated=True, provider=self.name, model=SFX_MODEL, voice_id="",
                            seed=request.seed, extra={"sfx_kind": kind})

    def design(self, description: str, profile: VoiceProfile, out_dir: Path,
               text: str | None = None) -> list[Preview]:
        """Three distinct espeak voices for the profile, each speaking a sample line."""
        text = text or (f"Hello, I am {profile.name}. This is how I sound when I tell "
                        "you a story.")
        out_dir.mkdir(parents=True, exist_ok=True)
        previews = []
        for vid in distinct_voice_ids(profile, set(), 3):
            voice = LocalVoice.parse(vid)
            samples, _ = self._render(text, voice)
            tag = hashlib.sha256(f"{vid}|{text}".encode()).hexdigest()[:10]
            path = audio.write_wav(out_dir / f"preview-{tag}.wav", samples)
            previews.append(Preview(vid, path, audio.duration(samples), text,
                                    {"voice": f"{voice.language}+{voice.variant}",
                                     "pitch": voice.pitch, "rate": voice.rate}))
        return previews

    def create_voice(self, profile: VoiceProfile, preview: Preview) -> VoiceProfile:
        LocalVoice.parse(preview.generated_voice_id)
        return replace(profile, provider=self.name, voice_id=preview.generated_voice_id,
                       sample_file=str(preview.path))

    def list_voices(self, search: str = "") -> list[VoiceProfile]:
        out = []
        for gender, variants in VARIANTS.items():
            for variant in variants:
                vid = LocalVoice("en-us", variant, 50, 160).id
                name = f"espeak {variant}"
                if search and search.lower() not in f"{name} {gender}".lower():
                    continue
                out.append(VoiceProfile(name, f"espeak-ng variant {variant}", gender,
                                        provider=self.name, voice_id=vid))
        return out

    def get_voice(self, voice_id: str) -> VoiceProfile:
        voice = LocalVoice.parse(voice_id)
        gender = next((g for g, vs in VARIANTS.items() if voice.variant in vs), "neutral")
        return VoiceProfile(f"espeak {voice.variant}", f"espeak-ng {voice.id}", gender,
                            provider=self.name, voice_id=voice.id)

    def delete_voice(self, voice_id: str) -> None:
        raise VoiceInputError("Offline voices are not stored in an account; remove the voice "
                              "from the library instead.")
