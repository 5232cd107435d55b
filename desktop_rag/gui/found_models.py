"""Settings' list of models other apps downloaded (Ollama, LM Studio, GPT4All, Jan, the Hugging
Face cache): found in the background from their headers, used with one click by reference."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_rag.core.answers.model_discovery import FoundModel, find_models, use_found_model
from desktop_rag.core.answers.models import ModelInfo
from desktop_rag.core.errors import UserError
from desktop_rag.gui.messages import show_error
from desktop_rag.gui.workers import Lane, Task

_lane: Lane | None = None


def _scan_lane() -> Lane:
    """One lane for the whole app: a dialog closed mid-scan must not wait for it."""
    global _lane
    if _lane is None:
        _lane = Lane("model-scan")
    return _lane


class FoundModelsBox(QGroupBox):
    """The models found on this computer; `chosen` carries the one the user picked, already
    registered by reference."""

    chosen = Signal(object)  # ModelInfo

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Models found on this computer"), parent)
        self.models: list[FoundModel] = []
        self._task: Task | None = None
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(
            [self.tr("Model"), self.tr("Size"), self.tr("Quantization"), self.tr("Context"),
             self.tr("From")]
        )  # fmt: skip
        self.tree.setRootIsDecorated(False)
        self.tree.setMinimumHeight(120)
        self.tree.itemDoubleClicked.connect(lambda _item, _col: self.use_selected())
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.use_btn = QPushButton(self.tr("Use this model"))
        self.use_btn.setToolTip(
            self.tr("Answer with it where it is: linked, not copied (or double-click it)")
        )
        self.use_btn.clicked.connect(self.use_selected)
        self.rescan_btn = QPushButton(self.tr("Look again"))
        self.rescan_btn.clicked.connect(self.scan)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.rescan_btn)
        buttons.addWidget(self.use_btn)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def scan(self) -> None:
        """Look for models in the background; the dialog stays responsive."""
        if self._task is not None:
            return
        self.status.setText(
            self.tr("Looking in the folders of Ollama, LM Studio, GPT4All, Jan and Hugging Face…")
        )
        self.rescan_btn.setEnabled(False)
        self._task = _scan_lane().submit(
            lambda _task: find_models(),
            on_result=self._found,
            on_error=self._failed,
            name="find-models",
        )

    def cancel(self) -> None:
        """Drop the scan's result (the dialog is closing)."""
        if self._task is not None:
            self._task.cancel.cancel()
            self._task = None

    def _found(self, models: list[FoundModel]) -> None:
        self._task = None
        self.models = models
        self.tree.clear()
        for m in models:
            item = QTreeWidgetItem(
                [m.name, m.size_label, m.info.quantization, str(m.info.context_length), m.source]
            )
            item.setToolTip(0, f"{m.info.name}\n{m.path}")
            item.setToolTip(4, m.folder)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight)
            self.tree.addTopLevelItem(item)
        if models:
            self.status.setText(
                self.tr("{n} found. They stay where they are: nothing is copied.").format(
                    n=len(models)
                )
            )
        else:
            self.status.setText(
                self.tr("No models of Ollama, LM Studio, GPT4All, Jan or Hugging Face found.")
            )
        self.rescan_btn.setEnabled(True)
        self._update_buttons()

    def _failed(self, exc: Exception) -> None:
        self._task = None
        self.rescan_btn.setEnabled(True)
        self.status.setText(self.tr("The search for models failed."))
        show_error(self, exc)

    def _update_buttons(self) -> None:
        self.use_btn.setEnabled(bool(self.tree.selectedItems()))

    def selected(self) -> FoundModel | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        return self.models[self.tree.indexOfTopLevelItem(items[0])]

    def use_selected(self) -> ModelInfo | None:
        """Register the selected model by reference and announce it through `chosen`."""
        model = self.selected()
        if model is None:
            return None
        try:
            info = use_found_model(model)
        except (UserError, OSError) as exc:
            show_error(self, exc)
            return None
        self.status.setText(self.tr("{name} will answer once you press OK.").format(name=info.name))
        self.chosen.emit(info)
        return info

    def closeEvent(self, event: Any) -> None:
        self.cancel()
        super().closeEvent(event)
