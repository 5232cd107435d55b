"""The answering model in its own process, and the llama.cpp build it runs."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from desktop_rag.core.answers import llama_runtime
from desktop_rag.core.answers.generation import Generator, ModelStopped
from desktop_rag.core.answers.models import SMALLEST_BUNDLED, bundled_llm_path
from desktop_rag.core.errors import UserError
from desktop_rag.core.faults import PAUSE_ENV

MESSAGES = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]


def test_installed_llama_cpp_dispatches_at_run_time_and_never_uses_amx():
    info = llama_runtime.build_info()
    assert llama_runtime.check() == [], info
    assert info.dynamic and "x64" in info.variants  # runs on any x86-64 CPU
    assert not info.excluded and "sapphirerapids" not in info.variants
    assert not info.uses_amx, info.system_info
    assert info.variant in info.variants
    files = {p.name for p in llama_runtime.cpu_variant_files()}
    assert not any("sapphirerapids" in name or "amx" in name for name in files), files


def test_the_model_stays_loaded_between_requests_in_its_own_process():
    g = Generator(bundled_llm_path(SMALLEST_BUNDLED), context_size=1024)
    try:
        g.load()
        pid = g.pid
        assert pid is not None and pid != os.getpid()
        assert g.count_tokens_many(["hello world", "a b c"])[0] > 0
        first = g.stream_chat(MESSAGES, max_tokens=8, temperature=0.0)
        second = g.stream_chat(MESSAGES, max_tokens=8, temperature=0.0)
        assert first.text and first.text == second.text
        assert g.pid == pid
        assert g.runtime["variant"] in llama_runtime.build_info().variants
    finally:
        g.close()
    assert g.pid is None


def test_a_killed_model_process_ends_the_answer_clearly_and_the_next_one_works(
    monkeypatch: pytest.MonkeyPatch,
):
    g = Generator(bundled_llm_path(SMALLEST_BUNDLED), context_size=1024)
    try:
        monkeypatch.setenv(PAUSE_ENV, "answer-token:3")  # the child stops after 3 tokens
        g.load()
        pieces: list[str] = []

        def kill_when_paused(piece: str) -> None:
            pieces.append(piece)
            if len(pieces) == 3:
                os.kill(g.pid, signal.SIGKILL)

        with pytest.raises(ModelStopped) as err:
            g.stream_chat(MESSAGES, kill_when_paused, max_tokens=200, temperature=0.0)
        assert len(pieces) == 3
        assert "The answering model stopped unexpectedly" in err.value.message
        assert "killed" in err.value.message and "\n" not in err.value.message
        assert "Ask again" in err.value.hint
        monkeypatch.delenv(PAUSE_ENV)
        again = g.stream_chat(MESSAGES, max_tokens=16, temperature=0.0)  # a fresh process
        assert again.text.strip() and again.finish_reason in ("length", "stop")
    finally:
        g.close()


def test_an_idle_model_process_that_died_is_replaced_silently():
    g = Generator(bundled_llm_path(SMALLEST_BUNDLED), context_size=1024)
    try:
        g.load()
        old = g.pid
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while g.loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert g.count_tokens("hello") > 0
        assert g.pid not in (None, old)
    finally:
        g.close()


def _gguf_of_unknown_architecture(path: Path) -> Path:
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(str(path), "nonesuch")
    writer.add_name("Nonesuch 1M")
    writer.add_context_length(512)
    writer.add_tensor("token_embd.weight", np.zeros((8, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_model_llama_cpp_cannot_read_is_one_clear_line(tmp_path: Path):
    g = Generator(_gguf_of_unknown_architecture(tmp_path / "nonesuch.gguf"))
    with pytest.raises(UserError) as err:
        g.load()
    message = err.value.message
    assert message.startswith("The model nonesuch.gguf could not be loaded"), message
    assert "nonesuch" in message.split("(", 1)[1] and "\n" not in message
    assert not g.loaded
