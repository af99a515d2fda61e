"""Request bodies (pydantic): the design doc's shapes, validated before any service runs;
a mistake answers 422 naming the field."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

__all__ = ["AssembleRequest", "GenerateInput", "GenerateParameters", "GenerateRequest",
           "Placement", "PublishBody", "References", "RenderRequest", "VerifyRequest"]

Method = Literal["text-to-video", "image-to-video", "first-last-frame", "composite-to-video"]

# An image given as a data URL ("data:image/png;base64,...") or the id of an image already
# in the project (a master reference id or a media id); never a path on the server.
ImageRef = str

MAX_SPOKEN_CHARS = 4000  # a dialogue line spoken from text (ElevenLabs takes 5000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GenerateInput(_Strict):
    prompt: str = Field(min_length=1, max_length=4000)
    negativePrompt: str = Field(default="", max_length=2000)
    sourceImage: ImageRef | None = Field(default=None, max_length=20_000_000)
    firstFrame: ImageRef | None = Field(default=None, max_length=20_000_000)
    lastFrame: ImageRef | None = Field(default=None, max_length=20_000_000)
    compositeImage: ImageRef | None = Field(default=None, max_length=20_000_000)


class GenerateParameters(_Strict):
    duration: float | None = Field(default=None, ge=1.0, le=7.0)
    quality: Literal["draft", "standard", "high"] = "standard"
    aspectRatio: Literal["16:9", "9:16", "1:1"] = "16:9"
    seed: int | None = Field(default=None, ge=0, lt=2**32)
    style: str = Field(default="", max_length=200)
    camera: str = Field(default="", max_length=200)
    motion: Literal["", "pan", "zoom", "dolly"] = ""
    interpolation: Literal["smooth", "dynamic", "cut"] = "smooth"
    model: str | None = Field(default=None, max_length=200)


class References(_Strict):
    character: ImageRef | None = Field(default=None, max_length=20_000_000)
    location: ImageRef | None = Field(default=None, max_length=20_000_000)


class Placement(_Strict):
    """Where the clip goes on the timeline (default: the end of the first scene's first
    video track)."""

    scene: str | None = Field(default=None, max_length=200)
    track: str | None = Field(default=None, max_length=200)
    at: float | None = Field(default=None, ge=0.0)
    insert: bool = False


class GenerateRequest(_Strict):
    """Design doc 7.1 ``GenerateVideoRequest`` (+ ``placement`` and ``webhookUrl``)."""

    method: Method
    input: GenerateInput
    parameters: GenerateParameters = Field(default_factory=GenerateParameters)
    references: References = Field(default_factory=References)
    placement: Placement = Field(default_factory=Placement)
    webhookUrl: HttpUrl | None = None


class AssembleClip(_Strict):
    clipId: str = Field(min_length=1, max_length=64)
    sequence: int = Field(ge=0)
    trimStart: float | None = Field(default=None, ge=0.0)
    trimEnd: float | None = Field(default=None, ge=0.0)


class AssembleTransition(_Strict):
    fromClip: int = Field(ge=0)
    toClip: int = Field(ge=0)
    type: Literal["cut", "fade", "dissolve"]
    duration: float = Field(ge=0.0, le=10.0)


class AssembleAudio(_Strict):
    """A media file (``audioId``) at ``startTime``, or a dialogue line spoken from ``text``
    by ``characterId`` (a character of the project, by id or name) with its voice, or with
    ``voiceId`` (a saved voice's name/id or a voice id of the voice provider), which then
    becomes the character's voice."""

    type: Literal["dialogue", "music", "sfx"]
    audioId: str | None = Field(default=None, max_length=64)
    characterId: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=MAX_SPOKEN_CHARS)
    emotion: str = Field(default="", max_length=40)
    voiceId: str | None = Field(default=None, min_length=1, max_length=100)
    startTime: float = Field(ge=0.0)


class AssembleRequest(_Strict):
    """Design doc 7.2 ``AssembleSceneRequest`` (+ ``preset``, ``webhookUrl``), or a scene
    ``brief`` for the director (YAML/JSON text or an object; its files are references of the
    project or paths inside the project folder) with ``publish`` and ``destination``."""

    sceneId: str | None = Field(default=None, min_length=1, max_length=200)
    clips: list[AssembleClip] | None = Field(default=None, min_length=1, max_length=10)
    transitions: list[AssembleTransition] = Field(default_factory=list, max_length=20)
    audio: list[AssembleAudio] = Field(default_factory=list, max_length=20)
    brief: str | dict | None = Field(default=None)
    publish: bool | None = None
    destination: Literal["auto", "r2", "local"] = "auto"
    preset: str | None = Field(default=None, max_length=40)
    webhookUrl: HttpUrl | None = None


class VerifyRequest(_Strict):
    """Design doc 7.3 ``VerifyVideoRequest``."""

    videoId: str = Field(min_length=1, max_length=64)
    checkTypes: list[str] = Field(default_factory=lambda: ["all"], max_length=20)
    characterReference: str | None = Field(default=None, max_length=64)
    locationReference: str | None = Field(default=None, max_length=64)


class PublishBody(_Strict):
    """What to publish of a scene: a render made earlier (``renderId``, the job id of a
    render of this scene; default its latest) or a new one (``renderNow``), and optionally
    the scene's clips' media."""

    renderId: str | None = Field(default=None, max_length=64)
    renderNow: bool = False
    preset: str | None = Field(default=None, max_length=40)
    media: Literal["none", "generated", "all"] = "none"
    destination: Literal["auto", "r2", "local"] = "auto"
    webhookUrl: HttpUrl | None = None


class RenderRequest(_Strict):
    preset: str | None = Field(default=None, max_length=40)
    range: tuple[float, float] | None = None
    webhookUrl: HttpUrl | None = None
