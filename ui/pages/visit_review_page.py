"""Visit review: the team's submitted visits with their evidence, and each rep's capture rate.

The list, the rates and the selected visit come from desktop.visit_review on the database thread;
the list is read a page at a time as it is scrolled (keyset, ``fetchMore``). Thumbnails are made
from the blob store on a thread of their own (file work, not database work), so a slow disk delays
only the pictures. A photo whose file has not reached this computer yet shows a placeholder;
:meth:`VisitReviewPage.refresh_evidence` looks again once it may have arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, time
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop import thumbnails, visit_review
from desktop.store import Store
from desktop.visit_review import Evidence, Review, VisitDetail, VisitFilter, VisitRow
from ui.audio import make_player
from ui.context import AppContext
from ui.freshness import Freshness
from ui.labels import (
    duration_text,
    local_time,
    photo_label_name,
    reaction_name,
    rule_result_name,
    visit_type_name,
)
from ui.ops import Handback, QueryOp, describe

DEFAULT_DAYS = 30  # the review opens on the last 30 days
FILTER_DELAY_MS = 250  # typing pauses this long before the list is read again
THUMB_PX = 160
VIEWER_PX = 2048  # the viewer shows the photo upright, at most this large
Index = QModelIndex | QPersistentModelIndex


class _FileWorker(QObject):
    """One thread for file work (thumbnails), results back on the main thread, for the app's lifetime."""

    _instance: _FileWorker | None = None

    def __init__(self) -> None:
        super().__init__(QCoreApplication.instance())
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldmark-files")
        self._handback = Handback(self)

    @classmethod
    def get(cls) -> _FileWorker:
        if cls._instance is None or not isValid(cls._instance):
            cls._instance = cls()
        return cls._instance

    def submit(self, fn: Callable[[], Any], done: Callable[[Future[Any]], None]) -> None:
        self._pool.submit(self._handback.wrap(fn, done))


# ---------------------------------------------------------------------------------------------- the list


class VisitTableModel(QAbstractTableModel):
    """The filtered visits, newest first; the next page is read when the view scrolls to the end."""

    COLUMNS = ("when", "rep", "customer", "visit_type", "location", "notes", "result", "evidence")

    sig_page_loaded = Signal()
    """A further page of visits arrived (or the list turned out to be complete)."""

    sig_failed = Signal(str)
    """Reading a page failed; carries a message for the user."""

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.rows: list[VisitRow] = []
        self._filter: VisitFilter | None = None
        self._complete = True
        self._fetching = False
        self._generation = 0

    def reset(self, flt: VisitFilter, rows: list[VisitRow], generation: int, limit: int) -> None:
        """Show the first page of a new filter (``limit`` rows asked for, with
        :func:`desktop.visit_review.open_review`)."""
        self.beginResetModel()
        self._filter, self.rows, self._generation = flt, list(rows), generation
        self._complete = len(rows) < limit
        self._fetching = False
        self.endResetModel()

    def row_at(self, row: int) -> VisitRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @property
    def complete(self) -> bool:
        return self._complete

    # ---- Qt model API

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def fetching(self) -> bool:
        """A page is being read (asked by the view as it scrolls, or by fetchMore)."""
        return self._fetching

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and not self._complete and not self._fetching and self._filter is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008
        if not self.canFetchMore(parent) or not self.rows:
            return
        self._fetching = True
        flt, generation, cursor = self._filter, self._generation, self.rows[-1].cursor
        limit = visit_review.PAGE
        assert flt is not None

        def op(store: Store) -> list[VisitRow]:
            with store.read() as session:
                return visit_review.visits_page(session, flt, limit=limit, before=cursor)

        def done(rows: list[VisitRow]) -> None:
            if not isValid(self) or generation != self._generation:
                return  # a newer filter replaced the list meanwhile
            self._fetching = False
            self._complete = len(rows) < limit
            if rows:
                self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
                self.rows.extend(rows)
                self.endInsertRows()
            self.sig_page_loaded.emit()

        def failed(exc: Exception) -> None:
            if isValid(self) and generation == self._generation:
                self._fetching = False
                self.sig_failed.emit(describe(exc, self.context.language))

        QueryOp(self.context.tasks, op).success(done).failure(failed).run()

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        names = {
            "when": self.tr("When"),
            "rep": self.tr("Rep"),
            "customer": self.tr("Customer"),
            "visit_type": self.tr("Visit type"),
            "location": self.tr("Location"),
            "notes": self.tr("Notes"),
            "result": self.tr("Capture rule"),
            "evidence": self.tr("Evidence"),
        }
        return names[self.COLUMNS[section]]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "when":
                return local_time(row.occurred_at)
            if column == "rep":
                return row.rep_name
            if column == "customer":
                return row.customer_name
            if column == "visit_type":
                return visit_type_name(row.visit_type) if row.visit_type else ""
            if column == "location":
                return row.location
            if column == "notes":
                return row.notes_excerpt.replace("\n", " ")
            if column == "result":
                return rule_result_name(row.rule_passed)
            if column == "evidence":
                return self._evidence_text(row)
        if role == Qt.ItemDataRole.ToolTipRole and column in ("customer", "location", "notes"):
            return {"customer": row.customer_name, "location": row.location, "notes": row.notes_excerpt}[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == "result" and not row.passed:
            return QBrush(QColor("#b00020"))
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None

    # ---- Private API

    def _evidence_text(self, row: VisitRow) -> str:
        photos, audio = len(visit_review.photos(row)), len(visit_review.recordings(row))
        parts = []
        if photos:
            parts.append(self.tr("%n photo(s)", "", photos))
        if audio:
            parts.append(self.tr("%n recording(s)", "", audio))
        return ", ".join(parts)


# ---------------------------------------------------------------------------------------------- the page


class VisitReviewPage(QWidget):
    """What a sales manager checks: were the visits made as the process asks, rep by rep."""

    sig_loaded = Signal(int)
    """The list and the rates were read again (filter or data change); carries the number of visits."""

    sig_detail_shown = Signal(str)
    """The detail pane now shows this visit (its id)."""

    sig_evidence_loaded = Signal(str)
    """Every thumbnail of the shown visit has been tried (made, or found missing); carries the visit id."""

    sig_audio_state = Signal(str)
    """The recording player changed state or failed; carries what the status line now says."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.thumbnails = thumbnails.for_store(context.store)
        self._generation = 0
        self._detail_generation = 0
        self.detail: VisitDetail | None = None
        self.thumbnail_buttons: dict[str, QToolButton] = {}  # attachment id -> its button
        self.audio_buttons: dict[str, QPushButton] = {}
        self._player: Any = None  # QMediaPlayer, made on the first play
        self._playing: str | None = None  # attachment id
        self._viewer: Any = None
        self._downloading: set[str] = set()  # files asked of the server and not answered yet
        self._refused: set[str] = set()  # files the server would not give (not asked again)

        self._build_filters()
        self.model = VisitTableModel(context, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((120, 80, 200, 90, 160, 260, 90, 120)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._on_row_changed)
        self.model.sig_failed.connect(self._show_error)

        self.rates_table = QTableWidget(0, 4)
        self.rates_table.setHorizontalHeaderLabels([self.tr("Rep"), self.tr("Visits"), self.tr("Passed"),
                                                    self.tr("Capture rate")])
        self.rates_table.verticalHeader().hide()
        self.rates_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rates_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.rates_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        rates_box = QWidget()
        rates_layout = QVBoxLayout(rates_box)
        rates_layout.setContentsMargins(0, 0, 0, 0)
        rates_title = QLabel(self.tr("Capture rate per rep, for the visits shown"))
        rates_title.setToolTip(self.tr("A visit counts as passed when it met its capture rule at submission; "
                                       "visits no rule checked count as not passed."))
        rates_layout.addWidget(rates_title)
        rates_layout.addWidget(self.rates_table)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(rates_box)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)

        self._build_detail()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail_scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(self.filters_layout)
        layout.addWidget(splitter, 1)

        self.freshness = Freshness(self, context.tasks, self.refresh)
        self.refresh()

    # ---- Public API

    def current_filter(self) -> VisitFilter | None:
        """The filter the widgets say, for the signed-in user (None when no one is signed in)."""
        user = self.context.user
        if user is None:
            return None
        since = _local_midnight(self.from_edit.date())
        until = _local_midnight(self.to_edit.date().addDays(1))
        return VisitFilter(user, rep_id=self.rep_combo.currentData() or None,
                           customer_text=self.customer_edit.text(), since=since, until=until,
                           result=self.result_combo.currentData() or None)

    def refresh(self) -> None:
        """Read the list's first page and the rates again for the current filter."""
        flt = self.current_filter()
        if flt is None:
            return
        self._generation += 1
        generation = self._generation
        self.count_label.setText(self.tr("Loading…"))
        limit = visit_review.PAGE

        def op(store: Store) -> Review | None:
            if generation != self._generation:
                return None  # a newer filter is queued behind this one
            with store.read() as session:
                return visit_review.open_review(session, flt, limit=limit)

        QueryOp(self.context.tasks, op).success(lambda review: self._show_review(generation, flt, review, limit)) \
            .failure(lambda exc: self._failed(generation, exc)).run()

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.model.index(row, 0))

    def refresh_evidence(self) -> None:
        """Look again for the shown visit's files (called when evidence may have arrived from the server)."""
        if self.detail is not None:
            self._load_evidence(self.detail)

    def play(self, attachment_id: str) -> None:
        """Play a recording of the shown visit, or stop it when it is the one playing."""
        evidence = self._attachment(attachment_id)
        if evidence is None:
            return
        if self._playing == attachment_id:
            self._stop()
            return
        path = self._blob_path(evidence)
        if path is None:
            self._set_audio_status(self.tr("This recording is not on this computer yet."))
            return
        player = self._media_player()
        if player is None:
            self._set_audio_status(self.tr("Recordings cannot be played on this computer (no audio support)."))
            return
        self._stop()
        self._playing = attachment_id
        player.setSource(QUrl.fromLocalFile(str(path)))
        player.play()
        self._update_audio_buttons()
        self._set_audio_status(self.tr("Playing %1…").replace("%1", evidence.filename))

    def open_photo(self, attachment_id: str) -> None:
        """Open a photo of the shown visit in the viewer (the picture arrives off the main thread)."""
        from ui.dialogs.photo_viewer import PhotoViewer

        evidence = self._attachment(attachment_id)
        if evidence is None:
            return
        details = " · ".join(part for part in (
            photo_label_name(evidence.label) if evidence.label else "", evidence.filename,
            self.tr("taken %1").replace("%1", local_time(evidence.taken_at)) if evidence.taken_at else "") if part)
        if self._viewer is not None and isValid(self._viewer):
            self._viewer.close()
        viewer = PhotoViewer(evidence.filename, details, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._viewer = viewer
        cache, sha = self.thumbnails, evidence.sha256

        def done(future: Future[Path | None]) -> None:
            if not isValid(viewer):
                return
            exc = future.exception()
            if exc is not None:
                viewer.show_message(self.tr("This photo cannot be shown."))
            elif future.result() is None:
                viewer.show_message(self.tr("This photo is not on this computer yet."))
            else:
                viewer.show_photo(future.result())

        _FileWorker.get().submit(lambda: cache.get(sha, VIEWER_PX), done)
        viewer.show()

    # ---- Qt events

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        self._stop()
        super().hideEvent(event)

    # ---- Private API: building

    def _build_filters(self) -> None:
        self.rep_combo = QComboBox()
        # "" rather than None for "any": PySide6 6.12 mishandles a None read back from an item (see ui.signals)
        self.rep_combo.addItem(self.tr("Everyone"), "")
        user = self.context.user
        if user is not None:
            with self.context.store.read() as session:
                for rep_id, name in visit_review.reps(session, user):
                    self.rep_combo.addItem(name, rep_id)
        self.rep_combo.setMinimumWidth(self.rep_combo.fontMetrics().averageCharWidth() * 10)
        self.customer_edit = QLineEdit()
        self.customer_edit.setPlaceholderText(self.tr("Customer: name, city, address…"))
        self.customer_edit.setClearButtonEnabled(True)
        today = QDate.currentDate()
        self.from_edit = QDateEdit(today.addDays(-DEFAULT_DAYS))
        self.to_edit = QDateEdit(today)
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.result_combo = QComboBox()
        self.result_combo.addItem(self.tr("Any result"), "")
        self.result_combo.addItem(self.tr("Passed"), "passed")
        self.result_combo.addItem(self.tr("Not passed"), "not_passed")
        self.count_label = QLabel()
        self.count_label.setWordWrap(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.refresh)
        self.customer_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        for combo in (self.rep_combo, self.result_combo):
            combo.currentIndexChanged.connect(self.refresh)
        for edit in (self.from_edit, self.to_edit):
            edit.dateChanged.connect(lambda _d: self._filter_timer.start())
        grid = QGridLayout()
        grid.addWidget(QLabel(self.tr("Rep:")), 0, 0)
        grid.addWidget(self.rep_combo, 0, 1)
        grid.addWidget(QLabel(self.tr("Customer:")), 0, 2)
        grid.addWidget(self.customer_edit, 0, 3)
        grid.addWidget(QLabel(self.tr("From:")), 0, 4)
        grid.addWidget(self.from_edit, 0, 5)
        grid.addWidget(QLabel(self.tr("To:")), 0, 6)
        grid.addWidget(self.to_edit, 0, 7)
        grid.addWidget(QLabel(self.tr("Capture rule:")), 0, 8)
        grid.addWidget(self.result_combo, 0, 9)
        grid.setColumnStretch(3, 1)
        self.filters_layout = QVBoxLayout()
        self.filters_layout.addLayout(grid)
        self.filters_layout.addWidget(self.count_label)

    def _build_detail(self) -> None:
        pane = QWidget()
        layout = QVBoxLayout(pane)
        self.detail_title = QLabel()
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.detail_title.font()
        font.setBold(True)
        self.detail_title.setFont(font)
        layout.addWidget(self.detail_title)
        self.detail_form = QFormLayout()
        self.detail_fields: dict[str, QLabel] = {}
        for key, caption in (("when", self.tr("Check-in:")), ("visit_type", self.tr("Visit type:")),
                             ("location", self.tr("Location:")), ("with_whom", self.tr("With whom:")),
                             ("result", self.tr("Capture rule:")), ("notes", self.tr("Notes:")),
                             ("reaction", self.tr("Reaction:")), ("next_step", self.tr("Next step:"))):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.detail_fields[key] = label
            self.detail_form.addRow(caption, label)
        self.detail_form_box = QWidget()
        self.detail_form_box.setLayout(self.detail_form)
        self.detail_form.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.detail_form_box)
        self.photos_title = QLabel(self.tr("Photos"))
        layout.addWidget(self.photos_title)
        self.photos_box = QWidget()
        self.photos_layout = QGridLayout(self.photos_box)
        self.photos_layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.photos_box)
        self.audio_title = QLabel(self.tr("Recordings"))
        layout.addWidget(self.audio_title)
        self.audio_box = QWidget()
        self.audio_layout = QVBoxLayout(self.audio_box)
        self.audio_layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.audio_box)
        self.audio_status = QLabel()
        self.audio_status.setWordWrap(True)
        layout.addWidget(self.audio_status)
        layout.addStretch(1)
        self.detail_scroll = QScrollArea()
        self.detail_scroll.setWidgetResizable(True)
        self.detail_scroll.setWidget(pane)
        self.detail_scroll.setMinimumWidth(320)
        self._show_no_detail()

    # ---- Private API: the list and the rates

    def _show_review(self, generation: int, flt: VisitFilter, review: Review | None, limit: int) -> None:
        if review is None or not isValid(self) or generation != self._generation:
            return
        selected = self.detail.row.id if self.detail is not None else None
        self.model.reset(flt, review.rows, generation, limit)
        self._show_rates(review)
        total = review.total
        self.count_label.setText(self.tr("%n visit(s)", "", total.visits) + " · "
                                 + self.tr("%1 passed every rule (%2)").replace("%1", str(total.passed))
                                 .replace("%2", _percent(total.share)))
        row = next((i for i, r in enumerate(self.model.rows) if r.id == selected), None)
        if row is not None:
            self.select_row(row)
            self._load_detail(self.model.rows[row].id)  # the data may have changed under it
        else:
            self._show_no_detail()
        self.sig_loaded.emit(total.visits)

    def _show_rates(self, review: Review) -> None:
        rates = [*review.rates, review.total] if review.rates else []
        self.rates_table.setRowCount(len(rates))
        for i, rate in enumerate(rates):
            is_total = rate.user_id == ""  # the last line: everyone shown, together
            name = self.tr("All") if is_total else rate.name
            cells = (name, str(rate.visits), str(rate.passed), _percent(rate.share))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if is_total:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.rates_table.setItem(i, column, item)

    def _failed(self, generation: int, exc: Exception) -> None:
        if isValid(self) and generation == self._generation:
            self._show_error(describe(exc, self.context.language))

    def _show_error(self, message: str) -> None:
        self.count_label.setText(self.tr("The visits could not be read: %1").replace("%1", message))

    # ---- Private API: the detail

    def _on_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row())
        if row is None:
            return
        if self.detail is None or self.detail.row.id != row.id:
            self._load_detail(row.id)

    def _load_detail(self, visit_id: str) -> None:
        user = self.context.user
        if user is None:
            return
        self._detail_generation += 1
        generation = self._detail_generation

        def op(store: Store) -> VisitDetail | None:
            with store.read() as session:
                return visit_review.visit_detail(session, user, visit_id)

        def done(detail: VisitDetail | None) -> None:
            if not isValid(self) or generation != self._detail_generation:
                return
            if detail is None:
                self._show_no_detail()
                return
            self._show_detail(detail)

        QueryOp(self.context.tasks, op).success(done).failure(lambda exc: self._failed(self._generation, exc)).run()

    def _show_no_detail(self) -> None:
        self._stop()
        self.detail = None
        self.detail_title.setText(self.tr("Select a visit to see its notes and evidence."))
        for label in self.detail_fields.values():
            label.clear()
        self._clear_evidence()
        for widget in (self.detail_form_box, self.photos_title, self.audio_title):
            widget.hide()

    def _show_detail(self, detail: VisitDetail) -> None:
        if self.detail is None or self.detail.row.id != detail.row.id:
            self._stop()
        self.detail = detail
        row = detail.row
        self.detail_title.setText(f"{row.customer_name} · {row.rep_name}")
        reaction = reaction_name(detail.reaction)
        if detail.reaction_note:
            reaction += " — " + detail.reaction_note
        next_step = detail.next_step
        if next_step and detail.next_step_due is not None:
            next_step += " " + self.tr("(due %1)").replace("%1", local_time(detail.next_step_due))
        result = rule_result_name(row.rule_passed)
        if row.rule_id:
            result += " " + self.tr("(rule version %1)").replace("%1", str(row.rule_version or ""))
        values = {
            "when": local_time(detail.check_in_at or row.occurred_at),
            "visit_type": visit_type_name(row.visit_type) if row.visit_type else "",
            "location": row.location,
            "with_whom": detail.with_whom,
            "result": result,
            "notes": detail.notes,
            "reaction": reaction,
            "next_step": next_step,
        }
        for key, text in values.items():
            self.detail_fields[key].setText(text)
        self.detail_form_box.show()
        self._load_evidence(detail)
        self._fetch_missing(detail)
        self.sig_detail_shown.emit(row.id)

    def _fetch_missing(self, detail: VisitDetail) -> None:
        """Ask the server for the shown visit's files not on this computer yet (on the network thread,
        after any sync); show them when they arrive."""
        blobs = self.context.store.blobs
        missing = [a.sha256 for a in detail.row.attachments
                   if a.sha256 not in self._downloading and a.sha256 not in self._refused and not blobs.has(a.sha256)]
        if not missing or not self.context.sync.server_url:
            return
        self._downloading.update(missing)
        visit_id = detail.row.id

        def arrived(finished: Any) -> None:
            if not isValid(self):
                return
            self._downloading.difference_update(missing)
            got = finished.value or {}
            self._refused.update(sha for sha, ok in got.items() if not ok)
            if any(got.values()) and self.detail is not None and self.detail.row.id == visit_id:
                self.refresh_evidence()

        self.context.sync.fetch_blobs(missing, arrived)

    def _clear_evidence(self) -> None:
        for layout in (self.photos_layout, self.audio_layout):
            while layout.count():
                item = layout.takeAt(0)
                if item.widget() is not None:
                    item.widget().deleteLater()
        self.thumbnail_buttons.clear()
        self.audio_buttons.clear()

    def _load_evidence(self, detail: VisitDetail) -> None:
        """Lay out the evidence, then make the thumbnails on the file thread."""
        self._clear_evidence()
        row = detail.row
        photos, recordings = visit_review.photos(row), visit_review.recordings(row)
        self.photos_title.setVisible(True)
        self.audio_title.setVisible(True)
        if not photos:
            self.photos_layout.addWidget(QLabel(self.tr("No photos.")), 0, 0)
        for i, evidence in enumerate(photos):
            button = QToolButton()
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(QSize(THUMB_PX, THUMB_PX))
            button.setFixedWidth(THUMB_PX + 16)
            button.setText(self._photo_caption(evidence, self.tr("Loading…")))
            button.setToolTip(evidence.filename)
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, a=evidence.id: self.open_photo(a))
            self.thumbnail_buttons[evidence.id] = button
            self.photos_layout.addWidget(button, i // 2, i % 2)
        if not recordings:
            self.audio_layout.addWidget(QLabel(self.tr("No recordings.")))
        for evidence in recordings:
            line = QHBoxLayout()
            button = QPushButton(self.tr("Play"))
            button.clicked.connect(lambda _checked=False, a=evidence.id: self.play(a))
            here = self.context.store.blobs.has(evidence.sha256)
            button.setEnabled(here)
            self.audio_buttons[evidence.id] = button
            text = f"{evidence.filename}  {duration_text(evidence.duration_s)}"
            if not here:
                text += " — " + self.tr("not on this computer yet")
            line.addWidget(button)
            line.addWidget(QLabel(text), 1)
            holder = QFrame()
            holder.setLayout(line)
            self.audio_layout.addWidget(holder)
        self._update_audio_buttons()
        pending = {e.id for e in photos}
        visit_id = row.id
        generation = self._detail_generation
        if not pending:
            self.sig_evidence_loaded.emit(visit_id)
            return
        cache = self.thumbnails
        for evidence in photos:
            def done(future: Future[Path | None], evidence: Evidence = evidence) -> None:
                if not isValid(self) or generation != self._detail_generation:
                    return
                self._show_thumbnail(evidence, future)
                pending.discard(evidence.id)
                if not pending:
                    self.sig_evidence_loaded.emit(visit_id)

            _FileWorker.get().submit(lambda sha=evidence.sha256: cache.get(sha, THUMB_PX), done)

    def _show_thumbnail(self, evidence: Evidence, future: Future[Path | None]) -> None:
        button = self.thumbnail_buttons.get(evidence.id)
        if button is None or not isValid(button):
            return
        exc = future.exception()
        path = None if exc is not None else future.result()
        pixmap = QPixmap(str(path)) if path is not None else QPixmap()
        if exc is not None or (path is not None and pixmap.isNull()):
            button.setText(self._photo_caption(evidence, self.tr("cannot be shown")))
            button.setProperty("evidence_state", "damaged")
        elif path is None:
            button.setText(self._photo_caption(evidence, self.tr("not on this computer yet")))
            button.setProperty("evidence_state", "missing")
        else:
            button.setIcon(QIcon(pixmap))
            button.setText(self._photo_caption(evidence, ""))
            button.setEnabled(True)
            button.setProperty("evidence_state", "shown")

    def _photo_caption(self, evidence: Evidence, state: str) -> str:
        label = photo_label_name(evidence.label) if evidence.label else evidence.filename
        return f"{label}\n{state}" if state else label

    def _attachment(self, attachment_id: str) -> Evidence | None:
        if self.detail is None:
            return None
        return next((a for a in self.detail.row.attachments if a.id == attachment_id), None)

    def _blob_path(self, evidence: Evidence) -> Path | None:
        blobs = self.context.store.blobs
        return blobs.path(evidence.sha256) if blobs.has(evidence.sha256) else None

    # ---- Private API: audio

    def _media_player(self) -> Any:
        """The player, made on first use; None when Qt Multimedia is not available here."""
        if self._player is None:
            self._player = make_player(self)
            if self._player is None:
                return None
            self._player.playbackStateChanged.connect(self._on_playback_state)
            self._player.errorOccurred.connect(self._on_player_error)
        return self._player

    def _stop(self) -> None:
        if self._player is not None and isValid(self._player):
            self._player.stop()
        if self._playing is not None:
            self._playing = None
            self._update_audio_buttons()

    def _on_playback_state(self, state: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if state == QMediaPlayer.PlaybackState.StoppedState and self._playing is not None:
            self._playing = None
            self._update_audio_buttons()
            self._set_audio_status("")

    def _on_player_error(self, _error: Any, message: str) -> None:
        self._playing = None
        self._update_audio_buttons()
        self._set_audio_status(self.tr("The recording cannot be played: %1").replace("%1", message))

    def _update_audio_buttons(self) -> None:
        for attachment_id, button in self.audio_buttons.items():
            if isValid(button):
                button.setText(self.tr("Stop") if attachment_id == self._playing else self.tr("Play"))

    def _set_audio_status(self, text: str) -> None:
        self.audio_status.setText(text)
        self.sig_audio_state.emit(text)


def _local_midnight(date: QDate) -> datetime:
    """The start of a calendar day in the user's zone, as an aware time."""
    return datetime.combine(date.toPython(), time.min).astimezone()


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %"

