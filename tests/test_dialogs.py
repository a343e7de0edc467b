"""The dialogs that create and edit data, driven as a user would, against a real database.

Each save runs the real mutation on the database thread; the tests read the rows and the outbox back.
QTest cannot type non-ASCII keys, so Chinese arrives as committed text (setText / insert /
insertPlainText), the way an input method delivers it.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from desktop.lookups import live_contacts
from desktop.models import (
    CHANNELS,
    CUSTOMER_STATUSES,
    DECISION_ROLES,
    REACTIONS,
    SEGMENTS,
    Contact,
    Customer,
    Touchpoint,
    User,
)
from desktop.store import Store
from tests.conftest import Org, make_customer, run
from ui import labels
from ui.context import AppContext
from ui.dialogs.contact_dialog import ContactDialog
from ui.dialogs.customer_dialog import CustomerDialog
from ui.dialogs.touchpoint_dialog import TouchpointDialog
from ui.forms import FormDialog

NAME = "苏州恒通精密机械有限公司"


# ---- Fixtures and helpers

@pytest.fixture
def context(qtbot, store: Store, org: Org):
    ctx = AppContext(store, "en")
    yield ctx
    ctx.tasks.shutdown()


def sign_in(context: AppContext, user_id: str) -> None:
    with context.store.read() as session:
        context.set_user(session.get(User, user_id))


def opened(qtbot, dialog: FormDialog) -> FormDialog:
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.is_ready)
    return dialog


def save(qtbot, dialog: FormDialog) -> Any:
    """Press Save and wait for the dialog to report the saved Outcome."""
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000) as blocker:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    return blocker.args[0]


def save_refused(qtbot, dialog: FormDialog) -> None:
    """Press Save; the save must fail (before or after sending) and leave the dialog open and usable."""
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_saving)
    assert dialog.isVisible() and dialog.save_button.isEnabled()


def outbox(store: Store) -> list[tuple[str, dict[str, Any]]]:
    with store.read() as session:
        rows = session.connection().exec_driver_sql("SELECT name, args FROM outbox ORDER BY seq").all()
    return [(name, json.loads(args)) for name, args in rows]


def shows_error(dialog: FormDialog, field: str, text: str) -> bool:
    """text is shown under the field, which is outlined."""
    label = dialog.errors.label(field)
    return label.isVisible() and label.text() == text and dialog.errors.is_outlined(field)


# ---- Customers

def test_create_a_customer(qtbot, context, store, org):
    sign_in(context, org["rep"])
    dialog = opened(qtbot, CustomerDialog(context))
    assert dialog.owner_combo.currentData() == org["rep"]  # a rep can only own it themselves
    assert dialog.owner_combo.count() == 1
    dialog.edits["name"].setText(NAME)
    dialog.edits["city"].setText("苏州")
    qtbot.keyClicks(dialog.edits["phone"], "0512-6666")
    dialog.segment_combo.setCurrentIndex(dialog.segment_combo.findData("key_account"))
    qtbot.keyClicks(dialog.credit_limit_edit, "50000")
    dialog.notes_edit.insertPlainText("老客户介绍")

    outcome = save(qtbot, dialog)

    with store.read() as s:
        customer = s.scalars(select(Customer).where(Customer.name == NAME)).one()
    assert outcome.name == "customer.create" and outcome.changes.entity_id == customer.id
    assert (customer.owner_id, customer.city, customer.phone, customer.segment, customer.status, customer.notes) == (
        org["rep"], "苏州", "0512-6666", "key_account", "active", "老客户介绍")
    assert customer.credit_limit == Decimal("50000.00")
    [(name, args)] = outbox(store)
    assert name == "customer.create" and args["id"] == customer.id and args["name"] == NAME
    assert args["credit_limit"] == "50000"


def test_edit_only_the_phone_sends_only_the_phone(qtbot, context, store, org):
    customer_id = make_customer(store, org["rep"], NAME, phone="0512-1", credit_limit="50000", notes="备注")
    sign_in(context, org["rep"])
    dialog = opened(qtbot, CustomerDialog(context, customer_id=customer_id))
    assert dialog.edits["name"].text() == NAME and dialog.edits["region"].text() == "江苏"
    assert dialog.credit_limit_edit.text() == "50000.00" and dialog.notes_edit.toPlainText() == "备注"
    dialog.edits["phone"].clear()
    qtbot.keyClicks(dialog.edits["phone"], "0512-2")

    save(qtbot, dialog)

    name, args = outbox(store)[-1]
    assert name == "customer.update" and set(args) == {"id", "phone", "at"} and args["phone"] == "0512-2"
    with store.read() as s:
        assert s.scalars(select(Customer.phone).where(Customer.id == customer_id)).one() == "0512-2"

    # Opened again and saved untouched: the mutation's own words, at the top; nothing recorded.
    again = opened(qtbot, CustomerDialog(context, customer_id=customer_id))
    before = outbox(store)
    save_refused(qtbot, again)
    assert again.banner.isVisible() and again.errors.banner() == "Nothing was changed."
    assert outbox(store) == before


def test_bad_names_show_next_to_the_name_and_keep_what_was_typed(qtbot, context, store, org):
    make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = opened(qtbot, CustomerDialog(context))
    dialog.edits["city"].setText("无锡")
    qtbot.keyClicks(dialog.edits["phone"], "0510-8")
    dialog.notes_edit.insertPlainText("展会认识")
    before = outbox(store)

    # Too long: caught before sending, in the mutation's words.
    dialog.edits["name"].setText("恒" * 201)
    save_refused(qtbot, dialog)
    assert shows_error(dialog, "name", "Customer name is 201 characters long; at most 200 are allowed.")
    assert context.tasks.pending == 0 and outbox(store) == before

    # Taken by another customer: only the database knows; the refusal lands next to the name.
    dialog.edits["name"].setText(NAME)
    save_refused(qtbot, dialog)
    assert shows_error(dialog, "name", f"A customer named {NAME!r} already exists.")
    assert not dialog.banner.isVisible() and not dialog.errors.label("city").isVisible()
    assert (dialog.edits["name"].text(), dialog.edits["city"].text(), dialog.edits["phone"].text(),
            dialog.notes_edit.toPlainText()) == (NAME, "无锡", "0510-8", "展会认识")
    assert outbox(store) == before

    # Correcting the name clears its error as soon as the user types, then saves.
    qtbot.keyClicks(dialog.edits["name"], " Wuxi")
    assert not dialog.errors.label("name").isVisible()
    assert not dialog.errors.is_outlined("name")
    save(qtbot, dialog)
    with store.read() as s:
        assert s.scalars(select(Customer.city).where(Customer.name == f"{NAME} Wuxi")).one() == "无锡"


# ---- Touchpoints

def test_log_a_touchpoint_with_a_contact_in_local_time(qtbot, context, store, org, shanghai_time):
    customer_id = make_customer(store, org["rep"], NAME)
    contact_id = run(store, org["rep"], "contact.add", customer_id=customer_id, name="王伟", title="采购经理",
                     decision_role="purchasing").changes.entity_id
    sign_in(context, org["rep"])
    dialog = opened(qtbot, TouchpointDialog(context, customer_id=customer_id))
    picker = dialog.customer_picker
    assert picker.customer_id == customer_id and picker.line_edit.text() == NAME and picker.line_edit.isReadOnly()
    assert dialog.contact_combo.count() == 2  # "no particular contact" and 王伟

    dialog.contact_combo.setCurrentIndex(dialog.contact_combo.findData(contact_id))
    assert dialog.with_whom_edit.text() == "王伟"  # prefilled from the contact, editable
    dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("meeting"))
    dialog.when_edit.setDateTime(QDateTime(QDate(2024, 3, 5), QTime(9, 30)))  # 09:30 in Shanghai
    dialog.summary_edit.insertPlainText("现场查看设备铭牌，客户要求报价。")
    dialog.reaction_combo.setCurrentIndex(dialog.reaction_combo.findData("positive"))
    dialog.reaction_note_edit.insertPlainText("很感兴趣")
    dialog.next_step_edit.setText("寄样品")
    dialog.due_edit.set_value(QDate(2024, 3, 12))

    outcome = save(qtbot, dialog)

    name, args = outbox(store)[-1]
    assert name == "touchpoint.log" and outcome.name == "touchpoint.log"
    assert args["occurred_at"] == "2024-03-05T01:30:00.000000Z"  # 09:30 +08:00
    assert args["next_step_due"] == "2024-03-12T15:59:59.000000Z"  # the end of that local day
    with store.read() as s:
        touchpoint = s.scalars(select(Touchpoint).where(Touchpoint.id == outcome.changes.entity_id)).one()
        contact = s.get(Contact, contact_id)
    assert touchpoint.occurred_at == datetime(2024, 3, 5, 1, 30, tzinfo=UTC)
    assert (touchpoint.customer_id, touchpoint.contact_id, touchpoint.user_id) == (customer_id, contact_id, org["rep"])
    assert (touchpoint.channel, touchpoint.with_whom, touchpoint.summary, touchpoint.reaction,
            touchpoint.reaction_note, touchpoint.next_step) == (
        "meeting", "王伟", "现场查看设备铭牌，客户要求报价。", "positive", "很感兴趣", "寄样品")
    assert contact.last_reached_at == touchpoint.occurred_at


def test_a_name_differing_only_in_width_and_invisible_text_show_next_to_their_fields(qtbot, context, store, org):
    make_customer(store, org["rep"], "ABB（中国）有限公司")
    sign_in(context, org["rep"])
    dialog = opened(qtbot, CustomerDialog(context))
    dialog.edits["name"].setText("ＡＢＢ(中国) 有限公司")
    dialog.notes_edit.insertPlainText("展会认识\ufffe")  # a noncharacter, as a damaged file can hold
    before = outbox(store)
    save_refused(qtbot, dialog)
    assert shows_error(dialog, "notes", "Notes contains invalid characters (text damaged in copying); "
                                        "delete them and type it again.")
    assert dialog.notes_edit.toPlainText() == "展会认识\ufffe" and outbox(store) == before
    dialog.notes_edit.setPlainText("展会认识")
    save_refused(qtbot, dialog)
    assert shows_error(dialog, "name", "'ＡＢＢ(中国) 有限公司' is the same name as the existing customer "
                                       "'ABB（中国）有限公司' (it differs only in width, spacing or case).")
    assert dialog.edits["name"].text() == "ＡＢＢ(中国) 有限公司" and outbox(store) == before


def test_pick_a_customer_by_typing_two_chinese_characters(qtbot, context, store, org):
    mine = make_customer(store, org["rep"], NAME)
    make_customer(store, org["rep"], "恒通物流（无锡）有限公司", city="无锡")
    make_customer(store, org["rep"], "杭州远景光电有限公司", region="浙江", city="杭州")
    make_customer(store, org["otherrep"], "宁波恒通塑料有限公司", region="浙江", city="宁波")  # not rep's to see
    run(store, org["rep"], "contact.add", customer_id=mine, name="王伟", decision_role="purchasing")
    sign_in(context, org["rep"])
    dialog = opened(qtbot, TouchpointDialog(context))
    picker = dialog.customer_picker
    assert picker.customer_id is None and not dialog.contact_combo.isEnabled()

    with qtbot.waitSignal(picker.sig_results, timeout=5000):
        picker.line_edit.insert("恒通")
    listed = [picker.results.item(i).text() for i in range(picker.results.count())]
    assert sorted(listed) == sorted(["恒通物流（无锡）有限公司 · 无锡", f"{NAME} · 苏州"])

    row = next(i for i, text in enumerate(listed) if text.startswith(NAME))
    for _ in range(row):
        qtbot.keyClick(picker.line_edit, Qt.Key.Key_Down)
    qtbot.keyClick(picker.line_edit, Qt.Key.Key_Return)  # picks; does not press Save
    assert picker.customer_id == mine and picker.line_edit.text() == NAME and not picker.results.isVisible()
    assert dialog.isVisible() and outbox(store)[-1][0] == "contact.add"
    qtbot.waitUntil(lambda: dialog.contact_combo.count() == 2)

    dialog.summary_edit.insertPlainText("电话确认需求")
    outcome = save(qtbot, dialog)
    with store.read() as s:
        assert s.scalars(select(Touchpoint.customer_id).where(Touchpoint.id == outcome.changes.entity_id)).one() == mine


def test_missing_customer_and_summary_are_shown_without_sending(qtbot, context, store, org):
    sign_in(context, org["rep"])
    dialog = opened(qtbot, TouchpointDialog(context))
    before = outbox(store)
    save_refused(qtbot, dialog)
    assert shows_error(dialog, "customer_id", "Customer is required.")
    assert shows_error(dialog, "summary", "What was said is required.")
    assert context.tasks.pending == 0 and outbox(store) == before

    customer_id = make_customer(store, org["rep"], NAME)
    before = outbox(store)
    with qtbot.waitSignal(dialog.customer_picker.sig_results, timeout=5000):
        dialog.customer_picker.line_edit.insert("恒通")  # typed, listed, but not chosen
    save_refused(qtbot, dialog)
    assert shows_error(dialog, "customer_id", "Choose the customer from the list under the search box.")
    assert outbox(store) == before

    preset = opened(qtbot, TouchpointDialog(context, customer_id=customer_id))
    preset.summary_edit.insertPlainText("   ")  # blanks are not a summary
    before = outbox(store)
    save_refused(qtbot, preset)
    assert shows_error(preset, "summary", "What was said is required.")
    assert not preset.errors.label("customer_id").isVisible()
    assert outbox(store) == before


def test_a_forbidden_touchpoint_shows_the_chinese_message_at_the_top(qtbot, context, store, org):
    customer_id = make_customer(store, org["rep"], NAME)
    context.language = "zh_CN"
    sign_in(context, org["finance"])
    dialog = opened(qtbot, TouchpointDialog(context, customer_id=customer_id))
    dialog.summary_edit.insertPlainText("催款")
    before = outbox(store)
    save_refused(qtbot, dialog)
    assert dialog.banner.isVisible() and dialog.errors.banner() == "您的角色无权为此客户记录触点。"
    assert dialog.summary_edit.toPlainText() == "催款"
    assert outbox(store) == before


def test_a_dialog_deleted_while_saving_ignores_the_late_answer(qtbot, context, store, org):
    """Callers may open a dialog with WA_DeleteOnClose and close it before the database answers."""
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])
    dialog = TouchpointDialog(context, customer_id=customer_id)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.is_ready)
    dialog.summary_edit.insertPlainText("拜访")
    context.tasks.run_db(lambda _store: time.sleep(0.3), lambda _future: None)  # the save queues behind this
    dialog.save()
    dialog.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    with qtbot.waitSignal(context.tasks.sig_data_changed, timeout=5000) as blocker:
        pass  # the late answer arrives; pytest-qt fails the test if handling it raises
    assert blocker.args[0].name == "touchpoint.log"
    qtbot.waitUntil(lambda: context.tasks.pending == 0)


# ---- Contacts

def test_add_edit_and_remove_a_contact(qtbot, context, store, org, monkeypatch):
    customer_id = make_customer(store, org["rep"], NAME)
    sign_in(context, org["rep"])

    add = opened(qtbot, ContactDialog(context, customer_id=customer_id))
    assert add.customer_label.text() == NAME and add.remove_button is None
    add.edits["name"].setText("李娜")
    qtbot.keyClicks(add.edits["email"], "lina@example.com")
    save_refused(qtbot, add)  # no decision role chosen yet
    assert shows_error(add, "decision_role", "Decision role is required.")
    add.role_combo.setCurrentIndex(add.role_combo.findData("technical"))
    contact_id = save(qtbot, add).changes.entity_id
    with store.read() as s:
        contact = s.get(Contact, contact_id)
    assert (contact.customer_id, contact.name, contact.decision_role, contact.email) == (
        customer_id, "李娜", "technical", "lina@example.com")

    edit = opened(qtbot, ContactDialog(context, contact_id=contact_id))
    assert edit.edits["name"].text() == "李娜" and edit.role_combo.currentData() == "technical"
    assert edit.customer_label.text() == NAME
    edit.edits["email"].setText("lina.example.com")  # only the mutation checks an address's shape
    save_refused(qtbot, edit)
    assert shows_error(edit, "email", "Email 'lina.example.com' is not valid; it should look like name@example.com.")
    edit.edits["email"].setText("lina@example.com")
    qtbot.keyClicks(edit.edits["title"], "Chief engineer")
    save(qtbot, edit)
    name, args = outbox(store)[-1]
    assert name == "contact.update" and set(args) == {"id", "title", "at"} and args["title"] == "Chief engineer"

    remove = opened(qtbot, ContactDialog(context, contact_id=contact_id))
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text: asked.append(text) or QMessageBox.StandardButton.No)
    qtbot.mouseClick(remove.remove_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "李娜" in asked[0] and remove.isVisible() and not remove.is_saving
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(remove.sig_saved, timeout=5000) as blocker:
        qtbot.mouseClick(remove.remove_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].name == "contact.remove" and not remove.isVisible()
    with store.read() as s:
        assert s.get(Contact, contact_id).deleted_at is not None
        assert live_contacts(s, customer_id) == []

    # A removed contact is no longer offered for a touchpoint.
    touchpoint = opened(qtbot, TouchpointDialog(context, customer_id=customer_id))
    assert touchpoint.contact_combo.count() == 1


# ---- Names shown for codes

def test_every_code_has_a_display_name():
    for codes, name in ((CHANNELS, labels.channel_name), (REACTIONS, labels.reaction_name),
                        (DECISION_ROLES, labels.decision_role_name), (SEGMENTS, labels.segment_name),
                        (CUSTOMER_STATUSES, labels.customer_status_name)):
        names = [name(code) for code in codes]
        assert all(n and n != code for n, code in zip(names, codes, strict=True)) and len(set(names)) == len(codes)
    assert labels.channel_name("file_sent") == "File sent" and labels.channel_name("wechat") == "WeChat"


def test_every_mutation_has_a_title_in_sync_problems():
    """Every registered change has words of its own, so a misspelt key (contact.create for contact.add) or a
    new mutation without a title shows up."""
    from desktop.mutations import REGISTRY
    from ui.labels import mutation_title

    titles = {name: mutation_title(name) for name in REGISTRY}
    other = mutation_title("no.such_change")
    assert other == "Other change"  # never the raw name
    assert all(title and title != other for title in titles.values()), titles
    assert len(set(titles.values())) == len(titles)
