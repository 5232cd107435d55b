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
from desktop_rag.gui.ask_flow import _freeze_loaded_objects
from desktop_rag.gui.encryption_flow import PASSPHRASE_CODES
from desktop_rag.gui.messages import show_error
from desktop_rag.gui.workers import Task

translate = QCoreApplication.translate
DEFAULT_LIBRARY_NAME = QT_TRANSLATE_NOOP("MainWindow", "My documents")  # = DEFAULT_LIBRARY


class LibraryFlowMixin:
    """Opening, creating, renaming, deleting and re-embedding libraries."""

    def _open_library(self, name: str, create: bool = False, passphrase: str | None = None) -> None:
        """Close the current library and open `name` on the index lane (`passphrase`: its own
        if it is encrypted; with `create`, the one to encrypt it with if it is new)."""
        old = self.library
        self._drop_library_views()
        first_run = [False]
        opening = [name]

        def work(_task: Task) -> Library:
            if old is not None:
                old.close()
            names = list_libraries()
            if name in names:
                return Library.open(name, passphrase=passphrase)
            first_run[0] = not names
            if create or not names:
                return Library.create(
                    name if create else self._default_library_name(),
                    self._new_library_model(),
                    passphrase=passphrase if create else None,
                )
            opening[0] = names[0]
            return Library.open(names[0])

        def failed(exc: Exception) -> None:
            if isinstance(exc, UserError) and exc.code in PASSPHRASE_CODES:
                self._ask_passphrase(opening[0], exc)
            else:
                self._error(exc)

        def opened(lib: Library) -> None:
            self._library_opened(lib)
            self._add_user_guide(first_run[0])
            if self._open_on_start:
                self._add_and_show(self._open_on_start)
                self._open_on_start = []

        self.index_lane.submit(work, on_result=opened, on_error=failed, name="open")

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
        self.library_panel.set_locked("")
        self._update_encryption_actions()
        self.view_store = lib.reading_store()
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
        self._resume_meaning()
        self.schedule_meaning()  # what an earlier session left searchable by keywords only

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
        """A name, and a passphrase if the library is to be encrypted."""
        from desktop_rag.gui.passphrase_dialog import NewLibraryDialog

        dlg = NewLibraryDialog(self)

        def create() -> None:
            name, passphrase = dlg.chosen()
            if name in list_libraries():
                show_error(
                    self,
                    UserError(
                        translate("MainWindow", "A library named “{name}” already exists.").format(
                            name=name
                        )
                    ),
                )
                return
            self.cancel_ingest()
            self._open_library(name, create=True, passphrase=passphrase)

        dlg.accepted.connect(create)
        self._new_library = dlg
        dlg.open()

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

        def work(_task: Task) -> str:
            lib.close()
            delete_library(name)
            remaining = list_libraries()
            return remaining[0] if remaining else default_name

        self.index_lane.submit(  # the next one may be encrypted: opened the usual way
            work,
            on_result=lambda next_name: self._open_library(next_name, create=True),
            on_error=self._error_and_reopen(name),
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
