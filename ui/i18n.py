"""Languages: Simplified Chinese and English through Qt's translation system.

The sources are ``resources/translations/fieldmark_<lang>.ts`` (edited with Qt Linguist or by hand,
refreshed from the code with ``make translations``). The compiled ``.qm`` files are never committed:
they are built from the ``.ts`` at start-up with Qt's ``lrelease`` into the user's cache folder,
whenever the source is newer than the compiled file.

Qt's own strings (the file dialog, standard buttons, the line edits' context menu, the media player)
come from the catalogues PySide6 ships (qtbase, qtmultimedia); ``qt_supplement_<lang>.ts`` fills the
few that Qt's Chinese catalogue leaves in English (the file dialog's "Look in:"), installed after them
so that it wins.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import PySide6
from platformdirs import user_cache_dir
from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtWidgets import QApplication

import resources

LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
SETTING = "ui/language"
_installed: list[QTranslator] = []


def default_language() -> str:
    """The saved choice, else Chinese where the system locale is Chinese, else English."""
    saved = QSettings().value(SETTING, "")
    if saved in LANGUAGES:
        return str(saved)
    return "zh_CN" if QLocale.system().name().lower().startswith("zh") else "en"


def _lrelease() -> str:
    found = shutil.which("pyside6-lrelease")
    if found:
        return found
    return str(Path(PySide6.__file__).parent / "lrelease")


QT_CATALOGUES = ("qtbase", "qtmultimedia")


def compiled(language: str, catalogue: str = "fieldmark") -> Path | None:
    """The .qm for a language, compiled from its .ts if missing or older; None for the source language."""
    source = resources.path("translations", f"{catalogue}_{language}.ts")
    if not source.exists():
        return None
    target = Path(user_cache_dir("Fieldmark", appauthor=False)) / "translations" / f"{catalogue}_{language}.qm"
    if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([_lrelease(), "-silent", str(source), "-qm", str(target)], check=True,
                       capture_output=True, timeout=60)
    return target


def install(app: QApplication, language: str) -> None:
    """Switch the application's language; widgets receive a LanguageChange event and retranslate."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if language.startswith("zh"):
        qt = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
        # Installed last is asked first: ours, then the supplement, then Qt's catalogues.
        paths = [*(qt / f"{name}_{language}.qm" for name in QT_CATALOGUES),
                 compiled(language, "qt_supplement"), compiled(language)]
        for path in filter(None, paths):
            translator = QTranslator(app)
            if translator.load(str(path)):
                app.installTranslator(translator)
                _installed.append(translator)
    QLocale.setDefault(QLocale(language))
