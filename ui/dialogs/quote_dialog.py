"""Build a quote: its terms, its lines (with the product list), the totals as desktop.quote_math computes
them while typing, then Save, Submit, Copy, Revise, Preview PDF… and Print….

The totals shown while typing are for display; the mutations compute and store the real ones. Save
sends every change as one batch (quote.create or quote.update, quote.line_set, quote.line_remove) in
one transaction, so a refused line leaves nothing half-saved; the refusal is shown next to its field,
or under the lines for a line's field. A quote that is not a draft is shown read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import func, select

from desktop import approval_policy, mutations, quote_math, timeutil
from desktop.errors import DomainError
from desktop.ids import uuid7
from desktop.lookups import live_contacts
from desktop.models import CURRENCIES, Approval, Customer, Product, Quote, QuoteLine, User
from desktop.mutations import quotes as quote_core
from desktop.mutations import rates
from desktop.mutations.common import by_id
from desktop.store import Store
from ui import quote_print
from ui.context import AppContext
from ui.customer_picker import CustomerPicker
from ui.forms import (
    ERROR_COLOR,
    FIELD_ERROR_STYLE,
    DiscardGuard,
    FieldErrors,
    alive,
    confirm_stale_rate,
    open_form,
    precheck,
)
from ui.labels import currency_name, money_text, quote_status_name, role_name
from ui.ops import MutationOp, QueryOp, describe
from ui.rate_labels import rate_text

TERMS = mutations.REGISTRY["quote.update"].fields
LINE_FIELDS = mutations.REGISTRY["quote.line_set"].fields
TERM_NAMES = ("contact_id", "currency", "vat_pct", "discount_pct", "valid_until", "terms", "drawing_version")
# Columns of the lines table; the product column holds a combo box.
PRODUCT, DESCRIPTION, QUANTITY, UNIT, UNIT_PRICE, DISCOUNT, NET = range(7)
LINE_COLUMN_FIELDS = {DESCRIPTION: "description", QUANTITY: "quantity", UNIT: "unit", UNIT_PRICE: "unit_price",
                      DISCOUNT: "discount_pct"}


@dataclass(frozen=True)
class ProductChoice:
    id: str
    code: str
    name: str
    unit: str
    list_price: Decimal
    currency: str


@dataclass
class LoadedLine:
    id: str
    product_id: str | None
    description: str
    unit: str
    quantity: str
    unit_price: str
    discount_pct: str
    position: int


@dataclass
class Loaded:
    """What the dialog shows, read on the database thread."""

    products: list[ProductChoice]
    customer_id: str | None = None
    customer_name: str = ""
    contacts: list[tuple[str, str]] = field(default_factory=list)
    quote: dict[str, Any] | None = None  # the stored terms as text, plus number, revision, status, version, owner
    lines: list[LoadedLine] = field(default_factory=list)
    today: str = ""
    required: list[dict[str, str]] = field(default_factory=list)  # as stored at submission, with reasons
    decisions: list[tuple[str, str, str, str]] = field(default_factory=list)  # role, decision, approver, comment
    revisions: int = 0  # how many revisions of the quote's number are held here


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def load(store: Store, quote_id: str | None, customer_id: str | None) -> Loaded:
    """On the database thread: the product list, the customer with its contacts and the quote, if any."""
    with store.read() as session:
        products = [ProductChoice(p.id, p.code, p.name, p.unit, p.list_price, p.currency)
                    for p in session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.code))]
        out = Loaded(products, today=rates.business_date(timeutil.utcnow()).isoformat())
        if quote_id is not None:
            quote = by_id(session, Quote, quote_id)
            if quote is None:
                raise LookupError(quote_id)
            customer_id = quote.customer_id
            owner = session.get(User, quote.owner_id)
            out.quote = {name: _text(getattr(quote, name)) for name in TERM_NAMES}
            out.quote.update(id=quote.id, number=quote.number, revision=quote.revision, status=quote.status,
                             version=quote.version, owner_id=quote.owner_id,
                             owner=owner.display_name if owner is not None else "")
            # What the round required: at submission, then what fired at its decisions (it stays required).
            # (a draft has none: its last round ended when it was withdrawn)
            fired = quote_core.fired(quote, quote_core.round_approvals(session, quote)) \
                if quote.status != "draft" else []
            out.required = [r.to_dict() for r in approval_policy.in_force([], fired)]
            out.revisions = session.scalar(select(func.count()).select_from(Quote)
                                           .where(Quote.number == quote.number)) or 0
            out.decisions = [(a.role, a.decision, name, a.comment) for a, name in session.execute(
                select(Approval, User.display_name).join(User, User.id == Approval.approver_id)
                .where(Approval.quote_id == quote.id, Approval.round == quote.approval_round)
                .order_by(Approval.decided_at))]
            if quote.locked_rate is not None:
                out.quote["locked_rate"] = (f"{rate_text(quote.locked_rate)} ({quote.locked_rate_date}, "
                                            f"{quote.locked_rate_source})")
            out.lines = [LoadedLine(line.id, line.product_id, line.description, line.unit, _text(line.quantity),
                                    _text(line.unit_price), _text(line.discount_pct), line.position)
                         for line in session.scalars(select(QuoteLine).where(QuoteLine.quote_id == quote.id)
                                                     .order_by(QuoteLine.position, QuoteLine.id))]
        if customer_id is not None:
            customer = by_id(session, Customer, customer_id)
            if customer is not None:
                out.customer_id, out.customer_name = customer.id, customer.name
                out.contacts = [(c.id, c.name) for c in live_contacts(session, customer.id)]
        return out


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


class QuoteDialog(QDialog):
    """A quote: new (for a customer) or an existing one, editable while it is the user's draft."""

    sig_loaded = Signal()
    """The quote (or the new form) was read and is shown."""
    sig_saved = Signal(str)
    """A save, submission, copy or revision went through; carries the quote id now shown."""
    sig_failed = Signal(str)
    """A change was refused; carries the message in the user's language."""
    sig_pdf_ready = Signal(str)
    """The PDF was written; carries its path."""
    sig_printed = Signal(int)
    """Printing finished; carries the number of pages."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, quote_id: str | None = None,
                 customer_id: str | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.quote_id = quote_id
        self.customer_id = customer_id
        self.loaded: Loaded | None = None
        self.editable = False
        self.busy = False
        self.pdf_path: Path | None = None
        self._removed: list[str] = []
        self._filling = False
        self._print_job: quote_print.PdfPrintJob | None = None
        self.discard_guard = DiscardGuard(self)
        self.setWindowTitle(self.tr("Quote"))
        self.setMinimumSize(900, 640)
        self.setStyleSheet(FIELD_ERROR_STYLE)

        self.banner = QLabel()
        self.banner.setObjectName("error_banner")
        self.errors = FieldErrors(lambda: context.language, self.banner)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.approval = QLabel()
        self.approval.setWordWrap(True)
        self.approval.setTextFormat(Qt.TextFormat.PlainText)
        self.approval.hide()
        self.form = QFormLayout()
        self.customer_picker = CustomerPicker(context)
        self.customer_picker.sig_changed.connect(self._customer_chosen)
        self.customer_label = QLabel()
        self.contact = QComboBox()
        self.currency = QComboBox()
        for code in CURRENCIES:
            self.currency.addItem(currency_name(code), code)
        self.vat = QLineEdit("13")
        self.discount = QLineEdit("0")
        self.valid_until = QLineEdit()
        self.valid_until.setPlaceholderText(self.tr("YYYY-MM-DD"))
        self.terms = QPlainTextEdit()
        self.terms.setMaximumHeight(70)
        self.drawing = QLineEdit()
        self.errors.add_row(self.form, self.tr("Customer"), "customer_id", self._customer_box())
        self.errors.add_row(self.form, self.tr("Contact"), "contact_id", self.contact)
        self.errors.add_row(self.form, self.tr("Currency"), "currency", self.currency)
        self.errors.add_row(self.form, self.tr("VAT (%)"), "vat_pct", self.vat)
        self.errors.add_row(self.form, self.tr("Overall discount (%)"), "discount_pct", self.discount)
        self.errors.add_row(self.form, self.tr("Valid until"), "valid_until", self.valid_until)
        self.errors.add_row(self.form, self.tr("Terms"), "terms", self.terms)
        self.errors.add_row(self.form, self.tr("Customer drawing version"), "drawing_version", self.drawing)

        self.lines = QTableWidget(0, 7)
        self.lines.setHorizontalHeaderLabels([self.tr("Product"), self.tr("Description"), self.tr("Quantity"),
                                              self.tr("Unit"), self.tr("Unit price"), self.tr("Discount (%)"),
                                              self.tr("Net")])
        self.lines.horizontalHeader().setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.verticalHeader().hide()
        self.lines.cellChanged.connect(self._cell_changed)
        self.line_error = QLabel()
        self.line_error.setObjectName("error_lines")
        self.line_error.setStyleSheet(f"color: {ERROR_COLOR}")
        self.line_error.setWordWrap(True)
        self.line_error.hide()
        self.add_line_button = QPushButton(self.tr("Add line"))
        self.add_line_button.clicked.connect(lambda: self.add_line())
        self.remove_line_button = QPushButton(self.tr("Remove line"))
        self.remove_line_button.clicked.connect(self._remove_selected_line)
        self.totals = QLabel()
        self.totals.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.totals.setTextFormat(Qt.TextFormat.PlainText)

        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.clicked.connect(self.save)
        self.submit_button = QPushButton(self.tr("Submit for approval"))
        self.submit_button.clicked.connect(self.submit)
        self.withdraw_button = QPushButton(self.tr("Withdraw"))
        self.withdraw_button.clicked.connect(lambda: self._run([("quote.withdraw", {"id": self.quote_id})]))
        self.sent_button = QPushButton(self.tr("Mark as sent"))
        self.sent_button.clicked.connect(lambda: self._run([("quote.mark_sent", {"id": self.quote_id})]))
        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.clicked.connect(self.copy)
        self.revise_button = QPushButton(self.tr("Revise"))
        self.revise_button.clicked.connect(self.revise)
        self.preview_button = QPushButton(self.tr("Preview PDF…"))
        self.preview_button.clicked.connect(self.preview)
        self.print_button = QPushButton(self.tr("Print…"))
        self.print_button.clicked.connect(self.print_dialog)
        self.compare_button = QPushButton(self.tr("Compare versions…"))
        self.compare_button.clicked.connect(self.compare)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)

        line_buttons = QHBoxLayout()
        line_buttons.addWidget(self.add_line_button)
        line_buttons.addWidget(self.remove_line_button)
        line_buttons.addStretch(1)
        line_buttons.addWidget(self.totals)
        buttons = QHBoxLayout()
        for button in (self.preview_button, self.print_button, self.copy_button, self.revise_button,
                       self.compare_button, self.withdraw_button, self.sent_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.submit_button, self.save_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.approval)
        layout.addWidget(self.banner)
        layout.addLayout(self.form)
        layout.addWidget(self.lines, 1)
        layout.addWidget(self.line_error)
        layout.addLayout(line_buttons)
        layout.addLayout(buttons)

        for widget in (self.vat, self.discount):
            widget.textChanged.connect(self.recompute)
        self.currency.currentIndexChanged.connect(lambda _i: self.recompute())
        self._set_buttons()
        self.reload()

    # ---- Public API

    def reload(self) -> None:
        """Read the quote (or the new form's lists) again on the database thread."""
        quote_id, customer_id = self.quote_id, self.customer_id
        self.busy = True
        self._set_buttons()

        def done(loaded: Loaded) -> None:
            if alive(self):
                self.busy = False
                self._show(loaded)
                self.discard_guard.mark_clean()  # as read (after a save too): closing now loses nothing
                self.sig_loaded.emit()

        def failed(exc: Exception) -> None:
            if alive(self):
                self.busy = False
                self.errors.show_banner(describe(exc, self.context.language))

        QueryOp(self.context.tasks, lambda store: load(store, quote_id, customer_id)).success(done) \
            .failure(failed).run()

    def reject(self) -> None:
        """Esc or Close: ask first when something typed since the last save would be lost."""
        self.discard_guard.close_or_ask(super().reject)

    def add_line(self, product_id: str | None = None, description: str = "", quantity: str = "1",
                 unit_price: str = "", discount_pct: str = "0") -> int:
        """Append an empty (or given) line; returns its row."""
        row = self.lines.rowCount()
        self._filling = True
        self.lines.insertRow(row)
        combo = QComboBox()
        combo.addItem(self.tr("(no product)"), None)
        for product in self.loaded.products if self.loaded is not None else []:
            combo.addItem(f"{product.code} {product.name}", product.id)
        combo.setEnabled(self.editable)
        self.lines.setCellWidget(row, PRODUCT, combo)
        for col, text in ((DESCRIPTION, description), (QUANTITY, quantity), (UNIT, ""), (UNIT_PRICE, unit_price),
                          (DISCOUNT, discount_pct), (NET, "")):
            item = QTableWidgetItem(text)
            if col == NET or not self.editable:  # the unit is typed too: a product's is only the default
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if col in (QUANTITY, UNIT_PRICE, DISCOUNT, NET):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            elif col == UNIT:  # centred, as the PDF prints it
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.lines.setItem(row, col, item)
        self.lines.item(row, DESCRIPTION).setData(Qt.ItemDataRole.UserRole, None)  # the stored line's id
        if product_id is not None:
            combo.setCurrentIndex(max(0, combo.findData(product_id)))
            self.lines.item(row, UNIT).setText(self._product(product_id).unit if self._product(product_id) else "")
        combo.currentIndexChanged.connect(lambda _i, c=combo: self._product_chosen(c))
        self._filling = False
        self.recompute()
        return row

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Type into a cell of the lines table (as the user would)."""
        self.lines.item(row, column).setText(text)

    def choose_product(self, row: int, product_id: str | None) -> None:
        combo: QComboBox = self.lines.cellWidget(row, PRODUCT)  # type: ignore[assignment]
        combo.setCurrentIndex(max(0, combo.findData(product_id)))

    def recompute(self) -> None:
        """The line nets and totals for what is typed now (desktop.quote_math), for display."""
        if self._filling:
            return
        lines = []
        self._filling = True
        for row in range(self.lines.rowCount()):
            quantity = _decimal(self.lines.item(row, QUANTITY).text())
            price = _decimal(self.lines.item(row, UNIT_PRICE).text())
            discount = _decimal(self.lines.item(row, DISCOUNT).text() or "0")
            if quantity is None or price is None or discount is None:
                self.lines.item(row, NET).setText("")
                continue
            line = quote_math.Line(quantity, price, discount)
            self.lines.item(row, NET).setText(money_text(quote_math.line_net(line)))
            lines.append(line)
        self._filling = False
        vat = _decimal(self.vat.text()) or Decimal(0)
        discount = _decimal(self.discount.text() or "0") or Decimal(0)
        totals = quote_math.totals(lines, discount, vat)
        self.total_text = money_text(totals.total)
        currency = currency_name(self.currency.currentData() or "CNY")
        text = self.tr("Subtotal %1   Discount %2   Net %3   VAT %4   Total %5 %6")
        for marker, value in (("%1", totals.subtotal), ("%2", totals.discount_amount), ("%3", totals.net_amount),
                              ("%4", totals.vat_amount), ("%5", totals.total)):
            text = text.replace(marker, money_text(value))
        self.totals.setText(text.replace("%6", currency))

    def save(self, then: list[tuple[str, dict[str, Any]]] | None = None) -> None:
        """Send what changed as one batch (followed by ``then``, e.g. the submission)."""
        calls = self._changes()
        if calls is None:
            return
        calls += then or []
        if not calls:
            self.errors.show_banner(self.tr("Nothing was changed."))
            return
        self._run(calls)

    def submit(self) -> None:
        """Save what changed and send the quote for approval, in one transaction."""
        if self.quote_id is None and self.loaded is not None:
            self._new_id = uuid7()
        self.save(then=[("quote.submit", {"id": self.quote_id or getattr(self, "_new_id", None)})])

    def copy(self) -> None:
        new_id = uuid7()
        self._run([("quote.copy", {"id": new_id, "source_id": self.quote_id})], open_id=new_id)

    def compare(self) -> QWidget | None:
        """Open the comparison of this revision with the one before it (or the next, for the first)."""
        from ui.dialogs.quote_compare_dialog import QuoteCompareDialog

        if self.quote_id is None:
            return None
        return open_form(QuoteCompareDialog(self.context, self.quote_id, self))

    def revise(self) -> None:
        new_id = uuid7()
        self._run([("quote.revise", {"id": new_id, "source_id": self.quote_id})], open_id=new_id)

    def render_pdf(self, then: Any) -> None:
        """Write the stored quote's PDF on the database thread; ``then(path)`` on the main thread."""
        quote_id = self.quote_id

        def done(path: Path) -> None:
            if alive(self):
                if isinstance(path, quote_print.RenderedPdf) and path.unprintable:
                    self.errors.show_banner(path.warning(self.context.language))
                    self._pdf_warning = self.banner.text()
                elif getattr(self, "_pdf_warning", None) and self.banner.text() == self._pdf_warning:
                    self.banner.clear()  # the last PDF's warning; this one prints every character
                    self.banner.hide()
                    self._pdf_warning = None
                self.pdf_path = path
                self.sig_pdf_ready.emit(str(path))
                then(path)

        def failed(exc: Exception) -> None:
            if alive(self):
                self.errors.show_banner(describe(exc, self.context.language))
                self.sig_failed.emit(describe(exc, self.context.language))

        QueryOp(self.context.tasks, lambda store: quote_print.render_to_file(store, quote_id)).success(done) \
            .failure(failed).run()

    def preview(self) -> None:
        """Show the saved quote as its PDF."""
        def show(path: Path) -> None:
            if quote_print.preview_available():
                viewer = quote_print.PdfPreview(path, self.tr("Quote %1").replace("%1", self._number()), self)
                viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                self.preview_window = viewer
                viewer.show()
            else:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

        self.render_pdf(show)

    def print_dialog(self) -> None:
        """Ask for a printer, then print the saved quote's PDF on it."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        """Print the saved quote's PDF on ``printer`` (no dialog)."""
        def go(path: Path) -> None:
            self._print_job = quote_print.print_to_printer(
                path, printer, self, self.sig_printed.emit,
                lambda what: self.errors.show_banner(self.tr("Could not print: %1").replace("%1", what)))

        self.render_pdf(go)

    # ---- Private API

    def _customer_box(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.customer_picker)
        column.addWidget(self.customer_label)
        return box

    def _number(self) -> str:
        quote = self.loaded.quote if self.loaded is not None else None
        return f"{quote['number']} rev. {quote['revision']}" if quote else ""

    def _product(self, product_id: str | None) -> ProductChoice | None:
        for product in self.loaded.products if self.loaded is not None else []:
            if product.id == product_id:
                return product
        return None

    def _show(self, loaded: Loaded) -> None:
        self.loaded = loaded
        quote = loaded.quote
        self.customer_id = loaded.customer_id
        self.editable = quote is None or (quote["status"] == "draft" and (
            quote["owner_id"] == self.context.user_id or self.context.user.role == "admin"))
        self.customer_picker.setVisible(quote is None and loaded.customer_id is None)
        self.customer_label.setText(loaded.customer_name)
        self.customer_label.setVisible(loaded.customer_id is not None)
        self.contact.clear()
        self.contact.addItem(self.tr("(none)"), None)
        for contact_id, name in loaded.contacts:
            self.contact.addItem(name, contact_id)
        if quote is None:
            self.heading.setText(self.tr("New quote"))
            self.valid_until.setText(_plus_days(loaded.today, 30))
        else:
            self.heading.setText(self.tr("Quote %1 rev. %2 — %3 — %4")
                                 .replace("%1", quote["number"]).replace("%2", str(quote["revision"]))
                                 .replace("%3", quote_status_name(quote["status"])).replace("%4", quote["owner"]))
            self.setWindowTitle(self.tr("Quote %1").replace("%1", self._number()))
            self.contact.setCurrentIndex(max(0, self.contact.findData(quote["contact_id"] or None)))
            self.currency.setCurrentIndex(max(0, self.currency.findData(quote["currency"])))
            self.vat.setText(quote["vat_pct"])
            self.discount.setText(quote["discount_pct"])
            self.valid_until.setText(quote["valid_until"])
            self.terms.setPlainText(quote["terms"])
            self.drawing.setText(quote["drawing_version"])
        self._show_approval(loaded)
        for widget in (self.contact, self.currency):
            widget.setEnabled(self.editable)
        for edit in (self.vat, self.discount, self.valid_until, self.drawing):
            edit.setReadOnly(not self.editable)
        self.terms.setReadOnly(not self.editable)
        self._removed = []
        self.lines.setRowCount(0)
        for stored in loaded.lines:
            row = self.add_line(stored.product_id, stored.description, stored.quantity, stored.unit_price,
                                stored.discount_pct)
            self.lines.item(row, DESCRIPTION).setData(Qt.ItemDataRole.UserRole, stored.id)
            self.lines.item(row, UNIT).setText(stored.unit)
        self.recompute()
        self._set_buttons()

    def _show_approval(self, loaded: Loaded) -> None:
        """Who must approve and why (as stored at submission), what was decided, the locked rate."""
        zh = self.context.language.lower().startswith("zh")
        decided = {role: (decision, name, comment) for role, decision, name, comment in loaded.decisions}
        lines = []
        for requirement in loaded.required:
            text = f"• {role_name(requirement['role'])}: {requirement['reason_zh' if zh else 'reason_en']}"
            if requirement["role"] in decided:
                decision, name, comment = decided[requirement["role"]]
                verdict = self.tr("approved by %1") if decision == "approve" else self.tr("rejected by %1")
                text += " — " + verdict.replace("%1", name) + (f": {comment}" if comment else "")
            lines.append(text)
        rate = (loaded.quote or {}).get("locked_rate")
        if rate:
            lines.append(self.tr("Locked USD/CNY rate: %1").replace("%1", rate))
        self.approval.setText("\n".join(lines))
        self.approval.setVisible(bool(lines))

    def _set_buttons(self) -> None:
        quote = self.loaded.quote if self.loaded is not None else None
        status = quote["status"] if quote else None
        ready = self.loaded is not None and not self.busy
        self.save_button.setEnabled(ready and self.editable)
        self.submit_button.setEnabled(ready and self.editable)
        self.add_line_button.setEnabled(ready and self.editable)
        self.remove_line_button.setEnabled(ready and self.editable)
        self.withdraw_button.setVisible(status in ("awaiting_approval", "rejected"))
        self.withdraw_button.setEnabled(ready)
        self.copy_button.setEnabled(ready and quote is not None)
        self.sent_button.setVisible(status == "approved")
        self.sent_button.setEnabled(ready)
        self.revise_button.setVisible(status in ("approved", "sent"))
        self.revise_button.setEnabled(ready)
        self.compare_button.setVisible(self.loaded is not None and self.loaded.revisions > 1)
        self.preview_button.setEnabled(ready and quote is not None)
        self.print_button.setEnabled(ready and quote is not None)

    def _customer_chosen(self, customer_id: str | None) -> None:
        self.customer_id = customer_id
        if customer_id is not None:
            self.reload()

    def _cell_changed(self, row: int, column: int) -> None:
        if self._filling:
            return
        self.line_error.hide()
        item = self.lines.item(row, column)
        if item is not None:
            item.setBackground(QBrush())
        self.recompute()

    def _product_chosen(self, combo: QComboBox) -> None:
        for row in range(self.lines.rowCount()):
            if self.lines.cellWidget(row, PRODUCT) is combo:
                product = self._product(combo.currentData())
                if product is not None:  # "(no product)" keeps whatever unit the line has
                    self.lines.item(row, UNIT).setText(product.unit)
                    if not self.lines.item(row, DESCRIPTION).text():
                        self.lines.item(row, DESCRIPTION).setText(product.name)
                    if product.currency == self.currency.currentData() and not self.lines.item(row, UNIT_PRICE).text():
                        self.lines.item(row, UNIT_PRICE).setText(str(product.list_price))
                return

    def _remove_selected_line(self) -> None:
        rows = sorted({index.row() for index in self.lines.selectionModel().selectedRows()}, reverse=True)
        for row in rows:
            line_id = self.lines.item(row, DESCRIPTION).data(Qt.ItemDataRole.UserRole)
            if line_id:
                self._removed.append(line_id)
            self.lines.removeRow(row)
        self.recompute()

    def _terms_now(self) -> dict[str, Any]:
        return {"contact_id": self.contact.currentData(), "currency": self.currency.currentData(),
                "vat_pct": self.vat.text().strip(), "discount_pct": self.discount.text().strip() or "0",
                "valid_until": self.valid_until.text().strip() or None, "terms": self.terms.toPlainText(),
                "drawing_version": self.drawing.text().strip()}

    def _changes(self) -> list[tuple[str, dict[str, Any]]] | None:
        """The batch that saves what was typed; None (with the problems shown) when a field is wrong."""
        self.errors.clear()
        self.line_error.hide()
        assert self.loaded is not None
        terms = self._terms_now()
        problems = precheck(TERMS, terms)
        if self.customer_id is None:
            problems.append(DomainError("missing_field", "请选择客户。", "Choose a customer.", "customer_id"))
        line_calls, line_problems = self._line_calls()
        if problems or line_problems:
            self.errors.show_all(problems)
            self._show_line_problems(line_problems)
            return None
        calls: list[tuple[str, dict[str, Any]]] = []
        if self.quote_id is None:
            self._new_id = getattr(self, "_new_id", None) or uuid7()
            calls.append(("quote.create", {"id": self._new_id, "customer_id": self.customer_id, **terms}))
        else:
            stored = self.loaded.quote or {}
            changed = {name: value for name, value in terms.items() if _text(value) != stored.get(name, "")
                       and not _same_decimal(_text(value), stored.get(name, ""))}
            if changed:
                calls.append(("quote.update", {"id": self.quote_id, **changed}))
        quote_id = self.quote_id or self._new_id
        self._line_rows = {index + len(calls): row for index, row in self._line_rows.items()}
        calls += [(name, {**args, "quote_id": quote_id} if name == "quote.line_set" else args)
                  for name, args in line_calls]
        return calls

    def _line_calls(self) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[int, DomainError]]]:
        assert self.loaded is not None
        stored = {line.id: line for line in self.loaded.lines}
        calls: list[tuple[str, dict[str, Any]]] = [("quote.line_remove", {"id": line_id}) for line_id in self._removed]
        problems: list[tuple[int, DomainError]] = []
        self._line_rows: dict[int, int] = {}  # index in the batch -> table row
        for row in range(self.lines.rowCount()):
            combo: QComboBox = self.lines.cellWidget(row, PRODUCT)  # type: ignore[assignment]
            values: dict[str, Any] = {"product_id": combo.currentData(), "position": row + 1}
            for col, name in LINE_COLUMN_FIELDS.items():
                values[name] = self.lines.item(row, col).text().strip()
            values["discount_pct"] = values["discount_pct"] or "0"
            line_id = self.lines.item(row, DESCRIPTION).data(Qt.ItemDataRole.UserRole)
            if line_id is None:
                args = {name: value for name, value in values.items() if value not in ("", None)}
                args["id"] = uuid7()
                if "quantity" not in args:
                    problems.append((row, DomainError("missing_field", "请填写数量。", "Enter the quantity.",
                                                      "quantity")))
            else:
                old = stored[line_id]
                before = {"product_id": old.product_id, "position": old.position, "description": old.description,
                          "unit": old.unit, "quantity": old.quantity, "unit_price": old.unit_price,
                          "discount_pct": old.discount_pct}
                args = {name: value for name, value in values.items()
                        if _text(value) != _text(before[name]) and not _same_decimal(_text(value), _text(before[name]))}
                if not args:
                    continue
                args["id"] = line_id
            problems += [(row, problem) for problem in precheck(LINE_FIELDS, args)]
            self._line_rows[len(calls)] = row
            calls.append(("quote.line_set", args))
        return calls, problems

    def _show_line_problems(self, problems: list[tuple[int, DomainError]]) -> None:
        if not problems:
            return
        columns = {name: col for col, name in LINE_COLUMN_FIELDS.items()}
        texts = []
        for row, problem in problems:
            texts.append(self.tr("Line %1: %2").replace("%1", str(row + 1))
                         .replace("%2", problem.message(self.context.language)))
            col = columns.get(problem.field or "")
            if col is not None and row < self.lines.rowCount():
                self.lines.item(row, col).setBackground(QBrush(QColor("#fde7ea")))
        self.line_error.setText("\n".join(texts))
        self.line_error.show()

    def _run(self, calls: list[tuple[str, dict[str, Any]]], open_id: str | None = None) -> None:
        self.busy = True
        self._set_buttons()
        first_line = next((i for i, (name, _a) in enumerate(calls) if name.startswith("quote.line")), None)
        header_calls = {i for i, (name, _a) in enumerate(calls) if name in ("quote.create", "quote.update")}

        def ok(outcome: mutations.Outcome) -> None:
            if not alive(self):
                return
            self.busy = False
            if open_id is not None:
                self.quote_id = open_id
            elif self.quote_id is None:
                self.quote_id = getattr(self, "_new_id", None)
            self._new_id = None
            self.sig_saved.emit(self.quote_id or "")
            self.reload()

        def failed(exc: Exception) -> None:
            if not alive(self):
                return
            self.busy = False
            self._set_buttons()
            submitting = [args for name, args in calls if name == "quote.submit" and not args.get("confirm_rate")]
            if submitting and confirm_stale_rate(self, exc, self.context.language,
                                                 self.tr("Submit the quote with this rate locked?")):
                submitting[0]["confirm_rate"] = True  # nothing of the batch was written: send it again
                self._run(calls, open_id)
                return
            text = describe(exc, self.context.language)
            index = exc.detail.get("index") if isinstance(exc, DomainError) else None
            if isinstance(exc, DomainError) and index is not None and first_line is not None \
                    and index not in header_calls and index in getattr(self, "_line_rows", {}):
                self._show_line_problems([(self._line_rows[index], exc)])
            else:
                self.errors.show_exception(exc)
            self.sig_failed.emit(text)

        MutationOp.batch(self.context.tasks, self.context.user_id, calls).success(ok).failure(failed).run()


def _same_decimal(a: str, b: str) -> bool:
    """"10" and "10.00" are the same amount: not a change to send."""
    x, y = _decimal(a), _decimal(b)
    return x is not None and y is not None and x == y


def _plus_days(day: str, days: int) -> str:
    from datetime import date

    return (date.fromisoformat(day) + timedelta(days=days)).isoformat() if day else ""
