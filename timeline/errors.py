"""Typed errors for the timeline document.

Every message is written for the person using the editor: it names the clip,
track or file involved and, where possible, says what to do instead.
"""

from __future__ import annotations

from aladdin_studio.errors import AladdinError, ErrorKind


class TimelineError(AladdinError):
    """Base class for errors a user can read."""

    kind = ErrorKind.INVALID_INPUT


class EditError(TimelineError):
    """An edit was refused; the document is unchanged."""


class LockedTrackError(EditError):
    kind = ErrorKind.CONFLICT


class ClipLimitError(EditError):
    kind = ErrorKind.QUOTA


class TrimRangeError(EditError):
    """A trim, slip, roll or speed change needs media the clip does not have."""


class NoRoomError(EditError):
    """A non-ripple edit would overwrite a neighbouring clip."""


class TransitionError(EditError):
    pass


class TransitionTooLongError(TransitionError):
    pass


class InvalidEditError(EditError):
    pass


class ItemNotFound(TimelineError):
    """No scene, track, clip, transition, marker or take has the id asked for."""

    kind = ErrorKind.NOT_FOUND


class ProjectFileError(TimelineError):
    """A project file could not be read or written; the file on disk is untouched."""

    kind = ErrorKind.NOT_FOUND


class CorruptProjectError(ProjectFileError):
    kind = ErrorKind.CORRUPT


class NewerSchemaError(ProjectFileError):
    pass
