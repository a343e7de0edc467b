"""What a piece of evidence is, read from its content: kind and type, size, a photo's capture time and
place, a recording's duration. No Qt: the server measures uploaded files with this same code.

The type comes from the file's first bytes, never from its name: a ``.jpg`` that holds a PNG is a PNG,
and a ``.mp3`` that holds text is refused. Photo metadata comes from EXIF (Pillow; HEIC through
pillow-heif), durations from the audio container (mutagen; raw ADTS AAC by counting its frames).

EXIF capture times carry no time zone unless the camera wrote ``OffsetTimeOriginal``. Without one,
the time is read in the organisation's zone (:data:`EXIF_ZONE`, China Standard Time), the same on
every desktop and on the server, so a rule about capture time gives one answer everywhere.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from desktop.errors import DomainError

EXIF_ZONE = timezone(timedelta(hours=8))  # Asia/Shanghai has had no daylight saving since 1991
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic"}
AUDIO_TYPES = {"audio/wav": ".wav", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac"}
READABLE = "JPEG, PNG, HEIC, WAV, MP3, M4A/AAC"
HEAD_BYTES = 64
# How many pixels a photo may have. A baseline JPEG is decoded at 1/8 scale (libjpeg shrinks while it
# decodes: Image.draft), so even the largest costs a few tens of MB. Every other picture - PNG, HEIC,
# and progressive JPEG, whose decoder holds all of its coefficients - is decoded whole, 3 to 4 bytes a
# pixel: 50 MP takes a 48 MP phone's HEIC and keeps that near 200 MB.
MAX_JPEG_PIXELS = 1_000_000_000
MAX_PHOTO_PIXELS = 50_000_000

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_MP4_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"dash", b"3gp4", b"3gp5", b"3g2a"}

# EXIF tags
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _DATETIME = 0x9003, 0x9011, 0x0132


@dataclass(frozen=True)
class MediaInfo:
    """What Fieldmark keeps about a file (desktop.models.Attachment has the same fields)."""

    kind: str  # "photo" or "audio"
    mime: str
    size: int
    duration_s: float | None = None
    taken_at: datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    width: int | None = None
    height: int | None = None


def bad_file(name: str, reason_zh: str, reason_en: str) -> DomainError:
    """A file Fieldmark cannot use, named, with the reason."""
    return DomainError("bad_file", f"文件“{name}”无法使用：{reason_zh}", f"The file {name!r} cannot be used: {reason_en}",
                       field="attachments")


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes of a file say it is (None: not a type Fieldmark reads)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image/heic"
        if brand in _MP4_AUDIO_BRANDS:
            return "audio/mp4"
        return None
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS: sync word, layer 00
            return "audio/aac"
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # MPEG audio frame sync, a layer set
            return "audio/mpeg"
    return None


def probe(path: Path, name: str | None = None) -> MediaInfo:
    """Read what a file is. Raises a ``bad_file`` DomainError naming it when it is not a photo or a
    recording Fieldmark reads, or is damaged."""
    name = name or path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        raise bad_file(name, f"无法读取（{exc.strerror or exc}）。", f"it cannot be read ({exc.strerror or exc}).") from exc
    if size == 0:
        raise bad_file(name, "文件是空的。", "the file is empty.")
    mime = sniff(head)
    if mime is None:
        raise bad_file(name, f"不是 Fieldmark 能读取的照片或录音（支持 {READABLE}）。",
                       f"it is not a photo or recording Fieldmark reads ({READABLE}).")
    if mime in PHOTO_TYPES:
        return _photo(path, name, mime, size)
    return _audio(path, name, mime, size)


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


# ---------------------------------------------------------------------------------------------- photos


def _pillow() -> Any:
    from PIL import Image

    _register_heif()
    # Pillow's own guard (DecompressionBombError past twice this) stays as a backstop behind the
    # limits _check_pixels applies with the real reason; below it, Pillow only warns.
    Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS
    return Image


def _open(image_module: Any, path: Path, name: str) -> Any:
    """Image.open, with Pillow's decompression-bomb refusal told as what it is: too many pixels."""
    # Between MAX_JPEG_PIXELS and twice that Pillow only warns (not silenced here: warning filters are
    # process-wide and thumbnails are made on two threads); _check_pixels refuses those pictures.
    try:
        return image_module.open(path)
    except image_module.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise _too_many_pixels(name, int(found.group(1)) if found else 0, MAX_JPEG_PIXELS) from exc


def _too_many_pixels(name: str, pixels: int, limit: int, size: tuple[int, int] | None = None) -> DomainError:
    mp, limit_mp = _megapixels(pixels), _megapixels(limit)
    dims = f"{size[0]}×{size[1]}，" if size else ""
    dims_en = f"{size[0]}×{size[1]}, " if size else ""
    return bad_file(name, f"照片有 {mp} 百万像素（{dims}上限 {limit_mp} 百万像素）。请用较低的分辨率导出或拍摄后再添加。",
                    f"the photo has {mp} megapixels ({dims_en}the limit is {limit_mp} megapixels for this "
                    "kind of picture). Export it at a lower resolution and add it again.")


def _megapixels(pixels: int) -> str:
    value = pixels / 1e6
    return f"{value:.1f}" if value < 10 else f"{value:,.0f}"


def _check_pixels(image: Any, name: str) -> None:
    """Refuse a picture whose decoding would not fit in bounded memory, with its pixel count."""
    width, height = image.size
    baseline_jpeg = image.format == "JPEG" and not image.info.get("progressive")
    limit = MAX_JPEG_PIXELS if baseline_jpeg else MAX_PHOTO_PIXELS
    if width * height > limit:
        raise _too_many_pixels(name, width * height, limit, (width, height))


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def _photo(path: Path, name: str, mime: str, size: int) -> MediaInfo:
    image_module = _pillow()
    try:
        with _open(image_module, path, name) as image:
            width, height = image.size
            _check_pixels(image, name)
            exif = image.getexif()
            _check_decodes(image, mime)
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for damaged files
        raise bad_file(name, "照片已损坏或不完整。", f"the photo is damaged or incomplete ({_why(exc)}).") from exc
    lat, lon = _gps(exif)
    return MediaInfo("photo", mime, size, taken_at=_taken_at(exif), gps_lat=lat, gps_lon=lon,
                     width=width, height=height)


def _check_decodes(image: Any, mime: str) -> None:
    """Decode the picture (cheaply: JPEGs at 1/8 scale), so that a truncated file is caught now."""
    if mime == "image/jpeg":
        image.draft("RGB", (max(1, image.size[0] // 8), max(1, image.size[1] // 8)))
    image.load()


def _taken_at(exif: Any) -> datetime | None:
    ifd = exif.get_ifd(_EXIF_IFD) if exif else {}
    text = ifd.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME) if exif else None
    if not isinstance(text, str):
        return None
    try:
        local = datetime.strptime(text.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone = EXIF_ZONE
    offset = ifd.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str) and len(offset.strip()) >= 6:
        try:
            sign = -1 if offset.strip()[0] == "-" else 1
            hours, minutes = offset.strip()[1:].split(":")[:2]
            zone = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
        except ValueError:
            pass
    return local.replace(tzinfo=zone).astimezone(UTC)


def _gps(exif: Any) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD) if exif else {}
    try:
        lat = _degrees(gps[2]) * (-1 if gps.get(1) in ("S", b"S") else 1)
        lon = _degrees(gps[4]) * (-1 if gps.get(3) in ("W", b"W") else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return round(lat, 7), round(lon, 7)


def _degrees(value: Any) -> float:
    d, m, s = (float(part) for part in value)
    return d + m / 60 + s / 3600


def thumbnail(path: Path, max_px: int = 256) -> bytes:
    """A JPEG thumbnail at most max_px on its longer side, turned upright as the camera meant; memory
    bounded by the pixel limits (a JPEG is decoded already shrunk)."""
    image_module = _pillow()
    from PIL import ImageOps

    with _open(image_module, path, path.name) as image:
        _check_pixels(image, path.name)
        if image.format == "JPEG":
            image.draft("RGB", (max_px, max_px))
        image.thumbnail((max_px, max_px))  # before turning: the box is square, and a small copy turns cheaply
        image = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
        return out.getvalue()


# ---------------------------------------------------------------------------------------------- audio


def _audio(path: Path, name: str, mime: str, size: int) -> MediaInfo:
    try:
        duration = _adts_duration(path) if mime == "audio/aac" else _mutagen_duration(path)
    except Exception as exc:  # noqa: BLE001 - mutagen raises many kinds for damaged files
        raise bad_file(name, "录音已损坏或不完整。", f"the recording is damaged or incomplete ({_why(exc)}).") from exc
    if duration is None or duration <= 0:
        raise bad_file(name, "录音已损坏或读不出时长。", "the recording is damaged or its length cannot be read.")
    return MediaInfo("audio", mime, size, duration_s=round(duration, 3))


def _mutagen_duration(path: Path) -> float | None:
    import mutagen

    audio = mutagen.File(path)
    if audio is None or audio.info is None:
        return None
    if type(audio).__name__ == "MP4" and not getattr(audio.info, "codec", "").startswith(("mp4a", "alac", "ac-3")):
        return None  # an MP4 video, or an MP4 without sound
    length = getattr(audio.info, "length", None)
    return float(length) if length else None


_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


_ADTS_READ = 1024 * 1024


def _adts_duration(path: Path) -> float | None:
    """Duration of a raw AAC (ADTS) stream: 1024 samples per frame, frames walked by their lengths,
    reading a megabyte of the file at a time (a long recording is hundreds of MB)."""
    pos, frames, rate = 0, 0, None
    with path.open("rb") as f:
        total = os.fstat(f.fileno()).st_size
        data, base = b"", 0  # data holds the file from byte base on
        while pos + 7 <= total:
            if pos + 7 > base + len(data):
                f.seek(pos)
                data, base = f.read(_ADTS_READ), pos
            i = pos - base
            if data[i] != 0xFF or data[i + 1] & 0xF6 != 0xF0:
                raise ValueError(f"no ADTS frame at byte {pos}")
            index = (data[i + 2] >> 2) & 0x0F
            if index >= len(_ADTS_RATES):
                raise ValueError("bad sample rate")
            rate = rate or _ADTS_RATES[index]
            length = ((data[i + 3] & 0x03) << 11) | (data[i + 4] << 3) | (data[i + 5] >> 5)
            if length < 7 or pos + length > total:
                raise ValueError(f"a frame at byte {pos} runs past the end")
            frames += (data[i + 6] & 0x03) + 1
            pos += length
    return frames * 1024 / rate if rate else None
