"""A first window over the local store: what it holds, what waits to be sent, and search."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QListWidget, QMainWindow, QVBoxLayout, QWidget
from sqlalchemy import func, select

from desktop import mutations, search
from desktop.models import Contact, Customer, Touchpoint
from desktop.store import Store


class MainWindow(QMainWindow):
    """Counts of the local data, the outbox, and a search box over the touchpoint trail."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.setWindowTitle(self.tr("Fieldmark"))
        self.resize(900, 600)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        form = QFormLayout()
        self.customers_label = QLabel()
        self.touchpoints_label = QLabel()
        self.pending_label = QLabel()
        device_id, device_code = store.device()
        form.addRow(self.tr("Data folder:"), QLabel(str(store.path.parent)))
        form.addRow(self.tr("Device:"), QLabel(f"{device_code}  ({device_id})"))
        form.addRow(self.tr("Customers / contacts:"), self.customers_label)
        form.addRow(self.tr("Touchpoints:"), self.touchpoints_label)
        form.addRow(self.tr("Changes waiting to be sent:"), self.pending_label)
        layout.addLayout(form)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Search touchpoints, e.g. 铭牌"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._search)
        layout.addWidget(self.search_edit)
        self.results = QListWidget()
        layout.addWidget(self.results)
        self.setCentralWidget(central)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the counts from the store."""
        with self.store.read() as session:
            customers = session.scalar(select(func.count()).select_from(Customer)) or 0
            contacts = session.scalar(select(func.count()).select_from(Contact)) or 0
            touchpoints = session.scalar(select(func.count()).select_from(Touchpoint)) or 0
            pending = mutations.pending(session)
        self.customers_label.setText(f"{customers:,} / {contacts:,}")
        self.touchpoints_label.setText(f"{touchpoints:,}")
        self.pending_label.setText(f"{pending:,}")

    # ---- Private API

    def _search(self, query: str) -> None:
        self.results.clear()
        with self.store.read() as session:
            hits = search.search_touchpoints(session, query, limit=50)
            names = dict(session.execute(select(Customer.id, Customer.name).where(
                Customer.id.in_({t.customer_id for t in hits}))).all()) if hits else {}
            for tp in hits:
                when = tp.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M")
                self.results.addItem(f"{when}  {names.get(tp.customer_id, '')}  ·  {tp.summary}")
        if query.strip() and not self.results.count():
            self.results.addItem(self.tr("No touchpoint matches."))
