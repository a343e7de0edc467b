"""The quote approval policy page: the finance director edits the ordered rules and saves them through
policy.set; everyone else reads them. Real widgets, a real database, the real policy evaluation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import update

from desktop import approval_policy, policy_views
from desktop.approval_policy import DEFAULT_RULES, Facts, Rule
from desktop.errors import DomainError
from desktop.models import User
from desktop.mutations.policy import current
from tests.conftest import Org, run
from ui.context import AppContext
from ui.dialogs.policy_rule_dialog import PolicyRuleDialog
from ui.ops import MutationOp
from ui.pages.policy_page import ApprovalPolicyPage

D = Decimal


@pytest.fixture
def context(qtbot, store, org: Org):
    ctx = AppContext(store, "zh_CN")  # domain messages in Chinese
    yield ctx
    ctx.tasks.shutdown()


def sign_in(context: AppContext, user_id: str) -> None:
    with context.store.read() as session:
        context.set_user(session.get(User, user_id))


def open_page(qtbot, context: AppContext) -> ApprovalPolicyPage:
    page = ApprovalPolicyPage(context)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        page.show()
    return page


def stored(store) -> tuple[int, list[dict]] | None:
    """The stored policy's (version, rules), None while the built-in rules apply."""
    with store.read() as session:
        row, _rules = current(session)
        return None if row is None else (row.version, row.rules)


def change_threshold(qtbot, page: ApprovalPolicyPage, row: int, text: str) -> PolicyRuleDialog:
    dialog = page.edit(row)
    assert isinstance(dialog, PolicyRuleDialog)
    dialog.threshold_edit.clear()
    qtbot.keyClicks(dialog.threshold_edit, text)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    return dialog


def save(qtbot, page: ApprovalPolicyPage) -> None:
    with qtbot.waitSignal(page.sig_saved, timeout=5000):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    version = stored(page.context.store)[0]
    qtbot.waitUntil(lambda: not page.is_dirty and f"Version {version}," in page.history.text())


def cells(page: ApprovalPolicyPage, column: int) -> list[str]:
    return [page.table.item(row, column).text() for row in range(page.table.rowCount())]


def test_the_finance_director_changes_thresholds_reorders_and_saves(qtbot, context, store, org):
    run(store, org["cfo"], "policy.set", rules=DEFAULT_RULES)  # version 1, as a finance director set it
    sign_in(context, org["cfo"])
    page = open_page(qtbot, context)
    assert page.edit_buttons.isVisible() and not page.save_button.isEnabled()
    assert "Version 1," in page.history.text()
    assert cells(page, 3) == ["", "0.8%", "15%", "500,000 CNY"]
    assert "汇率偏离超过 0.8% 时需财务总监确认" in cells(page, 4)[1]
    assert cells(page, 4)[0] == "每张报价都需要财务审批。"

    change_threshold(qtbot, page, 1, "1.0")
    assert page.rules[1].threshold == D("1.0") and page.is_dirty
    assert page.dirty_label.isVisible() and page.save_button.isEnabled() and page.revert_button.isEnabled()
    assert "汇率偏离超过 1% 时需财务总监确认" in cells(page, 4)[1]
    assert page.table.item(1, 0).font().bold() and not page.table.item(0, 0).font().bold()
    change_threshold(qtbot, page, 2, "10")
    page.table.selectRow(2)
    qtbot.mouseClick(page.up_button, Qt.MouseButton.LeftButton)  # the discount before the drift
    assert [r.key for r in page.rules] == ["finance", "discount", "fx_drift", "total"]
    assert page.table.currentRow() == 1

    save(qtbot, page)
    version, rules = stored(store)
    assert version == 2
    assert rules == [DEFAULT_RULES[0], {**DEFAULT_RULES[2], "threshold_pct": "10"},
                     {**DEFAULT_RULES[1], "threshold_pct": "1.0"}, DEFAULT_RULES[3]]
    assert "Version 2, last changed by Cfo" in page.history.text()
    assert not page.dirty_label.isVisible() and not page.save_button.isEnabled()

    # A quote evaluated now: a 0.9% drift no longer escalates, a 12% discount now does, in the new order.
    with store.read() as session:
        _row, policy = current(session)
    usd = Facts(currency="USD", total=D("1000.00"), discount_pct=D("12"), locked_rate=D("7.1000"))
    today = D("7.1639")  # 7.1 x 1.009
    assert approval_policy.drift_pct(D("7.1000"), today) == D("0.9")
    before = approval_policy.required(approval_policy.parse(DEFAULT_RULES), usd, today)
    assert [r.rule for r in before] == ["finance", "fx_drift"]
    after = approval_policy.required(policy, usd, today)
    assert [(r.rule, r.role) for r in after] == [("finance", "finance"), ("discount", "sales_manager")]
    assert "10%" in after[1].reason_en


def test_an_invalid_threshold_is_shown_in_the_dialog_and_nothing_is_saved(qtbot, context, store, org):
    sign_in(context, org["cfo"])
    page = open_page(qtbot, context)
    assert "built-in" in page.history.text()
    for text in ("-0.5", "101", "abc", ""):
        dialog = change_threshold(qtbot, page, 1, text)
        assert dialog.isVisible()  # still open, what was typed kept
        assert dialog.threshold_edit.text() == text
        message = dialog.errors.message("threshold")
        assert ("百分数" in message if text else "请填写阈值" in message), message
        assert dialog.errors.is_outlined("threshold")
        qtbot.keyClicks(dialog.threshold_edit, "1")  # fixing it clears the message
        assert dialog.errors.message("threshold") == ""
        dialog.reject()
    dialog = change_threshold(qtbot, page, 3, "-1")
    assert "金额" in dialog.errors.message("threshold")
    dialog.reject()
    assert not page.is_dirty and not page.save_button.isEnabled()

    # What the rules need as a whole is checked before anything is sent: a policy must keep an "always" rule.
    page.remove(0)
    assert page.is_dirty
    with qtbot.waitSignal(page.sig_save_failed, timeout=5000) as failed:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert isinstance(failed.args[0], DomainError)
    assert "至少要有一条" in page.status.text()
    assert page.is_dirty and [r.key for r in page.rules] == ["fx_drift", "discount", "total"]
    assert stored(store) is None


def test_add_remove_revert_and_restore_defaults(qtbot, context, store, org):
    tighter = [{"key": "finance", "kind": "always", "role": "finance"},
               {"key": "discount", "kind": "discount", "role": "sales_manager", "threshold_pct": "5"}]
    run(store, org["cfo"], "policy.set", rules=tighter)
    context.language = "en"
    sign_in(context, org["admin"])
    page = open_page(qtbot, context)
    assert cells(page, 4) == ["Every quote needs finance's approval.",
                              "When the overall discount is above 5%, a sales manager must approve."]

    page.table.selectRow(0)
    dialog = page.add()
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("discount"))
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("key_account_director"))
    dialog.threshold_edit.setText("30%")
    assert "30%" in dialog.meaning.text()
    dialog.save()
    assert [(r.key, r.kind, r.role, r.threshold) for r in page.rules] == [
        ("finance", "always", "finance", None), ("discount_2", "discount", "key_account_director", D("30")),
        ("discount", "discount", "sales_manager", D("5"))]
    qtbot.mouseClick(page.revert_button, Qt.MouseButton.LeftButton)
    assert [r.key for r in page.rules] == ["finance", "discount"] and not page.is_dirty

    page.table.selectRow(1)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    dialog = page.add()
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("total"))
    dialog.threshold_edit.setText("100,000")
    dialog.currency_combo.setCurrentIndex(dialog.currency_combo.findData("USD"))
    dialog.save()
    save(qtbot, page)
    assert stored(store) == (2, [tighter[0], {"key": "total", "kind": "total", "role": "finance_director",
                                              "threshold": "100000", "currency": "USD"}])

    qtbot.mouseClick(page.defaults_button, Qt.MouseButton.LeftButton)
    assert page.is_dirty and "Save" in page.status.text()
    assert [r.key for r in page.rules] == [r["key"] for r in DEFAULT_RULES]
    assert stored(store)[0] == 2  # loading the defaults saves nothing
    save(qtbot, page)
    assert stored(store) == (3, DEFAULT_RULES)
    qtbot.mouseClick(page.defaults_button, Qt.MouseButton.LeftButton)
    assert not page.is_dirty and not page.save_button.isEnabled()


@pytest.mark.parametrize("who", ["finance", "rep", "manager"])
def test_everyone_else_reads_the_policy_without_buttons(qtbot, context, store, org, who):
    sign_in(context, org[who])
    page = open_page(qtbot, context)
    assert page.edit_buttons.isHidden()
    assert len(cells(page, 4)) == 4 and all(cells(page, 4))
    assert page.edit(1) is None and page.add() is None
    page.remove(0)
    page.restore_defaults()
    page.save()
    assert len(page.rules) == 4 and not page.is_dirty and not page.dirty_label.isVisible()
    assert stored(store) is None


def test_a_refusal_of_policy_set_is_shown_and_the_edits_are_kept(qtbot, context, store, org):
    sign_in(context, org["cfo"])
    page = open_page(qtbot, context)
    change_threshold(qtbot, page, 2, "20")
    # Meanwhile the server made the finance director plain finance (arrives as a user snapshot).
    with store.writer("snapshot") as session:
        session.execute(update(User).where(User.id == org["cfo"]).values(role="finance"))
    with qtbot.waitSignal(page.sig_save_failed, timeout=5000):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.status.text() == "您的角色无权修改报价审批规则。"
    assert page.is_dirty and page.rules[2].threshold == D("20") and page.save_button.isEnabled()
    assert stored(store) is None


def test_the_page_follows_a_change_made_elsewhere(qtbot, context, store, org):
    sign_in(context, org["cfo"])
    page = open_page(qtbot, context)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        # Another window (or the next sync) sets the policy: the page, listening to the data-changed signal, reloads.
        MutationOp(context.tasks, org["admin"], "policy.set",
                   {"rules": [DEFAULT_RULES[0], {**DEFAULT_RULES[2], "threshold_pct": "12.5"}]}).run()
    assert cells(page, 3) == ["", "12.5%"] and "Admin" in page.history.text()


def test_thresholds_and_words_without_qt():
    assert policy_views.parse_threshold("fx_drift", " 0.8% ") == D("0.8")
    assert policy_views.parse_threshold("total", "1,250,000.50") == D("1250000.50")
    for kind, text in (("discount", "100.01"), ("fx_drift", "-0.1"), ("total", "-1"), ("total", "NaN"),
                       ("discount", "Infinity"), ("total", " ")):
        with pytest.raises(DomainError) as bad:
            policy_views.parse_threshold(kind, text)
        assert bad.value.field == "threshold" and bad.value.message_zh and bad.value.message_en
    total = Rule("total", "total", "finance_director", D("500000"), "USD")
    assert policy_views.describe(total)[0].startswith("报价总额超过 500,000 USD 时需财务总监审批")
    assert policy_views.new_key("discount", ["finance", "discount", "discount_2"]) == "discount_3"


def test_the_window_asks_before_dropping_unsaved_policy_edits(qtbot, context, store, org, monkeypatch):
    """Closing the window, signing out or switching language rebuilds the pages: with unsaved rules
    the window asks first, and Cancel keeps the edits and the window."""
    from PySide6.QtWidgets import QMessageBox

    from ui.main_window import MainWindow

    window = MainWindow(context, restore_layout=False)
    qtbot.addWidget(window)
    sign_in(context, org["cfo"])
    window.show()
    assert window.show_view("approval_policy")
    title = next(e.title() for e in window.entries if e.key == "approval_policy")
    page = window.pages["approval_policy"]
    qtbot.waitUntil(lambda: page.table.rowCount() == len(DEFAULT_RULES), timeout=5000)
    change_threshold(qtbot, page, 1, "1.0")
    assert page.is_dirty and window.unsaved() == [title]

    asked: list[str] = []
    answer = QMessageBox.StandardButton.Cancel

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    window.close()
    assert window.isVisible() and page.is_dirty and title in asked[-1]
    window.set_language("en")
    assert context.language == "zh_CN" and window.pages.get("approval_policy") is page
    window._sign_out()  # noqa: SLF001 (what File > Sign out does)
    assert len(asked) == 3 and page.is_dirty
    answer = QMessageBox.StandardButton.Discard
    window.close()
    assert not window.isVisible()
    assert stored(store) is None  # nothing was saved
