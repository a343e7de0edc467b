"""Nothing typed is lost by a stray Esc, Cancel or close: the touchpoint, customer, contact and quote
dialogs ask "放弃已输入的内容？" first (Keep editing / Discard); a form with nothing changed just closes.
Real dialogs, real keys and buttons, a real database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QPushButton
from sqlalchemy import func, select

from desktop.models import Contact, Customer, Quote, Touchpoint, User
from tests.conftest import Org, make_customer
from ui.context import AppContext
from ui.dialogs.contact_dialog import ContactDialog
from ui.dialogs.customer_dialog import CustomerDialog
from ui.dialogs.quote_dialog import QuoteDialog
from ui.dialogs.touchpoint_dialog import TouchpointDialog
from ui.forms import FormDialog

NAME = "苏州恒通精密机械有限公司"


@pytest.fixture
def context(qtbot, store, org: Org):
    ctx = AppContext(store, "en")
    with store.read() as session:
        ctx.set_user(session.get(User, org["rep"]))
    yield ctx
    ctx.tasks.shutdown()


def opened(qtbot, dialog: FormDialog) -> FormDialog:
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.is_ready)
    return dialog


def question(qtbot, dialog) -> QMessageBox:
    """The discard question the dialog is asking (it must be asking)."""
    qtbot.waitUntil(lambda: dialog.discard_guard.question is not None and dialog.discard_guard.question.isVisible())
    return dialog.discard_guard.question


def answer(qtbot, box: QMessageBox, name: str) -> None:
    qtbot.mouseClick(box.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


def cancel_button(dialog: FormDialog) -> QPushButton:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)


def count(store, model) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_esc_on_a_typed_touchpoint_asks_and_keep_editing_loses_nothing(qtbot, context, store, org):
    customer_id = make_customer(store, org["rep"], NAME)
    dialog = opened(qtbot, TouchpointDialog(context, customer_id=customer_id))
    dialog.summary_edit.insertPlainText("客户要求下周报价")
    dialog.next_step_edit.setText("发报价单")

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    box = question(qtbot, dialog)
    assert box.text() == "Discard what you typed?" and dialog.isVisible()
    answer(qtbot, box, "keep_editing")
    qtbot.waitUntil(lambda: dialog.discard_guard.question is None)
    assert dialog.isVisible()
    assert (dialog.summary_edit.toPlainText(), dialog.next_step_edit.text()) == ("客户要求下周报价", "发报价单")

    qtbot.mouseClick(cancel_button(dialog), Qt.MouseButton.LeftButton)  # 取消 asks the same
    answer(qtbot, question(qtbot, dialog), "discard")
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert count(store, Touchpoint) == 0


def test_an_untouched_form_closes_at_once_on_esc_cancel_or_close(qtbot, context, store, org):
    customer_id = make_customer(store, org["rep"], NAME)
    for close in (lambda d: qtbot.keyClick(d, Qt.Key.Key_Escape),
                  lambda d: qtbot.mouseClick(cancel_button(d), Qt.MouseButton.LeftButton),
                  lambda d: d.close()):
        for dialog in (TouchpointDialog(context, customer_id=customer_id),
                       CustomerDialog(context, customer_id=customer_id),
                       ContactDialog(context, customer_id=customer_id)):
            opened(qtbot, dialog)
            close(dialog)
            qtbot.waitUntil(lambda d=dialog: not d.isVisible())
            assert dialog.discard_guard.question is None


def test_closing_an_edited_customer_asks_and_discard_keeps_the_stored_record(qtbot, context, store, org):
    customer_id = make_customer(store, org["rep"], NAME, phone="0512-6666")
    dialog = opened(qtbot, CustomerDialog(context, customer_id=customer_id))
    assert dialog.edits["phone"].text() == "0512-6666"
    dialog.edits["phone"].setText("0512-8888")
    dialog.close()  # the window's close button
    box = question(qtbot, dialog)
    assert dialog.isVisible()
    answer(qtbot, box, "discard")
    qtbot.waitUntil(lambda: not dialog.isVisible())
    with store.read() as s:
        assert s.scalars(select(Customer.phone).where(Customer.id == customer_id)).one() == "0512-6666"

    # Typed, then put back as it was: nothing would be lost, so nothing is asked.
    again = opened(qtbot, CustomerDialog(context, customer_id=customer_id))
    again.edits["phone"].setText("0512-8888")
    again.edits["phone"].setText("0512-6666")
    qtbot.keyClick(again, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not again.isVisible())


def test_a_new_contact_kept_after_cancel_is_then_saved(qtbot, context, store, org):
    customer_id = make_customer(store, org["rep"], NAME)
    dialog = opened(qtbot, ContactDialog(context, customer_id=customer_id))
    dialog.edits["name"].setText("李娜")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("technical"))
    qtbot.mouseClick(cancel_button(dialog), Qt.MouseButton.LeftButton)
    box = question(qtbot, dialog)
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Esc on the question means "keep editing", never "discard"
    qtbot.waitUntil(lambda: dialog.discard_guard.question is None)
    assert dialog.isVisible() and dialog.edits["name"].text() == "李娜"
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    with store.read() as s:
        assert s.scalars(select(Contact.name)).all() == ["李娜"]


def test_a_quote_asks_before_dropping_typed_lines_and_not_once_they_are_saved(qtbot, context, store, org):
    customer_id = make_customer(store, org["rep"], NAME)
    dialog = QuoteDialog(context, customer_id=customer_id)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        dialog.show()
    row = dialog.add_line()
    dialog.set_cell(row, 1, "数控车床")
    dialog.set_cell(row, 4, "1000.00")

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    answer(qtbot, question(qtbot, dialog), "keep_editing")
    qtbot.waitUntil(lambda: dialog.discard_guard.question is None)
    assert dialog.isVisible() and dialog.lines.item(row, 1).text() == "数控车床"

    with qtbot.waitSignal(dialog.sig_loaded, timeout=5000):
        dialog.save_button.click()
    assert count(store, Quote) == 1
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)  # saved: nothing to lose
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.discard_guard.question is None
