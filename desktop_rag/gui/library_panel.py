"""The left panel: libraries, and the current library's documents with their status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QStyle,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_rag.gui.linked_folders import LinkedFoldersBox

STATUS_TEXT = {
    "queued": QT_TRANSLATE_NOOP("LibraryPanel", "queued"),
    "indexing": QT_TRANSLATE_NOOP("LibraryPanel", "indexing…"),
    "ready": QT_TRANSLATE_NOOP("LibraryPanel", "ready"),
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

    def set_documents(self, docs: list[dict[str, Any]], indexing: str = "") -> None:
        """Show documents; `indexing` is the path being indexed right now."""
        selected = {i.data(0, Qt.ItemDataRole.UserRole) for i in self.tree.selectedItems()}
        self.tree.clear()
        for d in docs:
            status = "indexing" if d["path"] == indexing and d["status"] != "ready" else d["status"]
            item = QTreeWidgetItem(
                [
                    d["title"] or Path(d["path"]).name,
                    str(d["page_count"] or ""),
                    self.tr(STATUS_TEXT[status]) if status in STATUS_TEXT else status,
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, d["id"])
            item.setData(0, Qt.ItemDataRole.UserRole + 1, d["path"])
            tip = d["path"]
            if d.get("error"):
                tip += f"\n\n{d['error']}"
                item.setToolTip(2, d["error"])
            item.setToolTip(0, tip)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            if status == "failed":
                item.setForeground(2, Qt.GlobalColor.red)
            elif d.get("error"):
                item.setText(2, self.tr("ready (newer version failed)"))
            self.tree.addTopLevelItem(item)
            if d["id"] in selected:
                item.setSelected(True)

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
