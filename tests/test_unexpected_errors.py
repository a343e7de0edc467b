"""An unexpected error never shows its raw text in a window; its details go to the data folder's log."""

from __future__ import annotations

import logging

import pytest

from desktop.errors import DomainError
from sync.client import SyncError
from ui import app_log
from ui.ops import describe

RAW = "(sqlite3.IntegrityError) UNIQUE constraint failed: users.username [SQL: INSERT INTO users ...]"


@pytest.fixture
def log_file(tmp_path):
    path = app_log.install(tmp_path)
    yield path
    root = logging.getLogger()
    root.removeHandler(app_log._handler)
    app_log._handler.close()
    app_log._handler = None


@pytest.mark.parametrize("language, words", [("zh_CN", "意外的错误"), ("en", "unexpected")])
def test_an_unexpected_error_is_told_in_words_and_its_details_are_logged(log_file, language, words):
    try:
        raise RuntimeError(RAW)
    except RuntimeError as exc:
        shown = describe(exc, language)
    assert words in shown and "fieldmark.log" in shown
    for raw in ("RuntimeError", "UNIQUE", "sqlite3", "SQL", "users.username"):
        assert raw not in shown
    logged = log_file.read_text(encoding="utf-8")
    assert RAW in logged and "Traceback" in logged and "RuntimeError" in logged


def test_domain_and_sync_errors_keep_their_own_words(log_file):
    domain = DomainError("conflict", "客户名称已存在。", "The customer name is taken.", "name")
    sync = SyncError("unreachable", "无法连接服务器。", "The server cannot be reached.")
    assert describe(domain, "zh_CN") == "客户名称已存在。" and describe(domain, "en") == "The customer name is taken."
    assert describe(sync, "zh_CN") == "无法连接服务器。" and describe(sync, "en") == "The server cannot be reached."
    assert log_file.read_text(encoding="utf-8") == ""  # nothing unexpected happened
