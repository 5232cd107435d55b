"""Tiny GGUF models where other apps keep theirs (Ollama's store, LM Studio's folder), written
with llama.cpp's own `gguf` writer: a real header, one tensor, then sparse 'weights'."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

SPARSE_SIZE = 1 << 30  # each model claims a gigabyte: reading it all would show


def tiny_gguf(
    path: Path, name: str, *, arch: str = "llama", context: int = 4096, file_type: int = 15
) -> Path:
    """A valid GGUF header and one tensor, then a sparse gigabyte of 'weights'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = GGUFWriter(str(path), arch)
    writer.add_name(name)
    writer.add_context_length(context)
    writer.add_file_type(file_type)
    writer.add_tensor("token_embd.weight", np.zeros(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.truncate(path, SPARSE_SIZE)
    return path


def ollama_store(models: Path, tmp: Path) -> Path:
    """~/.ollama/models: manifests name the model layer's blob by its sha256."""
    model = tiny_gguf(tmp / "tinyllama.gguf", "TinyLlama 1.1B Chat", context=2048, file_type=2)
    with open(model, "rb") as f:
        digest = hashlib.sha256(f.read(4096)).hexdigest()  # any digest names the blob
    blobs = models / "blobs"
    blobs.mkdir(parents=True)
    blob = blobs / f"sha256-{digest}"
    model.rename(blob)
    params = blobs / f"sha256-{'0' * 64}"
    params.write_text('{"num_ctx": 2048}')

    def manifest(rel: str, layers: list[dict[str, str]]) -> None:
        path = models / "manifests" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"schemaVersion": 2, "layers": layers}))

    manifest(
        "registry.ollama.ai/library/tinyllama/latest",
        [
            {"mediaType": "application/vnd.ollama.image.params", "digest": f"sha256:{'0' * 64}"},
            {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}"},
        ],
    )
    # a model whose download never finished: its blob is missing
    manifest(
        "registry.ollama.ai/library/gone/7b",
        [{"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{'1' * 64}"}],
    )
    return blob


def lm_studio_folder(models: Path) -> Path:
    """~/.lmstudio/models/<publisher>/<repo>/<file>.gguf, with a vision projector beside it."""
    repo = models / "lmstudio-community" / "Qwen2.5-0.5B-Instruct-GGUF"
    model = tiny_gguf(repo / "Qwen2.5-0.5B-Instruct-Q8_0.gguf", "Qwen2.5 0.5B", file_type=7)
    tiny_gguf(repo / "mmproj-model-f16.gguf", "projector", arch="clip", file_type=1)
    (repo / "broken-Q4_K_M.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")  # cut off
    return model


def fake_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME moved to `home`, and the variables that point the apps elsewhere unset."""
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    for var in (
        "OLLAMA_MODELS",
        "HF_HOME",
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
        "LLAMA_CACHE",
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
    ):
        monkeypatch.delenv(var, raising=False)
    return home
