"""Rate sources and a rate's standing as users read them, for the exchange-rates page and its dialogs.

Like ui.labels: the translate calls spell out every source string so that lupdate finds them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def source_name(source: str) -> str:
    """Where a rate came from (desktop.fx.rates.SOURCES), as finance names it; any other text as it is."""
    names = {
        "cfets": QCoreApplication.translate("labels", "CFETS"),
        "csv": QCoreApplication.translate("labels", "CSV file"),
        "manual": QCoreApplication.translate("labels", "Entered by hand"),
        "server": QCoreApplication.translate("labels", "Server"),
    }
    return names.get(source, source)
