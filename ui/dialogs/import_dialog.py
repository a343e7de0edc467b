"""Import touchpoints from a CSV file: choose it, see what each row would do, import the rows that are ok.

Reading the file and importing it run on the database thread behind a progress dialog
(desktop.touchpoint_import does the work), so the window stays live for a file of any size. The table
reads the preview's rows on demand.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop import touchpoint_import
from desktop.store import Store
from desktop.touchpoint_import import DUPLICATE, ERROR, IMPORTED, OK, ImportResult, Preview, PreviewRow
from ui.context import AppContext
from ui.forms import ERROR_COLOR, HINT_COLOR, alive
from ui.labels import channel_name
from ui.ops import Progress, describe
from ui.progress import run_with_progress

_Index = QModelIndex | QPersistentModelIndex


class PreviewModel(QAbstractTableModel):
    """The preview's rows: row number, customer, channel, time, summary, status."""

    ROW, CUSTOMER, CHANNEL, TIME, SUMMARY, STATUS = range(6)
    STATUS_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, language: str, zone: tzinfo | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PreviewRow] = []
        self._language = language
        self._zone = zone

    def set_rows(self, rows: list[PreviewRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def refresh(self) -> None:
        """The rows' statuses changed (after an import)."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, self.STATUS))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's name and default)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else 6

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Row"), self.tr("Customer"), self.tr("Channel"), self.tr("Time"), self.tr("Summary"),
                self.tr("Status"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == self.STATUS_ROLE:
            return row.status
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STATUS:
            if row.status == ERROR:
                return QColor(ERROR_COLOR)
            if row.status == DUPLICATE:
                return QColor(HINT_COLOR)
        return None

    # ---- Private API

    def _text(self, row: PreviewRow, column: int) -> str:
        if column == self.ROW:
            return str(row.row)
        if column == self.CUSTOMER:
            return row.customer_name or row.customer
        if column == self.CHANNEL:
            return channel_name(row.channel_code) if row.channel_code else row.channel
        if column == self.TIME:
            if row.occurred_at is None:
                return row.time_text
            local = row.occurred_at.astimezone(self._zone) if self._zone else row.occurred_at.astimezone()
            return local.strftime("%Y-%m-%d %H:%M")
        if column == self.SUMMARY:
            return row.summary.replace("\n", " ")
        return self._status(row)

    def _status(self, row: PreviewRow) -> str:
        if row.status == OK:
            return self.tr("OK")
        if row.status == IMPORTED:
            return self.tr("Imported")
        if row.status == DUPLICATE:
            zh, en = touchpoint_import.duplicate_note(row)
            return self.tr("Duplicate: %1").replace("%1", zh if self._chinese else en)
        messages = "; ".join(p.message(self._language) for p in row.problems)
        return self.tr("Error: %1").replace("%1", messages)

    @property
    def _chinese(self) -> bool:
        return self._language.lower().startswith("zh")


class StatusFilter(QSortFilterProxyModel):
    """Show every row, or only those of one status."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status: str | None = None

    def set_status(self, status: str | None) -> None:
        self.status = status
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        if self.status is None:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return self.sourceModel().data(index, PreviewModel.STATUS_ROLE) == self.status


class ImportDialog(QDialog):
    """Choose a CSV file, preview it row by row, import the rows that are ok."""

    sig_previewed = Signal(object)
    """The chosen file was read; carries the desktop.touchpoint_import.Preview."""
    sig_imported = Signal(object)
    """An import ended (finished, cancelled or stopped); carries the desktop.touchpoint_import.ImportResult."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, zone: tzinfo | None = None) -> None:
        """``zone``: the zone times without an offset are read in; None is this computer's."""
        super().__init__(parent)
        self.context = context
        self.zone = zone
        self.preview: Preview | None = None
        self.progress_dialog: QProgressDialog | None = None
        self._busy = False
        self.setWindowTitle(self.tr("Import touchpoints from CSV"))
        self.resize(980, 620)

        self.choose_button = QPushButton(self.tr("Choose file…"))
        self.choose_button.clicked.connect(self.choose_file)
        self.path_label = QLabel(self.tr("No file chosen."))
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.path_label, 1)

        self.help_label = QLabel(self.tr(
            "The first row names the columns: customer, channel, time and summary are required; contact, "
            "with whom, reaction, next step and next step due may follow. Chinese or English column names "
            "(客户, 渠道, 时间, 内容 …). UTF-8 or GBK/GB18030, as Excel saves it. Visits cannot be imported."))
        self.help_label.setWordWrap(True)
        self.help_label.setStyleSheet(f"color: {HINT_COLOR}")
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.filter_combo = QComboBox()
        for text, status in ((self.tr("All rows"), None), (self.tr("To import"), OK),
                             (self.tr("Errors"), ERROR), (self.tr("Duplicates"), DUPLICATE),
                             (self.tr("Imported"), IMPORTED)):
            self.filter_combo.addItem(text, status)
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_status(self.filter_combo.currentData()))
        show = QHBoxLayout()
        show.addWidget(QLabel(self.tr("Show:")))
        show.addWidget(self.filter_combo)
        show.addStretch(1)

        self.model = PreviewModel(context.language, zone, self)
        self.proxy = StatusFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.detail_label = QLabel()  # the selected row's whole status: a cell shows only its start
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header = self.table.horizontalHeader()
        for column, width in ((PreviewModel.ROW, 50), (PreviewModel.CUSTOMER, 200), (PreviewModel.CHANNEL, 80),
                              (PreviewModel.TIME, 130), (PreviewModel.SUMMARY, 240)):
            self.table.setColumnWidth(column, width)
        header.setStretchLastSection(True)

        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)
        self.save_report_button = QPushButton(self.tr("Save error report…"))
        self.save_report_button.clicked.connect(self.save_error_report)
        self.import_button = QPushButton()
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_report_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.help_label)
        layout.addWidget(self.message_label)
        layout.addLayout(show)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.counts_label)
        layout.addLayout(buttons)
        self._update_buttons()

    # ---- Public API

    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Choose a CSV file"), "",
                                                    self.tr("CSV files (*.csv *.txt);;All files (*)"))
        if path:
            self.load(path)

    def load(self, path: str) -> None:
        """Read and check the file on the database thread; the table fills when it is done."""
        if self._busy or self.context.user is None:
            return
        self._busy = True
        self.preview = None
        self.model.set_rows([])
        self.detail_label.clear()
        self.path_label.setText(path)
        self.message_label.clear()
        self.counts_label.clear()
        self._update_buttons()
        user_id, zone = self.context.user_id, self.zone

        def job(store: Store, progress: Progress) -> Preview:
            return touchpoint_import.preview_file(store, user_id, path, zone, progress=progress)

        self.progress_dialog = run_with_progress(self.context.tasks, self, self.tr("Reading the file…"), job,
                                                 self._on_previewed)

    def start_import(self) -> None:
        """Import the rows marked OK on the database thread, behind a progress dialog with Cancel."""
        preview = self.preview
        if self._busy or preview is None or not preview.importable or self.context.user is None:
            return
        self._busy = True
        self._update_buttons()
        user_id, language = self.context.user_id, self.context.language

        def job(store: Store, progress: Progress) -> ImportResult:
            return touchpoint_import.import_rows(store, user_id, preview, progress, language=language)

        self.progress_dialog = run_with_progress(self.context.tasks, self, self.tr("Importing touchpoints…"), job,
                                                 self._on_imported)

    def save_error_report(self) -> None:
        """Save the rows with errors as CSV (row, column, message), to fix them in Excel."""
        if self.preview is None or not self.preview.problems:
            return
        default = str(Path(self.preview.path).with_name(Path(self.preview.path).stem + "-errors.csv"))
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Save error report"), default,
                                                    self.tr("CSV files (*.csv)"))
        if not path:
            return
        try:
            count = touchpoint_import.write_error_report(path, self.preview.problems, self.context.language)
        except OSError as exc:
            self._show_message(self.tr("The error report could not be saved: %1").replace("%1", str(exc)), True)
            return
        self._show_message(self.tr("%n error(s) saved to %1.", "", count).replace("%1", path), False)

    # ---- Private API

    def _on_previewed(self, future: Future[Preview]) -> None:
        self.progress_dialog = None
        if not alive(self):
            return
        self._busy = False
        exc = future.exception()
        if exc is not None:
            self._show_message(describe(exc, self.context.language), True)  # type: ignore[arg-type]
            self._update_buttons()
            return
        preview = future.result()
        self.preview = preview
        self.model.set_rows(preview.rows)
        notes = [self.tr("Encoding: %1.").replace("%1", preview.encoding)]
        if preview.ignored_columns:
            notes.append(self.tr("These columns are not imported: %1.").replace("%1", ", ".join(preview.ignored_columns)))
        self._show_message(" ".join(notes), False)
        self.counts_label.setText(self._preview_counts(preview))
        self._update_buttons()
        self.sig_previewed.emit(preview)

    def _on_imported(self, future: Future[ImportResult]) -> None:
        self.progress_dialog = None
        exc = future.exception()
        result = future.result() if exc is None else None
        if result is not None and result.last_outcome is not None:
            # One announcement for the whole import: views refresh once, sync sends soon.
            self.context.tasks.sig_data_changed.emit(result.last_outcome)
        if not alive(self):
            return
        self._busy = False
        self.model.refresh()
        if result is None:
            self._show_message(describe(exc, self.context.language), True)  # type: ignore[arg-type]
        else:
            self.counts_label.setText(self._result_counts(result))
            if result.failure is not None:
                self._show_message(self.tr("The import stopped: %1. The rows imported before are kept.")
                                   .replace("%1", describe(result.failure, self.context.language)), True)
        self._update_buttons()
        if result is not None:
            self.sig_imported.emit(result)

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail_label.clear()
            return
        status = self.proxy.index(current.row(), PreviewModel.STATUS)
        number = self.proxy.index(current.row(), PreviewModel.ROW).data()
        self.detail_label.setText(self.tr("Row %1: %2").replace("%1", str(number)).replace("%2", str(status.data())))

    def _preview_counts(self, preview: Preview) -> str:
        parts = [self.tr("%n to import", "", preview.count(OK)),
                 self.tr("%n duplicate(s)", "", preview.count(DUPLICATE)),
                 self.tr("%n error(s)", "", preview.count(ERROR))]
        return self.tr("%n row(s) in the file: ", "", len(preview.rows)) + self.tr(", ").join(parts)

    def _result_counts(self, result: ImportResult) -> str:
        parts = [self.tr("%n imported", "", result.imported),
                 self.tr("%n duplicate(s) skipped", "", result.duplicates),
                 self.tr("%n error(s)", "", result.errors)]
        if result.cancelled:
            parts.append(self.tr("import cancelled, %n row(s) not imported yet", "", result.not_attempted))
        return self.tr(", ").join(parts) + self.tr(".")

    def _show_message(self, text: str, error: bool) -> None:
        self.message_label.setStyleSheet(f"color: {ERROR_COLOR}" if error else "")
        self.message_label.setText(text)

    def _update_buttons(self) -> None:
        ready = self.preview is not None and not self._busy
        count = len(self.preview.importable) if self.preview is not None else 0
        self.import_button.setText(self.tr("Import %n row(s)", "", count))
        self.import_button.setEnabled(ready and count > 0)
        self.save_report_button.setEnabled(ready and bool(self.preview and self.preview.problems))
        self.choose_button.setEnabled(not self._busy)
