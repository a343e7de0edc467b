"""The exchange-rates page: finance records a rate by hand or imports a CSV file; everyone else only looks.
Real widgets, a real database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import select

from desktop import timeutil
from desktop.fx.calendar import beijing_date
from desktop.models import ExchangeRate, User
from desktop.mutations.rates import latest
from tests.conftest import Org, run
from ui.context import AppContext
from ui.dialogs.rate_dialog import RateDialog
from ui.dialogs.rate_import_dialog import RateImportDialog
from ui.pages.rates_page import RatesPage

TODAY = beijing_date(timeutil.utcnow())


# Widgets a test made, released only once the database thread has stopped: a top-level widget whose last
# reference went with a finished op would otherwise be destroyed on that thread.
ALIVE: list[object] = []


def _context(store, language: str):
    ctx = AppContext(store, language)
    yield ctx
    ctx.tasks.shutdown()
    ALIVE.clear()


@pytest.fixture
def context(qtbot, store, org: Org):
    yield from _context(store, "en")


@pytest.fixture
def zh_context(qtbot, store, org: Org):
    """Domain messages in Chinese."""
    yield from _context(store, "zh_CN")


def sign_in(context: AppContext, user_id: str) -> None:
    with context.store.read() as session:
        context.set_user(session.get(User, user_id))


def open_page(qtbot, context: AppContext) -> RatesPage:
    page = RatesPage(context)
    ALIVE.append(page)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.show()
    settle(qtbot, context)
    return page


def settle(qtbot, context: AppContext) -> None:
    """Wait until the database thread has answered everything asked so far."""
    qtbot.waitUntil(lambda: context.tasks.pending == 0, timeout=5000)


def stored_rates(store) -> list[tuple[str, Decimal, str]]:
    with store.read() as s:
        return [(r.rate_date, r.rate, r.source) for r in
                s.scalars(select(ExchangeRate).order_by(ExchangeRate.rate_date)).all()]


def cells(table, column: int) -> list[str]:
    return [table.item(row, column).text() for row in range(table.rowCount())]


# ---- Recording by hand

def test_finance_records_a_rate_by_hand(qtbot, context, store, org):
    sign_in(context, org["finance"])
    page = open_page(qtbot, context)
    assert page.latest_label.text() == "No USD/CNY rate is cached here yet."
    assert page.table.rowCount() == 0
    assert page.record_button.isEnabled() and page.import_button.isEnabled()

    dialog = page.record()
    assert isinstance(dialog, RateDialog)
    qtbot.addWidget(dialog)
    assert dialog.rate_date() == TODAY  # China's today
    assert dialog.pair_label.text() == "USD/CNY" and dialog.source_label.text() == "Entered by hand"
    qtbot.keyClicks(dialog.rate_edit, "7.1186")
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        with qtbot.waitSignal(dialog.sig_saved, timeout=5000) as saved:
            qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert saved.args[0].name == "rate.record"
    assert cells(page.table, 0) == [TODAY.isoformat()] and cells(page.table, 1) == ["7.1186"]
    assert cells(page.table, 2) == ["Entered by hand"] and cells(page.table, 4) == ["Finance"]
    assert page.latest_label.text().startswith(f"Latest: 7.1186 ({TODAY.isoformat()}, Entered by hand) · ")
    with store.read() as s:
        found = latest(s, "USD/CNY", TODAY)
        assert (found.rate, found.rate_date, found.source, found.recorded_by) == (
            Decimal("7.1186"), TODAY.isoformat(), "manual", org["finance"])


def test_a_typo_is_shown_next_to_the_rate_and_nothing_is_recorded(qtbot, context, store, org):
    sign_in(context, org["cfo"])
    page = open_page(qtbot, context)
    dialog = page.record()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.rate_edit, "71.186")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    label = dialog.errors.label("rate")
    assert label.isVisibleTo(dialog) and dialog.errors.is_outlined("rate")
    assert label.text() == "USD/CNY rate 71.1860 is outside the sane range 5.0000–9.0000; check for a typo."
    assert dialog.isVisible() and dialog.rate_edit.text() == "71.186" and not dialog.is_saving
    # Too many decimals and an empty rate, in the same place.
    dialog.rate_edit.setText("7.11861")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "more than 4 decimals" in dialog.errors.message("rate")
    dialog.rate_edit.clear()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors.message("rate") == "Exchange rate is required."
    # A date after today in Beijing is shown under the date.
    dialog.rate_edit.setText("7.1186")
    dialog.date_edit.setDate(dialog.date_edit.date().addDays(2))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors.message("rate_date").startswith("Rate date ")
    settle(qtbot, context)
    assert stored_rates(store) == []


def test_a_refusal_keeps_the_dialog_open_with_what_was_typed(qtbot, zh_context, store, org):
    """The page offers no button to a rep; were the form opened anyway, rate.record refuses it."""
    sign_in(zh_context, org["rep"])
    dialog = RateDialog(zh_context)
    ALIVE.append(dialog)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.keyClicks(dialog.rate_edit, "7.1186")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_saving, timeout=5000)
    assert dialog.isVisible() and dialog.rate_edit.text() == "7.1186" and dialog.save_button.isEnabled()
    assert "录入汇率" in dialog.errors.banner()  # the mutation's words, in the user's language
    assert stored_rates(store) == []


# ---- Importing a file

CSV = """date,pair,rate
{d1},USD/CNY,7.1100
{d2},USD/CNY,71.186
{d3},USD/CNY,7.1186
"""


def rates_file(tmp_path: Path) -> Path:
    days = [TODAY - timedelta(days=n) for n in (3, 2, 1)]
    path = tmp_path / "rates.csv"
    path.write_text(CSV.format(d1=days[0], d2=days[1], d3=days[2]), encoding="utf-8")
    return path


def open_import(qtbot, page: RatesPage, path: Path, monkeypatch) -> RateImportDialog:
    dialog = page.import_csv()
    assert isinstance(dialog, RateImportDialog)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    with qtbot.waitSignal(dialog.sig_previewed, timeout=5000):
        qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    return dialog


def test_a_file_with_one_bad_row_shows_it_and_imports_the_good_rows(qtbot, context, store, org, tmp_path,
                                                                     monkeypatch):
    sign_in(context, org["finance"])
    page = open_page(qtbot, context)
    dialog = open_import(qtbot, page, rates_file(tmp_path), monkeypatch)
    assert dialog.rates_table.rowCount() == 2 and cells(dialog.rates_table, 2) == ["7.1100", "7.1186"]
    assert cells(dialog.rates_table, 3) == ["CSV file", "CSV file"]
    assert dialog.problems_table.isVisibleTo(dialog) and dialog.problems_table.rowCount() == 1
    assert dialog.problems_table.item(0, 0).text() == "3"  # the header is row 1
    assert dialog.problems_table.item(0, 1).text() == "rate"
    assert dialog.problems_table.item(0, 2).text() == (
        "USD/CNY rate 71.1860 is outside the sane range 5.0000–9.0000; check for a typo.")
    assert dialog.counts_label.text() == "2 rate(s) read, 1 row(s) with problems."
    assert dialog.import_button.isEnabled()

    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        with qtbot.waitSignal(dialog.sig_imported, timeout=5000) as imported:
            qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert imported.args == [2]
    assert dialog.counts_label.text() == "2 rate(s) recorded."
    assert not dialog.import_button.isEnabled() and dialog.close_button.text() == "Close"
    days = [(TODAY - timedelta(days=n)).isoformat() for n in (3, 1)]
    assert stored_rates(store) == [(days[0], Decimal("7.1100"), "csv"), (days[1], Decimal("7.1186"), "csv")]
    assert cells(page.table, 0) == [days[1], days[0]]  # newest first
    assert page.latest_label.text().startswith(f"Latest: 7.1186 ({days[1]}, CSV file) · ")


def test_cancelling_the_preview_records_nothing(qtbot, context, store, org, tmp_path, monkeypatch):
    sign_in(context, org["admin"])
    page = open_page(qtbot, context)
    dialog = open_import(qtbot, page, rates_file(tmp_path), monkeypatch)
    assert dialog.rates_table.rowCount() == 2
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert stored_rates(store) == []


def test_a_file_without_the_columns_is_refused_in_the_users_language(qtbot, zh_context, org, tmp_path,
                                                                     monkeypatch):
    sign_in(zh_context, org["finance"])
    page = open_page(qtbot, zh_context)
    path = tmp_path / "wrong.csv"
    path.write_text("日期,汇率\n2026-11-20,7.1186\n", encoding="utf-8")
    dialog = open_import(qtbot, page, path, monkeypatch)
    assert dialog.message_label.isVisibleTo(dialog)
    assert dialog.message_label.text() == "文件缺少列：pair（需要 date, pair, rate 三列）。"
    assert not dialog.import_button.isEnabled() and dialog.rates_table.rowCount() == 0


# ---- Who may do what

def test_a_rep_sees_the_rates_but_cannot_record_or_import(qtbot, context, store, org):
    run(store, org["finance"], "rate.record", pair="USD/CNY", rate="7.1186", rate_date=TODAY.isoformat(),
        source="cfets")
    sign_in(context, org["rep"])
    page = open_page(qtbot, context)
    assert cells(page.table, 1) == ["7.1186"] and cells(page.table, 2) == ["CFETS"]
    assert page.latest_label.text().startswith(f"Latest: 7.1186 ({TODAY.isoformat()}, CFETS) · ")
    for button in (page.record_button, page.import_button):
        assert not button.isEnabled()
        assert "Only finance, the finance director and administrators" in button.toolTip()
    assert page.record() is None and page.import_csv() is None
    sign_in(context, org["finance"])  # the same window, someone else signs in
    assert page.record_button.isEnabled() and page.record_button.toolTip() == ""


def test_fetching_the_central_parity_needs_a_server(qtbot, context, org):
    """The server fetches from CFETS (tests/test_quotes_journey.py drives it end to end); with no
    server known the button says so and does nothing."""
    sign_in(context, org["finance"])
    page = open_page(qtbot, context)
    assert not page.fetch_button.isEnabled() and "connect to the server first" in page.fetch_button.toolTip()
    assert page.fetch() is False and not page.info_label.isVisibleTo(page)
    sign_in(context, org["rep"])
    assert not page.fetch_button.isEnabled() and "Only finance" in page.fetch_button.toolTip()
