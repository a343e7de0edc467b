"""Evidence files on the desktop: the size limit before any copy, copies in chunks with progress and
cancel, damaged copies found and repaired from their original, files nothing names swept (and nothing
named ever swept), and very large photos."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop import evidence_files, media, mutations, timeutil
from desktop.blobs import CHUNK, CopyCancelled
from desktop.errors import DomainError
from desktop.models import OutboxEntry
from desktop.mutations.visits import MAX_FILE_BYTES
from desktop.thumbnails import for_store
from desktop.visit_views import load_visit
from tests import media_files as mf
from tests.conftest import make_customer, run

CHECK_IN = timeutil.utcnow().replace(microsecond=0) - timedelta(hours=2)
LATER = 2 * 3600  # seconds: past the sweep's grace period


def draft(store, rep, customer: str = "苏州恒通精密机械有限公司") -> str:
    return run(store, rep, "visit.save", customer_id=make_customer(store, rep, customer),
               check_in_at=timeutil.to_text(CHECK_IN), summary="拜访采购部").changes.entity_id


def attach(store, rep, visit, path: Path, label: str = "storefront") -> tuple[str, str]:
    """(attachment id, sha256) of a file added as the visit dialog adds it."""
    added = evidence_files.add(store.blobs, path)
    outcome = mutations.run(store, rep, "attachment.add", {"touchpoint_id": visit, "sha256": added.sha256,
                                                          "filename": path.name, "label": label})
    return outcome.changes.entity_id, added.sha256


def leftovers(store) -> list[Path]:
    return list(store.blobs.leftovers())


# ---- the size limit, before anything is copied


def test_a_file_over_the_limit_is_refused_by_its_size_before_a_byte_is_copied(store, tmp_path):
    big = tmp_path / "展会录像.wav"
    with big.open("wb") as f:  # sparse: 600 MB that take no disk
        f.truncate(600 * 1024 * 1024)
    copied: list[int] = []
    with pytest.raises(DomainError) as refused:
        evidence_files.add(store.blobs, big, lambda done, total: copied.append(done) or True)
    error = refused.value
    assert error.code == "file_too_large" and error.field == "attachments"
    assert error.detail == {"size": 600 * 1024 * 1024, "limit": MAX_FILE_BYTES}
    assert error.message_zh == "文件“展会录像.wav”无法使用：文件大小 600 MB，超过了 500 MB 的上限。请压缩或分段后再添加。"
    assert error.message_en == ("The file '展会录像.wav' cannot be used: it is 600 MB, over the limit of 500 MB. "
                                "Compress or split it, then add it again.")
    assert copied == []  # not one chunk was read
    assert list(store.blobs.kept()) == [] and leftovers(store) == []


def test_a_large_file_is_copied_in_chunks_with_its_progress_and_can_be_cancelled(store, org, tmp_path):
    source = mf.wav(tmp_path / "录音.wav", 700, rate=16000)  # about 22 MB
    total = source.stat().st_size
    seen: list[tuple[int, int]] = []
    added = evidence_files.add(store.blobs, source, lambda done, all_: seen.append((done, all_)) or True)
    assert added.size == total and not added.repaired
    assert len(seen) == -(-total // CHUNK) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and all(t == total for _, t in seen)
    assert store.blobs.path(added.sha256).read_bytes() == source.read_bytes()

    other = _changed_copy(source, tmp_path / "另一段.wav")
    with pytest.raises(CopyCancelled):
        evidence_files.add(store.blobs, other, lambda done, _t: done < 3 * CHUNK)
    assert list(store.blobs.kept()) == [added.sha256] and leftovers(store) == []  # nothing half kept


def _changed_copy(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


# ---- damaged copies


def _damage(path: Path, *, keep_times: bool = False) -> None:
    """Overwrite bytes in the middle of a kept file, as a failing disk or an editor would."""
    before = path.stat()
    with path.open("r+b") as f:
        f.seek(before.st_size // 2)
        f.write(b"\x00" * 64)
    if keep_times:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_damaged_copy_is_shown_damaged_and_adding_the_original_again_repairs_it(store, org, tmp_path):
    rep = org["rep"]
    visit = draft(store, rep)
    photo = mf.photo(tmp_path / "门头.jpg", taken=(CHECK_IN + timedelta(hours=8)).replace(tzinfo=None))
    attachment_id, sha = attach(store, rep, visit, photo)
    with store.read() as session:
        assert [a.condition for a in load_visit(session, rep, visit, store.blobs).attachments] == ["ok"]

    _damage(store.blobs.path(sha))
    with store.read() as session:
        shown = load_visit(session, rep, visit, store.blobs).attachments
    assert [(a.id, a.condition, a.damaged) for a in shown] == [(attachment_id, "damaged", True)]
    assert evidence_files.damaged(store) == [("门头.jpg", sha)]

    # Another file is not taken for the original.
    impostor = mf.photo(tmp_path / "别的.jpg")
    with pytest.raises(DomainError) as refused:
        evidence_files.repair(store.blobs, sha, impostor, "门头.jpg")
    assert refused.value.code == "not_the_original"
    assert "“别的.jpg”不是“门头.jpg”的原文件" in refused.value.message_zh
    assert evidence_files.condition(store.blobs, sha) == "damaged"

    again = evidence_files.add(store.blobs, photo)  # the user adds the original again
    assert (again.sha256, again.repaired) == (sha, True)
    assert store.blobs.path(sha).read_bytes() == photo.read_bytes()
    with store.read() as session:
        assert [a.condition for a in load_visit(session, rep, visit, store.blobs).attachments] == ["ok"]
    assert evidence_files.damaged(store) == []
    assert evidence_files.add(store.blobs, photo).repaired is False  # a whole copy added again is no repair
    assert for_store(store).get(sha) is not None  # the repaired photo reads again


def test_repair_works_for_a_submitted_visit_without_changing_it(store, org, tmp_path):
    rep = org["rep"]
    visit = draft(store, rep)
    local = (CHECK_IN + timedelta(hours=8)).replace(tzinfo=None)
    _id, sha = attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg", taken=local), "storefront")
    attach(store, rep, visit, mf.photo(tmp_path / "铭牌.jpg", taken=local, size=(320, 240)), "nameplate")
    attach(store, rep, visit, mf.wav(tmp_path / "录音.wav", 95))
    run(store, rep, "visit.submit", id=visit)
    with store.read() as session:
        entries = session.scalar(select(OutboxEntry.seq).order_by(OutboxEntry.seq.desc()).limit(1))

    _damage(store.blobs.path(sha))
    assert evidence_files.condition(store.blobs, sha) == "damaged"
    evidence_files.repair(store.blobs, sha, tmp_path / "门头.jpg", "门头.jpg")
    assert evidence_files.condition(store.blobs, sha) == "ok"
    with store.read() as session:  # no change to the visit: the file is this computer's copy, not data
        assert session.scalar(select(OutboxEntry.seq).order_by(OutboxEntry.seq.desc()).limit(1)) == entries


def test_damage_that_leaves_the_file_dates_alone_is_found_by_the_full_check(store, org, tmp_path):
    rep = org["rep"]
    visit = draft(store, rep)
    _id, sha = attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg"))
    assert evidence_files.condition(store.blobs, sha) == "ok"
    _damage(store.blobs.path(sha), keep_times=True)  # a bad sector: same size, same times
    assert evidence_files.damaged(store, full=False) == []  # the quick check trusts what it read before
    assert evidence_files.damaged(store, full=True) == [("门头.jpg", sha)]
    assert evidence_files.condition(store.blobs, sha) == "damaged"


# ---- files nothing names


def test_the_sweep_removes_only_files_nothing_names_and_only_after_the_grace_period(store, org, tmp_path):
    rep = org["rep"]
    visit = draft(store, rep)
    _kept, kept = attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg"))
    removed_id, removed = attach(store, rep, visit, mf.photo(tmp_path / "旧门头.jpg", size=(300, 200)))
    run(store, rep, "attachment.remove", id=removed_id)  # not sent yet: the server will need the file
    discarded = draft(store, rep, "无锡华光电子有限公司")
    _d, in_discarded = attach(store, rep, discarded, mf.wav(tmp_path / "录音.wav", 5))
    run(store, rep, "visit.discard", id=discarded)
    # A file copied in whose attachment.add was refused (not a photo): nothing names it.
    text = tmp_path / "说明.jpg"
    text.write_bytes(b"not a picture at all")
    orphan = evidence_files.add(store.blobs, text).sha256
    with pytest.raises(DomainError):
        mutations.run(store, rep, "attachment.add", {"touchpoint_id": visit, "sha256": orphan, "filename": text.name})
    for_store(store).get(kept)
    stale = store.blobs.root / ".in-stale"
    stale.write_bytes(b"half a copy")

    assert evidence_files.sweep(store) == evidence_files.Swept(0, 0, 0)  # within the grace period: all stay
    swept = evidence_files.sweep(store, now=time.time() + LATER)
    assert (swept.removed, swept.freed_bytes, swept.leftovers) == (1, len(b"not a picture at all"), 1)
    assert set(store.blobs.kept()) == {kept, removed, in_discarded}  # pending changes still name these
    assert not stale.exists()
    assert list(for_store(store).root.glob(f"{kept}-*")) != []


def test_a_file_named_by_a_change_waiting_to_be_sent_is_never_swept(store, org, tmp_path):
    rep = org["rep"]
    visit = draft(store, rep)
    attachment_id, sha = attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg"))
    run(store, rep, "attachment.remove", id=attachment_id)
    assert sha in evidence_files.needed(store)
    evidence_files.sweep(store, now=time.time() + 30 * 24 * 3600)
    assert store.blobs.has(sha)


# ---- very large photos


def test_a_200_megapixel_photo_is_accepted_and_its_thumbnail_made_from_a_shrunk_decode(store, org, tmp_path):
    rep = org["rep"]
    visit = draft(store, rep)
    local = (CHECK_IN + timedelta(hours=8)).replace(tzinfo=None)
    huge = mf.huge_jpeg(tmp_path / "2亿像素.jpg", 16384, 12288, taken=local)
    assert huge.stat().st_size < 5 * 1024 * 1024
    attachment_id, sha = attach(store, rep, visit, huge)
    info = media.probe(store.blobs.path(sha))
    assert (info.kind, info.width, info.height, info.taken_at) == ("photo", 16384, 12288, CHECK_IN)
    thumb = for_store(store).get(sha, 256)
    from PIL import Image

    with Image.open(thumb) as image:
        assert image.size == (256, 192)


def test_a_200_megapixel_png_is_refused_with_its_pixel_count_and_the_limit(store, org, tmp_path):
    rep = org["rep"]
    visit = draft(store, rep)
    huge = mf.huge_png(tmp_path / "截图.png", 16384, 12288)
    sha = evidence_files.add(store.blobs, huge).sha256
    with pytest.raises(DomainError) as refused:
        mutations.run(store, rep, "attachment.add", {"touchpoint_id": visit, "sha256": sha, "filename": huge.name})
    assert refused.value.code == "bad_file"
    assert refused.value.message_zh == ("文件“截图.png”无法使用：照片有 201 百万像素（16384×12288，上限 50 百万像素）。"
                                        "请用较低的分辨率导出或拍摄后再添加。")
    assert "201 megapixels (16384×12288, the limit is 50 megapixels" in refused.value.message_en
    with pytest.raises(DomainError):
        media.thumbnail(huge, 96)  # the thumbnail says the same, never a decompression-bomb error


def test_a_jpeg_past_pillows_own_guard_is_refused_as_too_many_pixels(tmp_path):
    from PIL import Image

    between = mf.huge_jpeg(tmp_path / "全景.jpg", 40960, 32768)  # 1.3 gigapixels: over Fieldmark's JPEG limit
    with pytest.raises(DomainError) as refused, pytest.warns(Image.DecompressionBombWarning):
        media.probe(between)  # Pillow only warns here; the refusal is Fieldmark's
    assert "1,342 megapixels (40960×32768, the limit is 1,000 megapixels" in refused.value.message_en
    huge = mf.huge_jpeg(tmp_path / "巨幅.jpg", 65504, 32768)  # 2.1 gigapixels: past twice Pillow's limit
    with pytest.raises(DomainError) as refused:
        media.probe(huge)
    assert "2,146 megapixels" in refused.value.message_en and "Bomb" not in refused.value.message_en


def test_no_thumbnail_is_made_from_a_damaged_copy(store, org, tmp_path):
    from desktop.thumbnails import ThumbnailError

    rep = org["rep"]
    visit = draft(store, rep)
    photo = mf.photo(tmp_path / "门头.jpg")
    _id, sha = attach(store, rep, visit, photo)
    _damage(store.blobs.path(sha))
    with pytest.raises(ThumbnailError, match="damaged"):
        for_store(store).get(sha, 128)
    evidence_files.add(store.blobs, photo)
    assert for_store(store).get(sha, 128) is not None


def test_a_heic_photo_over_the_pixel_limit_is_refused_with_its_count(store, org, tmp_path, monkeypatch):
    # A HEIC is decoded whole; a 50 MP one takes minutes to encode here, so the limit is lowered instead.
    monkeypatch.setattr(media, "MAX_PHOTO_PIXELS", 200_000)
    heic = mf.photo(tmp_path / "实拍.heic", size=(640, 480), fmt="HEIF")
    assert media.sniff(heic.read_bytes()[:64]) == "image/heic"
    with pytest.raises(DomainError) as refused:
        media.probe(heic)
    assert "the photo has 0.3 megapixels (640×480, the limit is 0.2 megapixels" in refused.value.message_en
    assert "照片有 0.3 百万像素（640×480，上限 0.2 百万像素）" in refused.value.message_zh
    with pytest.raises(DomainError):
        media.thumbnail(heic, 96)


def test_a_long_aac_recording_is_measured_a_chunk_at_a_time(tmp_path):
    one = mf.aac(tmp_path / "一段.aac", 91.5)
    long = tmp_path / "整天.aac"  # ADTS frames stand alone: 300 copies are one recording 300 times as long
    long.write_bytes(one.read_bytes() * 300)
    assert long.stat().st_size > 4 * 1024 * 1024  # several of the reader's chunks, frames across their edges
    single = media.probe(one).duration_s
    assert abs(media.probe(long).duration_s - 300 * single) < 0.3
    long.write_bytes(one.read_bytes() * 300 + one.read_bytes()[:9])  # a frame cut short at the end
    with pytest.raises(DomainError, match="damaged or incomplete"):
        media.probe(long)


def test_the_app_sweeps_on_the_database_thread_and_keeps_what_is_named(qtbot, store, org, tmp_path):
    from ui.context import AppContext
    from ui.startup import sweep_unused_files

    rep = org["rep"]
    visit = draft(store, rep)
    _id, named = attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg"))
    text = tmp_path / "说明.jpg"
    text.write_bytes(b"no picture")
    orphan = evidence_files.add(store.blobs, text).sha256
    hours_ago = time.time() - LATER
    for sha in (named, orphan):
        os.utime(store.blobs.path(sha), (hours_ago, hours_ago))
    context = AppContext(store, "zh_CN")
    try:
        sweep_unused_files(context)
        qtbot.waitUntil(lambda: context.tasks.pending == 0, timeout=5000)
    finally:
        context.tasks.shutdown()
    assert set(store.blobs.kept()) == {named}


def test_a_progressive_jpeg_is_held_to_the_whole_decode_limit_and_a_baseline_one_is_not(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(media, "MAX_PHOTO_PIXELS", 200_000)  # as for the HEIC above: a small picture will do
    picture = Image.new("RGB", (640, 480), (200, 120, 40))
    picture.save(tmp_path / "baseline.jpg", "JPEG")
    picture.save(tmp_path / "progressive.jpg", "JPEG", progressive=True)
    assert media.probe(tmp_path / "baseline.jpg").width == 640  # shrunk while decoded: its own limit
    with pytest.raises(DomainError) as refused:
        media.probe(tmp_path / "progressive.jpg")
    assert "0.3 megapixels (640×480, the limit is 0.2 megapixels" in refused.value.message_en
