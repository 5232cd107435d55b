"""Dialogs for encrypted libraries: a new library (name, and a passphrase if it is to be
encrypted), and a passphrase asked or chosen for an existing one. Each opens without blocking
the window (`open()`); its `accepted` signal says when to read it."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_rag.core.storage.crypto import MIN_PASSPHRASE

translate = QCoreApplication.translate


class _PassphraseFields:
    """A passphrase and, for a new one, the same typed again, with what is wrong in words."""

    def __init__(self, form: QFormLayout, confirm: bool) -> None:
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setObjectName("passphrase")
        form.addRow(translate("PassphraseDialog", "Passphrase:"), self.passphrase)
        self.again: QLineEdit | None = None
        if confirm:
            self.again = QLineEdit()
            self.again.setEchoMode(QLineEdit.EchoMode.Password)
            self.again.setObjectName("passphrase_again")
            form.addRow(translate("PassphraseDialog", "Type it again:"), self.again)

    def problem(self) -> str:
        """Why the passphrase cannot be used yet ('' when it can)."""
        text = self.passphrase.text()
        if self.again is None:
            return "" if text else " "
        if len(text) < MIN_PASSPHRASE:
            return translate("PassphraseDialog", "At least {n} characters.").format(
                n=MIN_PASSPHRASE
            )
        if text != self.again.text():
            return translate("PassphraseDialog", "The two passphrases differ.")
        return ""

    def widgets(self) -> list[QLineEdit]:
        return [w for w in (self.passphrase, self.again) if w is not None]


def _warning_text() -> str:
    return translate(
        "PassphraseDialog",
        "Passages, chats and the index are stored encrypted. There is no way to recover a "
        "forgotten passphrase: the library would have to be built again from your files.",
    )


class NewLibraryDialog(QDialog):
    """Name of a new library, and whether to encrypt it (then a passphrase, twice)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("PassphraseDialog", "New library"))
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("library_name")
        form.addRow(translate("PassphraseDialog", "Name:"), self.name)
        self.encrypt = QCheckBox(
            translate("PassphraseDialog", "Encrypt this library with a passphrase")
        )
        self.encrypt.setObjectName("encrypt")
        form.addRow("", self.encrypt)
        self.fields = _PassphraseFields(form, confirm=True)
        self.note = QLabel(_warning_text())
        self.note.setWordWrap(True)
        self.note.setObjectName("muted")
        self.problem = QLabel("")
        self.problem.setObjectName("muted")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        for w in (self.name, *self.fields.widgets()):
            w.textChanged.connect(self._update)
        self.encrypt.toggled.connect(self._update)
        self.setMinimumWidth(460)
        self._update()

    def _update(self) -> None:
        on = self.encrypt.isChecked()
        for w in self.fields.widgets():
            w.setEnabled(on)
        self.note.setVisible(on)
        problem = self.fields.problem() if on else ""
        if not self.name.text().strip():
            problem = problem or " "
        self.problem.setText(problem.strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def chosen(self) -> tuple[str, str | None]:
        """(name, passphrase or None for an unencrypted library)."""
        passphrase = self.fields.passphrase.text() if self.encrypt.isChecked() else None
        return self.name.text().strip(), passphrase


class PassphraseDialog(QDialog):
    """A library's passphrase: asked to open or decrypt it, or chosen (twice) to encrypt it."""

    def __init__(
        self, title: str, message: str, confirm: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.message = QLabel(message)
        self.message.setWordWrap(True)
        form = QFormLayout()
        self.fields = _PassphraseFields(form, confirm=confirm)
        self.problem = QLabel("")
        self.problem.setObjectName("muted")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        if confirm:
            note = QLabel(_warning_text())
            note.setWordWrap(True)
            note.setObjectName("muted")
            layout.addWidget(note)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        for w in self.fields.widgets():
            w.textChanged.connect(self._update)
        self.setMinimumWidth(460)
        self._update()

    def _update(self) -> None:
        problem = self.fields.problem()
        self.problem.setText(problem.strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def passphrase(self) -> str:
        return self.fields.passphrase.text()
