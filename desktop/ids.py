"""UUIDv7 ids made on the device, so records created offline never collide and sort by creation time."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> str:
    """Return a new UUIDv7 (RFC 9562) as a canonical string.

    Within one millisecond a 12-bit counter (seeded randomly) keeps ids from one process
    strictly increasing, which keeps B-tree inserts append-mostly.
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms = ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    return str(uuid.UUID(int=value))


def is_uuid(text: object) -> bool:
    """True when text is a canonical lower-case UUID string."""
    if not isinstance(text, str) or len(text) != 36:
        return False
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def uuid7_from(ms: int, rand: int) -> str:
    """A UUIDv7 for a given Unix time in milliseconds and 74 random bits (for bulk generation)."""
    value = ((ms & 0xFFFFFFFFFFFF) << 80) | (0x7 << 76) | (((rand >> 62) & 0xFFF) << 64) | (0b10 << 62) \
        | (rand & ((1 << 62) - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def provisional_device_code(device_id: str) -> str:
    """The code a new installation puts in its quote numbers until the server gives it one
    ("D" and three digits from the device id). The server accepts both from that device."""
    return "D" + str(int(device_id.replace("-", "")[-6:], 16) % 1000)
