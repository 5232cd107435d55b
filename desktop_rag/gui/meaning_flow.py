"""Meaning search follows keyword search: the embeddings of documents already stored (and
searchable by keywords) are computed on the index lane when nothing more urgent waits.

Files are indexed in two stages. Adding them stores each one at once, searchable by keywords;
then this part embeds what is pending, a group of chunks at a time, and steps aside (the core
pauses between two groups) while other index work is queued or a question is being answered,
coming back once they are done. A library left with pending chunks (closed, cancelled, a
crash) carries on when it is opened again. Cancel stops it until the next files are added.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer

from desktop_rag.gui.workers import Task

translate = QCoreApplication.translate

RETRY_MS = 2000  # a paused pass looks again this long after (an answer being written)


class MeaningFlowMixin:
    """The second indexing stage, in the background."""

    _meaning_task: Task | None = None
    _meaning_stopped = False  # the user cancelled it: wait for the next files

    def schedule_meaning(self) -> None:
        """Start embedding what is pending, unless other work should go first."""
        lib = self.library
        if lib is None or self._closing or self._meaning_stopped:
            return
        if self._meaning_task is not None or self.index_lane.busy:
            return  # running already, or the lane's tasks end by calling this again
        if self.ask_lane.busy:  # an answer is being written: it has the cores
            QTimer.singleShot(RETRY_MS, self.schedule_meaning)
            return
        if self.view_store is None or not self.view_store.pending_counts()[0]:
            return

        def pause() -> bool:
            # read from the lane's thread: a list's length and a flag, no Qt call
            return len(self.index_lane.pending) > 1 or self.ask_lane.busy

        def work(task: Task) -> Any:
            return lib.embed_pending(progress=task.report, cancel=task.cancel, pause=pause)

        task = self.index_lane.submit(
            work,
            on_progress=self._ingest_progress,
            on_result=self._meaning_done,
            on_error=self._error,
            on_done=self._meaning_finished,
            name="meaning",
        )
        self._meaning_task = task
        self._ingest_tasks.append(task)
        self.progress.setRange(0, 0)
        self.progress_label.setText(
            translate("MainWindow", "Searchable by keywords · meaning in progress…")
        )
        for w in (self.progress, self.progress_label, self.cancel_btn):
            w.show()

    def _meaning_done(self, report: Any) -> None:
        if not report.finished:  # paused for other work: back after it
            QTimer.singleShot(RETRY_MS, self.schedule_meaning)
        elif report.chunks:
            self.statusBar().showMessage(
                translate("MainWindow", "Meaning search is ready for every document."), 8000
            )

    def _meaning_finished(self) -> None:
        task, self._meaning_task = self._meaning_task, None
        if task is not None and task.cancel.cancelled:
            self._meaning_stopped = True
        self._ingest_finished()

    def _resume_meaning(self) -> None:
        """New files were added (or another library opened): cancelling no longer holds."""
        self._meaning_stopped = False
