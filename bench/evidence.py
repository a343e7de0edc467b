"""Adding evidence to a visit, and checking a visit against its capture rule.

    python -m bench.evidence [--runs 7]

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
"""

from __future__ import annotations

import argparse
import os
import statistics
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
    args = parser.parse_args(argv)
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
    return 0


def _evidence(session, visit_id):
    from sqlalchemy import select

    from desktop.capture_rules import Evidence
    from desktop.models import Attachment

    return [Evidence(a.id, a.kind, a.label, a.filename, a.size, a.sha256, a.duration_s, a.taken_at)
            for a in session.scalars(select(Attachment).where(Attachment.touchpoint_id == visit_id))]


if __name__ == "__main__":
    raise SystemExit(main())
