"""Import a CSV file: choose it, see what each row would do, import the rows that are ok.

One dialog for every kind of file: an :class:`Importer` says what the file holds (title, columns,
status texts) and does the work on the database thread (:class:`TouchpointImporter` with
desktop.touchpoint_import, :class:`ProductImporter` with desktop.product_import). Reading the file and
importing it run behind a progress dialog, so the window stays live for a file of any size. The table
reads the preview's rows on demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
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

from desktop import csv_import, product_import, touchpoint_import
from desktop.errors import os_reason
from desktop.store import Store
from desktop.touchpoint_import import DUPLICATE, ERROR, IMPORTED, OK
from ui.context import AppContext
from ui.forms import ERROR_COLOR, HINT_COLOR, alive
from ui.labels import channel_name, currency_name, money_text
from ui.ops import Progress, describe
from ui.progress import run_with_progress

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class PreviewColumn:
    """A column of the preview table between the row number and the status."""

    key: str  # the model names its index after it: key "time" -> model.TIME
    header: str
    width: int


class Importer(QObject):
    """What the import dialog needs to know about one kind of file; subclasses fill it in.

    ``preview`` and ``import_rows`` run on the database thread (never touch a widget there); the
    rest runs on the main thread. A preview has ``rows`` (each with ``row``, ``status`` and
    ``problems``), ``path``, ``encoding``, ``ignored_columns``, ``importable`` and ``problems``; an
    import result has ``failure`` and ``last_outcome``.
    """

    title = ""
    help_text = ""
    working_text = ""  # the progress dialog's title while importing
    columns: Sequence[PreviewColumn] = ()
    filters: Sequence[tuple[str, tuple[str, ...]]] = ()  # (text, the statuses it shows)
    quiet_statuses: tuple[str, ...] = ()  # shown in grey: rows skipped on purpose

    def preview(self, store: Store, user_id: str, path: str, progress: Progress) -> Any:
        raise NotImplementedError

    def import_rows(self, store: Store, user_id: str, preview: Any, progress: Progress, language: str) -> Any:
        raise NotImplementedError

    def cell(self, row: Any, key: str, language: str) -> str:
        raise NotImplementedError

    def status_text(self, row: Any, language: str) -> str:
        """The status of a row that is not an error (errors are worded by the dialog)."""
        raise NotImplementedError

    def preview_counts(self, preview: Any) -> str:
        raise NotImplementedError

    def result_counts(self, result: Any) -> str:
        raise NotImplementedError

    def write_error_report(self, path: str, problems: Any, language: str) -> int:
        return csv_import.write_error_report(path, problems, language)


def _chinese(language: str) -> bool:
    return language.lower().startswith("zh")


class TouchpointImporter(Importer):
    """Touchpoints from call logs and chat exports (desktop.touchpoint_import)."""

    def __init__(self, zone: tzinfo | None = None, parent: QObject | None = None) -> None:
        """``zone``: the zone times without an offset are read in; None is this computer's."""
        super().__init__(parent)
        self.zone = zone
        self.title = QCoreApplication.translate("ImportDialog", "Import touchpoints from CSV")
        self.help_text = QCoreApplication.translate(
            "ImportDialog",
            "The first row names the columns: customer, channel, time and summary are required; contact, "
            "with whom, reaction, next step and next step due may follow. Chinese or English column names "
            "(客户, 渠道, 时间, 内容 …). UTF-8 or GBK/GB18030, as Excel saves it. Visits cannot be imported.")
        self.working_text = QCoreApplication.translate("ImportDialog", "Importing touchpoints…")
        self.columns = (PreviewColumn("customer", QCoreApplication.translate("PreviewModel", "Customer"), 200),
                        PreviewColumn("channel", QCoreApplication.translate("PreviewModel", "Channel"), 80),
                        PreviewColumn("time", QCoreApplication.translate("PreviewModel", "Time"), 130),
                        PreviewColumn("summary", QCoreApplication.translate("PreviewModel", "Summary"), 240))
        self.filters = ((QCoreApplication.translate("ImportDialog", "To import"), (OK,)),
                        (QCoreApplication.translate("ImportDialog", "Errors"), (ERROR,)),
                        (QCoreApplication.translate("ImportDialog", "Duplicates"), (DUPLICATE,)),
                        (QCoreApplication.translate("ImportDialog", "Imported"), (IMPORTED,)))
        self.quiet_statuses = (DUPLICATE,)

    def preview(self, store: Store, user_id: str, path: str, progress: Progress) -> Any:
        # Looked up when called, not bound at import: tests stand in for the module's functions.
        return touchpoint_import.preview_file(store, user_id, path, self.zone, progress=progress)

    def import_rows(self, store: Store, user_id: str, preview: Any, progress: Progress, language: str) -> Any:
        return touchpoint_import.import_rows(store, user_id, preview, progress, language=language)

    def cell(self, row: Any, key: str, language: str) -> str:
        if key == "customer":
            return row.customer_name or row.customer
        if key == "channel":
            return channel_name(row.channel_code) if row.channel_code else row.channel
        if key == "time":
            if row.occurred_at is None:
                return row.time_text
            local = row.occurred_at.astimezone(self.zone) if self.zone else row.occurred_at.astimezone()
            return local.strftime("%Y-%m-%d %H:%M")
        return row.summary.replace("\n", " ")

    def status_text(self, row: Any, language: str) -> str:
        if row.status == OK:
            return QCoreApplication.translate("PreviewModel", "OK")
        if row.status == IMPORTED:
            return QCoreApplication.translate("PreviewModel", "Imported")
        zh, en = touchpoint_import.duplicate_note(row)
        text = QCoreApplication.translate("PreviewModel", "Duplicate: %1")
        return text.replace("%1", zh if _chinese(language) else en)

    def preview_counts(self, preview: Any) -> str:
        # self.tr, not QCoreApplication.translate: lupdate extracts the plural forms (%n) only from tr().
        parts = [self.tr("%n to import", "", preview.count(OK)),
                 self.tr("%n duplicate(s)", "", preview.count(DUPLICATE)),
                 self.tr("%n error(s)", "", preview.count(ERROR))]
        return self.tr("%n row(s) in the file: ", "", len(preview.rows)) + self.tr(", ").join(parts)

    def result_counts(self, result: Any) -> str:
        parts = [self.tr("%n imported", "", result.imported),
                 self.tr("%n duplicate(s) skipped", "", result.duplicates),
                 self.tr("%n error(s)", "", result.errors)]
        if result.cancelled:
            parts.append(self.tr("import cancelled, %n row(s) not imported yet", "", result.not_attempted))
        return self.tr(", ").join(parts) + self.tr(".")


class ProductImporter(Importer):
    """The product catalogue: new products and changes to existing ones (desktop.product_import)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title = self.tr("Import products from CSV")
        self.help_text = self.tr(
            "The first row names the columns: code, name, unit and list price are required; currency (CNY or "
            "USD, CNY when empty) and active (yes/no) may follow. Chinese or English column names (产品编码, "
            "产品名称, 单位, 目录价, 币种, 在售). A code already in the catalogue updates that product. UTF-8 or "
            "GBK/GB18030, as Excel saves it.")
        self.working_text = self.tr("Importing products…")
        self.columns = (PreviewColumn("code", self.tr("Code"), 110),
                        PreviewColumn("name", self.tr("Name"), 220),
                        PreviewColumn("unit", self.tr("Unit"), 60),
                        PreviewColumn("price", self.tr("List price"), 130),
                        PreviewColumn("active", self.tr("Active"), 60))
        self.filters = ((self.tr("To import"), product_import.IMPORTABLE),
                        (self.tr("New"), (product_import.NEW,)),
                        (self.tr("Updates"), (product_import.UPDATE,)),
                        (self.tr("Unchanged"), (product_import.UNCHANGED,)),
                        (self.tr("Errors"), (product_import.ERROR,)),
                        (self.tr("Imported"), (product_import.IMPORTED,)))
        self.quiet_statuses = (product_import.UNCHANGED,)

    def preview(self, store: Store, user_id: str, path: str, progress: Progress) -> Any:
        return product_import.preview_file(store, user_id, path, progress=progress)

    def import_rows(self, store: Store, user_id: str, preview: Any, progress: Progress, language: str) -> Any:
        return product_import.import_rows(store, user_id, preview, progress, language=language)

    def cell(self, row: Any, key: str, language: str) -> str:
        values = row.values
        if key == "code":
            return row.code
        if key == "name":
            return values.get("name") or row.name
        if key == "unit":
            return values.get("unit") or row.unit
        if key == "price":
            if not values.get("list_price"):
                return " ".join(t for t in (row.price, row.currency_text) if t)
            text = money_text(Decimal(values["list_price"]))
            return f"{text} {currency_name(row.currency)}" if row.currency else text
        active = values.get("active")
        if active is None:
            return row.active_text
        if active:
            return self.tr("yes")
        return self.tr("no")

    def status_text(self, row: Any, language: str) -> str:
        if row.status == product_import.NEW:
            return self.tr("New product")
        if row.status == product_import.UNCHANGED:
            return self.tr("Unchanged")
        if row.status == product_import.IMPORTED:
            return (self.tr("Added") if row.product_id is None
                    else self.tr("Updated"))
        zh, en = product_import.change_note(row)
        text = self.tr("Update: %1")
        return text.replace("%1", zh if _chinese(language) else en)

    def preview_counts(self, preview: Any) -> str:
        count = preview.count
        parts = [self.tr("%n new", "", count(product_import.NEW)),
                 self.tr("%n update(s)", "", count(product_import.UPDATE)),
                 self.tr("%n unchanged", "", count(product_import.UNCHANGED)),
                 self.tr("%n error(s)", "", count(product_import.ERROR))]
        return (self.tr("%n row(s) in the file: ", "", len(preview.rows))
                + self.tr(", ").join(parts))

    def result_counts(self, result: Any) -> str:
        parts = [self.tr("%n added", "", result.created),
                 self.tr("%n updated", "", result.updated),
                 self.tr("%n unchanged", "", result.unchanged),
                 self.tr("%n error(s)", "", result.errors)]
        if result.cancelled:
            parts.append(self.tr("import cancelled, %n row(s) not imported yet", "",
                                    result.not_attempted))
        return self.tr(", ").join(parts) + self.tr(".")


class PreviewModel(QAbstractTableModel):
    """The preview's rows: row number, the importer's columns, status.

    The column indexes are attributes named after the importer's keys (``model.TIME``), between
    ``ROW`` (0) and ``STATUS`` (the last).
    """

    ROW = 0
    STATUS_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, language: str, importer: Importer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._language = language
        self._importer = importer
        self._keys = [c.key for c in importer.columns]
        for index, key in enumerate(self._keys, start=1):
            setattr(self, key.upper(), index)
        self.STATUS = len(self._keys) + 1

    def set_rows(self, rows: list[Any]) -> None:
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
        return 0 if parent.isValid() else self.STATUS + 1

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == self.ROW:
            return self.tr("Row")
        if section == self.STATUS:
            return self.tr("Status")
        return self._importer.columns[section - 1].header

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
            if row.status in self._importer.quiet_statuses:
                return QColor(HINT_COLOR)
        return None

    # ---- Private API

    def _text(self, row: Any, column: int) -> str:
        if column == self.ROW:
            return str(row.row)
        if column == self.STATUS:
            return self._status(row)
        return self._importer.cell(row, self._keys[column - 1], self._language)

    def _status(self, row: Any) -> str:
        if row.status == ERROR:
            messages = "; ".join(p.message(self._language) for p in row.problems)
            return self.tr("Error: %1").replace("%1", messages)
        return self._importer.status_text(row, self._language)


class StatusFilter(QSortFilterProxyModel):
    """Show every row, or only those of some statuses."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.statuses: tuple[str, ...] | None = None

    def set_status(self, status: str | Sequence[str] | None) -> None:
        """One status, several, or None for every row."""
        statuses = (status,) if isinstance(status, str) else None if status is None else tuple(status)
        if hasattr(self, "endFilterChange"):  # Qt 6.10 and later: invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.statuses = statuses
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.statuses = statuses
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        if self.statuses is None:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return self.sourceModel().data(index, PreviewModel.STATUS_ROLE) in self.statuses


class ImportDialog(QDialog):
    """Choose a CSV file, preview it row by row, import the rows that are ok."""

    sig_previewed = Signal(object)
    """The chosen file was read; carries the importer's preview (e.g. desktop.touchpoint_import.Preview)."""
    sig_imported = Signal(object)
    """An import ended (finished, cancelled or stopped); carries the importer's result
    (e.g. desktop.touchpoint_import.ImportResult)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, zone: tzinfo | None = None,
                 importer: Importer | None = None) -> None:
        """``importer``: what the file holds; None imports touchpoints, whose times without an offset
        are read in ``zone`` (None: this computer's)."""
        super().__init__(parent)
        self.context = context
        self.zone = zone
        self.importer = importer if importer is not None else TouchpointImporter(zone)
        self.preview: Any = None
        self.progress_dialog: QProgressDialog | None = None
        self._busy = False
        self.setWindowTitle(self.importer.title)
        self.resize(980, 620)

        self.choose_button = QPushButton(self.tr("Choose file…"))
        self.choose_button.clicked.connect(self.choose_file)
        self.path_label = QLabel(self.tr("No file chosen."))
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.path_label, 1)

        self.help_label = QLabel(self.importer.help_text)
        self.help_label.setWordWrap(True)
        self.help_label.setStyleSheet(f"color: {HINT_COLOR}")
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.filter_combo = QComboBox()
        self.filter_combo.addItem(self.tr("All rows"), None)
        for text, statuses in self.importer.filters:
            self.filter_combo.addItem(text, list(statuses))
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_status(self.filter_combo.currentData()))
        show = QHBoxLayout()
        show.addWidget(QLabel(self.tr("Show:")))
        show.addWidget(self.filter_combo)
        show.addStretch(1)

        self.model = PreviewModel(context.language, self.importer, self)
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
        self.table.setColumnWidth(PreviewModel.ROW, 50)
        for column, spec in enumerate(self.importer.columns, start=1):
            self.table.setColumnWidth(column, spec.width)
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
        user_id, importer = self.context.user_id, self.importer

        def job(store: Store, progress: Progress) -> Any:
            return importer.preview(store, user_id, path, progress)

        self.progress_dialog = run_with_progress(self.context.tasks, self, self.tr("Reading the file…"), job,
                                                 self._on_previewed)

    def start_import(self) -> None:
        """Import the rows marked OK on the database thread, behind a progress dialog with Cancel."""
        preview = self.preview
        if self._busy or preview is None or not preview.importable or self.context.user is None:
            return
        self._busy = True
        self._update_buttons()
        user_id, language, importer = self.context.user_id, self.context.language, self.importer

        def job(store: Store, progress: Progress) -> Any:
            return importer.import_rows(store, user_id, preview, progress, language)

        self.progress_dialog = run_with_progress(self.context.tasks, self, importer.working_text, job,
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
            count = self.importer.write_error_report(path, self.preview.problems, self.context.language)
        except OSError as exc:
            why_zh, why_en = os_reason(exc)
            why = why_zh if self.context.language.lower().startswith("zh") else why_en
            self._show_message(self.tr("The error report could not be saved: %1").replace("%1", why), True)
            return
        self._show_message(self.tr("%n error(s) saved to %1.", "", count).replace("%1", path), False)

    # ---- Private API

    def _on_previewed(self, future: Future[Any]) -> None:
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
        self.counts_label.setText(self.importer.preview_counts(preview))
        self._update_buttons()
        self.sig_previewed.emit(preview)

    def _on_imported(self, future: Future[Any]) -> None:
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
            self.counts_label.setText(self.importer.result_counts(result))
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
        status = self.proxy.index(current.row(), self.model.STATUS)
        number = self.proxy.index(current.row(), PreviewModel.ROW).data()
        self.detail_label.setText(self.tr("Row %1: %2").replace("%1", str(number)).replace("%2", str(status.data())))

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
