"""The window's dialogs: Settings (and what a change sets off), About, and the user guide.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

import importlib.metadata
import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop_rag import __version__
from desktop_rag.core.config import Settings, data_dir
from desktop_rag.core.documents.guide import GUIDE_TITLE, ensure_guide_pdf, is_guide
from desktop_rag.core.errors import UserError
from desktop_rag.core.search.embedding import E5_SOURCE
from desktop_rag.gui.app import resource
from desktop_rag.gui.messages import show_error

log = logging.getLogger(__name__)
translate = QCoreApplication.translate
PRIVACY = QT_TRANSLATE_NOOP(
    "MainWindow", "Everything stays on this computer: no upload, no account, no network."
)


class DialogsMixin:
    """Settings, About and the user guide."""

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
            translate("MainWindow", "Language"),
            translate(
                "MainWindow", "The new language shows when desktop-rag starts again. Restart now?"
            ),
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

    def about(self) -> None:
        def version(dist: str) -> str:
            try:
                return importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                return translate("MainWindow", "not installed")

        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        model = self.model_name or self.model_label.text()
        embedding = self.library.embedding_model.id if self.library else "—"
        generator = self._ask_state.generator
        if generator is not None:
            info = generator.info
            licence = translate("MainWindow", ", licence {licence}").format(licence=info.licence)
            model = f"{info.name} ({info.size_label}{licence if info.licence else ''})"
        cpu_code = (generator.runtime.get("cpu_code") if generator else "") or translate(
            "MainWindow", "llama.cpp CPU code: shown once the answering model has loaded"
        )
        QMessageBox.about(
            self,
            translate("MainWindow", "About desktop-rag"),
            f"<b>desktop-rag {__version__}</b><br>"
            + _html(translate("MainWindow", "Ask questions about your own documents."))
            + "<br><br>"
            + f"Qt {qVersion()} (PySide6 {pyside_version})<br>"
            + f"llama.cpp via llama-cpp-python {version('llama-cpp-python')}<br>"
            + f"{_html(cpu_code)}<br>"
            + _html(translate("MainWindow", "Answering model: {name}").format(name=model))
            + "<br>"
            + _html(translate("MainWindow", "Embedding model: {name}").format(name=embedding))
            + "<br>"
            + _html(
                translate("MainWindow", "Bundled embedding model: {source}").format(
                    source=E5_SOURCE
                )
            )
            + "<br>"
            + _html(translate("MainWindow", "Data folder: {path}").format(path=data_dir()))
            + f"<br><br><b>{_html(translate('MainWindow', PRIVACY))}</b>",
        )

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

    def open_user_guide(self) -> None:
        """Help > User guide: the guide in the source viewer."""
        try:
            pdf, changed = ensure_guide_pdf(resource("user-guide.md"))
        except OSError as exc:
            show_error(
                self,
                UserError(
                    translate("MainWindow", "The user guide cannot be opened ({reason}).").format(
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


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
