"""Changes the server refused (or that no longer apply here): the user's version beside the server's.

Each can be let go (Discard); sent again as it is (Send again), when the reason may have gone - the
same mutation is queued again and the problem stays, marked as waiting, until the server answers (for
a change someone else overwrote unseen, the same button applies the user's value again as a new
change: "Apply my value again"); or,
for the changes that have a form, corrected and sent again (Edit and resend): the form opens with the
user's refused values, the stored (server's) value under each field that differs; saving runs a new
mutation the normal way and sets the old problem aside. Fields are shown under their labels with values
as the user knows them (ui.problem_text): no id, hash or stored code.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import problem_views, remote, reread, timeutil
from desktop.errors import DomainError
from desktop.models import Contact, Customer, Touchpoint, User
from desktop.mutations.common import by_id
from desktop.permissions import can_see_customer
from desktop.store import Store
from ui.context import AppContext
from ui.forms import FormDialog, open_form
from ui.freshness import Freshness
from ui.labels import local_time
from ui.ops import QueryOp
from ui.problem_text import as_time, field_label, shown_items, title, value_text

# Changes that have a form to correct them in.
RESENDABLE = frozenset({"customer.create", "customer.update", "contact.add", "contact.update", "touchpoint.log",
                        "visit.submit"})
CUSTOMER_GONE, CONTACT_GONE, VISIT_GONE = "customer_gone", "contact_gone", "visit_gone"


class SyncProblemsPage(QWidget):
    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.problems: list = []
        self.views: dict[int, problem_views.ProblemView] = {}  # problem id -> what the page shows of it
        self._send_errors: dict[int, str] = {}  # problem id -> why Send again did not queue it (shown)
        self.editor: FormDialog | None = None  # the form of the last Edit and resend
        self._blocked: dict[int, str] = {}  # problem id -> why it cannot be edited (CUSTOMER_GONE, ...)
        self.title = QLabel(self.tr("Changes the server did not accept, or that someone else's edit replaced"))
        self.title.setStyleSheet("font-weight: bold;")
        self.empty_label = QLabel(self.tr("No sync problems: the server has refused none of the changes sent from this computer."))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.list_widget = QWidget()
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list_widget)
        self.scroll = scroll
        # Why this computer read all its data again (the server restored or replaced), until dismissed.
        self.notice = QFrame()
        self.notice.setObjectName("reset_notice")
        self.notice.setFrameShape(QFrame.Shape.StyledPanel)
        notice_layout = QHBoxLayout(self.notice)
        self.notice_label = QLabel()
        self.notice_label.setWordWrap(True)
        notice_layout.addWidget(self.notice_label, 1)
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.setObjectName("dismiss_notice")
        self.dismiss_button.clicked.connect(self.dismiss_notice)
        notice_layout.addWidget(self.dismiss_button)
        self.notice.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.notice)
        layout.addWidget(self.empty_label, 1)  # one of the two is shown, and takes the space
        layout.addWidget(scroll, 1)
        self.freshness = Freshness(self, context.tasks, self.refresh)
        self.refresh()

    def refresh(self) -> None:
        QueryOp(self.context.tasks, _read).success(self._show).run()
        QueryOp(self.context.tasks, lambda store: remote.read_state(store).reset_notice) \
            .success(self._show_notice).run()

    def dismiss_notice(self) -> None:
        """The user has read why everything was read again: the notice goes (on the database thread)."""
        def done(future) -> None:
            future.result()
            self.context.tasks.sig_data_changed.emit(None)

        self.context.tasks.run_db(reread.dismiss, done, writes=True)

    def _show_notice(self, notice: dict[str, Any] | None) -> None:
        self.notice.setVisible(bool(notice))
        if not notice:
            return
        zh = self.context.language.lower().startswith("zh")
        at = notice.get("done_at") or notice.get("at")
        since = self.tr("Since %1").replace("%1", local_time(timeutil.from_text(at))) if at else ""
        self.notice_label.setText("\n".join(text for text in (str(notice.get("message_zh" if zh else "message_en") or ""),
                                                              str(notice.get("detail_zh" if zh else "detail_en") or ""),
                                                              since) if text))
        self.dismiss_button.setEnabled(bool(notice.get("done_at")))  # under way: it can go once the re-read is done

    def discard(self, problem_id: int) -> None:
        """The user lets this change go: the problem is resolved (on the database thread)."""
        def done(future) -> None:
            future.result()
            self.context.tasks.sig_data_changed.emit(None)

        self.context.tasks.run_db(lambda store: remote.resolve_problem(store, problem_id), done, writes=True)

    def send_again(self, problem_id: int) -> None:
        """Queue the refused change again as it is (on the database thread); the next sync sends it."""
        view = self.views.get(problem_id)
        if view is None or not view.can_send_again or self.context.user is None:
            return
        user_id = self.context.user_id
        self._send_errors.pop(problem_id, None)

        def done(future) -> None:
            try:
                outcome = future.result()
            except DomainError as exc:  # it no longer applies here: say why, keep the problem as it is
                self._send_errors[problem_id] = self._send_error_text(exc)
                self._show(list(self.views.values()))
                return
            self.context.tasks.sig_data_changed.emit(outcome)  # a change to send: background sync schedules it

        self.context.tasks.run_db(lambda store: remote.send_again(store, problem_id, user_id), done, writes=True)

    def _send_error_text(self, exc: DomainError) -> str:
        if exc.code == "not_found":  # its message names the missing row by id, which means nothing to a person
            return self.tr("What this change was about is no longer on this computer (it was discarded, or "
                           "given to someone else), so it cannot be sent again. Discard this problem.")
        return self.tr("This change cannot be sent again as it is: %1").replace(
            "%1", exc.message(self.context.language))

    def send_error(self, problem_id: int) -> str:
        """Why the last Send again of this problem was not queued ("" when it was, or was not tried)."""
        return self._send_errors.get(problem_id, "")

    def edit_and_resend(self, problem_id: int) -> None:
        """Check (on the database thread) that what the change is about is still here, then open its form."""
        problem = next((p for p in self.problems if p.id == problem_id), None)
        if problem is None or problem.mutation not in RESENDABLE or self.context.user is None:
            return
        user_id, name, args = self.context.user_id, problem.mutation, dict(problem.args or {})
        QueryOp(self.context.tasks, lambda store: _blocker(store, user_id, name, args)) \
            .success(lambda blocker: self._open_editor(problem, blocker)).run()

    def blocked_reason(self, problem_id: int) -> str:
        """Why this problem's change cannot be edited and sent again ("" when it can, as far as known)."""
        code = self._blocked.get(problem_id)
        if code == CUSTOMER_GONE:
            return self.tr("You can no longer see this customer on this computer (it may have been given to "
                           "someone else), so this change cannot be corrected and sent again. Discard it, or "
                           "ask the customer's owner to make it.")
        if code == VISIT_GONE:
            return self.tr("This visit is no longer on this computer (it was discarded, or its customer was given "
                           "to someone else), so it cannot be corrected here. Discard this problem.")
        if code == CONTACT_GONE:
            return self.tr("This contact is no longer on this computer, so this change cannot be corrected "
                           "and sent again. Discard it.")
        return ""

    # ---- Private API

    def _open_editor(self, problem, blocker: str | None) -> None:
        if blocker is not None:
            self._blocked[problem.id] = blocker
            self._show(list(self.views.values()))
            return
        from ui.dialogs.contact_dialog import ContactDialog
        from ui.dialogs.customer_dialog import CustomerDialog
        from ui.dialogs.touchpoint_dialog import TouchpointDialog

        args = dict(problem.args or {})
        name = problem.mutation
        if name == "visit.submit":  # the visit is a draft again: fix it and submit; an accepted submit settles this
            from ui.dialogs.visit_dialog import VisitDialog

            self.editor = VisitDialog(self.context, self, visit_id=args.get("id"))
            open_form(self.editor)
            return
        dialog: FormDialog
        if name == "customer.create":
            dialog = CustomerDialog(self.context, self, initial=args)
        elif name == "customer.update":
            dialog = CustomerDialog(self.context, self, customer_id=args.get("id"), initial=args)
        elif name == "contact.add":
            dialog = ContactDialog(self.context, self, customer_id=args.get("customer_id"), initial=args)
        elif name == "contact.update":
            dialog = ContactDialog(self.context, self, contact_id=args.get("id"), initial=args)
        else:
            dialog = TouchpointDialog(self.context, self, customer_id=args.get("customer_id"), initial=args)
        zh = self.context.language.lower().startswith("zh")
        reason = problem.message_zh if zh else problem.message_en
        if problem.source == "overwritten":
            dialog.show_note(self.tr("%1\nSave to set your values again as a new change. Cancel leaves everything "
                                     "as it is.").replace("%1", reason))
        else:
            dialog.show_note(self.tr("The server did not accept this change: %1\nCorrect it and save to send it "
                                     "as a new change. Cancel leaves everything as it is.").replace("%1", reason))
        dialog.sig_saved.connect(lambda _outcome, pid=problem.id: self._resolve(pid))  # type: ignore[attr-defined]
        self.editor = dialog
        open_form(dialog)

    def _resolve(self, problem_id: int) -> None:
        """The corrected change was saved as a new one: the refused one is dealt with."""
        self.discard(problem_id)

    def _show(self, views: list) -> None:
        self.views = {view.problem.id: view for view in views}
        self.problems = [view.problem for view in views]
        while self.list_layout.count() > 1:
            item = self.list_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for view in views:
            self.list_layout.insertWidget(self.list_layout.count() - 1, self._card(view))
        self.empty_label.setVisible(not views)
        self.scroll.setVisible(bool(views))

    def _card(self, view: problem_views.ProblemView) -> QWidget:
        problem = view.problem
        card = QFrame()
        card.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(card)
        head = QHBoxLayout()
        heading = QLabel(title(view))
        heading.setObjectName("problem_title")
        heading.setStyleSheet("font-weight: bold;")
        heading.setWordWrap(True)
        head.addWidget(heading, 1)
        again = QPushButton(self.tr("Apply my value again") if view.overwritten else self.tr("Send again"))
        again.setObjectName("send_again")
        if view.waiting:
            again.setEnabled(False)
            again.setToolTip(self.tr("Sent again: waiting for the server's answer at the next sync."))
        elif view.missing_file:
            again.setEnabled(False)
            again.setToolTip(self.tr("The file is no longer on this computer, so it cannot be sent again."))
        elif not view.can_send_again:
            again.setEnabled(False)
            again.setToolTip(self.tr("This change is still waiting to be sent; the server decides at the next "
                                     "sync."))
        elif view.overwritten:
            again.setToolTip(self.tr("Set your value again as a new change, on top of the other person's; it "
                                     "goes to the server with the next sync and replaces theirs."))
        else:
            again.setToolTip(self.tr("Send this change again exactly as it is, for when the reason has gone "
                                     "(a permission granted, the server upgraded). If the server refuses it "
                                     "again, it comes back here with the new reason."))
        again.clicked.connect(lambda _checked=False, pid=problem.id: self.send_again(pid))
        head.addWidget(again)
        edit = QPushButton(self.tr("Edit and resend…"))
        edit.setObjectName("edit_and_resend")
        blocked = self.blocked_reason(problem.id)
        if problem.mutation not in RESENDABLE:
            edit.setEnabled(False)
            edit.setToolTip(self.tr("Fieldmark has no form for this kind of change, so it cannot be corrected "
                                    "here; send it again as it is, or discard it and ask an administrator if "
                                    "it is still needed."))
        elif view.waiting:
            edit.setEnabled(False)
            edit.setToolTip(self.tr("Sent again: waiting for the server's answer at the next sync."))
        elif blocked:
            edit.setEnabled(False)
            edit.setToolTip(blocked)
        else:
            edit.setToolTip(self.tr("Open the form with your values, correct them and save: the corrected "
                                    "change is sent as a new one and this one is set aside."))
        edit.clicked.connect(lambda _checked=False, pid=problem.id: self.edit_and_resend(pid))
        head.addWidget(edit)
        button = QPushButton(self.tr("Discard"))
        button.setObjectName("discard")
        if view.waiting:
            button.setToolTip(self.tr("Stop showing this problem. The change sent again still goes to the "
                                      "server; if the server refuses it, it comes back here."))
        elif view.overwritten:
            button.setToolTip(self.tr("Keep the other person's value; yours stays in the customer's history."))
        else:
            button.setToolTip(self.tr("Let this change go; the server's version stays."))
        button.clicked.connect(lambda _checked=False, pid=problem.id: self.discard(pid))
        head.addWidget(button)
        layout.addLayout(head)
        notes = [(blocked, "blocked"), (self.send_error(problem.id), "send_error")]
        if view.missing_file:
            notes.append((self.tr("The file %1 is no longer on this computer: it cannot be sent again.")
                          .replace("%1", view.missing_file), "missing_file"))
        for text, name in notes:
            if text:
                note = QLabel(text)
                note.setObjectName(name)
                note.setWordWrap(True)
                note.setStyleSheet("color: #b00020;")
                layout.addWidget(note)
        if view.waiting:
            waiting = QLabel(self.tr("Sent again: waiting for the server's answer at the next sync."))
            waiting.setObjectName("waiting")
            waiting.setWordWrap(True)
            layout.addWidget(waiting)
        zh = self.context.language.lower().startswith("zh")
        reason = QLabel(problem.message_zh if zh else problem.message_en)
        reason.setObjectName("reason")
        reason.setWordWrap(True)
        layout.addWidget(reason)
        when = as_time((problem.args or {}).get("at"))
        if when is not None:
            made = QLabel(self.tr("Made on this computer: %1").replace("%1", local_time(when)))
            made.setObjectName("made_at")
            layout.addWidget(made)
        if shown_items(view):  # a submit or a removal carries nothing but what it is about (in the title)
            layout.addWidget(self._table(view))
        card.setProperty("problem_id", problem.id)
        return card

    def _table(self, view: problem_views.ProblemView) -> QWidget:
        """The user's version beside the server's, field by field, as the dialogs name and show them."""
        items = shown_items(view)
        known = view.problem.server_row is not None
        table = QTableWidget(len(items), 2 if known else 1)
        table.setObjectName("comparison")
        table.setHorizontalHeaderLabels([self.tr("Your version"), self.tr("Server's version")] if known
                                        else [self.tr("Your version (new: the server has no earlier version)")])
        table.setVerticalHeaderLabels([field_label(item, self.context.language) for item in items])
        for row, item in enumerate(items):
            mine = QTableWidgetItem(value_text(item, item.mine, view.refs))
            table.setItem(row, 0, mine)
            if item.key == view.problem.field:  # the field the server's reason is about
                header = table.verticalHeaderItem(row)
                header.setForeground(QColor("#b00020"))
                header.setToolTip(self.tr("The server's reason is about this field."))
            if known:
                theirs = QTableWidgetItem(value_text(item, item.server, view.refs))
                if theirs.text() != mine.text():  # where the two differ is what the user has to decide on
                    font = theirs.font()
                    font.setBold(True)
                    theirs.setFont(font)
                    mine.setFont(font)
                table.setItem(row, 1, theirs)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnsToContents()
        table.resizeRowsToContents()
        rows_height = sum(table.rowHeight(row) for row in range(table.rowCount()))
        table.setFixedHeight(min(300, table.horizontalHeader().sizeHint().height() + rows_height
                                 + 2 * table.frameWidth() + 2))  # the card as tall as its rows, scrolling past 300
        return table


def _blocker(store: Store, user_id: str, name: str, args: dict[str, Any]) -> str | None:
    """Why the change's form cannot open here (CUSTOMER_GONE, CONTACT_GONE), or None (database thread)."""
    with store.read() as session:
        user = session.get(User, user_id)
        if name == "customer.create":
            return None
        if name == "visit.submit":
            visit = by_id(session, Touchpoint, args["id"]) if isinstance(args.get("id"), str) else None
            return VISIT_GONE if visit is None or visit.user_id != user_id else None
        if name == "contact.update":
            contact = by_id(session, Contact, args["id"]) if isinstance(args.get("id"), str) else None
            if contact is None or contact.deleted_at is not None:
                return CONTACT_GONE
            customer_id = contact.customer_id
        else:
            customer_id = args.get("id") if name == "customer.update" else args.get("customer_id")
        customer = by_id(session, Customer, customer_id) if isinstance(customer_id, str) else None
        if customer is None or customer.deleted_at is not None or user is None \
                or not can_see_customer(session, user, customer):
            return CUSTOMER_GONE
        return None


def _read(store) -> list:
    return problem_views.read(store)
