"""Record a visit with its evidence: the details, photos and recordings, the capture rule's checklist.

The visit is a draft in the database from the moment it has a customer (``visit.save``), so nothing
is lost when the dialog closes or the app stops; *Save draft* and closing save what was typed since.
Every file goes to the database thread: its size is checked against the limit before anything is
read, then it is copied into the store's blob store a chunk at a time (hashed on the way;
desktop.evidence_files), then ``attachment.add`` reads what it is. The window never waits for a file;
each shows a busy bar until it is in, with its progress when it is large, and can be cancelled while
it is copied. A file whose copy here is damaged says so, and adding the original again (or *Repair…*,
also on a submitted visit) makes it whole. After each change the checklist is read again (desktop.visit_views), from the same
check ``visit.submit`` runs; a refused submission lists every broken rule in the user's language.
A submitted visit opens read-only; *Record correction…* starts a new draft that amends it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, QObject, Qt, QTime, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop import capture_rules, evidence_files, media, mutations
from desktop.blobs import CopyCancelled
from desktop.errors import DomainError
from desktop.ids import uuid7
from desktop.lookups import live_contacts
from desktop.models import REACTIONS
from desktop.mutations.common import get_customer
from desktop.store import Store
from desktop.visit_views import (
    AttachmentView,
    Requirement,
    VisitView,
    attached,
    load_visit,
    number_text,
    suggested_label,
)
from ui.audio import make_player
from ui.context import AppContext
from ui.customer_picker import CustomerPicker
from ui.dialogs.touchpoint_dialog import ContactChoice, OptionalDateEdit, _local, local_to_utc_text
from ui.forms import FormDialog, alive, precheck
from ui.labels import (
    duration_text,
    local_time,
    photo_label_name,
    reaction_name,
    size_text,
    visit_type_name,
)
from ui.ops import Handback, describe

FIELDS = mutations.REGISTRY["visit.save"].fields
THUMB_PX = 96
PROGRESS_FROM_BYTES = 8 * 1024 * 1024  # smaller files are in before a bar could move
FILE_PATTERNS = "*.jpg *.jpeg *.png *.heic *.heif *.wav *.mp3 *.m4a *.aac *.amr *.awb *.3gp *.3ga *.ogg *.opus"
# Values of the form, in the order visit.save takes them (all sent on creation, the changed ones after).
FORM_FIELDS = ("visit_type", "check_in_at", "location", "contact_id", "with_whom", "summary", "reaction",
               "reaction_note", "next_step", "next_step_due")


# ---- Thumbnails: made on their own thread, kept in memory

class _Thumbnails(QObject):
    """Makes photo thumbnails off the main thread (one at a time) and keeps the last few hundred."""

    LIMIT = 300

    def __init__(self) -> None:
        super().__init__()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldmark-thumbs")
        self._cache: OrderedDict[str, bytes | None] = OrderedDict()
        self._handback = Handback(self)

    def cached(self, sha256: str) -> bytes | None:
        return self._cache.get(sha256)

    def forget(self, sha256: str) -> None:
        """Drop a thumbnail made from a copy since repaired (it may show the damage)."""
        self._cache.pop(sha256, None)

    def request(self, sha256: str, path: Path, callback: Callable[[bytes | None], None]) -> None:
        """Call callback(jpeg bytes, or None when the picture cannot be read) on the main thread."""
        if sha256 in self._cache:
            callback(self._cache[sha256])
            return

        def make() -> bytes | None:
            try:
                return media.thumbnail(path, THUMB_PX)
            except Exception:  # noqa: BLE001 - a picture that cannot be shrunk just has no thumbnail
                return None

        self._pool.submit(self._handback.wrap(make, lambda future: self._on_done(sha256, future, callback)))

    def _on_done(self, sha256: str, future: Future[bytes | None], callback: Callable[[bytes | None], None]) -> None:
        data = future.result()
        self._cache[sha256] = data
        self._cache.move_to_end(sha256)
        while len(self._cache) > self.LIMIT:
            self._cache.popitem(last=False)
        callback(data)


_thumbnails: _Thumbnails | None = None


def thumbnails() -> _Thumbnails:
    global _thumbnails
    if _thumbnails is None:
        _thumbnails = _Thumbnails()
    return _thumbnails


# ---- One file of evidence

class EvidenceRow(QWidget):
    """A photo or recording of the visit, or a file on its way in (busy) or refused (with the reason)."""

    sig_remove = Signal(object)
    """Remove was pressed; carries this row."""
    sig_label = Signal(object, str)
    """A photo's label was changed by the user; carries this row and the new label."""
    sig_play = Signal(object)
    """Play/stop was pressed on a recording; carries this row."""
    sig_repair = Signal(object)
    """Repair… was pressed on a damaged file; carries this row."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment: AttachmentView | None = None
        self.added_id: str | None = None  # the attachment made from this file, until the visit is read again
        self.path: Path | None = None
        self.cancel = threading.Event()  # set by Cancel while the file is copied in
        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB_PX, THUMB_PX)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("border: 1px solid palette(mid)")
        self.name_label = QLabel(name)
        self.name_label.setWordWrap(True)
        self.detail_label = QLabel()
        self.detail_label.setStyleSheet("color: palette(mid)")
        self.detail_label.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no fraction to show: a moving bar says "working"
        self.busy.setMaximumHeight(10)
        self.busy.setTextVisible(False)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.label_combo = QComboBox()
        for label in capture_rules.PHOTO_LABELS:
            self.label_combo.addItem(photo_label_name(label), label)
        self.label_combo.hide()
        self.label_combo.activated.connect(lambda _i: self.sig_label.emit(self, self.label_combo.currentData()))
        self.play_button = QPushButton(self.tr("Play"))
        self.play_button.hide()
        self.play_button.clicked.connect(lambda: self.sig_play.emit(self))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(lambda: self.sig_remove.emit(self))
        self.remove_button.hide()
        self.repair_button = QPushButton(self.tr("Repair…"))
        self.repair_button.setToolTip(self.tr("Choose the original file to make this copy whole again"))
        self.repair_button.clicked.connect(lambda: self.sig_repair.emit(self))
        self.repair_button.hide()

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.name_label)
        text.addWidget(self.detail_label)
        text.addWidget(self.busy)
        text.addWidget(self.error_label)
        controls = QHBoxLayout()
        controls.addWidget(self.label_combo)
        controls.addWidget(self.play_button)
        controls.addStretch(1)
        controls.addWidget(self.repair_button)
        controls.addWidget(self.remove_button)
        text.addLayout(controls)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.thumb)
        layout.addLayout(text, 1)
        self.detail_label.setText(self.tr("Adding…"))

    @property
    def working(self) -> bool:
        """The file is on its way in (or out), or added and not yet shown as added."""
        return not self.busy.isHidden() or self.added_id is not None

    def adding(self) -> None:
        """The file is on its way in: a busy bar, and Cancel."""
        self.remove_button.setText(self.tr("Cancel"))
        self.remove_button.show()

    def show_progress(self, done: int, total: int) -> None:
        """How much of a large file is copied in."""
        if total < PROGRESS_FROM_BYTES or not alive(self) or self.busy.isHidden():
            return
        self.busy.setRange(0, 1000)
        self.busy.setValue(int(1000 * done / max(total, 1)))
        if done >= total:
            self.busy.setRange(0, 0)  # copied: now it is read (attachment.add)
            self.detail_label.setText(self.tr("Checking…"))
        else:
            self.detail_label.setText(self.tr("Copying… %1 of %2").replace("%1", size_text(done))
                                      .replace("%2", size_text(total)))

    def show_attachment(self, attachment: AttachmentView, editable: bool) -> None:
        self.attachment = attachment
        self.added_id = None
        self.busy.hide()
        self.error_label.hide()
        self.repair_button.setVisible(attachment.damaged)
        if attachment.damaged:
            self.error_label.setText(self.tr("Damaged: the copy of this file on this computer no longer matches "
                                             "what was added. Add the original file again, or press Repair…, "
                                             "to make it whole."))
            self.error_label.show()
        self.name_label.setText(attachment.filename)
        self.remove_button.setVisible(editable)
        self.remove_button.setText(self.tr("Remove"))
        if attachment.kind == "photo":
            self.label_combo.show()
            self.label_combo.setEnabled(editable)
            self.label_combo.setCurrentIndex(max(0, self.label_combo.findData(attachment.label)))
            parts = [size_text(attachment.size)]
            if attachment.taken_at is not None:
                parts.append(self.tr("taken %1").replace("%1", local_time(attachment.taken_at)))
            else:
                parts.append(self.tr("no capture time"))
            if not self.thumb.pixmap() or self.thumb.pixmap().isNull():
                self.thumb.setText(self.tr("Photo"))
        else:
            self.play_button.show()
            self.thumb.setText("♪")
            parts = [duration_text(attachment.duration_s), size_text(attachment.size)]
        self.detail_label.setText(" · ".join(p for p in parts if p))

    def show_thumbnail(self, data: bytes | None) -> None:
        if data is None or not alive(self):
            return
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            self.thumb.setPixmap(pixmap)

    def fail(self, message: str) -> None:
        """The file was not added: say why; Remove only dismisses the row."""
        self.busy.hide()
        self.busy.setRange(0, 0)
        self.detail_label.setText(self.tr("Not added"))
        self.error_label.setText(message)
        self.error_label.show()
        self.remove_button.setText(self.tr("Dismiss"))
        self.remove_button.show()

    def set_playing(self, playing: bool) -> None:
        self.play_button.setText(self.tr("Stop") if playing else self.tr("Play"))


# ---- The dialog

class VisitDialog(FormDialog):
    """Record, continue, submit or look at one visit (desktop.mutations.visits)."""

    sig_saved = Signal(object)
    """The draft was saved (visit.save); carries the desktop.mutations.Outcome."""
    sig_state = Signal(object)
    """The visit was read again (after opening or any change); carries the desktop.visit_views.VisitView."""
    sig_submitted = Signal(object)
    """The visit was submitted; carries the Outcome."""
    sig_submit_refused = Signal(list)
    """visit.submit refused; carries the broken rules' messages in the user's language."""
    sig_file_done = Signal(str, bool)
    """A file given to add_files finished: its path, and whether it was added."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, customer_id: str | None = None,
                 visit_id: str | None = None, amends_id: str | None = None,
                 initial: dict[str, Any] | None = None) -> None:
        """Open visit ``visit_id``, or start a new one (for ``customer_id`` when given, amending
        ``amends_id`` when given); ``initial``: visit.save args to start from."""
        super().__init__(context, parent)
        self.visit_id = visit_id or uuid7()
        self.amends_id = amends_id
        self.view: VisitView | None = None
        self.rows: list[EvidenceRow] = []
        self._created = visit_id is not None
        self._saved: dict[str, Any] = {}
        self._initial = dict(initial or {})
        self._writes = 0
        self._reads = 0
        # While a save is under way: what waits for it, as (then, failed) pairs.
        self._waiting: list[tuple[Callable[[], None] | None, Callable[[str], None] | None]] | None = None
        self._closing = False
        self._editable = True
        self._state_seq = 0
        self._player: Any = None
        self._playing_row: EvidenceRow | None = None
        self.setWindowTitle(self.tr("Visit"))
        self.setAcceptDrops(True)
        self.setMinimumWidth(860)
        self._build()
        if visit_id is not None:
            self.customer_picker.set_fixed("", self.tr("Loading…"))
            self._load_existing()
        elif customer_id is not None:
            self.customer_picker.set_fixed(customer_id, self.tr("Loading…"))
            self._load_customer(customer_id, create=True)
        else:
            self._start_from(self._initial)
            self._initial = {}  # applied: picking the customer later must not undo what is typed meanwhile
            self._set_ready()
            self.customer_picker.line_edit.setFocus()

    # ---- Public API

    @property
    def is_saving(self) -> bool:
        """True while a change sent by this dialog is running."""
        return self._writes > 0

    @property
    def is_busy(self) -> bool:
        """True while anything sent by this dialog (a save, a file, a read) is still running."""
        return self._writes > 0 or self._reads > 0 or any(r.working for r in self.rows)

    @property
    def created(self) -> bool:
        """The draft exists in the database."""
        return self._created

    def failed_rows(self) -> list[EvidenceRow]:
        """Files that were refused, each with its reason."""
        return [r for r in self.rows if r.attachment is None and not r.error_label.isHidden()]

    def checklist_items(self) -> list[tuple[str, bool]]:
        """The checklist as shown: (text, met)."""
        return [(self.checklist.item(i).text(), bool(self.checklist.item(i).data(Qt.ItemDataRole.UserRole)))
                for i in range(self.checklist.count())]

    @property
    def is_playing(self) -> bool:
        """A recording is playing in the dialog."""
        if self._player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer

        return bool(self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState)

    def problems(self) -> str:
        return self.problems_label.text() if not self.problems_label.isHidden() else ""

    def save(self) -> None:
        """Save draft: send what changed since the last save."""
        self.save_draft()

    def save_draft(self, then: Callable[[], None] | None = None,
                   failed: Callable[[str], None] | None = None) -> None:
        """Save what was typed (create the draft first when needed), then call ``then``; on a refusal
        show it next to its field and call ``failed`` with the message."""
        if not self._editable:
            return
        args = self._args()
        self.errors.clear()
        problems = precheck(FIELDS, args)
        customer_id = self.customer_picker.customer_id
        if not customer_id:
            text = (self.tr("Choose the customer from the list under the search box.")
                    if self.customer_picker.line_edit.text().strip() else self.tr("Choose the customer first."))
            self.errors.show_field("customer_id", text)
            if failed:
                failed(text)
            return
        if problems:
            self.errors.show_all(problems)
            if failed:
                failed(problems[0].message(self.context.language))
            return
        if self._waiting is not None:  # a save is under way: continue from what it saved
            self._waiting.append((then, failed))
            return
        if not self._created:
            send = {"id": self.visit_id, "customer_id": customer_id, **args}
            if self.amends_id:
                send["amends_id"] = self.amends_id
        else:
            changed = {k: v for k, v in args.items() if self._saved.get(k) != v}
            if not changed:
                if then:
                    then()
                return
            send = {"id": self.visit_id, "check_in_at": args["check_in_at"], **changed}
        self._waiting = []

        def ok(outcomes: list[mutations.Outcome]) -> None:
            waiting, self._waiting = self._waiting or [], None
            self._created = True
            self._saved = args
            self.sig_saved.emit(outcomes[-1])
            self._refresh_state()
            if then:
                then()
            for queued, _failed in waiting:
                self.save_draft(queued, _failed)  # what was typed meanwhile is saved too

        def refused(exc: Exception) -> None:
            waiting, self._waiting = self._waiting or [], None
            self.errors.show_exception(exc)
            message = describe(exc, self.context.language)
            for callback in [failed, *(f for _t, f in waiting)]:
                if callback:
                    callback(message)

        self._write([("visit.save", send)], ok, refused)

    def add_files(self, paths: Iterable[str | Path], label: str | None = None) -> None:
        """Add photos and recordings (the file picker and drops come here). Each file is copied and
        read on the database thread; a photo gets ``label``, or the first required label still missing."""
        paths = [Path(p) for p in paths]
        if not paths or not self._editable:
            return
        rows = []
        for path in paths:
            row = self._new_row(path.name)
            row.path = path
            row.adding()
            rows.append(row)

        def upload() -> None:
            for row in rows:
                self._upload(row, label)

        def not_saved(message: str) -> None:
            for row in rows:
                row.fail(self.tr("Not added: the visit could not be saved first (%1)").replace("%1", message))
                self.sig_file_done.emit(str(row.path), False)

        self.save_draft(upload, not_saved)

    def pick_files(self) -> None:
        """Choose photos and recordings with the system's file dialog."""
        paths, _filter = QFileDialog.getOpenFileNames(
            self, self.tr("Add photos and recordings"), "",
            self.tr("Photos and recordings (%1)").replace("%1", FILE_PATTERNS) + ";;" + self.tr("All files (*)"))
        self.add_files(paths)

    def submit(self) -> None:
        """Save what was typed, then submit; a refusal lists each broken rule and keeps everything."""
        self.problems_label.hide()

        def send() -> None:
            self._write([("visit.submit", {"id": self.visit_id})], self._on_submitted, self._on_submit_refused)

        self.save_draft(send)

    def discard(self) -> None:
        """Throw the draft away, with its evidence, after asking."""
        if not self._created:
            self._close_now()
            return
        answer = QMessageBox.question(self, self.tr("Discard draft"),
                                      self.tr("Discard this visit and its photos and recordings?"))
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._write([("visit.discard", {"id": self.visit_id})], lambda _o: self._close_now(),
                    self.errors.show_exception)

    def record_correction(self) -> QWidget | None:
        """Start a new draft that corrects this submitted visit, from its details."""
        view = self.view
        if view is None or view.status != "submitted":
            return None
        initial = {name: getattr(view, name) for name in ("visit_type", "location", "contact_id", "with_whom",
                                                          "summary", "reaction", "reaction_note", "next_step")}
        from ui.forms import open_form

        dialog = VisitDialog(self.context, self.parentWidget(), customer_id=view.customer_id, amends_id=view.id,
                             initial=initial)
        open_form(dialog)
        self._close_now()
        return dialog

    def play(self, row: EvidenceRow) -> None:
        """Play a recording in the dialog, or stop it when it is the one playing."""
        if row.attachment is None:
            return
        player = self._ensure_player()
        if player is None:
            row.fail(self.tr("Recordings cannot be played on this computer."))
            return
        from PySide6.QtMultimedia import QMediaPlayer

        if self._playing_row is row and player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            player.stop()
            return
        player.stop()
        if self._playing_row is not None and alive(self._playing_row):
            self._playing_row.set_playing(False)
        self._playing_row = row
        player.setSource(QUrl.fromLocalFile(str(self.context.store.blobs.path(row.attachment.sha256))))
        player.play()
        row.set_playing(True)

    # ---- Qt events

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if self._editable and event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        if self._editable and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and self._editable:
            event.acceptProposedAction()
            self.add_files(paths)

    def reject(self) -> None:
        """Close: what was typed since the last save is saved first (a refusal keeps the dialog open)."""
        if self._editable and self._created and not self._closing:
            self._closing = True
            self.save_draft(self._close_now, lambda _m: setattr(self, "_closing", False))
            return
        self._close_now()

    def done(self, result: int) -> None:
        if self._player is not None:
            self._player.stop()
        super().done(result)

    # ---- Private API: building

    def _build(self) -> None:
        self.customer_picker = CustomerPicker(self.context)
        self.visit_type_combo = QComboBox()
        for code in capture_rules.VISIT_TYPES:
            self.visit_type_combo.addItem(visit_type_name(code), code)
        self.check_in_edit = QDateTimeEdit(QDateTime.currentDateTime())
        self.check_in_edit.setCalendarPopup(True)
        self.check_in_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.location_edit = QLineEdit()
        self.location_edit.setPlaceholderText(self.tr("Address or place of the visit"))
        self.contact_combo = QComboBox()
        self.with_whom_edit = QLineEdit()
        self.summary_edit = QPlainTextEdit()
        self.summary_edit.setPlaceholderText(self.tr("What was seen, said, shown or agreed"))
        self.summary_edit.setTabChangesFocus(True)
        self.reaction_combo = QComboBox()
        for code in REACTIONS:
            self.reaction_combo.addItem(reaction_name(code), code)
        self.reaction_combo.setCurrentIndex(self.reaction_combo.findData("unknown"))
        self.reaction_note_edit = QPlainTextEdit()
        self.reaction_note_edit.setTabChangesFocus(True)
        self.reaction_note_edit.setFixedHeight(60)  # the notes above take the spare height
        self.reaction_note_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.next_step_edit = QLineEdit()
        self.due_edit = OptionalDateEdit(self.tr("Due by"))
        self._set_contacts([])

        details = QFormLayout()
        add = self.errors.add_row
        add(details, self.tr("Customer"), "customer_id", self.customer_picker, outline=self.customer_picker.line_edit)
        add(details, self.tr("Visit type"), "visit_type", self.visit_type_combo)
        add(details, self.tr("Check-in time"), "check_in_at", self.check_in_edit)
        add(details, self.tr("Location"), "location", self.location_edit)
        add(details, self.tr("Contact"), "contact_id", self.contact_combo)
        add(details, self.tr("With whom"), "with_whom", self.with_whom_edit)
        add(details, self.tr("Notes"), "summary", self.summary_edit)
        add(details, self.tr("Customer's reaction"), "reaction", self.reaction_combo)
        add(details, self.tr("Reaction details"), "reaction_note", self.reaction_note_edit)
        add(details, self.tr("Next step"), "next_step", self.next_step_edit)
        add(details, self.tr("Next step due"), "next_step_due", self.due_edit, outline=self.due_edit.date_edit)
        left = QWidget()
        left.setLayout(details)

        self.add_button = QPushButton(self.tr("Add photos or recordings…"))
        self.add_button.clicked.connect(self.pick_files)
        self.drop_hint = QLabel(self.tr("Or drop files on this window. Photos: JPEG, PNG, HEIC; "
                                        "recordings: WAV, MP3, M4A, AAC."))
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setStyleSheet("color: palette(mid)")
        self.rows_box = QWidget()
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.rows_box)
        scroll.setMinimumHeight(220)
        evidence = QWidget()
        evidence_layout = QVBoxLayout(evidence)
        evidence_layout.setContentsMargins(0, 0, 0, 0)
        evidence_layout.addWidget(self.add_button)
        evidence_layout.addWidget(self.drop_hint)
        evidence_layout.addWidget(scroll, 1)
        self.rule_label = QLabel()
        self.rule_label.setWordWrap(True)
        self.checklist = QListWidget()
        self.checklist.setMaximumHeight(150)
        self.checklist.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.problems_label = QLabel()
        self.problems_label.setObjectName("visit_problems")
        self.problems_label.setStyleSheet("color: #b00020")
        self.problems_label.setWordWrap(True)
        self.problems_label.hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.hide()

        right_form = QFormLayout()
        add(right_form, self.tr("Evidence"), "attachments", evidence)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.status_label)
        right_layout.addLayout(right_form, 1)
        right_layout.addWidget(self.rule_label)
        right_layout.addWidget(self.checklist)
        right_layout.addWidget(self.problems_label)

        columns = QHBoxLayout()
        columns.addWidget(left, 1)
        columns.addWidget(right, 1)
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)
        outer.insertLayout(2, columns, 1)

        self.save_button.setText(self.tr("Save draft"))
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.close_button.setText(self.tr("Close"))
        self.submit_button = self.buttons.addButton(self.tr("Submit"), QDialogButtonBox.ButtonRole.ActionRole)
        self.submit_button.setEnabled(False)
        self.submit_button.clicked.connect(self.submit)
        self.discard_button = self.buttons.addButton(self.tr("Discard draft"),
                                                     QDialogButtonBox.ButtonRole.DestructiveRole)
        self.discard_button.clicked.connect(self.discard)
        self.correction_button = self.buttons.addButton(self.tr("Record correction…"),
                                                        QDialogButtonBox.ButtonRole.ActionRole)
        self.correction_button.clicked.connect(self.record_correction)
        self.correction_button.hide()

        self.contact_combo.currentIndexChanged.connect(self._on_contact_changed)
        self._auto_with_whom = ""
        self.customer_picker.sig_changed.connect(self._on_customer_picked)
        # The rule depends on the visit type: save it at once so the checklist follows.
        self.visit_type_combo.activated.connect(lambda _i: self._created and self.save_draft())

    # ---- Private API: reading

    def _load_existing(self) -> None:
        user_id, visit_id = self.context.user_id, self.visit_id

        def op(store: Store) -> tuple[VisitView, list[ContactChoice]]:
            with store.read() as session:
                view = load_visit(session, user_id, visit_id, store.blobs)
                return view, _contact_choices(session, view.customer_id)

        self._read(op, self._on_existing_loaded, self._on_load_failed)

    def _on_existing_loaded(self, loaded: tuple[VisitView, list[ContactChoice]]) -> None:
        view, contacts = loaded
        self.customer_picker.set_fixed(view.customer_id, view.customer_name)
        self._set_contacts(contacts)
        self.amends_id = view.amends_id
        self._start_from({name: getattr(view, name) for name in FORM_FIELDS})
        self._saved = self._args()
        self._show_view(view)
        if view.editable:
            self._set_ready()

    def _load_customer(self, customer_id: str, *, create: bool) -> None:
        def op(store: Store) -> tuple[str, list[ContactChoice]]:
            with store.read() as session:
                return get_customer(session, customer_id).name, _contact_choices(session, customer_id)

        def loaded(result: tuple[str, list[ContactChoice]]) -> None:
            name, contacts = result
            self.customer_picker.set_fixed(customer_id, name)
            self._set_contacts(contacts)
            self._start_from(self._initial)
            self._initial = {}
            self._set_ready()
            if create:
                self.save_draft()  # the draft exists from now on
            self.summary_edit.setFocus()

        self._read(op, loaded, self._on_load_failed)

    def _on_customer_picked(self, customer_id: str | None) -> None:
        if customer_id is None or self._created:
            return
        self._load_customer(customer_id, create=True)

    def _refresh_state(self) -> None:
        """Read the visit, its evidence and its checklist again."""
        if not self._created:
            return
        self._state_seq += 1
        seq = self._state_seq
        user_id, visit_id = self.context.user_id, self.visit_id

        def op(store: Store) -> VisitView:
            with store.read() as session:
                return load_visit(session, user_id, visit_id, store.blobs)

        def shown(view: VisitView) -> None:
            if seq == self._state_seq:  # an older read is superseded by the newer one under way
                self._show_view(view)

        self._read(op, shown, self.errors.show_exception)

    def _read(self, op: Callable[[Store], Any], success: Callable[[Any], Any],
              failure: Callable[[Exception], Any]) -> None:
        def done(future: Future[Any]) -> None:
            if not alive(self):
                return
            self._reads -= 1
            exc = future.exception()
            if exc is None:
                success(future.result())
            else:
                failure(exc)  # type: ignore[arg-type]

        self._reads += 1
        self.context.tasks.run_db(op, done)

    def _on_load_failed(self, exc: Exception) -> None:
        self.customer_picker.line_edit.clear()
        self.errors.show_exception(exc)

    # ---- Private API: writing

    def _write(self, calls: list[tuple[str, dict[str, Any]]], success: Callable[[list[mutations.Outcome]], Any],
               failure: Callable[[Exception], Any], prepare: Callable[[Store], None] | None = None) -> None:
        """Run mutations (one transaction) as the signed-in user on the database thread; announce them."""
        user_id = self.context.user_id
        tasks = self.context.tasks

        def op(store: Store) -> list[mutations.Outcome]:
            if prepare is not None:
                prepare(store)
            return mutations.run_many(store, user_id, calls)

        def done(future: Future[list[mutations.Outcome]]) -> None:
            exc = future.exception()
            if exc is None:
                for outcome in future.result():
                    tasks.sig_data_changed.emit(outcome)
            if not alive(self):
                return
            self._writes -= 1
            self._update_buttons()
            if exc is None:
                success(future.result())
            else:
                failure(exc)  # type: ignore[arg-type]

        self._writes += 1
        self._update_buttons()
        tasks.run_db(op, done, writes=True)

    def _upload(self, row: EvidenceRow, label: str | None) -> None:
        path, user_id, visit_id, tasks = row.path, self.context.user_id, self.visit_id, self.context.tasks
        assert path is not None
        report = tasks.on_main_thread(row.show_progress)
        cancel = row.cancel

        def step(done: int, total: int) -> bool:
            report(done, total)
            return not cancel.is_set()

        def op(store: Store) -> mutations.Outcome | None:
            added = evidence_files.add(store.blobs, path, step)
            with store.read() as session:
                if added.repaired and attached(session, visit_id, added.sha256):
                    return None  # the damaged copy of a file of this visit is whole again: nothing to add
                chosen = label or suggested_label(session, visit_id)
            return mutations.run(store, user_id, "attachment.add", {
                "touchpoint_id": visit_id, "sha256": added.sha256, "filename": path.name, "label": chosen})

        def done(future: Future[mutations.Outcome | None]) -> None:
            exc = future.exception()
            outcome = future.result() if exc is None else None
            if outcome is not None:
                tasks.sig_data_changed.emit(outcome)
            if not alive(self):
                return
            if isinstance(exc, CopyCancelled):
                self._remove_row(row)
            elif exc is not None:
                row.fail(self._file_error(path, exc))  # type: ignore[arg-type]
            elif outcome is None:
                self._remove_row(row)  # repaired: the attachment's own row shows it whole once read
                self._refresh_state()
            else:
                row.added_id = outcome.changes.entity_id  # shown as that attachment once read
                self._refresh_state()
            self._update_buttons()
            self.sig_file_done.emit(str(path), exc is None)

        tasks.run_db(op, done, writes=True)

    def pick_repair(self, row: EvidenceRow) -> None:
        """Choose the original of a damaged file and repair the copy with it."""
        if row.attachment is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Choose the original of %1").replace("%1", row.attachment.filename), "",
            self.tr("Photos and recordings (%1)").replace("%1", FILE_PATTERNS) + ";;" + self.tr("All files (*)"))
        if path:
            self.repair_file(row, Path(path))

    def repair_file(self, row: EvidenceRow, path: Path) -> None:
        """Rewrite a damaged attachment's copy from ``path``, which must be its original (any visit,
        submitted ones too: the visit does not change, only this computer's copy of the file)."""
        attachment = row.attachment
        if attachment is None:
            return
        tasks = self.context.tasks
        report = tasks.on_main_thread(row.show_progress)

        def step(done: int, total: int) -> bool:
            report(done, total)
            return True

        def op(store: Store) -> None:
            evidence_files.repair(store.blobs, attachment.sha256, path, attachment.filename, step)

        def done(future: Future[None]) -> None:
            if not alive(self):
                return
            self._reads -= 1
            exc = future.exception()
            row.busy.hide()
            if exc is None:
                thumbnails().forget(attachment.sha256)  # it may have been made from the damaged copy
                self._refresh_state()
                self.sig_file_done.emit(str(path), True)
            else:
                row.error_label.setText(self._file_error(path, exc))  # type: ignore[arg-type]
                row.error_label.show()
                self.sig_file_done.emit(str(path), False)

        row.busy.show()
        self._reads += 1
        tasks.run_db(op, done)

    def _file_error(self, path: Path, exc: Exception) -> str:
        if isinstance(exc, DomainError):
            return exc.message(self.context.language)  # names the file and the reason
        if isinstance(exc, OSError):
            return self.tr("%1 cannot be read: %2").replace("%1", path.name).replace("%2", exc.strerror or str(exc))
        return f"{path.name}: {describe(exc, self.context.language)}"

    def _on_submitted(self, outcomes: list[mutations.Outcome]) -> None:
        self.sig_submitted.emit(outcomes[-1])
        self._close_now()

    def _on_submit_refused(self, exc: Exception) -> None:
        self._refresh_state()
        if isinstance(exc, DomainError) and exc.code == "evidence_rules":
            zh = self.context.language.lower().startswith("zh")
            messages = [v["message_zh"] if zh else v["message_en"] for v in exc.detail.get("violations", [])]
            self.problems_label.setText(self.tr("The visit cannot be submitted yet:") + "\n"
                                        + "\n".join("• " + m for m in messages))
            self.problems_label.show()
            self.sig_submit_refused.emit(messages)
        else:
            self.errors.show_exception(exc)
            self.sig_submit_refused.emit([describe(exc, self.context.language)])

    def _remove(self, row: EvidenceRow) -> None:
        if row.attachment is None:
            if row.path is not None and not row.busy.isHidden():  # on its way in: cancel the copy
                row.cancel.set()
                row.remove_button.setEnabled(False)
                row.detail_label.setText(self.tr("Cancelling…"))
                return
            self._remove_row(row)  # a refused file: just dismiss it
            return
        if self._playing_row is row and self._player is not None:
            self._player.stop()
        row.busy.show()
        self._write([("attachment.remove", {"id": row.attachment.id})], lambda _o: self._refresh_state(),
                    lambda exc: row.fail(describe(exc, self.context.language)))

    def _relabel(self, row: EvidenceRow, label: str) -> None:
        """Say what a photo shows (attachment.relabel: the same attachment, its label changed)."""
        attachment = row.attachment
        if attachment is None or attachment.label == label:
            return
        row.busy.show()
        self._write([("attachment.relabel", {"id": attachment.id, "label": label})],
                    lambda _o: self._refresh_state(), self._relabel_failed(row))

    def _relabel_failed(self, row: EvidenceRow) -> Callable[[Exception], None]:
        def failed(exc: Exception) -> None:
            row.busy.hide()
            self.errors.show_exception(exc)
            self._refresh_state()

        return failed

    def _close_now(self) -> None:
        self._closing = True
        super().reject()

    # ---- Private API: showing

    def _args(self) -> dict[str, Any]:
        due = self.due_edit.value()
        return {
            "visit_type": self.visit_type_combo.currentData(),
            "check_in_at": local_to_utc_text(self.check_in_edit.dateTime()),
            "location": self.location_edit.text(),
            "contact_id": self.contact_combo.currentData(),
            "with_whom": self.with_whom_edit.text(),
            "summary": self.summary_edit.toPlainText(),
            "reaction": self.reaction_combo.currentData(),
            "reaction_note": self.reaction_note_edit.toPlainText(),
            "next_step": self.next_step_edit.text(),
            # A due *date*: by the end of that local day.
            "next_step_due": local_to_utc_text(QDateTime(due, QTime(23, 59, 59))) if due is not None else None,
        }

    def _start_from(self, values: dict[str, Any]) -> None:
        """Put visit values in the form (times as aware datetimes or UTC text)."""
        for name, combo in (("visit_type", self.visit_type_combo), ("reaction", self.reaction_combo),
                            ("contact_id", self.contact_combo)):
            index = combo.findData(values.get(name)) if values.get(name) is not None else -1
            if index >= 0:
                combo.setCurrentIndex(index)
        for name, edit in (("location", self.location_edit), ("with_whom", self.with_whom_edit),
                           ("next_step", self.next_step_edit)):
            if values.get(name) is not None:
                edit.setText(str(values[name]))
        for name, text_edit in (("summary", self.summary_edit), ("reaction_note", self.reaction_note_edit)):
            if values.get(name) is not None:
                text_edit.setPlainText(str(values[name]))
        when = _qt_time(values.get("check_in_at"))
        if when is not None:
            self.check_in_edit.setDateTime(when)
        due = _qt_time(values.get("next_step_due"))
        if due is not None:
            self.due_edit.set_value(due.date())

    def _show_view(self, view: VisitView) -> None:
        self.view = view
        self._editable = view.editable
        self.sig_state.emit(view)
        by_id = {r.attachment.id if r.attachment is not None else r.added_id: r for r in self.rows
                 if r.attachment is not None or r.added_id is not None}
        for attachment in view.attachments:
            row = by_id.pop(attachment.id, None) or self._new_row(attachment.filename)
            row.show_attachment(attachment, view.editable)
            if attachment.kind == "photo":
                thumbnails().request(attachment.sha256, self.context.store.blobs.path(attachment.sha256),
                                     row.show_thumbnail)
        for gone in by_id.values():
            self._remove_row(gone)
        self._show_checklist(view)
        if not view.editable:
            self._set_read_only(view)
        self._update_buttons()

    def _show_checklist(self, view: VisitView) -> None:
        self.checklist.clear()
        if not view.editable:
            return
        self.rule_label.setText(self.tr("Needed before the visit can be submitted:"))
        for requirement in view.requirements:
            item = QListWidgetItem(("✓ " if requirement.met else "✗ ") + self._requirement_text(requirement))
            item.setData(Qt.ItemDataRole.UserRole, requirement.met)
            item.setForeground(Qt.GlobalColor.darkGreen if requirement.met else Qt.GlobalColor.darkRed)
            self.checklist.addItem(item)
        if view.ready:
            self.problems_label.hide()

    def _requirement_text(self, r: Requirement) -> str:
        number = number_text
        if r.kind == "photo":
            return self.tr("Photo: %1").replace("%1", photo_label_name(str(r.value)))
        if r.kind == "audio":
            text = self.tr("A recording of at least %1 s").replace("%1", number(r.value))
            if r.have is not None:
                text += " " + self.tr("(longest: %1 s)").replace("%1", number(r.have))
            return text
        if r.kind == "photo_window":
            return self.tr("Photos taken within %1 h of the check-in").replace("%1", number(r.value))
        if r.kind == "max_file":
            return self.tr("No file larger than %1 MB").replace("%1", number(r.value))
        if r.kind == "no_reuse":
            return self.tr("No photo used by an earlier visit")
        return self.tr("Visit notes written")

    def _set_read_only(self, view: VisitView) -> None:
        for widget in (self.location_edit, self.with_whom_edit, self.next_step_edit):
            widget.setReadOnly(True)
        for text_edit in (self.summary_edit, self.reaction_note_edit):
            text_edit.setReadOnly(True)
        for widget in (self.visit_type_combo, self.check_in_edit, self.contact_combo, self.reaction_combo,
                       self.due_edit):
            widget.setEnabled(False)
        self.add_button.hide()
        self.drop_hint.hide()
        self.rule_label.hide()
        self.checklist.hide()
        self.save_button.hide()
        self.submit_button.hide()
        self.discard_button.hide()
        if view.status == "submitted":
            self.setWindowTitle(self.tr("Visit (submitted)"))
            self.status_label.setText(self.tr("Submitted. It cannot change any more; record a correction "
                                              "to put something right."))
            self.correction_button.setVisible(view.user_id == self.context.user_id)
        else:
            self.status_label.setText(self.tr("A draft of another user; only its author can change it."))
        self.status_label.show()
        self.close_button.setText(self.tr("Close"))

    def _update_buttons(self) -> None:
        ready = self.is_ready and self._editable
        self.save_button.setEnabled(ready and self._writes == 0)
        self.submit_button.setEnabled(ready and self._created and self._writes == 0
                                      and not any(r.working for r in self.rows))
        self.discard_button.setEnabled(ready and self._writes == 0)
        self.add_button.setEnabled(ready)

    def _set_ready(self) -> None:
        super()._set_ready()
        self._update_buttons()

    def _new_row(self, name: str) -> EvidenceRow:
        row = EvidenceRow(name)
        row.sig_remove.connect(self._remove)
        row.sig_label.connect(self._relabel)
        row.sig_play.connect(self.play)
        row.sig_repair.connect(self.pick_repair)
        self.rows.append(row)
        self.rows_layout.insertWidget(self.rows_layout.count() - 1, row)
        return row

    def _remove_row(self, row: EvidenceRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
        if self._playing_row is row:
            self._playing_row = None
        row.hide()
        row.deleteLater()
        self._update_buttons()

    def _set_contacts(self, contacts: list[ContactChoice]) -> None:
        self.contact_combo.clear()
        self.contact_combo.addItem(self.tr("(no particular contact)"), None)
        for contact in contacts:
            self.contact_combo.addItem(f"{contact.name} · {contact.title}" if contact.title else contact.name,
                                       contact.id)
            self.contact_combo.setItemData(self.contact_combo.count() - 1, contact.name,
                                           Qt.ItemDataRole.UserRole + 1)
        self.contact_combo.setEnabled(bool(contacts))

    def _on_contact_changed(self, _index: int) -> None:
        name = self.contact_combo.currentData(Qt.ItemDataRole.UserRole + 1) or ""
        if self.with_whom_edit.text() == self._auto_with_whom:
            self.with_whom_edit.setText(name)
        self._auto_with_whom = name

    def _ensure_player(self) -> Any:
        """The media player, made on first use; None when Qt Multimedia is not available here."""
        if self._player is None:
            self._player = make_player(self)
            if self._player is None:
                return None
            self._player.playbackStateChanged.connect(self._on_playback_state)
            self._player.errorOccurred.connect(self._on_player_error)
        return self._player

    def _on_playback_state(self, state: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        row = self._playing_row
        if row is not None and alive(row):
            row.set_playing(state == QMediaPlayer.PlaybackState.PlayingState)

    def _on_player_error(self, _error: Any, text: str) -> None:
        row = self._playing_row
        if row is not None and alive(row):
            row.set_playing(False)
            row.error_label.setText(self.tr("The recording cannot be played here: %1").replace("%1", text))
            row.error_label.show()


def _qt_time(value: Any) -> QDateTime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _local(value)
    return QDateTime.fromMSecsSinceEpoch(int(value.timestamp() * 1000))


# ---- On the database thread

def _contact_choices(session: Any, customer_id: str) -> list[ContactChoice]:
    return [ContactChoice(c.id, c.name, c.title) for c in live_contacts(session, customer_id)]
