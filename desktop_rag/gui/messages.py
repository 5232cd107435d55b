"""The one funnel for messages a person sees: errors they can act on, and bugs."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_rag.core.errors import UserError

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> tuple[str, str]:
    """(message, hint) for any exception: a UserError as written, anything else as a bug."""
    if isinstance(exc, UserError):
        return exc.message, exc.hint
    from desktop_rag.core.config import data_dir

    translate = QCoreApplication.translate
    return (
        translate("Messages", "Something went wrong inside desktop-rag ({error}).").format(
            error=f"{type(exc).__name__}: {exc}"
        ),
        translate("Messages", "This is a bug. Details are in the log: {path}").format(
            path=data_dir() / "logs" / "desktop-rag.log"
        ),
    )


def show_error(parent: QWidget | None, exc: BaseException, title: str = "desktop-rag") -> None:
    message, hint = describe(exc)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(message)
    if hint:
        box.setInformativeText(hint)
    box.setModal(True)
    box.open()  # never blocks the event loop
