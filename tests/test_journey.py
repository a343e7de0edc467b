"""A whole working day through the real widgets: a rep signs in, finds a customer, logs a meeting, and
their manager, signing in next on the same desktop, sees it in the team's activity."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from desktop.models import OutboxEntry
from tests.conftest import PASSWORD, make_customer
from ui.context import AppContext
from ui.dialogs.touchpoint_dialog import TouchpointDialog
from ui.startup import Application


@pytest.fixture
def application(qapp, qtbot, store, org):
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QSettings().clear()
    make_customer(store, org["rep"], "苏州恒通精密机械有限公司")
    make_customer(store, org["rep"], "无锡华创电子科技有限公司", city="无锡")
    app = Application(qapp, AppContext(store, "en"))
    qtbot.addWidget(app.window)
    yield app
    app.context.tasks.shutdown()


def sign_in(qtbot, application, username: str) -> None:
    application.ask_sign_in()
    dialog = application.sign_in_dialog
    qtbot.addWidget(dialog)
    dialog.select_user(username)
    dialog.password_edit.setText(PASSWORD)
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: application.window.isVisible() and application.context.user is not None)
    assert application.context.user.username == username


def test_a_touchpoint_logged_by_a_rep_reaches_the_managers_team_activity(qtbot, application, store):
    window = application.window
    sign_in(qtbot, application, "rep")
    assert window.current_key() == "my_customers"
    page = window.pages["my_customers"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)

    page.filter_edit.setText("恒通")  # typed through the input method
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.select_row(0)
    qtbot.waitUntil(lambda: page.detail.name_label.text() == "苏州恒通精密机械有限公司")

    page.detail.log_button.click()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, TouchpointDialog) and w.isVisible())
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.is_ready)
    dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("meeting"))
    dialog.summary_edit.setPlainText("会议沟通，查看设备铭牌照片，客户关注交期。")
    dialog.next_step_edit.setText("下周二前发送修订版报价")
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
        dialog.save()
    qtbot.waitUntil(lambda: page.detail.timeline.count() > 0 and "设备铭牌照片" in page.detail.timeline.item(0).text())
    qtbot.waitUntil(lambda: window.status.pending_label.text() == "3 change(s) waiting to be sent")
    with store.read() as s:
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.name == "touchpoint.log")).one()
        assert entry.args["summary"].startswith("会议沟通")

    window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: not window.isVisible())
    sign_in(qtbot, application, "manager")
    assert window.current_key() == "team_activity"
    team = window.pages["team_activity"]
    qtbot.waitUntil(lambda: team.model.rowCount() == 1)
    row = team.model.rows[0]
    assert (row.customer_name, row.user_name, row.channel) == ("苏州恒通精密机械有限公司", "Rep", "meeting")
    assert row.next_step == "下周二前发送修订版报价"
