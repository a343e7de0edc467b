import shutil
import sys
import tempfile
import time
from pathlib import Path

from desktop import bulk_pull
from desktop.store import open_store
from sync import first_pull
from sync.client import SyncClient
from sync.token_store import FileTokenStore
from tests.server_process import ServerProcess

T = {"write": 0.0, "prepare": 0.0, "finish": 0.0, "start": 0.0}
for name in list(T):
    f = getattr(bulk_pull, name)
    def wrap(*a, _f=f, _n=name, **k):
        t = time.perf_counter()
        try:
            return _f(*a, **k)
        finally:
            T[_n] += time.perf_counter() - t
    setattr(bulk_pull, name, wrap)
d = Path(sys.argv[1])
server = ServerProcess(d)
work = Path(tempfile.mkdtemp())
try:
    store = open_store(work / "d" / "fieldmark.db")
    c = SyncClient(store, server.url, FileTokenStore(work / "token"), sleep=lambda s: None)
    c.sign_in("finance.sun", "fieldmark", "b")
    t = time.perf_counter()
    r = c.pull()
    print("pull", time.perf_counter() - t, r.snapshot, T)
finally:
    server.stop()
    shutil.rmtree(work)
