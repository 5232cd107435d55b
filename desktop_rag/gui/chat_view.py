"""The centre: past chats, the transcript with clickable citations, and the question box."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QUrl, Signal
from PySide6.QtGui import QKeyEvent, QTextDocument, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QStyle,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_rag.gui.chat_render import exchange_markdown
from desktop_rag.gui.scope_chip import ScopeChip
from desktop_rag.gui.work_progress import WorkProgress

EMPTY_LIBRARY = QT_TRANSLATE_NOOP(
    "ChatView", "Drop files or folders anywhere on this window to add them to the library."
)
GUIDE_HINT = QT_TRANSLATE_NOOP(
    "ChatView", "Or ask the user guide something first, such as “How do I add a bigger model?”"
)
EMPTY_CHAT = QT_TRANSLATE_NOOP(
    "ChatView",
    "Ask a question about your documents below. "
    "Answers cite their sources: click [1] to see the passage.",
)


class QuestionEdit(QPlainTextEdit):
    """Enter asks; Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ChatList(QWidget):
    """Past chats of the library: pick one, start a new one, delete one."""

    chat_chosen = Signal(int)
    new_chat = Signal()
    delete_chat = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.itemClicked.connect(
            lambda item: self.chat_chosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        )
        title = QLabel(self.tr("Chats"))
        title.setObjectName("sectionTitle")
        new = QToolButton()
        new.setText("+")
        new.setToolTip(self.tr("New chat (Ctrl+N)"))
        new.setAutoRaise(True)
        new.clicked.connect(self.new_chat.emit)
        delete = QToolButton()
        delete.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        delete.setToolTip(self.tr("Delete the selected chat"))
        delete.setAutoRaise(True)
        delete.clicked.connect(self._delete)
        row = QHBoxLayout()
        row.addWidget(title, 1)
        row.addWidget(new)
        row.addWidget(delete)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 8)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)

    def set_chats(self, chats: list[dict[str, Any]], current: int | None) -> None:
        self.list.clear()
        for c in chats:
            item = QListWidgetItem(c["title"] or self.tr("Untitled chat"))
            item.setData(Qt.ItemDataRole.UserRole, c["id"])
            item.setToolTip(c["title"])
            self.list.addItem(item)
            if c["id"] == current:
                item.setSelected(True)

    def _delete(self) -> None:
        items = self.list.selectedItems()
        if items:
            self.delete_chat.emit(int(items[0].data(Qt.ItemDataRole.UserRole)))


class ChatView(QWidget):
    ask = Signal(str)
    stop = Signal()
    citation_clicked = Signal(dict)  # the source
    export_answer = Signal(int)  # the exchange's index
    export_chat = Signal()
    summarize_requested = Signal(int)  # a document id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exchanges: list[dict[str, Any]] = []  # {"question": str, "answer": dict | None}
        self.transcript = QTextBrowser()
        self.transcript.setOpenLinks(False)
        self.transcript.setOpenExternalLinks(False)
        self.transcript.anchorClicked.connect(self._anchor)
        self.transcript.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.transcript.customContextMenuRequested.connect(self._context_menu)
        self.empty = QLabel(self.tr(EMPTY_CHAT))
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("placeholder")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.transcript)

        self.question = QuestionEdit()
        self.question.setPlaceholderText(
            self.tr("Ask a question about your documents…  (Enter asks, Shift+Enter: new line)")
        )
        self.question.setFixedHeight(72)
        self.question.submitted.connect(self._submit)
        self.ask_btn = QPushButton(self.tr("Ask"))
        self.ask_btn.setDefault(True)
        self.ask_btn.clicked.connect(self._submit)
        self.stop_btn = QPushButton(self.tr("Stop"))
        self.stop_btn.setToolTip(self.tr("Stop the answer (Esc)"))
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.stop.emit)
        buttons = QVBoxLayout()
        buttons.addWidget(self.ask_btn)
        buttons.addWidget(self.stop_btn)
        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        row.addLayout(buttons)
        self.progress = WorkProgress()
        self.scope_chip = ScopeChip()
        chip_row = QHBoxLayout()
        chip_row.addWidget(self.scope_chip)
        chip_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 8)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.progress)
        layout.addLayout(chip_row)
        layout.addLayout(row)

    # --- state ---

    def set_busy(self, busy: bool) -> None:
        self.ask_btn.setEnabled(not busy)
        self.stop_btn.setEnabled(busy)

    def set_empty_text(self, library_empty: bool, guide: bool = False) -> None:
        """`library_empty`: none of the user's own documents yet; `guide`: the user guide is
        in the library (it can be asked at once)."""
        text = self.tr(EMPTY_LIBRARY) if library_empty else self.tr(EMPTY_CHAT)
        hint = self.tr(GUIDE_HINT)
        self.empty.setText(f"{text}\n\n{hint}" if library_empty and guide else text)

    def load(self, messages: list[dict[str, Any]]) -> None:
        """Show a stored chat."""
        self.exchanges = []
        for m in messages:
            if m["role"] == "user":
                self.exchanges.append({"question": m["content"], "answer": None})
            elif self.exchanges:
                meta = m.get("meta", {})
                self.exchanges[-1]["answer"] = {
                    "text": m["content"],
                    "status": meta.get("status", "answered"),
                    "note": meta.get("note", ""),
                    "sources": m["sources"],
                    "cited": [s["number"] for s in m["sources"] if s.get("cited")],
                    "quotes": meta.get("quotes", []),
                }
        self.render()

    def begin(self, question: str) -> None:
        self.exchanges.append(
            {"question": question, "answer": {"text": "", "streaming": True, "sources": []}}
        )
        self.render()

    def append_text(self, piece: str) -> None:
        if self.exchanges and self.exchanges[-1]["answer"] is not None:
            self.exchanges[-1]["answer"]["text"] += piece
            self.render()

    def finish(self, answer: dict[str, Any]) -> None:
        if self.exchanges:
            self.exchanges[-1]["answer"] = answer
            self.render()

    def render(self) -> None:
        if not self.exchanges:
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentWidget(self.transcript)
        bar = self.transcript.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        label = self.tr("Export this answer…")
        md = "\n\n---\n\n".join(
            exchange_markdown(i, e["question"], e["answer"], label)
            for i, e in enumerate(self.exchanges)
        )
        self.transcript.document().setMarkdown(md, QTextDocument.MarkdownFeature.MarkdownNoHTML)
        if at_bottom:
            bar.setValue(bar.maximum())

    def _submit(self) -> None:
        text = self.question.toPlainText().strip()
        if text and self.ask_btn.isEnabled():
            self.question.clear()
            self.ask.emit(text)

    def exchange_at(self, position: int) -> int | None:
        """The index of the exchange shown at a character position of the transcript: the
        exchanges are separated by horizontal rules."""
        if not self.exchanges:
            return None
        index = 0
        block = self.transcript.document().begin()
        while block.isValid() and block.position() <= position:
            if block.blockFormat().hasProperty(
                QTextFormat.Property.BlockTrailingHorizontalRulerWidth
            ):
                index += 1
            block = block.next()
        return min(index, len(self.exchanges) - 1)

    def finished(self, index: int | None) -> bool:
        """Whether exchange `index` has a complete answer (one that can be exported)."""
        if index is None or not 0 <= index < len(self.exchanges):
            return False
        answer = self.exchanges[index]["answer"]
        return bool(answer) and not answer.get("streaming") and answer.get("status") != "error"

    def _context_menu(self, pos: Any) -> None:
        menu = self.context_menu(pos)
        menu.exec(self.transcript.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def context_menu(self, pos: Any) -> QMenu:
        """The transcript's menu at `pos`: copy and select, and export the answer there."""
        menu = self.transcript.createStandardContextMenu(pos)
        index = self.exchange_at(self.transcript.cursorForPosition(pos).position())
        menu.addSeparator()
        this = menu.addAction(self.tr("Export this answer…"))
        this.setEnabled(self.finished(index))
        this.triggered.connect(lambda: self.export_answer.emit(index))
        whole = menu.addAction(self.tr("Export the whole chat…"))
        whole.setEnabled(any(self.finished(i) for i in range(len(self.exchanges))))
        whole.triggered.connect(self.export_chat.emit)
        return menu

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() == "export":
            try:
                index = int(url.path())
            except ValueError:
                return
            if self.finished(index):
                self.export_answer.emit(index)
            return
        if url.scheme() not in ("cite", "quote", "summarize"):
            return  # no other links exist; never open anything else
        try:
            index, number = (int(x) for x in url.path().split(":"))
        except ValueError:
            return
        answer = self.exchanges[index]["answer"] if index < len(self.exchanges) else None
        if url.scheme() == "summarize":  # a document offered for a summary
            for s in (answer or {}).get("sources", []):
                if s["number"] == number:
                    self.summarize_requested.emit(int(s["document_id"]))
            return
        if url.scheme() == "quote":  # the quoted source, with the quoted sentence highlighted
            quotes = (answer or {}).get("quotes") or []
            if number >= len(quotes):
                return
            quote = quotes[number]
            for s in (answer or {}).get("sources", []):
                if s["number"] == quote["number"]:
                    self.citation_clicked.emit({**s, "focus": [quote["focus"]]})
                    return
            return
        for s in (answer or {}).get("sources", []):
            if s["number"] == number:
                self.citation_clicked.emit(s)
                return
