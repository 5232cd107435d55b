"""Scripted screenshots of the real window: drop two PDFs, ask, open a citation.

Run through `make screenshots` (under Xvfb); writes PNGs to resources/screenshots/."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "screenshots"
QUESTION = "How long is the Harwick Bridge?"


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="desktop-rag-shots-"))
    os.environ["DESKTOP_RAG_HOME"] = str(home)
    sys.path.insert(0, str(ROOT / "tests"))
    import docgen
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from desktop_rag.gui.app import create_app
    from desktop_rag.gui.main_window import MainWindow

    docs = home / "docs"
    docs.mkdir()
    pdfs = [
        docgen.fifty_page_pdf(docs / "field-notes.pdf"),
        docgen.korean_pdf(docs / "회사-규정.pdf"),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    app = create_app([])
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    failures: list[str] = []

    def shot(name: str) -> None:
        app.processEvents()
        window.grab().save(str(OUT / f"{name}.png"))
        print(f"wrote {OUT / name}.png", flush=True)

    def when(condition, then, timeout_s: float = 900.0) -> None:
        deadline = [timeout_s * 1000]

        def poll() -> None:
            if condition():
                then()
            elif deadline[0] <= 0:
                failures.append(f"timed out waiting for {then.__name__}")
                app.quit()
            else:
                deadline[0] -= 250
                QTimer.singleShot(250, poll)

        poll()

    def drop() -> None:
        shot("1-empty")
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in pdfs])
        target = window.chat_view.transcript.viewport()
        enter = QDragEnterEvent(
            QPoint(40, 40),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(target, enter)
        event = QDropEvent(
            QPointF(40, 40),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(target, event)
        when(indexing_shown, lambda: shot("2-indexing"))
        when(lambda: not window._ingest_tasks and window._ask_state.generator is not None, ask)

    def indexing_shown() -> bool:
        """The dropped files are listed, queued or being indexed (or indexing already ended)."""
        tree = window.library_panel.tree
        return tree.topLevelItemCount() > 1 or not window._ingest_tasks  # more than the guide

    def ask() -> None:
        window.chat_view.question.setPlainText(QUESTION)
        window.chat_view._submit()
        when(lambda: window._ask_task is None, open_citation)

    def open_citation() -> None:
        answer = window.chat_view.exchanges[-1]["answer"]
        if not answer.get("cited"):
            failures.append(f"the answer cites nothing: {answer.get('text')!r}")
        number = (answer.get("cited") or [1])[0]
        window.chat_view._anchor(QUrl(f"cite:0:{number}"))
        QTimer.singleShot(500, finish)

    def finish() -> None:
        shot("3-answer-with-source")
        window.close()
        app.quit()

    when(lambda: window.library is not None, drop)
    app.exec()
    for f in failures:
        print(f"screenshots: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
