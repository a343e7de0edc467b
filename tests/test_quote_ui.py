"""Quotes in the window: the approvals inbox as finance and as the quote's owner, the quote builder with
its live totals, and the PDF preview and print. Real widgets, a real database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from desktop import timeutil
from desktop.models import Approval, Quote, QuoteLine, User
from desktop.mutations import rates
from tests.conftest import Org, make_customer, run
from ui.context import AppContext
from ui.dialogs.quote_dialog import QuoteDialog
from ui.pages.approvals_page import ApprovalsPage

TODAY = rates.business_date(timeutil.utcnow())


@pytest.fixture
def context(qtbot, store, org: Org):
    ctx = AppContext(store, "zh_CN")  # domain messages in Chinese
    yield ctx
    ctx.tasks.shutdown()


def sign_in(context: AppContext, user_id: str) -> None:
    with context.store.read() as session:
        context.set_user(session.get(User, user_id))


def quote_row(store, quote_id: str) -> Quote:
    with store.read() as s:
        return s.scalars(select(Quote).where(Quote.id == quote_id)).one()


def submitted_quote(store, org: Org, currency: str = "CNY") -> str:
    rep = org["rep"]
    customer = make_customer(store, rep)
    q = run(store, rep, "quote.create", customer_id=customer, currency=currency).changes.entity_id
    run(store, rep, "quote.line_set", quote_id=q, description="数控车床", quantity="10", unit_price="1000.00")
    run(store, rep, "quote.submit", id=q)
    return q


def open_inbox(qtbot, context: AppContext) -> ApprovalsPage:
    page = ApprovalsPage(context)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.show()
    if page.items:  # the chosen quote's reasons are read after the list
        qtbot.waitUntil(lambda: page.reasons.text() not in ("", "…"), timeout=5000)
    return page


def cell(page: ApprovalsPage, row: int, column: int) -> str:
    return page.model.index(row, column).data()


# ---------------------------------------------------------------------------------------------- inbox


def test_finance_sees_a_submitted_quote_with_its_reason_and_approves_it(qtbot, context, store, org):
    q = submitted_quote(store, org)
    sign_in(context, org["finance"])
    page = open_inbox(qtbot, context)
    assert [item.quote_id for item in page.items] == [q]
    assert page.model.rowCount() == 1 and cell(page, 0, 0) == "苏州恒通精密机械有限公司"
    assert cell(page, 0, 4) == "11,300.00"  # 10 x 1000 + 13% VAT
    assert "每份报价都需财务审批" in page.reasons.text()  # the stored reason, in the user's language
    assert page.approve_button.isEnabled()
    # The approver reads the quote itself: its lines and terms, read-only.
    opened = page.open_selected()
    qtbot.addWidget(opened)
    qtbot.waitUntil(lambda: opened.loaded is not None and opened.lines.rowCount() == 1, timeout=5000)
    assert opened.lines.item(0, 1).text() == "数控车床" and not opened.save_button.isEnabled()
    assert opened.preview_button.isEnabled()
    opened.close()
    with qtbot.waitSignal(page.sig_decided, timeout=5000):
        page.approve_button.click()
    qtbot.waitUntil(lambda: page.items == [] and page.model.rowCount() == 0, timeout=5000)
    assert quote_row(store, q).status == "approved"
    assert page.empty.isVisibleTo(page)


def test_a_rejection_needs_a_comment_and_the_refusal_is_shown(qtbot, context, store, org):
    q = submitted_quote(store, org)
    sign_in(context, org["finance"])
    page = open_inbox(qtbot, context)
    with qtbot.waitSignal(page.sig_refused, timeout=5000) as refused:
        page.reject_button.click()
    assert "驳回理由" in refused.args[0] and page.error.isVisibleTo(page)
    assert quote_row(store, q).status == "awaiting_approval"
    page.comment.setPlainText("价格太低")
    with qtbot.waitSignal(page.sig_decided, timeout=5000):
        page.reject_button.click()
    assert quote_row(store, q).status == "rejected"


def test_the_owner_gets_no_buttons_and_a_forced_decision_is_refused(qtbot, context, store, org):
    q = submitted_quote(store, org)
    sign_in(context, org["rep"])
    page = open_inbox(qtbot, context)
    assert page.items == [] and not page.approve_button.isVisibleTo(page)
    with qtbot.waitSignal(page.sig_refused, timeout=5000) as refused:
        page.decide(q, quote_row(store, q).version, "approve", "")
    assert refused.args[0] == "不能审批自己的报价单。"
    assert page.error.text() == "不能审批自己的报价单。"
    with store.read() as s:
        assert s.scalars(select(Approval)).all() == []


def test_a_usd_quote_shows_the_live_drift_and_the_rate_age(qtbot, context, store, org):
    run(store, org["finance"], "rate.record", pair="USD/CNY", rate="7.1", rate_date=(TODAY - timedelta(days=1))
        .isoformat(), source="中国外汇交易中心")
    q = submitted_quote(store, org, "USD")
    # The rate moves after submission: 7.1 -> 7.16 is 0.845%, above 0.8%.
    run(store, org["finance"], "rate.record", pair="USD/CNY", rate="7.16", rate_date=TODAY.isoformat(),
        source="中国外汇交易中心")
    sign_in(context, org["cfo"])  # not required at submission, required now
    page = open_inbox(qtbot, context)
    assert [item.quote_id for item in page.items] == [q]
    item = page.items[0]
    assert item.drift_pct is not None and item.drift_pct.quantize(Decimal("0.001")) == Decimal("0.845")
    assert cell(page, 0, 5) == "0.845%"
    assert "7.16" in page.rate.text() and "7.1" in page.rate.text() and "中间价" in page.rate.text()
    assert "汇率偏离 0.845%" in page.reasons.text()


# ---------------------------------------------------------------------------------------------- builder


def open_builder(qtbot, context: AppContext, **kwargs) -> QuoteDialog:
    dialog = QuoteDialog(context, **kwargs)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        dialog.show()
    return dialog


def save(qtbot, dialog: QuoteDialog, action=None) -> None:
    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
            (action or dialog.save_button.click)()


def test_the_builder_creates_a_quote_with_two_lines_and_shows_the_total_as_typed(qtbot, context, store, org):
    product = run(store, org["admin"], "product.create", code="CK6150", name="数控车床 CK6150", unit="台",
                  list_price="120000.00", currency="CNY").changes.entity_id
    customer = make_customer(store, org["rep"])
    sign_in(context, org["rep"])
    dialog = open_builder(qtbot, context, customer_id=customer)
    assert dialog.customer_label.text() == "苏州恒通精密机械有限公司" and dialog.save_button.isEnabled()
    first = dialog.add_line()
    dialog.choose_product(first, product)  # description, unit and list price come from the product
    assert dialog.lines.item(first, 1).text() == "数控车床 CK6150" and dialog.lines.item(first, 3).text() == "台"
    dialog.set_cell(first, 2, "2")
    second = dialog.add_line()
    dialog.set_cell(second, 1, "安装调试")
    dialog.set_cell(second, 4, "0.125")  # half-up per line: 0.13
    dialog.set_cell(second, 5, "0")
    # 240,000.00 + 0.13 = 240,000.13; 13% VAT = 31,200.0169 -> 31,200.02; total 271,200.15
    assert dialog.lines.item(first, 6).text() == "240,000.00" and dialog.lines.item(second, 6).text() == "0.13"
    assert dialog.total_text == "271,200.15" and "271,200.15" in dialog.totals.text()
    dialog.discount.setText("10")  # 240,000.13 - 24,000.01 = 216,000.12; VAT 28,080.02 -> 244,080.14
    assert dialog.total_text == "244,080.14"
    save(qtbot, dialog)
    stored = quote_row(store, dialog.quote_id)
    assert (stored.status, stored.total, stored.discount_pct) == ("draft", Decimal("244080.14"), Decimal("10"))
    assert dialog.lines.rowCount() == 2 and dialog.total_text == "244,080.14"
    assert dialog.heading.text().startswith(f"Quote {stored.number} rev. 1")
    # A change to a saved line is sent as that change only; then the quote is submitted and read-only.
    dialog.set_cell(second, 2, "4")
    save(qtbot, dialog, dialog.submit_button.click)
    stored = quote_row(store, dialog.quote_id)
    assert stored.status == "awaiting_approval" and not dialog.save_button.isEnabled()
    assert not dialog.add_line_button.isEnabled() and dialog.vat.isReadOnly()


def test_a_refused_line_is_shown_and_nothing_is_saved(qtbot, context, store, org):
    customer = make_customer(store, org["rep"])
    sign_in(context, org["rep"])
    dialog = open_builder(qtbot, context, customer_id=customer)
    row = dialog.add_line()
    dialog.set_cell(row, 1, "")  # no description, no product: the mutation refuses
    dialog.set_cell(row, 4, "100")
    with qtbot.waitSignal(dialog.sig_failed, timeout=5000):
        dialog.save_button.click()
    assert "第 1 行" in dialog.line_error.text() or "Line 1" in dialog.line_error.text()
    assert "描述" in dialog.line_error.text()
    assert dialog.quote_id is None and dialog.save_button.isEnabled()
    with store.read() as s:
        assert s.scalars(select(Quote)).all() == []
    dialog.vat.setText("abc")
    dialog.save_button.click()
    assert dialog.errors.message("vat_pct") != ""


def test_copy_and_revise_open_the_new_quote(qtbot, context, store, org):
    q = submitted_quote(store, org)
    run(store, org["finance"], "approval.decide", quote_id=q, quote_version=quote_row(store, q).version,
        decision="approve", comment="")
    sign_in(context, org["rep"])
    dialog = open_builder(qtbot, context, quote_id=q)
    assert dialog.approval.text() == "• Finance: 每份报价都需财务审批。 — approved by Finance"
    assert dialog.revise_button.isVisibleTo(dialog) and not dialog.save_button.isEnabled()
    save(qtbot, dialog, dialog.sent_button.click)
    assert quote_row(store, q).status == "sent" and not dialog.sent_button.isVisibleTo(dialog)
    save(qtbot, dialog, dialog.revise_button.click)
    revised = quote_row(store, dialog.quote_id)
    assert (revised.revision, revised.status) == (2, "draft") and quote_row(store, q).status == "superseded"
    assert dialog.save_button.isEnabled() and dialog.lines.rowCount() == 1
    save(qtbot, dialog, dialog.copy_button.click)
    copied = quote_row(store, dialog.quote_id)
    assert copied.number != revised.number and copied.revision == 1
    assert not dialog.compare_button.isVisibleTo(dialog)  # a copy has one revision: nothing to compare


def test_a_revision_is_compared_with_the_one_it_supersedes(qtbot, context, store, org):
    from PySide6.QtWidgets import QTreeWidgetItemIterator

    q = submitted_quote(store, org)
    run(store, org["finance"], "approval.decide", quote_id=q, quote_version=quote_row(store, q).version,
        decision="approve", comment="")
    rep = org["rep"]
    revised = run(store, rep, "quote.revise", source_id=q).changes.entity_id
    with store.read() as s:
        first = s.scalars(select(QuoteLine.id).where(QuoteLine.quote_id == revised)).one()
    run(store, rep, "quote.line_set", id=first, quote_id=revised, description="数控车床", quantity="12",
        unit_price="1000.00")
    sign_in(context, rep)
    dialog = open_builder(qtbot, context, quote_id=revised)
    assert dialog.compare_button.isVisibleTo(dialog)
    compare = dialog.compare()
    qtbot.addWidget(compare)
    with qtbot.waitSignal(compare.sig_compared, timeout=5000):
        pass
    assert compare.summary.text().endswith("revision 1 → revision 2")
    rows = []
    it = QTreeWidgetItemIterator(compare.tree)
    while it.value():
        rows.append(tuple(it.value().text(c) for c in range(3)))
        it += 1
    assert ("数量", "10", "12") in rows and ("合计", "11,300.00", "13,560.00") in rows  # the core's labels, in Chinese
    assert any(r[0].startswith("Line 1 changed: 数控车床") for r in rows)
    compare.choose(2, 2)
    qtbot.waitUntil(lambda: "are the same" in compare.summary.text(), timeout=5000)


# ---------------------------------------------------------------------------------------------- PDF


def test_preview_and_print_to_a_pdf_file(qtbot, context, store, org, tmp_path):
    from PySide6.QtPrintSupport import QPrinter

    q = submitted_quote(store, org)
    sign_in(context, org["rep"])
    dialog = open_builder(qtbot, context, quote_id=q)
    with qtbot.waitSignal(dialog.sig_pdf_ready, timeout=20000) as ready:
        dialog.preview_button.click()
    assert ready.args[0].endswith(".pdf") and dialog.pdf_path.stat().st_size > 1000
    qtbot.waitUntil(lambda: getattr(dialog, "preview_window", None) is not None, timeout=5000)
    assert dialog.preview_window.document.pageCount() >= 1
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    with qtbot.waitSignal(dialog.sig_printed, timeout=30000) as printed:
        dialog.print_to(printer)
    assert printed.args[0] >= 1
    assert out.stat().st_size > 1000 and out.read_bytes().startswith(b"%PDF")


# ---------------------------------------------------------------------------------------------- list


def test_the_quotes_list_shows_what_the_user_sees_and_opens_a_quote(qtbot, context, store, org):
    from ui.pages.quotes_page import QuotesPage

    q = submitted_quote(store, org)
    for username, expected in (("otherrep", []), ("rep", [q])):
        sign_in(context, org[username])
        page = QuotesPage(context)
        qtbot.addWidget(page)
        with qtbot.waitSignal(page.sig_loaded, timeout=5000):
            page.show()
        assert [row.id for row in page.rows] == expected
    assert page.table.item(0, 2).text() == "Awaiting approval" and page.table.item(0, 4).text() == "11,300.00"
    page.open_row(0)
    qtbot.waitUntil(lambda: page.dialog.loaded is not None, timeout=5000)
    assert page.dialog.quote_id == q and not page.dialog.save_button.isEnabled()
    assert page.dialog.withdraw_button.isVisibleTo(page.dialog)
    page.dialog.close()


def test_the_quotes_list_is_searched_by_number_or_customer_and_narrowed_by_status(qtbot, context, store, org):
    from ui.pages.quotes_page import QuotesPage

    rep = org["rep"]
    submitted = submitted_quote(store, org)
    draft = run(store, rep, "quote.create", customer_id=make_customer(store, rep, "无锡华创电子科技有限公司")) \
        .changes.entity_id
    sign_in(context, rep)
    page = QuotesPage(context)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.show()
    assert {row.id for row in page.rows} == {submitted, draft}
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.search.setText("华创")  # as typed (QTest cannot type Chinese characters)
    assert [row.id for row in page.rows] == [draft] and page.count.text() == "1 quote(s)"
    number = quote_row(store, submitted).number
    page.search.setText(number[-6:])  # the end of a number: its device code and sequence
    qtbot.waitUntil(lambda: [row.id for row in page.rows] == [submitted], timeout=5000)
    page.search.setText("100%_")  # LIKE's wildcards are searched as text
    qtbot.waitUntil(lambda: page.rows == [], timeout=5000)
    page.search.clear()
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.status.setCurrentIndex(page.status.findData("draft"))
    qtbot.waitUntil(lambda: [row.id for row in page.rows] == [draft], timeout=5000)


def test_new_quote_from_the_customer_detail(qtbot, context, store, org):
    from ui.customer_detail import CustomerDetail

    customer = make_customer(store, org["rep"])
    sign_in(context, org["rep"])
    detail = CustomerDetail(context)
    qtbot.addWidget(detail)
    detail.show()
    detail.show_customer(customer)
    qtbot.waitUntil(detail.quote_button.isEnabled, timeout=5000)
    detail.quote_button.click()
    dialog = detail.findChild(QuoteDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded is not None and dialog.customer_id == customer, timeout=5000)
    dialog.close()


def test_a_decision_on_a_stale_version_is_refused_and_the_inbox_reloads(qtbot, context, store, org):
    q = submitted_quote(store, org)
    sign_in(context, org["finance"])
    page = open_inbox(qtbot, context)
    seen = page.items[0].version
    run(store, org["rep"], "quote.withdraw", id=q)  # the rep changes it meanwhile, and submits again
    run(store, org["rep"], "quote.submit", id=q)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        with qtbot.waitSignal(page.sig_refused, timeout=5000) as refused:
            page.decide(q, seen, "approve", "")
    assert "已被修改" in refused.args[0] and page.error.text() == refused.args[0]
    assert page.error.isVisibleTo(page) and page.items[0].version == quote_row(store, q).version != seen
    with qtbot.waitSignal(page.sig_decided, timeout=5000):
        page.approve_button.click()
    assert quote_row(store, q).status == "approved"


def test_a_discount_above_the_threshold_reaches_the_team_manager_not_another(qtbot, context, store, org):
    rep = org["rep"]
    q = run(store, rep, "quote.create", customer_id=make_customer(store, rep), discount_pct="20").changes.entity_id
    run(store, rep, "quote.line_set", quote_id=q, description="数控车床", quantity="1", unit_price="1000.00")
    run(store, rep, "quote.submit", id=q)
    for username, expected in (("othermanager", []), ("manager", [q])):
        sign_in(context, org[username])
        page = open_inbox(qtbot, context)
        assert [item.quote_id for item in page.items] == expected
    assert "综合折扣 20%" in page.reasons.text() and cell(page, 0, 6) == "Finance, Sales manager"
    with qtbot.waitSignal(page.sig_decided, timeout=5000):
        page.approve_button.click()
    assert quote_row(store, q).status == "awaiting_approval"  # finance has still to approve
    qtbot.waitUntil(lambda: page.items == [], timeout=5000)


def test_a_week_old_rate_is_confirmed_in_the_builder_and_the_inbox(qtbot, context, store, org, monkeypatch):
    """Submit on a rate more than five days old: the builder asks and, once confirmed, submits; No keeps
    the draft as it is. Finance deciding on it is asked the same."""
    from PySide6.QtWidgets import QMessageBox

    rep, finance = org["rep"], org["finance"]
    run(store, finance, "rate.record", pair="USD/CNY", rate="7.1", rate_date=(TODAY - timedelta(days=9)).isoformat(),
        source="cfets")
    q = run(store, rep, "quote.create", customer_id=make_customer(store, rep), currency="USD").changes.entity_id
    run(store, rep, "quote.line_set", quote_id=q, description="数控车床", quantity="1", unit_price="1000.00")
    asked: list[str] = []
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Yes]

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    sign_in(context, rep)
    dialog = open_builder(qtbot, context, quote_id=q)
    with qtbot.waitSignal(dialog.sig_failed, timeout=5000):
        dialog.submit_button.click()
    assert quote_row(store, q).status == "draft" and "超过 5 天" in asked[0]
    save(qtbot, dialog, dialog.submit_button.click)
    assert quote_row(store, q).status == "awaiting_approval" and len(asked) == 2

    sign_in(context, finance)
    page = open_inbox(qtbot, context)
    with qtbot.waitSignal(page.sig_decided, timeout=5000):
        page.approve_button.click()
    assert "汇率偏离按此汇率计算" in asked[2] and quote_row(store, q).status == "approved"


def test_the_director_keeps_a_quote_whose_drift_fired_though_the_rate_moved_back(qtbot, context, store, org):
    """Locked 7.1034; at 7.1603 finance approves (the director is needed); the rate returns to 7.1200.
    The quote stays in the director's inbox, the reason that fired is shown and marked as still in
    force, and the director's approval completes it; finance's inbox no longer lists it."""
    finance = org["finance"]

    def rate(value: str) -> None:
        run(store, finance, "rate.record", pair="USD/CNY", rate=value, rate_date=TODAY.isoformat(),
            source="中国外汇交易中心")

    rate("7.1034")
    q = submitted_quote(store, org, "USD")
    rate("7.1603")
    run(store, finance, "approval.decide", quote_id=q, quote_version=quote_row(store, q).version,
        decision="approve", comment="同意")
    rate("7.1200")
    sign_in(context, finance)
    assert open_inbox(qtbot, context).items == []
    sign_in(context, org["cfo"])
    page = open_inbox(qtbot, context)
    assert [item.quote_id for item in page.items] == [q]
    assert cell(page, 0, 6) == "Finance director (approved: Finance)"  # still needed, then who approved
    assert cell(page, 0, 5) == "0.234%"  # |7.1200 - 7.1034| / 7.1034, three places suffice
    reasons = page.reasons.text()
    assert "汇率偏离 0.801%（锁定 7.1034，今日 7.1603），超过 0.8%，需财务总监确认。" in reasons
    assert "(required at an earlier decision on this submission; it stays required)" in reasons
    assert "7.1034" in page.rate.text() and "7.1200" in page.rate.text() and "0.234%" in page.rate.text()
    with qtbot.waitSignal(page.sig_decided, timeout=5000):
        page.approve_button.click()
    qtbot.waitUntil(lambda: page.items == [], timeout=5000)
    assert quote_row(store, q).status == "approved"


def test_approvals_needed_shows_whom_the_quote_still_waits_for_and_who_approved(qtbot, qapp, context, store, org):
    """600,000 CNY at 20% off needs finance, a sales manager and the finance director; as each approves
    the column drops them from what is needed and names them as approved, in Chinese too."""
    from ui import i18n

    rep = org["rep"]
    q = run(store, rep, "quote.create", customer_id=make_customer(store, rep), discount_pct="20").changes.entity_id
    run(store, rep, "quote.line_set", quote_id=q, description="数控车床", quantity="10", unit_price="80000.00")
    run(store, rep, "quote.submit", id=q)
    sign_in(context, org["cfo"])
    page = open_inbox(qtbot, context)
    assert cell(page, 0, 6) == "Finance, Sales manager, Finance director"
    for who in ("finance", "manager"):
        run(store, org[who], "approval.decide", quote_id=q, quote_version=quote_row(store, q).version,
            decision="approve", comment="同意")
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.refresh()
    assert cell(page, 0, 6) == "Finance director (approved: Finance, Sales manager)"
    i18n.install(qapp, "zh_CN")
    try:
        assert cell(page, 0, 6) == "财务总监（已批准：财务、销售经理）"
        assert page.model.headerData(6, Qt.Orientation.Horizontal) == "所需审批"
    finally:
        i18n.install(qapp, "en")
    sign_in(context, org["finance"])
    assert open_inbox(qtbot, context).items == []  # finance has decided: no longer its to decide
