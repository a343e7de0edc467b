"""Downloading the CFETS central parity (the parsing is desktop.fx.cfets; this module only talks HTTP).

Runs on the network worker. One short request per page with connect/read timeouts; no retries here
(the caller decides when to try again, and a quote can always fall back to a CSV or manual rate).
Every failure is a :class:`FxFetchError` with a stable code and messages in Chinese and English.
"""

from __future__ import annotations

from datetime import date

import requests

from desktop.errors import DomainError
from desktop.fx import cfets
from desktop.fx.rates import Rate

TIMEOUT = (5.0, 15.0)  # (connect, read) seconds
MAX_PAGES = 20
_HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Fieldmark",
    "Referer": cfets.REFERER,
    "Accept": "application/json, text/javascript, */*; q=0.01",
}


class FxFetchError(DomainError):
    """The rate source could not be reached or answered badly; nothing was stored."""


def _unreachable(base_url: str, exc: Exception) -> FxFetchError:
    return FxFetchError("fx_source_unreachable",
                        f"无法连接中国外汇交易中心（{base_url}）获取人民币汇率中间价，请检查网络后重试，"
                        f"或使用财务提供的汇率文件或手工录入汇率。",
                        f"Could not reach CFETS ({base_url}) for the RMB central parity; check the network "
                        f"and try again, or use finance's rate file or enter the rate by hand.",
                        detail={"error": type(exc).__name__})


def _post(session: requests.Session, base_url: str, path: str, form: dict[str, str] | None,
          timeout: tuple[float, float]) -> bytes:
    url = base_url.rstrip("/") + path
    try:
        if form is None:
            response = session.get(url, headers=_HEADERS, timeout=timeout)
        else:
            response = session.post(url, data=form, headers=_HEADERS, timeout=timeout)
    except requests.RequestException as exc:
        raise _unreachable(base_url, exc) from exc
    if response.status_code != 200:
        raise FxFetchError("fx_source_error",
                           f"中国外汇交易中心返回错误（HTTP {response.status_code}），暂时无法获取中间价，请稍后重试。",
                           f"CFETS answered HTTP {response.status_code}; the central parity is not available "
                           f"now, try again later.", detail={"status": response.status_code})
    return response.content


def fetch_history(pair: str, start: date, end: date, *, base_url: str = cfets.BASE_URL,
                  timeout: tuple[float, float] = TIMEOUT, session: requests.Session | None = None) -> list[Rate]:
    """The central parities of ``pair`` published from ``start`` to ``end``, oldest first."""
    own = session is None
    session = session or requests.Session()
    try:
        rates: list[Rate] = []
        page, pages = 1, 1
        while page <= min(pages, MAX_PAGES):
            body = _post(session, base_url, cfets.HISTORY_PATH, cfets.history_form(pair, start, end, page),
                         timeout)
            rates.extend(cfets.parse_history(body, pair))
            pages = cfets.page_total(body)
            page += 1
        unique = {(r.pair, r.rate_date): r for r in rates}
        return sorted(unique.values(), key=lambda r: r.rate_date)
    finally:
        if own:
            session.close()


def fetch_latest(pair: str = "USD/CNY", *, base_url: str = cfets.BASE_URL,
                 timeout: tuple[float, float] = TIMEOUT, session: requests.Session | None = None) -> Rate:
    """The newest published central parity of ``pair``."""
    own = session is None
    session = session or requests.Session()
    try:
        body = _post(session, base_url, cfets.LATEST_PATH, None, timeout)
        return cfets.parse_latest(body, pair)[0]
    finally:
        if own:
            session.close()
