"""``fieldmark evidence inspect FILE…``: the JSON support staff read when a rep disputes a refusal, run as
the real command in its own process (and without Qt)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from tests import media_files as mf

ROOT = Path(__file__).resolve().parents[1]
NO_QT = ("import sys; from ui.app import main; rc = main(sys.argv[1:]); "
         "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt was imported'; sys.exit(rc)")


def fieldmark(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", NO_QT, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT)


def test_inspect_prints_what_the_rule_sees_in_each_file_and_each_refusal(tmp_path):
    photo = mf.photo(tmp_path / "门头.jpg", taken=datetime(2026, 11, 20, 10, 30), offset="+09:00", gps=(31.2304, 121.4737))
    plain = mf.photo(tmp_path / "铭牌.jpg", taken=datetime(2026, 11, 20, 10, 30), size=(320, 240))
    recording = mf.ffmpeg(mf.sox_wav(tmp_path / "src.wav", 12), tmp_path / "录音.m4a", "-c:a", "aac",
                          "-metadata", "creation_time=2026-11-20T02:30:00Z")
    lying = mf.ffmpeg_to_pipe(mf.sox_wav(tmp_path / "20s.wav", 20), tmp_path / "管道.wav", "-ar", "44100", "-ac", "1",
                              "-f", "wav")
    done = fieldmark("evidence", "inspect", photo, plain, recording, lying)
    assert done.returncode == 1, done.stderr  # one file is refused
    first, second, third, fourth = json.loads(done.stdout)

    assert {k: first[k] for k in ("kind", "type", "size", "width", "height", "zone", "zone_assumed")} == {
        "kind": "photo", "type": "image/jpeg", "size": photo.stat().st_size, "width": 640, "height": 480,
        "zone": "+09:00", "zone_assumed": False}
    assert first["taken_at_utc"] == "2026-11-20T01:30:00+00:00"
    assert first["taken_at_local"] == "2026-11-20T10:30:00+09:00"
    assert first["gps"]["lat"] == round(first["gps"]["lat"], 7) and abs(first["gps"]["lon"] - 121.4737) < 1e-4
    assert (second["zone"], second["zone_assumed"], second["gps"]) == ("+08:00", True, None)  # China time assumed
    assert second["taken_at_local"] == "2026-11-20T10:30:00+08:00"

    assert (third["kind"], third["type"], third["codec"]) == ("audio", "audio/mp4", "aac")
    assert abs(third["duration_s"] - 12) < 0.15 and abs(third["header_claims_s"] - 12) < 0.15
    assert (third["taken_at_utc"], third["zone"]) == ("2026-11-20T02:30:00+00:00", "UTC")
    assert len(third["sha256"]) == 64

    assert fourth["refused"]["code"] == "bad_file" and fourth["size"] == lying.stat().st_size
    assert "文件头声称 13 小时 31 分，实际内容 20 秒" in fourth["refused"]["message_zh"]
    assert "header claims 13 h 31 min but it holds 20 s" in fourth["refused"]["message_en"]


def test_inspect_of_readable_files_exits_0_and_without_files_explains_itself(tmp_path):
    done = fieldmark("evidence", "inspect", mf.sox_wav(tmp_path / "a.wav", 3))
    assert done.returncode == 0 and json.loads(done.stdout)[0]["duration_s"] == 3.0
    usage = fieldmark("evidence", "inspect")
    assert usage.returncode == 2 and "FILE" in usage.stderr
