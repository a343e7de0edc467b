"""Evidence files through a real server: a damaged copy never becomes the server's file and keeps
its sync problem's file until the original is added again; files nothing names any more are swept
on the desktop and on the server, and nothing named is."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop import evidence_files, integrity, remote, timeutil
from desktop.errors import DomainError
from desktop.models import OutboxEntry
from desktop.mutations import prepare
from tests import media_files as mf
from tests.server_process import Api, ServerProcess
from tests.test_sync_visits import CHECK_IN, Desk, kept_on_server, taken

LATER = time.time() + 2 * 3600  # past the desktop sweep's grace period
_unique = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path_factory.mktemp("server"), url)
    yield process
    process.stop()


def _damage(path: Path) -> None:
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(b"\x00" * 64)


def test_a_damaged_copy_is_refused_by_the_server_kept_for_its_sync_problem_and_repaired(server, tmp_path):
    rep = Desk(tmp_path / "rep", server, "rep.li")
    visit = rep.visit()
    photo = mf.photo(tmp_path / "media" / "门头.jpg", taken=taken())
    sha = rep.attach(visit, photo, "storefront")
    _damage(rep.store.blobs.path(sha))

    report = rep.client.sync()
    assert (report.push.applied, report.push.rejected) == (2, 1)  # the customer and the draft; not the photo
    assert report.push.uploaded_bytes == 0  # the damage was found before a byte was sent
    assert not kept_on_server(server, sha)
    with rep.store.read() as s:
        problems = remote.open_problems(s)
    assert [(p.mutation, p.code) for p in problems] == [("attachment.add", "file_missing")]
    assert "门头.jpg" in problems[0].message_zh

    evidence_files.sweep(rep.store, now=LATER)
    assert rep.store.blobs.has(sha)  # the sync problem still names it
    assert evidence_files.condition(rep.store.blobs, sha) == "damaged"

    assert evidence_files.add(rep.store.blobs, photo).repaired  # the original, added again
    assert evidence_files.condition(rep.store.blobs, sha) == "ok"
    rep.run("attachment.add", touchpoint_id=visit, sha256=sha, filename=photo.name, label="storefront")
    assert rep.client.sync().push.rejected == 0
    assert kept_on_server(server, sha)


def test_a_refused_photo_is_sent_again_as_it_was_once_its_file_is_repaired(server, tmp_path):
    rep = Desk(tmp_path / "rep", server, "rep.li")
    visit = rep.visit()
    photo = mf.photo(tmp_path / "media" / "铭牌.jpg", taken=taken())
    sha = rep.attach(visit, photo, "nameplate")
    _damage(rep.store.blobs.path(sha))
    assert rep.client.sync().push.rejected == 1
    with rep.store.read() as s:
        [problem] = remote.open_problems(s)
        refused = s.get(OutboxEntry, problem.outbox_seq)
        refused_args = dict(refused.args)
    assert remote.missing_file(rep.store, "attachment.add", refused_args) == "铭牌.jpg"  # damaged is no file
    with pytest.raises(DomainError, match="no longer on this computer"):
        remote.send_again(rep.store, problem.id, rep.user_id)

    assert evidence_files.add(rep.store.blobs, photo).repaired
    queued = remote.send_again(rep.store, problem.id, rep.user_id)
    assert (queued.name, queued.args) == ("attachment.add", refused_args)  # the same change, same attachment id
    report = rep.client.sync()
    assert (report.push.applied, report.push.rejected) == (1, 0)
    assert kept_on_server(server, sha)
    with rep.store.read() as s:
        assert remote.open_problems(s) == [] and integrity.check(s) == []
    assert rep.attachments(visit) == [("铭牌.jpg", sha)]
    changes, _cursor = Api(server, "rep.li").pull_all()
    on_server = {c["id"]: c["row"] for c in changes if c["table"] == "attachments" and c["op"] == "upsert"}
    assert on_server[refused_args["id"]]["sha256"] == sha  # the very attachment that was refused


def test_files_nothing_names_are_swept_on_both_sides_and_named_ones_stay(server, tmp_path):
    rep = Desk(tmp_path / "rep", server, "rep.li")
    media = tmp_path / "media"
    visit = rep.visit()
    kept = rep.attach(visit, mf.photo(media / "门头.jpg", taken=taken()), "storefront")
    retaken = rep.attach(visit, mf.photo(media / "门头-旧.jpg", taken=taken(), size=(300, 200)), "storefront")
    with rep.store.read() as s:
        old = s.scalars(select(OutboxEntry.changes["entity_id"].as_string())
                        .where(OutboxEntry.name == "attachment.add")
                        .order_by(OutboxEntry.seq.desc())).first()
    rep.run("attachment.remove", id=old)
    dropped = rep.visit("临时草稿")
    in_dropped = rep.attach(dropped, mf.wav(media / "录音.wav", 5))
    rep.run("visit.discard", id=dropped)

    before_sync = evidence_files.sweep(rep.store, now=LATER)
    assert before_sync.removed == 0  # every change naming them is still to be sent
    assert rep.client.sync().push.rejected == 0
    pending = rep.visit("还没同步")
    unsent = rep.attach(pending, mf.photo(media / "新门头.jpg", taken=taken()), "storefront")

    swept = evidence_files.sweep(rep.store, now=LATER)
    assert swept.removed == 2
    assert set(rep.store.blobs.kept()) == {kept, unsent}

    # The server: an upload no change ever named, the removed photo and the discarded recording go,
    # once older than the grace period; the submitted visit's photo stays.
    stray = Api(server, "rep.li").upload(b"\xff\xd8\xff" + bytes(2000))
    for sha in (kept, retaken, in_dropped, stray):
        assert kept_on_server(server, sha)
    result = server.admin("blobs", "sweep")
    assert result.returncode == 0 and result.stdout.startswith("removed 0 files"), result.stderr
    result = server.admin("blobs", "sweep", "--older-than-days", "0")
    assert result.returncode == 0, result.stderr
    assert kept_on_server(server, kept)
    assert [kept_on_server(server, sha) for sha in (retaken, in_dropped, stray)] == [False, False, False]
    status = Api(server, "rep.li").get(f"/v1/blobs/{stray}/status").json()
    assert status == {"received": 0, "complete": False}  # sent again if ever needed

    # The next sync sends the unsent photo; nothing on the desktop is missing.
    assert rep.client.sync().push.rejected == 0
    assert kept_on_server(server, unsent)


def test_the_server_reads_a_200_megapixel_photo_with_the_same_limits(server, tmp_path):
    api = Api(server, "rep.li")
    customer = prepare("customer.create", {"name": f"南通{next(_unique)}号", "region": "江苏", "city": "南通"})
    draft = prepare("visit.save", {"customer_id": customer["id"], "check_in_at": timeutil.to_text(CHECK_IN)})
    local = (CHECK_IN + timedelta(hours=8)).replace(tzinfo=None)
    photos = [mf.huge_jpeg(tmp_path / "2亿像素.jpg", 16384, 12288, taken=local),
              mf.huge_png(tmp_path / "截图.png", 16384, 12288)]
    adds = [("attachment.add", prepare("attachment.add", {
        "touchpoint_id": draft["id"], "sha256": api.upload(p.read_bytes()), "filename": p.name, "label": "storefront"}))
        for p in photos]
    results = api.push(("customer.create", customer), ("visit.save", draft), *adds).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "applied", "rejected"]
    assert results[3]["error"]["code"] == "bad_file"
    assert "照片有 201 百万像素（16384×12288，上限 50 百万像素）" in results[3]["error"]["message_zh"]
    assert "201 megapixels (16384×12288, the limit is 50 megapixels" in results[3]["error"]["message_en"]
    rows = {c["id"]: c["row"] for c in api.pull_all()[0] if c["table"] == "attachments"}
    jpeg = rows[adds[0][1]["id"]]
    assert (jpeg["mime"], jpeg["size"]) == ("image/jpeg", photos[0].stat().st_size)


def test_a_damaged_copy_on_the_server_is_not_served_and_the_next_upload_replaces_it(server, tmp_path):
    from sync.client import SyncError

    rep = Desk(tmp_path / "rep", server, "rep.li")
    photo = mf.photo(tmp_path / "media" / "门头.jpg", taken=taken())
    sha = rep.attach(rep.visit(), photo, "storefront")
    assert rep.client.sync().push.rejected == 0
    _damage(server.data_dir / "blobs" / sha[:2] / sha)

    manager = Desk(tmp_path / "manager", server, "manager.wang")
    with pytest.raises(SyncError) as refused:
        manager.client.fetch_blob(sha)
    assert (refused.value.code, refused.value.status) == ("damaged", 409)
    assert "服务器上这个文件的副本已损坏" in refused.value.message_zh
    assert not manager.store.blobs.has(sha)  # nothing damaged came down
    checked = server.admin("blobs", "check")
    assert checked.returncode == 1 and f"damaged: {sha}" in checked.stdout

    # The rep adds the same photo to another visit: the server asks for it again and keeps it whole.
    rep.attach(rep.visit("回访"), photo, "storefront")
    report = rep.client.sync()
    assert report.push.rejected == 0 and report.push.uploaded_bytes == photo.stat().st_size
    assert kept_on_server(server, sha)
    assert manager.client.fetch_blob(sha)
    assert manager.store.blobs.path(sha).read_bytes() == photo.read_bytes()
    assert server.admin("blobs", "check").returncode == 0


def test_a_damaged_downloaded_copy_is_downloaded_again(server, tmp_path):
    rep = Desk(tmp_path / "rep", server, "rep.li")
    photo = mf.photo(tmp_path / "media" / "门头.jpg", taken=taken())
    sha = rep.attach(rep.visit(), photo, "storefront")
    assert rep.client.sync().push.rejected == 0
    manager = Desk(tmp_path / "manager", server, "manager.wang")
    assert manager.client.fetch_blob(sha)
    _damage(manager.store.blobs.path(sha))
    assert evidence_files.condition(manager.store.blobs, sha) == "damaged"
    assert manager.client.fetch_blob(sha)
    assert manager.store.blobs.path(sha).read_bytes() == photo.read_bytes()
    assert evidence_files.condition(manager.store.blobs, sha) == "ok"
