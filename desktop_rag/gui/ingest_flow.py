"""Documents in the window: adding files and folders on the index lane, its progress,
the summary of what failed, passwords, removing documents, and linked folders.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
)

from desktop_rag.core.documents.guide import is_guide
from desktop_rag.gui.workers import Task

translate = QCoreApplication.translate


class IngestFlowMixin:
    """Adding, indexing and removing documents; linked folders."""

    def refresh_documents(self) -> None:
        if self.view_store is None or self.library is None:
            return
        docs = self.view_store.documents()
        self.library_panel.set_documents(
            docs,
            self._indexing_path,
            self.view_store.parts(),
            self.view_store.pending_by_document(),
        )
        stats = self.view_store.stats()
        size = sum(f.stat().st_size for f in self.library.path.iterdir() if f.is_file())
        self.size_label.setText(
            translate("MainWindow", "{documents} · {pages} · {size:.1f} MB").format(
                documents=_documents(stats["documents"]),
                pages=_pages(stats["pages"]),
                size=size / 1e6,
            )
        )
        self.library_panel.summary.setText(
            _documents(len(docs))
            if docs
            else translate("MainWindow", "No documents yet: drop files here.")
        )
        own = [d for d in docs if not is_guide(d["path"])]
        guide = any(is_guide(d["path"]) and d["status"] == "ready" for d in docs)
        self.chat_view.set_empty_text(not own, guide=guide)

    def add_files_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from desktop_rag.core.documents.loaders import SUPPORTED_SUFFIXES

        patterns = " ".join(f"*{suffix}" for suffix in SUPPORTED_SUFFIXES)
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            translate("MainWindow", "Add files"),
            "",
            translate("MainWindow", "Documents")
            + f" ({patterns});;"
            + translate("MainWindow", "All files")
            + " (*)",
        )
        if paths:
            self.ingest(paths)

    def add_folder_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path = QFileDialog.getExistingDirectory(
            self, translate("MainWindow", "Add a folder (it stays linked)")
        )
        if path:
            self.ingest([path])

    def ingest(
        self, paths: list[str], passwords: dict[str, str] | None = None, force: bool = False
    ) -> None:
        """Index files and folders on the index lane; the window stays responsive."""
        lib = self.library
        if lib is None:
            self.statusBar().showMessage(
                translate("MainWindow", "The library is still opening; try again in a moment."),
                5000,
            )
            return

        self._resume_meaning()

        def work(task: Task) -> Any:
            # a folder added stays linked: the library follows it from now on...
            known = {f["path"] for f in lib.linked_folders()}
            linked = [lib.link_folder(p) for p in paths if Path(p).is_dir()]
            try:
                # searchable by keywords as each file is stored; meaning follows
                # (schedule_meaning, once the lane has nothing more urgent)
                return lib.ingest(
                    paths,
                    progress=task.report,
                    cancel=task.cancel,
                    passwords=passwords,
                    force=force,
                    embed=False,
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
        self.progress_label.setText(translate("MainWindow", "Looking at the files…"))
        for w in (self.progress, self.progress_label, self.cancel_btn):
            w.show()

    def _ingest_progress(self, p: Any) -> None:
        if p.stage == "meaning":  # the second stage: embeddings of what is stored
            self._meaning_progress(p)
            return
        self.progress.setRange(0, max(1, p.files_total))
        self.progress.setValue(p.files_done)
        self.progress.setFormat(
            translate("MainWindow", "{done}/{total} files").format(
                done=p.files_done, total=p.files_total
            )
        )
        eta = (
            " · "
            + translate("MainWindow", "about {time} left").format(time=_duration(p.eta_seconds))
            if p.eta_seconds
            else ""
        )
        current = f" · {p.current}" if p.current else ""
        self.progress_label.setText(
            translate("MainWindow", "{pages} pages · {chunks} chunks").format(
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

    def _meaning_progress(self, p: Any) -> None:
        done = int(p.extra.get("meaning_done", 0))
        total = int(p.extra.get("meaning_total", 0))
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(
            translate("MainWindow", "meaning {done}/{total}").format(done=done, total=total)
        )
        eta = (
            " · "
            + translate("MainWindow", "about {time} left").format(time=_duration(p.eta_seconds))
            if p.eta_seconds
            else ""
        )
        self.progress_label.setText(
            translate("MainWindow", "Searchable by keywords · meaning in progress") + eta
        )
        now = time.monotonic()
        if now - self._last_doc_refresh > 2.0:
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
            translate("MainWindow", "Indexing finished: {summary}").format(
                summary=_report_summary(report)
            ),
            10000,
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
            self.schedule_meaning()  # the embeddings of what was just stored

    def cancel_ingest(self) -> None:
        for task in self._ingest_tasks:
            task.cancel.cancel()
        if self._ingest_tasks:
            self.statusBar().showMessage(
                translate("MainWindow", "Indexing cancelled; what was finished is kept."), 8000
            )

    def _show_summary(self, outcomes: list[Any]) -> None:
        lines = [f"{Path(o.path).name}: {o.message}" for o in outcomes]
        if self._summary is None:
            dlg = QDialog(self)
            dlg.setWindowTitle(translate("MainWindow", "Some files were not added"))
            text = QPlainTextEdit()
            text.setReadOnly(True)
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            buttons.rejected.connect(dlg.close)
            layout = QVBoxLayout(dlg)
            layout.addWidget(
                QLabel(
                    translate(
                        "MainWindow",
                        "These files were skipped or could not be read; the others were added.",
                    )
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
            prompt = translate("MainWindow", "“{name}” is protected by a password.").format(
                name=name
            )
            if o.code == "wrong-password":
                prompt = translate(
                    "MainWindow", "The password for “{name}” was wrong. Try again:"
                ).format(name=name)
            pw, ok = QInputDialog.getText(
                self, translate("MainWindow", "Password"), prompt, QLineEdit.EchoMode.Password
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
        box.setWindowTitle(translate("MainWindow", "Unlink folder"))
        box.setText(translate("MainWindow", "Stop following “{folder}”?").format(folder=folder))
        box.setInformativeText(
            translate(
                "MainWindow", "Its documents can stay or be removed. Your files are not touched."
            )
        )
        keep = box.addButton(
            translate("MainWindow", "Unlink, keep documents"), QMessageBox.ButtonRole.AcceptRole
        )
        remove = box.addButton(
            translate("MainWindow", "Unlink and remove its documents"),
            QMessageBox.ButtonRole.DestructiveRole,
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
                translate("MainWindow", "Unlinked {folder}; {n} documents removed.").format(
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
            text = translate("MainWindow", "{folder} is missing (moved, or a drive not connected).")
        else:
            text = translate(
                "MainWindow",
                "{folder}: {added} added, {updated} updated, {moved} renamed, {removed} removed",
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
