"""A one-line terminal progress bar for ``aladdin-studio render``."""

from __future__ import annotations

from typing import TextIO

from .export import Progress

_STAGES = {"audio": "Analysing audio", "video": "Rendering", "mux": "Writing file"}


class ProgressBar:
    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self._shown = False

    def __call__(self, p: Progress) -> None:
        filled = int(self.width * p.fraction)
        eta = f" ETA {p.eta:4.0f} s" if p.eta is not None and p.stage == "video" else ""
        fps = f" {p.fps:5.1f} fps" if p.fps else ""
        bar = "#" * filled + "." * (self.width - filled)
        line = f"\r{_STAGES.get(p.stage, p.stage):15} [{bar}] {p.done}/{p.total}{fps}{eta}"
        self.stream.write(line.ljust(80))
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
