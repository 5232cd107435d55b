"""The library panel's linked folders: what the library follows, whether each is there, and
the way to link one more or unlink one."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

PATH_ROLE = Qt.ItemDataRole.UserRole


class LinkedFoldersBox(QWidget):
    """A short list of linked folders with link and unlink buttons and a context menu."""

    link_requested = Signal()
    unlink_requested = Signal(str)  # the folder
    sync_requested = Signal(str)
    open_requested = Signal(str)
    ask_in_folder = Signal(str)  # questions keep to the documents under it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(self.tr("Linked folders"))
        title.setObjectName("sectionTitle")
        title.setToolTip(
            self.tr("Folders the library follows: new, changed and deleted files are picked up")
        )
        self.link_btn = QToolButton()
        self.link_btn.setText("+")
        self.link_btn.setToolTip(self.tr("Link a folder… (Ctrl+Shift+O)"))
        self.link_btn.setAutoRaise(True)
        self.link_btn.clicked.connect(self.link_requested.emit)
        self.unlink_btn = QToolButton()
        self.unlink_btn.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        self.unlink_btn.setToolTip(self.tr("Unlink the selected folder…"))
        self.unlink_btn.setAutoRaise(True)
        self.unlink_btn.clicked.connect(self._unlink_selected)
        row = QHBoxLayout()
        row.addWidget(title, 1)
        row.addWidget(self.link_btn)
        row.addWidget(self.unlink_btn)
        self.list = QListWidget()
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(
            lambda item: self.open_requested.emit(item.data(PATH_ROLE))
        )
        self.empty = QLabel(self.tr("None yet: a folder you add stays linked."))
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        self.set_folders([])

    def set_folders(self, folders: list[dict[str, Any]], syncing: set[str] | None = None) -> None:
        """Show the linked folders (rows of Library.linked_folders)."""
        syncing = syncing or set()
        selected = {i.data(PATH_ROLE) for i in self.list.selectedItems()}
        self.list.clear()
        for f in folders:
            path = f["path"]
            item = QListWidgetItem(path)
            item.setData(PATH_ROLE, path)
            if not f.get("present", True):
                item.setText(self.tr("{path} (missing)").format(path=path))
                item.setForeground(Qt.GlobalColor.gray)
                item.setToolTip(self.tr("Not found (moved, or a drive not connected): kept"))
            elif path in syncing:
                item.setToolTip(self.tr("Looking for changes…"))
            else:
                item.setToolTip(self.tr("Followed: changes here are picked up"))
            self.list.addItem(item)
            if path in selected:
                item.setSelected(True)
        rows = max(1, min(len(folders), 4))
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 6 if folders else 0)
        self.list.setVisible(bool(folders))
        self.empty.setVisible(not folders)
        self._update_buttons()

    def folders(self) -> list[str]:
        return [self.list.item(i).data(PATH_ROLE) for i in range(self.list.count())]

    def _update_buttons(self) -> None:
        self.unlink_btn.setEnabled(bool(self.list.selectedItems()))

    def _unlink_selected(self) -> None:
        items = self.list.selectedItems()
        if items:
            self.unlink_requested.emit(items[0].data(PATH_ROLE))

    def context_menu(self, item: QListWidgetItem) -> QMenu:
        path = item.data(PATH_ROLE)
        menu = QMenu(self)
        menu.addAction(self.tr("Ask about this folder"), lambda: self.ask_in_folder.emit(path))
        menu.addSeparator()
        menu.addAction(self.tr("Look for changes now"), lambda: self.sync_requested.emit(path))
        menu.addAction(self.tr("Open folder"), lambda: self.open_requested.emit(path))
        menu.addSeparator()
        menu.addAction(self.tr("Unlink…"), lambda: self.unlink_requested.emit(path))
        return menu

    def _menu(self, pos: Any) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        menu = self.context_menu(item)
        menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()
