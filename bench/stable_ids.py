"""What stable ids cost an edit: split + undo on a 20-scene project (10 clips each, ~480
addressable objects), with the id stamping of new objects and with it switched off (the
reference, same run). Goal: ratio < 1.2 (the stamping touches only the edit's new objects)."""

from __future__ import annotations

import time

from aladdin_studio.timeline import commands as C
from aladdin_studio.timeline import schema as S
from aladdin_studio.timeline.document import Project
from aladdin_studio.timeline.undo import UndoStack

RATE = 24
REPS = 300


def build() -> tuple[Project, UndoStack, object]:
    project = Project(name="bench")
    stack = UndoStack(project)
    add = C.AddScene("S", RATE, (320, 180), 10)
    stack.push(add)
    scene = add.scene
    for i in range(10):
        ref = S.new_reference(f"/media/{i}.mp4", duration_frames=7 * RATE, rate=RATE,
                              info={"has_video": True, "has_audio": True})
        stack.push(C.AppendClip(scene.tracks[0], S.new_clip(f"c{i}", ref, start=0,
                                                            duration=7 * RATE, rate=RATE)))
    for _ in range(19):
        stack.push(C.DuplicateScene(scene))
    return project, stack, scene


def edit_ms(stack: UndoStack, scene) -> float:
    start = time.perf_counter()
    for i in range(REPS):
        stack.push(C.Split(scene.tracks[0], 10 + i % 100), merge=False)
        stack.undo()
    return (time.perf_counter() - start) / REPS * 1000


def main() -> None:
    project, stack, scene = build()
    objects = sum(1 for _ in S.addressable(project.collection))
    edit_ms(stack, scene)  # warm up (builds the id index once)
    stamp = project._stamp_ids
    project._stamp_ids = lambda tx: None
    reference = edit_ms(stack, scene)
    project._stamp_ids = stamp
    measured = edit_ms(stack, scene)
    print(f"stable ids: split+undo {measured:.2f} ms with id stamping, {reference:.2f} ms "
          f"without ({objects} objects): ratio {measured / reference:.2f} (goal < 1.2)")


if __name__ == "__main__":
    main()
