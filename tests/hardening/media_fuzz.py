"""A media fuzz corpus (>= 100 files): truncations, bit flips, absurd headers, huge
pictures, non-files (FIFO, devices, folders, symlink loops) and awkward names."""

from __future__ import annotations

import os
import random
import struct
import zlib
from pathlib import Path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, body: bytes = b"\0" * 64) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(body)) + _png_chunk(b"IEND", b""))


def _wav(rate: int, channels: int, bits: int, frames: int, declared: int | None = None) -> bytes:
    data = b"\0" * (frames * channels * max(bits // 8, 1))
    size = len(data) if declared is None else declared
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * max(bits // 8, 1),
                      channels * max(bits // 8, 1), bits)
    riff = struct.pack("<I", min(36 + size, 0xFFFFFFFF))
    return (b"RIFF" + riff + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data"
            + struct.pack("<I", size) + data)


def _y4m(header: str, payload: int = 4096) -> bytes:
    return f"YUV4MPEG2 {header}\nFRAME\n".encode() + bytes(payload)


def build_media_fuzz(sample_media: Path, dest: Path, *, seed: int = 11) -> list[Path]:
    """Write the corpus into ``dest``; returns every path (files and non-files)."""
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []

    def put(name: str | bytes, data: bytes) -> None:
        path = Path(os.fsdecode(os.path.join(os.fsencode(dest), os.fsencode(name))))
        path.write_bytes(data)
        made.append(path)

    mp4 = (sample_media / "pattern-1.mp4").read_bytes()
    m4a = (sample_media / "dialogue-1.m4a").read_bytes()
    png = (sample_media / "title-card.png").read_bytes()
    for name, data in (("ok.mp4", mp4), ("ok.m4a", m4a), ("ok.png", png),
                       ("ok.wav", _wav(48000, 2, 16, 4800))):
        put(name, data)
    for i, cut in enumerate((1, 8, 32, 100, 500, 1000, 4000, 20000, 60000, 120000,
                             len(mp4) // 2, len(mp4) - 1000, len(mp4) - 1)):
        put(f"trunc-{i:02d}.mp4", mp4[:cut])
    for i, cut in enumerate((1, 8, 16, 33, 60, 200, len(png) // 2, len(png) - 12)):
        put(f"trunc-{i:02d}.png", png[:cut])
    for i, cut in enumerate((4, 12, 40, 44, 1000, len(m4a) // 3)):
        put(f"trunc-{i:02d}.m4a", m4a[:cut])
    for i in range(20):  # bit flips through the file, headers included
        data = bytearray(mp4)
        for _ in range(1 + i):
            pos = rng.randrange(0, min(len(data), 4096 if i < 10 else len(data)))
            data[pos] ^= 1 << rng.randrange(8)
        put(f"flip-{i:02d}.mp4", bytes(data))
    for i in range(6):
        data = bytearray(png)
        pos = rng.randrange(33, len(data) - 12)
        data[pos:pos + 16] = bytes(rng.randrange(256) for _ in range(16))
        put(f"flip-{i:02d}.png", bytes(data))
    for i, ext in enumerate(("mp4", "mov", "png", "jpg", "wav", "mkv", "webm", "gif", "m4a",
                             "mp3")):
        put(f"random-{i:02d}.{ext}", rng.randbytes(rng.choice((1, 17, 512, 9000))))
    for w, h in ((100000, 100000), (30000, 30000), (20000, 10), (0, 0), (1, 2**31 - 1),
                 (16385, 16)):
        put(f"dims-{w}x{h}.png", _png(w, h))
    i = png.index(b"IDAT")
    corrupt = bytearray(png)
    corrupt[i + 8:i + 24] = b"\xff" * 16
    put("corrupt-idat.png", bytes(corrupt))
    for name, header in (("huge", "W100000 H100000 F24:1 C420jpeg"),
                         ("zero-fps", "W64 H64 F0:0 C420jpeg"),
                         ("huge-fps", "W64 H64 F1000000000:1 C420jpeg"),
                         ("neg", "W-64 H-64 F24:1 C420jpeg"),
                         ("no-size", "F24:1")):
        put(f"y4m-{name}.y4m", _y4m(header))
    for name, data in (("wav-rate-0", _wav(0, 2, 16, 100)),
                       ("wav-channels-0", _wav(48000, 0, 16, 100)),
                       ("wav-huge-size", _wav(48000, 2, 16, 100, declared=0xFFFFFFF0)),
                       ("wav-rate-1", _wav(1, 1, 8, 100)),
                       ("wav-bits-0", _wav(48000, 2, 0, 100))):
        put(f"{name}.wav", data)
    put("ftyp-huge-box.mp4", struct.pack(">I", 0xFFFFFFFF) + b"ftypisom" + bytes(64))
    put("ftyp-only.mp4", mp4[:32])
    put("gif-huge.gif", b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0\0\0" + b";")
    put("text.mp4", b"this is not a video\n" * 20)
    put("html.png", b"<!doctype html><html></html>")
    put("empty.mp4", b"")
    put("one-byte.wav", b"R")
    put("nul-bytes.mov", bytes(4096))
    # awkward names on valid media
    put(b"non-utf8-\xff\xfe.mp4", mp4)
    put(b"latin1-sc\xe8ne.png", png)
    put(b"bad-\xc3\x28.m4a", m4a)
    put("new\nline.png", png)
    put("rtl-\u202egnp.exe.png", png)
    put("tab\tand\x07bell.mp4", mp4)
    put("zero-width\u200b\u2066isolate.png", png)
    put(" leading and trailing .png", png)
    put("émoji-🎬.mp4", mp4)
    # not regular files
    specials = {
        "fifo.mp4": lambda p: os.mkfifo(p),
        "folder.mp4": lambda p: p.mkdir(),
        "dev-zero.mp4": lambda p: p.symlink_to("/dev/zero"),
        "dev-null.wav": lambda p: p.symlink_to("/dev/null"),
        "dev-urandom.png": lambda p: p.symlink_to("/dev/urandom"),
        "loop.mp4": lambda p: p.symlink_to(p),
        "loop-a.mp4": lambda p: (p.symlink_to(dest / "loop-b.mp4"),
                                 (dest / "loop-b.mp4").symlink_to(p)),
        "dangling.mp4": lambda p: p.symlink_to(dest / "nothing-here.mp4"),
        "proc-self.mp4": lambda p: p.symlink_to("/proc/self/status"),
    }
    for name, make in specials.items():
        path = dest / name
        make(path)
        made.append(path)
    made += [Path("/dev/zero"), Path("/dev/null"), dest / "missing.mp4"]
    return made
