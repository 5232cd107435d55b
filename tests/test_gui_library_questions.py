"""The window's questions about part of the library or about the library: the scope chip, a
summary from the document list, and a catalog answer whose items open their pages. Offscreen,
with the real bundled models."""

from __future__ import annotations

import time
from pathlib import Path

import docgen
import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("gui-questions-home")
    docs = docgen.catalog_corpus(tmp_path_factory.mktemp("gui-questions") / "docs")
    docgen.topics_pdf(docs / "crafts.pdf")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_RAG_HOME", str(home))
        from desktop_rag.core.config import Settings
        from desktop_rag.core.library import Library

        with Library.create("Questions") as lib:
            assert not lib.ingest([docs]).failed
        settings = Settings.load()
        settings.current_library = "Questions"
        settings.save()
        from desktop_rag.gui.app import create_app
        from desktop_rag.gui.main_window import MainWindow

        create_app([])
        w = MainWindow()
        w.resize(1300, 800)
        w.show()
        deadline = time.monotonic() + 300
        while (
            w.library is None or w.ask_lane.busy or w.index_lane.busy
        ) and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.02)
        yield w
        w.close()


def _item(window, file_name: str):
    from PySide6.QtCore import Qt

    tree = window.library_panel.tree
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        if Path(item.data(0, Qt.ItemDataRole.UserRole + 1)).name == file_name:
            return item
    raise AssertionError(f"{file_name} is not listed")


def _menu_action(window, file_name: str, text: str):
    from PySide6.QtCore import Qt

    item = _item(window, file_name)
    menu = window.library_panel.context_menu(
        [item.data(0, Qt.ItemDataRole.UserRole)], [item.data(0, Qt.ItemDataRole.UserRole + 1)]
    )
    action = next(a for a in menu.actions() if a.text() == text)
    return action


def _ask(window, qtbot, question: str) -> dict:
    window.chat_view.question.setPlainText(question)
    window.chat_view._submit()
    qtbot.waitUntil(lambda: window._ask_task is None, timeout=600_000)
    return window.chat_view.exchanges[-1]["answer"]


def test_a_question_asked_within_a_document_keeps_to_it_until_the_chip_is_cleared(window, qtbot):
    qtbot.waitUntil(lambda: window._ask_state.generator is not None, timeout=120_000)
    chip = window.chat_view.scope_chip
    assert not chip.isVisible()
    _menu_action(window, "bridges.pdf", "Ask about this document").trigger()
    assert chip.isVisible() and "Bridges of the Wend" in chip.label.text()
    answer = _ask(window, qtbot, "How long is the Harwick Bridge?")
    assert answer["sources"] and {Path(s["path"]).name for s in answer["sources"]} == {
        "bridges.pdf"
    }
    assert "Only in: Bridges of the Wend (bridges.pdf)." in answer["note"]
    chip.clear_btn.click()
    assert not chip.isVisible() and window.scope is None
    answer = _ask(window, qtbot, "How long is the Harwick Bridge?")
    assert answer["status"] == "answered"
    assert any(Path(s["path"]).name == "river-notes.pdf" for s in answer["sources"])
    # a linked folder as the scope
    folder = str(Path(window.library.find_documents(["lease-2021.md"])[0]["path"]).parent)
    window.ask_in_folder(folder)
    assert chip.isVisible() and "Contracts" in chip.label.text()
    answer = _ask(window, qtbot, "What does the lease cost?")
    assert {Path(s["path"]).name for s in answer["sources"]} == {"lease-2021.md"}
    window.clear_scope()


def test_which_documents_mention_lists_them_and_each_opens_its_page(window, qtbot):
    answer = _ask(window, qtbot, "Which documents mention the Harwick Bridge?")
    assert answer["status"] == "catalog"
    index = len(window.chat_view.exchanges) - 1
    html = window.chat_view.transcript.toHtml()
    assert f"cite:{index}:1" in html and "Bridges of the Wend" in html
    window.chat_view._anchor(QUrl(f"cite:{index}:2"))  # bridges.pdf, p. 3
    assert window.viewer.page_number == 3
    assert window.viewer.highlight_rects  # the mention is highlighted


def test_summarize_from_the_document_list_shows_progress_and_a_checked_summary(window, qtbot):
    seen: list[str] = []
    report = window.chat_view.progress.report

    def spy(progress) -> None:
        report(progress)
        seen.append(window.chat_view.progress.label.text())

    window.chat_view.progress.report = spy  # what the lane's progress signal reaches
    _menu_action(window, "crafts.pdf", "Summarize").trigger()
    assert window.chat_view.exchanges[-1]["question"] == "Summarize “Crafts and Sciences”"
    qtbot.waitUntil(lambda: window._ask_task is None, timeout=600_000)
    answer = window.chat_view.exchanges[-1]["answer"]
    assert answer["status"] == "summary" and answer["cited"]
    assert any("left" in text for text in seen)  # the part being read and the time left
    assert not window.chat_view.progress.isVisible()
    index = len(window.chat_view.exchanges) - 1
    first = answer["cited"][0]
    window.chat_view._anchor(QUrl(f"cite:{index}:{first}"))
    page = next(s["page"] for s in answer["sources"] if s["number"] == first)
    assert window.viewer.page_number == page
    # a request for a summary that names no single document offers the documents
    choose = _ask(window, qtbot, "Summarize it please")
    assert choose["status"] == "choose"
    index = len(window.chat_view.exchanges) - 1
    crafts = next(s for s in choose["sources"] if Path(s["path"]).name == "crafts.pdf")
    window.chat_view._anchor(QUrl(f"summarize:{index}:{crafts['number']}"))
    qtbot.waitUntil(lambda: window._ask_task is None, timeout=600_000)
    again = window.chat_view.exchanges[-1]["answer"]
    assert again["status"] == "summary" and again["text"] == answer["text"]  # kept


def test_the_chat_menu_summarizes_the_selected_document(window, qtbot):
    window.library_panel.tree.clearSelection()
    window.summarize_selected()
    assert "Select one document" in window.statusBar().currentMessage()
    _item(window, "crafts.pdf").setSelected(True)
    before = len(window.chat_view.exchanges)
    action = next(
        a for m in window.menuBar().actions() for a in m.menu().actions()
        if a.shortcut().toString() == "Ctrl+Shift+S"
    )  # fmt: skip
    action.trigger()
    qtbot.waitUntil(lambda: window._ask_task is None, timeout=600_000)
    assert len(window.chat_view.exchanges) == before + 1
    assert window.chat_view.exchanges[-1]["answer"]["status"] == "summary"
