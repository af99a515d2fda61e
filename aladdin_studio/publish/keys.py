"""Object keys, as in the design doc, and the checks every key passes before use.

``projects/{projectId}/videos/{mediaId}.mp4`` (generated clips and other video),
``projects/{projectId}/scenes/{sceneId}/{renderId}.mp4`` (scene renders, with
``{renderId}.manifest.json`` beside them), ``projects/{projectId}/audio/{mediaId}.{ext}``
(dialogue, music, sfx) and ``projects/{projectId}/images/{mediaId}.{ext}``. Project, scene,
media and render ids are ours (hex ids), never user text; a name that is not a safe id is
refused rather than cleaned.
"""

from __future__ import annotations

import re

from .errors import PublishError

__all__ = ["CONTENT_TYPES", "content_type", "manifest_key", "media_key", "scene_key",
           "validate_key"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_EXT = re.compile(r"^\.[a-z0-9]{1,8}$")
MAX_KEY = 1024
CONTENT_TYPES = {
    ".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
    ".m4v": "video/mp4", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
    ".aac": "audio/aac", ".flac": "audio/flac", ".ogg": "audio/ogg", ".opus": "audio/ogg",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
    ".json": "application/json", ".otio": "application/json",
}
_FOLDERS = {"video": "videos", "audio": "audio", "image": "images"}


def content_type(name: str) -> str:
    dot = name.rfind(".")
    return CONTENT_TYPES.get(name[dot:].lower() if dot >= 0 else "", "application/octet-stream")


def _id(value: str, what: str) -> str:
    value = str(value)
    if not _ID.match(value):
        raise PublishError(f"The {what} {value!r} cannot be part of a storage key "
                           "(letters, digits, '-' and '_' only).")
    return value


def _ext(ext: str) -> str:
    ext = ext.lower() if ext.startswith(".") else f".{ext.lower()}"
    if not _EXT.match(ext):
        raise PublishError(f"The file extension {ext!r} cannot be part of a storage key.")
    return ext


def validate_key(key: str) -> str:
    """``key`` if it is a safe object key: relative, no ``..`` or empty parts, no control
    characters or backslashes, printable ASCII, at most 1024 bytes."""
    if not key or len(key.encode()) > MAX_KEY:
        raise PublishError("A storage key must be 1 to 1024 bytes long.")
    if key.startswith("/") or re.match(r"^[A-Za-z]:", key):
        raise PublishError(f"Storage keys are relative; {key!r} is absolute.")
    if any(ord(c) < 0x20 or ord(c) > 0x7E for c in key) or "\\" in key:
        raise PublishError("A storage key may hold printable ASCII characters only, and no "
                           "backslash or control character.")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise PublishError(f"The storage key {key!r} has an empty, '.' or '..' part.")
    return key


def media_key(project_id: str, media_type: str, media_id: str, ext: str) -> str:
    folder = _FOLDERS.get(media_type)
    if folder is None:
        raise PublishError(f"Unknown media type {media_type!r}.")
    return validate_key(f"projects/{_id(project_id, 'project id')}/{folder}/"
                        f"{_id(media_id, 'media id')}{_ext(ext)}")


def scene_key(project_id: str, scene_id: str, render_id: str, ext: str = ".mp4") -> str:
    return validate_key(f"projects/{_id(project_id, 'project id')}/scenes/"
                        f"{_id(scene_id, 'scene id')}/{_id(render_id, 'render id')}{_ext(ext)}")


def manifest_key(project_id: str, scene_id: str, render_id: str) -> str:
    return scene_key(project_id, scene_id, render_id, ".json").replace(
        ".json", ".manifest.json")
