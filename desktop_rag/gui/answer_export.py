"""Export an answer, or the whole chat, as evidence (PDF with page images, or Markdown): ask
where, write it in a child process while the window stays responsive, say where it went."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_rag.core.answers.export import Exchange, ExportInfo, export_in_child
from desktop_rag.core.config import data_dir
from desktop_rag.gui.workers import Lane, Task


def finished_exchanges(exchanges: list[dict[str, Any]]) -> list[Exchange]:
    """The chat view's exchanges that have a complete answer, ready to export."""
    return [
        Exchange(e["question"], dict(e["answer"]))
        for e in exchanges
        if e.get("answer") and not e["answer"].get("streaming")
    ]


def default_file_name(title: str) -> str:
    """A file name from a question: letters of any script kept, the rest made dashes."""
    name = re.sub(r"[^\w]+", "-", title, flags=re.UNICODE).strip("-")[:60].rstrip("-")
    return name or "answer"


class AnswerExporter(QObject):
    """Runs exports on a lane of its own; `message` carries what the status bar should say."""

    message = Signal(str, int)  # text, milliseconds
    failed = Signal(object)  # the exception
    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.window = parent
        self.lane = Lane("export")
        self._task: Task | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None

    def ask_and_export(self, exchanges: list[Exchange], title: str, library: str) -> None:
        """Ask for a file (PDF or Markdown) and export `exchanges` into it."""
        if not exchanges:
            self.message.emit(self.tr("There is no answer to export yet."), 5000)
            return
        pdf_filter = self.tr("PDF with the cited pages (*.pdf)")
        md_filter = self.tr("Markdown text (*.md)")
        folder = self._last_folder()
        suggested = str(Path(folder) / f"{default_file_name(title)}.pdf")
        path, chosen = QFileDialog.getSaveFileName(
            self.window, self.tr("Export as evidence"), suggested, f"{pdf_filter};;{md_filter}"
        )
        if not path:
            return
        if Path(path).suffix.lower() not in (".pdf", ".md", ".markdown"):
            path += ".md" if chosen == md_filter else ".pdf"
        self._remember_folder(str(Path(path).parent))
        self.export(exchanges, path, ExportInfo(title=title, library=library))

    def export(self, exchanges: list[Exchange], path: str, info: ExportInfo) -> Task:
        """Write the export in the background; progress and the result go to `message`."""
        if self._task is not None:
            self._task.cancel.cancel()
        self.message.emit(self.tr("Exporting to {name}…").format(name=Path(path).name), 0)
        task = self.lane.submit(
            lambda t: export_in_child(exchanges, path, info, t.report, t.cancel),
            on_progress=self._progress,
            on_result=self._done,
            on_error=self._error,
            on_done=lambda: self._finished(task),
            name="export",
        )
        self._task = task
        self.busy_changed.emit(True)
        return task

    def cancel(self) -> None:
        self.lane.cancel_all()

    def _progress(self, p: Any) -> None:
        self.message.emit(
            self.tr("Exporting: page image {done} of {total}…").format(
                done=p.files_done, total=p.files_total
            ),
            0,
        )

    def _done(self, path: Path) -> None:
        self.message.emit(self.tr("Exported to {path}").format(path=path), 15000)

    def _error(self, exc: Exception) -> None:
        self.message.emit("", 1)
        self.failed.emit(exc)

    def _finished(self, task: Task) -> None:
        if self._task is task:
            self._task = None
            self.busy_changed.emit(False)

    def _settings(self) -> QSettings:
        return QSettings(str(data_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _last_folder(self) -> str:
        folder = self._settings().value("export_folder", "")
        if isinstance(folder, str) and folder and Path(folder).is_dir():
            return folder
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return docs or str(Path.home())

    def _remember_folder(self, folder: str) -> None:
        settings = self._settings()
        settings.setValue("export_folder", folder)
        settings.sync()
