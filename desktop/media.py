"""What a piece of evidence is, read from its content: kind and type, size, a photo's capture time and
place, a recording's duration. No Qt: the server measures uploaded files with this same code.

The type comes from the file's first bytes, never from its name: a ``.jpg`` that holds a PNG is a PNG,
and a ``.mp3`` that holds text is refused. Photo metadata comes from EXIF (Pillow; HEIC through
pillow-heif), durations from the sound actually in a recording (desktop.media_audio: counted, never
taken from a header, and a header that disagrees makes the file damaged).

EXIF capture times carry no time zone unless the camera wrote ``OffsetTimeOriginal``. Without one,
the time is read in the organisation's zone (:data:`EXIF_ZONE`, China Standard Time), the same on
every desktop and on the server, so a rule about capture time gives one answer everywhere.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from desktop import media_audio
from desktop.errors import DomainError

EXIF_ZONE = timezone(timedelta(hours=8))  # Asia/Shanghai has had no daylight saving since 1991
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic"}
AUDIO_TYPES = media_audio.AUDIO_TYPES
READABLE_ZH = "照片 JPEG、PNG、HEIC，录音 " + media_audio.READABLE_AUDIO_ZH
READABLE = "photos JPEG, PNG, HEIC; recordings " + media_audio.READABLE_AUDIO_EN
HEAD_BYTES = 64
# How many pixels a photo may have. A baseline JPEG is decoded at 1/8 scale (libjpeg shrinks while it
# decodes: Image.draft), so even the largest costs a few tens of MB. Every other picture - PNG, HEIC,
# and progressive JPEG, whose decoder holds all of its coefficients - is decoded whole, 3 to 4 bytes a
# pixel: 50 MP takes a 48 MP phone's HEIC and keeps that near 200 MB.
MAX_JPEG_PIXELS = 1_000_000_000
MAX_PHOTO_PIXELS = 50_000_000

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

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
    # not kept on the attachment; `fieldmark evidence inspect` shows them to support staff
    taken_zone: str | None = None  # "+09:00" as the file says, or the zone assumed (see zone_assumed)
    zone_assumed: bool = False  # the file gave a time without a zone: EXIF_ZONE was taken
    claimed_duration_s: float | None = None  # what a recording's header claimed (None: it claims nothing)
    codec: str | None = None


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
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return media_audio.sniff_audio(head)


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
    if mime is None and media_audio.is_silk(head):
        raise bad_file(name, f"这是微信 SILK 格式的语音，无法读取；请用手机的录音机录音（可读取：{READABLE_ZH}）。",
                       f"it is a WeChat SILK voice message, which cannot be read; record with the phone's recorder "
                       f"instead (readable: {READABLE}).")
    if mime is None:
        raise bad_file(name, f"不是 Fieldmark 能读取的照片或录音（可读取：{READABLE_ZH}）。",
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
    taken_at, zone = _taken_at(exif)
    return MediaInfo("photo", mime, size, taken_at=taken_at, gps_lat=lat, gps_lon=lon, width=width, height=height,
                     taken_zone=zone and _zone_text(zone), zone_assumed=zone is EXIF_ZONE)


def _check_decodes(image: Any, mime: str) -> None:
    """Decode the picture (cheaply: JPEGs at 1/8 scale), so that a truncated file is caught now."""
    if mime == "image/jpeg":
        image.draft("RGB", (max(1, image.size[0] // 8), max(1, image.size[1] // 8)))
    image.load()


def _taken_at(exif: Any) -> tuple[datetime | None, timezone | None]:
    """The EXIF capture time in UTC, and the zone it was read in (EXIF_ZONE itself when assumed)."""
    ifd = exif.get_ifd(_EXIF_IFD) if exif else {}
    text = ifd.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME) if exif else None
    if not isinstance(text, str):
        return None, None
    try:
        local = datetime.strptime(text.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, None
    zone = EXIF_ZONE
    offset = ifd.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str) and len(offset.strip()) >= 6:
        try:
            sign = -1 if offset.strip()[0] == "-" else 1
            hours, minutes = offset.strip()[1:].split(":")[:2]
            zone = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
        except ValueError:
            pass
    return local.replace(tzinfo=zone).astimezone(UTC), zone


def _zone_text(zone: timezone) -> str:
    return media_audio.offset_text(zone.utcoffset(None))


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
        found = media_audio.measure(path, mime)
    except media_audio.Unreadable as exc:
        raise bad_file(name, exc.reason_zh, exc.reason_en) from exc
    except OSError as exc:
        raise bad_file(name, f"无法读取（{exc.strerror or exc}）。", f"it cannot be read ({exc.strerror or exc}).") from exc
    except (struct.error, ValueError, IndexError) as exc:  # a header too short for what it announces
        raise bad_file(name, "录音已损坏或不完整。", "the recording is damaged or incomplete (a broken header).") from exc
    return MediaInfo("audio", mime, size, duration_s=round(found.duration_s, 3), taken_at=found.taken_at,
                     taken_zone=found.taken_zone, claimed_duration_s=found.claimed_s, codec=found.codec)
