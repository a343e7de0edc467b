"""Joining a server from a data folder: check the folder, find the server, sign in, pull everything once.

Runs on the network thread. Every failure comes out as a :class:`JoinError` whose messages say, in
Chinese and English, what happened and what to do - never an exception's own text. A join is done
once its first sync succeeded (desktop.folder: ``last_success_at``); until then the folder is
"half joined": what arrived is kept and the next Connect goes on from the cursor it reached.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from sqlalchemy import select

from desktop import folder as folder_
from desktop.errors import DomainError
from desktop.models import User
from desktop.store import Store
from sync.client import (
    DeviceRevoked,
    Progress,
    SignInRequired,
    SyncCancelled,
    SyncClient,
    SyncError,
    SyncUnavailable,
    UpgradeRequired,
    bad_address,
)

log = logging.getLogger(__name__)

CONNECT, SIGN_IN = "connect", "sign_in"  # progress words before the sync's own "push" and "pull"


class JoinError(SyncError):
    """A join failed; ``stage`` is where: "folder", "connect", "sign_in" or "pull"."""

    def __init__(self, code: str, message_zh: str, message_en: str, stage: str,
                 status: int | None = None) -> None:
        super().__init__(code, message_zh, message_en, status)
        self.stage = stage


def server_url(text: str) -> str:
    """The address as typed, made a server URL (https:// when no scheme is given); SyncError otherwise."""
    url = text.strip()
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError as exc:
        raise bad_address(text.strip()) from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise bad_address(text.strip())
    return url.rstrip("/")


def join(client: SyncClient, username: str, password: str, device_name: str,
         progress: Progress | None = None, *, scheme_guessed: bool = False) -> User:
    """Join client.base_url as this user and pull everything; returns the local user, ready to sign in offline.

    ``scheme_guessed``: the address was typed without http:// or https://. https is tried first; a server
    that does not speak it there (a server on a local network often does not) is tried with http.
    """
    store = client.store
    stage = "folder"
    try:
        folder = folder_.inspect(store)
        if scheme_guessed and folder.server_url and same_host(folder.server_url, client.base_url):
            client.base_url = folder.server_url  # the address this folder joined, as it was joined
        folder_.check_join(folder, client.base_url)
        stage = CONNECT
        _step(progress, 0.0, CONNECT)
        try:
            client.health()
        except SyncUnavailable as exc:
            if not (scheme_guessed and client.base_url.startswith("https://") and exc.reason in ("refused", "tls")):
                raise
            secure = client.base_url
            client.base_url = "http://" + secure.removeprefix("https://")
            folder_.check_join(folder, client.base_url)
            try:
                client.health()
            except SyncUnavailable:
                client.base_url = secure  # neither answers: say what https said
                raise exc from None
        stage = SIGN_IN
        _step(progress, 0.02, SIGN_IN)
        user_id = client.sign_in(username, password, device_name,
                                 check=lambda uid: folder_.check_user(store, uid, username))
        stage = "pull"
        client.sync(_After(progress, 0.05))
        return _local_user(store, user_id)
    except (SyncCancelled, DeviceRevoked):
        raise  # a withdrawn device: its folder is erased by whoever holds it open (sync.revocation)
    except Exception as exc:  # noqa: BLE001 - every failure becomes words for the window
        raise _explained(exc, stage, client.base_url) from exc


def same_host(a: str, b: str) -> bool:
    """The same host, port and path, whatever the scheme."""
    return folder_.same_server("x://" + a.split("://", 1)[-1], "x://" + b.split("://", 1)[-1])


def _local_user(store: Store, user_id: str) -> User:
    with store.read() as session:
        user = session.scalars(select(User).where(User.id == user_id)).first()
        if user is None or not user.password_hash:
            raise JoinError("no_account", "服务器没有发来您的账户，无法在本机登录。请联系管理员。",
                            "The server did not send your account, so you cannot sign in on this computer. "
                            "Ask your administrator.", "pull")
        session.expunge(user)
        return user


def _explained(exc: Exception, stage: str, url: str) -> JoinError:
    if isinstance(exc, JoinError):
        return exc
    if isinstance(exc, DomainError):
        return JoinError(exc.code, exc.message_zh, exc.message_en, stage)
    if isinstance(exc, SyncUnavailable):
        if stage == "pull":
            return JoinError("interrupted", "首次下载途中与服务器的连接中断了。已收到的数据保存在本机；"
                             "请检查网络后再点“连接”，将从中断处继续。",
                             "The connection to the server dropped during the first download. What arrived "
                             "is kept on this computer; check the network and press Connect to go on from "
                             "where it stopped.", stage)
        return _unreachable(exc.reason, url, stage)
    if isinstance(exc, UpgradeRequired):
        return JoinError(exc.code, exc.message_zh, exc.message_en, stage, exc.status)
    if isinstance(exc, SignInRequired) and stage == "pull":
        return JoinError(exc.code, "服务器在下载途中收回了本机的登录（设备可能已被停用）。已收到的数据保存在本机；"
                         "请重新输入密码再连接，如仍不行请联系管理员。",
                         "The server withdrew this computer's sign-in during the download (the device may "
                         "have been revoked). What arrived is kept; type your password and connect again, "
                         "or ask your administrator if it keeps happening.", stage, exc.status)
    if isinstance(exc, SyncError):
        if exc.code == "forbidden" and stage == SIGN_IN:
            return JoinError(exc.code, "这台电脑的数据文件夹已由服务器上的另一位用户登记。请用该用户登录，"
                             "或选择或新建一个空文件夹。",
                             "This computer's data folder is registered to another user on the server. Sign "
                             "in as that user, or choose or create a new, empty folder.", stage, exc.status)
        return JoinError(exc.code, exc.message_zh, exc.message_en, stage, exc.status)
    log.exception("joining %s failed", url)
    return JoinError("unexpected", "连接时出现意外问题，未能完成。已收到的数据保存在本机，请再试一次；"
                     "如仍不行请联系管理员。",
                     "An unexpected problem stopped the connection. What arrived is kept on this computer; "
                     "try again, and ask your administrator if it keeps happening.", stage)


def _unreachable(reason: str, url: str, stage: str) -> JoinError:
    host = urlsplit(url).netloc or url
    if reason == "timeout":
        return JoinError("timeout", f"{host} 上的服务器没有及时应答。请稍后再试；如一直如此，请核对地址或联系管理员。",
                         f"The server at {host} did not answer in time. Try again later; if it keeps "
                         "happening, check the address or ask your administrator.", stage)
    if reason == "no_host":
        return JoinError("no_host", f"找不到名为 {host} 的服务器。请核对地址的拼写，并确认本机已联网。",
                         f"No server named {host} was found. Check the spelling of the address and that "
                         "this computer is online.", stage)
    if reason == "not_json":
        return JoinError("not_fieldmark", "这个地址有服务在应答，但不是 Fieldmark 服务器。请核对地址（可询问管理员）。",
                         "Something answers at this address, but it is not a Fieldmark server. Check the "
                         "address (your administrator knows it).", stage)
    if reason == "tls":
        return JoinError("tls", f"无法与 {host} 建立安全连接（https）。请核对地址；如管理员给的地址以 http:// 开头，请照样输入。",
                         f"No secure connection (https) could be made to {host}. Check the address; if the "
                         "one your administrator gave you starts with http://, type it that way.", stage)
    if reason == "http":
        return JoinError("server_trouble", f"{host} 上的服务器暂时出错。请过几分钟再试。",
                         f"The server at {host} is having trouble right now. Try again in a few minutes.", stage)
    return JoinError("unreachable", f"无法连接 {host}：那里没有服务在应答。请核对地址和端口，"
                     "确认服务器已启动、本机已联网。",
                     f"Cannot reach {host}: nothing answers there. Check the address and port, and that the "
                     "server is running and this computer is online.", stage)


def _step(progress: Progress | None, fraction: float, what: str) -> None:
    if progress is not None and not progress.set(fraction, what):
        raise SyncCancelled()


class _After:
    """The sync's progress, placed after the few steps before it."""

    def __init__(self, progress: Progress | None, start: float) -> None:
        self.progress, self.start = progress, start

    def set(self, fraction: float, what: str = "") -> bool:
        if self.progress is None:
            return True
        return self.progress.set(self.start + (1 - self.start) * fraction, what)


def describe(exc: BaseException, language: str) -> str:
    """Words for any failure of a join, for the window."""
    if isinstance(exc, SyncError):
        return exc.message(language)
    return _explained(exc if isinstance(exc, Exception) else RuntimeError(), "", "").message(language)


__all__ = ["CONNECT", "SIGN_IN", "JoinError", "describe", "join", "server_url"]
