"""Summaries in the window: "Summarize" (or "Summarize pages…") on a document of the library
panel, or a summary offered in the chat. Runs on the ask lane like a question: the notes
stream into the chat, the line under it shows the part being read and the time left, Stop
cancels, and the checked summary replaces the notes.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QInputDialog

from desktop_rag.core.answers import qa
from desktop_rag.core.errors import UserError
from desktop_rag.gui.messages import show_error
from desktop_rag.gui.workers import Task

translate = QCoreApplication.translate


class SummaryFlowMixin:
    """Summarizing a document, or some of its pages, into the chat."""

    def summarize_document(self, document_id: int, pages: tuple[int, int] | None = None) -> None:
        lib, store = self.library, self.view_store
        doc = store.document(document_id) if store is not None else None
        if lib is None or doc is None:
            return
        title = doc["title"] or Path(doc["path"]).name
        question = (
            translate("MainWindow", "Summarize pages {first}–{last} of “{title}”").format(
                first=pages[0], last=pages[1], title=title
            )
            if pages
            else translate("MainWindow", "Summarize “{title}”").format(title=title)
        )
        if self._ask_task is not None:  # a summary replaces the question in flight
            self._ask_task.cancel.cancel()
            self._mark_stopped()
        state, settings, chat_id = self._ask_state, self.settings, self.chat_id

        def work(task: Task) -> qa.Answer:
            from desktop_rag.core.answers import summary

            self._prepare_ask_lane(state, lib, settings)
            result = summary.summarize(
                state.reader.store, document_id, state.generator, pages=pages,
                question=question, on_text=task.emit_text, progress=task.report,
                cancel=task.cancel, no_model_reason=state.no_model_reason,
            )  # fmt: skip
            return qa.save_exchange(state.reader.store, chat_id, result)

        self._start_answer(question, work, "summarize")

    def summarize_selected(self) -> None:
        """Chat > Summarize the selected document (Ctrl+Shift+S)."""
        from PySide6.QtCore import Qt

        items = self.library_panel.tree.selectedItems()
        if len(items) != 1:
            self._status_message(
                translate("MainWindow", "Select one document in the list to summarize it."), 5000
            )
            return
        self.summarize_document(int(items[0].data(0, Qt.ItemDataRole.UserRole)))

    def summarize_pages_dialog(self, document_id: int) -> None:
        """Ask which pages, then summarize them."""
        from desktop_rag.core.answers.summary import parse_pages

        doc = self.view_store.document(document_id) if self.view_store is not None else None
        if doc is None:
            return
        count = int(doc["page_count"] or 1)
        text, ok = QInputDialog.getText(
            self,
            translate("MainWindow", "Summarize pages"),
            translate("MainWindow", "Pages of “{title}” to summarize (1–{n}), like 3-9:").format(
                title=doc["title"] or Path(doc["path"]).name, n=count
            ),
            text=f"1-{count}",
        )
        if not ok or not text.strip():
            return
        try:
            first, last = parse_pages(text)
            if first > count:
                raise UserError(
                    translate("MainWindow", "The document has {n} pages.").format(n=count)
                )
        except UserError as exc:
            show_error(self, exc)
            return
        self.summarize_document(document_id, (first, min(last, count)))
