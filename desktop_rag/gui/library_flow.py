"""Libraries in the window: open, create, rename, delete, re-embed, and warming the
lanes' embedding models.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QTimer
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from desktop_rag.core.errors import UserError
from desktop_rag.core.library import Library, delete_library, list_libraries, rename_library
from desktop_rag.core.storage.store import Store
from desktop_rag.gui.ask_flow import _freeze_loaded_objects
from desktop_rag.gui.messages import show_error
from desktop_rag.gui.workers import Task

translate = QCoreApplication.translate
DEFAULT_LIBRARY_NAME = QT_TRANSLATE_NOOP("MainWindow", "My documents")  # = DEFAULT_LIBRARY


class LibraryFlowMixin:
    """Opening, creating, renaming, deleting and re-embedding libraries."""

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
        return translate("MainWindow", DEFAULT_LIBRARY_NAME)

    def _library_opened(self, lib: Library) -> None:
        self.library = lib
        self.view_store = Store(lib.db_path, readonly=True)
        self.settings.current_library = lib.name
        self.settings.save()
        self.library_panel.set_libraries(list_libraries(), lib.name)
        self.setWindowTitle(f"{lib.name} — desktop-rag")
        self.chat_id = None
        self.chat_view.load([])
        self.clear_scope()  # a scope names the documents of the library before
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
            translate(
                "MainWindow",
                "“{document}” is not in English, and this library was set up for English.",
            ).format(document=Path(other_language[0]).name)
            + " "
            if other_language
            else ""
        )
        answer = QMessageBox.question(
            self,
            translate("MainWindow", "Search this library in every language?"),
            why
            + translate(
                "MainWindow",
                "“{library}” was built with all-MiniLM-L6-v2, which understands English only: "
                "Korean questions find only passages that share their words. Re-embed it with "
                "{model} (about 100 languages)? Every document is read again, which takes "
                "a while; if it is cancelled or fails, the library stays as it is.",
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
            self,
            translate("MainWindow", "New library"),
            translate("MainWindow", "Name of the new library:"),
        )
        if ok and name.strip():
            self.cancel_ingest()
            self._open_library(name.strip(), create=True)

    def rename_library_dialog(self) -> None:
        if self.library is None:
            return
        old = self.library.name
        new, ok = QInputDialog.getText(
            self,
            translate("MainWindow", "Rename library"),
            translate("MainWindow", "New name:"),
            QLineEdit.EchoMode.Normal,
            old,
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
            translate("MainWindow", "Delete library"),
            translate(
                "MainWindow",
                "Delete the library “{name}” and its index? Your files on disk are not touched.",
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
            translate("MainWindow", "Embedding model changed"),
            translate(
                "MainWindow",
                "New libraries will use {new}. The library “{library}” was built with {old}; "
                "to use the new model it must be re-embedded, which reads every document "
                "again. Re-embed it now?",
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
