"""Encrypted libraries in the window: the passphrase asked when one is first opened in a run,
the locked state while it is not given, and encrypting or decrypting the current library.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication

from desktop_rag.core.errors import UserError
from desktop_rag.core.library import Library, list_libraries
from desktop_rag.gui.passphrase_dialog import PassphraseDialog
from desktop_rag.gui.workers import Task

translate = QCoreApplication.translate
PASSPHRASE_CODES = ("passphrase", "wrong-passphrase")


class EncryptionFlowMixin:
    """Passphrases, the locked state, and encrypting or decrypting a library."""

    _passphrase_dialog: PassphraseDialog | None = None

    def _ask_passphrase(self, name: str, exc: UserError) -> None:
        """Opening `name` needs its passphrase: ask for it (again, when it was wrong). Until
        it is given the library stays locked, and nothing of another library is shown."""
        self._show_locked(name)
        if exc.code == "wrong-passphrase":
            message = translate(
                "MainWindow", "That passphrase does not open “{name}”. Type it again:"
            )
        else:
            message = translate("MainWindow", "“{name}” is encrypted. Type its passphrase:")
        title = translate("MainWindow", "Open encrypted library")
        dlg = PassphraseDialog(title, message.format(name=name), parent=self)
        dlg.accepted.connect(self.statusBar().clearMessage)
        dlg.accepted.connect(lambda: self._open_library(name, passphrase=dlg.passphrase()))
        dlg.rejected.connect(
            lambda: self.statusBar().showMessage(
                translate("MainWindow", "“{name}” stays locked.").format(name=name), 8000
            )
        )
        self._passphrase_dialog = dlg
        dlg.open()

    def _show_locked(self, name: str) -> None:
        self.library_panel.set_libraries(list_libraries(), name)
        self.library_panel.set_locked(name)
        self.library_panel.set_documents([])
        self.library_panel.folders.set_folders([])
        self.library_panel.summary.setText("")
        self.chat_list.set_chats([], None)
        self.chat_id = None
        self.chat_view.load([])
        self.chat_view.empty.setText(
            translate(
                "MainWindow", "“{name}” is locked: choose Unlock… and type its passphrase."
            ).format(name=name)
        )
        self.viewer.close_document()
        self.size_label.setText("")
        self.setWindowTitle(f"{name} — desktop-rag")
        self._update_encryption_actions()

    def unlock_library(self) -> None:
        """The panel's Unlock button: ask for the locked library's passphrase again."""
        if self.library_panel.locked_name:
            self._open_library(self.library_panel.locked_name)

    def _update_encryption_actions(self) -> None:
        lib = self.library
        self.encrypt_action.setEnabled(lib is not None and not lib.encrypted)
        self.decrypt_action.setEnabled(lib is not None and lib.encrypted)
        self.library_panel.set_encrypted(lib is not None and lib.encrypted)

    def encrypt_library_dialog(self) -> None:
        lib = self.library
        if lib is None or lib.encrypted:
            return
        dlg = PassphraseDialog(
            translate("MainWindow", "Encrypt library"),
            translate(
                "MainWindow",
                "Choose a passphrase for “{name}”. You type it once each time desktop-rag "
                "starts. If encrypting is interrupted, the library stays as it is.",
            ).format(name=lib.name),
            confirm=True,
            parent=self,
        )
        dlg.accepted.connect(lambda: self._convert(lib, True, dlg.passphrase()))
        self._passphrase_dialog = dlg
        dlg.open()

    def decrypt_library_dialog(self) -> None:
        lib = self.library
        if lib is None or not lib.encrypted:
            return
        dlg = PassphraseDialog(
            translate("MainWindow", "Decrypt library"),
            translate(
                "MainWindow",
                "Store “{name}” unencrypted? Anyone who can read this computer's disk could "
                "then read its passages and chats. Type its passphrase to confirm:",
            ).format(name=lib.name),
            parent=self,
        )
        dlg.accepted.connect(lambda: self._convert(lib, False, dlg.passphrase()))
        self._passphrase_dialog = dlg
        dlg.open()

    def _convert(self, lib: Library, encrypt: bool, passphrase: str) -> None:
        """Encrypt or decrypt `lib` on the index lane, closed meanwhile, then open it again."""
        name = lib.name
        self.stop_answer()
        self.cancel_ingest()
        self._drop_library_views()
        state = self._ask_state

        def work(_task: Task) -> Library:
            from desktop_rag.core.library import decrypt_library, encrypt_library

            lib.close()
            deadline = time.monotonic() + 30
            while state.reader is not None and time.monotonic() < deadline:
                time.sleep(0.05)  # the ask lane closes its connection (converting needs none open)
            if encrypt:
                encrypt_library(name, passphrase)
            else:
                decrypt_library(name, passphrase)
            return Library.open(name)

        def done() -> None:
            for w in (self.progress, self.progress_label):
                w.hide()

        self.index_lane.submit(
            work,
            on_result=self._library_opened,
            on_error=self._error_and_reopen(name),
            on_done=done,
            name="encrypt" if encrypt else "decrypt",
        )
        self.progress.setRange(0, 0)
        self.progress_label.setText(
            (
                translate("MainWindow", "Encrypting “{name}”…")
                if encrypt
                else translate("MainWindow", "Decrypting “{name}”…")
            ).format(name=name)
        )
        for w in (self.progress, self.progress_label):
            w.show()
