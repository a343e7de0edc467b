"""Visits with evidence on the desktop: drafts, attachments measured from their files, the capture rules
at submission, immutability once submitted, amendments, and rules as data."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop import mutations, timeutil
from desktop.errors import DomainError
from desktop.models import Attachment, CaptureRule, OutboxEntry, Touchpoint
from desktop.mutations import visits
from desktop.store import open_store
from tests import media_files as mf
from tests.conftest import make_customer, run

CHECK_IN = timeutil.utcnow().replace(microsecond=0) - timedelta(hours=2)


def check_in_local() -> datetime:
    """The check-in as a camera in China writes it (local time, no zone)."""
    return (CHECK_IN + timedelta(hours=8)).replace(tzinfo=None)


def start(store, rep, customer, **extra) -> str:
    return run(store, rep, "visit.save", customer_id=customer, check_in_at=timeutil.to_text(CHECK_IN),
               summary="拜访采购部，确认设备型号和交期", **extra).changes.entity_id


def attach(store, rep, visit, path: Path, label: str | None = None) -> str:
    sha, _size = store.blobs.add_file(path)
    args = {"touchpoint_id": visit, "sha256": sha, "filename": path.name}
    if label:
        args["label"] = label
    return mutations.run(store, rep, "attachment.add", args).changes.entity_id


def full_evidence(store, rep, visit, folder: Path, audio_s: float = 95.0) -> None:
    attach(store, rep, visit, mf.photo(folder / "门头.jpg", taken=check_in_local()), "storefront")
    attach(store, rep, visit, mf.photo(folder / "铭牌.jpg", taken=check_in_local(), size=(320, 240)), "nameplate")
    attach(store, rep, visit, mf.wav(folder / "录音.wav", audio_s))


def visit_row(store, visit) -> Touchpoint:
    with store.read() as s:
        return s.scalars(select(Touchpoint).where(Touchpoint.id == visit)).one()


def test_a_visit_with_the_briefs_evidence_is_submitted(store, org, tmp_path):
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep), location="苏州工业园区星湖街 328 号")
    full_evidence(store, rep, visit, tmp_path)
    run(store, rep, "visit.submit", id=visit)
    row = visit_row(store, visit)
    assert (row.status, row.channel, row.rule_passed, row.rule_id) == ("submitted", "visit", True, "default")
    with store.read() as s:
        kinds = sorted((a.kind, a.label, a.mime) for a in s.scalars(select(Attachment)))
    assert kinds == [("audio", "", "audio/wav"), ("photo", "nameplate", "image/jpeg"),
                     ("photo", "storefront", "image/jpeg")]


def test_too_short_audio_is_refused_in_words_and_the_draft_keeps_everything(store, org, tmp_path):
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep), next_step="下周报价")
    full_evidence(store, rep, visit, tmp_path, audio_s=62)
    with pytest.raises(DomainError) as refused:
        run(store, rep, "visit.submit", id=visit)
    assert refused.value.code == "evidence_rules"
    assert "录音时长 62 秒，少于要求的 90 秒" in refused.value.message_zh
    assert "Audio is 62 s; at least 90 s required." in refused.value.message_en
    assert [v["code"] for v in refused.value.detail["violations"]] == ["audio_too_short"]
    row = visit_row(store, visit)
    assert (row.status, row.next_step, row.summary) == ("draft", "下周报价", "拜访采购部，确认设备型号和交期")
    # fix it: a longer recording, then submit
    attach(store, rep, visit, mf.wav(tmp_path / "录音2.wav", 90.0))
    run(store, rep, "visit.submit", id=visit)
    assert visit_row(store, visit).status == "submitted"


def test_a_draft_survives_a_restart(store, org, tmp_path):
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep))
    attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg", taken=check_in_local()), "storefront")
    with pytest.raises(DomainError):
        run(store, rep, "visit.submit", id=visit)
    again = open_store(store.path)
    try:
        row = visit_row(again, visit)
        with again.read() as s:
            files = list(s.scalars(select(Attachment.filename).where(Attachment.touchpoint_id == visit)))
        assert (row.status, files) == ("draft", ["门头.jpg"])
        assert again.blobs.has(mf_sha(again, visit))
    finally:
        again.close()


def mf_sha(store, visit) -> str:
    with store.read() as s:
        return s.scalars(select(Attachment.sha256).where(Attachment.touchpoint_id == visit)).one()


def test_a_submitted_visit_cannot_change_and_is_corrected_by_an_amendment(store, org, tmp_path):
    rep = org["rep"]
    customer = make_customer(store, rep)
    visit = start(store, rep, customer)
    full_evidence(store, rep, visit, tmp_path)
    run(store, rep, "visit.submit", id=visit)
    for name, args in (("visit.save", {"id": visit, "check_in_at": timeutil.to_text(CHECK_IN), "summary": "改"}),
                       ("attachment.add", {"touchpoint_id": visit, "sha256": mf_sha_any(store), "filename": "x.jpg"}),
                       ("visit.discard", {"id": visit})):
        with pytest.raises(DomainError) as refused:
            mutations.run(store, rep, name, args)
        assert refused.value.code == "visit_submitted"
    amendment = start(store, rep, customer, amends_id=visit)
    assert visit_row(store, amendment).amends_id == visit


def mf_sha_any(store) -> str:
    with store.read() as s:
        return s.scalars(select(Attachment.sha256)).first()


def test_only_the_author_changes_a_draft(store, org, tmp_path):
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep))
    with pytest.raises(DomainError) as refused:
        run(store, org["manager"], "visit.submit", id=visit)
    assert refused.value.code == "forbidden"


def test_a_photo_from_an_earlier_visit_is_refused(store, org, tmp_path):
    rep = org["rep"]
    customer = make_customer(store, rep)
    first = start(store, rep, customer)
    full_evidence(store, rep, first, tmp_path)
    run(store, rep, "visit.submit", id=first)
    second = start(store, rep, customer)
    full_evidence(store, rep, second, tmp_path)  # the very same files
    with pytest.raises(DomainError) as refused:
        run(store, rep, "visit.submit", id=second)
    codes = [v["code"] for v in refused.value.detail["violations"]]
    assert codes == ["photo_reused", "photo_reused"]
    assert "门头.jpg" in refused.value.message_zh


def test_a_file_that_is_not_evidence_is_refused_by_name(store, org, tmp_path):
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep))
    fake = tmp_path / "录音.m4a"
    fake.write_text("这是一段文字，不是录音")
    with pytest.raises(DomainError) as refused:
        attach(store, rep, visit, fake)
    assert refused.value.code == "bad_file" and "录音.m4a" in refused.value.message_zh
    with pytest.raises(DomainError) as missing:
        run(store, rep, "attachment.add", touchpoint_id=visit, sha256="0" * 64, filename="没收到.jpg")
    assert missing.value.code == "file_missing"


def test_a_20_s_recording_whose_header_claims_13_hours_is_refused_and_the_draft_keeps_the_rest(store, org, tmp_path):
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep), next_step="下周报价")
    attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg", taken=check_in_local()), "storefront")
    piped = mf.ffmpeg_to_pipe(mf.sox_wav(tmp_path / "20s.wav", 20), tmp_path / "录音.wav", "-ar", "44100", "-ac", "1",
                              "-f", "wav")
    with pytest.raises(DomainError) as refused:
        attach(store, rep, visit, piped)
    assert refused.value.code == "bad_file" and refused.value.field == "attachments"
    assert refused.value.message_zh == "文件“录音.wav”无法使用：录音文件已损坏：文件头声称 13 小时 31 分，实际内容 20 秒。"
    assert refused.value.message_en == ("The file '录音.wav' cannot be used: the recording is damaged: its header "
                                        "claims 13 h 31 min but it holds 20 s of sound.")
    with store.read() as s:
        assert [a.filename for a in s.scalars(select(Attachment).where(Attachment.touchpoint_id == visit))] == ["门头.jpg"]
    assert visit_row(store, visit).next_step == "下周报价"


def test_a_photo_outside_the_rules_window(store, org, tmp_path):
    rep, manager = org["rep"], org["manager"]
    run(store, manager, "capture_rule.set", scope="default", photo_window_h=12)
    visit = start(store, rep, make_customer(store, rep))
    attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg", taken=check_in_local() - timedelta(hours=30)),
           "storefront")
    attach(store, rep, visit, mf.photo(tmp_path / "铭牌.jpg", taken=check_in_local(), size=(300, 200)), "nameplate")
    attach(store, rep, visit, mf.wav(tmp_path / "录音.wav", 120))
    with pytest.raises(DomainError) as refused:
        run(store, rep, "visit.submit", id=visit)
    assert [v["code"] for v in refused.value.detail["violations"]] == ["photo_outside_window"]
    assert "30 小时" in refused.value.message_zh


def test_rules_are_data_a_manager_sets_per_segment_and_versions(store, org, tmp_path):
    rep, manager = org["rep"], org["manager"]
    with pytest.raises(DomainError):
        run(store, rep, "capture_rule.set", scope="default", min_audio_s=10)  # a rep may not
    run(store, manager, "capture_rule.set", scope="segment", scope_value="key_account", min_audio_s=180,
        required_labels=["nameplate"])
    run(store, manager, "capture_rule.set", scope="segment", scope_value="key_account", min_audio_s=120)
    with store.read() as s:
        rule = s.scalars(select(CaptureRule)).one()
    assert (rule.version, rule.min_audio_s, rule.required_labels) == (2, 120.0, ["nameplate"])
    key = make_customer(store, rep, "上海宝钢设备有限公司", segment="key_account")
    visit = start(store, rep, key)
    attach(store, rep, visit, mf.photo(tmp_path / "铭牌.jpg", taken=check_in_local()), "nameplate")
    attach(store, rep, visit, mf.wav(tmp_path / "录音.wav", 100))
    with pytest.raises(DomainError) as refused:
        run(store, rep, "visit.submit", id=visit)
    assert "少于要求的 120 秒" in refused.value.message_zh
    attach(store, rep, visit, mf.wav(tmp_path / "长录音.wav", 125))
    run(store, rep, "visit.submit", id=visit)
    assert (visit_row(store, visit).rule_id, visit_row(store, visit).rule_version) == (rule.id, 2)


def test_a_draft_can_be_discarded_with_its_attachments(store, org, tmp_path):
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep))
    attach(store, rep, visit, mf.photo(tmp_path / "门头.jpg"), "storefront")
    run(store, rep, "visit.discard", id=visit)
    with store.read() as s:
        assert s.scalars(select(Touchpoint).where(Touchpoint.id == visit)).first() is None
        assert s.scalars(select(Attachment)).first() is None
        assert [e.name for e in s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))][-1] == "visit.discard"


def test_attachment_metadata_comes_from_the_file_not_the_request(store, org, tmp_path):
    """The request names only the file; what it is, how long, when taken are read from it."""
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep))
    lying = tmp_path / "门头.mp3"  # a photo named like a recording
    lying.write_bytes(mf.photo(tmp_path / "p.jpg", taken=check_in_local(), gps=(31.3, 120.6)).read_bytes())
    attachment = attach(store, rep, visit, lying, "storefront")
    with store.read() as s:
        row = s.scalars(select(Attachment).where(Attachment.id == attachment)).one()
    assert (row.kind, row.mime, row.label) == ("photo", "image/jpeg", "storefront")
    assert row.taken_at == CHECK_IN and (round(row.gps_lat, 3), round(row.gps_lon, 3)) == (31.3, 120.6)
    with pytest.raises(DomainError):
        mutations.run(store, rep, "attachment.add", {"touchpoint_id": visit, "sha256": row.sha256,
                                                     "filename": "x.jpg", "duration_s": 120})
    assert visits.MAX_FILE_BYTES >= 100 * 1024 * 1024


def test_a_draft_is_its_authors_alone_until_submitted(store, org, tmp_path):
    from desktop import activity, customer_profile

    rep, manager = org["rep"], org["manager"]
    customer = make_customer(store, rep)
    visit = start(store, rep, customer)

    def seen_by(user_id: str) -> tuple[list[str], list[str]]:
        with store.read() as s:
            trail = [e.id for e in customer_profile.timeline_page(s, user_id, customer)]
            from desktop.models import User
            viewer = s.get(User, user_id)
            team = [r.touchpoint_id for r in activity.team_activity(s, viewer, CHECK_IN - timedelta(days=1))]
        return trail, team

    assert seen_by(rep)[0] == [visit]
    assert seen_by(manager) == ([], [])
    full_evidence(store, rep, visit, tmp_path)
    run(store, rep, "visit.submit", id=visit)
    assert seen_by(manager) == ([visit], [visit])


def test_a_visit_cannot_be_logged_as_a_plain_touchpoint(store, org):
    """touchpoint.log would record a visit without evidence: the rule could be dodged that way."""
    rep = org["rep"]
    with pytest.raises(DomainError) as refused:
        run(store, rep, "touchpoint.log", customer_id=make_customer(store, rep), channel="visit",
            occurred_at=timeutil.to_text(CHECK_IN), summary="现场拜访")
    assert (refused.value.code, refused.value.field) == ("invalid_value", "channel")
    assert "记录拜访" in refused.value.message_zh


def test_a_photos_label_is_changed_in_place(store, org, tmp_path):
    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep))
    photo = attach(store, rep, visit, mf.photo(tmp_path / "照片.jpg"), "other")
    run(store, rep, "attachment.relabel", id=photo, label="nameplate")
    with store.read() as s:
        row = s.scalars(select(Attachment).where(Attachment.id == photo)).one()
    assert (row.label, row.version) == ("nameplate", 2)
    recording = attach(store, rep, visit, mf.wav(tmp_path / "录音.wav", 3))
    with pytest.raises(DomainError):
        run(store, rep, "attachment.relabel", id=recording, label="storefront")  # recordings have no label
