#!/bin/sh
# System packages the tests need: the libraries Qt needs to run offscreen (tests, screenshots) and
# PostgreSQL (the sync server's tests run against a real one; they start a private cluster), and
# libpulse0, which Qt Multimedia's FFmpeg backend links against (audio playback of visit recordings), and
# poppler-utils, whose pdftoppm renders quote PDFs to images so the tests can look at the glyphs, and
# independent audio encoders (sox with its MP3 and AMR handlers, lame, ffmpeg) the recording tests use to
# make their files, so the measuring code is not only checked against the encoder it is built on.
# Installed with apt-get when missing and running as root; otherwise a clear message says what to install.
set -eu
PACKAGES="libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3 postgresql libpulse0 poppler-utils sox libsox-fmt-mp3 libopencore-amrnb0 lame ffmpeg"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
else
    echo "system-deps: not a Debian-like system; make sure Qt's runtime libraries are present ($PACKAGES)." >&2
    exit 0
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "system-deps: missing system packages:$missing" >&2
    echo "system-deps: install them with: sudo apt-get install$missing" >&2
    exit 1
fi
