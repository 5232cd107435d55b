"""The left panel: libraries, and the current library's documents with their status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_rag.core.documents.parts import part_name, split_part
from desktop_rag.gui.linked_folders import LinkedFoldersBox

STATUS_TEXT = {
    "queued": QT_TRANSLATE_NOOP("LibraryPanel", "queued"),
    "indexing": QT_TRANSLATE_NOOP("LibraryPanel", "indexing…"),
    "ready": QT_TRANSLATE_NOOP("LibraryPanel", "ready"),
    # stored and searchable by keywords; its embeddings are still being computed
    "keywords": QT_TRANSLATE_NOOP("LibraryPanel", "searchable by keywords · meaning in progress"),
    "failed": QT_TRANSLATE_NOOP("LibraryPanel", "failed"),
}


class LibraryPanel(QWidget):
    library_chosen = Signal(str)
    new_library = Signal()
    rename_library = Signal()
    delete_library = Signal()
    remove_documents = Signal(list)  # document ids
    reindex_documents = Signal(list)  # paths
    open_document = Signal(str)  # path
    unlock_requested = Signal()
    ask_in_documents = Signal(list)  # document ids: questions keep to them
    summarize_document = Signal(int)  # document id
    summarize_pages = Signal(int)  # document id: asks which pages first

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setToolTip(self.tr("The current library"))
        self.combo.activated.connect(lambda _i: self.library_chosen.emit(self.combo.currentText()))
        row = QHBoxLayout()
        row.addWidget(self.combo, 1)
        for text, tip, signal in (
            ("+", self.tr("New library… (Ctrl+Shift+N)"), self.new_library),
            ("✎", self.tr("Rename library…"), self.rename_library),
            ("", self.tr("Delete library…"), self.delete_library),
        ):
            b = QToolButton()
            b.setText(text)
            if not text:
                b.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(signal.emit)
            row.addWidget(b)

        # an encrypted library says so; a locked one (its passphrase not given) offers to unlock
        self.locked_name = ""
        self.lock_state = QLabel("")
        self.lock_state.setObjectName("muted")
        self.lock_state.setWordWrap(True)
        self.unlock_button = QPushButton(self.tr("Unlock…"))
        self.unlock_button.clicked.connect(self.unlock_requested.emit)
        lock_row = QHBoxLayout()
        lock_row.addWidget(self.lock_state, 1)
        lock_row.addWidget(self.unlock_button)
        self.lock_state.hide()
        self.unlock_button.hide()

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Document"), self.tr("Pages"), self.tr("Status")])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.tree.itemDoubleClicked.connect(
            lambda item, _c: self.open_document.emit(item.data(0, Qt.ItemDataRole.UserRole + 1))
        )
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.summary = QLabel("")
        self.summary.setObjectName("muted")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        title = QLabel(self.tr("Library"))
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addLayout(lock_row)
        self.folders = LinkedFoldersBox()
        layout.addWidget(self.folders)
        docs = QLabel(self.tr("Documents"))
        docs.setObjectName("sectionTitle")
        layout.addWidget(docs)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.summary)

    def set_libraries(self, names: list[str], current: str) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(names)
        self.combo.setCurrentText(current)
        self.combo.blockSignals(False)

    def set_encrypted(self, encrypted: bool) -> None:
        if self.locked_name:
            return
        self.lock_state.setText(self.tr("Encrypted: its folder holds no readable text."))
        self.lock_state.setVisible(encrypted)

    def set_locked(self, name: str) -> None:
        """Show that `name` waits for its passphrase ('' once a library is open)."""
        self.locked_name = name
        self.lock_state.setText(
            self.tr("“{name}” is encrypted and locked.").format(name=name) if name else ""
        )
        self.lock_state.setVisible(bool(name))
        self.unlock_button.setVisible(bool(name))

    def set_documents(
        self,
        docs: list[dict[str, Any]],
        indexing: str = "",
        parts: Sequence[dict[str, Any]] = (),
        pending: dict[int, int] | None = None,
    ) -> None:
        """Show documents; `indexing` is the path being indexed right now. `parts` (an e-mail's
        attachments, a mailbox's messages) show under the document they belong to. `pending`:
        how many chunks of each document still wait for their embeddings (a file counts its
        parts' too: it is searchable by meaning once all of it is)."""
        selected = {i.data(0, Qt.ItemDataRole.UserRole) for i in self.tree.selectedItems()}
        waiting = _with_parts(docs, parts, pending or {})
        self.tree.clear()
        self.tree.setRootIsDecorated(bool(parts))
        items: dict[int, QTreeWidgetItem] = {}
        for d in [*docs, *parts]:
            item = self._item(d, indexing, waiting.get(d["id"]))
            items[d["id"]] = item
            parent = items.get(d.get("parent_id") or -1)
            if parent is not None:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            if d["id"] in selected:
                item.setSelected(True)

    def _item(
        self, d: dict[str, Any], indexing: str, waiting: tuple[int, int] | None
    ) -> QTreeWidgetItem:
        status = "indexing" if d["path"] == indexing and d["status"] != "ready" else d["status"]
        if status == "ready" and waiting:
            status = "keywords"
        item = QTreeWidgetItem(
            [
                d["title"] or part_name(d["path"]),
                str(d["page_count"] or ""),
                self.tr(STATUS_TEXT[status]) if status in STATUS_TEXT else status,
            ]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, d["id"])
        # a part is opened and re-indexed as the file that holds it
        item.setData(0, Qt.ItemDataRole.UserRole + 1, split_part(d["path"])[0])
        tip = d["path"]
        if d.get("error"):
            tip += f"\n\n{d['error']}"
            item.setToolTip(2, d["error"])
        item.setToolTip(0, tip)
        if status == "keywords" and waiting:
            item.setToolTip(
                2,
                self.tr(
                    "Found by its words already; {n} of its {total} passages are still "
                    "being read for their meaning."
                ).format(n=waiting[0], total=waiting[1]),
            )
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
        if status == "failed":
            item.setForeground(2, Qt.GlobalColor.red)
        elif d.get("error"):
            item.setText(2, self.tr("ready (newer version failed)"))
        return item

    def _menu(self, pos: Any) -> None:
        items = self.tree.selectedItems()
        if not items:
            return
        ids = [i.data(0, Qt.ItemDataRole.UserRole) for i in items]
        paths = [i.data(0, Qt.ItemDataRole.UserRole + 1) for i in items]
        menu = self.context_menu(ids, paths)
        menu.exec(self.tree.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def context_menu(self, ids: list[int], paths: list[str]) -> QMenu:
        """The documents' menu: ask within them, summarize one, open, re-index, remove."""
        menu = QMenu(self)
        ask = (
            self.tr("Ask about this document")
            if len(ids) == 1
            else self.tr("Ask about these {n} documents").format(n=len(ids))
        )
        menu.addAction(ask, lambda: self.ask_in_documents.emit(ids))
        if len(ids) == 1:
            menu.addAction(self.tr("Summarize"), lambda: self.summarize_document.emit(ids[0]))
            menu.addAction(self.tr("Summarize pages…"), lambda: self.summarize_pages.emit(ids[0]))
        menu.addSeparator()
        menu.addAction(self.tr("Open file"), lambda: self.open_document.emit(paths[0]))
        menu.addAction(self.tr("Re-index"), lambda: self.reindex_documents.emit(paths))
        menu.addSeparator()
        menu.addAction(self.tr("Remove from library"), lambda: self.remove_documents.emit(ids))
        return menu


def _with_parts(
    docs: Sequence[dict[str, Any]], parts: Sequence[dict[str, Any]], pending: dict[int, int]
) -> dict[int, tuple[int, int]]:
    """(chunks still without an embedding, all chunks) of each document that has some waiting;
    a part counts in the file that holds it too (and in the message between them)."""
    rows = {d["id"]: d for d in [*docs, *parts]}
    left: dict[int, int] = {}
    total: dict[int, int] = {}
    for d in rows.values():
        n, size = pending.get(d["id"], 0), int(d["chunk_count"] or 0)
        up: dict[str, Any] | None = d
        while up is not None:
            left[up["id"]] = left.get(up["id"], 0) + n
            total[up["id"]] = total.get(up["id"], 0) + size
            up = rows.get(up.get("parent_id") or -1)
    return {i: (n, total[i]) for i, n in left.items() if n}
