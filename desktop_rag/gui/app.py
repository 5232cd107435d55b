"""QApplication setup and main(): the window appears before any model is loaded."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

T0 = time.monotonic()
RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"
log = logging.getLogger(__name__)


def resource(name: str) -> Path:
    """A file in resources/ (next to the package, or inside a frozen bundle)."""
    frozen = getattr(sys, "_MEIPASS", None)
    base = Path(frozen) / "resources" if frozen else RESOURCES
    return base / name if base.exists() else RESOURCES / name


STYLE = """
QLabel#sectionTitle { font-weight: 600; margin-top: 6px; }
QLabel#muted { color: palette(mid); }
QLabel#placeholder { color: palette(mid); font-size: 15px; padding: 24px; }
QLabel#viewerTitle { font-weight: 600; }
QTextBrowser { padding: 8px; }
QFrame#scopeChip { background: palette(alternate-base); border: 1px solid palette(highlight);
                   border-radius: 11px; }
"""


def apply_palette(app) -> None:  # type: ignore[no-untyped-def]
    """Fusion with a light or dark palette that follows the system's colour scheme."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    p = QPalette()
    if dark:
        colors = {
            QPalette.ColorRole.Window: "#202124",
            QPalette.ColorRole.WindowText: "#e8eaed",
            QPalette.ColorRole.Base: "#17181a",
            QPalette.ColorRole.AlternateBase: "#26272a",
            QPalette.ColorRole.Text: "#e8eaed",
            QPalette.ColorRole.Button: "#2b2c2f",
            QPalette.ColorRole.ButtonText: "#e8eaed",
            QPalette.ColorRole.Highlight: "#3d6fd9",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.Link: "#8ab4f8",
            QPalette.ColorRole.ToolTipBase: "#2b2c2f",
            QPalette.ColorRole.ToolTipText: "#e8eaed",
            QPalette.ColorRole.PlaceholderText: "#9aa0a6",
            QPalette.ColorRole.Mid: "#9aa0a6",
        }
    else:
        colors = {
            QPalette.ColorRole.Window: "#f6f7f9",
            QPalette.ColorRole.WindowText: "#1f2328",
            QPalette.ColorRole.Base: "#ffffff",
            QPalette.ColorRole.AlternateBase: "#f0f2f5",
            QPalette.ColorRole.Text: "#1f2328",
            QPalette.ColorRole.Button: "#eef0f3",
            QPalette.ColorRole.ButtonText: "#1f2328",
            QPalette.ColorRole.Highlight: "#2f6fde",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.Link: "#1a5fd0",
            QPalette.ColorRole.ToolTipBase: "#ffffff",
            QPalette.ColorRole.ToolTipText: "#1f2328",
            QPalette.ColorRole.PlaceholderText: "#6e7781",
            QPalette.ColorRole.Mid: "#6e7781",
        }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    # setColor() paints every colour group alike, so a disabled button looked enabled: grey
    # out the text of what cannot be used (the Stop button while no answer streams)
    muted = QColor("#6b6f75" if dark else "#a3a9b1")
    for role in (
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, muted)
    p.setColor(
        QPalette.ColorGroup.Disabled,
        QPalette.ColorRole.Button,
        QColor("#252629" if dark else "#f3f4f6"),
    )
    app.setPalette(p)


def create_app(argv: list[str] | None = None):  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    # Worker threads run Python too (chunking, prompt building): hand the GIL back to the
    # event loop more often than every 5 ms so the window never stutters.
    sys.setswitchinterval(0.001)
    app.setApplicationName("desktop-rag")
    app.setApplicationDisplayName("desktop-rag")
    app.setDesktopFileName("desktop-rag")
    icon = resource("icon.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    apply_palette(app)
    app.styleHints().colorSchemeChanged.connect(lambda _s: apply_palette(app))
    app.setStyleSheet(STYLE)
    return app


def main(argv: list[str] | None = None, open_paths: list[str] | None = None) -> int:
    """Open the window and add `open_paths` to the current library.
    DESKTOP_RAG_EXIT_AFTER_SHOWN=1 prints the start-up time and quits; DESKTOP_RAG_EXIT_WHEN_IDLE=1
    waits until the library is open and indexing is done, prints its documents and quits
    (the installer's smoke test)."""
    import multiprocessing

    multiprocessing.freeze_support()  # the parser child process in a frozen bundle
    from desktop_rag.core.config import Settings, setup_logging

    settings = Settings.load()
    setup_logging(settings.debug_logging)
    app = create_app(argv)
    from PySide6.QtCore import QTimer

    from desktop_rag.gui.translation import ensure_hangul_font, install_translation

    if install_translation(app, settings.language) == "ko":
        ensure_hangul_font(app)
    else:  # Korean document titles need it too, but not before the window shows
        QTimer.singleShot(500, lambda: ensure_hangul_font(app))
    from desktop_rag.gui.main_window import MainWindow

    window = MainWindow()
    if open_paths:
        window.open_on_start(open_paths)
    window.show()
    if os.environ.get("DESKTOP_RAG_EXIT_AFTER_SHOWN") == "1":

        def report() -> None:
            print(f"window shown after {time.monotonic() - T0:.3f} s", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report)
    elif os.environ.get("DESKTOP_RAG_EXIT_WHEN_IDLE") == "1":
        timer = QTimer(window)

        def quit_when_idle() -> None:
            if window.library is None or window.index_lane.busy or window.view_store is None:
                return
            titles = [d["title"] for d in window.view_store.documents() if d["status"] == "ready"]
            print(f"idle after {time.monotonic() - T0:.1f} s; documents: {titles}", flush=True)
            timer.stop()
            window.close()
            app.quit()

        timer.timeout.connect(quit_when_idle)
        timer.start(200)
    log.info("window shown after %.2f s", time.monotonic() - T0)
    return int(app.exec())
