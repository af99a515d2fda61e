"""Export of the sample scene at 1080p24: our engine against ffmpeg and MoviePy; memory.

Every run is its own process, measured from spawn to exit (wall time, process start
included; ``os.wait4`` for the exit and the CPU time) with the peak RSS of its process tree:
/proc is polled every 50 ms and VmRSS of the child and all its descendants summed (ffmpeg
and MoviePy children count); the peak is never below any one process's own VmHWM, which
catches spikes between polls. (``wait4``'s ``ru_maxrss`` is not used: after vfork + exec a
child inherits the parent's high-water mark, so it reports at least this script's size.)
The CPU time that other processes used during each run is printed too ("other load", in
cores): above 0.15 the times are flagged as unreliable. All x264 runs use preset veryfast,
CRF 20, yuv420p; audio is AAC 192k.

* ours: ``aladdin-studio render sample/Sample.aladdin --preset 1080p24 --json``.
* ffmpeg CLI: the same edit as one ``/usr/bin/ffmpeg`` command with one ``-filter_complex``
  built from the ScenePlan (:func:`ffmpeg_command`); its output must last within 0.1 s of
  ours. Approximations: the warm grade is ``colorbalance``; xfade has no easing (ours is
  ease-in-out); ffmpeg's ``fadeblack`` blends differently from our fade through black;
  ``loudnorm`` is one-pass dynamic (ours measures, then applies one gain); no ducking.
* encode-only ceiling: lavfi ``testsrc2`` 1920x1080 at 24 fps for the scene's duration
  through the same encoder settings; video only, audio excluded.
* same-content ceiling: our output re-encoded by the ffmpeg CLI (``-an``), i.e. one decode
  and one encode of the finished frames.
* MoviePy 2.x: the same edit through ``bench/tools/moviepy_scene.py`` (its docstring lists
  what is approximated), run by an interpreter that has MoviePy: ``--moviepy-python``, this
  one if it imports ``moviepy``, else ``bench/.venv-moviepy`` (created with pip on first
  use). MoviePy's own pins (Pillow < 12) conflict with the project's Pillow, hence a venv
  of its own. It is pointed at ``/usr/bin/ffmpeg``, the encoder of the ffmpeg CLI runs.

Goals (PASS/MISS printed; the exit status is 0 either way and non-zero only when a run
fails or the ffmpeg output's duration is off): ours / ffmpeg CLI <= 0.85; ours /
same-content ceiling <= 1.05; MoviePy / ours >= 5; our peak RSS < 1 GB. ours / encode-only
and the ffmpeg CLI's peak RSS are printed for reference. A Y-PSNR check against our output
at the middle of every transition and clip shows the references render the same edit.

``--long`` (memory flatness): a 10-minute scene (ten 60 s 960x540 clips made from two
generated files, dissolves between them, a 10-minute music bed) rendered with the
``draft`` preset by ``bench/tools/render_progress.py`` (the CLI's calls plus progress
lines), RSS sampled every 0.5 s. Printed: RSS at 10 %, 50 % and 90 % of the video frames and
the peak. Goals: peak < 1 GB; RSS at 90 % within 15 % of RSS at 10 %. ``--long`` runs by
default; ``--no-long`` skips it, ``--long-only`` runs only it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

from aladdin_studio.render.plan import (
    SAMPLE_RATE,
    AudioClipPlan,
    ScenePlan,
    TransitionPlan,
    VideoClipPlan,
    build_plan,
)
from aladdin_studio.timeline.project_io import load

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
TOOLS = BENCH / "tools"
SAMPLE = ROOT / "sample" / "Sample.aladdin"
BIN = Path(sys.executable).parent
CLI = BIN / "aladdin-studio"
FFMPEG = "/usr/bin/ffmpeg"
MOVIEPY_VENV = BENCH / ".venv-moviepy"
MOVIEPY_REQ = "moviepy~=2.2"

PRESET, CRF, AUDIO_BITRATE = "veryfast", 20, "192k"
X264 = ["-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p"]
QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
POLL = 0.05  # seconds between /proc samples
LONG_POLL = 0.5
GB = 1 << 30
MB = 1 << 20
PAGE = os.sysconf("SC_PAGE_SIZE")

GOAL_VS_FFMPEG = 0.85
GOAL_VS_SAME_CONTENT = 1.05
GOAL_MOVIEPY = 5.0
GOAL_RSS = GB
GOAL_FLAT = 0.15
BUSY = 0.15  # cores of other load above which a warning is printed


class RunFailed(Exception):
    """A measured process exited with an error (or a check made its numbers meaningless)."""


class Unsupported(Exception):
    """The scene uses something the ffmpeg/MoviePy translations do not cover."""


# ----------------------------------------------------------------------------- measuring


@dataclass
class Run:
    name: str
    seconds: float
    peak_rss: int  # bytes, process tree
    stdout: str
    cpu: float = 0.0  # CPU seconds of the process tree
    other_cpu: float = 0.0  # CPU seconds used meanwhile by everything else on the machine
    samples: list[tuple[float, int, Any]] = field(default_factory=list)  # (t, rss, tag)

    @property
    def other_load(self) -> float:
        """Cores busy with other work during the run, on average."""
        return self.other_cpu / self.seconds if self.seconds else 0.0


CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds all cores have spent busy since boot (steal included)."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    return (sum(f) - f[3] - f[4]) / CLK_TCK  # minus idle and iowait


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                found += [int(x) for x in fh.read().split()]
        except OSError:
            continue
    return found


def _rss_hwm(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in bytes; (0, 0) once it is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


def tree_rss(root: int, hwm: dict[int, int] | None = None) -> int:
    """Sum of the resident sets of ``root`` and all its descendants (bytes). ``hwm``
    collects each process's own high-water mark (VmHWM) by pid."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        rss, high = _rss_hwm(pid)
        total += rss
        if hwm is not None and high:
            hwm[pid] = max(hwm.get(pid, 0), high)
        stack += _children(pid)
    return total


def measure(cmd: list[str], name: str, *, env: dict[str, str] | None = None,
            interval: float = POLL, on_line: Callable[[str], None] | None = None,
            tag: Callable[[], Any] | None = None) -> Run:
    """Run ``cmd``; wall time from spawn to reaped exit and the tree's peak RSS."""
    out_lines: list[str] = []
    err_lines: list[str] = []
    busy0, self0 = machine_busy(), self_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            env=env)
    done = threading.Event()
    samples: list[tuple[float, int, Any]] = []
    hwm: dict[int, int] = {}

    def pump(stream: Any, sink: list[str], callback: Callable[[str], None] | None) -> None:
        for line in stream:
            sink.append(line)
            if callback is not None:
                callback(line)

    def sample() -> None:
        while not done.is_set():
            rss = tree_rss(proc.pid, hwm)
            samples.append((time.perf_counter() - t0, rss, tag() if tag else None))
            done.wait(interval)

    threads = [threading.Thread(target=pump, args=(proc.stdout, out_lines, on_line), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, err_lines, None), daemon=True),
               threading.Thread(target=sample, daemon=True)]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    busy1 = machine_busy()
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(timeout=10)
    cpu = usage.ru_utime + usage.ru_stime  # the child and the descendants it waited for
    other = max(0.0, busy1 - busy0 - cpu - (self_cpu() - self0))
    if proc.returncode != 0:
        tail = "".join(err_lines[-15:]).rstrip()
        raise RunFailed(f"{name} exited with {proc.returncode}:\n{tail}")
    # Not wait4's ru_maxrss: after vfork + exec the child inherits this (parent) process's
    # high-water RSS, so small children would report the benchmark's own size.
    peak = max([s[1] for s in samples] + list(hwm.values()), default=0)
    return Run(name, seconds, peak, "".join(out_lines), cpu, other, samples)


# ----------------------------------------------------------------------------- the plan


def ensure_sample() -> None:
    if (SAMPLE / "project.otio").is_file():
        return
    print(f"{SAMPLE} not found; building it (aladdin-studio demo, ~25 s)...", flush=True)
    t0 = time.perf_counter()
    subprocess.run([str(CLI), "demo", str(SAMPLE), "--force"], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"sample built in {time.perf_counter() - t0:.1f} s")


def load_plan(path: Path) -> ScenePlan:
    project = load(path)
    return build_plan(project.scene(None), project.resolve_media)


@dataclass(frozen=True)
class ClipInput:
    """One V1 clip as an input of the xfade chain."""

    clip: VideoClipPlan
    lo: int  # first timeline frame of this input in the chain
    hi: int  # one past its last
    hold_start: int  # frames frozen on the first media frame (a fade has no handles)
    hold_end: int  # frames frozen on the last media frame
    t_in: TransitionPlan | None
    t_out: TransitionPlan | None
    fps: float

    @property
    def media_frames(self) -> int:
        return self.hi - self.hold_end - self.lo - self.hold_start

    @property
    def media_start(self) -> float:
        return self.clip.source_time(self.lo + self.hold_start, self.fps)


def _key(clip: VideoClipPlan) -> tuple[str, int]:
    return clip.clip_id, clip.start


def v1_inputs(plan: ScenePlan) -> list[ClipInput]:
    """The clips of the (single) video track with the transitions on each side."""
    if len(plan.video) != 1:
        raise Unsupported("the references cover one video track")
    clips: dict[tuple[str, int], VideoClipPlan] = {}
    t_in: dict[tuple[str, int], TransitionPlan] = {}
    t_out: dict[tuple[str, int], TransitionPlan] = {}
    for seg in plan.video[0].segments:
        if isinstance(seg, TransitionPlan):
            if seg.kind == "cut":
                raise Unsupported("cut transitions")
            t_out[_key(seg.a)], t_in[_key(seg.b)] = seg, seg
            for c in (seg.a, seg.b):
                clips.setdefault(_key(c), c)
        else:
            clips.setdefault(_key(seg.clip), seg.clip)
    inputs = []
    for key, c in sorted(clips.items(), key=lambda kv: kv[1].start):
        ti, to = t_in.get(key), t_out.get(key)
        if c.speed != 1.0 or c.opacity != 1.0:
            raise Unsupported(f"clip {c.name}: speed/opacity")
        extra = {k for k in ("lut", "stabilize", "denoise") if c.effects.get(k)}
        if extra or float(c.effects.get("sharpen") or 0) > 0:
            raise Unsupported(f"clip {c.name}: effects {sorted(extra)}")
        inp = ClipInput(
            clip=c, lo=ti.start if ti else c.start, hi=to.end if to else c.end,
            hold_start=ti.cut - ti.start if ti and ti.kind == "fade" else 0,
            hold_end=to.end - to.cut if to and to.kind == "fade" else 0, t_in=ti, t_out=to,
            fps=plan.fps)
        inputs.append(inp)
    if not inputs or inputs[0].lo != 0 or inputs[-1].hi != plan.frames:
        raise Unsupported("the track must run from frame 0 to the end of the scene")
    for a, b in zip(inputs, inputs[1:], strict=False):
        if a.t_out is None or a.t_out is not b.t_in:
            raise Unsupported(f"no transition between {a.clip.name} and {b.clip.name}")
    return inputs


# ----------------------------------------------------------------------------- ffmpeg CLI

#: Our transition kind -> ffmpeg xfade name. ffmpeg's own "dissolve" is a random-pixel
#: (dither) dissolve; its cross-fade, which is what our dissolve is, is called "fade".
#: Wipe/slide directions mean the same in both: our "wipe left" edge travels right to left
#: (b grows from the right) like wipeleft; our "slide right" brings b in from the left and
#: pushes a out to the right, like slideright (vf_xfade.c; checked by the PSNR table).
XFADE = {"fade": "fadeblack", "dissolve": "fade", "wipe": "wipe{}", "slide": "slide{}"}
#: The warm grade (U down, V up by up to 8 codes, chroma gain 1.02) in colorbalance terms.
#: Without pl=1 (preserve lightness), which costs ffmpeg ~8 s more here; ours keeps luma.
COLORBALANCE = {"warm": "colorbalance=rm=0.06:bm=-0.07:rh=0.05:bh=-0.06",
                "cool": "colorbalance=rm=-0.06:bm=0.07:rh=-0.05:bh=0.06"}


def _s(x: float) -> str:
    return f"{x:.6f}"


def _audio_channels(path: str) -> int:
    with av.open(path) as c:
        return int(c.streams.audio[0].codec_context.channels or 2)


def _audio_filters(a: AudioClipPlan, fade_in: bool, fade_out: bool, trim_start: float,
                   channels: int) -> list[str]:
    dur = a.length / SAMPLE_RATE
    f = [f"atrim=start={_s(trim_start)}:duration={_s(dur)}" if trim_start > 0 else
         f"atrim=duration={_s(dur)}", "asetpts=PTS-STARTPTS",
         "aformat=sample_fmts=fltp:sample_rates=48000"]
    # Our mixer puts a mono source at unity on both sides; swresample's default upmix is
    # -3 dB, so duplicate the channel explicitly.
    f.append("pan=stereo|c0=c0|c1=c0" if channels == 1 else "aformat=channel_layouts=stereo")
    if a.volume != 1.0:
        f.append(f"volume={a.volume:g}")
    if fade_in and a.fade_in > 0:
        f.append(f"afade=t=in:st=0:d={_s(a.fade_in)}:curve=qsin")
    if fade_out and a.fade_out > 0:
        f.append(f"afade=t=out:st={_s(dur - a.fade_out)}:d={_s(a.fade_out)}:curve=qsin")
    return f


def ffmpeg_command(plan: ScenePlan, out: Path) -> list[str]:
    """The whole edit as one ffmpeg invocation (argument list, no shell)."""
    fps, (w, h) = plan.fps, plan.size
    inputs = v1_inputs(plan)
    own_audio = {a.clip_id: a for a in plan.audio if a.role == "clip"}
    args: list[str] = [FFMPEG, *QUIET]
    graph: list[str] = []
    # Video clips' own sound: (input stream, seconds to trim off its start, plan).
    clip_audio: list[tuple[str, float, AudioClipPlan]] = []
    n_in = 0
    for k, inp in enumerate(inputs):
        c = inp.clip
        assert c.path is not None
        v_dur = inp.media_frames / fps
        a = own_audio.get(c.clip_id) if c.has_audio else None
        if c.is_still:
            args += ["-loop", "1", "-framerate", f"{fps:g}", "-t", _s(v_dur), "-i", c.path]
            ss = v0 = 0.0
        else:
            v0 = inp.media_start
            lo_t, hi_t = v0, v0 + v_dur
            if a is not None:
                lo_t = min(lo_t, a.source_start)
                hi_t = max(hi_t, a.source_start + a.length / SAMPLE_RATE)
            ss = lo_t
            args += (["-ss", _s(ss)] if ss > 0 else []) + ["-t", _s(hi_t - ss), "-i", c.path]
        fit = ("scale={w}:{h}:force_original_aspect_ratio=decrease,"
               "pad={w}:{h}:(ow-iw)/2:(oh-ih)/2" if c.fit == "fit" else
               "scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}")
        vf = [f"trim=start={_s(v0 - ss)}"] if v0 > ss else []
        vf += ["setpts=PTS-STARTPTS", fit.format(w=w, h=h), f"fps={fps:g}", "format=yuv420p",
               "setsar=1"]
        grade = c.effects.get("grade") or "none"
        if grade != "none":
            if grade not in COLORBALANCE:
                raise Unsupported(f"grade {grade!r}")
            vf += [COLORBALANCE[grade], "format=yuv420p"]
        # Hold the first/last frame where the plan does (fades; media shorter than the clip).
        vf.append(f"tpad=start_mode=clone:start={inp.hold_start}:stop_mode=clone:stop=-1")
        vf += [f"trim=end_frame={inp.hi - inp.lo}", "setpts=PTS-STARTPTS"]
        graph.append(f"[{n_in}:v]{','.join(vf)}[v{k}]")
        if a is not None:
            clip_audio.append((f"{n_in}:a", a.source_start - ss, a))
        n_in += 1
    # Video: xfade chain at the plan's offsets (seconds from the start of the scene).
    prev = "v0"
    for k in range(1, len(inputs)):
        tr = inputs[k].t_in
        assert tr is not None
        name = XFADE[tr.kind].format(tr.direction)
        label = "vout" if k == len(inputs) - 1 else f"x{k}"
        graph.append(f"[{prev}][v{k}]xfade=transition={name}:duration="
                     f"{_s((tr.end - tr.start) / fps)}:offset={_s(tr.start / fps)}[{label}]")
        prev = label
    if len(inputs) == 1:
        graph.append("[v0]null[vout]")
    # Audio: video clips' own sound, crossfaded where the plan crossfades it.
    mix: list[str] = []
    clip_audio.sort(key=lambda item: item[2].start)
    # Runs of clips joined by crossfades: (input, trim, plan, filter joining it to the next).
    chains: list[list[tuple[str, float, AudioClipPlan, str]]] = []
    for i, (src, trim, a) in enumerate(clip_audio):
        join = ""
        if i + 1 < len(clip_audio):
            b = clip_audio[i + 1][2]
            overlap = a.end - b.start
            if overlap > 0 and abs(a.fade_out * SAMPLE_RATE - overlap) <= 1 \
                    and abs(b.fade_in * SAMPLE_RATE - overlap) <= 1:
                join = f"acrossfade=d={_s(overlap / SAMPLE_RATE)}:o=1:c1=qsin:c2=qsin"
            elif overlap == 0 and a.fade_out > 0 and a.fade_out == b.fade_in:
                join = f"acrossfade=d={_s(a.fade_out)}:o=0:c1=qsin:c2=qsin"
        if not chains or not chains[-1][-1][3]:
            chains.append([])
        chains[-1].append((src, trim, a, join))
    n_lab = 0
    for chain in chains:
        labels = []
        for j, (src, trim, a, _) in enumerate(chain):
            # Fades inside a run are the crossfades' job; only its ends get afade.
            af = _audio_filters(a, j == 0, j == len(chain) - 1, trim,
                                _audio_channels(a.path or ""))
            labels.append(f"ca{n_lab}")
            n_lab += 1
            graph.append(f"[{src}]{','.join(af)}[{labels[-1]}]")
        cur = labels[0]
        for j in range(1, len(chain)):
            lab = f"ca{n_lab}"
            n_lab += 1
            graph.append(f"[{cur}][{labels[j]}]{chain[j - 1][3]}[{lab}]")
            cur = lab
        start = chain[0][2].start
        lab = f"m{len(mix)}"
        graph.append(f"[{cur}]adelay=delays={start}S:all=1[{lab}]" if start else
                     f"[{cur}]anull[{lab}]")
        mix.append(lab)
    # Music and dialogue: volume, fades, placed with adelay.
    for a in plan.audio:
        if a.role == "clip":
            continue
        assert a.path is not None
        args += (["-ss", _s(a.source_start)] if a.source_start > 0 else []) + [
            "-t", _s(a.length / SAMPLE_RATE), "-i", a.path]
        af = _audio_filters(a, True, True, 0.0, _audio_channels(a.path))
        if a.start:
            af.append(f"adelay=delays={a.start}S:all=1")
        lab = f"m{len(mix)}"
        graph.append(f"[{n_in}:a]{','.join(af)}[{lab}]")
        mix.append(lab)
        n_in += 1
    graph.append("".join(f"[{m}]" for m in mix)
                 + f"amix=inputs={len(mix)}:normalize=0:duration=longest,"
                 + "loudnorm=I=-14:TP=-1,aresample=48000,"
                 + "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo[aout]")
    args += ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]",
             *X264, "-r", f"{fps:g}", "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", "48000",
             "-movflags", "+faststart", str(out)]
    return args


def encode_only_command(plan: ScenePlan, out: Path) -> list[str]:
    return [FFMPEG, *QUIET, "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=24",
            "-t", _s(plan.duration), "-an", *X264, str(out)]


def same_content_command(ours: Path, out: Path) -> list[str]:
    return [FFMPEG, *QUIET, "-i", str(ours), "-an", *X264, str(out)]


# ----------------------------------------------------------------------------- MoviePy


def moviepy_spec(plan: ScenePlan, out: Path) -> dict[str, Any]:
    inputs = v1_inputs(plan)
    index = {_key(inp.clip): i for i, inp in enumerate(inputs)}
    transitions = [inp.t_in for inp in inputs if inp.t_in is not None]
    return {
        "fps": plan.fps, "size": list(plan.size), "frames": plan.frames,
        "sample_rate": SAMPLE_RATE, "out": str(out),
        "clips": [{"name": i.clip.name, "path": i.clip.path, "still": i.clip.is_still,
                   "start": i.clip.start, "end": i.clip.end,
                   "source_start": i.clip.source_start, "speed": i.clip.speed,
                   "grade": i.clip.effects.get("grade") or "none"} for i in inputs],
        "transitions": [{"kind": t.kind, "direction": t.direction, "easing": t.easing,
                         "start": t.start, "end": t.end, "cut": t.cut,
                         "a": index[_key(t.a)], "b": index[_key(t.b)]} for t in transitions],
        "audio": [{"name": a.name, "role": a.role, "path": a.path, "start": a.start,
                   "length": a.length, "source_start": a.source_start, "speed": a.speed,
                   "volume": a.volume, "fade_in": a.fade_in, "fade_out": a.fade_out}
                  for a in plan.audio],
        "encode": {"preset": PRESET, "crf": CRF, "threads": 2, "audio_bitrate": AUDIO_BITRATE},
    }


# moviepy.__version__ of MoviePy 2.2.1 still says 2.1.2; ask the installed metadata.
VERSION_PROBE = "import moviepy, importlib.metadata as m; print(m.version('moviepy'))"


def moviepy_python(explicit: str | None) -> tuple[Path, str]:
    """An interpreter that imports MoviePy, and MoviePy's version."""
    if explicit:
        python = Path(explicit)
    elif importlib.util.find_spec("moviepy") is not None:
        python = Path(sys.executable)
    else:
        python = MOVIEPY_VENV / "bin" / "python"
        probe = subprocess.run([str(python), "-c", "import moviepy"], capture_output=True) \
            if python.exists() else None
        if probe is None or probe.returncode != 0:
            print(f"setting up {MOVIEPY_VENV.relative_to(ROOT)} ({MOVIEPY_REQ}, pip)...",
                  flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(MOVIEPY_VENV)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q",
                            "--disable-pip-version-check", MOVIEPY_REQ], check=True)
    version = subprocess.run([str(python), "-c", VERSION_PROBE],
                             capture_output=True, text=True, check=True).stdout.strip()
    return python, version


# ----------------------------------------------------------------------------- checks


def duration(path: Path) -> float:
    with av.open(str(path)) as c:
        return float(c.duration or 0) / av.time_base


def x264_build(path: Path) -> str:
    """The x264 version string the encoder wrote into the stream (SEI)."""
    with open(path, "rb") as fh:
        m = re.search(rb"x264 - core (\d+)( r\d+ \w+)?", fh.read(4 << 20))
    return m.group(0).decode() if m else "?"


def luma_frames(path: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """Y planes of the frames with these indices (decoded once, front to back)."""
    found: dict[int, np.ndarray] = {}
    last = max(wanted)
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(c.decode(stream)):
            if i in wanted:
                if frame.format.name != "yuv420p":
                    frame = frame.reformat(format="yuv420p")
                found[i] = frame.to_ndarray()[: frame.height].astype(np.float32)
            if i >= last:
                break
    return found


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return 99.0 if mse == 0 else 10 * math.log10(255.0**2 / mse)


def check_frames(plan: ScenePlan, ours: Path, others: dict[str, Path]) -> None:
    """Y-PSNR of the references against our output, mid-transition and mid-clip."""
    points: list[tuple[int, str]] = []
    for seg in plan.video[0].segments:
        mid = (seg.start + seg.end) // 2
        if isinstance(seg, TransitionPlan):
            points.append((mid, f"{seg.kind} {seg.direction} (p=0.5)"))
        else:
            points.append((mid, f"{seg.clip.name}"
                                + (" (warm grade)" if seg.clip.has_effects else "")))
    wanted = {n for n, _ in points}
    ref = luma_frames(ours, wanted)
    decoded = {name: luma_frames(path, wanted) for name, path in others.items()}
    names = list(others)
    print("\nsame edit? Y-PSNR against our output (dB; >= ~30 same picture, < ~15 different):")
    print(f"  {'frame':>5}  {'what':32}" + "".join(f"{n:>12}" for n in names))
    for n, what in points:
        row = "".join(f"{psnr(ref[n], decoded[name][n]):12.1f}" if n in decoded[name]
                      else f"{'-':>12}" for name in names)
        print(f"  {n:5d}  {what:32}{row}")
    print("  (at the middle of a fade ours is black; ffmpeg's fadeblack is not quite)")


# ----------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def median_run(runs: list[Run]) -> Run:
    return Run(runs[0].name, statistics.median(r.seconds for r in runs),
               int(statistics.median(r.peak_rss for r in runs)), runs[-1].stdout,
               statistics.median(r.cpu for r in runs),
               statistics.median(r.other_cpu for r in runs))


def compare(args: argparse.Namespace, tmp: Path) -> None:
    plan = load_plan(SAMPLE)
    ffmpeg_version = subprocess.run([FFMPEG, "-version"], capture_output=True, text=True,
                                    check=True).stdout.splitlines()[0]
    print(f"scene: {plan.name}, {plan.frames} frames at {plan.fps:g} fps "
          f"({plan.duration:.3f} s), {plan.size[0]}x{plan.size[1]}; "
          f"x264 {PRESET} CRF {CRF} yuv420p, AAC {AUDIO_BITRATE}")
    print(f"system ffmpeg: {ffmpeg_version}")
    print(f"PyAV {av.__version__} (FFmpeg {getattr(av, 'ffmpeg_version_info', '?')})")
    ours_out, ff_out = tmp / "ours.mp4", tmp / "ffmpeg.mp4"
    enc_out, same_out, mp_out = tmp / "encode-only.mp4", tmp / "same.mp4", tmp / "moviepy.mp4"
    cmds: dict[str, Callable[[], list[str]]] = {
        "ours": lambda: [str(CLI), "render", str(SAMPLE), "-o", str(ours_out), "--preset",
                         "1080p24", "--json"],
        "ffmpeg CLI": lambda: ffmpeg_command(plan, ff_out),
        "encode-only ceiling": lambda: encode_only_command(plan, enc_out),
        "same-content ceiling": lambda: same_content_command(ours_out, same_out),
    }
    envs: dict[str, dict[str, str] | None] = {}
    if not args.skip_moviepy:
        python, version = moviepy_python(args.moviepy_python)
        spec_path = tmp / "moviepy-spec.json"
        spec_path.write_text(json.dumps(moviepy_spec(plan, mp_out), indent=1))
        print(f"MoviePy {version} ({python}), ffmpeg binary {FFMPEG}")
        cmds["MoviePy"] = lambda: [str(python), str(TOOLS / "moviepy_scene.py"), str(spec_path)]
        envs["MoviePy"] = {**os.environ, "FFMPEG_BINARY": FFMPEG}
    if args.show_ffmpeg:
        print("ffmpeg command:\n  " + " ".join(ffmpeg_command(plan, ff_out)))
    runs: dict[str, list[Run]] = {name: [] for name in cmds}
    for r in range(args.repeat):
        for name, cmd in cmds.items():
            run = measure(cmd(), name, env=envs.get(name))
            runs[name].append(run)
            print(f"  round {r + 1}/{args.repeat}: {name:21} {run.seconds:7.2f} s  "
                  f"{run.peak_rss / MB:7.0f} MB  (other load {run.other_load:.2f} cores)",
                  flush=True)
    result = {name: median_run(rs) for name, rs in runs.items()}
    ours = json.loads(result["ours"].stdout)

    d_ours, d_ff = duration(ours_out), duration(ff_out)
    print(f"\noutput durations: ours {d_ours:.3f} s, ffmpeg CLI {d_ff:.3f} s"
          + (f", MoviePy {duration(mp_out):.3f} s" if "MoviePy" in result else "")
          + f"; encoders: ours '{x264_build(ours_out)}', ffmpeg '{x264_build(ff_out)}'")
    if abs(d_ours - d_ff) > 0.1:
        raise RunFailed(f"ffmpeg CLI output lasts {d_ff:.3f} s, ours {d_ours:.3f} s "
                        "(more than 0.1 s apart): the reference is not the same edit")
    others = {"ffmpeg CLI": ff_out} | ({"MoviePy": mp_out} if "MoviePy" in result else {})
    check_frames(plan, ours_out, others)

    frames = plan.frames
    note = {"ours": f"in-process {ours['seconds']:.2f} s, {ours['passthrough_frames']} "
                    "frames passed through",
            "ffmpeg CLI": "one -filter_complex from the ScenePlan",
            "encode-only ceiling": "testsrc2, video only (no audio)",
            "same-content ceiling": "decode+encode of our output, video only",
            "MoviePy": "bench/tools/moviepy_scene.py"}
    print(f"\n{'run (median of ' + str(args.repeat) + ')':24}{'wall s':>8}{'fps':>7}"
          f"{'CPU s':>7}{'peak RSS MB':>13}{'other load':>12}  notes")
    for name, run in result.items():
        print(f"{name:24}{run.seconds:8.2f}{frames / run.seconds:7.1f}{run.cpu:7.1f}"
              f"{run.peak_rss / MB:13.0f}{run.other_load:12.2f}  {note[name]}")
    busiest = max(run.other_load for rs in runs.values() for run in rs)
    if busiest > BUSY:
        print(f"WARNING: other processes kept up to {busiest:.2f} of the {os.cpu_count()} cores "
              "busy during a run; the times are unreliable (use --repeat 3 on a quiet machine)")
    t = {name: run.seconds for name, run in result.items()}
    vs_ff = t["ours"] / t["ffmpeg CLI"]
    vs_same = t["ours"] / t["same-content ceiling"]
    print()
    print(f"ours / ffmpeg CLI           {vs_ff:6.2f}   goal <= {GOAL_VS_FFMPEG}   "
          f"{verdict(vs_ff <= GOAL_VS_FFMPEG)}")
    print(f"ours / same-content ceiling {vs_same:6.2f}   goal <= {GOAL_VS_SAME_CONTENT}   "
          f"{verdict(vs_same <= GOAL_VS_SAME_CONTENT)}")
    if "MoviePy" in t:
        vs_mp = t["MoviePy"] / t["ours"]
        print(f"MoviePy / ours              {vs_mp:6.2f}   goal >= {GOAL_MOVIEPY}     "
              f"{verdict(vs_mp >= GOAL_MOVIEPY)}")
    else:
        print("MoviePy / ours                 -     (--skip-moviepy)")
    print(f"ours / encode-only ceiling  {t['ours'] / t['encode-only ceiling']:6.2f}   "
          "(reference; testsrc2 content, no audio)")
    rss = result["ours"].peak_rss
    print(f"our peak RSS                {rss / MB:6.0f} MB   goal < {GOAL_RSS // MB} MB  "
          f"{verdict(rss < GOAL_RSS)}")
    print(f"ffmpeg CLI peak RSS         {result['ffmpeg CLI'].peak_rss / MB:6.0f} MB   "
          f"(ours / ffmpeg {rss / result['ffmpeg CLI'].peak_rss:.2f})")


# ----------------------------------------------------------------------------- --long


LONG_CLIPS, LONG_SECONDS, LONG_SIZE = 10, 60.0, (960, 540)


def build_long_project(root: Path) -> Path:
    """Ten 60 s clips (two generated files alternating) with 0.5 s dissolves, and a
    10-minute music bed; the scene lasts 10:00 (its last 4.5 s have no picture)."""
    from aladdin_studio.sample_media import make_music_bed, make_pattern_video
    from aladdin_studio.timeline import commands as C
    from aladdin_studio.timeline.media import clip_for_media
    from aladdin_studio.timeline.project_io import new_project, save

    project = new_project(root / "Long.aladdin", fps=24, size=LONG_SIZE)
    assert project.location is not None
    media = project.location.media_dir
    files = [make_pattern_video(media / f"long-{i}.mp4", seconds=LONG_SECONDS, size=LONG_SIZE,
                                fps=24, pattern=i, tone_hz=(220.0, 330.0)[i]) for i in range(2)]
    # The 10-minute bed: a 60 s bed looped by stream copy (synthesizing 600 s takes ~20 s).
    bed60 = make_music_bed(root / "music-60.m4a", seconds=LONG_SECONDS)
    music = media / "music-bed.m4a"
    subprocess.run([FFMPEG, *QUIET, "-stream_loop", str(LONG_CLIPS - 1), "-i", str(bed60),
                    "-c", "copy", "-movflags", "+faststart", str(music)], check=True)
    scene = project.scene(None)
    video, music_track = scene.tracks[0], scene.tracks[2]
    clips = []
    for i in range(LONG_CLIPS):
        clip = clip_for_media(project, files[i % 2], scene)
        C.AppendClip(video, clip).redo(project)
        clips.append(clip)
    for clip in clips[:-1]:
        C.AddTransition(clip, "dissolve", 0.5).redo(project)
    # The dissolves shorten the video track by 4.5 s; the bed keeps the scene at 10:00.
    bed = clip_for_media(project, music, scene, audio=True, seconds=LONG_CLIPS * LONG_SECONDS)
    C.AppendClip(music_track, bed).redo(project)
    C.SetClipAudio(bed, volume=0.5, fade_in=1.0, fade_out=2.0).redo(project)
    save(project)
    return project.location.root


def long_run(tmp: Path) -> None:
    t0 = time.perf_counter()
    project = build_long_project(tmp)
    plan = load_plan(project)
    print(f"\n--long: {LONG_CLIPS} x {LONG_SECONDS:g} s {LONG_SIZE[0]}x{LONG_SIZE[1]} clips + "
          f"10-min music bed: {plan.frames} frames ({plan.duration / 60:.2f} min), built in "
          f"{time.perf_counter() - t0:.1f} s; rendering with the draft preset...", flush=True)
    state: dict[str, Any] = {"stage": "start", "fraction": 0.0}

    def on_line(line: str) -> None:
        parts = line.split()
        if len(parts) == 4 and parts[0] == "progress":
            state["stage"] = parts[1]
            state["fraction"] = int(parts[2]) / max(1, int(parts[3]))

    run = measure([sys.executable, str(TOOLS / "render_progress.py"), str(project),
                   str(tmp / "long.mp4"), "draft"], "ours --long", interval=LONG_POLL,
                  on_line=on_line, tag=lambda: (state["stage"], state["fraction"]))
    video = [(t, rss, tag[1]) for t, rss, tag in run.samples if tag[0] == "video"]
    if len(video) < 3:
        raise RunFailed("--long: too few RSS samples during the video stage")

    def at(fraction: float) -> tuple[float, int, float]:
        return min(video, key=lambda s: abs(s[2] - fraction))

    result = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"render: {run.seconds:.1f} s wall ({result['seconds']:.1f} s in render_scene, "
          f"{result['frames'] / run.seconds:.0f} fps), {len(run.samples)} RSS samples, "
          f"other load {run.other_load:.2f} cores")
    for stage in ("start", "audio", "video", "mux"):
        got = [(t, rss) for t, rss, tag in run.samples if tag[0] == stage]
        if got:
            print(f"  stage {stage:5} from t={got[0][0]:5.1f} s: max sampled RSS "
                  f"{max(r for _, r in got) / MB:5.0f} MB")
    marks = {f: at(f) for f in (0.1, 0.5, 0.9)}
    for f, (t, rss, frac) in marks.items():
        print(f"  RSS at {f:.0%} of the frames (t={t:5.1f} s, {frac:5.1%}): {rss / MB:6.0f} MB")
    later = [rss for _, rss, frac in video if frac >= 0.2]
    if later:
        print(f"  (RSS over 20-100 % of the frames: {min(later) / MB:.0f}-{max(later) / MB:.0f} MB;"
              " the second source file opens at 10 %)")
    r10, r90 = marks[0.1][1], marks[0.9][1]
    drift = (r90 - r10) / r10
    print(f"  peak RSS {run.peak_rss / MB:.0f} MB (VmHWM; max sampled "
          f"{max(r for _, r, _ in run.samples) / MB:.0f} MB)   goal < {GOAL_RSS // MB} MB   "
          f"{verdict(run.peak_rss < GOAL_RSS)}")
    print(f"  RSS 90 % vs 10 %: {drift:+.1%}   goal within ±{GOAL_FLAT:.0%}   "
          f"{verdict(abs(drift) <= GOAL_FLAT)}")


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, median taken")
    parser.add_argument("--skip-moviepy", action="store_true", help="leave MoviePy out")
    parser.add_argument("--moviepy-python", help="interpreter with MoviePy 2.x installed")
    parser.add_argument("--show-ffmpeg", action="store_true", help="print the ffmpeg command")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-long", dest="long", action="store_false",
                       help="skip the 10-minute memory run")
    group.add_argument("--long", dest="long", action="store_true", default=True,
                       help="run the 10-minute memory run too (the default)")
    group.add_argument("--long-only", action="store_true", help="only the 10-minute run")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-render-") as name:
            tmp = Path(name)
            if not args.long_only:
                ensure_sample()
                compare(args, tmp)
            if args.long or args.long_only:
                long_run(tmp)
    except (RunFailed, Unsupported, subprocess.CalledProcessError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
