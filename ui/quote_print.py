"""A quote as a PDF on screen and on paper.

The PDF is made from the stored quote (desktop.quote_export.document, desktop.pdf.quote_pdf.render_quote)
on the database thread, into a temporary file. Printing draws each page of that PDF (QPdfDocument
rendered to an image at the printer's resolution) onto the printer, one page per turn of the event
loop, so the window keeps answering while a long quote prints.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSize, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from desktop import quote_export
from desktop.models import Quote
from desktop.mutations.common import by_id
from desktop.pdf import quote_pdf
from desktop.store import Store

try:  # QtPdfWidgets comes with PySide6-Addons; without it the PDF opens in the system's viewer
    from PySide6.QtPdfWidgets import QPdfView
except ImportError:  # pragma: no cover - depends on the installed wheels
    QPdfView = None  # type: ignore[assignment,misc]


class RenderedPdf(type(Path())):  # type: ignore[misc]  # PosixPath or WindowsPath, whichever Path() is
    """A written quote PDF's path, carrying what printed as a box (``unprintable``) and the quote's
    number, so whoever shows or prints it can say so without reading the quote again."""

    unprintable: tuple[quote_pdf.Unprintable, ...] = ()
    number: str = ""

    def warning(self, language: str) -> str:
        """The warning to show, in ``language``; empty when every character printed."""
        return quote_export.unprintable_message(self.number, self.unprintable, language) if self.unprintable else ""


def render_to_file(store: Store, quote_id: str, folder: Path | None = None) -> RenderedPdf:
    """On the database thread: write the quote's PDF into a new temporary file and return its path."""
    with store.read() as session:
        quote = by_id(session, Quote, quote_id)
        if quote is None:
            raise LookupError(quote_id)
        document = quote_export.document(session, quote, quote_export.company(store.path.parent))
        name = quote_export.file_name(quote)
    out = RenderedPdf(Path(tempfile.mkdtemp(prefix="fieldmark-quote-", dir=folder)) / name)
    out.unprintable = tuple(quote_pdf.render_quote(document, out))
    out.number = f"{document.quote_number} V{document.version}"
    return out


class PdfPrintJob(QObject):
    """Print the pages of a PDF file onto a printer, one page per event-loop turn."""

    sig_finished = Signal(int)
    """All pages were sent; carries how many."""
    sig_failed = Signal(str)
    """The PDF could not be read or the printer could not be opened."""

    def __init__(self, pdf_path: Path, printer: QPrinter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._printer = printer
        self._document = QPdfDocument(self)
        self._path = pdf_path
        self._painter: QPainter | None = None
        self._page = 0

    def start(self) -> None:
        if self._document.load(str(self._path)) != QPdfDocument.Error.None_:
            self.sig_failed.emit(str(self._path))
            return
        self._painter = QPainter()
        if not self._painter.begin(self._printer):
            self._painter = None
            self.sig_failed.emit(self._printer.printerName() or self._printer.outputFileName())
            return
        QTimer.singleShot(0, self._next_page)

    # ---- Private API

    def _next_page(self) -> None:
        assert self._painter is not None
        count = self._document.pageCount()
        if self._page >= count:
            self._painter.end()
            self._painter = None
            self.sig_finished.emit(count)
            return
        if self._page > 0:
            self._printer.newPage()
        target = self._printer.pageLayout().paintRectPixels(self._printer.resolution())
        size = self._document.pagePointSize(self._page)
        scale = min(target.width() / size.width(), target.height() / size.height())
        pixels = QSize(int(size.width() * scale), int(size.height() * scale))
        image = self._document.render(self._page, pixels)
        self._painter.drawImage(0, 0, image)
        self._page += 1
        QTimer.singleShot(0, self._next_page)


class PdfPreview(QDialog):
    """The quote's PDF in a window (QPdfView)."""

    def __init__(self, pdf_path: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(800, 1000)
        self.document = QPdfDocument(self)
        self.document.load(str(pdf_path))
        layout = QVBoxLayout(self)
        assert QPdfView is not None
        self.view = QPdfView(self)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        layout.addWidget(self.view)


def preview_available() -> bool:
    return QPdfView is not None


def print_to_printer(pdf_path: Path, printer: QPrinter, parent: QObject,
                     done: Callable[[int], None], failed: Callable[[str], None]) -> PdfPrintJob:
    """Start printing; ``done(pages)`` or ``failed(what)`` runs on the main thread at the end."""
    job = PdfPrintJob(pdf_path, printer, parent)
    job.sig_finished.connect(done)
    job.sig_failed.connect(failed)
    job.start()
    return job
