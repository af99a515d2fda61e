"""Typed errors for the timeline document.

Every message is written for the person using the editor: it names the clip,
track or file involved and, where possible, says what to do instead.
"""

from __future__ import annotations


class TimelineError(Exception):
    """Base class for errors a user can read."""


class EditError(TimelineError):
    """An edit was refused; the document is unchanged."""


class LockedTrackError(EditError):
    pass


class ClipLimitError(EditError):
    pass


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


class ProjectFileError(TimelineError):
    """A project file could not be read or written; the file on disk is untouched."""


class CorruptProjectError(ProjectFileError):
    pass


class NewerSchemaError(ProjectFileError):
    pass
