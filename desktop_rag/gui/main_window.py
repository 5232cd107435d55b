"""The main window: menus, drag and drop, and the wiring between panels and worker lanes."""

from __future__ import annotations

import gc
import importlib.metadata
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QByteArray,
    QCoreApplication,
    QEvent,
    QObject,
    QSettings,
    Qt,
    QTimer,
    QUrl,
)
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
from desktop_rag.core.answers import qa
from desktop_rag.core.config import Settings, data_dir
from desktop_rag.core.documents.guide import GUIDE_TITLE, ensure_guide_pdf, is_guide
from desktop_rag.core.errors import UserError
from desktop_rag.core.library import (
    Library,
    LibraryReader,
    delete_library,
    list_libraries,
    rename_library,
)
from desktop_rag.core.search.embedding import E5_SOURCE
from desktop_rag.core.storage.store import Store
from desktop_rag.gui.answer_export import AnswerExporter, finished_exchanges
from desktop_rag.gui.app import resource
from desktop_rag.gui.chat_view import ChatList, ChatView
from desktop_rag.gui.folder_sync import FolderSync
from desktop_rag.gui.library_panel import LibraryPanel
from desktop_rag.gui.messages import describe, show_error
from desktop_rag.gui.source_viewer import SourceViewer
from desktop_rag.gui.workers import Lane, Task

log = logging.getLogger(__name__)
translate = QCoreApplication.translate
DEFAULT_LIBRARY_NAME = QT_TRANSLATE_NOOP("MainWindow", "My documents")  # = DEFAULT_LIBRARY
PRIVACY = QT_TRANSLATE_NOOP(
    "MainWindow", "Everything stays on this computer: no upload, no account, no network."
)


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
        self.viewer = SourceViewer(page_text=self._page_text)
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

    # --- building ---------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress_label = QLabel("")
        self.cancel_btn = QPushButton(self.tr("Cancel"))
        self.cancel_btn.setToolTip(self.tr("Stop indexing; what is indexed so far is kept"))
        self.cancel_btn.clicked.connect(self.cancel_ingest)
        self.model_label = QLabel(self.tr("Model: starting…"))
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
        m = self.menuBar().addMenu(self.tr("&File"))
        self._action(
            m, self.tr("Add &files…"), self.add_files_dialog, QKeySequence.StandardKey.Open
        )
        self._action(m, self.tr("Add f&older…"), self.add_folder_dialog, "Ctrl+Shift+O")
        m.addSeparator()
        self._action(m, self.tr("&New library…"), self.new_library_dialog, "Ctrl+Shift+N")
        self._action(m, self.tr("&Settings…"), self.settings_dialog, "Ctrl+,")
        m.addSeparator()
        self._action(m, self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        c = self.menuBar().addMenu(self.tr("&Chat"))
        self._action(c, self.tr("&New chat"), self.new_chat, "Ctrl+N")
        self.stop_action = self._action(c, self.tr("&Stop answer"), self.stop_answer, "Esc")
        self.stop_action.setEnabled(False)
        c.addSeparator()
        self._action(c, self.tr("&Export answer…"), self.export_last_answer, "Ctrl+E")
        self._action(c, self.tr("Export &whole chat…"), self.export_chat, "Ctrl+Shift+E")
        v = self.menuBar().addMenu(self.tr("&View"))
        self._action(
            v,
            self.tr("Zoom &in"),
            lambda: self.viewer.zoom_by(1.2),
            QKeySequence.StandardKey.ZoomIn,
        )
        self._action(
            v,
            self.tr("Zoom &out"),
            lambda: self.viewer.zoom_by(1 / 1.2),
            QKeySequence.StandardKey.ZoomOut,
        )
        self._action(v, self.tr("Fit &width"), self.viewer.set_fit_width, "Ctrl+0")
        self._action(v, self.tr("&Previous page"), self.viewer.prev_page, "PgUp")
        self._action(v, self.tr("&Next page"), self.viewer.next_page, "PgDown")
        h = self.menuBar().addMenu(self.tr("&Help"))
        self._action(
            h, self.tr("&User guide"), self.open_user_guide, QKeySequence.StandardKey.HelpContents
        )
        self._action(h, self.tr("&About desktop-rag"), self.about)

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
        self.chat_view.export_answer.connect(self.export_answer)
        self.chat_view.export_chat.connect(self.export_chat)
        self.exporter.message.connect(self._status_message)
        self.exporter.failed.connect(self._error)
        folders = lp.folders
        folders.link_requested.connect(self.add_folder_dialog)
        folders.unlink_requested.connect(self.unlink_folder_dialog)
        folders.sync_requested.connect(self.folder_sync.sync)
        folders.open_requested.connect(lambda p: QDesktopServices.openUrl(QUrl.fromLocalFile(p)))
        fs = self.folder_sync
        fs.synced.connect(self._folder_synced)
        fs.failed.connect(self._error)
        fs.progress.connect(self._sync_progress)
        fs.task_started.connect(self._ingest_tasks.append)
        fs.task_finished.connect(self._ingest_finished)
        self.viewer.message.connect(lambda text: self.statusBar().showMessage(text, 8000))

    # --- start and libraries ---------------------------------------------------------------

    def _start(self) -> None:
        name = self.settings.current_library or self._default_library_name()
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
                    name if create else self._default_library_name(), self._new_library_model()
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
        self.folder_sync.stop()
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

    def _new_library_model(self) -> str:
        """The embedding model a new library gets: the one chosen in Settings; else, while
        the window speaks Korean, the multilingual one (questions will be Korean, whatever
        the documents); else the library chooses from its first document."""
        from desktop_rag.core.search.embedding import E5_ID
        from desktop_rag.gui.translation import ui_language

        if self.settings.embedding_model:
            return self.settings.embedding_model
        return "auto" if ui_language(self.settings.language) == "en" else E5_ID

    def _default_library_name(self) -> str:
        """The first library's name, in the window's language (the core's DEFAULT_LIBRARY)."""
        return self.tr(DEFAULT_LIBRARY_NAME)

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
        # what changed in the linked folders while the app was closed, then what changes now
        self.folder_sync.start(lib, [f["path"] for f in self.view_store.folders()])
        self.refresh_folders()
        QTimer.singleShot(0, lambda: self._suggest_multilingual(lib))

    def _suggest_multilingual(self, lib: Library, other_language: list[str] | None = None) -> None:
        """Offer once per library to re-embed with the multilingual model one that reads
        English only: one built by an earlier version (on opening it), or one that chose
        MiniLM for its English documents and was just given a document in another language."""
        from desktop_rag.core.search.embedding import E5_ID, MINILM_ID

        if self.library is not lib or lib.embedding_model.id != MINILM_ID:
            return
        if lib.name in self.settings.reembed_declined or self.settings.embedding_model:
            return  # declined, or the user chose the models themselves
        store = self.view_store  # the window's own connection to the library
        if other_language is None and (store is None or store.get_meta("embedding_choice")):
            return  # on opening, only libraries of earlier versions
        why = (
            self.tr(
                "“{document}” is not in English, and this library was set up for English."
            ).format(document=Path(other_language[0]).name)
            + " "
            if other_language
            else ""
        )
        answer = QMessageBox.question(
            self,
            self.tr("Search this library in every language?"),
            why
            + self.tr(
                "“{library}” was built with all-MiniLM-L6-v2, which understands English only: "
                "Korean questions find only passages that share their words. Re-embed it with "
                "{model} (about 100 languages)? Every document is read again, which takes "
                "a while; if it is cancelled or fails, the library stays as it is."
            ).format(library=lib.name, model=E5_ID),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._reembed(lib, E5_ID)
        else:
            self.settings.reembed_declined.append(lib.name)
            self.settings.save()

    def _warm_embedders(self, lib: Library) -> None:
        """Load each lane's embedding model now, in the background: its imports hold Python's
        lock for long stretches, which would make the first drop or question stutter."""
        from desktop_rag.core.search.embedding import embedder_for

        self._warm_model = lib.embedding_model.id
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
        name, ok = QInputDialog.getText(
            self, self.tr("New library"), self.tr("Name of the new library:")
        )
        if ok and name.strip():
            self.cancel_ingest()
            self._open_library(name.strip(), create=True)

    def rename_library_dialog(self) -> None:
        if self.library is None:
            return
        old = self.library.name
        new, ok = QInputDialog.getText(
            self, self.tr("Rename library"), self.tr("New name:"), QLineEdit.EchoMode.Normal, old
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
            self.tr("Delete library"),
            self.tr(
                "Delete the library “{name}” and its index? Your files on disk are not touched."
            ).format(name=name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.cancel_ingest()
        lib = self.library
        self._drop_library_views()

        default_name = self._default_library_name()
        model = self._new_library_model()

        def work(_task: Task) -> Library:
            lib.close()
            delete_library(name)
            remaining = list_libraries()
            if remaining:
                return Library.open(remaining[0])
            return Library.create(default_name, model)

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
            self.tr("{documents} · {pages} · {size:.1f} MB").format(
                documents=_documents(stats["documents"]),
                pages=_pages(stats["pages"]),
                size=size / 1e6,
            )
        )
        self.library_panel.summary.setText(
            _documents(len(docs)) if docs else self.tr("No documents yet: drop files here.")
        )
        own = [d for d in docs if not is_guide(d["path"])]
        guide = any(is_guide(d["path"]) and d["status"] == "ready" for d in docs)
        self.chat_view.set_empty_text(not own, guide=guide)

    def add_files_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        paths, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Add files"),
            "",
            self.tr("Documents")
            + " (*.pdf *.epub *.xps *.oxps *.fb2 *.mobi *.docx *.txt *.md *.markdown *.html *.htm)"
            + ";;"
            + self.tr("All files")
            + " (*)",
        )
        if paths:
            self.ingest(paths)

    def add_folder_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path = QFileDialog.getExistingDirectory(self, self.tr("Add a folder (it stays linked)"))
        if path:
            self.ingest([path])

    def ingest(
        self, paths: list[str], passwords: dict[str, str] | None = None, force: bool = False
    ) -> None:
        """Index files and folders on the index lane; the window stays responsive."""
        lib = self.library
        if lib is None:
            self.statusBar().showMessage(
                self.tr("The library is still opening; try again in a moment."), 5000
            )
            return

        def work(task: Task) -> Any:
            # a folder added stays linked: the library follows it from now on...
            known = {f["path"] for f in lib.linked_folders()}
            linked = [lib.link_folder(p) for p in paths if Path(p).is_dir()]
            try:
                return lib.ingest(
                    paths,
                    progress=task.report,
                    cancel=task.cancel,
                    passwords=passwords,
                    force=force,
                )
            finally:
                if task.cancel.cancelled:  # ...unless the user changed their mind about it
                    for folder in linked:
                        if folder not in known:
                            lib.unlink_folder(folder)

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
        self.progress_label.setText(self.tr("Looking at the files…"))
        for w in (self.progress, self.progress_label, self.cancel_btn):
            w.show()

    def _ingest_progress(self, p: Any) -> None:
        self.progress.setRange(0, max(1, p.files_total))
        self.progress.setValue(p.files_done)
        self.progress.setFormat(
            self.tr("{done}/{total} files").format(done=p.files_done, total=p.files_total)
        )
        eta = (
            " · " + self.tr("about {time} left").format(time=_duration(p.eta_seconds))
            if p.eta_seconds
            else ""
        )
        current = f" · {p.current}" if p.current else ""
        self.progress_label.setText(
            self.tr("{pages} pages · {chunks} chunks").format(
                pages=p.pages_done, chunks=p.chunks_done
            )
            + eta
            + current
        )
        path = str(p.extra.get("path", "")) if p.extra else ""
        self._indexing_path = path
        now = time.monotonic()
        if now - self._last_doc_refresh > 1.0:  # the list follows along, without churn
            self._last_doc_refresh = now
            self.refresh_documents()

    def _ingest_done(self, report: Any) -> None:
        lib = self.library
        if lib is not None and lib.embedding_model.id != self._warm_model:
            self._warm_embedders(lib)  # the first document chose the library's model
        if lib is not None and report.other_language:
            other = list(report.other_language)  # asked once the window shows the outcome
            QTimer.singleShot(0, lambda: self._suggest_multilingual(lib, other))
        self._indexing_path = ""
        self.refresh_documents()
        self.refresh_folders(rewatch=True)
        self.statusBar().showMessage(
            self.tr("Indexing finished: {summary}").format(summary=_report_summary(report)), 10000
        )
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
            self.refresh_folders(rewatch=True)

    def cancel_ingest(self) -> None:
        for task in self._ingest_tasks:
            task.cancel.cancel()
        if self._ingest_tasks:
            self.statusBar().showMessage(
                self.tr("Indexing cancelled; what was finished is kept."), 8000
            )

    def _show_summary(self, outcomes: list[Any]) -> None:
        lines = [f"{Path(o.path).name}: {o.message}" for o in outcomes]
        if self._summary is None:
            dlg = QDialog(self)
            dlg.setWindowTitle(self.tr("Some files were not added"))
            text = QPlainTextEdit()
            text.setReadOnly(True)
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            buttons.rejected.connect(dlg.close)
            layout = QVBoxLayout(dlg)
            layout.addWidget(
                QLabel(
                    self.tr("These files were skipped or could not be read; the others were added.")
                )
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
            name = Path(o.path).name
            prompt = self.tr("“{name}” is protected by a password.").format(name=name)
            if o.code == "wrong-password":
                prompt = self.tr("The password for “{name}” was wrong. Try again:").format(
                    name=name
                )
            pw, ok = QInputDialog.getText(
                self, self.tr("Password"), prompt, QLineEdit.EchoMode.Password
            )
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

    # --- linked folders ----------------------------------------------------------------------

    def refresh_folders(self, rewatch: bool = False) -> None:
        """Show the linked folders; `rewatch` after one was linked or unlinked."""
        if self.view_store is None:
            return
        rows = [{**f, "present": Path(f["path"]).is_dir()} for f in self.view_store.folders()]
        self.library_panel.folders.set_folders(rows)
        if rewatch:
            before = set(self.folder_sync.watcher.folders)
            self.folder_sync.watch([f["path"] for f in rows])
            for f in rows:  # newly linked: what changed while it was being added
                if f["path"] not in before:
                    self.folder_sync.sync(f["path"])

    def unlink_folder_dialog(self, folder: str) -> None:
        lib = self.library
        if lib is None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Unlink folder"))
        box.setText(self.tr("Stop following “{folder}”?").format(folder=folder))
        box.setInformativeText(
            self.tr("Its documents can stay or be removed. Your files are not touched.")
        )
        keep = box.addButton(self.tr("Unlink, keep documents"), QMessageBox.ButtonRole.AcceptRole)
        remove = box.addButton(
            self.tr("Unlink and remove its documents"), QMessageBox.ButtonRole.DestructiveRole
        )
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.exec()
        if box.clickedButton() not in (keep, remove):
            return
        self.unlink_folder(folder, remove_documents=box.clickedButton() is remove)

    def unlink_folder(self, folder: str, remove_documents: bool = False) -> Task | None:
        """Stop following `folder` on the index lane (its documents too, if asked)."""
        lib = self.library
        if lib is None:
            return None

        def done(removed: list[str]) -> None:
            self.refresh_documents()
            self.refresh_folders(rewatch=True)
            self._status_message(
                self.tr("Unlinked {folder}; {n} documents removed.").format(
                    folder=folder, n=len(removed)
                ),
                8000,
            )

        return self.index_lane.submit(
            lambda _t: lib.unlink_folder(folder, remove_documents=remove_documents),
            on_result=done,
            on_error=self._error,
            name="unlink",
        )

    def _sync_progress(self, p: Any) -> None:
        for w in (self.progress, self.progress_label, self.cancel_btn):
            w.show()
        self._ingest_progress(p)

    def _folder_synced(self, report: Any) -> None:
        self.refresh_folders()
        if not (report.changed or report.missing):
            return
        self.refresh_documents()
        ingest = report.ingest
        if report.missing:
            text = self.tr("{folder} is missing (moved, or a drive not connected).")
        else:
            text = self.tr(
                "{folder}: {added} added, {updated} updated, {moved} renamed, {removed} removed"
            )
        self._status_message(
            text.format(
                folder=Path(report.folder).name or report.folder,
                added=len(ingest.with_status("added")),
                updated=len(ingest.with_status("updated")),
                moved=len(report.moved),
                removed=len(report.removed),
            ),
            10000,
        )
        problems = [o for o in ingest.outcomes if o.status == "failed"]
        if problems:
            self._show_summary(problems)

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
        self.model_label.setText(self.tr("Model: loading…"))
        state, settings = self._ask_state, self.settings

        def work(_task: Task) -> str:
            self._ensure_generator(state, settings)
            return state.generator.info.name if state.generator else ""

        self.ask_lane.submit(
            work,
            on_result=self._model_ready,
            on_error=self._model_error,
            on_done=_freeze_loaded_objects,
            name="warm-up",
        )

    def _model_ready(self, name: str) -> None:
        self.model_name = name
        if name:
            if name.endswith(" (bundled)"):  # the core's English name for the bundled model
                name = self.tr("{name} (bundled)").format(name=name.removesuffix(" (bundled)"))
            self.model_label.setText(self.tr("Model: {name}").format(name=name))
        else:
            reason = self._ask_state.no_model_reason
            self.model_label.setText(self.tr("Model: none (passages only)"))
            self.model_label.setToolTip(reason)

    def _model_error(self, exc: Exception) -> None:
        message, _ = describe(exc)
        self.model_name = ""
        self.model_label.setText(self.tr("Model: unavailable (passages only)"))
        self.model_label.setToolTip(message)

    @staticmethod
    def _ensure_generator(state: _AskState, settings: Settings) -> None:
        from desktop_rag.core.answers.generation import Generator
        from desktop_rag.core.answers.models import resolve_llm

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
                qa.warm(state.generator)
                state.no_model_reason = ""
            except UserError as exc:
                state.generator, state.no_model_reason = None, exc.message

    def ask(self, question: str) -> None:
        lib = self.library
        if lib is None:
            self.statusBar().showMessage(
                self.tr("The library is still opening; try again in a moment."), 5000
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
                previous=qa.previous_sources(state.reader.store, chat_id),
                on_text=task.emit_text,
                cancel=task.cancel,
                no_model_reason=state.no_model_reason,
            )
            return qa.save_exchange(state.reader.store, chat_id, result)

        self.chat_view.begin(question)
        self._set_answering(True)
        self._ask_task = self.ask_lane.submit(
            work,
            on_text=self.chat_view.append_text,
            on_result=self._answered,
            on_error=self._ask_failed,
            name="ask",
        )

    def _answered(self, result: qa.Answer) -> None:
        self._ask_task = None
        self._set_answering(False)
        self.chat_id = result.chat_id
        answer = result.to_dict()
        self.chat_view.finish(answer)
        self.refresh_chats()

    def _ask_failed(self, exc: Exception) -> None:
        self._ask_task = None
        self._set_answering(False)
        message, hint = describe(exc)
        self.chat_view.finish(
            {"text": f"{message} {hint}".strip(), "status": "error", "sources": []}
        )

    def stop_answer(self) -> None:
        if self._ask_task is not None:
            self._ask_task.cancel.cancel()
            self._ask_task = None
            self._mark_stopped()
            self._set_answering(False)

    def _set_answering(self, answering: bool) -> None:
        """Stop (button, menu and Esc) works only while an answer is on its way."""
        self.chat_view.set_busy(answering)
        self.stop_action.setEnabled(answering)

    def _mark_stopped(self) -> None:
        if self.chat_view.exchanges:
            answer = self.chat_view.exchanges[-1]["answer"] or {}
            answer = {**answer, "streaming": False, "status": "cancelled"}
            self.chat_view.finish(answer)

    # --- exporting ---------------------------------------------------------------------------

    def export_answer(self, index: int) -> None:
        """Export one answer of the chat shown, with its sources, as PDF or Markdown."""
        exchanges = finished_exchanges(self.chat_view.exchanges[index : index + 1])
        title = exchanges[0].question[:120] if exchanges else ""
        self.exporter.ask_and_export(exchanges, title, self._library_name())

    def export_last_answer(self) -> None:
        view = self.chat_view
        done = [i for i in range(len(view.exchanges)) if view.finished(i)]
        if not done:
            self._status_message(self.tr("There is no answer to export yet."), 5000)
            return
        self.export_answer(done[-1])

    def export_chat(self) -> None:
        """Export every answered question of the chat shown."""
        exchanges = finished_exchanges(self.chat_view.exchanges)
        title = ""
        if self.view_store is not None and self.chat_id is not None:
            chat = self.view_store.chat(self.chat_id)
            title = chat["title"] if chat else ""
        title = title or (exchanges[0].question[:120] if exchanges else "")
        self.exporter.ask_and_export(exchanges, title, self._library_name())

    def _library_name(self) -> str:
        return self.library.name if self.library is not None else ""

    def _status_message(self, text: str, ms: int) -> None:
        if text:
            self.statusBar().showMessage(text, ms)
        else:
            self.statusBar().clearMessage()

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
        language = self.settings.language
        dlg = SettingsDialog(Settings.load(), current_model, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        self.settings = dlg.result_settings()
        self.settings.save()
        self._warm_up()
        self._offer_reembed()
        if self.settings.language != language:
            self._offer_restart()

    def _offer_restart(self) -> None:
        """The window's language changes at the next start: offer to restart now."""
        answer = QMessageBox.question(
            self,
            self.tr("Language"),
            self.tr("The new language shows when desktop-rag starts again. Restart now?"),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        import sys

        from PySide6.QtCore import QProcess

        argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
        if getattr(sys, "frozen", False):
            argv = [sys.executable, *sys.argv[1:]]
        self.close()  # saves everything first
        QProcess.startDetached(argv[0], argv[1:])
        QApplication.instance().quit()

    def _offer_reembed(self) -> None:
        from desktop_rag.core.search.embedding import resolve_embedding_model

        lib = self.library
        if lib is None:
            return
        try:
            wanted = resolve_embedding_model(self.settings.embedding_model)
        except UserError as exc:
            show_error(self, exc)
            return
        if not self.settings.embedding_model or wanted.id == lib.embedding_model.id:
            return  # automatic: each library keeps the model its documents chose
        answer = QMessageBox.question(
            self,
            self.tr("Embedding model changed"),
            self.tr(
                "New libraries will use {new}. The library “{library}” was built with {old}; "
                "to use the new model it must be re-embedded, which reads every document "
                "again. Re-embed it now?"
            ).format(new=wanted.id, library=lib.name, old=lib.embedding_model.id),
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
                return self.tr("not installed")

        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        model = self.model_name or self.model_label.text()
        embedding = self.library.embedding_model.id if self.library else "—"
        generator = self._ask_state.generator
        if generator is not None:
            info = generator.info
            licence = self.tr(", licence {licence}").format(licence=info.licence)
            model = f"{info.name} ({info.size_label}{licence if info.licence else ''})"
        cpu_code = (generator.runtime.get("cpu_code") if generator else "") or self.tr(
            "llama.cpp CPU code: shown once the answering model has loaded"
        )
        QMessageBox.about(
            self,
            self.tr("About desktop-rag"),
            f"<b>desktop-rag {__version__}</b><br>"
            + _html(self.tr("Ask questions about your own documents."))
            + "<br><br>"
            + f"Qt {qVersion()} (PySide6 {pyside_version})<br>"
            + f"llama.cpp via llama-cpp-python {version('llama-cpp-python')}<br>"
            + f"{_html(cpu_code)}<br>"
            + _html(self.tr("Answering model: {name}").format(name=model))
            + "<br>"
            + _html(self.tr("Embedding model: {name}").format(name=embedding))
            + "<br>"
            + _html(self.tr("Bundled embedding model: {source}").format(source=E5_SOURCE))
            + "<br>"
            + _html(self.tr("Data folder: {path}").format(path=data_dir()))
            + f"<br><br><b>{_html(self.tr(PRIVACY))}</b>",
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
        from desktop_rag.core.documents.loaders import LAYOUT_SUFFIXES

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
            show_error(
                self,
                UserError(
                    self.tr("The user guide cannot be opened ({reason}).").format(
                        reason=exc.strerror
                    )
                ),
            )
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


def _documents(n: int) -> str:
    return (
        translate("MainWindow", "1 document")
        if n == 1
        else translate("MainWindow", "{n} documents")
    ).format(n=n)


def _pages(n: int) -> str:
    return (
        translate("MainWindow", "1 page") if n == 1 else translate("MainWindow", "{n} pages")
    ).format(n=n)


def _report_summary(report: Any) -> str:
    """An ingestion report's counts in the window's language (the core's summary is English)."""
    names = {
        "added": translate("MainWindow", "{n} added"),
        "updated": translate("MainWindow", "{n} updated"),
        "unchanged": translate("MainWindow", "{n} unchanged"),
        "skipped": translate("MainWindow", "{n} skipped"),
        "failed": translate("MainWindow", "{n} failed"),
    }
    parts = [
        text.format(n=len(report.with_status(status)))
        for status, text in names.items()
        if report.with_status(status)
    ]
    text = ", ".join(parts) or translate("MainWindow", "nothing to do")
    text += "; " + translate(
        "MainWindow", "{pages} pages, {chunks} chunks in {seconds:.1f} s"
    ).format(pages=report.pages, chunks=report.chunks, seconds=report.seconds)
    return text + (" " + translate("MainWindow", "(cancelled)") if report.cancelled else "")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return translate("MainWindow", "{s} s").format(s=seconds)
    if seconds < 3600:
        return translate("MainWindow", "{m} min {s:02d} s").format(m=seconds // 60, s=seconds % 60)
    return translate("MainWindow", "{h} h {m:02d} min").format(
        h=seconds // 3600, m=seconds % 3600 // 60
    )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
