"""Settings: the answering model, the embedding model for new libraries, and answer options."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_rag.core.config import Settings
from desktop_rag.core.errors import UserError
from desktop_rag.core.models import ModelInfo, list_models, read_gguf_info
from desktop_rag.gui.messages import show_error

BUNDLED_EMBEDDING = "Bundled: multilingual-e5-small (about 100 languages); or type minilm"


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, library_model: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.library_model = library_model
        self.models: list[ModelInfo] = []

        self.llm = QComboBox()
        self.llm_info = QLabel("")
        self.llm_info.setObjectName("muted")
        self.llm_info.setWordWrap(True)
        choose = QPushButton("Choose .gguf…")
        choose.clicked.connect(self._choose_gguf)
        llm_row = QHBoxLayout()
        llm_row.addWidget(self.llm, 1)
        llm_row.addWidget(choose)
        self.llm.currentIndexChanged.connect(self._show_llm_info)
        self._fill_models(settings.llm_path)

        self.embedding = QLineEdit(settings.embedding_model)
        self.embedding.setPlaceholderText(BUNDLED_EMBEDDING)
        pick = QPushButton("Folder…")
        pick.clicked.connect(self._choose_embedding)
        emb_row = QHBoxLayout()
        emb_row.addWidget(self.embedding, 1)
        emb_row.addWidget(pick)
        emb_note = QLabel(
            "Used for new libraries. A library keeps the model it was built with; "
            "using another one means re-embedding every document. “minilm” is the "
            "bundled English-only all-MiniLM-L6-v2 of earlier versions."
        )
        emb_note.setWordWrap(True)
        emb_note.setObjectName("muted")

        self.top_k = QSpinBox()
        self.top_k.setRange(1, 20)
        self.top_k.setValue(settings.top_k)
        self.answer_len = QSpinBox()
        self.answer_len.setRange(32, 4096)
        self.answer_len.setSingleStep(64)
        self.answer_len.setValue(settings.max_answer_tokens)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 1.5)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(settings.temperature)
        self.threads = QSpinBox()
        self.threads.setRange(0, 64)
        self.threads.setSpecialValueText("automatic (physical cores)")
        self.threads.setValue(settings.threads)

        form = QFormLayout()
        form.addRow("Answering model", llm_row)
        form.addRow("", self.llm_info)
        form.addRow("Embedding model", emb_row)
        form.addRow("", emb_note)
        form.addRow("Sources per answer", self.top_k)
        form.addRow("Answer length (tokens)", self.answer_len)
        form.addRow("Temperature", self.temperature)
        form.addRow("Threads", self.threads)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    def _fill_models(self, current: str) -> None:
        try:
            self.models = list_models()
        except UserError as exc:
            self.models = []
            self.llm_info.setText(exc.message)
        if current and all(m.path != current for m in self.models):
            try:
                self.models.append(read_gguf_info(Path(current)))
            except UserError as exc:
                self.llm_info.setText(exc.message)
        self.llm.blockSignals(True)
        self.llm.clear()
        for m in self.models:
            self.llm.addItem(m.name, m.path)
        index = next((i for i, m in enumerate(self.models) if m.path == current), 0)
        self.llm.setCurrentIndex(index)
        self.llm.blockSignals(False)
        self._show_llm_info()

    def _show_llm_info(self) -> None:
        i = self.llm.currentIndex()
        if 0 <= i < len(self.models):
            m = self.models[i]
            self.llm_info.setText(
                f"{m.architecture}, {m.quantization}, {m.size_label}, "
                f"context {m.context_length} tokens"
            )

    def _choose_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model", "", "GGUF models (*.gguf)")
        if not path:
            return
        try:
            info = read_gguf_info(Path(path))
        except UserError as exc:
            show_error(self, exc)
            return
        self.models.append(info)
        self.llm.addItem(info.name, info.path)
        self.llm.setCurrentIndex(self.llm.count() - 1)

    def _choose_embedding(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a sentence-transformers model folder")
        if path:
            self.embedding.setText(path)

    def result_settings(self) -> Settings:
        """The settings as edited (the caller saves them)."""
        s = self.settings
        i = self.llm.currentIndex()
        chosen = self.models[i] if 0 <= i < len(self.models) else None
        s.llm_path = "" if chosen is None or chosen.bundled else chosen.path
        s.embedding_model = self.embedding.text().strip()
        s.top_k = self.top_k.value()
        s.max_answer_tokens = self.answer_len.value()
        s.temperature = round(self.temperature.value(), 2)
        s.threads = self.threads.value()
        return s
