"""Evidence read from its content (desktop.media), kept by content (desktop.blobs), and checked against
capture rules (desktop.capture_rules). Every file is made by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop import media
from desktop.blobs import BlobError, BlobStore
from desktop.capture_rules import Evidence, Rule, choose, evaluate
from desktop.errors import DomainError
from tests import media_files as mf

# ---------------------------------------------------------------------------------------------- reading files


@pytest.mark.parametrize(("make", "mime", "seconds", "tolerance"), [
    (mf.wav, "audio/wav", 91.5, 0.001),
    (mf.mp3, "audio/mpeg", 91.5, 0.15),  # encoder padding: a frame or two
    (mf.m4a, "audio/mp4", 91.5, 0.15),
    (mf.aac, "audio/aac", 91.5, 0.15),
], ids=["wav", "mp3", "m4a", "aac"])
def test_each_audio_format_gives_its_duration(tmp_path, make, mime, seconds, tolerance):
    info = media.probe(make(tmp_path / "recording", seconds))
    assert (info.kind, info.mime) == ("audio", mime)
    assert info.duration_s == pytest.approx(seconds, abs=tolerance)


def test_wav_durations_are_exact_to_the_sample(tmp_path):
    assert media.probe(mf.wav(tmp_path / "a.wav", 89.9)).duration_s == 89.9
    assert media.probe(mf.wav(tmp_path / "b.wav", 90.0)).duration_s == 90.0


def test_a_photos_capture_time_and_place_come_from_exif(tmp_path):
    info = media.probe(mf.photo(tmp_path / "门头.jpg", taken=datetime(2026, 11, 20, 10, 30), gps=(31.2304, -121.4737)))
    assert (info.kind, info.mime, info.width, info.height) == ("photo", "image/jpeg", 640, 480)
    assert info.taken_at == datetime(2026, 11, 20, 2, 30, tzinfo=UTC)  # no offset written: China time
    assert (info.gps_lat, info.gps_lon) == (pytest.approx(31.2304, abs=1e-4), pytest.approx(-121.4737, abs=1e-4))


def test_an_exif_offset_is_honoured(tmp_path):
    info = media.probe(mf.photo(tmp_path / "tokyo.jpg", taken=datetime(2026, 11, 20, 10, 30), offset="+09:00"))
    assert info.taken_at == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


def test_png_and_heic_photos_are_read(tmp_path):
    assert media.probe(mf.photo(tmp_path / "screen.png", fmt="PNG")).mime == "image/png"
    heic = media.probe(mf.photo(tmp_path / "iphone.heic", fmt="HEIF", taken=datetime(2026, 11, 20, 9, 0)))
    assert (heic.mime, heic.taken_at) == ("image/heic", datetime(2026, 11, 20, 1, 0, tzinfo=UTC))


def test_the_content_decides_not_the_extension(tmp_path):
    png_named_mp3 = tmp_path / "录音.mp3"
    png_named_mp3.write_bytes(mf.photo(tmp_path / "x.png", fmt="PNG").read_bytes())
    assert media.probe(png_named_mp3).mime == "image/png"
    wav_named_jpg = tmp_path / "照片.jpg"
    wav_named_jpg.write_bytes(mf.wav(tmp_path / "x.wav", 3).read_bytes())
    assert media.probe(wav_named_jpg).kind == "audio"


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda p: p.write_text("这不是照片"), "not a photo or recording"),
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_bytes(mf.photo(p.with_suffix(".src"), size=(800, 600)).read_bytes()[:4000]), "damaged"),
    (lambda p: p.write_bytes(mf.wav(p.with_suffix(".src"), 2).read_bytes()[:30]), "damaged"),
    (lambda p: p.write_bytes(mf.mp3(p.with_suffix(".src"), 2).read_bytes()[:10] + bytes(300)), "damaged"),
], ids=["text", "empty", "truncated-jpeg", "truncated-wav", "broken-mp3"])
def test_a_corrupt_or_unsupported_file_is_refused_by_name_with_the_reason(tmp_path, damage, reason):
    path = tmp_path / "证据文件.dat"
    damage(path)
    with pytest.raises(DomainError) as caught:
        media.probe(path)
    assert caught.value.code == "bad_file"
    assert "证据文件.dat" in caught.value.message_zh and "证据文件.dat" in caught.value.message_en
    assert reason in caught.value.message_en


def test_thumbnails_are_small_upright_jpegs(tmp_path):
    from PIL import Image

    thumb = media.thumbnail(mf.photo(tmp_path / "big.jpg", size=(2000, 1000)), 256)
    path = tmp_path / "thumb.jpg"
    path.write_bytes(thumb)
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.size == (256, 128)


# ---------------------------------------------------------------------------------------------- kept by content


def test_files_are_kept_once_under_their_hash(tmp_path):
    store = BlobStore(tmp_path / "attachments")
    source = mf.photo(tmp_path / "a.jpg")
    sha, size = store.add_file(source)
    again, _ = store.add_file(source)
    assert sha == again and store.has(sha) and store.path(sha).read_bytes() == source.read_bytes()
    assert size == source.stat().st_size
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [sha]  # no temporary file left


def test_an_upload_in_chunks_resumes_and_is_checked_against_its_hash(tmp_path):
    import hashlib

    data = bytes(range(256)) * 4000
    sha = hashlib.sha256(data).hexdigest()
    store = BlobStore(tmp_path / "blobs")
    assert store.received(sha) == 0
    assert store.append(sha, 0, data[:400_000], max_bytes=10**7) == 400_000
    # the connection drops; the client asks how much arrived and continues from there
    assert store.received(sha) == 400_000
    assert store.append(sha, 0, data[:400_000], max_bytes=10**7) == 400_000  # a resent chunk changes nothing
    with pytest.raises(BlobError):
        store.append(sha, 500_000, data[500_000:], max_bytes=10**7)  # a gap
    store.append(sha, 400_000, data[400_000:], max_bytes=10**7)
    assert store.finish(sha) == len(data) and store.path(sha).read_bytes() == data
    with pytest.raises(BlobError):
        store.append("0" * 64, 0, b"x" * 11, max_bytes=10)


def test_an_upload_whose_content_does_not_match_its_hash_is_thrown_away(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    sha = "a" * 64
    store.append(sha, 0, b"not what the hash says", max_bytes=1000)
    with pytest.raises(BlobError):
        store.finish(sha)
    assert not store.has(sha) and store.received(sha) == 0


# ---------------------------------------------------------------------------------------------- capture rules

CHECK_IN = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def evidence(*, audio: float | None = 95.0, labels=("storefront", "nameplate"), taken=CHECK_IN,
             size: int = 2_000_000) -> list[Evidence]:
    out = [Evidence(f"p{i}", "photo", label, f"{label}.jpg", size, f"{i:064x}", taken_at=taken)
           for i, label in enumerate(labels)]
    if audio is not None:
        out.append(Evidence("a1", "audio", "", "录音.m4a", 900_000, "f" * 64, duration_s=audio))
    return out


def test_the_default_rule_is_the_briefs():
    assert evaluate(Rule(), CHECK_IN, evidence()) == []
    codes = [v.code for v in evaluate(Rule(), CHECK_IN, evidence(audio=None, labels=("storefront",)))]
    assert codes == ["missing_photo", "missing_audio"]


def test_audio_of_89_9_seconds_is_refused_and_90_0_accepted():
    short = evaluate(Rule(), CHECK_IN, evidence(audio=89.9))
    assert [v.code for v in short] == ["audio_too_short"]
    assert short[0].message_zh == "录音时长 89.9 秒，少于要求的 90 秒。"
    assert short[0].message_en == "Audio is 89.9 s; at least 90 s required."
    assert evaluate(Rule(), CHECK_IN, evidence(audio=90.0)) == []
    assert evaluate(Rule(), CHECK_IN, evidence(audio=62))[0].message_zh == "录音时长 62 秒，少于要求的 90 秒。"


def test_a_missing_nameplate_photo_is_named():
    (violation,) = evaluate(Rule(), CHECK_IN, evidence(labels=("storefront", "other")))
    assert (violation.code, violation.detail) == ("missing_photo", {"label": "nameplate"})
    assert violation.message_zh == "缺少设备铭牌照片。"
    assert violation.message_en == "An equipment nameplate photo is required."


def test_photos_outside_the_window_or_without_a_time_are_refused():
    rule = Rule(photo_window_h=12)
    assert evaluate(rule, CHECK_IN, evidence(taken=CHECK_IN - timedelta(hours=11, minutes=59))) == []
    late = evaluate(rule, CHECK_IN, evidence(taken=CHECK_IN + timedelta(hours=30)))
    assert {v.code for v in late} == {"photo_outside_window"} and "30 小时" in late[0].message_zh
    assert {v.code for v in evaluate(rule, CHECK_IN, evidence(taken=None))} == {"photo_time_unknown"}


def test_a_reused_photo_and_an_oversized_file_are_refused():
    items = evidence(size=120 * 1024 * 1024)
    found = evaluate(Rule(), CHECK_IN, items, reused={items[0].sha256: CHECK_IN - timedelta(days=7)})
    assert [v.code for v in found] == ["file_too_large", "file_too_large", "photo_reused"]
    assert "2026-11-13" in found[-1].message_zh
    assert evaluate(Rule(no_photo_reuse=False, max_file_mb=None), CHECK_IN, items,
                    reused={items[0].sha256: None}) == []


def test_the_most_specific_rule_applies():
    rules = [Rule(id="d"), Rule(id="s", scope="segment", scope_value="key_account", min_audio_s=180),
             Rule(id="t", scope="visit_type", scope_value="installation", required_labels=("nameplate",))]
    assert choose(rules, "installation", "key_account").id == "t"
    assert choose(rules, "routine", "key_account").id == "s"
    assert choose(rules, "routine", "standard").id == "d"
    assert choose([], "routine", "standard") == Rule()
