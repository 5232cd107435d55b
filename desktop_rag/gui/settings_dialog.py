"""Settings: the answering model, the embedding model for new libraries, and answer options."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QTimer
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

from desktop_rag.core.answers.models import ModelInfo, bundled_llm_path, list_models, read_gguf_info
from desktop_rag.core.config import Settings
from desktop_rag.core.errors import UserError
from desktop_rag.gui.found_models import FoundModelsBox
from desktop_rag.gui.messages import show_error
from desktop_rag.gui.translation import system_language_name

BUNDLED_EMBEDDING = QT_TRANSLATE_NOOP(
    "SettingsDialog",
    "Automatic: each library chooses from its documents",
)


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, library_model: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self.library_model = library_model
        self.models: list[ModelInfo] = []

        self.llm = QComboBox()
        self.llm_info = QLabel("")
        self.llm_info.setObjectName("muted")
        self.llm_info.setWordWrap(True)
        choose = QPushButton(self.tr("Choose .gguf…"))
        choose.clicked.connect(self._choose_gguf)
        llm_row = QHBoxLayout()
        llm_row.addWidget(self.llm, 1)
        llm_row.addWidget(choose)
        self.llm.currentIndexChanged.connect(self._show_llm_info)
        self._fill_models(settings.llm_path)

        self.embedding = QLineEdit(settings.embedding_model)
        self.embedding.setPlaceholderText(self.tr(BUNDLED_EMBEDDING))
        pick = QPushButton(self.tr("Folder…"))
        pick.clicked.connect(self._choose_embedding)
        emb_row = QHBoxLayout()
        emb_row.addWidget(self.embedding, 1)
        emb_row.addWidget(pick)
        emb_note = QLabel(
            self.tr(
                "Used for new libraries. Left empty, a library takes the model that reads its "
                "first document best: the English-only all-MiniLM-L6-v2 for English, "
                "multilingual-e5-small (about 100 languages) for any other language, and for "
                "every library while the window speaks Korean. Type “minilm” or “e5” to fix "
                "one. A library keeps its model; using another one means re-embedding every "
                "document."
            )
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
        self.threads.setSpecialValueText(self.tr("automatic (physical cores)"))
        self.threads.setValue(settings.threads)

        form = QFormLayout()
        form.addRow(self.tr("Answering model"), llm_row)
        form.addRow("", self.llm_info)
        form.addRow(self.tr("Embedding model"), emb_row)
        form.addRow("", emb_note)
        form.addRow(self.tr("Sources per answer"), self.top_k)
        form.addRow(self.tr("Answer length (tokens)"), self.answer_len)
        form.addRow(self.tr("Temperature"), self.temperature)
        form.addRow(self.tr("Threads"), self.threads)
        self.language = QComboBox()
        system = self.tr("Follow the system ({language})").format(language=system_language_name())
        for label, code in ((system, ""), ("English", "en"), ("한국어", "ko")):
            self.language.addItem(label, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.language.setToolTip(self.tr("The window's language; the command line stays English"))
        form.addRow(self.tr("Language"), self.language)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.found = FoundModelsBox()
        self.found.chosen.connect(self._add_model)
        self.finished.connect(lambda _result: self.found.cancel())
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.found, 1)
        layout.addWidget(buttons)
        self.resize(720, self.sizeHint().height() + 80)
        QTimer.singleShot(0, self.found.scan)

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
            self.llm.addItem(self._model_label(m), m.path)
        index = next((i for i, m in enumerate(self.models) if m.path == current), 0)
        self.llm.setCurrentIndex(index)
        self.llm.blockSignals(False)
        self._show_llm_info()

    def _model_label(self, m: ModelInfo) -> str:
        if m.bundled:
            return self.tr("{name} (bundled)").format(name=m.name.removesuffix(" (bundled)"))
        return m.name

    def _show_llm_info(self) -> None:
        i = self.llm.currentIndex()
        if 0 <= i < len(self.models):
            m = self.models[i]
            licence = self.tr(", licence {licence}").format(licence=m.licence) if m.licence else ""
            self.llm_info.setText(
                self.tr("{arch}, {quant}, {size}, context {n} tokens").format(
                    arch=m.architecture, quant=m.quantization, size=m.size_label, n=m.context_length
                )
                + licence
            )

    def _choose_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a model"), "", self.tr("GGUF models") + " (*.gguf)"
        )
        if not path:
            return
        try:
            info = read_gguf_info(Path(path))
        except UserError as exc:
            show_error(self, exc)
            return
        self._add_model(info)

    def _add_model(self, info: ModelInfo) -> None:
        """Offer `info` in the answering-model list and select it."""
        index = next((i for i, m in enumerate(self.models) if m.path == info.path), None)
        if index is None:
            self.models.append(info)
            self.llm.addItem(info.name, info.path)
            index = self.llm.count() - 1
        self.llm.setCurrentIndex(index)

    def _choose_embedding(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, self.tr("Choose a sentence-transformers model folder")
        )
        if path:
            self.embedding.setText(path)

    def result_settings(self) -> Settings:
        """The settings as edited (the caller saves them)."""
        s = self.settings
        i = self.llm.currentIndex()
        chosen = self.models[i] if 0 <= i < len(self.models) else None
        default = bundled_llm_path()
        is_default = chosen is None or (default is not None and Path(chosen.path) == default)
        s.llm_path = "" if is_default else chosen.path  # type: ignore[union-attr]
        s.embedding_model = self.embedding.text().strip()
        s.top_k = self.top_k.value()
        s.max_answer_tokens = self.answer_len.value()
        s.temperature = round(self.temperature.value(), 2)
        s.threads = self.threads.value()
        s.language = str(self.language.currentData() or "")
        return s
