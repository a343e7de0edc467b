"""Adding evidence to a visit, and checking a visit against its capture rule.

    python -m bench.evidence [--runs 7] [--recordings-only]

Makes (once, cached under bench/data/evidence/) a 10 MB JPEG photo - 24 megapixels of camera-like
noise with EXIF capture time and GPS - and a 20 MB recording in each of WAV and M4A (AAC). Then, on a
fresh store, times what adding one file costs, as the visit dialog does it on the database thread:
copy into the blob store with its SHA-256, `attachment.add` (reads the type, EXIF or duration from the
file, writes the row, the outbox entry and the audit entry in one transaction), and for photos the
256 px thumbnail. Prints median and worst of ``--runs`` (each run adds a file with different bytes,
so nothing is deduplicated), next to a bare baseline measured in the same run: reading the file
once (``cat``-like, the least any of this can cost).

Then the capture-rule check of a visit with three attachments (`desktop.mutations.visits.check`: the
rule lookup, the attachments, the photo-reuse query and the evaluation) and the pure evaluation.

Then measuring recordings (`desktop.media.probe`: the length counted from the sound, the header's
claim checked against it) on 20 MB files, 60-minute ones and 450 MB ones (the upper bound attachment.add
takes is 500 MB), each in a fresh subprocess so that its peak resident memory (the kernel's
VmHWM, which counts FFmpeg's C allocations too) is its own; the baseline child imports the same modules and reads
the file once, so the difference is what measuring costs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from desktop import media, mutations, snapshot, timeutil
from desktop.capture_rules import Rule, evaluate
from desktop.ids import uuid7
from desktop.mutations import visits
from desktop.store import open_store

DATA = Path(__file__).parent / "data" / "evidence"
PHOTO_BYTES = 10 * 1024 * 1024
AUDIO_BYTES = 20 * 1024 * 1024


def _photo(path: Path) -> Path:
    """A 6000x4000 JPEG of noise (like a sensor's), about 10 MB."""
    if path.exists():
        return path
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    noise = Image.frombytes("RGB", (6000, 4000), os.urandom(6000 * 4000 * 3))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 10:30:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 18.0, 0.0), 3: "E", 4: (120.0, 35.0, 0.0)})
    quality = 60
    while True:
        noise.save(path, "JPEG", quality=quality, exif=exif.tobytes())
        if path.stat().st_size >= PHOTO_BYTES * 0.95 or quality >= 95:
            return path
        quality += 10


def _wav(path: Path) -> Path:
    if path.exists():
        return path
    from tests import media_files

    return media_files.wav(path, AUDIO_BYTES / (2 * 16000), rate=16000)


def _m4a(path: Path) -> Path:
    """AAC at 256 kbit/s for about 11 minutes: about 20 MB."""
    if path.exists():
        return path
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    rate, seconds = 48000, AUDIO_BYTES * 8 / 256_000
    with av.open(str(path), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=rate, layout="stereo")
        stream.bit_rate = 256_000
        pts = 0
        noise = os.urandom(4 * 1024)
        while pts < seconds * rate:
            frame = av.AudioFrame(format="s16", layout="stereo", samples=1024)
            frame.planes[0].update(noise)
            frame.sample_rate, frame.pts = rate, pts
            pts += 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _encode(path: Path, fmt: str, codec: str, seconds: float, rate: int, layout: str, bit_rate: int) -> Path:
    """A recording of noise-like sound (so the encoder spends its bitrate), encoded by FFmpeg through PyAV."""
    if path.exists():
        return path
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    channels = 2 if layout == "stereo" else 1
    partial = path.with_suffix(path.suffix + ".part")
    with av.open(str(partial), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        stream.bit_rate = bit_rate
        noise = os.urandom(2 * channels * 1152)
        pts = 0
        while pts < seconds * rate:
            frame = av.AudioFrame(format="s16", layout=layout, samples=1152)
            frame.planes[0].update(noise)
            frame.sample_rate, frame.pts = rate, pts
            pts += 1152
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    partial.rename(path)
    return path


def _repeated(path: Path, source: Path, total: int) -> Path:
    """``source`` written end to end until ``total`` bytes (ADTS frames chain: still one valid stream)."""
    if path.exists():
        return path
    data = source.read_bytes()
    with path.open("wb") as f:
        for _ in range(-(-total // len(data))):
            f.write(data)
    return path


def recordings() -> dict[str, Path]:
    """The recordings the measuring is timed on, made once under bench/data/evidence/."""
    from tests import media_files

    big_wav = DATA / "audio-450mb.wav"
    if not big_wav.exists():
        media_files.wav(big_wav, 450 * 1024 * 1024 / (2 * 48000), rate=48000)
    adts = _encode(DATA / "audio-20mb.aac", "adts", "aac", AUDIO_BYTES * 8 / 256_000, 48000, "stereo", 256_000)
    return {
        "20 MB WAV (PCM 16 kHz)": _wav(DATA / "audio.wav"),
        "20 MB M4A (AAC 256 kbit/s)": _m4a(DATA / "audio.m4a"),
        "20 MB MP3 (256 kbit/s)": _encode(DATA / "audio-20mb.mp3", "mp3", "libmp3lame", AUDIO_BYTES * 8 / 256_000,
                                          44100, "stereo", 256_000),
        "20 MB raw AAC (ADTS)": adts,
        "60 min M4A (AAC 96 kbit/s)": _encode(DATA / "audio-60min.m4a", "ipod", "aac", 3600, 48000, "mono", 96_000),
        "60 min MP3 (128 kbit/s)": _encode(DATA / "audio-60min.mp3", "mp3", "libmp3lame", 3600, 44100, "stereo",
                                           128_000),
        "60 min Opus/OGG (32 kbit/s)": _encode(DATA / "audio-60min.ogg", "ogg", "libopus", 3600, 48000, "mono",
                                               32_000),
        "450 MB WAV (PCM 48 kHz)": big_wav,
        "450 MB raw AAC (ADTS)": _repeated(DATA / "audio-450mb.aac", adts, 450 * 1024 * 1024),
    }


_CHILD = """
import json, resource, statistics, sys, time
from pathlib import Path
from desktop import media
import av  # both children hold the same libraries, so their peaks compare
path, runs, what = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
times, seconds = [], None
for _ in range(runs):
    started = time.perf_counter()
    if what == "read":
        with path.open("rb") as f:
            while f.read(1024 * 1024):
                pass
    else:
        seconds = media.probe(path).duration_s
    times.append(time.perf_counter() - started)
try:  # this process's own peak: ru_maxrss would also hold the parent's, inherited across fork and exec
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
except (OSError, StopIteration):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"median": statistics.median(times), "worst": max(times), "seconds": seconds,
                  "peak_mb": peak_kb / 1024}))
"""


def _child(path: Path, runs: int, what: str) -> dict[str, float]:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(runs), what], capture_output=True, text=True,
                          check=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def measure_recordings(runs: int) -> None:
    """Median and worst time and peak memory of measuring each recording, next to reading it once."""
    print(f"\n{'recording':<30} {'size':>7} {'length':>8} {'measure median':>15} {'worst':>8} {'peak RSS':>9} "
          f"{'read median':>12} {'read peak':>10}")
    for name, path in recordings().items():
        probe, read = _child(path, runs, "probe"), _child(path, runs, "read")
        print(f"{name:<30} {path.stat().st_size / 1024 / 1024:5.0f} MB {probe['seconds']:7.0f}s "
              f"{probe['median'] * 1000:12.1f} ms {probe['worst'] * 1000:5.0f} ms {probe['peak_mb']:6.0f} MB "
              f"{read['median'] * 1000:9.1f} ms {read['peak_mb']:7.0f} MB")


def _variant(source: Path, folder: Path, n: int) -> Path:
    """The same file with a few bytes changed at its end (a new hash; the content reads the same)."""
    target = folder / f"{n}-{source.name}"
    data = bytearray(source.read_bytes())
    data[-3:-1] = n.to_bytes(2, "big") if source.suffix != ".jpg" else data[-3:-1]
    if source.suffix == ".jpg":  # bytes after the image's end marker: readers ignore them
        data += n.to_bytes(4, "big")
    target.write_bytes(bytes(data))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evidence")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--recordings-only", action="store_true", help="only the measuring of recordings")
    args = parser.parse_args(argv)
    if args.recordings_only:
        measure_recordings(args.runs)
        return 0
    sources = {"photo 10 MB (JPEG 6000x4000)": _photo(DATA / "photo.jpg"), "audio 20 MB (WAV)": _wav(DATA / "audio.wav"),
               "audio 20 MB (M4A/AAC)": _m4a(DATA / "audio.m4a")}
    folder = Path(tempfile.mkdtemp(prefix="fieldmark-evidence-"))
    store = open_store(folder / "fieldmark.db")
    now = timeutil.utcnow()
    rep_id, customer_id = uuid7(), uuid7()
    with store.writer("snapshot") as session:
        snapshot.insert_rows(session, "users", ("id", "username", "display_name", "role", "territory", "team",
                                                "password_hash", "active", "created_at", "updated_at", "version"),
                             [(rep_id, "rep", "Rep", "field_rep", "江苏", "east1", "", 1, timeutil.to_text(now),
                               timeutil.to_text(now), 1)])
        snapshot.insert_rows(session, "customers", ("id", "name", "short_name", "owner_id", "region", "city",
                                                    "address", "industry", "segment", "status", "phone", "notes",
                                                    "created_at", "updated_at", "version"),
                             [(customer_id, "苏州恒通精密机械有限公司", "恒通", rep_id, "江苏", "苏州", "", "机械", "standard",
                               "active", "", "", timeutil.to_text(now), timeutil.to_text(now), 1)])
    visit = mutations.run(store, rep_id, "visit.save", {"customer_id": customer_id, "summary": "拜访",
                                                        "check_in_at": timeutil.to_text(now - timedelta(hours=1))}
                          ).changes.entity_id
    print(f"{'file':<30} {'add median':>11} {'add worst':>10} {'read baseline':>14}")
    for n_kind, (name, source) in enumerate(sources.items()):
        adds, reads = [], []
        for run in range(args.runs):
            path = _variant(source, folder, n_kind * 100 + run)
            started = time.perf_counter()
            with path.open("rb") as f:
                while f.read(1024 * 1024):
                    pass
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            sha, _size = store.blobs.add_file(path)
            mutations.run(store, rep_id, "attachment.add", {"touchpoint_id": visit, "sha256": sha,
                                                            "filename": path.name, "label": "storefront"})
            if name.startswith("photo"):
                media.thumbnail(store.blobs.path(sha), 256)
            adds.append(time.perf_counter() - started)
        print(f"{name:<30} {statistics.median(adds) * 1000:9.0f} ms {max(adds) * 1000:7.0f} ms "
              f"{statistics.median(reads) * 1000:11.1f} ms")

    checks, pures = [], []
    with store.read() as session:
        from desktop.models import Touchpoint
        from desktop.mutations.common import by_id

        row = by_id(session, Touchpoint, visit)
        rule, found = visits.check(session, row)
        evidence = [e for e in _evidence(session, visit)]
        for _ in range(200):
            started = time.perf_counter()
            visits.check(session, row)
            checks.append(time.perf_counter() - started)
            started = time.perf_counter()
            evaluate(Rule(), row.check_in_at, evidence, {})
            pures.append(time.perf_counter() - started)
    print(f"rule check of a visit with {len(evidence)} attachments: median {statistics.median(checks) * 1000:.2f} ms, "
          f"p95 {sorted(checks)[int(len(checks) * 0.95)] * 1000:.2f} ms; the evaluation alone "
          f"{statistics.median(pures) * 1e6:.0f} µs ({len(found)} violations)")
    store.close()
    measure_recordings(args.runs)
    return 0


def _evidence(session, visit_id):
    from sqlalchemy import select

    from desktop.capture_rules import Evidence
    from desktop.models import Attachment

    return [Evidence(a.id, a.kind, a.label, a.filename, a.size, a.sha256, a.duration_s, a.taken_at)
            for a in session.scalars(select(Attachment).where(Attachment.touchpoint_id == visit_id))]


if __name__ == "__main__":
    raise SystemExit(main())
