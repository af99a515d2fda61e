"""The media fuzz corpus (>= 100 files) through probe and `import`: 0 tracebacks, 0 hangs,
one clear reason per unreadable file, the project still loads."""

from __future__ import annotations

import contextlib
import io
import signal
import time

import pytest
from media_fuzz import build_media_fuzz

from aladdin_studio.cli import main
from aladdin_studio.timeline import project_io
from aladdin_studio.timeline.media import bin_entries
from aladdin_studio.timeline.probe import MediaProbeError, clear_probe_cache, probe

LIMIT_S = 5.0


@pytest.fixture(scope="module")
def corpus(sample_master, tmp_path_factory):
    return build_media_fuzz(sample_master / "media", tmp_path_factory.mktemp("fuzz"))


class Hang(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: float):
    def alarm(*_):
        raise Hang()
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_probe_every_file_without_a_traceback(corpus):
    clear_probe_cache()
    assert len(corpus) >= 100
    tracebacks, slow, readable, refused = [], [], 0, 0
    for path in corpus:
        start = time.monotonic()
        try:
            with deadline(LIMIT_S * 2):
                probe(path)
            readable += 1
        except MediaProbeError as exc:
            refused += 1
            assert "\n" not in str(exc) and exc.reason
            assert "Error:" not in exc.reason, exc.reason  # no leaked Python exception
            assert "empty file" not in exc.reason or path.name in ("empty.mp4",
                                                                 "proc-self.mp4"), path
        except BaseException as exc:  # noqa: BLE001 - anything else is a finding
            tracebacks.append(f"{path.name!r}: {type(exc).__name__}: {exc}")
        if time.monotonic() - start > LIMIT_S:
            slow.append(path.name)
    assert not tracebacks, tracebacks
    assert not slow, slow
    assert readable >= 15 and refused >= 70


EXPECTED = {  # what the user is told for the files the issue names
    "corrupt-idat.png": "damaged",
    "dims-100000x100000.png": "too large",
    "dims-20000x10.png": "20000×10",
    "y4m-huge.y4m": "header is damaged",
    "fifo.mp4": "FIFO",
    "dev-zero.mp4": "device",
    "folder.mp4": "directory",
    "loop.mp4": "symbolic links",
}


def test_reasons_say_what_is_wrong(corpus):
    by_name = {p.name: p for p in corpus}
    for name, fragment in EXPECTED.items():
        with pytest.raises(MediaProbeError) as err:
            probe(by_name[name])
        assert fragment in str(err.value), str(err.value)
    with pytest.raises(MediaProbeError, match="not valid UTF-8"):
        probe(next(p for p in corpus if p.name.startswith("non-utf8")))


def test_import_the_whole_corpus(corpus, sample_project):
    before = (sample_project / "project.otio").read_bytes()
    err, out = io.StringIO(), io.StringIO()
    with deadline(120), contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(["import", str(sample_project), *map(str, corpus)])
    assert code == 2  # some files were skipped, each with its reason
    lines = err.getvalue().strip().splitlines()
    assert all(line.startswith("aladdin-studio: skipped: ") for line in lines), lines[:3]
    imported = out.getvalue().strip().splitlines()
    assert len(lines) + len(imported) == len(corpus)
    assert "Traceback" not in err.getvalue()
    project = project_io.load(sample_project)  # still loads, with the readable ones added
    assert (sample_project / "project.otio").read_bytes() != before
    names = [e["name"] for e in bin_entries(project)]
    assert len(names) >= 8 + len(imported) - 2  # the sample's, plus the new distinct ones
    assert all(n.isprintable() for n in names), [n for n in names if not n.isprintable()]
