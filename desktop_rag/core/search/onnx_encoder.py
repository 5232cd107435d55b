"""The bundled embedding models through onnxruntime: int8, exported at install
(scripts/export_onnx.py), about three times as fast as the torch path on a CPU.

Which file runs is chosen here at run time for the CPU: with VNNI or AMX (int8 dot products
that do not saturate) the full-range int8 file, on any other x86-64 the one with 7-bit
weights. DESKTOP_RAG_ENCODER=torch (or a variant's name) overrides the choice; a model folder
the user chose, or an installation without onnxruntime or the files, runs in torch."""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ENCODER_ENV = "DESKTOP_RAG_ENCODER"
VARIANTS = ("int8-vnni", "int8-avx2")
TORCH = "torch"
_FOLDERS = {
    "sentence-transformers/all-MiniLM-L6-v2": "all-MiniLM-L6-v2",
    "intfloat/multilingual-e5-small": "multilingual-e5-small",
}


def onnx_dir() -> Path:
    """Where scripts/export_onnx.py writes the models (inside a PyInstaller bundle too)."""
    base = Path(getattr(sys, "_MEIPASS", sys.prefix))
    return base / "share" / "desktop-rag" / "models" / "onnx"


def folder_name(model_id: str) -> str:
    return _FOLDERS.get(model_id) or re.sub(r"[^A-Za-z0-9._-]+", "-", model_id)


def cpu_features() -> set[str]:
    """The CPU's SIMD features as numpy detected them (on every platform)."""
    import importlib

    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):  # 2.x, 1.x
        try:
            features = importlib.import_module(name).__cpu_features__
        except (ImportError, AttributeError):
            continue
        return {key for key, present in features.items() if present}
    return set()


def int8_variant(features: set[str], machine: str = "") -> str:
    """The int8 file for a CPU: full-range where int8 dot products cannot saturate (x86 VNNI
    or AMX; ARM's dot products), 7-bit weights on any other x86-64."""
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return "int8-vnni"  # onnxruntime's ARM kernels widen before adding
    if features & {"AVX512VNNI", "AVXVNNI", "AVX512_CLX", "AVX512_SPR", "AMX_INT8"}:
        return "int8-vnni"
    return "int8-avx2"


def choose(model_id: str) -> tuple[str, Path | None]:
    """(backend name, ONNX file or None) for a bundled model on this CPU: the variant
    DESKTOP_RAG_ENCODER names, else the CPU's int8 file, else torch."""
    wanted = os.environ.get(ENCODER_ENV, "").strip().lower()
    if wanted == TORCH or model_id not in _FOLDERS:
        return TORCH, None
    variant = wanted.removeprefix("onnx-") if wanted else int8_variant(cpu_features())
    folder = onnx_dir() / folder_name(model_id)
    path = folder / f"model-{variant}.onnx"
    if variant not in VARIANTS or not path.exists():
        if wanted:
            log.warning("%s=%s: no such encoder for %s, using torch", ENCODER_ENV, wanted, model_id)
        else:
            log.info("no ONNX export of %s in %s: the torch path runs", model_id, folder)
        return TORCH, None
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        log.warning("onnxruntime is not installed: the torch path runs")
        return TORCH, None
    return f"onnx-{variant}", path


def max_tokens_of(folder: Path) -> int:
    """The longest input the model reads, as sentence-transformers computes it for us
    (its configured max_seq_length, never past the model's positions, at most 512)."""
    try:
        sbert = json.loads((folder / "sentence_bert_config.json").read_text("utf-8"))
        configured = int(sbert.get("max_seq_length") or 256)
    except (OSError, ValueError):
        configured = 256
    try:
        config = json.loads((folder / "config.json").read_text("utf-8"))
        positions = int(config.get("max_position_embeddings") or 512)
    except (OSError, ValueError):
        positions = 512
    return min(configured, positions, 512)


def load_tokenizer(folder: Path) -> Any:
    """The model's own (fast) tokenizer, as sentence-transformers loads it."""
    from transformers import AutoTokenizer

    import desktop_rag  # noqa: F401  (the offline switches)

    return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)


_sessions: dict[str, Any] = {}
_sessions_lock = threading.Lock()


def _session(path: Path) -> Any:
    """One session per file for the whole process: `run` is thread-safe, so the index and
    ask lanes share its weights."""
    key = str(path)
    with _sessions_lock:
        if key not in _sessions:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.inter_op_num_threads = 1
            # idle threads sleep instead of spinning (as OMP_WAIT_POLICY=PASSIVE does for
            # torch): a desktop shares its cores with the window and the answering model
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            _sessions[key] = ort.InferenceSession(key, options, providers=["CPUExecutionProvider"])
        return _sessions[key]


class OnnxEncoder:
    """Mean-pooled, normalized sentence embeddings from an exported model file."""

    def __init__(self, path: Path, tokenizer: Any, max_tokens: int) -> None:
        self.path = path
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.session = _session(path)
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def _run(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer(
            texts,
            padding=True,
            truncation="longest_first",
            max_length=self.max_tokens,
            return_tensors="np",
        )
        feed = {k: np.asarray(enc[k], dtype=np.int64) for k in self._inputs if k in enc}
        if "token_type_ids" in self._inputs and "token_type_ids" not in feed:
            feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        vectors = np.asarray(self.session.run(None, feed)[0], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """One row per text. As sentence-transformers does: texts stripped, sorted by length
        (longest first) and cut into batches, so a batch pads little; which texts share a
        batch depends only on the call's texts, so the same call gives the same vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        stripped = [str(t).strip() for t in texts]
        order = np.argsort([-len(t) for t in stripped], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._run([stripped[i] for i in rows])
        return out
