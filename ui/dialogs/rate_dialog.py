"""Record an exchange rate typed in by hand (rate.record, source "manual").

What was typed is checked like a row of finance's CSV file (desktop.fx.csv_rates.manual_rate): a number
with at most the central parity's four decimals, inside the pair's sane band (7.1186 typed as 71.186 is
caught here, before it can decide a quote's approvals), dated no later than today in Beijing. The
message appears under the field at fault; a refusal by the mutation too, and what was typed stays.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QDateEdit, QLabel, QLineEdit, QWidget

from desktop import mutations
from desktop.errors import DomainError
from desktop.fx.calendar import beijing_date
from desktop.fx.csv_rates import manual_rate
from desktop.ids import uuid7
from desktop.timeutil import utcnow
from ui.context import AppContext
from ui.forms import FormDialog
from ui.rate_labels import source_name

FIELDS = mutations.REGISTRY["rate.record"].fields
PAIR = "USD/CNY"  # the only pair quotes use for now (desktop.mutations.rates.PAIRS)


class RateDialog(FormDialog):
    """One rate for USD/CNY: the rate and its date; the source is "manual"."""

    sig_saved = Signal(object)
    """The rate was recorded; carries the desktop.mutations.Outcome."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.pair = PAIR
        self._id = uuid7()  # one id for every attempt, so a retried save cannot record the rate twice
        self.setWindowTitle(self.tr("Record an exchange rate"))
        self.setMinimumWidth(420)
        self.pair_label = QLabel(PAIR)
        self.rate_edit = QLineEdit()
        self.rate_edit.setPlaceholderText(self.tr("CNY for one USD, such as 7.1186"))
        today = beijing_date(utcnow())
        self.date_edit = QDateEdit(QDate(today.year, today.month, today.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.source_label = QLabel(source_name("manual"))
        add = self.errors.add_row
        add(self.form, self.tr("Currency pair"), "pair", self.pair_label)
        add(self.form, self.tr("Rate"), "rate", self.rate_edit)
        add(self.form, self.tr("Rate date"), "rate_date", self.date_edit)
        add(self.form, self.tr("Source"), "source", self.source_label)
        self.show_note(self.tr("Today's date is China's; the central parity is published at 09:15 Beijing time."))
        self._set_ready()

    def rate_date(self) -> date:
        """The date chosen."""
        value = self.date_edit.date()
        return date(value.year(), value.month(), value.day())

    def save(self) -> None:
        """Check the rate as finance's file would be checked, then record it."""
        text = self.rate_edit.text().strip()
        if not text:  # "required", in the mutation's words, rather than "'' is not a number"
            self._check(FIELDS, {"rate": None})
            return
        self.errors.clear()
        try:
            rate = manual_rate(self.pair, text, self.rate_date(), beijing_date(utcnow()))
        except DomainError as exc:
            self.errors.show_exception(exc)
            return
        args = {"id": self._id, "pair": rate.pair, "rate": str(rate.rate), "rate_date": rate.rate_date.isoformat(),
                "source": rate.source}
        if self._check(FIELDS, args):
            self._send("rate.record", args)
