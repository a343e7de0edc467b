"""A recording's length measured from what it holds, never from what its header says.

Headers lie: a WAV written to a pipe says its data runs 4 GB (13 hours at 44.1 kHz), a patched M4A or
MP3 says 200 s for 30 s of sound, and a VBR MP3 without a Xing header only has a first frame's bitrate
to guess from. So the length is counted in the stream, never decoded (a fraction of the cost, the same answer):
PCM WAV from the bytes of sound actually present divided by the size of one sample frame; MP3 and raw
AAC by walking their frame headers ourselves, a megabyte at a time (MP3 falls back to the demuxer at
anything unusual); MP4/M4A/3GP from the sample table, counting only the samples whose bytes are in
the file (desktop.media_mp4); MP3 and AAC as frames times their fixed frame size; everything else
(Opus, AMR, fragmented MP4, compressed WAV) by demuxing its packets with PyAV, as the sum of packet
durations their demuxers derive from each packet's own bytes.

What the header claims (a WAV's data size, an MP4's mvhd/mdhd/mehd, an MP3's Xing or VBRI frame
count, an Ogg stream's last granule) is then compared with that count: a claim off by more than
:data:`CODEC_SLACK_FRAMES` frames (an encoder's priming and padding) makes the file damaged, with both
figures in the reason, whichever way it errs. Formats whose header claims nothing (raw AAC, AMR,
MP3 without Xing) are simply counted.

Every reader works in bounded memory: PyAV opens the path and hands over one packet at a time, and
the WAV and MP4 header readers seek from chunk to chunk, so a 450 MB file costs what a small one does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

from desktop import media_mp4

AUDIO_TYPES = {"audio/wav": ".wav", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac",
               "audio/3gpp": ".3gp", "audio/amr": ".amr", "audio/amr-wb": ".awb", "audio/ogg": ".ogg"}
READABLE_AUDIO_ZH = "WAV、MP3、M4A/AAC（含分段 M4A）、AMR/3GP、Opus/OGG"
READABLE_AUDIO_EN = "WAV, MP3, M4A/AAC (fragmented M4A too), AMR/3GP, Opus/OGG"
# Priming (encoder delay) plus the padding of the last frame, which a container's duration leaves out
# and a packet count includes: LAME's is 2.4 frames, AAC's 1 to 2.
CODEC_SLACK_FRAMES = 3

_3GP_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gr6", b"3gs6", b"3ge6", b"3g2a", b"3g2b", b"3g2c"}
_MP4_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"dash",
                     b"avc1", b"qt  ", b"MSNV"}
_PCM_TAGS = {0x0001, 0x0003, 0x0006, 0x0007}  # integer PCM, float, A-law, mu-law: one block per sample frame
_WAVE_EXTENSIBLE = 0xFFFE
_FIXED_FRAME_CODECS = ("mp3", "aac")  # their frame size never varies inside a stream
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class Unreadable(Exception):
    """The file is a recording Fieldmark cannot use; the reason in both languages."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh, self.reason_en = reason_zh, reason_en


@dataclass(frozen=True)
class Measured:
    """What the content of a recording says, and what its header claimed (None: it claims nothing)."""

    duration_s: float
    claimed_s: float | None
    codec: str
    sample_rate: int
    taken_at: datetime | None = None
    taken_zone: str | None = None


def sniff_audio(head: bytes) -> str | None:
    """The recording type the first bytes say (None: not a recording Fieldmark reads)."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _3GP_BRANDS:
            return "audio/3gpp"
        return "audio/mp4" if brand in _MP4_AUDIO_BRANDS else None
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"#!AMR-WB\n"):
        return "audio/amr-wb"
    if head.startswith(b"#!AMR\n"):
        return "audio/amr"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS: sync word, layer 00
            return "audio/aac"
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # MPEG audio frame sync, a layer set
            return "audio/mpeg"
    return None


def is_silk(head: bytes) -> bool:
    """WeChat's own voice format, which no decoder here reads (said so, rather than "not a recording")."""
    return head.startswith((b"#!SILK_V3", b"\x02#!SILK_V3"))


def measure(path: Path, mime: str) -> Measured:
    """The recording's length from its content, checked against its header; raises :class:`Unreadable`."""
    with path.open("rb") as f:
        size = path.stat().st_size
        if mime == "audio/wav":
            pcm = _wav(f, size)
            if pcm is not None:
                return pcm
        claims: list[float] = []  # raw AAC and AMR have no length in a header; Ogg's comes from the demuxer
        if mime == "audio/mpeg":
            claims = [c for c in (_xing_claim(f),) if c is not None]
        elif mime in ("audio/mp4", "audio/3gpp"):
            claims = media_mp4.claimed_lengths(f, size)
    if mime == "audio/aac":
        measured = _adts(path)
    else:
        measured = (_mpeg_frames(path) if mime == "audio/mpeg" else None) or _demux(path, mime)
    if measured.claimed_s is not None:
        claims.append(measured.claimed_s)
    # the claim furthest from the content decides: one lying header field is enough to be damaged
    claim = max(claims, key=lambda c: abs(c - measured.duration_s)) if claims else None
    _compare(claim, measured.duration_s, measured.frame_s)
    return Measured(measured.duration_s, claim, measured.codec, measured.sample_rate, measured.taken_at,
                    measured.taken_zone)


def span_text(seconds: float) -> tuple[str, str]:
    """A length as a rep reads it: "20 秒" / "20 s", "3 分 20 秒", "13 小时 31 分"."""
    whole = int(seconds)
    if seconds < 60:
        figure = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f"{figure} 秒", f"{figure} s"
    if whole < 3600:
        return f"{whole // 60} 分 {whole % 60} 秒", f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} 小时 {whole % 3600 // 60} 分", f"{whole // 3600} h {whole % 3600 // 60} min"


def _compare(claim: float | None, content: float, frame_s: float) -> None:
    if claim is None or abs(claim - content) <= CODEC_SLACK_FRAMES * frame_s + 0.001:
        return
    said_zh, said_en = span_text(claim)
    got_zh, got_en = span_text(content)
    raise Unreadable(f"录音文件已损坏：文件头声称 {said_zh}，实际内容 {got_zh}。",
                     f"the recording is damaged: its header claims {said_en} but it holds {got_en} of sound.")


def _damaged(detail_en: str) -> Unreadable:
    return Unreadable("录音已损坏或不完整。", f"the recording is damaged or incomplete ({detail_en}).")


# ---------------------------------------------------------------------------------------------- WAV


def _wav(f: IO[bytes], size: int) -> Measured | None:
    """A PCM WAV measured from the bytes of its data chunk that are really there (None: not PCM, so
    counted by the demuxer; its data size is still checked against the file)."""
    f.seek(12)
    fmt: tuple[int, int, int, int] | None = None
    while True:
        header = f.read(8)
        if len(header) < 8:
            raise _damaged("no sound data chunk")
        chunk, length = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk == b"fmt ":
            body = f.read(min(length, 40))
            if len(body) < 16:
                raise _damaged("a truncated format chunk")
            tag, channels, rate, _bytes_per_s, block = struct.unpack("<HHIIH", body[:14])
            if tag == _WAVE_EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack("<H", body[24:26])[0]  # the sub-format GUID starts with the real tag
            fmt = (tag, channels, rate, block)
            f.seek(length + (length & 1) - len(body), 1)
        elif chunk == b"data":
            if fmt is None:
                raise _damaged("sound data before its format")
            tag, _channels, rate, block = fmt
            present = size - f.tell()
            if rate <= 0 or block <= 0:
                raise _damaged("a format chunk with no sample rate")
            if tag not in _PCM_TAGS:
                if length > present + block:  # compressed WAV: its length is counted, its size still checked
                    raise Unreadable("录音文件已损坏：文件头声称的数据比文件本身大。",
                                     "the recording is damaged: its header claims more sound data than the file holds.")
                return None
            if length < present and not _chunk_follows(f, f.tell() + length + (length & 1), size):
                length_found = present  # unlabelled sound after the chunk its header says ends earlier
            else:
                length_found = min(length, present)
            content = length_found // block / rate
            _compare(length // block / rate, content, 1 / rate)
            return Measured(round(content, 6), length // block / rate, "pcm", rate)
        else:
            f.seek(length + (length & 1), 1)


def _chunk_follows(f: IO[bytes], at: int, size: int) -> bool:
    """Whether what comes after the data chunk is another chunk (LIST, id3 ...) or nothing, not more sound."""
    if at + 8 > size:
        return True
    here = f.tell()
    f.seek(at)
    header = f.read(8)
    f.seek(here)
    return all(32 <= c < 127 for c in header[:4]) and struct.unpack("<I", header[4:])[0] <= size - at - 8


# ---------------------------------------------------------------------------------------------- MP3


def _xing_claim(f: IO[bytes]) -> float | None:
    """The length an MP3's Xing/Info or VBRI header claims (frames x samples per frame), if it has one."""
    f.seek(0)
    head = f.read(10)
    start = 0
    if head.startswith(b"ID3") and len(head) == 10:
        start = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
        start += 10 if head[5] & 0x10 else 0  # a footer
    f.seek(start)
    frame = f.read(4096)
    at = next((i for i in range(len(frame) - 4) if frame[i] == 0xFF and frame[i + 1] & 0xE0 == 0xE0), None)
    if at is None:
        return None
    b1, b2, b3 = frame[at + 1], frame[at + 2], frame[at + 3]
    version, layer, rate_index = (b1 >> 3) & 0x03, (b1 >> 1) & 0x03, (b2 >> 2) & 0x03
    if version == 1 or layer == 0 or rate_index == 3:
        return None
    rate = _MPEG_RATES[version][rate_index]
    per_frame = 384 if layer == 3 else 1152 if (layer == 2 or version == 3) else 576
    mono = (b3 >> 6) == 3
    side = (17 if mono else 32) if version == 3 else (9 if mono else 17)
    xing = frame[at + 4 + side: at + 4 + side + 12]
    if xing[:4] in (b"Xing", b"Info") and len(xing) == 12 and struct.unpack(">I", xing[4:8])[0] & 1:
        return struct.unpack(">I", xing[8:12])[0] * per_frame / rate or None  # 0: written to a pipe, unknown
    vbri = frame[at + 36: at + 36 + 18]
    if vbri[:4] == b"VBRI" and len(vbri) == 18:
        return struct.unpack(">I", vbri[14:18])[0] * per_frame / rate or None
    return None


_MPEG_KBPS = {  # (MPEG-1?, layer bits) -> kbit/s by bitrate index
    (True, 3): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 3): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 1): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_TRAILING_TAGS = (b"TAG", b"APETAGEX", b"LYRICS")


def _mpeg_frames(path: Path) -> _Counted | None:
    """MP3 counted by walking its frame headers a megabyte at a time (a fifth of demuxing's cost); None
    at anything unusual (lost sync, free format, a change of layer or rate), so the demuxer decides."""
    with path.open("rb") as f:
        head = f.read(10)
        start = 0
        if head.startswith(b"ID3") and len(head) == 10:
            start = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
            start += 10 if head[5] & 0x10 else 0
        f.seek(start)
        frames, first, buffer, offset = 0, None, b"", 0
        per_frame = rate = 0
        while True:
            more = f.read(_CHUNK)
            buffer = buffer[offset:] + more
            offset, end = 0, len(buffer)
            while offset + 4 <= end:
                b1, b2 = buffer[offset + 1], buffer[offset + 2]
                if buffer[offset] != 0xFF or b1 & 0xE0 != 0xE0:
                    if buffer[offset:offset + 8].startswith(_TRAILING_TAGS):
                        return _mpeg_counted(frames, per_frame, rate)
                    return None
                key = (b1 & 0x1E, b2 & 0x0C)  # version and layer, sample rate: the same in every frame
                if first is None:
                    version, layer = (b1 >> 3) & 0x03, (b1 >> 1) & 0x03
                    if version == 1 or layer == 0 or (b2 >> 2) & 0x03 == 3:
                        return None
                    rate = _MPEG_RATES[version][(b2 >> 2) & 0x03]
                    mpeg1 = version == 3
                    per_frame = 384 if layer == 3 else 1152 if (layer == 2 or mpeg1) else 576
                    kbps = _MPEG_KBPS[(mpeg1, layer)]
                    scale = 12 if layer == 3 else 144 if (layer == 2 or mpeg1) else 72
                    slot = 4 if layer == 3 else 1
                    first = key
                elif key != first:
                    return None
                index = b2 >> 4
                if index in (0, 15):
                    return None  # free format or a bad index: the demuxer knows better
                length = (scale * kbps[index] * 1000 // rate + ((b2 >> 1) & 1)) * slot
                if offset + length > end:
                    break
                if frames == 0 and _is_info_frame(buffer, offset, b1, buffer[offset + 3]):
                    frames = -1  # the Xing/Info/VBRI frame carries no sound
                frames += 1
                offset += length
            if not more:
                break
    if offset < len(buffer) and not buffer[offset:offset + 8].startswith(_TRAILING_TAGS):
        if len(buffer) - offset >= 4:
            return None  # a cut-off last frame: the demuxer's own reading of it decides
    return _mpeg_counted(frames, per_frame, rate)


def _is_info_frame(buffer: bytes, at: int, b1: int, b3: int) -> bool:
    mono = (b3 >> 6) == 3
    side = (17 if mono else 32) if (b1 >> 3) & 0x03 == 3 else (9 if mono else 17)
    return buffer[at + 4 + side:at + 8 + side] in (b"Xing", b"Info") or buffer[at + 36:at + 40] == b"VBRI"


def _mpeg_counted(frames: int, per_frame: int, rate: int) -> _Counted | None:
    if frames <= 0 or not rate:
        return None
    return _Counted(round(frames * per_frame / rate, 3), None, per_frame / rate, "mp3", rate, None, None)


# ---------------------------------------------------------------------------------------------- raw AAC

_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
_CHUNK = 1024 * 1024


def _adts(path: Path) -> _Counted:
    """Raw AAC counted frame by frame, by walking each ADTS header's frame length (1024 samples a raw
    block), a megabyte at a time: three times faster than demuxing and with the same count."""
    frames, rate, offset = 0, 0, 0
    with path.open("rb") as f:
        buffer = b""
        while True:
            more = f.read(_CHUNK)
            buffer = buffer[offset:] + more
            offset, end = 0, len(buffer)
            while offset + 7 <= end:
                if buffer[offset] != 0xFF or buffer[offset + 1] & 0xF6 != 0xF0:
                    raise _damaged(f"no AAC frame where one should start, {frames * 1024 / (rate or 1):.1f} s in")
                length = (buffer[offset + 3] & 0x03) << 11 | buffer[offset + 4] << 3 | buffer[offset + 5] >> 5
                if length < 7:
                    raise _damaged("an AAC frame of no length")
                if offset + length > end:
                    break  # the frame runs into the next chunk (or past the end of the file)
                if not rate:
                    index = (buffer[offset + 2] >> 2) & 0x0F
                    if index >= len(_ADTS_RATES):
                        raise _damaged("an AAC frame with no sample rate")
                    rate = _ADTS_RATES[index]
                frames += (buffer[offset + 6] & 0x03) + 1
                offset += length
            if not more:
                break
    if offset != len(buffer):
        raise _damaged("the last AAC frame is cut off" if frames else "no AAC frame in it")
    if not frames:
        raise Unreadable("录音已损坏：里面没有可播放的声音。", "the recording is damaged: it holds no playable sound.")
    return _Counted(round(frames * 1024 / rate, 3), None, 1024 / rate, "aac", rate, None, None)


# ---------------------------------------------------------------------------------------------- packets


@dataclass(frozen=True)
class _Counted:
    duration_s: float
    claimed_s: float | None
    frame_s: float
    codec: str
    sample_rate: int
    taken_at: datetime | None
    taken_zone: str | None


def _demux(path: Path, mime: str) -> _Counted:
    """Count the sound packets actually present (demuxed, not decoded)."""
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        # FFmpeg's message names the path (the blob store's, not the rep's file): it stays out
        raise Unreadable(f"录音已损坏，或不是能解码的录音格式（可读取：{READABLE_AUDIO_ZH}）。",
                         f"the recording is damaged or not in a format that can be decoded "
                         f"(readable: {READABLE_AUDIO_EN}).") from exc
    with container:
        if any(s.type == "video" and not (s.disposition & av.stream.Disposition.attached_pic)
               for s in container.streams):
            raise Unreadable("这是视频，不是录音。", "it is a video, not a recording.")
        if not container.streams.audio:
            raise Unreadable("文件里没有声音。", "there is no sound in it.")
        stream = container.streams.audio[0]
        if stream.codec_context is None:  # a stream whose codec the header does not even name
            raise Unreadable(f"录音已损坏，或不是能解码的录音格式（可读取：{READABLE_AUDIO_ZH}）。",
                             f"the recording is damaged or not in a format that can be decoded "
                             f"(readable: {READABLE_AUDIO_EN}).")
        codec = stream.codec_context.name
        rate = stream.codec_context.sample_rate or 0
        frame_size = stream.codec_context.frame_size or 0
        base = stream.time_base or Fraction(1, rate or 1)
        count, total, first = 0, 0, None
        fixed = bool(frame_size) and codec.startswith(_FIXED_FRAME_CODECS)
        listed = _listed_samples(path) if fixed and mime in ("audio/mp4", "audio/3gpp") else None
        try:
            for packet in container.demux(stream):
                if listed is not None:  # the table was counted and checked: only the priming is wanted
                    count, first = listed, packet.pts
                    break
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker, not sound
                count += 1
                total += packet.duration or 0
                if first is None and packet.pts is not None:
                    first = packet.pts
        except av.FFmpegError as exc:
            raise _damaged("its sound data breaks off part-way") from exc
        if count == 0 or rate <= 0:
            raise Unreadable("录音已损坏：里面没有可播放的声音。", "the recording is damaged: it holds no playable sound.")
        content = count * frame_size / rate if fixed else float(total * base)
        if first is not None and first < 0:  # priming the container says to skip (MP4 edit list, Opus pre-skip)
            content -= float(-first * base)
        frame_s = frame_size / rate if frame_size else content / count
        claim = container.duration / av.time_base if mime == "audio/ogg" and container.duration else None
        taken_at, zone = _recorded_at(container.metadata)
    if content <= 0:
        raise Unreadable("录音已损坏：里面没有可播放的声音。", "the recording is damaged: it holds no playable sound.")
    return _Counted(round(content, 3), claim, frame_s, codec, rate, taken_at, zone)


def _listed_samples(path: Path) -> int | None:
    """An MP4's sound samples from its checked sample table (None: fragmented or unusual, so demuxed)."""
    try:
        with path.open("rb") as f:
            return media_mp4.sound_samples(f, path.stat().st_size)
    except media_mp4.DamagedTable as exc:
        raise _damaged(str(exc)) from exc
    except (ValueError, struct.error, IndexError):
        return None


def _recorded_at(metadata: dict[str, Any]) -> tuple[datetime | None, str | None]:
    """When the recorder says it started (iPhone's local creation date with its offset, else the MP4's UTC
    creation time); None for the 1904/1970 zeros some recorders leave."""
    for key, utc in (("com.apple.quicktime.creationdate", False), ("creation_time", True), ("date", False)):
        text = metadata.get(key)
        if not isinstance(text, str):
            continue
        try:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC if utc else timezone(timedelta(hours=8)))
        if when.year < 2000:
            continue
        offset = when.utcoffset() or timedelta(0)
        zone = "UTC" if utc and not offset else offset_text(offset)
        return when.astimezone(UTC), zone
    return None, None


def offset_text(offset: timedelta | None) -> str:
    """+08:00 for eight hours east of UTC."""
    offset = offset or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
