"""A USD quote from a rep's desk to a printed PDF, through the real windows of two desktops and a real
server (with a local stand-in for the CFETS site):

1. finance connects and fetches the central parity through the server (Exchange rates page);
2. the rep connects, receives the rates, then - offline - builds a USD quote in the quote builder and
   submits it: the rate of 2026-11-20 (7.0812, CFETS), more than five days old, is locked once the
   rep confirms it;
3. the rep's desk syncs the quote to the server;
4. a new rate arrives: an admin imports the newest central parity on the server (7.1500, 0.97% above
   the locked one);
5. finance syncs: the inbox lists the quote, with the drift and the finance director's confirmation
   added since submission; finance approves, the quote still waits for the finance director;
6. the finance director (a third desktop) confirms;
7. the rep syncs: the quote is approved; its PDF shows the locked rate, the approval, no DRAFT mark.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from desktop import mutations, timeutil
from desktop.fx.calendar import expected_rate_date
from desktop.models import Quote, User
from desktop.store import open_store
from sync.token_store import FileTokenStore
from tests.cfets_site import cfets_site
from tests.server_process import ServerProcess
from tests.test_sync_visits import Desk
from ui import sync_actions
from ui.context import AppContext
from ui.dialogs.quote_dialog import QuoteDialog
from ui.dialogs.server_dialog import ServerDialog
from ui.main_window import MainWindow
from ui.sync_schedule import SyncIntervals

HOUR = 3600.0
QUIET = SyncIntervals(startup_s=HOUR, after_change_s=HOUR, pending_s=HOUR, idle_s=HOUR, retry_s=HOUR, retry_max_s=HOUR)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with cfets_site() as site:
        process = ServerProcess(tmp_path_factory.mktemp("server"), None, "--cfets-url", site)
        yield process
        process.stop()


@pytest.fixture
def desks(qapp, qtbot, tmp_path, monkeypatch):
    """Opens desktops (a store, a context, a main window) on demand; closes them all afterwards."""
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QCoreApplication.setApplicationName("FieldmarkTests")
    QSettings().clear()
    monkeypatch.setattr(sync_actions, "open_token_store", lambda folder, _account: FileTokenStore(folder / "token"))
    opened: list[AppContext] = []

    def open_desk(server: ServerProcess, username: str) -> tuple[AppContext, MainWindow]:
        store = open_store(tmp_path / username / "fieldmark.db")
        context = AppContext(store, "zh_CN")
        context.sync.set_intervals(QUIET)
        context.sync_client_options = {"attempts": 2, "backoff_s": 0.05, "timeout": (2.0, 30.0)}
        opened.append(context)
        window = MainWindow(context, restore_layout=False)
        qtbot.addWidget(window)
        window.show()
        dialog = ServerDialog(context)
        qtbot.addWidget(dialog)
        dialog.url_edit.setText(server.url)
        dialog.username_edit.setText(username)
        dialog.password_edit.setText("fieldmark")
        dialog.submit()
        qtbot.waitUntil(lambda: dialog.result() == ServerDialog.DialogCode.Accepted, timeout=30000)
        with store.read() as s:
            context.set_user(s.scalars(select(User).where(User.username == username)).one())
        qtbot.waitUntil(lambda: window.sync_action.isEnabled() and context.tasks.pending == 0, timeout=10000)
        return context, window

    yield open_desk
    for context in opened:
        context.sync.stop()
        context.sync.cancel()
        qtbot.waitUntil(lambda c=context: not c.sync.syncing, timeout=30000)
        context.tasks.shutdown()
        context.store.close()


def sync(qtbot, context: AppContext, window: MainWindow) -> None:
    with qtbot.waitSignal(context.sync.sig_finished, timeout=30000) as finished:
        assert window.sync_now()
    assert finished.args[0].error is None, finished.args[0].error
    qtbot.waitUntil(lambda: context.tasks.pending == 0, timeout=10000)


def quote_row(context: AppContext, quote_id: str) -> Quote:
    with context.store.read() as s:
        return s.scalars(select(Quote).where(Quote.id == quote_id)).one()


def test_a_usd_quote_from_offline_builder_through_the_drift_rule_to_an_approved_pdf(qtbot, desks, server, tmp_path,
                                                                                    monkeypatch):
    newest = expected_rate_date(timeutil.utcnow())  # the newest central parity that can exist now
    # 1. Finance fetches the central parity through the server.
    finance, finance_window = desks(server, "finance.sun")
    assert finance_window.show_view("rates")
    rates = finance_window.pages["rates"]
    assert rates.fetch_button.isEnabled()
    with qtbot.waitSignal(rates.sig_loaded, timeout=30000):
        rates.fetch_button.click()
    qtbot.waitUntil(lambda: "7.0812" in rates.latest_text(), timeout=30000)
    assert rates.table.rowCount() == 5 and "5" in rates.info_label.text()

    # 2. The rep receives the rates, then builds and submits a USD quote without syncing.
    rep, rep_window = desks(server, "rep.li")
    customer = mutations.run(rep.store, rep.user_id, "customer.create",
                             {"name": "无锡宏达精密机械有限公司", "region": "江苏", "city": "无锡"}).changes.entity_id
    rep.sync.stop()  # offline from here: nothing leaves this desk until it syncs
    builder = QuoteDialog(rep, customer_id=customer)
    qtbot.addWidget(builder)
    with qtbot.waitSignal(builder.sig_loaded, timeout=5000):
        builder.show()
    builder.currency.setCurrentIndex(builder.currency.findData("USD"))
    row = builder.add_line()
    builder.set_cell(row, 1, "数控车床 CK6150（出口型）")
    builder.set_cell(row, 2, "2")
    builder.set_cell(row, 4, "30000.00")
    assert builder.total_text == "67,800.00"  # 60,000.00 + 13% VAT
    # The stand-in's newest parity (2026-11-20) is more than five days old: the builder asks the rep to
    # confirm locking it, and the rep does.
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda _parent, _title, text, *_args: asked.append(text) or QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(builder.sig_loaded, timeout=5000), qtbot.waitSignal(builder.sig_saved, timeout=5000):
        builder.submit_button.click()
    assert len(asked) == 1 and "2026-11-20" in asked[0] and "超过 5 天" in asked[0]
    quote_id = builder.quote_id
    stored = quote_row(rep, quote_id)
    assert (stored.status, stored.currency, stored.locked_rate, stored.locked_rate_date, stored.locked_rate_source) \
        == ("awaiting_approval", "USD", Decimal("7.0812"), "2026-11-20", "cfets")
    assert f"-{rep.store.device()[1]}-" in stored.number  # numbered offline with this desk's code

    # 3. Back online: the rep's desk sends it.
    sync(qtbot, rep, rep_window)

    # 4. A new rate arrives on the server.
    feed = tmp_path / "today.csv"
    feed.write_text(f"date,pair,rate\n{newest.isoformat()},USD/CNY,7.1500\n", encoding="utf-8")
    assert server.admin("rates", "import", str(feed), "--as", "admin").returncode == 0

    # 5. Finance syncs: the drift rule fires in the inbox; finance approves its part.
    sync(qtbot, finance, finance_window)
    assert finance_window.show_view("approvals")
    inbox = finance_window.pages["approvals"]
    qtbot.waitUntil(lambda: [i.quote_id for i in inbox.items] == [quote_id], timeout=10000)
    item = inbox.items[0]
    assert item.drift_pct is not None and f"{item.drift_pct:.3f}" == "0.972"
    assert inbox.model.index(0, 5).data() == "0.972%"
    qtbot.waitUntil(lambda: "汇率偏离 0.972%" in inbox.reasons.text(), timeout=10000)
    assert "财务总监" in inbox.reasons.text() and "7.0812" in inbox.rate.text() and "7.15" in inbox.rate.text()
    with qtbot.waitSignal(inbox.sig_decided, timeout=10000):
        inbox.approve_button.click()
    assert quote_row(finance, quote_id).status == "awaiting_approval"  # the finance director must confirm
    sync(qtbot, finance, finance_window)

    # 6. The finance director confirms from a third desktop.
    director = Desk(tmp_path / "cfo", server, "cfo.xu")
    with director.store.read() as s:
        version = s.scalars(select(Quote.version).where(Quote.id == quote_id)).one()
    director.run("approval.decide", quote_id=quote_id, quote_version=version, decision="approve",
                 comment="汇率偏离已核实，同意按锁定汇率报价。")
    director.client.sync()

    # 7. The rep syncs and prints: approved, the locked rate, no draft mark.
    sync(qtbot, rep, rep_window)
    assert quote_row(rep, quote_id).status == "approved"
    viewer = QuoteDialog(rep, quote_id=quote_id)
    qtbot.addWidget(viewer)
    with qtbot.waitSignal(viewer.sig_loaded, timeout=5000):
        viewer.show()
    with qtbot.waitSignal(viewer.sig_pdf_ready, timeout=20000) as ready:
        viewer.preview_button.click()
    printed = tmp_path / "approved.pdf"  # kept with the test's files, to look at
    printed.write_bytes(Path(ready.args[0]).read_bytes())
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(printed.read_bytes())).pages)
    flat = "".join(text.split())
    assert "无锡宏达精密机械有限公司" in flat and "7.0812" in flat and "2026-11-20" in flat
    assert "67,800.00" in flat and "DRAFT" not in flat and "草稿" not in flat
    # who approved, in which role, and who prepared it - not the rep's name next to "Approved"
    assert "已批准Approved：财务Finance孙敏" in flat and "财务总监Financedirector徐静" in flat
    assert "报价人Preparedby李晓东" in flat
