"""Evidence for the demo's recent visits, so that the visit review has something to show.

The demo's trail predates the capture rules: its visits have no evidence and count as not captured.
For the most recent visits (at most ``limit``) this adds what a rep would have attached: a storefront
and a nameplate photo (small pictures drawn here, each unique, with EXIF capture time and place) and
a recording. Each rep keeps the rules on a share of their visits of their own, so the capture rate
differs from rep to rep, as in the brief (39% → 94% once the trail became structured); the visits
that kept them are marked as checked against the default rule. Written as a server snapshot.
"""

from __future__ import annotations

import io
import math
import random
import struct
import wave
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from desktop import media, timeutil
from desktop.ids import uuid7_from
from desktop.models import Customer, Touchpoint
from desktop.store import Store

ATTACHMENT_COLUMNS = ("id", "touchpoint_id", "kind", "label", "filename", "sha256", "size", "mime", "duration_s",
                      "taken_at", "gps_lat", "gps_lon", "created_at", "version")
RECORDING_SECONDS = (62.0, 95.0, 128.0)  # one too short, two long enough
CITY_GPS = {"苏州": (31.30, 120.58), "无锡": (31.49, 120.31), "南京": (32.06, 118.80), "常州": (31.81, 119.97),
            "杭州": (30.27, 120.16), "宁波": (29.87, 121.54), "上海": (31.23, 121.47), "合肥": (31.82, 117.23)}
VISIT_TYPES = ("routine", "routine", "routine", "first", "demo", "installation", "service")


def add_evidence(store: Store, *, limit: int = 150, seed: int = 2026) -> int:
    """Attach evidence to the most recent demo visits; returns how many visits got some."""
    rng = random.Random(seed)
    with store.read() as session:
        visits = session.execute(
            select(Touchpoint.id, Touchpoint.user_id, Touchpoint.occurred_at, Customer.city, Customer.address)
            .join(Customer, Customer.id == Touchpoint.customer_id)
            .where(Touchpoint.channel == "visit", Touchpoint.status == "submitted")
            .order_by(Touchpoint.occurred_at.desc()).limit(limit)).all()
    if not visits:
        return 0
    recordings = {seconds: store.blobs.add_bytes(_recording(seconds)) for seconds in RECORDING_SECONDS}
    keeps_rules = {user: rng.choice((0.4, 0.6, 0.8, 0.95)) for user in {v.user_id for v in visits}}
    attachments: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    for visit_id, user_id, occurred, city, address in visits:
        ms = int(occurred.timestamp() * 1000)
        at = timeutil.to_text(occurred)
        lat, lon = CITY_GPS.get(city, (31.3, 120.6))
        place = (round(lat + rng.uniform(-0.05, 0.05), 5), round(lon + rng.uniform(-0.05, 0.05), 5))
        good = rng.random() < keeps_rules[user_id]
        labels = ["storefront", "nameplate"] if good or rng.random() < 0.5 else ["storefront"]
        for label in labels:
            data = _photo(rng, label, occurred + timedelta(minutes=rng.randrange(1, 40)), place)
            sha = store.blobs.add_bytes(data)
            info = media.probe(store.blobs.path(sha), f"{label}.jpg")
            attachments.append((uuid7_from(ms, rng.getrandbits(74)), visit_id, "photo", label,
                                f"IMG_{rng.randrange(1000, 9999)}.jpg", sha, info.size, info.mime, None,
                                timeutil.to_text(info.taken_at) if info.taken_at else None, info.gps_lat,
                                info.gps_lon, at, 1))
        seconds = rng.choice(RECORDING_SECONDS[1:]) if good else rng.choice(RECORDING_SECONDS)
        if good or rng.random() < 0.6:
            sha = recordings[seconds]
            attachments.append((uuid7_from(ms, rng.getrandbits(74)), visit_id, "audio", "",
                                f"录音_{rng.randrange(100, 999)}.wav", sha, store.blobs.size(sha), "audio/wav",
                                seconds, None, None, None, at, 1))
        updates.append((rng.choice(VISIT_TYPES), at, address or city, place[0], place[1],
                        "default" if good else None, 1 if good else None, True if good else None, visit_id))
    with store.writer("snapshot") as session:
        conn = session.connection()
        conn.exec_driver_sql(f"INSERT INTO attachments ({', '.join(ATTACHMENT_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(ATTACHMENT_COLUMNS))})", attachments)
        # Visit details of rows the snapshot just wrote: their version stays 1 (server data).
        conn.exec_driver_sql("UPDATE touchpoints SET visit_type = ?, check_in_at = ?, location = ?, gps_lat = ?, "
                             "gps_lon = ?, rule_id = ?, rule_version = ?, rule_passed = ? WHERE id = ?", updates)
    return len(visits)


def _photo(rng: random.Random, label: str, taken: datetime, place: tuple[float, float]) -> bytes:
    """A small picture: a shop front (wide, warm) or a nameplate (a plate with lines), unique per call."""
    from PIL import Image, ImageDraw

    if label == "storefront":
        image = Image.new("RGB", (320, 200), (rng.randrange(150, 230), rng.randrange(90, 150), rng.randrange(40, 90)))
        draw = ImageDraw.Draw(image)
        draw.rectangle((20, 20, 300, 60), fill=(160, 20, 20))
        for x in range(30, 300, rng.randrange(40, 70)):
            draw.rectangle((x, 90, x + 30, 190), fill=(60, 70, 80))
    else:
        image = Image.new("RGB", (240, 240), (rng.randrange(90, 140),) * 3)
        draw = ImageDraw.Draw(image)
        draw.rectangle((30, 60, 210, 180), fill=(200, 200, 190), outline=(40, 40, 40), width=3)
        for y in range(80, 170, 18):
            draw.line((45, y, 45 + rng.randrange(80, 150), y), fill=(30, 30, 30), width=3)
    draw.point([(rng.randrange(image.width), rng.randrange(image.height)) for _ in range(20)], fill=(255, 255, 255))
    exif = Image.Exif()
    local = taken.astimezone(media.EXIF_ZONE).replace(tzinfo=None)
    exif.get_ifd(0x8769)[0x9003] = local.strftime("%Y:%m:%d %H:%M:%S")
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", _dms(place[0])
    gps[3], gps[4] = "E", _dms(place[1])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, exif=exif.tobytes())
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    return (float(d), float(m), round(((value - d) * 60 - m) * 60, 3))


def _recording(seconds: float, rate: int = 8000) -> bytes:
    """A quiet tone of exactly ``seconds``, as a mono 8 kHz WAV."""
    tone = b"".join(struct.pack("<h", int(1500 * math.sin(2 * math.pi * 330 * i / rate))) for i in range(rate))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        whole, rest = divmod(round(seconds * rate), rate)
        for _ in range(whole):
            w.writeframes(tone)
        w.writeframes(tone[: rest * 2])
    return out.getvalue()
