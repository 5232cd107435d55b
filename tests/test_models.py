from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_rag.core.answers.generation import Generator
from desktop_rag.core.answers.models import (
    SMALLEST_BUNDLED,
    add_model,
    bundled_llm_path,
    list_models,
    read_gguf_info,
    resolve_llm,
    set_default,
)
from desktop_rag.core.errors import UserError


def test_bundled_model_header_is_read_without_loading():
    info = read_gguf_info(bundled_llm_path(SMALLEST_BUNDLED))
    assert info.bundled and info.architecture == "llama"
    assert info.quantization == "Q4_1" and info.context_length == 8192
    assert info.has_chat_template and 90e6 < info.size_bytes < 110e6


def test_random_and_truncated_gguf_files_are_clear_errors(tmp_path: Path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(UserError, match="not a GGUF file"):
        read_gguf_info(junk)
    cut = tmp_path / "cut.gguf"
    with open(bundled_llm_path(SMALLEST_BUNDLED), "rb") as f:
        cut.write_bytes(f.read(3_000_000))
    with pytest.raises(UserError, match="cut short"):
        read_gguf_info(cut)
    with pytest.raises(UserError, match="not a usable model"):
        Generator(cut)
    header_only = tmp_path / "header.gguf"
    header_only.write_bytes(b"GGUF\x03\x00\x00\x00")
    with pytest.raises(UserError, match="ends too early"):
        read_gguf_info(header_only)


def test_add_list_and_choose_a_default_model(tmp_path: Path):
    src = tmp_path / "my-model.gguf"
    src.symlink_to(bundled_llm_path(SMALLEST_BUNDLED))
    info = add_model(src)
    assert info.architecture == "llama"
    paths = [Path(i.path).name for i in list_models()]
    assert "my-model.gguf" in paths
    assert resolve_llm("my-model").name == "my-model.gguf"
    set_default("my-model")
    assert resolve_llm("").name == "my-model.gguf"
    set_default("bundled")
    assert resolve_llm("") == bundled_llm_path()
    assert resolve_llm(SMALLEST_BUNDLED) == bundled_llm_path(SMALLEST_BUNDLED)
    with pytest.raises(UserError, match="Model not found"):
        resolve_llm("no-such-model")


def test_the_default_answering_model_fits_the_computers_memory(monkeypatch: pytest.MonkeyPatch):
    from desktop_rag.core.answers import models

    installed = [m.key for m, _ in models.installed_bundled_llms()]
    assert installed == [m.key for m in models.BUNDLED_LLMS]  # `make` installs all three
    monkeypatch.setattr(models, "memory_gb", lambda: 16.0)
    assert models.bundled_llm_path() == models.bundled_llm_path("qwen2.5-coder-1.5b")
    monkeypatch.setattr(models, "memory_gb", lambda: 4.0)
    assert models.bundled_llm_path() == models.bundled_llm_path("qwen2.5-coder-0.5b")
    monkeypatch.setattr(models, "memory_gb", lambda: 2.0)
    assert models.bundled_llm_path() == models.bundled_llm_path(SMALLEST_BUNDLED)
    info = read_gguf_info(models.bundled_llm_path("qwen2.5-coder-1.5b"))
    assert info.bundled and info.licence == "Apache-2.0" and info.writes_korean
    assert not read_gguf_info(bundled_llm_path(SMALLEST_BUNDLED)).writes_korean
