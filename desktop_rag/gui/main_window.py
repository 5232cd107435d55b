"""The main window: its panels, drag and drop, window state and an orderly close.

What it does is in its parts (mixins, one module each, all sharing the window's state and
its "MainWindow" translation context): menus.py (menus, status bar, signal wiring),
library_flow.py (libraries), encryption_flow.py (passphrases, encrypting libraries),
ingest_flow.py (documents, indexing, linked folders), meaning_flow.py (embeddings after
keywords, in the background), ask_flow.py (questions, answers, exports, chats), scope_flow.py
(asking within documents or a folder), summary_flow.py (summaries) and dialogs.py (Settings,
About, the guide)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QSplitter, QWidget

from desktop_rag.core.config import Settings, data_dir
from desktop_rag.core.library import Library
from desktop_rag.core.storage.store import Store
from desktop_rag.gui.answer_export import AnswerExporter
from desktop_rag.gui.ask_flow import AskFlowMixin, _AskState
from desktop_rag.gui.chat_view import ChatList, ChatView
from desktop_rag.gui.dialogs import DialogsMixin
from desktop_rag.gui.encryption_flow import EncryptionFlowMixin
from desktop_rag.gui.folder_sync import FolderSync
from desktop_rag.gui.ingest_flow import IngestFlowMixin
from desktop_rag.gui.library_flow import LibraryFlowMixin
from desktop_rag.gui.library_panel import LibraryPanel
from desktop_rag.gui.meaning_flow import MeaningFlowMixin
from desktop_rag.gui.menus import MenusMixin
from desktop_rag.gui.messages import show_error
from desktop_rag.gui.scope_flow import ScopeFlowMixin
from desktop_rag.gui.source_viewer import SourceViewer
from desktop_rag.gui.summary_flow import SummaryFlowMixin
from desktop_rag.gui.workers import Lane, Task


class MainWindow(
    MenusMixin,
    LibraryFlowMixin,
    EncryptionFlowMixin,
    IngestFlowMixin,
    MeaningFlowMixin,
    AskFlowMixin,
    ScopeFlowMixin,
    SummaryFlowMixin,
    DialogsMixin,
    QMainWindow,
):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("desktop-rag")
        self.setAcceptDrops(True)
        self.settings = Settings.load()
        self.index_lane = Lane("index")
        self.index_lane.on_idle(self.schedule_meaning)  # embeddings when nothing else waits
        self.ask_lane = Lane("ask")
        self.library: Library | None = None
        self.view_store: Store | None = None
        self.chat_id: int | None = None
        self.scope: dict[str, Any] | None = None  # what questions keep to (scope_flow)
        self._ask_state = _AskState()
        self._ask_task: Task | None = None
        self._ingest_tasks: list[Task] = []
        self._warm_model = ""  # the embedding model the lanes were last warmed with
        self._indexing_path = ""
        self._last_doc_refresh = 0.0
        self._summary: QDialog | None = None
        self._closing = False
        self._open_on_start: list[str] = []
        self.model_name = ""

        self.library_panel = LibraryPanel()
        self.chat_list = ChatList()
        self.chat_view = ChatView()
        self.viewer = SourceViewer(page_text=self._page_text, page_label=self._page_label)
        self.exporter = AnswerExporter(self)
        self.folder_sync = FolderSync(self.index_lane, self)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.library_panel)
        left.addWidget(self.chat_list)
        left.setSizes([420, 220])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.chat_view)
        self.splitter.addWidget(self.viewer)
        self.splitter.setSizes([300, 560, 520])
        self.splitter.setChildrenCollapsible(False)
        self.left_splitter = left
        self.setCentralWidget(self.splitter)
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self._restore_geometry()
        QApplication.instance().installEventFilter(self)  # drops anywhere on the window
        QTimer.singleShot(0, self._start)

    def _start(self) -> None:
        name = self.settings.current_library or self._default_library_name()
        self._open_library(name, create=True)
        self._warm_up()

    def _page_text(self, document_id: int, page: int) -> str | None:
        if self.view_store is None:
            return None
        row = self.view_store.page(document_id, page)
        return row["text"] if row else None

    def _page_label(self, document_id: int, page: int) -> str:
        row = self.view_store.page(document_id, page) if self.view_store is not None else None
        return str(row.get("label") or "") if row else ""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            widget = obj if isinstance(obj, QWidget) else None
            if widget is not None and widget.window() is self and _local_paths(event):
                if kind == QEvent.Type.Drop:
                    self.ingest(_local_paths(event))
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        return super().eventFilter(obj, event)

    def dragEnterEvent(self, event: Any) -> None:
        if _local_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        paths = _local_paths(event)
        if paths:
            self.ingest(paths)
            event.acceptProposedAction()

    def _status_message(self, text: str, ms: int) -> None:
        if text:
            self.statusBar().showMessage(text, ms)
        else:
            self.statusBar().clearMessage()

    def _error(self, exc: Exception) -> None:
        show_error(self, exc)

    def _qsettings(self) -> QSettings:
        return QSettings(str(data_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        s = self._qsettings()
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        for key, splitter in (("splitter", self.splitter), ("left_splitter", self.left_splitter)):
            state = s.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)

    def closeEvent(self, event: Any) -> None:
        """Cancel everything, wait for the lanes, save the index: nothing is lost."""
        if self._closing:
            event.accept()
            return
        self._closing = True
        s = self._qsettings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("splitter", self.splitter.saveState())
        s.setValue("left_splitter", self.left_splitter.saveState())
        s.sync()
        QApplication.instance().removeEventFilter(self)
        self.index_lane.cancel_all()
        self.ask_lane.cancel_all()
        self.exporter.cancel()
        self.folder_sync.stop()
        self.index_lane.wait(15_000)
        self.ask_lane.wait(15_000)
        self.exporter.lane.wait(10_000)
        state = self._ask_state
        if state.reader is not None:
            state.reader.close()
        if state.generator is not None:
            state.generator.close()
        if self.view_store is not None:
            self.view_store.close()
        if self.library is not None:
            self.library.close()  # saves the vector index atomically
        # signals still queued from the lanes must find nothing to update
        self.view_store, self.library = None, None
        self.viewer.close_document()
        event.accept()


def _local_paths(event: Any) -> list[str]:
    mime = event.mimeData() if hasattr(event, "mimeData") else None
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
