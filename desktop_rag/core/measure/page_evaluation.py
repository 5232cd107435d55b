"""Page-level retrieval quality over a folder of PDFs, measured through the real pipeline.

The folder's documents are ingested into a temporary library (or one kept with `index_dir`)
exactly as a user's files are; each question of `questions.jsonl` is searched by keyword
alone, by meaning alone and by the hybrid search users get, and the ranked chunks become a
ranking of distinct (document, page) pairs. A question is a hit@k when a gold page of its own
document is among the first k pages; MRR is 1 / rank of the first such page (first 100).

The layout is FinanceBench's: one JSON object per line with `doc_name`, `question` and
`evidence: [{"evidence_page_num": <0-based page>}, ...]`; the documents are
`pdfs/<doc_name>.pdf` (or `<doc_name>.pdf` beside `questions.jsonl`)."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_rag.core.errors import UserError
from desktop_rag.core.search import retrieval
from desktop_rag.core.tasks import CancelToken, Progress

log = logging.getLogger(__name__)

MODES = ("bm25", "dense", "hybrid")
CUTOFFS = (1, 5, 10)
METRICS = ("hit@1", "hit@5", "hit@10", "mrr")
PAGES_PER_QUESTION = 100  # ranked pages kept per question: MRR counts within these

Page = tuple[str, int]  # (document name without its suffix, 1-based page)


@dataclass(frozen=True)
class PageQuestion:
    """A question asked of one document, with the pages (1-based) that hold its answer."""

    id: str
    document: str
    text: str
    gold_pages: frozenset[int]


@dataclass
class PageDataset:
    root: Path
    documents_dir: Path
    questions: list[PageQuestion]


def load_page_dataset(root: str | Path) -> PageDataset:
    """Read `questions.jsonl` and find the documents they are asked of."""
    root = Path(root).expanduser()
    qpath = root / "questions.jsonl"
    if not qpath.is_file():
        raise UserError(
            f"{qpath} is missing: {root} is not a page-retrieval dataset.",
            "The folder holds questions.jsonl (doc_name, question, evidence[].evidence_page_num) "
            "and the PDFs, in pdfs/ or beside it.",
        )
    docs_dir = root / "pdfs" if (root / "pdfs").is_dir() else root
    questions: list[PageQuestion] = []
    with open(qpath, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if not line.strip():
                continue
            row = json.loads(line)
            pages = frozenset(
                int(e["evidence_page_num"]) + 1  # the dataset counts from 0, the app from 1
                for e in row.get("evidence") or []
                if e.get("evidence_page_num") is not None
            )
            name = str(row.get("doc_name") or "")
            if not pages or not name:
                continue
            qid = str(row.get("financebench_id") or row.get("id") or n)
            questions.append(PageQuestion(qid, name, str(row["question"]), pages))
    if not questions:
        raise UserError(f"No question of {qpath} names a document and an evidence page.")
    missing = sorted(
        {q.document for q in questions if not (docs_dir / f"{q.document}.pdf").is_file()}
    )
    if missing:
        raise UserError(
            f"{len(missing)} document(s) the questions ask about are not in {docs_dir}: "
            f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}.",
            "Put each <doc_name>.pdf in the dataset's pdfs/ folder.",
        )
    return PageDataset(root, docs_dir, questions)


# --- metrics -------------------------------------------------------------------------------------


def pages_from_chunks(
    ranked_chunks: Sequence[tuple[int, float]], page_of: dict[int, Page], limit: int
) -> list[Page]:
    """Distinct (document, page) pairs in the order of their best chunk."""
    seen: dict[Page, None] = {}
    for cid, _ in ranked_chunks:
        page = page_of.get(cid)
        if page is not None and page not in seen:
            seen[page] = None
            if len(seen) >= limit:
                break
    return list(seen)


def first_gold_rank(ranked: Sequence[Page], question: PageQuestion) -> int | None:
    """1-based rank of the first gold page of the question's own document, or None."""
    for i, (doc, page) in enumerate(ranked):
        if doc == question.document and page in question.gold_pages:
            return i + 1
    return None


def score_pages(runs: dict[str, list[Page]], questions: Sequence[PageQuestion]) -> dict[str, float]:
    """Mean hit@1/5/10 and MRR over the questions (a question with no run scores 0)."""
    totals = dict.fromkeys(METRICS, 0.0)
    for q in questions:
        rank = first_gold_rank(runs.get(q.id, []), q)
        if rank is None:
            continue
        for k in CUTOFFS:
            totals[f"hit@{k}"] += rank <= k
        totals["mrr"] += 1.0 / rank
    n = max(len(questions), 1)
    return {m: v / n for m, v in totals.items()}


# --- running it ----------------------------------------------------------------------------------


@dataclass
class PageEvalReport:
    dataset: str
    questions: int
    documents: int
    pages: int
    chunks: int
    ingest_seconds: float
    embed_seconds: float
    modes: dict[str, dict[str, float]] = field(default_factory=dict)
    search_ms: dict[str, float] = field(default_factory=dict)
    fusion: dict[str, Any] = field(default_factory=dict)
    reused_index: bool = False
    ranks: dict[str, dict[str, int | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "questions": self.questions,
            "documents": self.documents,
            "pages": self.pages,
            "chunks": self.chunks,
            "ingest_seconds": round(self.ingest_seconds, 2),
            "embed_seconds": round(self.embed_seconds, 2),
            "reused_index": self.reused_index,
            "modes": {m: {k: round(v, 4) for k, v in s.items()} for m, s in self.modes.items()},
            "search_ms_per_query": {m: round(v, 2) for m, v in self.search_ms.items()},
            "fusion": self.fusion,
            "first_gold_rank": self.ranks,
        }

    def table(self) -> str:
        """A plain-text table: one row per mode."""
        head = f"{'mode':<8}" + "".join(f"{m:>10}" for m in METRICS) + f"{'ms/query':>10}"
        lines = [
            f"{self.dataset}: {self.questions} questions, {self.documents} documents, "
            f"{self.pages} pages, {self.chunks} chunks; ingest {self.ingest_seconds:.1f} s "
            f"({self.embed_seconds:.1f} s embedding)"
            + (", measured when the reused index was built" if self.reused_index else ""),
            head,
            "-" * len(head),
        ]
        for mode, scores in self.modes.items():
            lines.append(
                f"{mode:<8}"
                + "".join(f"{scores[m]:>10.4f}" for m in METRICS)
                + f"{self.search_ms.get(mode, 0.0):>10.1f}"
            )
        if "hybrid" in self.modes:
            fusion = ", ".join(f"{k}={v}" for k, v in self.fusion.items())
            lines.append(f"hybrid fusion: {fusion}")
        return "\n".join(lines)


def build_page_index(
    dataset: PageDataset,
    folder: Path,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> tuple[Any, float, float]:
    """Open the library in `folder` (created if new) with every document of the dataset in it.

    Returns (library, ingest seconds, embedding seconds), as measured when it was built."""
    from desktop_rag.core.library import Library

    source = str(dataset.documents_dir.resolve())
    if (folder / "library.db").exists():
        lib = Library(folder)
        if lib.store.get_meta("pages_folder") != source:
            lib.close()
            raise UserError(
                f"{folder} holds another index.", "Choose an empty folder or the same dataset."
            )
    else:
        lib = Library.create_at(folder)
        lib.store.set_meta({"pages_folder": source})
    try:
        # a reused index is brought up to date: what an interrupted build left out is added,
        # unchanged files are skipped; the times add up over the runs that indexed something
        report = lib.ingest([dataset.documents_dir], progress=progress, cancel=cancel)
        if report.cancelled:
            raise UserError("The evaluation was cancelled while indexing; run it again to go on.")
        ingest_s = float(lib.store.get_meta("pages_ingest_seconds") or 0.0)
        embed_s = float(lib.store.get_meta("pages_embed_seconds") or 0.0)
        if report.chunks:
            ingest_s += report.seconds
            embed_s += report.embed_seconds
            lib.store.set_meta(
                {
                    "pages_ingest_seconds": f"{ingest_s:.3f}",
                    "pages_embed_seconds": f"{embed_s:.3f}",
                }
            )
    except BaseException:
        lib.close()
        raise
    return lib, ingest_s, embed_s


def page_map(lib: Any) -> dict[int, Page]:
    """Every chunk's (document name, page)."""
    return {
        int(cid): (Path(path).stem, int(page))
        for cid, path, page in lib.store.conn.execute(
            "SELECT c.id, d.path, c.page FROM chunks c JOIN documents d ON d.id = c.document_id"
        )
    }


def rank_pages(
    lib: Any,
    questions: Sequence[PageQuestion],
    mode: str,
    params: retrieval.FusionParams = retrieval.DEFAULT_FUSION,
    limit: int = PAGES_PER_QUESTION,
    cancel: CancelToken | None = None,
) -> tuple[dict[str, list[Page]], float]:
    """Each question's pages, best first, and the mean milliseconds a search took."""
    page_of = page_map(lib)
    embedder = lib.embedder()
    if mode != "bm25":
        embedder.encode_query("warm up")  # load the model outside the timed searches
    runs: dict[str, list[Page]] = {}
    spent = 0.0
    for q in questions:
        if cancel is not None:
            cancel.raise_if_cancelled()
        t = time.perf_counter()
        ranked = retrieval.rank_chunks(
            lib.store, lib.vectors, embedder, lib.embedding_model, q.text, params, mode
        )
        spent += time.perf_counter() - t
        runs[q.id] = pages_from_chunks(ranked, page_of, limit)
    return runs, 1000.0 * spent / max(len(questions), 1)


def evaluate_pages(
    root: str | Path,
    modes: Sequence[str] = MODES,
    params: retrieval.FusionParams = retrieval.DEFAULT_FUSION,
    index_dir: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> PageEvalReport:
    """Ingest a folder of PDFs (or reuse `index_dir`) and score page retrieval per mode."""
    for mode in modes:
        if mode not in MODES:
            raise UserError(f"Unknown mode '{mode}'.", f"Choose from {', '.join(MODES)}.")
    dataset = load_page_dataset(root)
    with tempfile.TemporaryDirectory(prefix="desktop-rag-pages-") as tmp:
        folder = Path(index_dir).expanduser() if index_dir else Path(tmp) / "library"
        reused = (folder / "library.db").exists()
        lib, ingest_s, embed_s = build_page_index(dataset, folder, progress, cancel)
        try:
            stats = lib.store.stats()
            report = PageEvalReport(
                dataset=dataset.root.name,
                questions=len(dataset.questions),
                documents=stats["documents"],
                pages=stats["pages"],
                chunks=stats["chunks"],
                ingest_seconds=ingest_s,
                embed_seconds=embed_s,
                fusion=params.to_dict(),
                reused_index=reused,
            )
            for mode in modes:
                runs, ms = rank_pages(lib, dataset.questions, mode, params, cancel=cancel)
                report.modes[mode] = score_pages(runs, dataset.questions)
                report.search_ms[mode] = ms
                report.ranks[mode] = {
                    q.id: first_gold_rank(runs.get(q.id, []), q) for q in dataset.questions
                }
                log.info("eval pages %s %s: %s", dataset.root.name, mode, report.modes[mode])
        finally:
            lib.close()
    return report
