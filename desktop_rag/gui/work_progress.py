"""A line under the transcript for long work on the ask lane (a summary): what is being read,
how far along, and about how long is left. Stop (or Esc) cancels it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget


class WorkProgress(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("")
        self.label.setObjectName("muted")
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.bar)
        self.hide()

    def report(self, progress: Any) -> None:
        """Show a core Progress of a summary: the part read now, parts done, time left."""
        total = max(1, int(progress.files_total or 1))
        done = min(int(progress.files_done or 0), total)
        if done >= total or not progress.current:
            self.hide()
            return
        text = self.tr("Summarizing — {part} ({n} of {total})").format(
            part=progress.current, n=done + 1, total=total
        )
        left = progress.eta_seconds
        if left:
            text += " · " + (
                self.tr("about {n} s left").format(n=max(1, round(left)))
                if left < 90
                else self.tr("about {n} min left").format(n=max(1, round(left / 60)))
            )
        self.label.setText(text)
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self.show()
