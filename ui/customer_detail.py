"""One customer: profile, contacts, and the whole touchpoint trail, newest first, read as you scroll.

Everything is read on the database thread (desktop.customer_profile); each request carries a
generation number so that a reply for a customer no longer shown is dropped. The trail is read a
page at a time with keyset paging: scrolling near the bottom asks for the page before the last entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop import change_history, customer_profile
from desktop.customer_profile import CustomerProfile, TimelineEntry
from desktop.cut import Cut
from desktop.store import Store
from ui.context import AppContext
from ui.forms import open_form
from ui.labels import (
    channel_name,
    customer_status_name,
    cut_text,
    decision_role_name,
    local_time,
    money_text,
    reaction_name,
    relative_time,
    segment_name,
)
from ui.ops import QueryOp, describe
from ui.problem_text import field_label, value_text
from ui.signals import blocked

TIMELINE_PAGE = 50
# After a data change the trail is read again down to where the user had scrolled, up to this many.
RELOAD_LIMIT = 1000
SEARCH_LIMIT = 200
# Ask for older entries when the scroll bar is this close (in pixels) to its end.
LOAD_MARGIN = 200


class CustomerDetail(QWidget):
    """The customer detail beside the list. Call :meth:`show_customer`; it refreshes itself on data changes."""

    sig_loaded = Signal(str)
    """The profile and the first page of the trail of this customer id are shown."""

    sig_timeline_loaded = Signal(int)
    """Trail entries were added or replaced; carries how many entries the trail now shows."""

    sig_search_done = Signal(int)
    """A search over this customer's touchpoints finished; carries the number of matches."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.customer_id: str | None = None
        self.profile: CustomerProfile | None = None
        self.entries: list[TimelineEntry] = []
        self.timeline_complete = False
        self.searching = False
        self._generation = 0  # bumped by every read of the profile and trail: older answers are dropped
        self._search_generation = 0  # the same for searches
        self._loading_older = False
        self._stale = False  # data changed while out of sight
        self._rendering = False
        self._build()
        context.tasks.sig_data_changed.connect(self._on_data_changed)

    # ---- Public API

    def show_customer(self, customer_id: str | None) -> None:
        """Show this customer (None: nothing), reading profile and the newest touchpoints."""
        self.customer_id = customer_id
        self._search_timer.stop()
        with blocked(self.search_edit):
            self.search_edit.clear()
        self.searching = False
        if customer_id is None:
            self._generation += 1
            self._search_generation += 1
            self.profile = None
            self._show_message(self.tr("Select a customer to see its profile, contacts and touchpoints."))
            return
        self._load(customer_id, TIMELINE_PAGE, keep_scroll=False)

    def contact_id_selected(self) -> str | None:
        row = self.contacts_table.currentRow()
        if self.profile is None or not 0 <= row < len(self.profile.contacts):
            return None
        return self.profile.contacts[row].id

    # ---- Qt events

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self._on_data_changed(None)
        else:
            QTimer.singleShot(0, self, self._maybe_load_older)  # laid out by then

    # ---- Private API: building

    def _build(self) -> None:
        self.stack = QStackedWidget()
        self.message_label = QLabel()
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setWordWrap(True)
        self.stack.addWidget(self.message_label)

        content = QWidget()
        self.name_label = QLabel()
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.name_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setWordWrap(True)

        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, caption in (("short_name", self.tr("Short name:")), ("owner", self.tr("Owner:")),
                             ("region", self.tr("Region / city:")), ("address", self.tr("Address:")),
                             ("industry", self.tr("Industry:")), ("segment", self.tr("Segment:")),
                             ("status", self.tr("Status:")), ("phone", self.tr("Phone:")),
                             ("credit_limit", self.tr("Credit limit:")), ("notes", self.tr("Notes:"))):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = label
            form.addRow(caption, label)

        self.edit_button = QPushButton(self.tr("Edit customer…"))
        self.add_contact_button = QPushButton(self.tr("Add contact…"))
        self.edit_contact_button = QPushButton(self.tr("Edit contact…"))
        self.log_button = QPushButton(self.tr("Log touchpoint…"))
        self.visit_button = QPushButton(self.tr("Record visit…"))
        self.visit_button.clicked.connect(self._record_visit)
        self.quote_button = QPushButton(self.tr("New quote…"))
        self.quote_button.clicked.connect(self._new_quote)
        self.edit_button.clicked.connect(self._edit_customer)
        self.add_contact_button.clicked.connect(self._add_contact)
        self.edit_contact_button.clicked.connect(self._edit_contact)
        self.log_button.clicked.connect(self._log_touchpoint)
        # Two short rows rather than one of four buttons: the detail must not force a wide window.
        buttons = QHBoxLayout()
        for button in (self.edit_button, self.log_button, self.visit_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        sales_buttons = QHBoxLayout()
        sales_buttons.addWidget(self.quote_button)
        sales_buttons.addStretch(1)
        contacts_header = QHBoxLayout()
        contacts_header.addWidget(QLabel(self.tr("Contacts")))
        contacts_header.addStretch(1)
        for button in (self.add_contact_button, self.edit_contact_button):
            contacts_header.addWidget(button)

        self.contacts_table = QTableWidget(0, 7)
        self.contacts_table.setHorizontalHeaderLabels([
            self.tr("Name"), self.tr("Title"), self.tr("Decision role"), self.tr("Phone"), self.tr("WeChat"),
            self.tr("Email"), self.tr("Last reached")])
        self.contacts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.contacts_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.contacts_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.contacts_table.verticalHeader().hide()
        self.contacts_table.horizontalHeader().setStretchLastSection(True)
        self.contacts_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.contacts_table.itemSelectionChanged.connect(self._update_buttons)
        self.contacts_table.itemDoubleClicked.connect(lambda _item: self._edit_contact())

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.name_label)
        top_layout.addLayout(form)
        top_layout.addLayout(buttons)
        top_layout.addLayout(sales_buttons)
        top_layout.addLayout(contacts_header)
        top_layout.addWidget(self.contacts_table, 1)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Search this customer's touchpoints"))
        self.search_edit.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._search)
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.timeline_status = QLabel()
        self.timeline_status.setWordWrap(True)  # a long status must not widen the window
        self.timeline = QListWidget()
        self.timeline.setWordWrap(True)
        self.timeline.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.timeline.setResizeMode(QListView.ResizeMode.Adjust)
        self.timeline.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.timeline.itemDoubleClicked.connect(self._open_entry)
        self.timeline.verticalScrollBar().valueChanged.connect(lambda _v: self._maybe_load_older())
        self.timeline.verticalScrollBar().rangeChanged.connect(lambda _a, _b: self._maybe_load_older())

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.addWidget(QLabel(self.tr("Touchpoints")))
        header.addWidget(self.search_edit, 1)
        bottom_layout.addLayout(header)
        bottom_layout.addWidget(self.timeline, 1)
        bottom_layout.addWidget(self.timeline_status)

        # Who changed what and when, from the server's records of the customer and its contacts.
        self.history = QListWidget()
        self.history.setObjectName("history")
        self.history.setWordWrap(True)
        self.history.setAlternatingRowColors(True)
        self.history_status = QLabel()
        self.history_status.setWordWrap(True)
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(QLabel(self.tr("Change history")))
        history_layout.addWidget(self.history, 1)
        history_layout.addWidget(self.history_status)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.addWidget(history)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 1)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.stack.addWidget(content)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self._show_message(self.tr("Select a customer to see its profile, contacts and touchpoints."))

    # ---- Private API: reading

    def _load(self, customer_id: str, limit: int, *, keep_scroll: bool,
              not_before: tuple[datetime, int] | None = None) -> None:
        """Read profile and the newest ``limit`` entries (down to ``not_before``); the reply replaces what is shown."""
        self._generation += 1
        generation = self._generation
        self._search_generation += 1
        search_generation = self._search_generation
        self._loading_older = False
        user_id = self.context.user_id
        query = self.search_edit.text().strip() if self.searching else ""

        def op(store: Store) -> tuple[CustomerProfile, list[TimelineEntry], Cut[TimelineEntry] | None]:
            with store.read() as session:
                profile = customer_profile.load_profile(session, user_id, customer_id)
                entries = customer_profile.timeline_page(session, user_id, customer_id, limit=limit,
                                                         not_before=not_before)
                found = (customer_profile.search_timeline_cut(session, user_id, customer_id, query,
                                                              limit=SEARCH_LIMIT) if query else None)
                return profile, entries, found

        def done(result: tuple[CustomerProfile, list[TimelineEntry], Cut[TimelineEntry] | None]) -> None:
            if not isValid(self) or generation != self._generation:
                return
            profile, entries, found = result
            self._show_profile(profile)
            self.entries = entries
            # Read down to a shown row: older ones exist beyond it (touchpoints are never removed).
            self.timeline_complete = not_before is None and len(entries) < limit
            if not self.searching:
                self._render(entries, keep_scroll=keep_scroll)
                self._show_timeline_status()
            elif found is not None and search_generation == self._search_generation:
                self._render(found.rows, keep_scroll=keep_scroll)
                self._show_search_status(found)
            # else: a newer search is on its way and shows its own answer
            self.sig_loaded.emit(customer_id)
            self.sig_timeline_loaded.emit(len(self.entries))
            self._maybe_load_older()

        QueryOp(self.context.tasks, op).success(done).failure(lambda exc: self._failed(generation, exc)).run()
        self._load_history(customer_id, generation)

    def _load_history(self, customer_id: str, generation: int) -> None:
        """Read the customer's change history (after its profile: a customer the user may not see fails there)."""
        user_id = self.context.user_id

        def op(store: Store) -> tuple[list[change_history.HistoryEntry], dict[str, str]]:
            with store.read() as session:
                customer_profile.load_profile(session, user_id, customer_id)  # may the user see it?
                return change_history.customer_history(session, customer_id)

        def done(result: tuple[list[change_history.HistoryEntry], dict[str, str]]) -> None:
            if isValid(self) and generation == self._generation:
                self._show_history(*result)

        QueryOp(self.context.tasks, op).success(done).failure(lambda _exc: None).run()

    def _show_history(self, entries: list[change_history.HistoryEntry], names: dict[str, str]) -> None:
        from desktop.problem_views import Item, Ref

        refs: dict[str, Ref | None] = {user_id: Ref("users", name) for user_id, name in names.items()}
        self.history.clear()
        for entry in entries:
            head = f"{local_time(entry.changed_at)} · {entry.user_name}"
            subject = self.tr("Contact %1").replace("%1", entry.contact_name) if entry.table == "contacts" else ""
            if entry.action == "create":
                what = (self.tr("Added contact %1").replace("%1", entry.contact_name) if entry.table == "contacts"
                        else self.tr("Created the customer"))
            elif entry.action == "remove":
                what = self.tr("Removed contact %1").replace("%1", entry.contact_name)
            else:
                item = Item(entry.key, entry.label, entry.kind, None, None) if entry.label is not None else None
                label = field_label(item, self.context.language) if item is not None else self.tr("Other field")
                empty = self.tr("(empty)")
                old = (value_text(item, entry.old, refs) if item is not None else "") or empty
                new = (value_text(item, entry.new, refs) if item is not None else "") or empty
                what = f"{subject} · " if subject else ""
                what += self.tr("%1: %2 → %3").replace("%1", label).replace("%2", old).replace("%3", new)
                if entry.overwrote_name:
                    what += " " + self.tr("(overwrote %1's value without having seen it)").replace(
                        "%1", entry.overwrote_name)
            self.history.addItem(QListWidgetItem(f"{head}\n{what}"))
        self.history_status.setText("" if entries else self.tr("No changes recorded by the server yet."))

    def _maybe_load_older(self) -> None:
        """Read the page before the last entry when the trail is scrolled near its end (or does not fill it)."""
        if (self.customer_id is None or self.searching or self.timeline_complete or self._loading_older
                or self._rendering or not self.entries or self.stack.currentIndex() != 1
                or not self.timeline.isVisible()):
            return
        bar = self.timeline.verticalScrollBar()
        if bar.maximum() - bar.value() > LOAD_MARGIN:
            return
        self._loading_older = True
        generation = self._generation
        customer_id, user_id = self.customer_id, self.context.user_id
        before = self.entries[-1].cursor

        def op(store: Store) -> list[TimelineEntry]:
            with store.read() as session:
                return customer_profile.timeline_page(session, user_id, customer_id, limit=TIMELINE_PAGE,
                                                      before=before)

        def done(older: list[TimelineEntry]) -> None:
            if not isValid(self) or generation != self._generation:
                return
            self._loading_older = False
            self.entries.extend(older)
            self.timeline_complete = len(older) < TIMELINE_PAGE
            if not self.searching:
                self._append(older)
                self._show_timeline_status()
            self.sig_timeline_loaded.emit(len(self.entries))
            self._maybe_load_older()

        QueryOp(self.context.tasks, op).success(done).failure(lambda exc: self._failed(generation, exc)).run()

    def _search(self) -> None:
        query = self.search_edit.text().strip()
        if self.customer_id is None:
            return
        self._search_generation += 1
        search_generation = self._search_generation
        if not query:
            self.searching = False  # a search still running must not replace the trail
            self._render(self.entries, keep_scroll=False)
            self._show_timeline_status()
            self._maybe_load_older()
            return
        self.searching = True
        customer_id, user_id = self.customer_id, self.context.user_id
        self.timeline_status.setText(self.tr("Searching…"))

        def op(store: Store) -> Cut[TimelineEntry]:
            with store.read() as session:
                return customer_profile.search_timeline_cut(session, user_id, customer_id, query, limit=SEARCH_LIMIT)

        def done(found: Cut[TimelineEntry]) -> None:
            if not isValid(self) or search_generation != self._search_generation:
                return
            self._render(found.rows, keep_scroll=False)
            self._show_search_status(found)
            self.sig_search_done.emit(len(found.rows))

        def failed(exc: Exception) -> None:
            if isValid(self) and search_generation == self._search_generation:
                self.timeline_status.setText(describe(exc, self.context.language))

        QueryOp(self.context.tasks, op).success(done).failure(failed).run()

    def _on_data_changed(self, _outcome: Any) -> None:
        if self.customer_id is None or self.context.user is None:
            return
        if not self.isVisible():
            self._stale = True  # read again when shown (showEvent)
            return
        self._stale = False
        # Read again down to the last entry shown, so the view stays where it was and whatever was
        # logged meanwhile appears above it.
        if self.entries and not self.timeline_complete:
            self._load(self.customer_id, RELOAD_LIMIT, keep_scroll=True, not_before=self.entries[-1].cursor)
        else:
            self._load(self.customer_id, max(TIMELINE_PAGE, min(len(self.entries) + 1, RELOAD_LIMIT)),
                       keep_scroll=True)

    def _failed(self, generation: int, exc: Exception) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self._loading_older = False
        self._show_message(describe(exc, self.context.language))

    # ---- Private API: showing

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.stack.setCurrentIndex(0)
        self._update_buttons()

    def _show_profile(self, profile: CustomerProfile) -> None:
        selected = self.contact_id_selected()
        self.profile = profile
        self.name_label.setText(profile.name)
        values = {
            "short_name": profile.short_name,
            "owner": profile.owner_name,
            "region": " / ".join(v for v in (profile.region, profile.city) if v),
            "address": profile.address,
            "industry": profile.industry,
            "segment": segment_name(profile.segment),
            "status": customer_status_name(profile.status),
            "phone": profile.phone,
            "credit_limit": money_text(profile.credit_limit),
            "notes": profile.notes,
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        table = self.contacts_table
        with blocked(table):
            table.setRowCount(len(profile.contacts))
            for row, contact in enumerate(profile.contacts):
                cells = (contact.name, contact.title, decision_role_name(contact.decision_role), contact.phone,
                         contact.wechat, contact.email, relative_time(contact.last_reached_at))
                for column, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if column == 6:
                        item.setToolTip(local_time(contact.last_reached_at))
                    table.setItem(row, column, item)
            ids = [c.id for c in profile.contacts]
            table.clearSelection()
            if selected in ids:
                table.selectRow(ids.index(selected))
        self.stack.setCurrentIndex(1)
        self._update_buttons()

    def _render(self, entries: list[TimelineEntry], *, keep_scroll: bool) -> None:
        bar = self.timeline.verticalScrollBar()
        position = bar.value() if keep_scroll else 0
        self._rendering = True
        try:
            self.timeline.clear()
            self._append(entries)
            bar.setValue(position)
        finally:
            self._rendering = False

    def _append(self, entries: list[TimelineEntry]) -> None:
        rendering, self._rendering = self._rendering, True
        try:
            for entry in entries:
                self.timeline.addItem(self._item(entry))
            # Lay the items out now, not on the next turn of the event loop, so that the scroll bar's
            # range is true when we decide whether older entries are needed.
            if self.timeline.isVisible():
                self.timeline.doItemsLayout()
        finally:
            self._rendering = rendering

    def _item(self, entry: TimelineEntry) -> QListWidgetItem:
        head = f"{local_time(entry.occurred_at)} · {channel_name(entry.channel)} · {entry.user_name}"
        if entry.with_whom:
            head += " → " + entry.with_whom
        if entry.status == "draft":
            head += " · " + self.tr("draft")
        lines = [head, entry.summary]
        reaction = reaction_name(entry.reaction)
        if entry.reaction_note:
            reaction += " — " + entry.reaction_note
        lines.append(self.tr("Reaction: %1").replace("%1", reaction))
        if entry.next_step:
            step = entry.next_step
            if entry.next_step_due is not None:
                step += " " + self.tr("(due %1)").replace("%1", local_time(entry.next_step_due))
            lines.append(self.tr("Next step: %1").replace("%1", step))
        item = QListWidgetItem("\n".join(lines))
        item.setData(Qt.ItemDataRole.UserRole, entry.id)
        item.setData(Qt.ItemDataRole.UserRole + 1, entry.channel)
        return item

    def _show_timeline_status(self) -> None:
        total = self.profile.touchpoint_count if self.profile else len(self.entries)
        if not self.entries:
            self.timeline_status.setText(self.tr("No touchpoints yet."))
        elif self.timeline_complete:
            self.timeline_status.setText(self.tr("All %n touchpoint(s) shown.", "", len(self.entries)))
        else:
            self.timeline_status.setText(self.tr("%1 of %2 touchpoints shown; scroll down for older ones.")
                                         .replace("%1", str(len(self.entries))).replace("%2", str(total)))

    def _show_search_status(self, found: Cut[TimelineEntry]) -> None:
        if not found.rows:
            self.timeline_status.setText(self.tr("No touchpoint of this customer matches."))
        elif found.is_cut:
            self.timeline_status.setText(cut_text(len(found.rows), found.total, found.more))
        else:
            self.timeline_status.setText(self.tr("%n touchpoint(s) match.", "", len(found.rows)))

    def _update_buttons(self) -> None:
        profile = self.profile if self.stack.currentIndex() == 1 else None
        can_edit = profile is not None and profile.can_edit
        self.edit_button.setEnabled(can_edit)
        self.add_contact_button.setEnabled(can_edit)
        self.edit_contact_button.setEnabled(can_edit and self.contact_id_selected() is not None)
        self.log_button.setEnabled(profile is not None and profile.can_log_touchpoint)
        self.visit_button.setEnabled(profile is not None and profile.can_log_touchpoint)
        # quote.create decides who may quote; the profile says nothing more precise yet
        self.quote_button.setEnabled(profile is not None and profile.can_quote)

    # ---- Private API: dialogs (written elsewhere; imported when first used)

    def _edit_customer(self) -> None:
        from ui.dialogs.customer_dialog import CustomerDialog

        if self.customer_id is not None:
            open_form(CustomerDialog(self.context, self, customer_id=self.customer_id))

    def _add_contact(self) -> None:
        from ui.dialogs.contact_dialog import ContactDialog

        if self.customer_id is not None:
            open_form(ContactDialog(self.context, self, customer_id=self.customer_id, contact_id=None))

    def _edit_contact(self) -> None:
        contact_id = self.contact_id_selected()
        if self.customer_id is None or contact_id is None or not self.edit_contact_button.isEnabled():
            return
        from ui.dialogs.contact_dialog import ContactDialog

        open_form(ContactDialog(self.context, self, customer_id=self.customer_id, contact_id=contact_id))

    def _log_touchpoint(self) -> None:
        from ui.dialogs.touchpoint_dialog import TouchpointDialog

        if self.customer_id is not None:
            open_form(TouchpointDialog(self.context, self, customer_id=self.customer_id))

    def _record_visit(self) -> None:
        from ui.dialogs.visit_dialog import VisitDialog

        if self.customer_id is not None:
            open_form(VisitDialog(self.context, self, customer_id=self.customer_id))

    def _new_quote(self) -> None:
        from ui.dialogs.quote_dialog import QuoteDialog

        if self.customer_id is not None:
            open_form(QuoteDialog(self.context, self, customer_id=self.customer_id))

    def _open_entry(self, item: QListWidgetItem) -> None:
        """A visit opens in the visit dialog: a draft to continue, a submitted one to look at."""
        if item.data(Qt.ItemDataRole.UserRole + 1) != "visit":
            return
        from ui.dialogs.visit_dialog import VisitDialog

        open_form(VisitDialog(self.context, self, visit_id=item.data(Qt.ItemDataRole.UserRole)))
