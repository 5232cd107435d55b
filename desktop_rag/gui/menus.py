"""The window's menus and status bar, and the wiring of its panels' signals.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

translate = QCoreApplication.translate


class MenusMixin:
    """Menus, status bar and signal wiring of the main window."""

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress_label = QLabel("")
        self.cancel_btn = QPushButton(translate("MainWindow", "Cancel"))
        self.cancel_btn.setToolTip(
            translate("MainWindow", "Stop indexing; what is indexed so far is kept")
        )
        self.cancel_btn.clicked.connect(self.cancel_ingest)
        self.model_label = QLabel(translate("MainWindow", "Model: starting…"))
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
        m = self.menuBar().addMenu(translate("MainWindow", "&File"))
        self._action(
            m,
            translate("MainWindow", "Add &files…"),
            self.add_files_dialog,
            QKeySequence.StandardKey.Open,
        )
        self._action(
            m, translate("MainWindow", "Add f&older…"), self.add_folder_dialog, "Ctrl+Shift+O"
        )
        m.addSeparator()
        self._action(
            m, translate("MainWindow", "&New library…"), self.new_library_dialog, "Ctrl+Shift+N"
        )
        self.encrypt_action = self._action(
            m, translate("MainWindow", "&Encrypt library…"), self.encrypt_library_dialog
        )
        self.decrypt_action = self._action(
            m, translate("MainWindow", "&Decrypt library…"), self.decrypt_library_dialog
        )
        self.encrypt_action.setEnabled(False)
        self.decrypt_action.setEnabled(False)
        self._action(m, translate("MainWindow", "&Settings…"), self.settings_dialog, "Ctrl+,")
        m.addSeparator()
        self._action(m, translate("MainWindow", "&Quit"), self.close, QKeySequence.StandardKey.Quit)
        c = self.menuBar().addMenu(translate("MainWindow", "&Chat"))
        self._action(c, translate("MainWindow", "&New chat"), self.new_chat, "Ctrl+N")
        self.stop_action = self._action(
            c, translate("MainWindow", "&Stop answer"), self.stop_answer, "Esc"
        )
        self.stop_action.setEnabled(False)
        c.addSeparator()
        self._action(
            c,
            translate("MainWindow", "S&ummarize the selected document"),
            self.summarize_selected,
            "Ctrl+Shift+S",
        )
        self._action(
            c, translate("MainWindow", "Ask the &whole library"), self.clear_scope, "Ctrl+Shift+L"
        )
        c.addSeparator()
        self._action(
            c, translate("MainWindow", "&Export answer…"), self.export_last_answer, "Ctrl+E"
        )
        self._action(
            c, translate("MainWindow", "Export &whole chat…"), self.export_chat, "Ctrl+Shift+E"
        )
        v = self.menuBar().addMenu(translate("MainWindow", "&View"))
        self._action(
            v,
            translate("MainWindow", "Zoom &in"),
            lambda: self.viewer.zoom_by(1.2),
            QKeySequence.StandardKey.ZoomIn,
        )
        self._action(
            v,
            translate("MainWindow", "Zoom &out"),
            lambda: self.viewer.zoom_by(1 / 1.2),
            QKeySequence.StandardKey.ZoomOut,
        )
        self._action(v, translate("MainWindow", "Fit &width"), self.viewer.set_fit_width, "Ctrl+0")
        self._action(v, translate("MainWindow", "&Previous page"), self.viewer.prev_page, "PgUp")
        self._action(v, translate("MainWindow", "&Next page"), self.viewer.next_page, "PgDown")
        h = self.menuBar().addMenu(translate("MainWindow", "&Help"))
        self._action(
            h,
            translate("MainWindow", "&User guide"),
            self.open_user_guide,
            QKeySequence.StandardKey.HelpContents,
        )
        self._action(h, translate("MainWindow", "&About desktop-rag"), self.about)

    def _connect(self) -> None:
        lp = self.library_panel
        lp.library_chosen.connect(self.switch_library)
        lp.new_library.connect(self.new_library_dialog)
        lp.rename_library.connect(self.rename_library_dialog)
        lp.delete_library.connect(self.delete_library_dialog)
        lp.unlock_requested.connect(self.unlock_library)
        lp.remove_documents.connect(self.remove_documents)
        lp.reindex_documents.connect(lambda paths: self.ingest(paths, force=True))
        lp.open_document.connect(lambda p: QDesktopServices.openUrl(QUrl.fromLocalFile(p)))
        lp.ask_in_documents.connect(self.ask_in_documents)
        lp.summarize_document.connect(self.summarize_document)
        lp.summarize_pages.connect(self.summarize_pages_dialog)
        self.chat_view.scope_chip.cleared.connect(self.clear_scope)
        self.chat_view.summarize_requested.connect(self.summarize_document)
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
        folders.ask_in_folder.connect(self.ask_in_folder)
        fs = self.folder_sync
        fs.synced.connect(self._folder_synced)
        fs.failed.connect(self._error)
        fs.progress.connect(self._sync_progress)
        fs.task_started.connect(self._ingest_tasks.append)
        fs.task_finished.connect(self._ingest_finished)
        self.viewer.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
