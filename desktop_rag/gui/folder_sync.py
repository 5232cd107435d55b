"""Keeps the open library in step with its linked folders while the window is open: a pass
over each at start (what changed while the app was closed), then one whenever the watcher
says a folder changed. Every pass runs on the index lane, the library's one writer."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_rag.core.indexing.watch import SETTLE_S, FolderWatcher, SyncReport
from desktop_rag.core.library import Library
from desktop_rag.gui.workers import Lane, Task

log = logging.getLogger(__name__)

TICK_MS = 250


class FolderSync(QObject):
    """Watches the library's linked folders and runs sync passes on the index lane."""

    synced = Signal(object)  # a SyncReport
    failed = Signal(object)  # the exception
    progress = Signal(object)  # Progress of a pass that indexes files
    task_started = Signal(object)  # the Task, so the window can offer Cancel
    task_finished = Signal()

    def __init__(self, lane: Lane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lane = lane
        self.watcher = FolderWatcher()
        self.library: Library | None = None
        self._queued: set[str] = set()
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    @property
    def busy(self) -> bool:
        """Whether a pass is queued or running, or a change waits for quiet."""
        return bool(self._queued) or self.watcher.pending()

    def start(self, library: Library, folders: list[str]) -> None:
        """Follow `library`'s linked folders, beginning with a pass over each."""
        self.stop()
        self.library = library
        self.watch(folders)
        for folder in folders:
            self.sync(folder)
        self.timer.start()

    def watch(self, folders: list[str]) -> None:
        """Watch exactly these folders (after a folder was linked or unlinked)."""
        if self.library is None:
            return
        try:
            self.watcher.watch(folders)
        except Exception:  # no watcher at all: the passes at start still ran
            log.exception("the folder watcher could not start")

    def stop(self) -> None:
        self.timer.stop()
        self.watcher.stop()
        self.library = None
        self._queued.clear()

    def sync(self, folder: str) -> Task | None:
        """Queue a pass over `folder` on the index lane (once, however often asked)."""
        lib = self.library
        if lib is None or folder in self._queued:
            return None
        self._queued.add(folder)

        def work(task: Task) -> SyncReport:
            # keywords first; the window's meaning pass embeds afterwards
            return lib.sync_folder(folder, progress=task.report, cancel=task.cancel, embed=False)

        task = self.lane.submit(
            work,
            on_progress=self.progress.emit,
            on_result=lambda report: self._synced(lib, report),
            on_error=self.failed.emit,
            on_done=lambda: self._done(folder),
            name="sync",
        )
        self.task_started.emit(task)
        return task

    def _tick(self) -> None:
        for folder in self.watcher.due():
            self.sync(folder)

    def _synced(self, lib: Library, report: SyncReport) -> None:
        if lib is not self.library:
            return  # the window moved on to another library
        if report.waiting:  # files still being written: look again once they settle
            self.watcher.again(report.folder, SETTLE_S)
        self.synced.emit(report)

    def _done(self, folder: str) -> None:
        self._queued.discard(folder)
        self.task_finished.emit()
