"""Columns derived from what the user typed, kept by the mutations (device and server run the same code).

Pulled rows and snapshots carry them as the server computed them; bulk writers that bypass the
mutations (the demo generator) call the same functions.
"""

from __future__ import annotations

from typing import Any

from desktop.models import Contact, Customer, User
from desktop.sort_keys import company_key, person_key
from desktop.text_rules import name_key, phone_digits


def customer_columns(name: str, phone: str) -> dict[str, str]:
    """name_sort, name_key and phone_digits of a customer."""
    return {"name_sort": company_key(name), "name_key": name_key(name), "phone_digits": phone_digits(phone)}


def contact_columns(name: str, phone: str) -> dict[str, str]:
    """name_sort and phone_digits of a contact."""
    return {"name_sort": person_key(name), "phone_digits": phone_digits(phone)}


def user_columns(display_name: str) -> dict[str, str]:
    """name_sort of a user."""
    return {"name_sort": person_key(display_name)}


def refresh(row: Any) -> None:
    """Recompute the derived columns of a customer, contact or user from its current values."""
    if isinstance(row, Customer):
        values = customer_columns(row.name, row.phone or "")
    elif isinstance(row, Contact):
        values = contact_columns(row.name, row.phone or "")
    elif isinstance(row, User):
        values = user_columns(row.display_name)
    else:
        raise TypeError(f"no derived columns on {type(row).__name__}")
    for name, value in values.items():
        setattr(row, name, value)
