"""Joining a server from the window: an empty folder's first dialog, through the first pull, to the user's
workbench; then offline sign-in with the same password. Every failure on that path in the user's words,
against a real server process (SQLite), through a real proxy where the network has to misbehave."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog
from sqlalchemy import select

import desktop
from desktop import folder as folder_
from desktop import integrity, remote, snapshot, timeutil
from desktop.demo import generate
from desktop.ids import uuid7
from desktop.models import Customer, User
from desktop.mutations.registry import prepare
from desktop.paths import chosen_data_dir, remember_data_dir
from tests.app_windows import new_context
from tests.http_proxy import NotOurs, Proxy
from tests.server_process import Api, ServerProcess, free_port
from ui.app import parse_args
from ui.dialogs.server_dialog import ServerDialog
from ui.sign_in_dialog import SignInDialog
from ui.startup import Application, data_dir

pytestmark = pytest.mark.usefixtures("no_chosen_folder")  # a folder chosen here is not the next test's

CUSTOMER = "昆山德润精工机械有限公司"
# Raw text that must never reach a window.
RAW = re.compile(r"Traceback|Error:|Exception|UNIQUE|constraint|NoneType|HTTPConnectionPool|Max retries|errno",
                 re.IGNORECASE)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server"))
    rep = Api(process, "rep.li")
    rep.push(("customer.create", prepare("customer.create", {"name": CUSTOMER, "region": "江苏", "city": "昆山"})))\
        .raise_for_status()
    added = process.admin("user", "add", "rep.gone", "--role", "field_rep", "--territory", "江苏",
                          "--password", "fieldmark")
    assert added.returncode == 0, added.stderr
    disabled = process.admin("user", "disable", "rep.gone")
    assert disabled.returncode == 0, disabled.stderr
    yield process
    process.stop()


@pytest.fixture
def proxy(server):
    p = Proxy(server.url, pull_limit=3)  # pages of three change-log entries: a first pull of several pages
    yield p
    p.stop()


@pytest.fixture
def context(contexts, tmp_path):
    ctx = new_context(tmp_path / "desk")
    contexts.append(ctx)
    return ctx


def top_dialogs() -> list[QDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def start(qtbot, context) -> Application:
    application = Application(QApplication.instance(), context)
    qtbot.addWidget(application.window)
    application.start()
    return application


def fill(dialog: ServerDialog, url: str, username: str = "rep.li", password: str = "fieldmark") -> None:
    dialog.url_edit.setText(url)
    dialog.username_edit.setText(username)
    dialog.password_edit.setText(password)


def failed(qtbot, dialog: ServerDialog, timeout: int = 30000) -> str:
    """Press Connect and wait for the error; the words shown (never raw text), what was typed kept."""
    typed = (dialog.url_edit.text(), dialog.username_edit.text(), dialog.password_edit.text())
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.error_label.isVisibleTo(dialog) and not dialog.busy, timeout=timeout)
    text = dialog.error_label.text()
    assert text and not RAW.search(text), text
    assert (dialog.url_edit.text(), dialog.username_edit.text(), dialog.password_edit.text()) == typed
    assert dialog.connect_button.isEnabled() and dialog.result() == 0
    return text


def shown_customers(page) -> list[str]:
    model = page.model
    for row in range(model.rowCount()):
        model.data(model.index(row, 0))
    return [model.data(model.index(row, 0)) for row in range(model.rowCount())]


def joined_workbench(qtbot, application: Application, url: str, username: str = "rep.li"):
    dialog = application.sign_in_dialog
    assert isinstance(dialog, ServerDialog) and dialog.first and dialog.isVisible()
    fill(dialog, url, username)
    bar_seen = []
    application.context.sync.sig_progress.connect(
        lambda _f, _w: bar_seen.append(dialog.progress_bar.isVisibleTo(dialog)))
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)  # Return connects
    assert dialog.busy and dialog.progress_bar.isVisibleTo(dialog) and not dialog.url_edit.isEnabled()
    qtbot.waitUntil(lambda: application.window.isVisible(), timeout=30000)
    assert any(bar_seen) and not dialog.isVisible()
    assert application.context.user is not None and application.context.user.username == username
    return application.window


# ---- The way through


def test_an_empty_folder_joins_from_the_first_dialog_and_the_password_then_works_offline(qtbot, context, server):
    application = start(qtbot, context)
    window = joined_workbench(qtbot, application, server.url)
    assert window.current_key() == "my_customers"
    page = window.pages["my_customers"]
    qtbot.waitUntil(lambda: CUSTOMER in shown_customers(page), timeout=10000)
    assert folder_.inspect(context.store).kind == folder_.JOINED

    # Sign out: the sign-in dialog offers the one user who can sign in here, offline.
    window._sign_out()
    dialog = application.sign_in_dialog
    assert isinstance(dialog, SignInDialog) and dialog.isVisible()
    assert [dialog.user_combo.itemData(i) for i in range(dialog.user_combo.count())] == ["rep.li"]
    assert not dialog.empty_label.isVisibleTo(dialog)
    dialog.password_edit.setText("wrong")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.error_label.isVisibleTo(dialog), timeout=10000)
    assert "not correct" in dialog.error_label.text()
    dialog.password_edit.setText("fieldmark")
    dialog.submit()
    qtbot.waitUntil(lambda: window.isVisible() and context.user is not None, timeout=10000)
    assert context.user.username == "rep.li" and remote.read_state(context.store).server_url == server.url
    with context.store.read() as session:
        assert integrity.check(session) == []


def test_a_manager_joins_another_empty_folder_and_gets_the_team_workbench(qtbot, contexts, tmp_path, server):
    context = new_context(tmp_path / "third")
    contexts.append(context)
    typed = server.url.removeprefix("http://")  # as people type it: https is tried, then http
    window = joined_workbench(qtbot, start(qtbot, context), typed, "manager.wang")
    assert window.current_key() == "team_activity"
    assert remote.read_state(context.store).server_url == server.url
    with context.store.read() as session:
        assert session.scalars(select(Customer.name)).all() == [CUSTOMER]


def test_the_sign_in_dialog_with_no_one_to_choose_says_why_and_offers_to_connect(qtbot, context):
    dialog = SignInDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.user_combo.count() == 0
    assert dialog.empty_label.isVisibleTo(dialog) and "no accounts" in dialog.empty_label.text()
    assert dialog.connect_button.isVisibleTo(dialog)
    dialog.password_edit.setText("fieldmark")
    dialog.submit()  # never the AttributeError of a username of None
    assert dialog.error_label.isVisibleTo(dialog) and "connect" in dialog.error_label.text()
    with qtbot.waitSignal(dialog.sig_connect_requested):
        dialog.connect_button.click()


# ---- Interrupted first pulls


def test_a_network_drop_mid_first_pull_keeps_what_arrived_and_connect_goes_on(qtbot, context, server, proxy):
    proxy.snapshots = False  # the change log's pages, between which the link drops
    proxy.rule = lambda path, count: "drop" if path == "/v1/pull" and count >= 3 else None
    application = start(qtbot, context)
    dialog = application.sign_in_dialog
    fill(dialog, proxy.url)
    text = failed(qtbot, dialog)
    assert "dropped during the first download" in text
    state = remote.read_state(context.store)
    assert state.cursor > 0 and state.last_success_at is None  # two pages are in, the join is not done
    assert folder_.inspect(context.store).kind == folder_.HALF_JOINED
    assert not application.window.isVisible()

    # Started again on this folder: the join dialog, saying where it stands, not a sign-in with half the data.
    application.sign_in_dialog.blockSignals(True)
    application.sign_in_dialog.close()
    application.ask_sign_in()
    dialog = application.sign_in_dialog
    assert isinstance(dialog, ServerDialog)
    qtbot.waitUntil(lambda: dialog.state_label.isVisibleTo(dialog) and dialog.url_edit.text() == proxy.url,
                    timeout=5000)
    assert "stopped before it finished" in dialog.state_label.text()

    proxy.rule = lambda _path, _count: None  # the network is back
    window = joined_workbench(qtbot, application, proxy.url)
    qtbot.waitUntil(lambda: CUSTOMER in shown_customers(window.pages["my_customers"]), timeout=10000)


def test_stop_during_the_first_pull_says_what_the_folder_holds_and_connect_resumes(qtbot, context, server, proxy):
    proxy.delay_s = 0.4
    application = start(qtbot, context)
    dialog = application.sign_in_dialog
    fill(dialog, proxy.url)
    dialog.submit()
    qtbot.waitUntil(lambda: "Downloading" in dialog.progress_label.text(), timeout=20000)
    dialog.cancel_button.click()  # "Stop"
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
    assert dialog.isVisible() and dialog.state_label.isVisibleTo(dialog)
    assert "Stopped" in dialog.state_label.text() and "go on" in dialog.state_label.text()
    assert folder_.inspect(context.store).kind == folder_.HALF_JOINED
    proxy.delay_s = 0.0
    joined_workbench(qtbot, application, proxy.url)


# ---- Errors in the user's words


def test_the_server_errors_on_the_way_are_in_the_users_words(qtbot, context, server, monkeypatch):
    dialog = ServerDialog(context, first=True)
    qtbot.addWidget(dialog)
    dialog.show()

    fill(dialog, "http://exa mple.com")
    assert "not a valid server address" in failed(qtbot, dialog)
    fill(dialog, f"http://127.0.0.1:{free_port()}")
    assert "nothing answers there" in failed(qtbot, dialog)
    fill(dialog, "http://no-such-server.invalid")
    assert "No server named no-such-server.invalid" in failed(qtbot, dialog)
    web = NotOurs()
    try:
        fill(dialog, web.url)
        assert "not a Fieldmark server" in failed(qtbot, dialog)
    finally:
        web.stop()
    fill(dialog, server.url, "rep.li", "wrong")
    assert "username or password is not correct" in failed(qtbot, dialog)
    fill(dialog, server.url, "rep.gone", "fieldmark")
    assert "disabled" in failed(qtbot, dialog)
    monkeypatch.setattr(desktop, "__version__", "0.0.9")
    fill(dialog, server.url)
    assert "0.1.0" in failed(qtbot, dialog)  # the server's own words: which version it needs
    assert folder_.inspect(context.store).kind == folder_.NEW  # nothing of it stuck to the folder


def test_in_chinese_too(qtbot, context, server):
    context.language = "zh_CN"
    dialog = ServerDialog(context, first=True)
    qtbot.addWidget(dialog)
    fill(dialog, f"http://127.0.0.1:{free_port()}")
    assert "无法连接" in failed(qtbot, dialog)
    fill(dialog, server.url, "rep.li", "wrong")
    assert "用户名或密码不正确" in failed(qtbot, dialog)


def test_a_server_that_does_not_answer_in_time(qtbot, context, server, proxy):
    proxy.rule = lambda path, _count: "hang" if path == "/v1/health" else None
    proxy.hang_s = 3.0
    context.sync_client_options = {"attempts": 1, "backoff_s": 0.05, "timeout": (1.0, 1.0)}
    dialog = ServerDialog(context, first=True)
    qtbot.addWidget(dialog)
    fill(dialog, proxy.url)
    assert "did not answer in time" in failed(qtbot, dialog)


def test_a_device_revoked_during_the_first_pull_erases_what_arrived(qtbot, contexts, tmp_path, server, proxy):
    proxy.snapshots = False  # the change log's pages, between which the link drops
    context = new_context(tmp_path / "revoked")
    contexts.append(context)
    device_id, _code = context.store.device()

    def revoke_before_the_second_page(path: str, count: int) -> None:
        if path == "/v1/pull" and count == 2:
            assert server.admin("device", "revoke", device_id).returncode == 0
        return None

    proxy.rule = revoke_before_the_second_page
    application = start(qtbot, context)
    dialog = application.sign_in_dialog
    fill(dialog, proxy.url)
    dialog.submit()
    # The first page is in, the second is refused: the administrator withdrew the device, so what arrived
    # goes, and the folder is back at its first dialog, which says why.
    qtbot.waitUntil(lambda: application.context is not context and application.sign_in_dialog is not None
                    and application.sign_in_dialog.isVisible(), timeout=30000)
    contexts.append(application.context)
    first = application.sign_in_dialog
    assert isinstance(first, ServerDialog) and "withdrew this computer" in first.state_label.text()
    assert folder_.inspect(application.context.store).kind == folder_.NEW
    assert application.context.store.device()[0] != device_id
    proxy.rule = lambda _path, _count: None
    fill(first, proxy.url)
    first.submit()  # a new device for the same person
    qtbot.waitUntil(lambda: application.window.isVisible(), timeout=30000)
    assert folder_.inspect(application.context.store).kind == folder_.JOINED


# ---- Folders that cannot join


def test_a_folder_joined_to_another_server_is_refused(qtbot, context, server):
    remote.update_state(context.store, server_url="http://fieldmark.other.example", last_success_at=timeutil.utcnow())
    dialog = ServerDialog(context, first=True)
    qtbot.addWidget(dialog)
    fill(dialog, server.url)
    text = failed(qtbot, dialog)
    assert "joined to another server (http://fieldmark.other.example)" in text
    assert dialog.new_folder_button.isVisibleTo(dialog)


def test_a_local_user_with_the_same_username_is_refused_before_anything_is_kept(qtbot, context, server):
    now = timeutil.to_text(timeutil.utcnow())
    with context.store.writer("snapshot") as session:  # another organisation's rep.li, joined to this address
        snapshot.insert_rows(session, "users", ("id", "username", "display_name", "role", "territory", "team",
                                                "manager_id", "password_hash", "active", "created_at",
                                                "updated_at", "version"),
                             [(uuid7(), "rep.li", "Li", "field_rep", "", "", None, "", 1, now, now, 1)])
    remote.update_state(context.store, server_url=server.url, last_success_at=timeutil.utcnow())
    dialog = ServerDialog(context, first=True)
    qtbot.addWidget(dialog)
    fill(dialog, server.url)
    assert "already holds another user named “rep.li”" in failed(qtbot, dialog)
    assert not (context.store.path.parent / "token").exists()  # nothing of the sign-in was kept


def test_a_demo_folder_says_it_cannot_join_and_opens_a_new_folder_that_can(qtbot, contexts, tmp_path, server,
                                                                          monkeypatch):
    context = new_context(tmp_path / "demo")
    contexts.append(context)
    generate(context.store, customers=3, touchpoints=4, months=1)
    assert folder_.inspect(context.store).kind == folder_.DEMO
    application = start(qtbot, context)
    sign_in = application.sign_in_dialog
    assert isinstance(sign_in, SignInDialog)
    sign_in.select_user("rep.li")
    sign_in.password_edit.setText("fieldmark")
    sign_in.submit()
    qtbot.waitUntil(lambda: application.window.isVisible(), timeout=10000)

    dialog = application.window.open_server_dialog()
    qtbot.waitUntil(lambda: dialog.state_label.isVisibleTo(dialog), timeout=5000)
    assert "demo" in dialog.state_label.text() and dialog.new_folder_button.isVisibleTo(dialog)
    fill(dialog, server.url)
    assert "a demo folder cannot join a server" in failed(qtbot, dialog)
    with context.store.read() as session:
        assert session.scalar(select(User.id).where(User.username == "rep.li")) is not None  # untouched

    chosen = tmp_path / "joined"
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *args: asked.append(args) or str(chosen))
    dialog.new_folder_button.click()
    assert asked
    qtbot.waitUntil(lambda: isinstance(application.sign_in_dialog, ServerDialog)
                    and application.sign_in_dialog.isVisible(), timeout=10000)
    contexts.append(application.context)
    assert application.context is not context and application.context.store.path == chosen / "fieldmark.db"
    assert chosen_data_dir() == chosen.resolve()
    window = joined_workbench(qtbot, application, server.url)
    qtbot.waitUntil(lambda: CUSTOMER in shown_customers(window.pages["my_customers"]), timeout=10000)


def test_the_chosen_folder_opens_at_the_next_start_and_is_never_seeded_with_demo_data(tmp_path):
    args = parse_args([])
    assert data_dir(args) is None and not args.no_demo  # the platform's folder, seeded for a first look
    remember_data_dir(tmp_path / "joined")
    args = parse_args([])
    assert data_dir(args) == (tmp_path / "joined").resolve() and args.no_demo
    args = parse_args(["--data-dir", str(tmp_path / "other")])
    assert data_dir(args) == tmp_path / "other" and not args.no_demo  # --data-dir still wins


def test_a_demo_server_gives_a_joining_rep_the_demo_organisations_customers(qtbot, context, tmp_path):
    demo_server = ServerProcess(tmp_path / "demo-server")
    try:
        seeded = demo_server.admin("seed-demo")  # what `make server` runs: users, then their data
        assert seeded.returncode == 0 and "demo customers" in seeded.stdout, seeded.stderr
        again = demo_server.admin("seed-demo")
        assert "added 0 demo customers" in again.stdout  # once only
        window = joined_workbench(qtbot, start(qtbot, context), demo_server.url)
        page = window.pages["my_customers"]
        qtbot.waitUntil(lambda: len(shown_customers(page)) > 10, timeout=20000)
        with context.store.read() as session:
            rep = session.scalars(select(User).where(User.username == "rep.li")).one()
            owners = set(session.scalars(select(Customer.owner_id)))
            assert owners == {rep.id}  # the rep's own customers, as the server scopes them
            assert integrity.check(session) == []
    finally:
        demo_server.stop()


@pytest.mark.parametrize(("a", "b", "same"), [
    ("http://127.0.0.1:8765", "http://127.0.0.1:8765/", True),
    ("https://Fieldmark.Example.com", "https://fieldmark.example.com", True),
    ("http://fieldmark.example.com", "https://fieldmark.example.com", False),
    ("http://127.0.0.1:8765", "http://127.0.0.1:8766", False),
    ("http://127.0.0.1:8765", None, False),
])
def test_two_addresses_of_one_server(a, b, same):
    assert folder_.same_server(a, b) is same
