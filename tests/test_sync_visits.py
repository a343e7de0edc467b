"""Visits with evidence through a real server: files go up in chunks before the mutations that name them
and resume after an interruption, the server measures them itself and re-checks the capture rules
across every rep, and people who may see a visit download its files on demand."""

from __future__ import annotations

import hashlib
import itertools
import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from desktop import mutations, remote, timeutil
from desktop.models import Attachment, OutboxEntry, Touchpoint
from desktop.mutations import prepare
from desktop.store import open_store
from sync import protocol
from sync.client import UPLOAD_FIRST, SyncCancelled, SyncClient, SyncUnavailable
from sync.token_store import FileTokenStore
from tests import media_files as mf
from tests.server_process import Api, ServerProcess

CHECK_IN = timeutil.utcnow().replace(microsecond=0) - timedelta(hours=2)
_unique = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """One server per database for the module; each test makes its own desktops, customers and files."""
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path_factory.mktemp("server"), url)
    process.kind = request.param
    yield process
    process.stop()


class Desk:
    """One installation signed in as a user, synced once."""

    def __init__(self, folder: Path, server: ServerProcess, username: str, **options: Any) -> None:
        self.folder = folder
        self.store = open_store(folder / "fieldmark.db")
        self.client = SyncClient(self.store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None,
                                 **options)
        self.user_id = self.client.sign_in(username, "fieldmark", f"{username}'s laptop")
        self.client.sync()

    def run(self, mutation: str, /, **args: Any) -> str:
        return mutations.run(self.store, self.user_id, mutation, args).changes.entity_id

    def attach(self, visit: str, path: Path, label: str | None = None) -> str:
        sha, _size = self.store.blobs.add_file(path)
        self.run("attachment.add", touchpoint_id=visit, sha256=sha, filename=path.name,
                 **({"label": label} if label else {}))
        return sha

    def visit(self, summary: str = "拜访采购部，确认设备型号和交期") -> str:
        """A customer of this user's and a draft visit to it, both made offline."""
        customer = self.run("customer.create", name=f"苏州恒通精密机械{next(_unique)}号", region="江苏", city="苏州")
        return self.run("visit.save", customer_id=customer, check_in_at=timeutil.to_text(CHECK_IN), summary=summary,
                        next_step="下周报价")

    def row(self, visit: str) -> Touchpoint:
        with self.store.read() as s:
            return s.scalars(select(Touchpoint).where(Touchpoint.id == visit)).one()

    def attachments(self, visit: str) -> list[tuple[str, str]]:
        with self.store.read() as s:
            return sorted((name, sha) for name, sha in s.execute(
                select(Attachment.filename, Attachment.sha256).where(Attachment.touchpoint_id == visit)))


def taken() -> datetime:
    """A capture time near the check-in, different for every photo made (so no two tests share a photo)."""
    return (CHECK_IN + timedelta(hours=8, seconds=next(_unique))).replace(tzinfo=None)


def evidence(folder: Path, audio_s: float = 95.0, storefront: Path | None = None) -> list[tuple[Path, str | None]]:
    return [(storefront or mf.photo(folder / "门头.jpg", taken=taken(), gps=(31.3, 120.6)), "storefront"),
            (mf.photo(folder / "铭牌.jpg", taken=taken(), size=(320, 240)), "nameplate"),
            (mf.wav(folder / "录音.wav", audio_s), None)]


def kept_on_server(server: ServerProcess, sha: str) -> bool:
    path = server.data_dir / "blobs" / sha[:2] / sha
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha


def server_rows(api: Api, table: str) -> dict[str, dict]:
    changes, _ = api.pull_all()
    return {c["id"]: c["row"] for c in changes if c["table"] == table and c["op"] == protocol.UPSERT}


def test_a_visit_recorded_offline_reaches_the_server_with_its_files_and_the_manager_fetches_them(server, tmp_path):
    rep = Desk(tmp_path / "rep", server, "rep.li")
    visit = rep.visit()
    shas = [rep.attach(visit, path, label) for path, label in evidence(tmp_path / "media")]
    rep.run("visit.submit", id=visit)

    report = rep.client.sync()
    assert (report.push.applied, report.push.rejected, report.push.uploaded_files) == (5 + 1, 0, 3)
    sizes = [rep.store.blobs.size(sha) for sha in shas]
    assert report.push.uploaded_bytes == sum(sizes)
    assert all(kept_on_server(server, sha) for sha in shas)
    manager_api = Api(server, "manager.wang")
    assert server_rows(manager_api, "touchpoints")[visit]["status"] == "submitted"
    on_server = {r["sha256"]: r for r in server_rows(manager_api, "attachments").values()
                 if r["touchpoint_id"] == visit}
    assert set(on_server) == set(shas)
    assert on_server[shas[2]]["duration_s"] == pytest.approx(95.0)  # measured by the server from the file

    # The rep's manager reviews it on another computer: rows come with the pull, files on demand.
    manager = Desk(tmp_path / "manager", server, "manager.wang")
    assert manager.row(visit).status == "submitted"
    assert not any(manager.store.blobs.has(sha) for sha in shas)  # a pull downloads no file by itself
    assert manager.client.fetch_blob(shas[0]) and manager.client.fetch_blob(shas[1])
    for sha in shas[:2]:
        assert hashlib.sha256(manager.store.blobs.path(sha).read_bytes()).hexdigest() == sha
    assert manager.client.fetch_blob(shas[0])  # already here: nothing to do

    # A rep of the other team may not see the customer, so not its files either - told 404, as if absent.
    other = Desk(tmp_path / "other", server, "rep.liu")
    assert other.client.fetch_blob(shas[0]) is False
    assert not other.store.blobs.has(shas[0])
    refused = Api(server, "rep.liu").get(f"/v1/blobs/{shas[0]}")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    missing = Api(server, "rep.liu").get(f"/v1/blobs/{hashlib.sha256(os.urandom(8)).hexdigest()}")
    assert (missing.status_code, missing.json()) == (404, refused.json())


class FaultySession(requests.Session):
    """Records every chunk sent; can lose the answer to the Nth chunk and then take the network down."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[tuple[str, int, int]] = []  # (sha256, offset, bytes) of each PUT that reached the server
        self.lose_answer_of_chunk: int | None = None
        self.down = False

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.down:
            raise requests.ConnectionError("injected: the network is down")
        response = super().request(method, url, **kwargs)
        if method == "PUT":
            body = kwargs["data"]  # a chunk goes as a stream (sync.client._request)
            self.chunks.append((url.rsplit("/", 1)[1], int(kwargs["params"]["offset"]), len(body.getbuffer())))
            if len(self.chunks) == self.lose_answer_of_chunk:
                self.down = True
                raise requests.ConnectionError("injected: the connection dropped")
        return response


def test_an_upload_interrupted_half_way_resumes_without_sending_the_first_half_again(server, tmp_path):
    network = FaultySession()
    rep = Desk(tmp_path / "rep", server, "rep.li", session=network, attempts=3)
    visit = rep.visit()
    big = mf.photo(tmp_path / "media" / "门头-大.jpg", taken=taken(), noise_bytes=5 * 1024 * 1024 + 300_000)
    size = big.stat().st_size
    shas = [rep.attach(visit, path, label) for path, label in evidence(tmp_path / "media", storefront=big)]
    rep.run("visit.submit", id=visit)

    network.lose_answer_of_chunk = 3  # the third chunk arrives, its answer does not, and the network goes
    with pytest.raises(SyncUnavailable):
        rep.client.sync()
    first = network.chunks[:3]
    assert [sha for sha, _o, _n in first] == [shas[0]] * 3
    assert [offset for _sha, offset, _n in first] == [0, first[0][2], first[0][2] + first[1][2]]  # one after the other
    with rep.store.read() as s:
        assert mutations.pending(s) == 6  # nothing was pushed: the files go first
    api = Api(server, "rep.li")
    status = api.get(f"/v1/blobs/{shas[0]}/status").json()
    assert status == {"received": sum(n for _sha, _o, n in first), "complete": False}

    network.down = False
    before = len(network.chunks)
    report = rep.client.sync()
    assert report.push.rejected == 0 and report.push.applied == 6
    big_chunks = [(offset, n) for sha, offset, n in network.chunks if sha == shas[0]]
    resumed = network.chunks[before:]
    assert resumed[0][:2] == (shas[0], status["received"])  # from the server's count, not 0
    offsets = [offset for offset, _n in big_chunks]
    assert offsets == [sum(n for _o, n in big_chunks[:i]) for i in range(len(big_chunks))]  # nothing twice
    assert sum(n for _o, n in big_chunks) == size
    assert report.push.uploaded_bytes == sum(n for _sha, _o, n in resumed)
    assert kept_on_server(server, shas[0])
    assert rep.row(visit).status == "submitted"


def test_cancelling_stops_between_chunks_and_keeps_what_was_sent(server, tmp_path):
    rep = Desk(tmp_path / "rep", server, "rep.li")
    visit = rep.visit()
    big = mf.photo(tmp_path / "media" / "门头-大.jpg", taken=taken(), noise_bytes=3 * 1024 * 1024 + 1000)
    sha = rep.attach(visit, big, "storefront")

    class StopAfterFirstChunk:
        def __init__(self) -> None:
            self.uploading = 0

        def set(self, fraction: float, what: str = "") -> bool:
            self.uploading += what == "upload"
            return self.uploading < 3  # the first report (before any chunk), then one after the first chunk

    with pytest.raises(SyncCancelled):
        rep.client.sync(StopAfterFirstChunk())
    assert Api(server, "rep.li").get(f"/v1/blobs/{sha}/status").json() == {
        "received": UPLOAD_FIRST, "complete": False}
    with rep.store.read() as s:
        assert mutations.pending(s) == 3
    rep.client.sync()
    assert kept_on_server(server, sha)
    with rep.store.read() as s:
        assert mutations.pending(s) == 0


def test_a_photo_another_rep_already_used_is_refused_by_the_server_and_the_visit_is_a_draft_again(server, tmp_path,
                                                                                                  qtbot):
    li = Desk(tmp_path / "li", server, "rep.li")  # 华东一组
    liu = Desk(tmp_path / "liu", server, "rep.liu")  # 华东二组: neither desktop sees the other's visits
    shared = mf.photo(tmp_path / "shared" / "门头.jpg", taken=taken())
    first = li.visit()
    for path, label in evidence(tmp_path / "li-media", storefront=shared):
        li.attach(first, path, label)
    li.run("visit.submit", id=first)
    assert li.client.sync().push.rejected == 0

    second = liu.visit("拜访设备科，演示新型号")
    for path, label in evidence(tmp_path / "liu-media", storefront=shared):
        liu.attach(second, path, label)
    liu.run("visit.submit", id=second)  # offline, this desktop cannot know: it submits fine
    assert liu.row(second).status == "submitted"

    report = liu.client.sync()
    assert (report.push.applied, report.push.rejected) == (5, 1)
    row = liu.row(second)
    assert (row.status, row.summary, row.next_step) == ("draft", "拜访设备科，演示新型号", "下周报价")
    assert sorted(name for name, _sha in liu.attachments(second)) == sorted(["录音.wav", "门头.jpg", "铭牌.jpg"])
    with liu.store.read() as s:
        problems = remote.open_problems(s)
        rejected = s.scalars(select(OutboxEntry).where(OutboxEntry.status == "rejected")).one()
    assert [(p.mutation, p.entity_id, p.code) for p in problems] == [("visit.submit", second, "evidence_rules")]
    assert "照片“门头.jpg”已在" in problems[0].message_zh and "用过" in problems[0].message_zh
    assert "The photo 门头.jpg was already used by an earlier visit" in problems[0].message_en
    assert [v["code"] for v in rejected.result["error"]["detail"]["violations"]] == ["photo_reused"]
    assert server_rows(Api(server, "rep.liu"), "touchpoints")[second]["status"] == "draft"

    # In the window, Sync problems opens the visit itself to fix it.
    from desktop.models import User
    from ui.context import AppContext
    from ui.dialogs.visit_dialog import VisitDialog
    from ui.pages.sync_problems_page import SyncProblemsPage

    context = AppContext(liu.store, "zh_CN")
    try:
        with liu.store.read() as s:
            context.set_user(s.get(User, liu.user_id))
        page = SyncProblemsPage(context)
        qtbot.addWidget(page)
        page.refresh()
        qtbot.waitUntil(lambda: len(page.problems) == 1, timeout=5000)
        page.edit_and_resend(page.problems[0].id)
        qtbot.waitUntil(lambda: isinstance(page.editor, VisitDialog), timeout=5000)
        assert page.editor.visit_id == second
        page.editor.close()  # a child of the page: Qt deletes it
    finally:
        context.tasks.shutdown()

    # The rep takes a new photo; the draft goes through.
    with liu.store.read() as s:
        old = s.scalars(select(Attachment.id).where(Attachment.touchpoint_id == second,
                                                    Attachment.filename == "门头.jpg")).one()
    liu.run("attachment.remove", id=old)
    liu.attach(second, mf.photo(tmp_path / "liu-media" / "门头-新.jpg", taken=taken()), "storefront")
    liu.run("visit.submit", id=second)
    assert liu.client.sync().push.rejected == 0
    assert liu.row(second).status == "submitted"
    with liu.store.read() as s:
        assert remote.open_problems(s) == []  # the accepted submit settled the refused one


def _upload_visit(api: Api, folder: Path, audio_s: float) -> tuple[str, list[tuple[str, dict]]]:
    """Mutations of a visit whose files were uploaded through the bare API, as a modified client would."""
    customer = prepare("customer.create", {"name": f"无锡华光{next(_unique)}号", "region": "江苏", "city": "无锡"})
    visit = prepare("visit.save", {"customer_id": customer["id"], "check_in_at": timeutil.to_text(CHECK_IN),
                                   "summary": "现场演示"})
    out = [("customer.create", customer), ("visit.save", visit)]
    for path, label in evidence(folder, audio_s):
        sha = api.upload(path.read_bytes())
        out.append(("attachment.add", prepare("attachment.add", {
            "touchpoint_id": visit["id"], "sha256": sha, "filename": path.name, **({"label": label} if label else {})})))
    return visit["id"], out


def test_an_attachment_naming_a_file_never_sent_is_refused(server, tmp_path):
    li = Api(server, "rep.li")
    visit, made = _upload_visit(li, tmp_path / "li", 95)
    assert [r["status"] for r in li.push(*made).json()["results"]] == ["applied"] * 5

    liu = Api(server, "rep.liu")
    customer = prepare("customer.create", {"name": f"常州{next(_unique)}号", "region": "江苏", "city": "常州"})
    draft = prepare("visit.save", {"customer_id": customer["id"], "check_in_at": timeutil.to_text(CHECK_IN)})
    never_sent = hashlib.sha256(os.urandom(32)).hexdigest()
    someone_elses = made[2][1]["sha256"]  # rep.li sent it; rep.liu only knows its hash
    assert liu.get(f"/v1/blobs/{someone_elses}/status").json() == {"received": 0, "complete": False}
    results = liu.push(("customer.create", customer), ("visit.save", draft),
                       *[("attachment.add", prepare("attachment.add", {
                           "touchpoint_id": draft["id"], "sha256": sha, "filename": "门头.jpg", "label": "storefront"}))
                         for sha in (never_sent, someone_elses)]).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"]
    for result in results[2:]:
        assert result["error"]["code"] == "file_missing"
        assert "还没有收到" in result["error"]["message_zh"] and "has not been received" in result["error"]["message_en"]
    assert liu.get(f"/v1/blobs/{someone_elses}").status_code == 404  # naming it gave no access either


def test_the_server_measures_the_recording_itself_whatever_the_desktop_says(server, tmp_path):
    # A bare client: the files are real, the recording is 62 s.
    api = Api(server, "rep.li")
    visit, made = _upload_visit(api, tmp_path / "api", 62)
    results = api.push(*made, ("visit.submit", prepare("visit.submit", {"id": visit}))).json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 5 + ["rejected"]
    error = results[-1]["error"]
    assert error["code"] == "evidence_rules"
    assert [v["code"] for v in error["detail"]["violations"]] == ["audio_too_short"]
    assert "录音时长 62 秒，少于要求的 90 秒" in error["message_zh"] and "Audio is 62 s" in error["message_en"]

    # A desktop whose database was edited to say the recording lasts 95 s.
    rep = Desk(tmp_path / "rep", server, "rep.li")
    draft = rep.visit()
    for path, label in evidence(tmp_path / "media", 62):
        rep.attach(draft, path, label)
    with sqlite3.connect(rep.store.path) as db:  # behind the store's back
        db.execute("UPDATE attachments SET duration_s = 95 WHERE kind = 'audio' AND touchpoint_id = ?", (draft,))
    rep.run("visit.submit", id=draft)
    assert rep.row(draft).status == "submitted"
    report = rep.client.sync()
    assert report.push.rejected == 1
    assert rep.row(draft).status == "draft"
    with rep.store.read() as s:
        (problem,) = remote.open_problems(s)
    assert problem.code == "evidence_rules" and "录音时长 62 秒" in problem.message_zh
    assert server_rows(Api(server, "rep.li"), "touchpoints")[draft]["status"] == "draft"


def test_a_recording_whose_header_lies_is_refused_by_the_server_pushed_by_hand(server, tmp_path):
    # A bare client that skips the desktop's own check: 20 s of sound whose WAV header claims 13 hours.
    api = Api(server, "rep.li")
    visit, made = _upload_visit(api, tmp_path / "api", 95)
    piped = mf.ffmpeg_to_pipe(mf.sox_wav(tmp_path / "20s.wav", 20), tmp_path / "录音长.wav", "-ar", "44100", "-ac", "1",
                              "-f", "wav")
    sha = api.upload(piped.read_bytes())
    lie = prepare("attachment.add", {"touchpoint_id": visit, "sha256": sha, "filename": "录音长.wav"})
    made = [m for m in made if not (m[0] == "attachment.add" and m[1]["filename"] == "录音.wav")]  # the honest one
    results = api.push(*made, ("attachment.add", lie), ("visit.submit", prepare("visit.submit", {"id": visit}))
                       ).json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 4 + ["rejected", "rejected"]
    error = results[-2]["error"]
    assert error["code"] == "bad_file"
    assert "录音文件已损坏：文件头声称 13 小时 31 分，实际内容 20 秒" in error["message_zh"]
    assert "its header claims 13 h 31 min but it holds 20 s of sound" in error["message_en"]
    assert str(server.data_dir) not in error["message_en"]  # the server's blob path stays on the server
    assert [v["code"] for v in results[-1]["error"]["detail"]["violations"]] == ["missing_audio"]
    assert server_rows(api, "touchpoints")[visit]["status"] == "draft"
    assert sha not in {row["sha256"] for row in server_rows(api, "attachments").values()}


def _body(response: requests.Response) -> dict:
    assert response.status_code < 500
    body = response.json()
    assert body["message_zh"] and body["message_en"] and body["message_zh"] != body["message_en"]
    return body


def test_chunk_errors_are_4xx_with_messages_in_both_languages(server, tmp_path):
    api = Api(server, "rep.li")
    data = mf.photo(tmp_path / "p.jpg", taken=taken(), noise_bytes=2 * 1024 * 1024).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert api.put_chunk(sha, 0, len(data), data[:1000]).json() == {"received": 1000, "complete": False}
    assert api.put_chunk(sha, 0, len(data), data[:1000]).json() == {"received": 1000, "complete": False}  # a resend

    wrong = api.put_chunk(sha, 5000, len(data), data[5000:6000])
    assert wrong.status_code == 409 and _body(wrong)["code"] == "wrong_offset" and wrong.json()["expected"] == 1000

    over_chunk = api.put_chunk(sha, 1000, len(data) + protocol.MAX_CHUNK_BYTES,
                               bytes(protocol.MAX_CHUNK_BYTES + 1))
    assert over_chunk.status_code == 413 and _body(over_chunk)["code"] == "too_large"
    from desktop.mutations.visits import MAX_FILE_BYTES
    over_total = api.put_chunk(sha, 1000, MAX_FILE_BYTES + 1, data[1000:2000])
    assert over_total.status_code == 413 and "500 MB" in _body(over_total)["message_en"]
    assert api.get(f"/v1/blobs/{sha}/status").json()["received"] == 1000  # none of that was kept

    wrong_bytes = bytes(len(data) - 1000)  # the right length, the wrong content
    mismatch = api.put_chunk(sha, 1000, len(data), wrong_bytes)
    assert mismatch.status_code == 422 and _body(mismatch)["code"] == "hash_mismatch"
    assert api.get(f"/v1/blobs/{sha}/status").json() == {"received": 0, "complete": False}  # the partial is gone
    assert not list((server.data_dir / "blobs").rglob(sha))

    anonymous = requests.put(f"{server.url}/v1/blobs/{sha}", params={"offset": 0, "total": len(data)},
                             data=data[:10], timeout=10)
    assert anonymous.status_code == 401 and _body(anonymous)["code"] == "unauthorized"
    for path in (f"/v1/blobs/{sha}/status", f"/v1/blobs/{sha}"):
        assert _body(requests.get(server.url + path, timeout=10))["code"] == "unauthorized"
    no_offset = requests.put(f"{server.url}/v1/blobs/{sha}", data=b"x", headers=api.headers, timeout=10)
    assert no_offset.status_code == 422 and _body(no_offset)["code"] == "bad_request"
    bad_name = api.get("/v1/blobs/not-a-hash/status")
    assert bad_name.status_code == 422 and _body(bad_name)["code"] == "bad_request"

    assert api.upload(data) == sha
    assert api.get(f"/v1/blobs/{sha}/status").json() == {"received": len(data), "complete": True}
    tail = api.get(f"/v1/blobs/{sha}", headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206 and tail.content == data[1000:]


def _synced_visit(folder: Path, server: ServerProcess) -> tuple[Desk, list[str]]:
    rep = Desk(folder / "rep", server, "rep.li")
    visit = rep.visit()
    shas = [rep.attach(visit, path, label) for path, label in evidence(folder / "media")]
    rep.run("visit.submit", id=visit)
    assert rep.client.sync().push.rejected == 0
    return rep, shas


class RecordingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.ranges: list[str | None] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if method == "GET" and "/v1/blobs/" in url:
            self.ranges.append(kwargs["headers"].get("Range"))
        return super().request(method, url, **kwargs)


def test_a_download_resumes_from_what_is_here_and_a_damaged_one_is_thrown_away(server, tmp_path):
    from sync.client import SyncError

    rep, shas = _synced_visit(tmp_path, server)
    network = RecordingSession()
    manager = Desk(tmp_path / "manager", server, "manager.wang", session=network)
    storefront = rep.store.blobs.path(shas[0]).read_bytes()
    half = len(storefront) // 2
    manager.store.blobs.append(shas[0], 0, storefront[:half], max_bytes=len(storefront))  # an earlier try stopped
    assert manager.client.fetch_blob(shas[0])
    assert network.ranges == [f"bytes={half}-"]
    assert manager.store.blobs.path(shas[0]).read_bytes() == storefront

    recording = rep.store.blobs.path(shas[2]).read_bytes()
    manager.store.blobs.append(shas[2], 0, bytes(1000), max_bytes=len(recording))  # not the file's first bytes
    with pytest.raises(SyncError) as damaged:
        manager.client.fetch_blob(shas[2])
    assert damaged.value.code == "hash_mismatch" and "SHA-256" in damaged.value.message_zh
    assert not manager.store.blobs.has(shas[2]) and manager.store.blobs.received(shas[2]) == 0
    assert manager.client.fetch_blob(shas[2])  # the next try starts from the beginning
    assert network.ranges[-1] is None
    assert manager.store.blobs.path(shas[2]).read_bytes() == recording


def test_the_shell_fetches_evidence_on_the_network_thread_and_answers_on_the_main_thread(
        server, tmp_path, qtbot, monkeypatch):
    import threading

    from sync.token_store import FileTokenStore as TokenFile
    from ui import sync_actions
    from ui.context import AppContext

    _rep, shas = _synced_visit(tmp_path, server)
    manager = Desk(tmp_path / "manager", server, "manager.wang")
    monkeypatch.setattr(sync_actions, "open_token_store", lambda folder, _account: TokenFile(folder / "token"))
    context = AppContext(manager.store, "en")
    try:
        answers: list[tuple[Any, bool]] = []
        unknown = hashlib.sha256(os.urandom(8)).hexdigest()
        context.sync.fetch_blobs([shas[0], shas[1], shas[0], unknown], lambda finished: answers.append(
            (finished, threading.current_thread() is threading.main_thread())))
        qtbot.waitUntil(lambda: bool(answers), timeout=30000)
        finished, on_main_thread = answers[0]
        assert on_main_thread and finished.error is None
        assert finished.value == {shas[0]: True, shas[1]: True, unknown: False}
        assert manager.store.blobs.has(shas[0]) and manager.store.blobs.has(shas[1])
        assert not context.sync.syncing  # not a sync: the status bar and the schedule are left alone
    finally:
        context.sync.stop()
        context.tasks.shutdown()


def test_the_visit_review_page_fetches_the_evidence_of_the_visit_shown(server, tmp_path, qtbot, monkeypatch):
    from desktop.models import User
    from sync.token_store import FileTokenStore as TokenFile
    from ui import sync_actions
    from ui.context import AppContext
    from ui.pages.visit_review_page import VisitReviewPage

    rep, shas = _synced_visit(tmp_path, server)
    with rep.store.read() as s:
        visit = s.scalars(select(Attachment.touchpoint_id).where(Attachment.sha256 == shas[0])).first()
    manager = Desk(tmp_path / "manager", server, "manager.wang")
    monkeypatch.setattr(sync_actions, "open_token_store", lambda folder, _account: TokenFile(folder / "token"))
    context = AppContext(manager.store, "en")
    try:
        with manager.store.read() as s:
            context.user = s.scalars(select(User).where(User.id == manager.user_id)).one()
        context.sync.refresh()
        qtbot.waitUntil(lambda: context.sync.server_url == server.url, timeout=10000)
        page = VisitReviewPage(context)
        qtbot.addWidget(page)
        page.show()
        qtbot.waitUntil(lambda: visit in [r.id for r in page.model.rows], timeout=10000)
        page.select_row([r.id for r in page.model.rows].index(visit))
        qtbot.waitUntil(lambda: len(page.thumbnail_buttons) == 2 and all(
            b.property("evidence_state") == "shown" for b in page.thumbnail_buttons.values()), timeout=20000)
        assert all(manager.store.blobs.has(sha) for sha in shas)  # the recording came too, ready to play
        assert all(b.isEnabled() for b in page.audio_buttons.values())
    finally:
        context.sync.stop()
        context.tasks.shutdown()


def test_rules_set_by_a_manager_reach_every_desktop_and_the_server_holds_reps_to_its_version(server, tmp_path):
    """A manager asks more of channel customers' visits; a rep who has not synced since still submits
    under the old rule offline, the server refuses it under its own (newer) rule, and from the next pull
    on the rep's desktop applies the new rule itself."""
    from desktop.models import CaptureRule

    rep = Desk(tmp_path / "rep", server, "rep.zhang")
    boss = Desk(tmp_path / "boss", server, "manager.wang")
    boss.run("capture_rule.set", scope="segment", scope_value="channel", min_audio_s=120)
    boss.client.sync()

    customer = rep.run("customer.create", name=f"无锡渠道经销商{next(_unique)}号", segment="channel")
    visit = rep.run("visit.save", customer_id=customer, check_in_at=timeutil.to_text(CHECK_IN), summary="拜访经销商")
    for path, label in evidence(tmp_path / "media", audio_s=95):
        rep.attach(visit, path, label)
    rep.run("visit.submit", id=visit)  # the rule this desktop knows: 90 s is enough
    assert rep.row(visit).status == "submitted"

    report = rep.client.sync()
    assert report.push.rejected == 1
    assert rep.row(visit).status == "draft"  # the server's rule said no; everything is still there
    with rep.store.read() as s:
        [problem] = remote.open_problems(s)
        rule = s.scalars(select(CaptureRule).where(CaptureRule.scope_value == "channel")).one()
    assert "少于要求的 120 秒" in problem.message_zh and "at least 120 s" in problem.message_en
    assert (rule.min_audio_s, rule.version) == (120.0, 1)  # and the rule arrived with the pull
    with pytest.raises(Exception) as refused:
        rep.run("visit.submit", id=visit)  # now refused here too, offline
    assert "少于要求的 120 秒" in refused.value.message_zh
    rep.attach(visit, mf.wav(tmp_path / "media" / "长录音.wav", 125))
    rep.run("visit.submit", id=visit)
    assert rep.client.sync().push.rejected == 0 and rep.row(visit).status == "submitted"
    with rep.store.read() as s:
        assert remote.open_problems(s) == []  # the accepted submit settled the refused one
