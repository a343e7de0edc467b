"""Revocation in the window, against real server processes (SQLite): a withdrawn device erases its folder
and comes back to the first dialog saying why; a device waiting for approval says so; past the offline
window, the sign-in dialog sends the user online."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from desktop import folder as folder_
from desktop import mutations, remote, timeutil
from desktop.demo import generate
from desktop.models import Customer, User
from desktop.store import open_store
from tests.app_windows import new_context
from tests.server_process import ServerProcess
from ui import startup
from ui.dialogs.server_dialog import ServerDialog
from ui.sign_in_dialog import SignInDialog
from ui.startup import Application

pytestmark = pytest.mark.usefixtures("no_chosen_folder")  # a folder chosen here is not the next test's


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server"))
    yield process
    process.stop()


def started(qtbot, contexts, folder: Path) -> Application:
    context = new_context(folder)
    contexts.append(context)
    application = Application(QApplication.instance(), context)
    qtbot.addWidget(application.window)
    application.start()
    return application


def connect(dialog: ServerDialog, url: str, username: str = "rep.li") -> None:
    dialog.url_edit.setText(url)
    dialog.username_edit.setText(username)
    dialog.password_edit.setText("fieldmark")
    dialog.submit()


def joined(qtbot, application: Application, url: str) -> None:
    dialog = application.sign_in_dialog
    assert isinstance(dialog, ServerDialog) and dialog.first
    connect(dialog, url)
    qtbot.waitUntil(lambda: application.window.isVisible(), timeout=30000)


def test_a_withdrawn_device_erases_its_folder_and_comes_back_to_the_first_dialog_saying_so(
        qtbot, contexts, tmp_path, server):
    folder = tmp_path / "laptop"
    application = started(qtbot, contexts, folder)
    joined(qtbot, application, server.url)
    context, window = application.context, application.window
    store = context.store
    device_id, _code = store.device()
    mutations.run(store, context.user_id, "customer.create", {"name": "无锡华光机电有限公司", "region": "江苏",
                                                               "city": "无锡"})
    sha = store.blobs.add_bytes(b"a photo of the nameplate")
    assert (folder / "token").exists() and (folder / "attachments").exists()
    assert server.admin("device", "revoke", device_id).returncode == 0

    assert window.sync_now()  # its next contact
    qtbot.waitUntil(lambda: application.context is not context and isinstance(application.sign_in_dialog,
                                                                                ServerDialog)
                    and application.sign_in_dialog.isVisible(), timeout=30000)
    contexts.append(application.context)
    qtbot.addWidget(application.window)
    dialog = application.sign_in_dialog
    assert dialog.first and dialog.state_label.isVisibleTo(dialog)
    assert "administrator withdrew this computer" in dialog.state_label.text()
    assert "erased" in dialog.state_label.text() and "ask your administrator" in dialog.state_label.text()
    layout = dialog.layout()  # what happened is said first, then how to connect
    assert layout.indexOf(dialog.state_label) < layout.indexOf(dialog.intro_label)
    assert application.window is not window and not application.window.isVisible()  # the old one is gone
    del window  # deleted by Qt: the test no longer holds its wrapper
    assert application.context.user is None

    # Gone from the disk: the token, the evidence files, the old database (the one open now is new and empty).
    fresh = application.context.store
    assert not (folder / "token").exists() and not fresh.blobs.has(sha)
    assert [p for p in (folder / "attachments").rglob("*") if p.is_file()] == []
    assert folder_.erase_requested(folder) is None
    assert fresh.path == folder / "fieldmark.db" and fresh.device()[0] != device_id
    assert folder_.inspect(fresh).kind == folder_.NEW
    with fresh.read() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
        assert session.scalar(select(func.count()).select_from(User)) == 0

    # The same person may join again from here: a new device.
    connect(dialog, server.url)
    qtbot.waitUntil(lambda: application.window.isVisible(), timeout=30000)
    assert folder_.inspect(fresh).kind == folder_.JOINED


def test_past_the_offline_window_the_sign_in_dialog_sends_the_user_online(qtbot, contexts, tmp_path, server):
    application = started(qtbot, contexts, tmp_path / "laptop")
    joined(qtbot, application, server.url)
    context = application.context
    application.window._sign_out()
    remote.update_state(context.store, last_success_at=timeutil.utcnow() - timedelta(days=31))
    dialog = application.sign_in_dialog
    assert isinstance(dialog, SignInDialog) and not dialog.connect_button.isVisibleTo(dialog)
    dialog.password_edit.setText("fieldmark")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.error_label.isVisibleTo(dialog), timeout=10000)
    assert "31 days" in dialog.error_label.text() and "Connect to the network" in dialog.error_label.text()
    assert context.user is None and dialog.connect_button.isVisibleTo(dialog)

    # This computer's own setting (the server sends none here) widens the window.
    QSettings().setValue("signin/offline_days", 45)
    dialog.submit()
    qtbot.waitUntil(lambda: application.window.isVisible() and context.user is not None, timeout=10000)
    application.window._sign_out()
    QSettings().remove("signin/offline_days")
    dialog = application.sign_in_dialog
    dialog.password_edit.setText("fieldmark")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.connect_button.isVisibleTo(dialog), timeout=10000)

    dialog.connect_button.click()  # online sign-in works
    online = application.sign_in_dialog
    assert isinstance(online, ServerDialog) and online.isVisible()
    qtbot.waitUntil(lambda: online.url_edit.text() == server.url and not online.intro_label.isVisibleTo(online),
                    timeout=5000)
    online.password_edit.setText("fieldmark")
    qtbot.keyClick(online.password_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: application.window.isVisible() and context.user is not None, timeout=30000)
    assert timeutil.utcnow() - remote.read_state(context.store).last_success_at < timedelta(minutes=1)


def test_a_device_waiting_for_approval_says_so_in_words(qtbot, contexts, tmp_path, tmp_path_factory):
    approving = ServerProcess(tmp_path_factory.mktemp("approving"), None, "--approve-devices")
    try:
        application = started(qtbot, contexts, tmp_path / "laptop")
        dialog = application.sign_in_dialog
        connect(dialog, approving.url)
        qtbot.waitUntil(lambda: dialog.error_label.isVisibleTo(dialog) and not dialog.busy, timeout=30000)
        assert "waiting for your administrator's approval" in dialog.error_label.text()
        assert not application.window.isVisible()

        # The next start of the folder says the same before anyone types.
        again = ServerDialog(application.context, first=True)
        qtbot.addWidget(again)
        qtbot.waitUntil(lambda: again.state_label.isVisibleTo(again), timeout=5000)
        assert "waiting for your administrator's approval" in again.state_label.text()

        device_id, _code = application.context.store.device()
        assert approving.admin("device", "approve", device_id).returncode == 0
        dialog.password_edit.setText("fieldmark")
        dialog.submit()
        qtbot.waitUntil(lambda: application.window.isVisible(), timeout=30000)
    finally:
        approving.stop()


def test_an_erase_the_app_could_not_finish_happens_at_the_next_start_before_the_database_opens(
        qtbot, contexts, tmp_path, monkeypatch):
    folder = tmp_path / "laptop"
    store = open_store(folder / "fieldmark.db")
    generate(store, customers=3, touchpoints=4, months=1)
    device_id, _code = store.device()
    folder_.request_erase(folder, device_id)  # the server's answer arrived; then the app was killed
    store.close()
    monkeypatch.setattr(startup, "freeze_long_lived_objects", lambda: None)  # the test process goes on

    args = argparse.Namespace(data_dir=folder, no_demo=False, screenshot=None, lang=None, user=None, view=None)
    opened = []
    startup.open_database(args, "en", opened.append)
    assert args.erased and args.no_demo  # never seeded with demo data
    fresh = opened[0]
    assert fresh is not None and fresh.device()[0] != device_id and folder_.erase_requested(folder) is None
    application = startup.launch(QApplication.instance(), args, fresh, "en", [0])
    contexts.append(application.context)
    qtbot.addWidget(application.window)
    dialog = application.sign_in_dialog
    assert isinstance(dialog, ServerDialog) and dialog.first and dialog.isVisible()
    assert "administrator withdrew this computer" in dialog.state_label.text()
    with fresh.read() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
