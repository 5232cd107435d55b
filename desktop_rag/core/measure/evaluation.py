"""Retrieval quality on a BEIR-format dataset, measured through the real pipeline.

The corpus (corpus.jsonl) is indexed into a temporary library with the same chunker,
embedder, FTS5 and USearch index as a user's documents; every query of a split
(queries.jsonl, qrels/<split>.tsv) is searched by keyword alone, by meaning alone and by the
hybrid search users get; a document scores as its best chunk. Metrics follow BEIR's
pytrec_eval definitions: nDCG@10 (linear gains), Recall@10, Recall@100, MRR@10.

A reading-comprehension folder in the SQuAD/KorQuAD layout (articles.jsonl, questions.jsonl,
split.json; ../shared/data/korquad_v1_dev_half) is read as a BEIR view: every paragraph is a
document titled with its article, every answerable question a query judged relevant to its
own paragraph (and to any paragraph with the very same text), and the split ("dev" or
"test") chooses the questions by article."""

from __future__ import annotations

import csv
import json
import logging
import math
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_rag.core.errors import UserError
from desktop_rag.core.measure.records import TextRecord, ingest_records, record_id_of
from desktop_rag.core.search import retrieval
from desktop_rag.core.tasks import CancelToken, Progress

log = logging.getLogger(__name__)

MODES = ("bm25", "dense", "hybrid")
METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10")
BEIR_SCHEME = "beir"
DOCS_PER_QUERY = 100  # ranked documents kept per query: enough for Recall@100


# --- the dataset -------------------------------------------------------------------------------


@dataclass
class BeirDataset:
    """A BEIR folder: the corpus stays on disk; queries and judgements of one split in memory."""

    root: Path
    split: str
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    @property
    def corpus_path(self) -> Path:
        if not (self.root / "corpus.jsonl").exists() and (self.root / ARTICLES).exists():
            return self.root / ARTICLES
        return self.root / "corpus.jsonl"

    def corpus(self) -> Iterator[TextRecord]:
        """The documents, in file order."""
        if self.corpus_path.name == ARTICLES:
            yield from _paragraph_records(self.corpus_path)
            return
        with open(self.corpus_path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    yield TextRecord(
                        str(row["_id"]), str(row.get("title") or ""), str(row.get("text") or "")
                    )

    def corpus_size(self) -> int:
        if self.corpus_path.name == ARTICLES:
            return sum(1 for _ in _paragraph_records(self.corpus_path))
        with open(self.corpus_path, encoding="utf-8") as f:
            return sum(1 for line in f if line.strip())


# --- a reading-comprehension folder as a BEIR view ------------------------------------------------

ARTICLES = "articles.jsonl"


def _articles(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def paragraph_id(article_number: int, paragraph_index: int) -> str:
    """The document id of a paragraph: its article's place in the file and its own."""
    return f"a{article_number:04d}-p{paragraph_index:03d}"


def _paragraph_records(path: Path) -> Iterator[TextRecord]:
    for n, article in enumerate(_articles(path)):
        for i, text in enumerate(article.get("paragraphs") or []):
            yield TextRecord(paragraph_id(n, i), str(article.get("title") or ""), str(text))


def is_reading_set(root: Path) -> bool:
    """A folder in the SQuAD/KorQuAD layout rather than BEIR's."""
    return (root / ARTICLES).is_file() and not (root / "corpus.jsonl").exists()


def load_reading_set(root: Path, split: str = "test") -> BeirDataset:
    """A BEIR view of a SQuAD/KorQuAD folder: paragraphs as documents, the answerable
    questions of `split`'s articles as queries, each judged relevant to its paragraph."""
    for needed in (root / ARTICLES, root / "questions.jsonl", root / "split.json"):
        if not needed.is_file():
            raise UserError(
                f"{needed} is missing: {root} is not a reading-comprehension set.",
                "It holds articles.jsonl, questions.jsonl and split.json.",
            )
    splits = json.loads((root / "split.json").read_text("utf-8"))
    if split not in set(splits.values()):
        raise UserError(
            f"{root} has no '{split}' split.",
            f"Choose one of: {', '.join(sorted(set(splits.values())))}.",
        )
    number = {a.get("title"): n for n, a in enumerate(_articles(root / ARTICLES))}
    # a few paragraphs appear twice, word for word: a question is answered by every copy
    copies: dict[str, list[str]] = {}
    for record in _paragraph_records(root / ARTICLES):
        copies.setdefault(record.text, []).append(record.id)
    same_text = {doc: ids for ids in copies.values() for doc in ids}
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    with open(root / "questions.jsonl", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            q = json.loads(line)
            title = q.get("article_title")
            if q.get("is_impossible") or splits.get(title) != split or title not in number:
                continue
            qid = str(q["id"])
            queries[qid] = str(q["question"])
            own = paragraph_id(number[title], int(q["paragraph_index"]))
            qrels[qid] = dict.fromkeys(same_text.get(own, [own]), 1)
    if not queries:
        raise UserError(f"No answerable question of {root} is in the '{split}' split.")
    return BeirDataset(root, split, queries, qrels)


def load_beir(root: str | Path, split: str = "test") -> BeirDataset:
    """Read a BEIR folder's queries and judgements for `split` (only judged queries count);
    a SQuAD/KorQuAD folder is read as its BEIR view (`load_reading_set`)."""
    root = Path(root).expanduser()
    if is_reading_set(root):
        return load_reading_set(root, split)
    qrels_path = root / "qrels" / f"{split}.tsv"
    for needed in (root / "corpus.jsonl", root / "queries.jsonl", qrels_path):
        if not needed.is_file():
            raise UserError(
                f"{needed} is missing: {root} is not a BEIR dataset with a '{split}' split.",
                "A BEIR folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv.",
            )
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 3 or row[0] == "query-id":
                continue
            try:
                score = int(float(row[2]))
            except ValueError:
                continue
            qrels.setdefault(row[0], {})[row[1]] = score
    queries: dict[str, str] = {}
    with open(root / "queries.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                qid = str(row["_id"])
                if qid in qrels:
                    queries[qid] = str(row.get("text") or "")
    qrels = {q: r for q, r in qrels.items() if q in queries}
    if not queries:
        raise UserError(f"No query of {root / 'queries.jsonl'} is judged in {qrels_path}.")
    return BeirDataset(root, split, queries, qrels)


# --- metrics -------------------------------------------------------------------------------------


def ndcg_at_k(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    """Normalized discounted cumulative gain, gains as judged, log2 discount (trec_eval)."""
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc)
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevant: dict[str, int], k: int) -> float:
    """Share of the relevant documents found in the first `k`."""
    wanted = {d for d, g in relevant.items() if g > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def mrr_at_k(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document within the first `k`, else 0."""
    for i, doc in enumerate(ranked[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def score_run(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean of each metric over the judged queries (a query with no results scores 0)."""
    totals = dict.fromkeys(METRICS, 0.0)
    for qid, relevant in qrels.items():
        ranked = run.get(qid, [])
        totals["ndcg@10"] += ndcg_at_k(ranked, relevant, 10)
        totals["recall@10"] += recall_at_k(ranked, relevant, 10)
        totals["recall@100"] += recall_at_k(ranked, relevant, 100)
        totals["mrr@10"] += mrr_at_k(ranked, relevant, 10)
    n = max(len(qrels), 1)
    return {m: v / n for m, v in totals.items()}


def documents_from_chunks(
    ranked_chunks: Sequence[tuple[int, float]], doc_of: dict[int, str], limit: int
) -> list[str]:
    """Documents in the order of their best chunk (chunks arrive best first)."""
    seen: dict[str, None] = {}
    for cid, _ in ranked_chunks:
        doc = doc_of.get(cid)
        if doc is not None and doc not in seen:
            seen[doc] = None
            if len(seen) >= limit:
                break
    return list(seen)


# --- running it ----------------------------------------------------------------------------------


@dataclass
class EvalReport:
    dataset: str
    split: str
    queries: int
    documents: int
    chunks: int
    ingest_seconds: float
    embed_seconds: float
    modes: dict[str, dict[str, float]] = field(default_factory=dict)
    search_ms: dict[str, float] = field(default_factory=dict)
    fusion: dict[str, Any] = field(default_factory=dict)
    reused_index: bool = False
    model: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "queries": self.queries,
            "documents": self.documents,
            "chunks": self.chunks,
            "ingest_seconds": round(self.ingest_seconds, 2),
            "embed_seconds": round(self.embed_seconds, 2),
            "reused_index": self.reused_index,
            "model": self.model,
            "modes": {m: {k: round(v, 4) for k, v in s.items()} for m, s in self.modes.items()},
            "search_ms_per_query": {m: round(v, 2) for m, v in self.search_ms.items()},
            "fusion": self.fusion,
        }

    def table(self) -> str:
        """A plain-text table: one row per mode."""
        head = f"{'mode':<8}" + "".join(f"{m:>12}" for m in METRICS) + f"{'ms/query':>10}"
        lines = [
            f"{self.dataset} ({self.split}): {self.queries} queries, {self.documents} documents, "
            f"{self.chunks} chunks; ingest {self.ingest_seconds:.1f} s "
            f"({self.embed_seconds:.1f} s embedding)"
            + (", measured when the reused index was built" if self.reused_index else "")
            + (f"; model {self.model}" if self.model else ""),
            head,
            "-" * len(head),
        ]
        for mode, scores in self.modes.items():
            lines.append(
                f"{mode:<8}"
                + "".join(f"{scores[m]:>12.4f}" for m in METRICS)
                + f"{self.search_ms.get(mode, 0.0):>10.1f}"
            )
        if "hybrid" in self.modes:
            fusion = ", ".join(f"{k}={v}" for k, v in self.fusion.items())
            lines.append(f"hybrid fusion: {fusion}")
        return "\n".join(lines)


def build_index(
    dataset: BeirDataset,
    folder: Path,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    embedding_model: str = "",
) -> tuple[Any, float, float]:
    """Open the library in `folder`, indexing the corpus first if it is not there yet, with
    `embedding_model` ('' the default, 'minilm', or a folder).

    Returns (library, ingest seconds, embedding seconds), as measured when it was built."""
    from desktop_rag.core.library import Library

    if (folder / "library.db").exists():
        lib = Library(folder)
        try:
            lib.check_model(embedding_model)
        except UserError:
            lib.close()
            raise
        if lib.store.get_meta("beir_corpus") == str(dataset.corpus_path.resolve()):
            # reused: report the times it took when it was built
            ingest_s = float(lib.store.get_meta("beir_ingest_seconds") or 0.0)
            return lib, ingest_s, float(lib.store.get_meta("beir_embed_seconds") or 0.0)
        lib.close()
        raise UserError(
            f"{folder} holds another index.", "Choose an empty folder or the same dataset."
        )
    lib = Library.create_at(folder, embedding_model)
    try:
        report = ingest_records(
            lib,
            dataset.corpus(),
            scheme=BEIR_SCHEME,
            progress=progress,
            cancel=cancel,
            total=dataset.corpus_size(),
        )
        lib.store.set_meta(
            {
                "beir_corpus": str(dataset.corpus_path.resolve()),
                "beir_ingest_seconds": f"{report.seconds:.3f}",
                "beir_embed_seconds": f"{report.embed_seconds:.3f}",
            }
        )
    except BaseException:
        lib.close()
        raise
    return lib, report.seconds, report.embed_seconds


def rank_documents(
    lib: Any,
    queries: dict[str, str],
    mode: str,
    params: retrieval.FusionParams = retrieval.DEFAULT_FUSION,
    limit: int = DOCS_PER_QUERY,
    cancel: CancelToken | None = None,
) -> tuple[dict[str, list[str]], float]:
    """Each query's documents, best first, and the mean milliseconds a query took."""
    doc_of = {
        int(cid): record_id_of(path)
        for cid, path in lib.store.conn.execute(
            "SELECT c.id, d.path FROM chunks c JOIN documents d ON d.id = c.document_id"
        )
    }
    embedder = lib.embedder()
    run: dict[str, list[str]] = {}
    spent = 0.0
    for qid, text in queries.items():
        if cancel is not None:
            cancel.raise_if_cancelled()
        t = time.perf_counter()
        ranked = retrieval.rank_chunks(
            lib.store, lib.vectors, embedder, lib.embedding_model, text, params, mode
        )
        spent += time.perf_counter() - t
        run[qid] = documents_from_chunks(ranked, doc_of, limit)
    return run, 1000.0 * spent / max(len(queries), 1)


def evaluate_beir(
    root: str | Path,
    modes: Sequence[str] = MODES,
    split: str = "test",
    params: retrieval.FusionParams = retrieval.DEFAULT_FUSION,
    index_dir: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    embedding_model: str = "",
) -> EvalReport:
    """Index a BEIR dataset (or reuse `index_dir`) and score each mode on `split`."""
    for mode in modes:
        if mode not in MODES:
            raise UserError(f"Unknown mode '{mode}'.", f"Choose from {', '.join(MODES)}.")
    dataset = load_beir(root, split)
    with tempfile.TemporaryDirectory(prefix="desktop-rag-eval-") as tmp:
        folder = Path(index_dir).expanduser() if index_dir else Path(tmp) / "library"
        reused = (folder / "library.db").exists()
        lib, ingest_s, embed_s = build_index(dataset, folder, progress, cancel, embedding_model)
        try:
            stats = lib.store.stats()
            report = EvalReport(
                dataset=dataset.root.name,
                split=split,
                queries=len(dataset.queries),
                documents=stats["documents"],
                chunks=stats["chunks"],
                ingest_seconds=ingest_s,
                embed_seconds=embed_s,
                fusion=params.to_dict(),
                reused_index=reused,
                model=lib.embedding_model.id,
            )
            for mode in modes:
                run, ms = rank_documents(lib, dataset.queries, mode, params, cancel=cancel)
                report.modes[mode] = score_run(run, dataset.qrels)
                report.search_ms[mode] = ms
                log.info("eval %s %s: %s", dataset.root.name, mode, report.modes[mode])
        finally:
            lib.close()
    return report
