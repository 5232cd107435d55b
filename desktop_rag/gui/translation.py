"""The window's language: Korean or English, chosen in Settings or taken from the system
locale, with Qt's own dialogs translated too; and a font that has Hangul, bundled with PyMuPDF
when the system has none. The command line stays English."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

TRANSLATED = ("ko",)  # languages with a resources/translations/desktop_rag_<lang>.qm


def translations_dir() -> Path:
    from desktop_rag.gui.app import resource

    return resource("translations")


def ui_language(setting: str, system: str | None = None) -> str:
    """The language the window speaks: the setting ("en", "ko"), or for "" the system
    locale's when we have it, else English."""
    if setting in ("en", *TRANSLATED):
        return setting
    system = system if system is not None else QLocale.system().name()
    code = system.split("_")[0].lower()
    return code if code in TRANSLATED else "en"


def system_language_name() -> str:
    """The system locale's language, in that language (한국어, English)."""
    return QLocale.system().nativeLanguageName() or "English"


def install_translation(app: QApplication, setting: str) -> str:
    """Install the translators for the chosen language before any window is built; returns
    the language in use ("en" when a translation is missing, which is logged)."""
    language = ui_language(setting)
    if language == "en":
        return "en"
    ours = QTranslator(app)
    if not ours.load(f"desktop_rag_{language}", str(translations_dir())):
        log.warning(
            "no %s translation in %s: the window stays English", language, translations_dir()
        )
        return "en"
    app.installTranslator(ours)
    qt = QTranslator(app)  # Qt's own buttons and dialogs: OK, Cancel, file dialogs
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
    app.setProperty("desktop_rag_language", language)
    return language


def ensure_hangul_font(app: QApplication) -> str | None:
    """Make Hangul render when no installed font has it: register the CJK font PyMuPDF ships
    (Droid Sans Fallback), which Qt then uses for the characters the window's font lacks.
    Returns the family added, or None when the system has one (or this failed, logged)."""
    if QFontDatabase.families(QFontDatabase.WritingSystem.Korean):
        return None
    try:
        import pymupdf

        data = bytes(pymupdf.Font("korea").buffer)
    except Exception:
        log.exception("no bundled CJK font: Korean text may not show")
        return None
    font_id = QFontDatabase.addApplicationFontFromData(QByteArray(data))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        log.warning("the bundled CJK font could not be registered")
        return None
    family = families[0]  # Qt falls back to it for the characters other fonts lack
    log.info("Hangul from the bundled font %s", family)
    return family
