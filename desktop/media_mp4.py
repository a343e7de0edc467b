"""MP4/M4A/3GP headers read by seeking from box to box: the lengths they claim, and the sound samples the
file really holds, from its sample table checked against its bytes.

An MP4 (non-fragmented) lists every sample of a track in its ``stbl``: the size of each (``stsz``),
which chunk holds which (``stsc``) and where each chunk starts (``stco``/``co64``). FFmpeg's demuxer
serves its packets from exactly that table, so counting them one by one in Python (7 µs a packet: a
second for an hour of AAC) proves nothing more than this does: the table is read in a few array
operations and only the samples of chunks lying inside the file count, so a table listing samples
whose bytes are not there (a file cut off) gives the shorter length the demuxer would. Fragmented files keep their samples in ``moof``
boxes instead; for them :func:`sound_samples` answers None and the caller demuxes.
"""

from __future__ import annotations

import struct
import sys
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from typing import IO

MAX_TABLE_BYTES = 64 * 1024 * 1024  # a sample table larger than this is not a recording's: demux instead


class DamagedTable(Exception):
    """The sample table contradicts itself (sizes or chunks fewer than the samples it lists)."""


def _boxes(f: IO[bytes], start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, box end) of each box between start and end, by seeking from header to header."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            return
        length, kind, body = struct.unpack(">I", header[:4])[0], header[4:8], pos + 8
        if length == 1 and len(header) == 16:
            length, body = struct.unpack(">Q", header[8:16])[0], pos + 16
        elif length == 0:
            length = end - pos
        if length < body - pos:
            return
        yield kind, body, min(pos + length, end)
        pos += length


def _child(f: IO[bytes], start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((b, e) for k, b, e in _boxes(f, start, end) if k == kind), None)


def _read(f: IO[bytes], start: int, end: int) -> bytes:
    if end - start > MAX_TABLE_BYTES:
        raise ValueError("sample table too large")
    f.seek(start)
    return f.read(end - start)


def _words(data: bytes, code: str) -> array[int]:
    values = array(code, data)
    if sys.byteorder == "little":
        values.byteswap()
    return values


def claimed_lengths(f: IO[bytes], size: int) -> list[float]:
    """Every length the movie (mvhd), sound-track media (mdhd) and fragment (mehd) headers claim, in
    seconds (zeros and "unknown" left out)."""
    out: list[float] = []
    movie_scale = 0
    moov = _child(f, 0, size, b"moov")
    pending = [moov] if moov else []
    while pending:
        start, end = pending.pop(0)
        for kind, body, box_end in _boxes(f, start, end):
            if kind in (b"trak", b"mdia", b"mvex"):
                pending.append((body, box_end))
                continue
            if kind not in (b"mvhd", b"mdhd", b"mehd"):
                continue
            full = _read(f, body, min(body + 32, box_end))
            version = full[:1]
            if kind == b"mehd":  # in the movie's time scale; mvhd comes first in moov
                scale = movie_scale
                duration = struct.unpack(">Q" if version == b"\x01" else ">I",
                                         full[4:12] if version == b"\x01" else full[4:8])[0]
            elif version == b"\x00" and len(full) >= 20:
                scale, duration = struct.unpack(">II", full[12:20])
            elif version == b"\x01" and len(full) >= 32:
                scale, duration = struct.unpack(">IQ", full[20:32])
            else:
                continue
            if kind == b"mvhd":
                movie_scale = scale
            if scale and duration not in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
                out.append(duration / scale)
    return out


def sound_samples(f: IO[bytes], size: int) -> int | None:
    """How many samples of the first sound track lie inside the file; None when the file keeps its
    samples in fragments (or its table is unusual: the caller demuxes). Raises :class:`DamagedTable`
    when the table contradicts itself."""
    moov = _child(f, 0, size, b"moov")
    if moov is None:
        return None
    for kind, start, end in _boxes(f, *moov):
        if kind != b"trak":
            continue
        mdia = _child(f, start, end, b"mdia")
        hdlr = mdia and _child(f, *mdia, b"hdlr")
        if not mdia or not hdlr or _read(f, hdlr[0] + 8, hdlr[0] + 12) != b"soun":
            continue
        minf = _child(f, *mdia, b"minf")
        stbl = minf and _child(f, *minf, b"stbl")
        if not stbl:
            return None
        return _count(f, stbl, size)
    return None


def _count(f: IO[bytes], stbl: tuple[int, int], size: int) -> int | None:
    tables = {kind: (body, end) for kind, body, end in _boxes(f, *stbl)}
    if b"stsz" not in tables or b"stsc" not in tables or not (b"stco" in tables or b"co64" in tables):
        return None
    stsz = _read(f, *tables[b"stsz"])
    fixed, count = struct.unpack(">II", stsz[4:12])
    if count == 0:
        return None  # an empty table: the samples are in fragments
    sizes = None if fixed else _words(stsz[12:12 + 4 * count], "I")
    if sizes is not None and len(sizes) != count:
        raise DamagedTable("the sample sizes stop short")
    stsc = _read(f, *tables[b"stsc"])
    runs = _words(stsc[8:8 + 12 * struct.unpack(">I", stsc[4:8])[0]], "I")
    wide = b"co64" in tables
    stco = _read(f, *tables[b"co64" if wide else b"stco"])
    offsets = _words(stco[8:8 + (8 if wide else 4) * struct.unpack(">I", stco[4:8])[0]], "Q" if wide else "I")
    if not offsets or not runs:
        raise DamagedTable("no chunks")
    ends = None
    if sizes is not None:
        ends = array("q", [0])
        ends.extend(accumulate(sizes))
    sample = present = 0
    firsts, per_chunk = runs[0::3], runs[1::3]
    for run, first in enumerate(firsts):
        last = firsts[run + 1] - 1 if run + 1 < len(firsts) else len(offsets)
        for chunk in range(first - 1, min(last, len(offsets))):
            taken = min(per_chunk[run], count - sample)
            if taken <= 0:
                break
            chunk_bytes = ends[sample + taken] - ends[sample] if ends is not None else fixed * taken
            if offsets[chunk] + chunk_bytes <= size:
                present += taken
            elif offsets[chunk] < size:  # the chunk a cut-off file ends in: its samples wholly there count
                room = size - offsets[chunk]
                present += (bisect_right(ends, ends[sample] + room, sample, sample + taken + 1) - 1 - sample
                            if ends is not None else room // fixed)
            sample += taken
    if sample != count:
        raise DamagedTable("the chunks hold fewer samples than the table lists")
    return present
