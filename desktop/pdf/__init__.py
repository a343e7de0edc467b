"""Printed documents: the quote PDF and the amounts in words it carries. No Qt, no database."""

from __future__ import annotations

from desktop.pdf.capital import capital_amount, usd_words
from desktop.pdf.quote_pdf import (
    Company,
    Customer,
    ExchangeRate,
    QuoteDocument,
    QuoteLine,
    Unprintable,
    render_quote,
    unprintable,
)

__all__ = [
    "Company",
    "Customer",
    "ExchangeRate",
    "QuoteDocument",
    "QuoteLine",
    "capital_amount",
    "Unprintable",
    "render_quote",
    "unprintable",
    "usd_words",
]
