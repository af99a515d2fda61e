"""The Audio Integrator (design doc 5.4 / 6.4) as one undoable action on a scene: dialogue
levelled to a common loudness, music set under it with fades, sound effects levelled and
faded. Music ducking under dialogue happens in the render engine's mixer (``render.audio``),
so nothing is baked into files: every change is a clip volume or fade, visible and editable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import opentimelineio as otio

from ..timeline import commands as C
from ..timeline import schema as S
from ..timeline.document import Project
from ..timeline.errors import InvalidEditError
from ..timeline.layout import layout
from . import audio

__all__ = ["IntegrationReport", "integrate_audio_command"]

DIALOGUE_RMS_DB = -20.0
SFX_RMS_DB = -24.0
MUSIC_GAIN = 0.5  # -6 dB under dialogue, before the mixer's ducking
MUSIC_FADE = 1.0
SFX_FADE = 0.05
GAIN_RANGE = (0.25, 4.0)


@dataclass
class IntegrationReport:
    dialogue: int = 0
    music: int = 0
    sfx: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"Levelled {self.dialogue} dialogue clip(s), set {self.music} music clip(s) "
                f"under the dialogue (ducked in the mix), levelled {self.sfx} sound "
                "effect(s).")


def _rms_db(project: Project, clip: otio.schema.Clip, rate: float) -> float | None:
    url = getattr(clip.media_reference, "target_url", None)
    if not url:
        return None
    path = project.resolve_media(url)
    try:
        samples = audio.decode(path)
    except Exception:  # noqa: BLE001 - an unreadable file keeps its level
        return None
    start = S.frames_exact(clip.source_range.start_time, rate) / rate
    length = S.frames(clip.source_range.duration, rate) / rate * S.clip_speed(clip)
    part = samples[int(start * audio.RATE):int((start + length) * audio.RATE)]
    loud = part[np.abs(part) > 10 ** (-50 / 20)]  # the voiced part, not the pauses
    if len(loud) == 0:
        return None
    return 20 * math.log10(float(np.sqrt(np.mean(loud.astype(np.float64) ** 2))) + 1e-12)


def _gain(current_db: float, target_db: float) -> float:
    gain = 10 ** ((target_db - current_db) / 20)
    return round(min(max(gain, GAIN_RANGE[0]), GAIN_RANGE[1]), 3)


def integrate_audio_command(project: Project, scene: otio.schema.Timeline
                            ) -> tuple[C.Macro, IntegrationReport]:
    """The integrator's edits for ``scene`` as one undo step, and what it did."""
    rate = S.scene_rate(scene)
    report = IntegrationReport()
    commands: list[C.Command] = []
    for track in scene.tracks:
        if not S.is_audio(track) or S.track_flag(track, "locked"):
            continue
        role = S.track_role(track)
        for slot in layout(track, rate):
            if not slot.is_clip:
                continue
            clip, length = slot.item, slot.duration / rate
            if role == S.TrackRole.DIALOGUE:
                level = _rms_db(project, clip, rate)
                if level is None:
                    report.notes.append(f"'{clip.name}' is silent or unreadable; left as is.")
                    continue
                commands.append(C.SetClipAudio(clip, volume=_gain(level, DIALOGUE_RMS_DB)))
                report.dialogue += 1
            elif role == S.TrackRole.MUSIC:
                fade = min(MUSIC_FADE, length / 4)
                commands.append(C.SetClipAudio(clip, volume=MUSIC_GAIN, fade_in=fade,
                                               fade_out=fade))
                report.music += 1
            elif role == S.TrackRole.SFX:
                level = _rms_db(project, clip, rate)
                volume = _gain(level, SFX_RMS_DB) if level is not None else 1.0
                fade = min(SFX_FADE, length / 4)
                commands.append(C.SetClipAudio(clip, volume=volume, fade_in=fade, fade_out=fade))
                report.sfx += 1
    if not commands:
        raise InvalidEditError(f"Scene '{scene.name}' has no dialogue, music or sound-effect "
                               "clips to integrate.")
    return C.Macro("Integrate Audio", commands), report
