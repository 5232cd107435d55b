"""Cancel tokens and progress reports shared by every slow piece of core work."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from desktop_rag.core.errors import Cancelled


class CancelToken:
    """A flag that slow work checks; set it from any thread to stop that work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, less if cancelled meanwhile; whether it was."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass
class Progress:
    """A snapshot of a long job, reported through a callback."""

    stage: str = ""
    files_done: int = 0
    files_total: int = 0
    pages_done: int = 0
    chunks_done: int = 0
    current: str = ""
    eta_seconds: float | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        return self.files_done / self.files_total if self.files_total else 0.0
