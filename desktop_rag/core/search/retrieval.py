"""Hybrid search: FTS5 BM25 and vector search, fused; each hit knows its page and rectangles."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop_rag.core import textnorm
from desktop_rag.core.documents import locations
from desktop_rag.core.search.embedding import Embedder, EmbeddingModel
from desktop_rag.core.storage.store import FTS_WEIGHTS, Store
from desktop_rag.core.storage.vectors import VectorIndex


@dataclass
class Hit:
    """One retrieved chunk and where it stands in its document."""

    chunk_id: int
    document_id: int
    title: str
    path: str
    kind: str
    page: int
    char_start: int
    char_end: int
    text: str
    spans: list[list[float]]
    score: float
    keyword_rank: int | None = None
    vector_rank: int | None = None
    keyword_score: float = 0.0
    dense_score: float = 0.0
    location: str = ""  # where on the page's document, when "p. N" says too little

    def snippet(self, width: int = 220) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "title": self.title,
            "path": self.path,
            "page": self.page,
            "location": locations.describe(self.page, self.location),
            "score": round(self.score, 6),
            "dense_score": round(self.dense_score, 4),
            "keyword_score": round(self.keyword_score, 4),
            "keyword_rank": self.keyword_rank,
            "vector_rank": self.vector_rank,
            "text": self.text,
            "spans": self.spans,
        }


@dataclass
class FusionParams:
    """How the keyword and meaning rankings are combined.

    `candidates` chunks are taken from each ranking. "convex" (the default): every candidate
    gets both signals, its BM25 score (0 when the keywords missed it) scaled by the best one,
    and its cosine (computed from the stored embedding) min-max scaled over the candidates;
    the two are mixed by the weights. "rrf": weighted reciprocal rank fusion with `rrf_k`.

    Tuned on SciFact train (809 queries; `desktop-rag eval --split train`): convex with
    0.4 keyword / 0.6 meaning over 300 candidates scored nDCG@10 0.741, against 0.715 for
    RRF (k 60, 100 candidates) and 0.727 for the best RRF (k 10); the optimum is flat
    (0.6 +- 0.05 and 200-300 candidates within 0.004)."""

    candidates: int = 300
    method: str = "convex"
    rrf_k: float = 60.0
    keyword_weight: float = 0.4
    vector_weight: float = 0.6
    # BM25 weights of the chunk text, the document label and the section heading
    fts_weights: tuple[float, float, float] = FTS_WEIGHTS
    # how much the best other chunk of the same page adds to a chunk's fused score (pages of
    # documents longer than one page): a page whose several passages match is likelier the
    # one that answers than a lone match. 0.1: tuned on financebench_dev (README).
    page_weight: float = 0.1
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "candidates": self.candidates,
            "rrf_k": self.rrf_k,
            "keyword_weight": self.keyword_weight,
            "vector_weight": self.vector_weight,
            "fts_weights": list(self.fts_weights),
            "page_weight": self.page_weight,
            **self.extra,
        }


DEFAULT_FUSION = FusionParams()


def vector_weight_for(query: str, model: EmbeddingModel) -> float:
    """How much the meaning (vector) ranking may count for this query: the one place that knows
    an English-only model is noise on other scripts, so a multilingual model switches it off."""
    if model.multilingual:
        return 1.0
    return 1.0 if textnorm.script_of(query) == "latin" else 0.0


def search(
    store: Store,
    vectors: VectorIndex,
    embedder: Embedder,
    model: EmbeddingModel,
    query: str,
    k: int = 10,
    params: FusionParams = DEFAULT_FUSION,
    scope: Sequence[int] | None = None,
) -> list[Hit]:
    """The best `k` chunks for `query`, fused from keyword and vector rankings; `scope`:
    only in these documents (ids)."""
    query = query.strip()
    if not query or k <= 0:
        return []
    keyword, dense, qvec, fused = _rankings(store, vectors, embedder, model, query, params, scope)
    top = fused[:k]
    rows = store.chunks_by_ids([cid for cid, _ in top])
    kw_rank = {cid: r for r, (cid, _) in enumerate(keyword)}
    kw_score = dict(keyword)
    vec_rank = {cid: r for r, (cid, _) in enumerate(dense)}
    cosine = _cosines(store, [cid for cid, _ in top], qvec, vectors.dim) if qvec is not None else {}
    hits: list[Hit] = []
    for cid, score in top:
        row = rows.get(cid)
        if row is None:  # removed since the index was read
            continue
        hits.append(
            Hit(
                chunk_id=cid,
                document_id=row["document_id"],
                title=row["title"],
                path=row["path"],
                kind=row["kind"],
                page=row["page"],
                char_start=row["char_start"],
                char_end=row["char_end"],
                text=row["text"],
                spans=row["spans"],
                score=score,
                keyword_rank=kw_rank.get(cid),
                vector_rank=vec_rank.get(cid),
                keyword_score=kw_score.get(cid, 0.0),
                dense_score=cosine.get(cid, 0.0),
                location=row["location"],
            )
        )
    return hits


def rank_chunks(
    store: Store,
    vectors: VectorIndex,
    embedder: Embedder,
    model: EmbeddingModel,
    query: str,
    params: FusionParams = DEFAULT_FUSION,
    mode: str = "hybrid",
    scope: Sequence[int] | None = None,
) -> list[tuple[int, float]]:
    """Chunks for `query`, best first, as (chunk id, score): by keywords alone ("bm25"), by
    meaning alone ("dense"), or fused as `search` does ("hybrid"); `scope` as in `search`."""
    query = query.strip()
    if not query:
        return []
    chunks = None if scope is None else store.chunk_ids_in(scope)
    if mode == "bm25":
        match = textnorm.fts_query(query)
        return store.fts_search(match, params.candidates, params.fts_weights, chunks)
    if mode == "dense":
        return _dense(vectors, embedder.encode_query(query), params.candidates, chunks)
    return _rankings(store, vectors, embedder, model, query, params, scope)[3]


def _dense(
    vectors: VectorIndex, qvec: np.ndarray, k: int, chunks: np.ndarray | None
) -> list[tuple[int, float]]:
    """The meaning ranking: the whole index, or only a scope's chunks."""
    if chunks is None:
        return vectors.search(qvec, k)
    return vectors.search_among(qvec, chunks, k)


def _rankings(
    store: Store,
    vectors: VectorIndex,
    embedder: Embedder,
    model: EmbeddingModel,
    query: str,
    params: FusionParams,
    scope: Sequence[int] | None = None,
) -> tuple[
    list[tuple[int, float]], list[tuple[int, float]], np.ndarray | None, list[tuple[int, float]]
]:
    """(keyword ranking, vector ranking, query vector, fused ranking) for a stripped query;
    `scope`: document ids both rankings are limited to."""
    match = textnorm.fts_query(query)
    w_vec = vector_weight_for(query, model) * params.vector_weight
    chunks = None if scope is None else store.chunk_ids_in(scope)
    if w_vec <= 0:  # the model cannot read this query: keywords alone, no embedding
        keyword = store.fts_search(match, params.candidates, params.fts_weights, chunks)
        return keyword, [], None, _with_page_evidence(store, keyword, params.page_weight)
    # FTS5 runs on the keyword lane while the model embeds the query: both release the GIL,
    # so the search costs about the longer of the two instead of their sum.
    pending = _keyword_lane().submit(
        store.fts_search, match, params.candidates, params.fts_weights, chunks
    )
    try:
        qvec = embedder.encode_query(query)
    finally:
        keyword = pending.result()
    dense = _dense(vectors, qvec, params.candidates, chunks)
    if params.method == "convex":
        cosine = dict(dense)
        missing = [cid for cid, _ in keyword if cid not in cosine]
        cosine.update(_cosines(store, missing, qvec, vectors.dim))
        fused = fuse_convex(keyword, cosine, params.keyword_weight, w_vec)
    else:
        fused = fuse(keyword, dense, params.keyword_weight, w_vec, params.rrf_k)
    return keyword, dense, qvec, _with_page_evidence(store, fused, params.page_weight)


def _with_page_evidence(
    store: Store, ranked: list[tuple[int, float]], weight: float
) -> list[tuple[int, float]]:
    if weight <= 0 or not ranked:
        return ranked
    # a one-page document's page is the whole document: there the other chunks would be
    # evidence for a longer document, not for a page (it cost SciFact train 0.014 nDCG@10)
    page_of = store.pages_of([cid for cid, _ in ranked], multi_page_only=True)
    return add_page_evidence(ranked, page_of, weight)


def add_page_evidence(
    ranked: list[tuple[int, float]], page_of: dict[int, tuple[int, int]], weight: float
) -> list[tuple[int, float]]:
    """Each chunk's score plus `weight` times the best score of another chunk of its page,
    re-sorted: the page's evidence, not a single passage, decides where its chunks stand."""
    best: dict[tuple[int, int], list[float]] = {}
    for cid, score in ranked:
        top = best.setdefault(page_of.get(cid, (-1, cid)), [])
        if len(top) < 2:
            top.append(score)  # ranked arrives best first: the page's two best scores
    out = []
    for cid, score in ranked:
        top = best[page_of.get(cid, (-1, cid))]
        # the page's best chunk counts its runner-up; every other chunk, the best
        runner_up = top[1] if len(top) > 1 else 0.0
        other = top[0] if score < top[0] else runner_up
        out.append((cid, score + weight * other))
    return sorted(out, key=lambda kv: (-kv[1], kv[0]))


_lane: ThreadPoolExecutor | None = None
_lane_lock = threading.Lock()


def _keyword_lane() -> ThreadPoolExecutor:
    """One worker thread for keyword searches that overlap query embedding."""
    global _lane
    with _lane_lock:
        if _lane is None:
            _lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyword-search")
        return _lane


def fuse(
    keyword: list[tuple[int, float]],
    dense: list[tuple[int, float]],
    keyword_weight: float,
    vector_weight: float,
    rrf_k: float,
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of two ranked lists of (id, score)."""
    scores: dict[int, float] = {}
    for weight, ranking in ((keyword_weight, keyword), (vector_weight, dense)):
        if weight <= 0:
            continue
        for rank, (cid, _) in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + weight / (rrf_k + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def fuse_convex(
    keyword: list[tuple[int, float]],
    cosine: dict[int, float],
    keyword_weight: float,
    vector_weight: float,
) -> list[tuple[int, float]]:
    """Weighted sum of the BM25 score (scaled by the best one; 0 when the keywords missed the
    chunk) and the cosine (min-max scaled over the candidates), for every candidate."""
    if not cosine:
        return list(keyword)
    top_bm25 = max((s for _, s in keyword), default=0.0)
    bm25 = {cid: s / top_bm25 for cid, s in keyword} if top_bm25 > 0 else {}
    low, high = min(cosine.values()), max(cosine.values())
    span = high - low if high > low else 1.0
    total = keyword_weight + vector_weight
    scaled = {cid: (cos - low) / span for cid, cos in cosine.items()}
    # a keyword hit still waiting for its embedding (its document was added moments ago) has
    # no cosine: it is given the average of the keyword hits that have one, so it ranks by
    # its keywords among its peers instead of dropping out
    known = [scaled[cid] for cid, _ in keyword if cid in scaled]
    for cid, _ in keyword:
        if cid not in scaled:
            scaled[cid] = sum(known) / len(known) if known else 0.5
    scores = {
        cid: (keyword_weight * bm25.get(cid, 0.0) + vector_weight * value) / total
        for cid, value in scaled.items()
    }
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _cosines(store: Store, ids: list[int], qvec: np.ndarray, dim: int) -> dict[int, float]:
    if not ids:
        return {}
    emb = store.embeddings_for(ids, dim).astype(np.float32)
    sims = emb @ qvec.astype(np.float32)
    embedded = np.any(emb != 0, axis=1)  # a chunk still without its embedding has zeros
    return {cid: float(s) for cid, s, e in zip(ids, sims, embedded, strict=True) if e}
