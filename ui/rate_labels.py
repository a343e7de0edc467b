"""Rate sources and rates as users read them, for the exchange-rates page and its dialogs.

Like ui.labels: the translate calls spell out every source string so that lupdate finds them.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QCoreApplication

from desktop.fx import rates


def source_name(source: str) -> str:
    """Where a rate came from (desktop.fx.rates.SOURCES), as finance names it; any other text as it is."""
    names = {
        "cfets": QCoreApplication.translate("labels", "CFETS"),
        "csv": QCoreApplication.translate("labels", "CSV file"),
        "manual": QCoreApplication.translate("labels", "Entered by hand"),
        "server": QCoreApplication.translate("labels", "Server"),
    }
    return names.get(source, source)


def rate_text(value: Decimal | None, pair: str = "USD/CNY") -> str:
    """A rate with the decimals its pair is published with (7.1600, not the stored 7.16): the core's
    wording (desktop.fx.rates.rate_text), which the approval reasons use too."""
    if value is None:
        return ""
    return rates.rate_text(value, pair)
