"""The main window: menus, drag and drop, and the wiring between panels and worker lanes."""

from __future__ import annotations

import gc
import importlib.metadata
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_rag import __version__
from desktop_rag.core import qa
from desktop_rag.core.config import Settings, data_dir
from desktop_rag.core.embedding import E5_SOURCE
from desktop_rag.core.errors import UserError
from desktop_rag.core.guide import GUIDE_TITLE, ensure_guide_pdf, is_guide
from desktop_rag.core.library import (
    DEFAULT_LIBRARY,
    Library,
    LibraryReader,
    delete_library,
    list_libraries,
    rename_library,
)
from desktop_rag.core.store import Store
from desktop_rag.gui.app import resource
from desktop_rag.gui.chat_view import ChatList, ChatView
from desktop_rag.gui.library_panel import LibraryPanel
from desktop_rag.gui.messages import describe, show_error
from desktop_rag.gui.source_viewer import SourceViewer
from desktop_rag.gui.workers import Lane, Task

log = logging.getLogger(__name__)
PRIVACY = "Everything stays on this computer: no upload, no account, no network."


class _AskState:
    """What lives on the ask lane: the library reader and the warm LLM."""

    def __init__(self) -> None:
        self.reader: LibraryReader | None = None
        self.library: Library | None = None
        self.generator: Any = None
        self.model_ref: tuple[str, int, int] | None = None
        self.no_model_reason = ""


def _freeze_loaded_objects() -> None:
    """Keep the half-million objects the models bring with them (torch, transformers,
    llama.cpp) out of the garbage collector's sight: every full collection walks them all
    with Python's lock held, about 200 ms here, and the window freezes for that long."""
    if gc.get_freeze_count():
        gc.collect()  # cheap once the bulk is frozen, and later garbage is not frozen for good
    gc.freeze()


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("desktop-rag")
        self.setAcceptDrops(True)
        self.settings = Settings.load()
        self.index_lane = Lane("index")
        self.ask_lane = Lane("ask")
        self.library: Library | None = None
        self.view_store: Store | None = None
        self.chat_id: int | None = None
        self._ask_state = _AskState()
        self._ask_task: Task | None = None
        self._ingest_tasks: list[Task] = []
        self._indexing_path = ""
        self._last_doc_refresh = 0.0
        self._summary: QDialog | None = None
        self._closing = False
        self._open_on_start: list[str] = []

        self.library_panel = LibraryPanel()
        self.chat_list = ChatList()
        self.chat_view = ChatView()
        self.viewer = SourceViewer(page_text=self._page_text)
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

    # --- building ---------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress_label = QLabel("")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("Stop indexing; what is indexed so far is kept")
        self.cancel_btn.clicked.connect(self.cancel_ingest)
        self.model_label = QLabel("Model: starting…")
        self.size_label = QLabel("")
        # permanent, or a passing message ("Indexing finished" of the batch before) would hide
        # the progress of the batch still running
        for w in (self.progress, self.progress_label, self.cancel_btn):
            bar.addPermanentWidget(w)
            w.hide()
        bar.addPermanentWidget(self.size_label)
        bar.addPermanentWidget(self.model_label)

    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        self._action(m, "Add &files…", self.add_files_dialog, QKeySequence.StandardKey.Open)
        self._action(m, "Add f&older…", self.add_folder_dialog, "Ctrl+Shift+O")
        m.addSeparator()
        self._action(m, "&New library…", self.new_library_dialog, "Ctrl+Shift+N")
        self._action(m, "&Settings…", self.settings_dialog, "Ctrl+,")
        m.addSeparator()
        self._action(m, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        c = self.menuBar().addMenu("&Chat")
        self._action(c, "&New chat", self.new_chat, "Ctrl+N")
        self._action(c, "&Stop answer", self.stop_answer, "Esc")
        v = self.menuBar().addMenu("&View")
        self._action(
            v, "Zoom &in", lambda: self.viewer.zoom_by(1.2), QKeySequence.StandardKey.ZoomIn
        )
        self._action(
            v, "Zoom &out", lambda: self.viewer.zoom_by(1 / 1.2), QKeySequence.StandardKey.ZoomOut
        )
        self._action(v, "Fit &width", self.viewer.set_fit_width, "Ctrl+0")
        self._action(v, "&Previous page", self.viewer.prev_page, "PgUp")
        self._action(v, "&Next page", self.viewer.next_page, "PgDown")
        h = self.menuBar().addMenu("&Help")
        self._action(h, "&User guide", self.open_user_guide, QKeySequence.StandardKey.HelpContents)
        self._action(h, "&About desktop-rag", self.about)

    def _connect(self) -> None:
        lp = self.library_panel
        lp.library_chosen.connect(self.switch_library)
        lp.new_library.connect(self.new_library_dialog)
        lp.rename_library.connect(self.rename_library_dialog)
        lp.delete_library.connect(self.delete_library_dialog)
        lp.remove_documents.connect(self.remove_documents)
        lp.reindex_documents.connect(lambda paths: self.ingest(paths, force=True))
        lp.open_document.connect(lambda p: QDesktopServices.openUrl(QUrl.fromLocalFile(p)))
        self.chat_list.chat_chosen.connect(self.open_chat)
        self.chat_list.new_chat.connect(self.new_chat)
        self.chat_list.delete_chat.connect(self.delete_chat)
        self.chat_view.ask.connect(self.ask)
        self.chat_view.stop.connect(self.stop_answer)
        self.chat_view.citation_clicked.connect(self.viewer.show_source)
        self.viewer.message.connect(lambda text: self.statusBar().showMessage(text, 8000))

    # --- start and libraries ---------------------------------------------------------------

    def _start(self) -> None:
        name = self.settings.current_library or DEFAULT_LIBRARY
        self._open_library(name, create=True)
        self._warm_up()

    def _open_library(self, name: str, create: bool = False) -> None:
        """Close the current library and open `name` on the index lane."""
        old = self.library
        self._drop_library_views()
        first_run = [False]

        def work(_task: Task) -> Library:
            if old is not None:
                old.close()
            names = list_libraries()
            if name in names:
                return Library.open(name)
            first_run[0] = not names
            if create or not names:
                return Library.create(
                    name if create else DEFAULT_LIBRARY, self.settings.embedding_model
                )
            return Library.open(names[0])

        def opened(lib: Library) -> None:
            self._library_opened(lib)
            self._add_user_guide(first_run[0])
            if self._open_on_start:
                self._add_and_show(self._open_on_start)
                self._open_on_start = []

        self.index_lane.submit(work, on_result=opened, on_error=self._error, name="open")

    def _drop_library_views(self) -> None:
        self.library = None
        if self.view_store is not None:
            self.view_store.close()
            self.view_store = None
        state = self._ask_state

        def close_reader(_task: Task) -> None:
            if state.reader is not None:
                state.reader.close()
            state.reader = None
            state.library = None

        self.ask_lane.submit(close_reader, name="close-reader")

    def _library_opened(self, lib: Library) -> None:
        self.library = lib
        self.view_store = Store(lib.db_path, readonly=True)
        self.settings.current_library = lib.name
        self.settings.save()
        self.library_panel.set_libraries(list_libraries(), lib.name)
        self.setWindowTitle(f"{lib.name} — desktop-rag")
        self.chat_id = None
        self.chat_view.load([])
        self.viewer.close_document()
        self.refresh_documents()
        self.refresh_chats()
        self._warm_embedders(lib)
        QTimer.singleShot(0, lambda: self._suggest_multilingual(lib))

    def _suggest_multilingual(self, lib: Library) -> None:
        """Offer once per library to re-embed one built with the English-only model of
        earlier versions, when new libraries get the multilingual default."""
        from desktop_rag.core.embedding import MINILM_ID, resolve_embedding_model

        if self.library is not lib or lib.embedding_model.id != MINILM_ID:
            return
        if lib.name in self.settings.reembed_declined:
            return
        try:
            wanted = resolve_embedding_model(self.settings.embedding_model)
        except UserError:
            return
        if wanted.id == MINILM_ID:
            return
        answer = QMessageBox.question(
            self,
            "Search this library in every language?",
            f"“{lib.name}” was built with all-MiniLM-L6-v2, which understands English only: "
            "Korean questions find only passages that share their words. Re-embed it with "
            f"{wanted.id} (about 100 languages)? Every document is read again, which takes "
            "a while; if it is cancelled or fails, the library stays as it is.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._reembed(lib, self.settings.embedding_model)
        else:
            self.settings.reembed_declined.append(lib.name)
            self.settings.save()

    def _warm_embedders(self, lib: Library) -> None:
        """Load each lane's embedding model now, in the background: its imports hold Python's
        lock for long stretches, which would make the first drop or question stutter."""
        from desktop_rag.core.embedding import embedder_for

        self.index_lane.submit(
            lambda _t: lib.embedder().dim, on_done=_freeze_loaded_objects, name="warm-index"
        )
        self.ask_lane.submit(
            lambda _t: embedder_for(lib.embedding_model).dim,
            on_done=_freeze_loaded_objects,
            name="warm-ask",
        )

    def switch_library(self, name: str) -> None:
        if self.library is not None and name == self.library.name:
            return
        self.cancel_ingest()
        self._open_library(name)

    def new_library_dialog(self) -> None:
        name, ok = QInputDialog.getText(self, "New library", "Name of the new library:")
        if ok and name.strip():
            self.cancel_ingest()
            self._open_library(name.strip(), create=True)

    def rename_library_dialog(self) -> None:
        if self.library is None:
            return
        old = self.library.name
        new, ok = QInputDialog.getText(
            self, "Rename library", "New name:", QLineEdit.EchoMode.Normal, old
        )
        if not ok or not new.strip() or new.strip() == old:
            return
        new = new.strip()
        self.cancel_ingest()
        lib = self.library
        self._drop_library_views()

        def work(_task: Task) -> Library:
            lib.close()
            rename_library(old, new)  # on failure the old name is reopened
            return Library.open(new)

        self.index_lane.submit(
            work, on_result=self._library_opened, on_error=self._error_and_reopen(old)
        )

    def delete_library_dialog(self) -> None:
        if self.library is None:
            return
        name = self.library.name
        answer = QMessageBox.question(
            self,
            "Delete library",
            f"Delete the library “{name}” and its index? Your files on disk are not touched.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.cancel_ingest()
        lib = self.library
        self._drop_library_views()

        def work(_task: Task) -> Library:
            lib.close()
            delete_library(name)
            remaining = list_libraries()
            return Library.open(remaining[0]) if remaining else Library.create(DEFAULT_LIBRARY)

        self.index_lane.submit(
            work, on_result=self._library_opened, on_error=self._error_and_reopen(name)
        )

    def _error_and_reopen(self, name: str) -> Any:
        def handler(exc: Exception) -> None:
            self._error(exc)
            self._open_library(name)

        return handler

    # --- documents and ingestion ----------------------------------------------------------

    def refresh_documents(self) -> None:
        if self.view_store is None or self.library is None:
            return
        docs = self.view_store.documents()
        self.library_panel.set_documents(docs, self._indexing_path)
        stats = self.view_store.stats()
        size = sum(f.stat().st_size for f in self.library.path.iterdir() if f.is_file())
        self.size_label.setText(
            f"{_count(stats['documents'], 'document')} · {_count(stats['pages'], 'page')}"
            f" · {size / 1e6:.1f} MB"
        )
        self.library_panel.summary.setText(
            _count(len(docs), "document") if docs else "No documents yet: drop files here."
        )
        own = [d for d in docs if not is_guide(d["path"])]
        guide = any(is_guide(d["path"]) and d["status"] == "ready" for d in docs)
        self.chat_view.set_empty_text(not own, guide=guide)

    def add_files_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Add files",
            "",
            "Documents (*.pdf *.epub *.xps *.oxps *.fb2 *.mobi *.docx *.txt *.md *.markdown "
            "*.html *.htm);;All files (*)",
        )
        if paths:
            self.ingest(paths)

    def add_folder_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path = QFileDialog.getExistingDirectory(self, "Add a folder")
        if path:
            self.ingest([path])

    def ingest(
        self, paths: list[str], passwords: dict[str, str] | None = None, force: bool = False
    ) -> None:
        """Index files and folders on the index lane; the window stays responsive."""
        lib = self.library
        if lib is None:
            self.statusBar().showMessage(
                "The library is still opening; try again in a moment.", 5000
            )
            return

        def work(task: Task) -> Any:
            return lib.ingest(
                paths, progress=task.report, cancel=task.cancel, passwords=passwords, force=force
            )

        task = self.index_lane.submit(
            work,
            on_progress=self._ingest_progress,
            on_result=self._ingest_done,
            on_error=self._error,
            on_done=self._ingest_finished,
            name="ingest",
        )
        self._ingest_tasks.append(task)
        self.progress.setRange(0, 0)
        self.progress_label.setText("Looking at the files…")
        for w in (self.progress, self.progress_label, self.cancel_btn):
            w.show()

    def _ingest_progress(self, p: Any) -> None:
        self.progress.setRange(0, max(1, p.files_total))
        self.progress.setValue(p.files_done)
        self.progress.setFormat(f"{p.files_done}/{p.files_total} files")
        eta = f" · about {_duration(p.eta_seconds)} left" if p.eta_seconds else ""
        current = f" · {p.current}" if p.current else ""
        self.progress_label.setText(f"{p.pages_done} pages · {p.chunks_done} chunks{eta}{current}")
        path = str(p.extra.get("path", "")) if p.extra else ""
        self._indexing_path = path
        now = time.monotonic()
        if now - self._last_doc_refresh > 1.0:  # the list follows along, without churn
            self._last_doc_refresh = now
            self.refresh_documents()

    def _ingest_done(self, report: Any) -> None:
        self._indexing_path = ""
        self.refresh_documents()
        self.statusBar().showMessage(f"Indexing finished: {report.summary()}", 10000)
        locked = [o for o in report.failed if o.code in ("encrypted", "wrong-password")]
        problems = [
            o for o in report.outcomes if o.status in ("failed", "skipped") and o not in locked
        ]
        if problems:
            self._show_summary(problems)
        if locked:
            self._ask_passwords(locked)

    def _ingest_finished(self) -> None:
        self._ingest_tasks = [t for t in self._ingest_tasks if t in self.index_lane.pending]
        if not self._ingest_tasks:
            for w in (self.progress, self.progress_label, self.cancel_btn):
                w.hide()
            self._indexing_path = ""
            self.refresh_documents()

    def cancel_ingest(self) -> None:
        for task in self._ingest_tasks:
            task.cancel.cancel()
        if self._ingest_tasks:
            self.statusBar().showMessage("Indexing cancelled; what was finished is kept.", 8000)

    def _show_summary(self, outcomes: list[Any]) -> None:
        lines = [f"{Path(o.path).name}: {o.message}" for o in outcomes]
        if self._summary is None:
            dlg = QDialog(self)
            dlg.setWindowTitle("Some files were not added")
            text = QPlainTextEdit()
            text.setReadOnly(True)
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            buttons.rejected.connect(dlg.close)
            layout = QVBoxLayout(dlg)
            layout.addWidget(
                QLabel("These files were skipped or could not be read; the others were added.")
            )
            layout.addWidget(text)
            layout.addWidget(buttons)
            dlg.resize(640, 320)
            dlg.text = text  # type: ignore[attr-defined]
            self._summary = dlg
        self._summary.text.setPlainText("\n".join(lines))  # type: ignore[attr-defined]
        self._summary.setModal(False)
        self._summary.show()
        self._summary.raise_()

    def _ask_passwords(self, outcomes: list[Any]) -> None:
        passwords: dict[str, str] = {}
        for o in outcomes:
            prompt = f"“{Path(o.path).name}” is protected by a password."
            if o.code == "wrong-password":
                prompt = f"The password for “{Path(o.path).name}” was wrong. Try again:"
            pw, ok = QInputDialog.getText(self, "Password", prompt, QLineEdit.EchoMode.Password)
            if ok and pw:
                passwords[o.path] = pw
        if passwords:
            self.ingest(list(passwords), passwords=passwords)

    def remove_documents(self, ids: list[int]) -> None:
        lib = self.library
        if lib is None:
            return

        def work(_task: Task) -> None:
            for i in ids:
                lib.remove_document(i)

        self.index_lane.submit(
            work, on_result=lambda _r: self.refresh_documents(), on_error=self._error
        )

    def _page_text(self, document_id: int, page: int) -> str | None:
        if self.view_store is None:
            return None
        row = self.view_store.page(document_id, page)
        return row["text"] if row else None

    # --- drag and drop ---------------------------------------------------------------------

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

    # --- asking ----------------------------------------------------------------------------

    def _warm_up(self) -> None:
        """Load the embedder and the LLM on the ask lane while the user looks around."""
        self.model_label.setText("Model: loading…")
        state, settings = self._ask_state, self.settings

        def work(_task: Task) -> str:
            self._ensure_generator(state, settings)
            return (
                state.generator.info.name if state.generator else f"none ({state.no_model_reason})"
            )

        self.ask_lane.submit(
            work,
            on_result=lambda name: self.model_label.setText(f"Model: {name}"),
            on_error=self._model_error,
            on_done=_freeze_loaded_objects,
            name="warm-up",
        )

    def _model_error(self, exc: Exception) -> None:
        message, _ = describe(exc)
        self.model_label.setText("Model: unavailable (passages only)")
        self.model_label.setToolTip(message)

    @staticmethod
    def _ensure_generator(state: _AskState, settings: Settings) -> None:
        from desktop_rag.core.generation import Generator
        from desktop_rag.core.models import resolve_llm

        try:
            path = resolve_llm(settings.llm_path)
        except UserError as exc:
            state.generator, state.no_model_reason = None, exc.message
            return
        key = (str(path), settings.context_size, settings.threads)
        if state.model_ref != key:
            if state.generator is not None:
                state.generator.close()
            state.generator = None
            state.model_ref = key
            try:
                state.generator = Generator(path, settings.context_size, settings.threads)
                state.generator.load()
                state.no_model_reason = ""
            except UserError as exc:
                state.generator, state.no_model_reason = None, exc.message

    def ask(self, question: str) -> None:
        lib = self.library
        if lib is None:
            self.statusBar().showMessage(
                "The library is still opening; try again in a moment.", 5000
            )
            return
        if self._ask_task is not None:  # a new question replaces the one in flight
            self._ask_task.cancel.cancel()
            self._mark_stopped()
        state, settings, chat_id = self._ask_state, self.settings, self.chat_id

        def work(task: Task) -> qa.Answer:
            if state.reader is None or state.library is not lib:
                if state.reader is not None:
                    state.reader.close()
                state.reader, state.library = lib.reader(), lib
            self._ensure_generator(state, settings)
            history = qa.previous_questions(state.reader.store, chat_id)
            result = qa.answer(
                state.reader,
                question,
                state.generator,
                top_k=settings.top_k,
                max_answer_tokens=settings.max_answer_tokens,
                temperature=settings.temperature,
                history=history,
                on_text=task.emit_text,
                cancel=task.cancel,
                no_model_reason=state.no_model_reason,
            )
            return qa.save_exchange(state.reader.store, chat_id, result)

        self.chat_view.begin(question)
        self.chat_view.set_busy(True)
        self._ask_task = self.ask_lane.submit(
            work,
            on_text=self.chat_view.append_text,
            on_result=self._answered,
            on_error=self._ask_failed,
            name="ask",
        )

    def _answered(self, result: qa.Answer) -> None:
        self._ask_task = None
        self.chat_view.set_busy(False)
        self.chat_id = result.chat_id
        answer = result.to_dict()
        self.chat_view.finish(answer)
        self.refresh_chats()

    def _ask_failed(self, exc: Exception) -> None:
        self._ask_task = None
        self.chat_view.set_busy(False)
        message, hint = describe(exc)
        self.chat_view.finish(
            {"text": f"{message} {hint}".strip(), "status": "error", "sources": []}
        )

    def stop_answer(self) -> None:
        if self._ask_task is not None:
            self._ask_task.cancel.cancel()
            self._ask_task = None
            self._mark_stopped()
            self.chat_view.set_busy(False)

    def _mark_stopped(self) -> None:
        if self.chat_view.exchanges:
            answer = self.chat_view.exchanges[-1]["answer"] or {}
            answer = {**answer, "streaming": False, "status": "cancelled"}
            self.chat_view.finish(answer)

    # --- chats -------------------------------------------------------------------------------

    def refresh_chats(self) -> None:
        if self.view_store is not None:
            self.chat_list.set_chats(self.view_store.chats(), self.chat_id)

    def open_chat(self, chat_id: int) -> None:
        if self.view_store is None:
            return
        self.stop_answer()
        self.chat_id = chat_id
        self.chat_view.load(self.view_store.messages(chat_id))

    def new_chat(self) -> None:
        self.stop_answer()
        self.chat_id = None
        self.chat_view.load([])
        self.refresh_chats()
        self.chat_view.question.setFocus()

    def delete_chat(self, chat_id: int) -> None:
        state = self._ask_state
        lib = self.library
        if lib is None:
            return

        def work(_task: Task) -> None:
            if state.reader is None or state.library is not lib:
                state.reader, state.library = lib.reader(), lib
            state.reader.store.delete_chat(chat_id)

        if chat_id == self.chat_id:
            self.new_chat()
        self.ask_lane.submit(work, on_result=lambda _r: self.refresh_chats(), on_error=self._error)

    # --- settings, about, errors -------------------------------------------------------------

    def settings_dialog(self) -> None:
        from desktop_rag.gui.settings_dialog import SettingsDialog

        current_model = self.library.embedding_model.id if self.library else ""
        dlg = SettingsDialog(Settings.load(), current_model, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        self.settings = dlg.result_settings()
        self.settings.save()
        self._warm_up()
        self._offer_reembed()

    def _offer_reembed(self) -> None:
        from desktop_rag.core.embedding import resolve_embedding_model

        lib = self.library
        if lib is None:
            return
        try:
            wanted = resolve_embedding_model(self.settings.embedding_model)
        except UserError as exc:
            show_error(self, exc)
            return
        if wanted.id == lib.embedding_model.id:
            return
        answer = QMessageBox.question(
            self,
            "Embedding model changed",
            f"New libraries will use {wanted.id}. The library “{lib.name}” was built with "
            f"{lib.embedding_model.id}; to use the new model it must be re-embedded, which reads "
            "every document again. Re-embed it now?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._reembed(lib, self.settings.embedding_model)

    def _reembed(self, lib: Library, model: str) -> None:
        name = lib.name
        self.cancel_ingest()
        self._drop_library_views()

        def work(task: Task) -> Library:
            from desktop_rag.core.library import rebuild_with_model

            lib.close()
            rebuild_with_model(name, model, progress=task.report, cancel=task.cancel)
            return Library.open(name)

        task = self.index_lane.submit(
            work,
            on_progress=self._ingest_progress,
            on_result=self._library_opened,
            on_error=self._error_and_reopen(name),
            on_done=self._ingest_finished,
            name="re-embed",
        )
        self._ingest_tasks.append(task)
        for w in (self.progress, self.progress_label, self.cancel_btn):
            w.show()

    def about(self) -> None:
        def version(dist: str) -> str:
            try:
                return importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                return "not installed"

        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        model = self.model_label.text().removeprefix("Model: ")
        embedding = self.library.embedding_model.id if self.library else "—"
        generator = self._ask_state.generator
        cpu_code = (generator.runtime.get("cpu_code") if generator else "") or (
            "llama.cpp CPU code: shown once the answering model has loaded"
        )
        QMessageBox.about(
            self,
            "About desktop-rag",
            f"<b>desktop-rag {__version__}</b><br>Ask questions about your own documents.<br><br>"
            f"Qt {qVersion()} (PySide6 {pyside_version})<br>"
            f"llama.cpp via llama-cpp-python {version('llama-cpp-python')}<br>"
            f"{_html(cpu_code)}<br>"
            f"Answering model: {_html(model)}<br>Embedding model: {_html(embedding)}<br>"
            f"Bundled embedding model: {_html(E5_SOURCE)}<br>"
            f"Data folder: {_html(str(data_dir()))}<br><br><b>{PRIVACY}</b>",
        )

    def _error(self, exc: Exception) -> None:
        show_error(self, exc)

    # --- the user guide --------------------------------------------------------------------

    def _add_user_guide(self, first_run: bool) -> None:
        """On first run, index the user guide into the new library, so there is something to
        ask at once; later, index it again when an update of the app changed it."""
        if self.view_store is None:
            return
        has_guide = any(is_guide(d["path"]) for d in self.view_store.documents())
        if not (first_run or has_guide):
            return
        try:  # PyMuPDF lays it out here, on the GUI thread that owns PyMuPDF
            pdf, changed = ensure_guide_pdf(resource("user-guide.md"))
        except Exception:
            log.exception("the user guide could not be rendered")
            return
        if first_run or changed:
            self.ingest([str(pdf)])

    def open_on_start(self, paths: list[str]) -> None:
        """Files given on the command line (the file manager's "Open with"): added to the
        library once it is open, the first one shown."""
        self._open_on_start = [str(Path(p).expanduser().absolute()) for p in paths]

    def _add_and_show(self, paths: list[str]) -> None:
        from desktop_rag.core.loaders import LAYOUT_SUFFIXES

        self.ingest(paths)
        first = Path(paths[0])
        if first.is_file() and first.suffix.lower() in LAYOUT_SUFFIXES:
            kind = LAYOUT_SUFFIXES[first.suffix.lower()]
            self.viewer.show_source(
                {"path": str(first), "title": first.stem, "kind": kind, "page": 1, "spans": []}
            )

    def open_user_guide(self) -> None:
        """Help > User guide: the guide in the source viewer."""
        try:
            pdf, changed = ensure_guide_pdf(resource("user-guide.md"))
        except OSError as exc:
            show_error(self, UserError(f"The user guide cannot be opened ({exc.strerror})."))
            return
        if changed:
            self.viewer.close_document()
        self.viewer.show_source(
            {"path": str(pdf), "title": GUIDE_TITLE, "kind": "pdf", "page": 1, "spans": []}
        )

    # --- window state ------------------------------------------------------------------------

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
        self.index_lane.wait(15_000)
        self.ask_lane.wait(15_000)
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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
