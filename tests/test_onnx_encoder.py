"""The int8 ONNX encoder: chosen for the CPU, close to the torch path it replaced, and
imported before usearch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from desktop_rag.core.search import onnx_encoder
from desktop_rag.core.search.embedding import Embedder, resolve_embedding_model

TEXTS = {
    "minilm": [
        "The pump's outlet pressure is limited to 6 bar by a relief valve set at the factory.",
        "Beekeepers reviewed hive frames together with honey production in 1911.",
        "The Harwick Bridge opened to traffic on 14 March 1887; it is 412 metres long.",
        "Mitochondrial DNA mutations accumulate in ageing human tissue.",
    ],
    "e5": [
        "직원은 매년 열다섯 날의 유급 휴가를 받습니다.",
        "The Harwick Bridge opened to traffic on 14 March 1887; it is 412 metres long.",
        "노아는 하나님의 명령에 따라 배를 만들고 가족과 짐승을 싣고 홍수를 피하였다.",
        "La pompe est limitée à six bars par une soupape de sûreté.",
    ],
}


def test_the_int8_file_is_chosen_for_the_cpu():
    assert onnx_encoder.int8_variant({"AVX2", "AVX512VNNI"}, "x86_64") == "int8-vnni"
    assert onnx_encoder.int8_variant({"AVX2", "AVXVNNI"}, "AMD64") == "int8-vnni"
    # without VNNI, u8 x s8 pairs summed in int16 could saturate: 7-bit weights
    assert onnx_encoder.int8_variant({"AVX2", "FMA3"}, "x86_64") == "int8-avx2"
    assert onnx_encoder.int8_variant(set(), "x86_64") == "int8-avx2"
    assert onnx_encoder.int8_variant({"ASIMDDP"}, "arm64") == "int8-vnni"
    assert onnx_encoder.cpu_features()  # numpy's view of this CPU


def test_a_model_without_an_export_runs_in_torch(monkeypatch: pytest.MonkeyPatch):
    assert onnx_encoder.choose("local:/somewhere/my-model") == ("torch", None)
    monkeypatch.setenv(onnx_encoder.ENCODER_ENV, "torch")
    assert onnx_encoder.choose(resolve_embedding_model("minilm").id) == ("torch", None)
    monkeypatch.setenv(onnx_encoder.ENCODER_ENV, "onnx-no-such-variant")
    assert onnx_encoder.choose(resolve_embedding_model("minilm").id) == ("torch", None)


@pytest.mark.parametrize("ref", ["minilm", "e5"])
def test_every_installed_variant_is_close_to_the_torch_path(ref: str):
    model = resolve_embedding_model(ref)
    folder = onnx_encoder.onnx_dir() / onnx_encoder.folder_name(model.id)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["variants"], "scripts/export_onnx.py kept no variant"
    torch_path = Embedder(model, backend="torch")
    want = torch_path.encode_passages(TEXTS[ref])
    tokenizer = torch_path.tokenizer
    for variant in manifest["variants"]:
        encoder = onnx_encoder.OnnxEncoder(
            folder / f"model-{variant}.onnx", tokenizer, onnx_encoder.max_tokens_of(model.path)
        )
        got = encoder.encode([model.passage_prefix + t for t in TEXTS[ref]])
        cosine = (got * want).sum(1)
        assert cosine.min() > 0.98, (variant, cosine)
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_the_default_embedder_runs_the_export_and_keeps_the_same_interface():
    model = resolve_embedding_model("e5")
    ours, torch_path = Embedder(model), Embedder(model, backend="torch")
    assert ours.backend.startswith("onnx-int8") and torch_path.backend == "torch"
    assert ours.dim == torch_path.dim == 384
    assert ours.max_tokens == torch_path.max_tokens and ours.chunk_tokens == torch_path.chunk_tokens
    assert ours.count_tokens(TEXTS["e5"]) == torch_path.count_tokens(TEXTS["e5"])
    query = ours.encode_query("유급 휴가는 며칠인가요?")
    assert query.shape == (384,) and abs(float(np.linalg.norm(query)) - 1) < 1e-5
    # the same call gives the same vectors (batches depend only on the call's texts)
    assert np.array_equal(ours.encode_passages(TEXTS["e5"]), ours.encode_passages(TEXTS["e5"]))
    assert ours.encode([]).shape == (0, 384)


def test_onnxruntime_is_imported_before_usearch():
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from desktop_rag.core.storage.vectors import VectorIndex\n"
        "VectorIndex(Path('unused.usearch'), 8)\n"
        "names = list(sys.modules)\n"
        "print(names.index('onnxruntime') < names.index('usearch.index'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ)
    )
    assert out.stdout.strip() == "True", out.stderr
