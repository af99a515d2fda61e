"""The timeline editor widget: tracks, clips, transitions, markers and the edits on them.

Every edit is a timeline command pushed with ``EditorContext.push``; see :mod:`.widget`.
"""

from .drops import MEDIA_MIME
from .palette import TRANSITION_MIME, TransitionPalette
from .tools import ROLL, SELECT, SLIP
from .widget import TimelineWidget

__all__ = ["MEDIA_MIME", "ROLL", "SELECT", "SLIP", "TRANSITION_MIME", "TimelineWidget",
           "TransitionPalette"]
