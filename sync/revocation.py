"""A device the administrator withdrew erases what it holds (a lost laptop, someone who left).

The server answers every contact from a revoked device ``device_revoked`` (410; sync.protocol). The
client then, before raising :class:`sync.client.DeviceRevoked`, marks the data folder to be erased and
clears the device token (:func:`note`), so that from that moment the folder can neither sync nor be
trusted to stay. Whoever holds the store open - the window (ui.startup.Application) - then closes it
and calls :func:`erase`: the token again, the database, the evidence files, their thumbnails and the
backups (desktop.folder.erase_files), the mark last. An app closed in between erases at its next
start (:func:`erase_if_requested`), before the database is opened.

This deliberately removes changes the device had not sent yet: the administrator chose to withdraw
it, and keeping the data is exactly what a lost laptop must not do (docs/design-sync-client.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

from desktop import folder as folder_
from desktop.paths import DB_NAME
from desktop.store import Store
from sync.token_store import FILE_NAME, TokenStore, open_token_store

log = logging.getLogger(__name__)

# What the window says once the folder is erased (the first dialog of the empty folder shows it).
ERASED_ZH = ("管理员已将这台电脑从单位的服务器上停用，因此本机的 Fieldmark 数据（客户、拜访、附件和尚未发送的修改）"
             "以及登录信息已被删除。电脑上的其他文件没有改动。如需在这台电脑上继续使用 Fieldmark，请先联系管理员，"
             "然后重新连接服务器。")
ERASED_EN = ("Your administrator withdrew this computer from your organisation's server, so its Fieldmark data "
             "(customers, visits, files and changes not yet sent) and its sign-in were erased from it. Nothing "
             "else on the computer was touched. To use Fieldmark here again, ask your administrator first, then "
             "connect to the server again.")


def erased_message(language: str) -> str:
    return ERASED_ZH if language.lower().startswith("zh") else ERASED_EN


def note(store: Store, token_store: TokenStore) -> None:
    """The server said this device is withdrawn: mark its folder for erasing, then forget its token."""
    device_id, _code = store.device()
    folder_.request_erase(store.path.parent, device_id)  # first: a crash after it still erases
    token_store.clear()


def erase(data_dir: Path, device_id: str, token_store: TokenStore | None = None, db_name: str = DB_NAME) -> None:
    """Remove a withdrawn device's token and data from its folder; the store must be closed first."""
    data_dir = Path(data_dir)
    for tokens in (token_store, open_token_store(data_dir, device_id) if device_id else None):
        if tokens is not None:
            tokens.clear()
    folder_.erase_files(data_dir, db_name, also=(FILE_NAME,))
    log.warning("this device was withdrawn by the server's administrator; its data in %s was erased", data_dir)


def erase_if_requested(database: Path) -> bool:
    """Finish an erase the server asked for before the app was closed; True when the folder was erased."""
    database = Path(database)
    device_id = folder_.erase_requested(database.parent)
    if device_id is None:
        return False
    erase(database.parent, device_id, db_name=database.name)
    return True
