"""What front ends get from a ProjectSession beyond edits: their own view of the history (the
editor's QUndoStack), the background autosaver with its failures kept, discarding the recovery
copy, and closing (autosave off, lock let go)."""

from __future__ import annotations

from aladdin_studio.services.session import ProjectSession
from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline.project_lock import acquire, holder_of
from aladdin_studio.timeline.undo import UndoStack


class CountingHistory(UndoStack):
    """A front end's history: counts what the session records through it."""

    def __init__(self, project) -> None:
        super().__init__(project)
        self.pushed: list[str] = []

    def push(self, command, *, merge: bool = True):
        self.pushed.append(command.text)
        return super().push(command, merge=merge)


def test_edits_undo_and_redo_go_through_the_front_ends_history(sample_project):
    with ProjectSession.open(sample_project, writer="test") as session:
        history = CountingHistory(session.project)
        session.replace_history(history)
        track = session.project.scenes[0].tracks[0]
        session.push(C.RenameItem(track, "Through the history"))
        assert history.pushed == ["Rename"] and history.can_undo()
        session.undo()
        assert track.name != "Through the history" and history.can_redo()
        session.redo()
        assert track.name == "Through the history"


def test_background_autosave_failures_are_kept_and_discard_leaves_no_copy(qapp,
                                                                         sample_project):
    session = ProjectSession.open(sample_project, writer="the test editor")
    saver = session.start_autosave(60.0)  # written by tick() here, not by the timer
    recovery = session.project.location.recovery_file
    session.push(C.RenameItem(session.project.scenes[0], "Unsaved"))
    recovery.mkdir()  # a folder has the recovery file's name: every write fails
    assert saver.tick() is None
    assert "project.otio.recovery" in session.last_autosave_error
    assert session.autosave_failures == 1
    recovery.rmdir()
    assert saver.tick() == recovery and recovery.is_file()
    assert session.last_autosave_error is None and session.autosave_failures == 0
    session.discard_recovery()  # the user chose Discard
    assert not recovery.exists()
    assert holder_of(sample_project)["holder"] == "the test editor"
    session.close()
    assert session.autosaver is None and session.lock is None
    assert holder_of(sample_project) is None
    acquire(sample_project, "check", wait_s=0).release()


def test_a_writer_without_the_lock_edits_and_saves_but_holds_nothing(sample_project):
    other = acquire(sample_project, "aladdin-studio import")
    try:
        session = ProjectSession(ProjectSession.open(sample_project).project,
                                 writer="the test editor", take_lock=False)
        assert session.lock is None and not session.read_only
        session.push(C.RenameItem(session.project.scenes[0], "Edited"))
        assert session.dirty
        session.close()
        assert holder_of(sample_project)["holder"] == "aladdin-studio import"
    finally:
        other.release()
