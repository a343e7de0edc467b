"""Role names as users read them, translated."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def role_name(role: str) -> str:
    names = {
        "field_rep": QCoreApplication.translate("roles", "Field rep"),
        "key_account_director": QCoreApplication.translate("roles", "Key-account director"),
        "channel_manager": QCoreApplication.translate("roles", "Channel manager"),
        "sales_manager": QCoreApplication.translate("roles", "Sales manager"),
        "finance": QCoreApplication.translate("roles", "Finance"),
        "finance_director": QCoreApplication.translate("roles", "Finance director"),
        "service_engineer": QCoreApplication.translate("roles", "Service engineer"),
        "admin": QCoreApplication.translate("roles", "Administrator"),
    }
    return names.get(role, role)
