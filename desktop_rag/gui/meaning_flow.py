"""Meaning search follows keyword search: the embeddings of documents already stored (and
searchable by keywords) are computed on the index lane when nothing more urgent waits.

Files are indexed in two stages. Adding them stores each one at once, searchable by keywords;
then this part embeds what is pending, a group of chunks at a time: between two groups it steps
aside when other index work is queued (and comes back when the lane is idle), and waits while
a question is being answered. A library left with pending chunks (closed, cancelled, a
crash) carries on when it is opened again. Cancel stops it until the next files are added.

A part of MainWindow (a mixin): its strings keep the "MainWindow" translation context."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QCoreApplication

from desktop_rag.gui.workers import Task

translate = QCoreApplication.translate

ASK_WAIT_S = 0.2  # how often a pass waiting for an answer looks again


class MeaningFlowMixin:
    """The second indexing stage, in the background."""

    _meaning_task: Task | None = None
    _meaning_stopped = False  # the user cancelled it: wait for the next files

    def meaning_pending(self) -> bool:
        """Whether documents still wait for their embeddings (and will get them)."""
        if self._meaning_stopped or self.view_store is None:
            return False
        return bool(self.view_store.pending_counts()[0])

    def schedule_meaning(self) -> None:
        """Start embedding what is pending, unless other index work should go first (the
        lane calls this again once it is idle)."""
        lib = self.library
        if lib is None or self._closing or self._meaning_task is not None:
            return
        if self.index_lane.busy or not self.meaning_pending():
            return
        lane, ask_lane = self.index_lane, self.ask_lane

        def work(task: Task) -> Any:
            def pause() -> bool:
                # read from the lane's thread: lists' lengths, no Qt call. Other index work
                # first: step aside (the lane comes back here once idle). An answer being
                # written has the cores: wait for it, asleep.
                while ask_lane.busy and len(lane.pending) <= 1 and not task.cancel.cancelled:
                    time.sleep(ASK_WAIT_S)
                return len(lane.pending) > 1

            return lib.embed_pending(progress=task.report, cancel=task.cancel, pause=pause)

        task = self.index_lane.submit(
            work,
            on_progress=self._ingest_progress,
            on_error=self._meaning_failed,
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

    def _meaning_failed(self, exc: Exception) -> None:
        self._meaning_stopped = True  # not again and again: the next files try once more
        self._error(exc)

    def _meaning_finished(self) -> None:
        task, self._meaning_task = self._meaning_task, None
        if task is not None and task.cancel.cancelled:
            self._meaning_stopped = True
        self._ingest_finished()

    def _resume_meaning(self) -> None:
        """New files were added (or another library opened): cancelling no longer holds."""
        self._meaning_stopped = False
