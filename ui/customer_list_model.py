"""A table model over the customer list that holds only the ordered rids and reads rows a page at a time.

At 100,000 customers the model keeps a list of ints (the order) and a bounded cache of display rows.
``data()`` for a row not yet read returns a placeholder and asks the database thread for that row's
page; when the page arrives, ``dataChanged`` repaints it. Filtering and sorting re-run
:func:`desktop.customer_list.ordered_rids` on the database thread; each request carries a generation
number and a result that is no longer the newest request's is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from shiboken6 import isValid

from desktop import customer_list
from desktop.customer_list import COLUMNS, CustomerFilter, CustomerRow
from desktop.store import Store
from ui.context import AppContext
from ui.labels import customer_status_name, local_time, relative_time, segment_name
from ui.ops import QueryOp, describe

PAGE = 200
# Rows kept in memory; the oldest pages read are dropped beyond this (a row is ~1 kB of Python).
CACHE_LIMIT = 20_000
# Pages read again together with the new order after a data change, so the visible rows do not
# flash placeholders: the pages the view asked for most recently.
HOT_PAGES = 3
_GONE = None  # a rid that no longer exists (deleted since the order was read)

Index = QModelIndex | QPersistentModelIndex


class CustomerListModel(QAbstractTableModel):
    """Customers of one scope, filtered and sorted in the database, shown a page at a time."""

    sig_reloaded = Signal()
    """The order was replaced (after a filter, a sort or a data change); rowCount() is the new count."""

    sig_loading = Signal()
    """A new order was asked for (filter, sort, data change); sig_reloaded or sig_failed follows."""

    sig_rows_loaded = Signal()
    """A page of display rows arrived."""

    sig_failed = Signal(str)
    """Reading the list failed; carries a message for the user."""

    def __init__(self, context: AppContext, scope: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self.scope = scope
        self.text = ""
        self.owner_id: str | None = None
        self.region: str | None = None
        self.sort_column = "name"
        self.descending = False
        self.loading = False
        self._rids: list[int] = []
        self._rows: OrderedDict[int, CustomerRow | None] = OrderedDict()
        self._generation = 0  # bumped by every request for a new order
        self._epoch = 0  # bumped by every data change: rows read before it are stale
        self._cache_epoch = 0  # the epoch the cached rows were read in
        self._pending: set[tuple[int, int]] = set()  # (generation, page) being read
        self._hot: list[int] = []  # most recently requested pages, newest last
        self._requested = False

    # ---- Public API

    def set_filter(self, text: str, owner_id: str | None, region: str | None) -> None:
        """Show the customers matching text (full-text), owner and region; None or "" means any."""
        if (text, owner_id or None, region or None) == (self.text, self.owner_id, self.region) and self._requested:
            return
        self.text, self.owner_id, self.region = text, owner_id or None, region or None
        self.refresh()

    def refresh(self, *, data_changed: bool = False) -> None:
        """Read the order again. After a data change, cached rows are stale and are read again too."""
        self._requested = True
        self._generation += 1
        generation = self._generation
        if data_changed:
            self._epoch += 1
        epoch = self._epoch
        user = self.context.user
        if user is None:
            self._apply_order(generation, epoch, [], {})
            return
        flt = CustomerFilter(self.scope, user, self.text, self.owner_id, self.region)
        sort_column, descending = self.sort_column, self.descending
        # The cached rows are stale: read the pages in view along with the order, so that they do
        # not turn into placeholders when the new order is shown.
        hot = list(self._hot) if epoch != self._cache_epoch else []
        self.loading = True
        self.sig_loading.emit()

        def op(store: Store) -> tuple[list[int], dict[int, CustomerRow]] | None:
            # A newer request is already queued behind this one: skip the work (reading an int
            # written on the main thread is safe; no widget is touched).
            if generation != self._generation:
                return None
            with store.read() as session:
                rids = customer_list.ordered_rids(session, flt, sort_column, descending)
                rows: dict[int, CustomerRow] = {}
                for page in hot:
                    rows.update(customer_list.rows_by_rid(session, rids[page * PAGE:(page + 1) * PAGE]))
                return rids, rows

        def done(result: tuple[list[int], dict[int, CustomerRow]] | None) -> None:
            if result is not None:
                self._apply_order(generation, epoch, result[0], result[1])

        QueryOp(self.context.tasks, op).success(done).failure(lambda exc: self._failed(generation, exc)).run()

    def rid_at(self, row: int) -> int | None:
        return self._rids[row] if 0 <= row < len(self._rids) else None

    def row_at(self, row: int) -> CustomerRow | None:
        """The display row at a position, if it has been read."""
        rid = self.rid_at(row)
        return self._rows.get(rid) if rid is not None else None

    def customer_id_at(self, row: int) -> str | None:
        """The customer id at a position, or None while its page is still being read."""
        loaded = self.row_at(row)
        return loaded.id if loaded is not None else None

    def row_of_rid(self, rid: int) -> int | None:
        try:
            return self._rids.index(rid)
        except ValueError:
            return None

    def is_loaded(self, row: int) -> bool:
        rid = self.rid_at(row)
        return rid is not None and rid in self._rows

    # ---- Qt model API

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self._header(COLUMNS[section])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rids):
            return None
        rid = self._rids[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
            self._touch(index.row() // PAGE)
        if rid not in self._rows:
            if role == Qt.ItemDataRole.DisplayRole:
                self._request_page(index.row() // PAGE)
                return "…" if column == "name" else ""
            return None
        row = self._rows[rid]
        if row is _GONE:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == "last_touchpoint":
                return local_time(row.last_touchpoint_at)
            if column == "name":
                return row.name
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "contacts":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in the database by the column (a header click); equal keys keep a stable order."""
        key, descending = COLUMNS[column], order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_column, self.descending) and self._requested:
            return
        self.sort_column, self.descending = key, descending
        self.refresh()

    # ---- Private API

    def _header(self, column: str) -> str:
        names = {
            "name": self.tr("Customer"),
            "short_name": self.tr("Short name"),
            "owner": self.tr("Owner"),
            "region": self.tr("Region"),
            "city": self.tr("City"),
            "segment": self.tr("Segment"),
            "status": self.tr("Status"),
            "contacts": self.tr("Contacts"),
            "last_touchpoint": self.tr("Last touchpoint"),
        }
        return names[column]

    def _display(self, row: CustomerRow, column: str) -> str:
        if column == "owner":
            return row.owner_name
        if column == "segment":
            return segment_name(row.segment)
        if column == "status":
            return customer_status_name(row.status)
        if column == "contacts":
            return str(row.contacts)
        if column == "last_touchpoint":
            return relative_time(row.last_touchpoint_at)
        return str(getattr(row, column))

    def _apply_order(self, generation: int, epoch: int, rids: list[int], rows: dict[int, CustomerRow]) -> None:
        if not isValid(self) or generation != self._generation:
            return  # the view was closed, or a newer filter or sort was asked for meanwhile
        self.loading = False
        if epoch != self._cache_epoch:  # data changed since the cached rows were read
            self._rows.clear()
            self._cache_epoch = epoch
        self._store(rows, [])
        if rids == self._rids:
            # Same order: keep the view as it is (selection, scroll position) and repaint.
            self._pending = {p for p in self._pending if p[0] == generation}
            if rids:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rids) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self._rids = rids
            self._pending.clear()
            self._hot.clear()
            self.endResetModel()
        self.sig_reloaded.emit()

    def _failed(self, generation: int, exc: Exception) -> None:
        if isValid(self) and generation == self._generation:
            self.loading = False
            self.sig_failed.emit(describe(exc, self.context.language))

    def _touch(self, page: int) -> None:
        if not self._hot or self._hot[-1] != page:
            self._hot = [p for p in self._hot if p != page][-(HOT_PAGES - 1):] + [page]

    def _request_page(self, page: int) -> None:
        key = (self._generation, page)
        if key in self._pending:
            return
        self._pending.add(key)
        wanted = self._rids[page * PAGE:(page + 1) * PAGE]
        epoch = self._epoch

        def op(store: Store) -> dict[int, CustomerRow]:
            with store.read() as session:
                return customer_list.rows_by_rid(session, wanted)

        def done(rows: dict[int, CustomerRow]) -> None:
            if not isValid(self):
                return
            self._pending.discard(key)
            if epoch != self._epoch:
                return  # read before a data change; the view asks again for what it shows
            self._store(rows, wanted)
            if key[0] == self._generation:
                first = page * PAGE
                last = min(first + PAGE, len(self._rids)) - 1
            else:
                first, last = 0, len(self._rids) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
            self.sig_rows_loaded.emit()

        QueryOp(self.context.tasks, op).success(done).failure(lambda exc: self._page_failed(key, exc)).run()

    def _page_failed(self, key: tuple[int, int], exc: Exception) -> None:
        if not isValid(self):
            return
        self._pending.discard(key)
        self.sig_failed.emit(describe(exc, self.context.language))

    def _store(self, rows: dict[int, CustomerRow], asked: list[int]) -> None:
        for rid in asked:
            self._rows[rid] = rows.get(rid, _GONE)
            self._rows.move_to_end(rid)
        for rid, row in rows.items():
            self._rows[rid] = row
            self._rows.move_to_end(rid)
        while len(self._rows) > CACHE_LIMIT:
            self._rows.popitem(last=False)

