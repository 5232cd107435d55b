"""Scripted screenshots of the real window: drop two PDFs, ask, open a citation.

Run through `make screenshots` (under Xvfb); writes PNGs to resources/screenshots/, and with
`--language ko` the Korean window's, named ko-*.png. The answers come from the default answering
model (the largest bundled one, as a new user's computer with 6 GB or more gets), and the script
fails rather than save a picture of a wrong answer."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "screenshots"
QUESTIONS = {
    "en": "How long is the Harwick Bridge?",
    "ko": "직원은 매년 며칠의 유급 휴가를 받나요?",
}
# What a right answer says (the generated documents' facts): a screenshot never shows a wrong one.
RIGHT = {"en": ("412",), "ko": ("열다섯", "15")}


def main() -> int:
    language = sys.argv[sys.argv.index("--language") + 1] if "--language" in sys.argv else "en"
    prefix = "" if language == "en" else f"{language}-"
    home = Path(tempfile.mkdtemp(prefix="desktop-rag-shots-"))
    os.environ["DESKTOP_RAG_HOME"] = str(home)
    sys.path.insert(0, str(ROOT / "tests"))
    import docgen
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from desktop_rag.core.answers.models import BUNDLED_LLMS, bundled_llm_path
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
    from desktop_rag.gui.translation import ensure_hangul_font, install_translation

    if language != "en" and install_translation(app, language) != language:
        print(f"screenshots: no compiled {language} translation", file=sys.stderr)
        return 1
    ensure_hangul_font(app)  # what the app does at start (for English, just after it)
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    failures: list[str] = []

    def shot(name: str) -> None:
        app.processEvents()
        window.grab().save(str(OUT / f"{prefix}{name}.png"))
        print(f"wrote {OUT / f'{prefix}{name}.png'}", flush=True)

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
        window.chat_view.question.setPlainText(QUESTIONS[language])
        window.chat_view._submit()
        when(lambda: window._ask_task is None, open_citation)

    def open_citation() -> None:
        answer = window.chat_view.exchanges[-1]["answer"]
        if not answer.get("cited"):
            failures.append(f"the answer cites nothing: {answer.get('text')!r}")
        if not any(fact in answer.get("text", "") for fact in RIGHT[language]):
            failures.append(f"the answer is wrong: {answer.get('text')!r}")
        # the pictures show what a new user gets: the default answering model
        default = bundled_llm_path(BUNDLED_LLMS[0].key)
        if window._ask_state.generator.model_path != default:
            failures.append(f"not the default model: {window._ask_state.generator.model_path}")
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
