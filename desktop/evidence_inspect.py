"""``fieldmark evidence inspect FILE…``: what the capture rule sees in each file, as JSON.

Support staff run it on the file a rep says was refused wrongly: it reads the file through the very
code ``attachment.add`` runs (desktop.mutations.visits.measure: the size limit, then desktop.media), so
what it prints is what the desktop and the server decided - the type from the content, a recording's
counted length next to what its header claimed, a photo's capture time with the zone it was read in
(and whether that zone was assumed), GPS, pixel size. A refused file shows the refusal in both
languages. No Qt, no database: it runs on a server as well as on a rep's laptop.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

from desktop.errors import DomainError


def inspect(path: Path) -> dict[str, Any]:
    """One file as the rule sees it, or its refusal."""
    from desktop.mutations.visits import measure

    out: dict[str, Any] = {"file": str(path)}
    try:
        size = path.stat().st_size
        out["sha256"] = _sha256(path)
        info = measure(path, path.name, size)
    except OSError as exc:
        out["refused"] = {"code": "unreadable", "message_zh": f"无法读取（{exc.strerror or exc}）。",
                          "message_en": f"It cannot be read ({exc.strerror or exc})."}
        return out
    except DomainError as exc:
        out["size"] = size
        out["refused"] = {"code": exc.code, "message_zh": exc.message_zh, "message_en": exc.message_en}
        return out
    out.update(kind=info.kind, type=info.mime, size=info.size)
    if info.kind == "audio":
        out.update(duration_s=info.duration_s, header_claims_s=info.claimed_duration_s, codec=info.codec)
    else:
        out.update(width=info.width, height=info.height,
                   gps=None if info.gps_lat is None else {"lat": info.gps_lat, "lon": info.gps_lon})
    out["taken_at_utc"] = info.taken_at.isoformat() if info.taken_at else None
    out["taken_at_local"] = _local(info.taken_at, info.taken_zone)
    out["zone"] = info.taken_zone
    out["zone_assumed"] = info.zone_assumed
    return out


def _local(when: Any, zone: str | None) -> str | None:
    if when is None or not zone or zone == "UTC":
        return when.isoformat() if when else None
    sign = -1 if zone.startswith("-") else 1
    hours, minutes = zone[1:].split(":")
    return when.astimezone(timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))).isoformat()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str]) -> int:
    """Print a JSON list, one entry per file; exit 1 when any file is refused."""
    parser = argparse.ArgumentParser(prog="fieldmark evidence",
                                     description="What Fieldmark's capture rule sees in evidence files.")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("inspect", help="print, as JSON, what the rule reads from each file")
    command.add_argument("files", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    found = [inspect(path) for path in args.files]
    json.dump(found, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 1 if any("refused" in item for item in found) else 0
