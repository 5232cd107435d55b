"""Settings lists the models other apps downloaded and uses one with a click, offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")

from modelgen import fake_home, lm_studio_folder, ollama_store

from desktop_rag.core.config import Settings


def test_settings_lists_found_models_and_one_click_uses_one(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from desktop_rag.gui.app import create_app
    from desktop_rag.gui.settings_dialog import SettingsDialog

    home = fake_home(tmp_path / "user", monkeypatch)
    blob = ollama_store(home / ".ollama" / "models", tmp_path)
    lm_studio_folder(home / ".lmstudio" / "models")
    create_app([])
    dialog = SettingsDialog(Settings.load())
    qtbot.addWidget(dialog)
    dialog.show()
    box = dialog.found
    qtbot.waitUntil(lambda: box.tree.topLevelItemCount() == 2, timeout=30_000)
    rows = {
        box.tree.topLevelItem(i).text(0): [box.tree.topLevelItem(i).text(c) for c in range(1, 5)]
        for i in range(2)
    }
    assert rows["tinyllama:latest"] == ["1.1 GB", "Q4_0", "2048", "Ollama"]
    lms = "lmstudio-community/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q8_0.gguf"
    assert rows[lms][1:] == ["Q8_0", "4096", "LM Studio"]
    assert not box.use_btn.isEnabled()  # nothing selected yet

    row = next(i for i in range(2) if box.tree.topLevelItem(i).text(0) == "tinyllama:latest")
    box.tree.setCurrentItem(box.tree.topLevelItem(row))
    assert box.use_btn.isEnabled()
    box.use_btn.click()
    assert dialog.llm.currentText() == "TinyLlama 1.1B Chat"
    chosen = dialog.result_settings().llm_path
    assert Path(chosen).parent.name == "models" and os.path.samefile(chosen, blob)
    dialog.reject()
