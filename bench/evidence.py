"""Adding evidence to a visit, and checking a visit against its capture rule.

    python -m bench.evidence [--runs 7] [--recordings-only]
    python -m bench.evidence --memory [--mb 450]

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

Peak memory instead (resident set, VmHWM / ru_maxrss, each measured in its own process): adding a
450 MB recording on the desktop (size check, streamed copy and hash, ``attachment.add``), sending it
to a real server (tests/server_process.py) and the server receiving, checking and measuring it,
another desktop downloading it, and a 200-megapixel JPEG probed and thumbnailed. Next to bare
baselines from the same run: ``cat`` and ``sha256sum`` of the file, the interpreter with the same
modules imported and doing nothing, the server's own peak before the upload, and Pillow decoding
the 200 MP picture whole.
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
import wave
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


_PROBE_CHILD = """
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


def _probe_child(path: Path, runs: int, what: str) -> dict[str, float]:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", _PROBE_CHILD, str(path), str(runs), what], capture_output=True, text=True,
                          check=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def measure_recordings(runs: int) -> None:
    """Median and worst time and peak memory of measuring each recording, next to reading it once."""
    print(f"\n{'recording':<30} {'size':>7} {'length':>8} {'measure median':>15} {'worst':>8} {'peak RSS':>9} "
          f"{'read median':>12} {'read peak':>10}")
    for name, path in recordings().items():
        probe, read = _probe_child(path, runs, "probe"), _probe_child(path, runs, "read")
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
    parser.add_argument("--memory", action="store_true", help="peak memory of large files instead of times")
    parser.add_argument("--mb", type=int, default=450, help="size of the large recording (--memory)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(*args.child)
    if args.memory:
        return memory(args.mb)
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


# ---------------------------------------------------------------------------------------------- memory


def _big_wav(path: Path, mb: int) -> Path:
    """A mono 16 kHz WAV of ``mb`` MB (quiet noise, so nothing compresses it away), written in chunks."""
    if path.exists() and abs(path.stat().st_size - mb * 1024 * 1024) < 1024 * 1024:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(4 * 1024 * 1024)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        for _ in range(mb // 4):
            w.writeframes(block)
    return path


def _big_adts(path: Path, mb: int) -> Path:
    """A raw AAC (ADTS) recording of about ``mb`` MB: a short one repeated (each frame stands alone)."""
    if path.exists():
        return path
    from tests import media_files

    one = media_files.aac(path.with_suffix(".one.aac"), 60).read_bytes()
    with path.open("wb") as out:
        for _ in range(mb * 1024 * 1024 // len(one)):
            out.write(one)
    return path


def _status_kb(pid: int | str = "self") -> tuple[int, int]:
    """(VmHWM, VmRSS) of a process in KB: its peak resident set so far, and now."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


def _peak_of(command: list[str]) -> int:
    """Peak resident set (KB) of a command in its own process: its VmHWM, read until it exits.

    Not ru_maxrss: a child's counts the memory of the Python process it was forked from, before its
    exec. VmHWM belongs to the program's own address space, made new at exec, and only grows, so
    the last reading is its peak (cat and sha256sum hold one buffer from start to end)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    last = 0
    while process.poll() is None:
        try:
            hwm = _status_kb(process.pid)[0]
        except (OSError, KeyError):  # between exec and exit the lines are there; before and after not
            hwm = 0
        if hwm and _exe(process.pid) != sys.executable:
            last = hwm
        time.sleep(0.002)
    if process.returncode:
        raise RuntimeError(f"{command[:4]} failed with {process.returncode}")
    return last


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def _in_child(*args: str) -> dict:
    """Run a _child mode in a fresh interpreter; what it reported (its own VmHWM readings)."""
    out = Path(tempfile.mkstemp(prefix="fieldmark-bench-", suffix=".json")[1])
    subprocess.run([sys.executable, "-m", "bench.evidence", "--child", args[0], str(out), *args[1:]], check=True)
    report = json.loads(out.read_text() or "{}")
    out.unlink()
    return report


def _child(mode: str, out: str, *args: str) -> int:
    """One measurement in this fresh process; reports VmHWM before and after the work, in KB."""
    if mode == "bare":  # the interpreter with only this module's own imports
        Path(out).write_text(json.dumps({"after": _status_kb()[0]}))
        return 0
    from desktop import evidence_files
    from desktop.store import open_store
    from sync.client import SyncClient
    from sync.token_store import FileTokenStore

    report: dict[str, object] = {}
    if mode == "photo":
        before = _status_kb()[0]
        info = media.probe(Path(args[0]))
        media.thumbnail(Path(args[0]), 256)
        report = {"before": before, "after": _status_kb()[0], "pixels": info.width * info.height}
    elif mode == "full-decode":
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = None
        before = _status_kb()[0]
        with Image.open(args[0]) as image:
            image.load()
        report = {"before": before, "after": _status_kb()[0]}
    else:
        store = open_store(Path(args[0]))
        if mode == "idle":
            report = {"before": _status_kb()[0], "after": _status_kb()[0]}
        elif mode == "add":
            rep_id, visit, source = args[1], args[2], Path(args[3])
            before = _status_kb()[0]
            added = evidence_files.add(store.blobs, source)
            mutations.run(store, rep_id, "attachment.add", {"touchpoint_id": visit, "sha256": added.sha256,
                                                            "filename": source.name})
            after_add = _status_kb()[0]
            report = {"before": before, "after": after_add, "sha256": added.sha256}
            if len(args) > 4:  # and send it: upload in chunks, then the push the server measures it in
                client = SyncClient(store, args[4], FileTokenStore(Path(args[0]).parent / "token"))
                pushed = client.push()
                report.update(after_sync=_status_kb()[0], rejected=pushed.rejected, uploaded=pushed.uploaded_bytes)
        elif mode == "fetch":
            client = SyncClient(store, args[1], FileTokenStore(Path(args[0]).parent / "token"))
            before = _status_kb()[0]
            ok = client.fetch_blob(args[2])
            report = {"before": before, "after": _status_kb()[0], "fetched": ok}
        store.close()
    Path(out).write_text(json.dumps(report))
    return 0


def memory(mb: int) -> int:
    """Peak memory of the large-file paths, each in its own process, next to bare baselines."""
    from desktop.store import open_store
    from sync.client import SyncClient
    from sync.token_store import FileTokenStore
    from tests import media_files
    from tests.server_process import ServerProcess

    big = _big_wav(DATA / f"recording-{mb}mb.wav", mb)
    photo = DATA / "photo-200mp.jpg"
    if not photo.exists():
        media_files.huge_jpeg(photo, 16384, 12288)
    folder = Path(tempfile.mkdtemp(prefix="fieldmark-memory-"))
    rows: list[tuple[str, int, str]] = []

    def row(what: str, kb: int, note: str = "") -> None:
        rows.append((what, kb, note))
        print(f"{what:<62} {kb / 1024:8.1f} MB  {note}", flush=True)

    print(f"{big.name}: {big.stat().st_size / 1024 / 1024:.0f} MB; {photo.name}: 16384x12288")
    row("baseline: cat the file > /dev/null", _peak_of(["cat", str(big)]))
    row("baseline: sha256sum the file", _peak_of(["sha256sum", str(big)]))
    row("baseline: python with this benchmark's imports, doing nothing", _in_child("bare")["after"])

    server = ServerProcess(folder / "server")
    try:
        desks = {}
        for name, username in (("rep", "rep.li"), ("manager", "manager.wang")):
            desk = folder / name
            desk.mkdir()
            store = open_store(desk / "fieldmark.db")
            client = SyncClient(store, server.url, FileTokenStore(desk / "token"))
            user_id = client.sign_in(username, "fieldmark", f"{username}'s laptop")
            client.sync()
            desks[name] = (store, user_id)
        store, rep_id = desks["rep"]
        customer = mutations.run(store, rep_id, "customer.create", {"name": "苏州恒通精密机械有限公司", "region": "江苏",
                                                                     "city": "苏州"}).changes.entity_id
        visit = mutations.run(store, rep_id, "visit.save", {
            "customer_id": customer, "summary": "拜访", "check_in_at": timeutil.to_text(timeutil.utcnow())}
        ).changes.entity_id
        SyncClient(store, server.url, FileTokenStore(folder / "rep" / "token")).sync()
        for s, _u in desks.values():
            s.close()
        idle = _in_child("idle", str(folder / "rep" / "fieldmark.db"))
        row("baseline: desktop process, store open, doing nothing", idle["after"])

        server_before = _status_kb(server.process.pid)[0]
        row("baseline: server process before the upload (its peak so far)", server_before)
        added = _in_child("add", str(folder / "rep" / "fieldmark.db"), rep_id, visit, str(big), server.url)
        if added.get("rejected"):
            raise RuntimeError("the server refused the recording")
        row(f"desktop: add the {mb} MB recording", added["after"],
            f"+{(added['after'] - added['before']) / 1024:.1f} MB over the same process before")
        row(f"desktop: add, then upload it ({added['uploaded'] / 1024 / 1024:.0f} MB sent)", added["after_sync"],
            f"+{(added['after_sync'] - added['before']) / 1024:.1f} MB over the same process before")
        server_after = _status_kb(server.process.pid)[0]
        row("server: receive, check the SHA-256, measure in attachment.add", server_after,
            f"+{(server_after - server_before) / 1024:.1f} MB over its peak before")
        fetched = _in_child("fetch", str(folder / "manager" / "fieldmark.db"), server.url, added["sha256"])
        if not fetched.get("fetched"):
            raise RuntimeError("the manager could not fetch the recording")
        row("desktop: another desktop downloads it", fetched["after"],
            f"+{(fetched['after'] - fetched['before']) / 1024:.1f} MB over the same process before")
        server_sent = _status_kb(server.process.pid)[0]
        row("server: after sending it", server_sent, f"+{(server_sent - server_before) / 1024:.1f} MB over its peak before")
    finally:
        server.stop()
    aac = _big_adts(DATA / f"recording-{mb}mb.aac", mb)
    added = _in_child("add", str(folder / "rep" / "fieldmark.db"), rep_id, visit, str(aac))
    row(f"desktop: add a {aac.stat().st_size / 1024 / 1024:.0f} MB raw AAC recording (frames counted)",
        added["after"], f"+{(added['after'] - added['before']) / 1024:.1f} MB over the same process before")

    shot = _in_child("photo", str(photo))
    row("photo: probe + 256 px thumbnail of the 200 MP JPEG", shot["after"],
        f"+{(shot['after'] - shot['before']) / 1024:.1f} MB over the same process before")
    whole = _in_child("full-decode", str(photo))
    row("baseline: Pillow decoding the 200 MP JPEG whole (greyscale)", whole["after"],
        f"+{(whole['after'] - whole['before']) / 1024:.1f} MB (RGB: three times that)")
    return 0


def _evidence(session, visit_id):
    from sqlalchemy import select

    from desktop.capture_rules import Evidence
    from desktop.models import Attachment

    return [Evidence(a.id, a.kind, a.label, a.filename, a.size, a.sha256, a.duration_s, a.taken_at)
            for a in session.scalars(select(Attachment).where(Attachment.touchpoint_id == visit_id))]


if __name__ == "__main__":
    raise SystemExit(main())
