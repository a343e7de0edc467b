#!/bin/sh
# Refresh the translation sources from the code: new strings are added as unfinished, strings that
# vanished are dropped, existing translations are kept. Translate the unfinished ones with Qt
# Linguist (.venv/bin/pyside6-linguist) or in a text editor; the app compiles them at start.
set -eu
cd "$(dirname "$0")/.."
files=$(find ui -name '*.py' | sort)
for ts in resources/translations/fieldmark_*.ts; do
    .venv/bin/pyside6-lupdate $files -ts "$ts" -no-obsolete -locations relative
done
