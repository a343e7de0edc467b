"""Evidence files made by the tests themselves (no binaries in the repository): photos with EXIF capture
time and GPS, and recordings of an exact length in each audio format."""

from __future__ import annotations

import io
import math
import struct
import wave
from datetime import datetime
from pathlib import Path

from PIL import Image

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825


def photo(path: Path, *, taken: datetime | None = None, offset: str | None = None,
          gps: tuple[float, float] | None = None, size: tuple[int, int] = (640, 480), fmt: str = "JPEG",
          noise_bytes: int = 0) -> Path:
    """A picture; ``taken`` (naive, local to the camera) goes into EXIF DateTimeOriginal, ``offset``
    (e.g. "+08:00") into OffsetTimeOriginal, ``gps`` as (lat, lon). ``noise_bytes`` pads the file to
    roughly that size with a JPEG comment, for size tests."""
    image = Image.new("RGB", size, (200, 120, 40))
    for x in range(0, size[0], 16):  # some structure, so the encoder has work to do
        for y in range(0, size[1], 16):
            image.putpixel((x, y), ((x * 7) % 255, (y * 3) % 255, 90))
    exif = Image.Exif()
    if taken is not None:
        ifd = exif.get_ifd(_EXIF_IFD)
        ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            ifd[0x9011] = offset
    if gps is not None:
        g = exif.get_ifd(_GPS_IFD)
        lat, lon = gps
        g[1], g[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
        g[3], g[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    options = {"exif": exif.tobytes()} if (taken or gps) else {}
    if fmt == "JPEG" and noise_bytes:
        options["comment"] = b"x" * min(noise_bytes, 60000)
    image.save(path, fmt, **options)
    if noise_bytes and fmt == "JPEG":  # grow to size with APP segments after the SOI marker
        data = path.read_bytes()
        segments = io.BytesIO()
        remaining = noise_bytes - len(data)
        while remaining > 0:
            chunk = min(remaining, 65000)
            segments.write(b"\xff\xef" + struct.pack(">H", chunk + 2) + bytes(chunk))
            remaining -= chunk + 4
        path.write_bytes(data[:2] + segments.getvalue() + data[2:])
    return path


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), s)


def wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A mono 16-bit WAV of exactly ``seconds`` (to the sample)."""
    frames = round(seconds * rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        tone = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(rate))
        whole, rest = divmod(frames, rate)
        for _ in range(whole):
            w.writeframes(tone)
        w.writeframes(tone[: rest * 2])
    return path


def encoded(path: Path, seconds: float, fmt: str, codec: str, rate: int = 16000) -> Path:
    """A recording encoded by FFmpeg (through PyAV): fmt "mp3"/"libmp3lame", "ipod"/"aac" (M4A),
    "adts"/"aac" (raw AAC)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        total, pts = round(seconds * rate), 0
        while pts < total:
            n = min(1024, total - pts)
            frame = av.AudioFrame(format="s16", layout="mono", samples=n)
            frame.planes[0].update(bytes(2 * n))
            frame.sample_rate, frame.pts = rate, pts
            pts += n
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def mp3(path: Path, seconds: float) -> Path:
    return encoded(path, seconds, "mp3", "libmp3lame")


def m4a(path: Path, seconds: float) -> Path:
    return encoded(path, seconds, "ipod", "aac")


def aac(path: Path, seconds: float) -> Path:
    return encoded(path, seconds, "adts", "aac")


# ---------------------------------------------------------------------------------------------- other encoders
# Recordings made by encoders independent of the PyAV the measuring code is built on (installed by
# scripts/system-deps.sh): sox, lame and the ffmpeg command line.


def tool(name: str) -> str:
    """The path of an encoder the recording tests need; fails (not skips) when it is missing."""
    import shutil

    found = shutil.which(name)
    assert found, f"{name} is missing: run scripts/system-deps.sh"
    return found


def run(*command: str | Path, stdout: Path | None = None) -> None:
    """Run an encoder; ``stdout`` saves what it writes to a pipe."""
    import subprocess

    if stdout is None:
        subprocess.run([str(c) for c in command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)
        return
    with stdout.open("wb") as out:
        subprocess.run([str(c) for c in command], check=True, stdout=out, stderr=subprocess.PIPE, timeout=120)


def sox_wav(path: Path, seconds: float, rate: int = 16000, synth: str = "sine 440") -> Path:
    """A 16-bit mono WAV written by sox (``synth`` as sox takes it: "sine 440", "whitenoise")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run(tool("sox"), "-n", "-r", str(rate), "-c", "1", "-b", "16", path, "synth", str(seconds), *synth.split(),
        "vol", "0.5")
    return path


def ffmpeg(source: Path, path: Path, *options: str) -> Path:
    """``source`` re-encoded by the ffmpeg command line with ``options`` (codec, muxer flags) into ``path``."""
    run(tool("ffmpeg"), "-nostdin", "-loglevel", "error", "-y", "-i", source, *options, path)
    return path


def ffmpeg_to_pipe(source: Path, path: Path, *options: str) -> Path:
    """What ffmpeg writes to a pipe (it cannot seek back to fill in sizes), saved as ``path``."""
    run(tool("ffmpeg"), "-nostdin", "-loglevel", "error", "-i", source, *options, "-", stdout=path)
    return path


def lame(source: Path, path: Path, *options: str) -> Path:
    """``source`` encoded by lame; ``-t`` leaves out the Xing/LAME header."""
    run(tool("lame"), "--quiet", *options, source, path)
    return path


def sox_convert(source: Path, path: Path, *options: str) -> Path:
    """``source`` converted by sox (``options`` before the output: "-t", "amr-nb", "-r", "8000")."""
    run(tool("sox"), source, *options, path)
    return path


def patch_wav_length(path: Path, seconds: float) -> Path:
    """Rewrite a PCM WAV's data-chunk size so its header claims ``seconds``; the sound stays as it was."""
    data = bytearray(path.read_bytes())
    fmt = data.find(b"fmt ")
    rate, block = struct.unpack("<I", data[fmt + 12:fmt + 16])[0], struct.unpack("<H", data[fmt + 20:fmt + 22])[0]
    at = data.find(b"data")
    data[at + 4:at + 8] = struct.pack("<I", round(seconds * rate) * block)
    path.write_bytes(bytes(data))
    return path


def patch_mp4_length(path: Path, factor: float, boxes: tuple[bytes, ...] = (b"mvhd", b"mdhd", b"tkhd")) -> Path:
    """Multiply the durations an MP4's movie, media and track headers claim by ``factor``."""
    data = bytearray(path.read_bytes())
    for box in boxes:
        at = data.find(box)
        while at != -1:
            version = data[at + 4]
            skip = (8 if version == 0 else 16) + (8 if box == b"tkhd" else 4)  # times, then time scale or track id
            start, width = at + 8 + skip, 4 if version == 0 else 8
            fmt = ">I" if version == 0 else ">Q"
            value = struct.unpack(fmt, data[start:start + width])[0]
            data[start:start + width] = struct.pack(fmt, round(value * factor))
            at = data.find(box, at + 4)
    path.write_bytes(bytes(data))
    return path


def patch_xing_frames(path: Path, factor: float) -> Path:
    """Multiply the frame count in an MP3's Xing/Info header by ``factor``."""
    data = bytearray(path.read_bytes())
    at = max(data.find(b"Xing"), data.find(b"Info"))
    assert at > 0 and struct.unpack(">I", data[at + 4:at + 8])[0] & 1, "no Xing frame count to patch"
    frames = struct.unpack(">I", data[at + 8:at + 12])[0]
    data[at + 8:at + 12] = struct.pack(">I", round(frames * factor))
    path.write_bytes(bytes(data))
    return path


# A flat grey JPEG of any size, written without ever holding its pixels: baseline, one component, each
# 8x8 block coded as "DC difference 0, end of block" with the standard Huffman tables (6 bits), four
# blocks to three bytes. Pillow would need the whole picture in memory to encode it.
_DC_LUMA = (bytes([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]), bytes(range(12)))
_AC_LUMA_COUNTS = bytes([0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D])
_AC_LUMA_VALUES = bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a"
    "3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293"
    "9495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6"
    "e7e8e9eaf1f2f3f4f5f6f7f8f9fa")


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def huge_jpeg(path: Path, width: int, height: int, *, taken: datetime | None = None) -> Path:
    """A grey baseline JPEG of width x height (multiples of 32), a few MB on disk whatever its size."""
    if width % 32 or height % 8:
        raise ValueError("width must be a multiple of 32 and height of 8")
    parts = [b"\xff\xd8"]
    if taken is not None:
        exif = Image.Exif()
        exif.get_ifd(_EXIF_IFD)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        parts.append(_segment(0xE1, b"Exif\x00\x00" + exif.tobytes()))
    parts.append(_segment(0xDB, b"\x00" + bytes([1] * 64)))
    parts.append(_segment(0xC0, b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"))
    parts.append(_segment(0xC4, b"\x00" + _DC_LUMA[0] + _DC_LUMA[1]))
    parts.append(_segment(0xC4, b"\x10" + _AC_LUMA_COUNTS + _AC_LUMA_VALUES))
    parts.append(_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(b"".join(parts))
        blocks = (width // 8) * (height // 8)
        row = b"\x28\xa2\x8a" * (width // 32)  # one row of blocks
        for _ in range(blocks // (width // 8)):
            out.write(row)
        out.write(b"\xff\xd9")
    return path


def huge_png(path: Path, width: int, height: int) -> Path:
    """A black greyscale PNG of width x height, compressed row by row (never held whole)."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.parent.mkdir(parents=True, exist_ok=True)
    packer = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0, then the row
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        data = bytearray()
        for _ in range(height):
            data += packer.compress(row)
        data += packer.flush()
        out.write(chunk(b"IDAT", bytes(data)))
        out.write(chunk(b"IEND", b""))
    return path
