"""The manager's visit review: who sees which visits, the filters, keyset paging, the capture rate per rep
counted by hand, thumbnails beside the blob store, and the page driven offscreen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop import mutations, snapshot, thumbnails, timeutil, visit_review
from desktop.demo.generator import TOUCHPOINT_COLUMNS
from desktop.ids import uuid7
from desktop.models import Attachment, User
from desktop.visit_review import VisitFilter
from tests import media_files as mf
from tests.conftest import make_customer, run

NOW = timeutil.utcnow().replace(microsecond=0)
VISIT_COLUMNS = (*TOUCHPOINT_COLUMNS, "visit_type", "check_in_at", "location", "rule_id", "rule_version",
                 "rule_passed")


def local_camera_time(at: datetime) -> datetime:
    """The time as a camera in China writes it into EXIF (local, no zone)."""
    return (at + timedelta(hours=8)).replace(tzinfo=None)


@dataclass
class World:
    """Visits made through the real mutations (and older, unchecked ones loaded as a snapshot)."""

    org: object
    visits: dict[str, str] = field(default_factory=dict)  # name -> touchpoint id
    at: dict[str, datetime] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    shas: dict[str, str] = field(default_factory=dict)  # file name -> sha256


def submit_visit(store, world: World, name: str, rep: str, customer: str, hours_ago: float, folder: Path, *,
                 nameplate: bool = False, audio: bool = False, submit: bool = True, **extra) -> str:
    at = NOW - timedelta(hours=hours_ago)
    visit = run(store, rep, "visit.save", customer_id=customer, check_in_at=timeutil.to_text(at),
                summary=f"{name}：拜访采购部，确认设备型号和交期", location="苏州工业园区星湖街 328 号",
                visit_type="routine", reaction="positive", next_step="下周报价", **extra).changes.entity_id
    # every visit its own storefront photo (the rules refuse a photo used before): the EXIF time differs
    files = [(mf.photo(folder / f"{name}-门头.jpg", taken=local_camera_time(at), size=(64, 48)), "storefront")]
    if nameplate:
        files.append((mf.photo(folder / f"{name}-铭牌.jpg", taken=local_camera_time(at) + timedelta(seconds=1),
                               size=(80, 60)), "nameplate"))
    if audio:
        files.append((mf.wav(folder / f"{name}-录音.wav", 3.0), None))
    for path, label in files:
        sha, _size = store.blobs.add_file(path)
        world.shas[path.name] = sha
        args = {"touchpoint_id": visit, "sha256": sha, "filename": path.name}
        if label:
            args["label"] = label
        mutations.run(store, rep, "attachment.add", args)
    if submit:
        run(store, rep, "visit.submit", id=visit)
    world.visits[name], world.at[name] = visit, at
    return visit


def unchecked_visits(store, world: World, rep: str, customer: str, names_and_hours: list[tuple[str, float]]) -> None:
    """Visits from before the capture rules (or the demo generator's): submitted, rule_passed null."""
    rows = []
    for name, hours_ago in names_and_hours:
        at = NOW - timedelta(hours=hours_ago)
        text = timeutil.to_text(at)
        visit = uuid7()
        rows.append((visit, customer, rep, None, "visit", text, "", f"{name}：旧拜访记录", "neutral", "", "", None,
                     "submitted", text, text, 1, "", text, "", None, None, None))
        world.visits[name], world.at[name] = visit, at
    with store.writer("snapshot") as session:
        snapshot.insert_rows(session, "touchpoints", VISIT_COLUMNS, rows)


@pytest.fixture
def world(store, org, tmp_path) -> World:
    """east1: rep (3 passed, 1 draft), rep2 (2 passed, 2 never checked); east2: otherrep (2 passed)."""
    w = World(org)
    # Cheaper than the default (no 90 s recording), same check: a storefront photo per visit.
    run(store, org["manager"], "capture_rule.set", scope="default", required_labels=["storefront"], min_audio_s=None)
    rep, rep2, other = org["rep"], org["rep2"], org["otherrep"]
    w.customers["hengtong"] = make_customer(store, rep, "苏州恒通精密机械有限公司")
    w.customers["huaguang"] = make_customer(store, rep, "无锡华光电子有限公司", city="无锡")
    w.customers["rep2"] = make_customer(store, rep2, "常州天宁纺织机械有限公司", city="常州")
    w.customers["other"] = make_customer(store, other, "杭州西湖五金有限公司", region="浙江", city="杭州")
    submit_visit(store, w, "r1", rep, w.customers["hengtong"], 50, tmp_path, nameplate=True, audio=True)
    submit_visit(store, w, "r2", rep, w.customers["huaguang"], 30, tmp_path)
    submit_visit(store, w, "r3", rep, w.customers["hengtong"], 10, tmp_path)
    submit_visit(store, w, "draft", rep, w.customers["hengtong"], 5, tmp_path, submit=False)
    submit_visit(store, w, "s1", rep2, w.customers["rep2"], 40, tmp_path)
    submit_visit(store, w, "s2", rep2, w.customers["rep2"], 20, tmp_path)
    # two at the very same time: paging must order them by rid and neither lose nor repeat one
    unchecked_visits(store, w, rep2, w.customers["rep2"], [("old1", 24 * 20), ("old2", 24 * 20)])
    submit_visit(store, w, "o1", other, w.customers["other"], 35, tmp_path)
    submit_visit(store, w, "o2", other, w.customers["other"], 15, tmp_path)
    # a touchpoint of another channel is not a visit
    run(store, rep, "touchpoint.log", customer_id=w.customers["hengtong"], channel="call",
        occurred_at=timeutil.to_text(NOW - timedelta(hours=1)), summary="电话确认交期")
    return w


def viewer(store, user_id: str) -> User:
    with store.read() as s:
        return s.get(User, user_id)


def names(world: World, rows) -> list[str]:
    by_id = {v: k for k, v in world.visits.items()}
    return [by_id[r.id] for r in rows]


def review(store, world: World, username: str, **filters) -> list[str]:
    with store.read() as s:
        return names(world, visit_review.visits_page(s, VisitFilter(viewer(store, world.org[username]), **filters)))


def rates(store, world: World, username: str, **filters) -> dict[str, tuple[int, int, float]]:
    with store.read() as s:
        found = visit_review.capture_rates(s, VisitFilter(viewer(store, world.org[username]), **filters))
    by_id = {v: k for k, v in world.org.ids.items()}
    return {by_id[r.user_id]: (r.visits, r.passed, round(r.share, 4)) for r in found}


# ---------------------------------------------------------------------------------------------- the query


def test_each_role_sees_its_visits_newest_first_and_never_a_draft(store, world):
    east1 = ["r3", "s2", "r2", "s1", "r1", "old2", "old1"]  # old2 written after old1, same time: higher rid
    assert review(store, world, "manager") == east1
    assert review(store, world, "kad") == east1
    assert review(store, world, "rep") == ["r3", "r2", "r1"]  # its own; the draft is not a visit to review
    assert review(store, world, "rep2") == ["s2", "s1", "old2", "old1"]
    assert review(store, world, "othermanager") == ["o2", "o1"]
    assert review(store, world, "otherrep") == ["o2", "o1"]
    assert review(store, world, "admin") == ["r3", "o2", "s2", "r2", "o1", "s1", "r1", "old2", "old1"]
    assert review(store, world, "finance") == []


def test_a_customer_handed_to_another_team_leaves_the_managers_review(store, world):
    run(store, world.org["admin"], "customer.update", id=world.customers["huaguang"], owner_id=world.org["otherrep"])
    assert "r2" not in review(store, world, "manager")
    assert "r2" in review(store, world, "admin")


def test_the_rep_filter(store, world):
    assert review(store, world, "manager", rep_id=world.org["rep2"]) == ["s2", "s1", "old2", "old1"]
    assert review(store, world, "manager", rep_id=world.org["otherrep"]) == []  # not this manager's to see


def test_the_customer_filter_by_text_and_by_id(store, world):
    assert review(store, world, "manager", customer_text="无锡") == ["r2"]
    assert review(store, world, "manager", customer_text="恒通") == ["r3", "r1"]
    assert review(store, world, "manager", customer_text="机械") == ["r3", "s2", "s1", "r1", "old2", "old1"]
    assert review(store, world, "manager", customer_text="杭州") == []  # another team's customer
    assert review(store, world, "manager", customer_id=world.customers["rep2"]) == ["s2", "s1", "old2", "old1"]
    assert review(store, world, "manager", customer_text=world.customers["huaguang"]) == ["r2"]
    assert review(store, world, "manager", customer_text="  ") == review(store, world, "manager")


def test_the_date_range(store, world):
    since, until = NOW - timedelta(hours=45), NOW - timedelta(hours=20)
    assert review(store, world, "manager", since=since, until=until) == ["r2", "s1"]
    assert review(store, world, "manager", since=NOW - timedelta(days=3)) == ["r3", "s2", "r2", "s1", "r1"]
    assert review(store, world, "manager", until=world.at["s2"]) == ["r2", "s1", "r1", "old2", "old1"]  # exclusive


def test_the_rule_result_filter(store, world):
    assert review(store, world, "manager", result="passed") == ["r3", "s2", "r2", "s1", "r1"]
    assert review(store, world, "manager", result="not_passed") == ["old2", "old1"]
    with pytest.raises(ValueError):
        VisitFilter(viewer(store, world.org["manager"]), result="maybe")


def test_pages_follow_each_other_without_gaps_or_repeats(store, world):
    user = viewer(store, world.org["admin"])
    for size in (1, 2, 4):
        seen, cursor = [], None
        with store.read() as s:
            while page := visit_review.visits_page(s, VisitFilter(user), limit=size, before=cursor):
                assert len(page) <= size
                seen += names(world, page)
                cursor = page[-1].cursor
                assert len(seen) <= 9, seen  # a page that repeats a row would loop forever
        assert seen == ["r3", "o2", "s2", "r2", "o1", "s1", "r1", "old2", "old1"], size


def test_a_row_carries_what_the_review_shows_and_its_attachments(store, world):
    with store.read() as s:
        rows = visit_review.visits_page(s, VisitFilter(viewer(store, world.org["manager"]), customer_text="恒通"))
    r1 = rows[-1]
    assert (r1.customer_name, r1.rep_name, r1.visit_type, r1.location) == (
        "苏州恒通精密机械有限公司", "Rep", "routine", "苏州工业园区星湖街 328 号")
    assert r1.occurred_at == world.at["r1"] and r1.passed and r1.checked and r1.rule_version is not None
    assert r1.notes_excerpt.startswith("r1：拜访采购部")
    evidence = sorted((a.kind, a.label, a.filename) for a in r1.attachments)
    assert evidence == [("audio", "", "r1-录音.wav"), ("photo", "nameplate", "r1-铭牌.jpg"),
                        ("photo", "storefront", "r1-门头.jpg")]
    audio = next(a for a in r1.attachments if a.kind == "audio")
    photo = next(a for a in r1.attachments if a.label == "storefront")
    assert audio.duration_s == pytest.approx(3.0) and audio.sha256 == world.shas["r1-录音.wav"]
    assert photo.taken_at == world.at["r1"] and photo.sha256 == world.shas["r1-门头.jpg"]
    assert [len(r.attachments) for r in rows] == [1, 3]
    with store.read() as s:
        old = visit_review.visits_page(s, VisitFilter(viewer(store, world.org["rep2"]), result="not_passed"))
    assert [(r.passed, r.checked, r.attachments) for r in old] == [(False, False, ())] * 2


def test_capture_rate_per_rep_against_hand_counted_visits(store, world):
    # rep: r1 r2 r3 passed (the draft is not a visit yet); rep2: s1 s2 passed, old1 old2 never checked
    assert rates(store, world, "manager") == {"rep": (3, 3, 1.0), "rep2": (4, 2, 0.5)}
    assert rates(store, world, "admin") == {"rep": (3, 3, 1.0), "rep2": (4, 2, 0.5), "otherrep": (2, 2, 1.0)}
    assert rates(store, world, "othermanager") == {"otherrep": (2, 2, 1.0)}
    assert rates(store, world, "rep2") == {"rep2": (4, 2, 0.5)}
    # over the filtered period only
    assert rates(store, world, "manager", since=NOW - timedelta(days=3)) == {"rep": (3, 3, 1.0), "rep2": (2, 2, 1.0)}
    assert rates(store, world, "manager", until=NOW - timedelta(days=3)) == {"rep2": (2, 0, 0.0)}
    assert rates(store, world, "manager", since=NOW - timedelta(hours=45)) == {"rep": (2, 2, 1.0), "rep2": (2, 2, 1.0)}
    assert rates(store, world, "manager", customer_text="无锡") == {"rep": (1, 1, 1.0)}
    assert rates(store, world, "manager", result="not_passed") == {"rep2": (2, 0, 0.0)}
    with store.read() as s:
        opened = visit_review.open_review(s, VisitFilter(viewer(store, world.org["manager"])), limit=3)
    assert len(opened.rows) == 3
    assert (opened.total.visits, opened.total.passed, round(opened.total.share, 4)) == (7, 5, round(5 / 7, 4))


def test_a_visit_in_full_only_for_those_who_may_review_it(store, world):
    with store.read() as s:
        detail = visit_review.visit_detail(s, viewer(store, world.org["manager"]), world.visits["r1"])
        assert detail is not None
        assert (detail.notes, detail.reaction, detail.next_step) == ("r1：拜访采购部，确认设备型号和交期", "positive", "下周报价")
        assert detail.check_in_at == world.at["r1"] and len(detail.row.attachments) == 3
        assert visit_review.visit_detail(s, viewer(store, world.org["othermanager"]), world.visits["r1"]) is None
        assert visit_review.visit_detail(s, viewer(store, world.org["manager"]), world.visits["draft"]) is None
        assert visit_review.visit_detail(s, viewer(store, world.org["rep"]), world.visits["draft"]) is None


def test_the_reps_a_viewer_may_filter_by(store, world):
    def usernames(username: str) -> list[str]:
        by_id = {v: k for k, v in world.org.ids.items()}
        with store.read() as s:
            return sorted(by_id[i] for i, _name in visit_review.reps(s, viewer(store, world.org[username])))

    assert usernames("manager") == ["kad", "manager", "rep", "rep2"]
    assert usernames("rep") == ["rep"]
    assert len(usernames("admin")) == len(world.org.ids)


def test_the_list_reads_the_visits_index_in_order(store, world):
    """No sort of every visit for the first page: the (channel, occurred_at) index gives the order."""
    from desktop.visit_review import _ROW_COLUMNS, Touchpoint, _joined, _where

    with store.read() as s:
        flt = VisitFilter(viewer(store, world.org["manager"]))
        query = _joined(select(*_ROW_COLUMNS)).where(*_where(s, flt)) \
            .order_by(Touchpoint.occurred_at.desc(), Touchpoint.rid.desc()).limit(100)
        sql = str(query.compile(s.bind, compile_kwargs={"literal_binds": True}))
        plan = " / ".join(row[3] for row in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_touchpoints_channel_time" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan


# ---------------------------------------------------------------------------------------------- thumbnails


def test_thumbnails_are_made_once_beside_the_blob_store_and_none_while_the_file_is_away(store, tmp_path):
    cache = thumbnails.for_store(store)
    sha, _size = store.blobs.add_file(mf.photo(tmp_path / "门头.jpg", size=(640, 480)))
    path = cache.get(sha, 128)
    assert path == store.path.parent / "thumbnails" / f"{sha}-128.jpg"
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "JPEG" and max(image.size) == 128
    made = path.stat().st_mtime_ns
    assert cache.get(sha, 128) == path and path.stat().st_mtime_ns == made  # read, not made again
    assert cache.get("ab" * 32, 128) is None  # not on this computer yet
    assert not (store.path.parent / "thumbnails" / f"{'ab' * 32}-128.jpg").exists()
    damaged = store.blobs.add_bytes(b"\xff\xd8\xff" + b"not really a picture" * 10)
    with pytest.raises(thumbnails.ThumbnailError):
        cache.get(damaged, 128)
    cache.forget(sha)
    assert not path.exists()


# ---------------------------------------------------------------------------------------------- the page


@pytest.fixture
def page_for(qtbot, store, world):
    from PySide6.QtCore import QCoreApplication, QSettings

    from ui.context import AppContext
    from ui.pages.visit_review_page import VisitReviewPage

    QCoreApplication.setOrganizationName("FieldmarkTests")
    QSettings().clear()
    contexts = []

    def make(username: str) -> VisitReviewPage:
        context = AppContext(store, "en")
        context.user = viewer(store, world.org[username])
        contexts.append(context)
        page = VisitReviewPage(context)
        qtbot.addWidget(page)
        page.resize(1400, 800)
        page.show()
        settle(qtbot, page)
        return page

    yield make
    for context in contexts:
        context.tasks.shutdown()


def settle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.context.tasks.pending == 0 and page.count_label.text() != "Loading…", timeout=5000)


def shown(world: World, page) -> list[str]:
    return names(world, page.model.rows)


def rate_lines(page) -> list[list[str]]:
    table = page.rates_table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def choose_visit(qtbot, page, world: World, name: str) -> None:
    row = [r.id for r in page.model.rows].index(world.visits[name])
    with qtbot.waitSignal(page.sig_evidence_loaded, timeout=5000,
                          check_params_cb=lambda visit_id: visit_id == world.visits[name]):
        page.select_row(row)


def test_the_manager_opens_the_review_with_visits_and_rates(qtbot, page_for, world):
    page = page_for("manager")
    # the default period is the last 30 days: every visit of the team
    assert shown(world, page) == ["r3", "s2", "r2", "s1", "r1", "old2", "old1"]
    assert rate_lines(page) == [["Rep", "3", "3", "100.0 %"], ["Rep2", "4", "2", "50.0 %"], ["All", "7", "5", "71.4 %"]]
    assert page.count_label.text() == "7 visit(s) · 5 passed every rule (71.4 %)"
    model = page.model
    assert [model.data(model.index(0, c)) for c in (1, 2, 3, 6, 7)] == [
        "Rep", "苏州恒通精密机械有限公司", "Routine visit", "Passed", "1 photo(s)"]
    old = shown(world, page).index("old1")
    assert model.data(model.index(old, 6)) == "Not checked"


def test_filters_narrow_the_table_and_the_rates(qtbot, page_for, world):
    page = page_for("manager")
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.result_combo.setCurrentIndex(page.result_combo.findData("not_passed"))
    assert shown(world, page) == ["old2", "old1"]
    assert rate_lines(page) == [["Rep2", "2", "0", "0.0 %"], ["All", "2", "0", "0.0 %"]]
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.result_combo.setCurrentIndex(0)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.customer_edit.setText("恒通")  # typed: read after a pause
    assert shown(world, page) == ["r3", "r1"]
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.rep_combo.setCurrentIndex(page.rep_combo.findData(world.org["rep2"]))
    assert shown(world, page) == [] and rate_lines(page) == []
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.customer_edit.clear()
    assert shown(world, page) == ["s2", "s1", "old2", "old1"]
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.from_edit.setDate(page.to_edit.date().addDays(-3))
    assert shown(world, page) == ["s2", "s1"]


def test_the_list_reads_further_pages_as_it_scrolls(qtbot, page_for, world, monkeypatch):
    monkeypatch.setattr(visit_review, "PAGE", 2)
    page = page_for("admin")
    assert len(page.model.rows) >= 2
    while True:
        # The view may have asked for the next page itself (it does as it shows rows): wait for it.
        qtbot.waitUntil(lambda: not page.model.fetching(), timeout=5000)
        if not page.model.canFetchMore():
            break
        with qtbot.waitSignal(page.model.sig_page_loaded, timeout=5000):
            page.model.fetchMore()
    assert shown(world, page) == ["r3", "o2", "s2", "r2", "o1", "s1", "r1", "old2", "old1"]


def test_selecting_a_visit_shows_its_thumbnails_and_a_placeholder_for_a_missing_file(qtbot, page_for, world, store):
    nameplate = world.shas["r1-铭牌.jpg"]
    kept = store.path.parent / "kept.jpg"
    store.blobs.path(nameplate).rename(kept)  # this photo has not reached this computer yet
    page = page_for("manager")
    choose_visit(qtbot, page, world, "r1")
    assert page.detail_fields["notes"].text() == "r1：拜访采购部，确认设备型号和交期"
    assert page.detail_fields["reaction"].text() == "Positive"
    assert page.detail_fields["next_step"].text() == "下周报价"
    with store.read() as s:
        ids = {a.label: a.id for a in s.scalars(select_attachments(world.visits["r1"]))}
    storefront, missing = page.thumbnail_buttons[ids["storefront"]], page.thumbnail_buttons[ids["nameplate"]]
    assert storefront.property("evidence_state") == "shown" and not storefront.icon().isNull()
    assert storefront.isEnabled()
    assert missing.property("evidence_state") == "missing" and missing.icon().isNull()
    assert "not on this computer yet" in missing.text() and not missing.isEnabled()
    # the file arrives (the evidence download calls refresh_evidence)
    store.blobs.add_file(kept)
    with qtbot.waitSignal(page.sig_evidence_loaded, timeout=5000):
        page.refresh_evidence()
    arrived = page.thumbnail_buttons[ids["nameplate"]]
    assert arrived.property("evidence_state") == "shown" and not arrived.icon().isNull()
    # a thumbnail opens the photo in the viewer
    from ui.dialogs.photo_viewer import PhotoViewer

    arrived.click()
    viewer = page.findChild(PhotoViewer)
    assert viewer is not None
    qtbot.waitUntil(viewer.has_photo, timeout=5000)
    assert viewer.windowTitle() == "r1-铭牌.jpg"
    viewer.close()


def select_attachments(visit_id: str):
    return select(Attachment).where(Attachment.touchpoint_id == visit_id)


def test_the_audio_button_plays_or_says_why_not_without_crashing(qtbot, page_for, world):
    page = page_for("manager")
    choose_visit(qtbot, page, world, "r1")
    [(attachment_id, button)] = list(page.audio_buttons.items())
    assert button.isEnabled() and button.text() == "Play"
    states: list[str] = []
    page.sig_audio_state.connect(states.append)
    button.click()
    # offscreen there may be no audio device: it plays, or it says why not - it does not take the app down
    assert states and (states[0].startswith("Playing r1-录音.wav") or "cannot be played" in states[0])
    qtbot.wait(300)
    if page._playing == attachment_id:
        assert button.text() == "Stop"
        button.click()
        assert page._playing is None and button.text() == "Play"
    choose_visit(qtbot, page, world, "r2")  # another visit: no recording
    assert page.audio_buttons == {}


def test_a_recording_not_on_this_computer_cannot_be_played(qtbot, page_for, world, store):
    store.blobs.path(world.shas["r1-录音.wav"]).unlink()
    page = page_for("manager")
    choose_visit(qtbot, page, world, "r1")
    [button] = page.audio_buttons.values()
    assert not button.isEnabled()


def test_managers_and_kads_have_the_review_in_their_workbench():
    from ui.workbench import entries_for

    for role in ("sales_manager", "key_account_director"):
        assert "visit_review" in [e.key for e in entries_for(role)]
    assert "visit_review" not in [e.key for e in entries_for("field_rep")]
