"""Revocation and lost laptops, against real server processes on SQLite and PostgreSQL: a revoked device
stays revoked and erases its data at its next contact; a new device may need an administrator's
approval; a synced desktop signs in offline only within N days of its last contact."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from desktop import auth, mutations, remote, timeutil
from desktop import folder as folder_
from desktop.errors import DomainError
from desktop.store import open_store
from sync import join, revocation
from sync.client import ApprovalPending, DeviceRevoked, SyncClient
from sync.token_store import FileTokenStore
from tests.server_process import Api, ServerProcess


def server_for(request, tmp_path_factory, *options: str) -> ServerProcess:
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    return ServerProcess(tmp_path_factory.mktemp("server"), url, *options)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """One server per database for the module; each test signs in with new devices of its own."""
    process = server_for(request, tmp_path_factory)
    yield process
    process.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def approving_server(request, tmp_path_factory):
    """The organisation approves every new device (and limits offline sign-in to 7 days)."""
    process = server_for(request, tmp_path_factory, "--approve-devices", "--offline-days", "7")
    yield process
    process.stop()


def client_for(folder, server) -> SyncClient:
    store = open_store(folder / "fieldmark.db")
    return SyncClient(store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None, attempts=2)


def joined(folder, server, username: str = "rep.li") -> tuple[SyncClient, str]:
    client = client_for(folder, server)
    user_id = client.sign_in(username, "fieldmark", f"{username}'s laptop")
    client.sync()
    return client, user_id


def listed(server, device_id: str) -> str:
    result = server.admin("device", "list")
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith(device_id))


def token_answer(server, device_id: str, password: str = "fieldmark") -> requests.Response:
    return requests.post(server.url + "/v1/auth/token", timeout=10, json={
        "username": "rep.li", "password": password, "device_id": device_id, "device_name": "found laptop"})


def test_a_revoked_device_stays_revoked_and_its_next_sync_erases_its_folder(server, tmp_path):
    folder = tmp_path / "laptop"
    client, rep = joined(folder, server)
    store = client.store
    device_id, code = store.device()
    mutations.run(store, rep, "customer.create", {"name": "苏州恒通精密机械有限公司", "region": "江苏", "city": "苏州"})
    sha = store.blobs.add_bytes(b"a photo of the nameplate")
    assert (folder / "token").exists() and store.blobs.has(sha)

    revoked = server.admin("device", "revoke", code)  # by the code the list shows
    assert revoked.returncode == 0, revoked.stderr

    # Its next contact: the server says erase, the client forgets the token and marks the folder at once.
    with pytest.raises(DeviceRevoked) as raised:
        client.sync()
    assert raised.value.code == "device_revoked" and "withdrawn" in raised.value.message_en
    assert "停用" in raised.value.message_zh
    assert not (folder / "token").exists()
    assert folder_.erase_requested(folder) == device_id

    # The app closes the store, then erases: database, journal files, evidence files, token, the mark last.
    store.close()
    revocation.erase(folder, device_id, client.token_store)
    assert sorted(p.name for p in folder.iterdir()) == []

    # First-start state: an empty folder, a new device id, no server.
    fresh = open_store(folder / "fieldmark.db")
    assert folder_.inspect(fresh).kind == folder_.NEW
    assert fresh.device()[0] != device_id and remote.read_state(fresh).server_url is None

    # Signing in again from the revoked device id, with the right password, is refused in both languages;
    # with a wrong one it says only that the password is wrong.
    again = token_answer(server, device_id)
    assert again.status_code == 410 and again.json()["code"] == "device_revoked"
    assert "administrator" in again.json()["message_en"] and "管理员" in again.json()["message_zh"]
    assert token_answer(server, device_id, "wrong").json()["code"] == "bad_credentials"
    assert server.admin("device", "approve", device_id).returncode == 1  # revoked stays revoked

    # The same person from the erased folder: a new device, which works.
    client = SyncClient(fresh, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None)
    client.sign_in("rep.li", "fieldmark", "rep.li's laptop")
    client.sync()
    assert folder_.inspect(fresh).kind == folder_.JOINED
    assert "active" in listed(server, fresh.device()[0]) and "revoked" in listed(server, device_id)
    fresh.close()


def test_a_revoked_device_signing_in_again_is_refused_and_marked_for_erasing(server, tmp_path):
    """Signed out before the revocation (no token to send): the sign-in itself is the next contact."""
    folder = tmp_path / "laptop"
    client, _rep = joined(folder, server)
    client.sign_out()
    device_id, _code = client.store.device()
    assert server.admin("device", "revoke", device_id).returncode == 0
    with pytest.raises(DeviceRevoked):
        client.sign_in("rep.li", "fieldmark", "rep.li's laptop")
    client.store.close()
    # The app was closed before it could erase: the next start does it before opening the database.
    assert revocation.erase_if_requested(folder / "fieldmark.db")
    assert not (folder / "fieldmark.db").exists() and folder_.erase_requested(folder) is None
    assert not revocation.erase_if_requested(folder / "fieldmark.db")  # nothing more to do


def test_a_new_device_waits_for_an_administrators_approval_when_the_policy_says_so(approving_server, tmp_path):
    server = approving_server
    client = client_for(tmp_path / "laptop", server)
    store = client.store
    client.sign_in("rep.li", "fieldmark", "rep.li's laptop")  # registered: a token, but no data yet
    with pytest.raises(ApprovalPending) as raised:
        client.sync()
    assert "waiting for your administrator's approval" in raised.value.message_en
    assert "等待管理员批准" in raised.value.message_zh
    device_id, code = store.device()
    assert "pending" in listed(server, device_id)
    assert folder_.inspect(store).kind == folder_.HALF_JOINED
    assert remote.read_state(store).last_error["code"] == "device_pending"  # what the connect dialog shows

    # Joining again before approval says the same, in words.
    with pytest.raises(join.JoinError) as refused:
        join.join(client, "rep.li", "fieldmark", "rep.li's laptop")
    assert refused.value.code == "device_pending" and "approval" in refused.value.message_en

    approved = server.admin("device", "approve", code)
    assert approved.returncode == 0, approved.stderr
    join.join(client, "rep.li", "fieldmark", "rep.li's laptop")
    assert folder_.inspect(store).kind == folder_.JOINED
    assert remote.read_state(store).offline_days == 7  # the organisation's value came with the sync

    # Devices registered before do not need approval again; a second new one does.
    other = Api(server, "rep.zhang")
    assert other.get("/v1/pull").status_code == 403
    assert server.admin("device", "approve", other.device_id).returncode == 0
    assert other.get("/v1/pull").status_code == 200
    store.close()


def test_offline_sign_in_only_within_n_days_of_the_last_contact(approving_server, tmp_path):
    server = approving_server
    client = client_for(tmp_path / "laptop", server)
    store = client.store
    client.sign_in("rep.li", "fieldmark", "rep.li's laptop")
    assert server.admin("device", "approve", store.device()[0]).returncode == 0
    client.sync()

    def offline(setting: int | None = None):
        with store.read() as session:
            return auth.sign_in_offline(session, "rep.li", "fieldmark", setting)

    now = timeutil.utcnow()
    assert offline().username == "rep.li"
    remote.update_state(store, last_success_at=now - timedelta(days=6, hours=23))
    assert offline().username == "rep.li"  # within the organisation's 7 days
    remote.update_state(store, last_success_at=now - timedelta(days=8))
    with pytest.raises(DomainError) as refused:
        offline(setting=40)  # the organisation's value wins over this computer's setting
    assert refused.value.code == "offline_too_long"
    assert "8 days" in refused.value.message_en and "Connect to the network" in refused.value.message_en
    assert "请连接网络" in refused.value.message_zh
    with pytest.raises(DomainError) as wrong:
        with store.read() as session:
            auth.sign_in_offline(session, "rep.li", "not it")
    assert wrong.value.code == "bad_credentials"  # the window is told only to someone with the password

    # Online sign-in works, and its sync starts the count again.
    client.sign_in("rep.li", "fieldmark", "rep.li's laptop")
    client.sync()
    assert offline().username == "rep.li"
    store.close()


def test_the_apps_own_setting_applies_when_the_server_sends_none(server, tmp_path):
    client, _rep = joined(tmp_path / "laptop", server)
    store = client.store
    assert remote.read_state(store).offline_days is None
    remote.update_state(store, last_success_at=timeutil.utcnow() - timedelta(days=31))
    with store.read() as session:
        with pytest.raises(DomainError):
            auth.sign_in_offline(session, "rep.li", "fieldmark")  # 30 days unless changed
        assert auth.sign_in_offline(session, "rep.li", "fieldmark", 45).username == "rep.li"
    store.close()
