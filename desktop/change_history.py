"""A customer's change history as the detail shows it: who changed which field of it or of its contacts,
when, from what to what - read from the server's records (``field_changes``, synced read-only; see
sync.server.history), newest first.

Fields come with the label and kind their mutation declares (the same ``Label`` the dialogs and the
sync problems use), and every user and owner id with the name it stands for, so the screen shows
words, never a column name or an id. Formatting (language, zone, choice names) stays in ui/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.errors import Label
from desktop.models import Contact, FieldChange, User
from desktop.mutations import contacts, customers

FIELDS = {"customers": customers.PROFILE, "contacts": contacts.DETAILS}
LIMIT = 200


@dataclass(frozen=True)
class HistoryEntry:
    changed_at: datetime  # the server's time of receipt: the order the changes took effect in
    user_name: str
    table: str  # customers | contacts
    contact_name: str  # for a contact's change: whose
    action: str  # create | update | remove
    key: str  # the field (for update)
    label: Label | None
    kind: str
    old: Any
    new: Any
    overwrote_name: str  # whose value this change replaced unseen ("" if nobody's)


def customer_history(session: Session, customer_id: str, limit: int = LIMIT) -> tuple[list[HistoryEntry], dict[str, str]]:
    """The newest ``limit`` changes of the customer and its contacts, and the names of the users the
    values name (an owner): {id: name}. The caller has checked that the user may see the customer."""
    found = list(session.scalars(select(FieldChange).where(FieldChange.customer_id == customer_id)
                                 .order_by(FieldChange.changed_at.desc(), FieldChange.row_version.desc(),
                                           FieldChange.id.desc()).limit(limit)))
    user_ids = {c.user_id for c in found} | {c.overwrote_user_id for c in found if c.overwrote_user_id}
    user_ids |= {v for c in found if c.field == "owner_id" for v in (c.old_value, c.new_value) if isinstance(v, str)}
    names = {row.id: row.display_name for row in session.execute(
        select(User.id, User.display_name).where(User.id.in_(user_ids)))} if user_ids else {}
    contact_ids = {c.row_id for c in found if c.table_name == "contacts"}
    contact_names = {row.id: row.name for row in session.execute(
        select(Contact.id, Contact.name).where(Contact.id.in_(contact_ids)))} if contact_ids else {}
    out = []
    for change in found:
        fields = FIELDS.get(change.table_name, {})
        field = fields.get(change.field or "")
        action = "create" if change.field is None else "remove" if change.field == "deleted_at" else "update"
        contact_name = ""
        if change.table_name == "contacts":
            contact_name = contact_names.get(change.row_id) or (str(change.new_value or "") if action != "update" else "")
        out.append(HistoryEntry(
            changed_at=change.changed_at, user_name=names.get(change.user_id, ""), table=change.table_name,
            contact_name=contact_name, action=action, key=change.field or "",
            label=field.label if field is not None else None, kind=field.kind if field is not None else "text",
            old=change.old_value, new=change.new_value,
            overwrote_name=names.get(change.overwrote_user_id, "") if change.overwrote_user_id else ""))
    return out, names
