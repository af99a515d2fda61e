"""Export presets: H.264 + AAC in MP4 for the web, ProRes 422 in MOV for hand-off."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from aladdin_studio.errors import AladdinError, ErrorKind

__all__ = ["PRESETS", "Preset", "PresetError", "default_preset", "get_preset", "reduced"]


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    size: tuple[int, int] | None  # None = the scene's size
    fps: float | None  # None = the scene's rate
    vcodec: str = "libx264"
    pix_fmt: str = "yuv420p"
    video_options: dict[str, str] = field(default_factory=dict)
    acodec: str = "aac"
    audio_bitrate: int | None = 192_000
    container: str = "mp4"
    loudness_lufs: float | None = -14.0  # EBU R128 target of the master; None = unchanged

    @property
    def suffix(self) -> str:
        return "." + self.container

    def resolved(self, scene_size: tuple[int, int], scene_fps: float) -> Preset:
        """This preset with the scene's size/rate filled in where it follows the scene."""
        return replace(self, size=self.size or scene_size, fps=self.fps or scene_fps)

    def describe(self) -> dict[str, Any]:
        w, h = self.size or (0, 0)
        return {"name": self.name, "label": self.label, "width": w, "height": h,
                "fps": self.fps, "video_codec": self.vcodec, "audio_codec": self.acodec,
                "container": self.container, "loudness_lufs": self.loudness_lufs}


_X264_FINAL = {"preset": "veryfast", "crf": "20"}

PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("1080p24", "1080p 24 fps (H.264)", (1920, 1080), 24.0, video_options=_X264_FINAL),
    Preset("720p", "720p (H.264)", (1280, 720), None, video_options={"preset": "veryfast",
                                                                    "crf": "21"}),
    Preset("vertical", "1080×1920 vertical (H.264)", (1080, 1920), None,
           video_options=_X264_FINAL),
    Preset("draft", "540p draft (H.264, fast)", (960, 540), None,
           video_options={"preset": "ultrafast", "crf": "28"}, audio_bitrate=128_000),
    Preset("prores", "ProRes 422 (MOV, hand-off)", None, None, vcodec="prores_ks",
           pix_fmt="yuv422p10le", video_options={"profile": "standard", "vendor": "apl0"},
           acodec="pcm_s16le", audio_bitrate=None, container="mov", loudness_lufs=None),
)}

ALIASES = {"1080p": "1080p24", "540p": "draft", "1080x1920": "vertical", "prores422": "prores"}


class PresetError(AladdinError, KeyError):
    """An unknown preset name (still a KeyError for older callers)."""

    kind = ErrorKind.INVALID_INPUT

    def __str__(self) -> str:  # the message, not KeyError's quoted repr
        return str(self.args[0]) if self.args else ""


def get_preset(name: str) -> Preset:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in PRESETS:
        raise PresetError(f"Unknown preset {name!r}. Presets: {', '.join(PRESETS)}.")
    return PRESETS[key]


def default_preset(resolution: str = "1920x1080", fps: float = 24.0) -> Preset:
    """The preset for VIDEO_DEFAULT_RESOLUTION / VIDEO_DEFAULT_FPS (1080p24 unless changed)."""
    w, h = (int(v) for v in resolution.lower().split("x"))
    base = PRESETS["1080p24"]
    if (w, h) == base.size and float(fps) == base.fps:
        return base
    return replace(base, name="default", label=f"{w}×{h} {fps:g} fps (H.264)",
                   size=(w - w % 2, h - h % 2), fps=float(fps))


def reduced(preset: Preset, factor: float = 2 / 3) -> Preset:
    """A smaller version of ``preset`` (the out-of-memory retry)."""
    assert preset.size is not None
    w, h = preset.size
    size = (max(2, int(w * factor) // 2 * 2), max(2, int(h * factor) // 2 * 2))
    return replace(preset, size=size, label=f"{preset.label} at {size[0]}×{size[1]}")
