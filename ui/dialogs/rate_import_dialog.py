"""Import exchange rates from finance's CSV file: choose it, see the rates read and the rows that could not
be, record the good ones.

desktop.fx.csv_rates reads and checks the file (each row like a rate typed by hand); Import records every
rate read in one transaction (``rate.record`` in a batch: all or none), so closing the dialog before
Import, or an import refused, records nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.fx.calendar import beijing_date
from desktop.fx.csv_rates import CsvRates, read_csv_file
from desktop.ids import uuid7
from desktop.store import Store
from desktop.timeutil import utcnow
from ui.context import AppContext
from ui.forms import ERROR_COLOR, alive
from ui.ops import MutationOp, QueryOp, describe
from ui.rate_labels import source_name


def rate_calls(result: CsvRates) -> list[tuple[str, dict[str, Any]]]:
    """One ``rate.record`` per rate read, each with a new id."""
    return [("rate.record", {"id": uuid7(), "pair": rate.pair, "rate": str(rate.rate),
                             "rate_date": rate.rate_date.isoformat(), "source": rate.source})
            for rate in result.rates]


class RateImportDialog(QDialog):
    """Preview a rates file, then record the rates it holds."""

    sig_previewed = Signal(object)
    """The file was read; carries the desktop.fx.csv_rates.CsvRates (or None when it could not be read)."""
    sig_imported = Signal(int)
    """The rates were recorded; carries how many."""
    sig_failed = Signal(str)
    """Recording was refused; carries the message in the user's language."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.result: CsvRates | None = None
        self.path = ""
        self._busy = False
        self._imported = False
        self.setWindowTitle(self.tr("Import exchange rates"))
        self.setMinimumSize(560, 460)

        self.choose_button = QPushButton(self.tr("Choose file…"))
        self.choose_button.clicked.connect(self.choose_file)
        self.path_label = QLabel()
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.path_label, 1)
        self.help_label = QLabel(self.tr("A CSV file with a header row and the columns date, pair and rate "
                                         "(source is optional: cfets, csv or manual)."))
        self.help_label.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet(f"color: {ERROR_COLOR}")
        self.message_label.hide()
        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)

        self.rates_table = _table([self.tr("Date"), self.tr("Pair"), self.tr("Rate"), self.tr("Source")])
        self.problems_label = QLabel(self.tr("Rows that will not be imported:"))
        self.problems_table = _table([self.tr("Row"), self.tr("Column"), self.tr("Problem")])
        self.problems_label.hide()
        self.problems_table.hide()

        self.import_button = QPushButton(self.tr("Import"))
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton(self.tr("Cancel"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.help_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.rates_table, 2)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.problems_table, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # ---- Public API

    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Choose a CSV file"), "",
                                                    self.tr("CSV files (*.csv *.txt);;All files (*)"))
        if path:
            self.load(path)

    def load(self, path: str) -> None:
        """Read and check the file off the main thread; the tables fill when it is done."""
        if self._busy:
            return
        self._busy = True
        self._imported = False
        self.path = path
        self.result = None
        self.path_label.setText(path)
        self._show_message("")
        self.counts_label.clear()
        self._fill(CsvRates())
        self._update_buttons()
        today = beijing_date(utcnow())

        def read(_store: Store) -> CsvRates:
            return read_csv_file(path, today)

        QueryOp(self.context.tasks, read).success(self._on_read).failure(self._on_read_failed).run()

    def start_import(self) -> None:
        """Record every rate read, in one transaction."""
        result = self.result
        if self._busy or self._imported or result is None or not result.rates or self.context.user is None:
            return
        self._busy = True
        self._show_message("")
        self._update_buttons()
        count = len(result.rates)

        def ok(_outcome: Any) -> None:
            if not alive(self):
                return
            self._busy = False
            self._imported = True
            self.counts_label.setText(self.tr("%n rate(s) recorded.", "", count))
            self.close_button.setText(self.tr("Close"))
            self._update_buttons()
            self.sig_imported.emit(count)

        def failed(exc: Exception) -> None:
            if not alive(self):
                return
            self._busy = False
            text = describe(exc, self.context.language)
            self._show_message(text)
            self._update_buttons()
            self.sig_failed.emit(text)

        MutationOp.batch(self.context.tasks, self.context.user_id, rate_calls(result)) \
            .success(ok).failure(failed).run()

    @property
    def is_busy(self) -> bool:
        """True while the file is read or the rates recorded."""
        return self._busy

    # ---- Private API

    def _on_read(self, result: CsvRates) -> None:
        if not alive(self):
            return
        self._busy = False
        self.result = result
        self._fill(result)
        self.counts_label.setText(self.tr("%1 rate(s) read, %2 row(s) with problems.")
                                  .replace("%1", str(len(result.rates))).replace("%2", str(len(result.problems))))
        self._update_buttons()
        self.sig_previewed.emit(result)

    def _on_read_failed(self, exc: Exception) -> None:
        if not alive(self):
            return
        self._busy = False
        self._show_message(describe(exc, self.context.language))
        self._update_buttons()
        self.sig_previewed.emit(None)

    def _fill(self, result: CsvRates) -> None:
        self.rates_table.setRowCount(len(result.rates))
        for row, rate in enumerate(result.rates):
            for column, text in enumerate((rate.rate_date.isoformat(), rate.pair, str(rate.rate),
                                           source_name(rate.source))):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.rates_table.setItem(row, column, item)
        language = self.context.language
        self.problems_table.setRowCount(len(result.problems))
        for row, problem in enumerate(result.problems):
            message = problem.message(language)
            for column, text in enumerate((str(problem.row), problem.column, message)):
                item = QTableWidgetItem(text)
                item.setToolTip(problem.text(language))
                if column == 2:
                    item.setForeground(QColor(ERROR_COLOR))
                self.problems_table.setItem(row, column, item)
        self.problems_label.setVisible(bool(result.problems))
        self.problems_table.setVisible(bool(result.problems))

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _update_buttons(self) -> None:
        ready = self.result is not None and bool(self.result.rates)
        self.import_button.setEnabled(ready and not self._busy and not self._imported)
        self.choose_button.setEnabled(not self._busy)
        self.close_button.setEnabled(not self._busy)  # once the batch is sent it is recorded; do not pretend


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table
