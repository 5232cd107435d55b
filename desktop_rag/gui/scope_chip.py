"""The chip above the question box that says what a question is asked within (a document,
some documents, a folder) and clears with one click."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget


class ScopeChip(QFrame):
    """Hidden while questions go to the whole library."""

    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scopeChip")
        self.label = QLabel("")
        self.label.setObjectName("scopeChipText")
        self.clear_btn = QToolButton()
        self.clear_btn.setText("✕")
        self.clear_btn.setAutoRaise(True)
        self.clear_btn.setToolTip(self.tr("Ask the whole library again"))
        self.clear_btn.clicked.connect(self.cleared.emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 2, 2, 2)
        row.setSpacing(4)
        row.addWidget(self.label)
        row.addWidget(self.clear_btn)
        self.hide()

    def show_scope(self, text: str, details: str = "") -> None:
        """Show `text` ("Asking in “report.pdf”"), with the scope's documents as a tooltip."""
        self.label.setText(text)
        self.setToolTip(details)
        self.show()
