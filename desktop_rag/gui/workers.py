"""Worker lanes: the only place where core callbacks, results and errors become Qt signals.

A lane is one long-lived thread that runs tasks in order (the index lane owns the SQLite
writer and the embedder; the ask lane owns the LLM). Each task gets a CancelToken; a task's
results arrive on the GUI thread through its signals, and a cancelled task's are dropped."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from desktop_rag.core.errors import Cancelled
from desktop_rag.core.tasks import CancelToken

log = logging.getLogger(__name__)

TEXT_BATCH_S = 0.04  # tokens reach the view at most every 40 ms


class TaskSignals(QObject):
    progress = Signal(object)
    text = Signal(str)
    result = Signal(object)
    error = Signal(object)  # the exception; its traceback is in the log
    done = Signal()


class Task(QRunnable):
    """fn(task) -> result, run on a lane; fn may call task.report(x) and task.emit_text(s)."""

    def __init__(self, fn: Callable[[Task], Any], name: str = "") -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python keeps it alive until done
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "task")
        self.cancel = CancelToken()
        self.signals = TaskSignals()
        self._pending: list[str] = []
        self._last_flush = 0.0

    def report(self, value: Any) -> None:
        if not self.cancel.cancelled:
            self.signals.progress.emit(value)

    def emit_text(self, piece: str) -> None:
        """Batch streamed text so the GUI repaints every ~40 ms, not once per token."""
        self._pending.append(piece)
        now = time.monotonic()
        if now - self._last_flush >= TEXT_BATCH_S:
            self._flush(now)

    def _flush(self, now: float) -> None:
        if self._pending and not self.cancel.cancelled:
            self.signals.text.emit("".join(self._pending))
        self._pending.clear()
        self._last_flush = now

    def run(self) -> None:
        try:
            result = self.fn(self)
            self._flush(time.monotonic())
            if not self.cancel.cancelled:
                self.signals.result.emit(result)
        except Cancelled:
            log.info("task %s cancelled", self.name)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            if not self.cancel.cancelled:
                log.error("task %s failed:\n%s", self.name, traceback.format_exc())
                self.signals.error.emit(exc)
        finally:
            self.signals.done.emit()


class Lane:
    """One worker thread that runs tasks in order and keeps its thread (and what lives on it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self.pool.setExpiryTimeout(-1)  # the same thread for the lane's whole life
        self._tasks: list[Task] = []
        self._idle: list[Callable[[], None]] = []

    def on_idle(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the GUI thread each time the lane's last task is done (after
        that task's own handlers)."""
        self._idle.append(callback)

    def submit(
        self,
        fn: Callable[[Task], Any],
        *,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_text: Callable[[str], None] | None = None,
        on_done: Callable[[], None] | None = None,
        name: str = "",
    ) -> Task:
        task = Task(fn, name)
        # forget first, so the caller's on_done already sees the lane without this task
        task.signals.done.connect(lambda t=task: self._forget(t))
        if on_result:
            task.signals.result.connect(on_result)
        if on_error:
            task.signals.error.connect(on_error)
        if on_progress:
            task.signals.progress.connect(on_progress)
        if on_text:
            task.signals.text.connect(on_text)
        if on_done:
            task.signals.done.connect(on_done)
        self._tasks.append(task)
        self.pool.start(task)
        return task

    def _forget(self, task: Task) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        if not self._tasks:
            for callback in self._idle:
                QTimer.singleShot(0, callback)

    @property
    def pending(self) -> list[Task]:
        """Tasks submitted and not yet done."""
        return list(self._tasks)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel.cancel()

    def wait(self, timeout_ms: int = 10_000) -> bool:
        return bool(self.pool.waitForDone(timeout_ms))
