"""A simple viewer for one evidence photo: the picture fitted to the window, its name and details."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QSizePolicy, QVBoxLayout, QWidget


class PhotoViewer(QDialog):
    """Shows a photo once it is loaded (:meth:`show_photo`), or a message saying why it cannot be shown.

    The caller loads the picture off the main thread and hands over a file Qt reads (a JPEG made
    from the original, upright, so HEIC photos and rotated camera pictures show as they should).
    """

    def __init__(self, title: str, details: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._pixmap = QPixmap()
        self.image_label = QLabel(self.tr("Loading the photo…"))
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setMinimumSize(320, 240)
        self.image_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.details_label = QLabel(details)
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image_label, 1)
        layout.addWidget(self.details_label)
        layout.addWidget(buttons)
        self.resize(900, 700)

    # ---- Public API

    def show_photo(self, path: Path) -> bool:
        """Show the picture in ``path``; False (and a message) when Qt cannot read it."""
        pixmap = QPixmap(str(path))
        if pixmap.isNull():
            self.show_message(self.tr("This photo cannot be shown."))
            return False
        self._pixmap = pixmap
        self._fit()
        return True

    def show_message(self, text: str) -> None:
        self._pixmap = QPixmap()
        self.image_label.setPixmap(QPixmap())
        self.image_label.setText(text)

    def has_photo(self) -> bool:
        return not self._pixmap.isNull()

    # ---- Qt events

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    # ---- Private API

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        size = self.image_label.size()
        if self._pixmap.width() <= size.width() and self._pixmap.height() <= size.height():
            self.image_label.setPixmap(self._pixmap)  # never enlarged: a small photo stays sharp
        else:
            self.image_label.setPixmap(self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                                           Qt.TransformationMode.SmoothTransformation))
