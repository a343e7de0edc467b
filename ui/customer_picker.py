"""Pick a customer by typing part of its name, city, address...: answered from the search index.

Usable with 100,000 customers: nothing is listed until something is typed, each search runs on the
database thread (desktop.lookups.find_customers: the customer search index, newest first, with the
user's visibility in the same query), a short pause in typing starts it, and only the answer to the latest
query is shown. Only customers the signed-in user may see are offered.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from desktop.lookups import find_customers
from desktop.models import User
from desktop.store import Store
from ui.context import AppContext
from ui.forms import alive
from ui.ops import QueryOp, describe

SHOWN = 50  # results listed at most; typing more narrows them
VISIBLE_ROWS = 8  # rows tall the result list grows to before it scrolls
PAUSE_MS = 200


@dataclass(frozen=True)
class CustomerHit:
    """A customer as the picker lists it."""

    id: str
    name: str
    place: str  # city, or region when the city is unknown


class CustomerPicker(QWidget):
    """A search box with the matching customers under it; choosing one fixes it until typing again."""

    sig_changed = Signal(object)
    """The chosen customer changed: its id, or None when typing cleared the choice."""

    sig_results = Signal(int)
    """A search answered (on the main thread); carries how many customers are listed."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._customer_id: str | None = None
        self._query_seq = 0
        self.line_edit = QLineEdit()
        self.line_edit.setPlaceholderText(self.tr("Type part of a customer's name, city or address…"))
        self.line_edit.setClearButtonEnabled(True)
        self.line_edit.installEventFilter(self)
        self.results = QListWidget()
        self.results.hide()
        self.status = QLabel()
        self.status.setStyleSheet("color: palette(mid)")
        self.status.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.line_edit)
        layout.addWidget(self.results)
        layout.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PAUSE_MS)
        self._timer.timeout.connect(self.search_now)
        self.line_edit.textEdited.connect(self._on_text_edited)
        self.results.itemActivated.connect(self._pick)
        self.results.itemClicked.connect(self._pick)

    @property
    def customer_id(self) -> str | None:
        return self._customer_id

    def set_fixed(self, customer_id: str, name: str) -> None:
        """Show one customer that cannot be changed (the dialog was opened for it)."""
        self._customer_id = customer_id
        self.line_edit.setText(name)
        self.line_edit.setReadOnly(True)
        self.line_edit.setClearButtonEnabled(False)
        self.results.hide()
        self.status.hide()

    def search_now(self) -> None:
        """Search for what is typed now (normally started by a pause in typing)."""
        self._timer.stop()
        query = self.line_edit.text().strip()
        self._query_seq += 1
        seq = self._query_seq
        if not query:
            self._show([], False, seq)
            return
        user_id = self.context.user_id
        QueryOp(self.context.tasks, lambda store: _search(store, user_id, query)) \
            .success(lambda found: self._show(found[0], found[1], seq)) \
            .failure(lambda exc: self._failed(exc, seq)).run()

    def pick(self, row: int) -> None:
        """Choose the customer in the given row of the results."""
        self._pick(self.results.item(row))

    # ---- Qt overrides

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # Enter picks the highlighted result instead of pressing the dialog's default button;
        # the arrow keys move through the results without leaving the search box.
        if watched is self.line_edit and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress \
                and self.results.isVisible():
            key = event.key()
            count = self.results.count()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and count:
                self.pick(max(self.results.currentRow(), 0))
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and count:
                step = 1 if key == Qt.Key.Key_Down else -1
                self.results.setCurrentRow(min(max(self.results.currentRow() + step, 0), count - 1))
                return True
        return super().eventFilter(watched, event)

    # ---- Private API

    def _on_text_edited(self, _text: str) -> None:
        if self._customer_id is not None:
            self._customer_id = None
            self.sig_changed.emit(None)
        self._timer.start()

    def _show(self, hits: list[CustomerHit], more: bool, seq: int) -> None:
        if not alive(self) or seq != self._query_seq:
            return  # an answer to a query that has been typed over
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(f"{hit.name} · {hit.place}" if hit.place else hit.name)
            item.setData(Qt.ItemDataRole.UserRole, hit)
            self.results.addItem(item)
        self.results.setVisible(bool(hits))
        if hits:
            self.results.setCurrentRow(0)
            rows = min(len(hits), VISIBLE_ROWS)  # as tall as the results, up to VISIBLE_ROWS
            self.results.setFixedHeight(rows * self.results.sizeHintForRow(0) + 2 * self.results.frameWidth())
        if not self.line_edit.text().strip():
            self.status.hide()
        elif not hits:
            self._set_status(self.tr("No customer matches."))
        elif more:
            self._set_status(self.tr("Showing the newest %n matches; type more to narrow the list.", "", len(hits)))
        else:
            self.status.hide()
        self.sig_results.emit(len(hits))

    def _failed(self, exc: Exception, seq: int) -> None:
        if alive(self) and seq == self._query_seq:
            self.results.clear()
            self.results.hide()
            self._set_status(describe(exc, self.context.language))

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()

    def _pick(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        hit: CustomerHit = item.data(Qt.ItemDataRole.UserRole)
        self._customer_id = hit.id
        self.line_edit.setText(hit.name)
        self.results.hide()
        self.status.hide()
        self.sig_changed.emit(hit.id)


def _search(store: Store, user_id: str, query: str) -> tuple[list[CustomerHit], bool]:
    """(the newest SHOWN customers matching query that the user may see, whether there are more)."""
    with store.read() as session:
        user = session.get(User, user_id)
        if user is None:
            return [], False
        found = find_customers(session, user, query, limit=SHOWN + 1)
        return [CustomerHit(c.id, c.name, c.city or c.region) for c in found[:SHOWN]], len(found) > SHOWN
