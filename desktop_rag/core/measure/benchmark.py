"""`desktop-rag bench`: how fast each part of the app is, measured beside the raw component
doing the same work in the same run, so the ratios hold on a busy machine.

Sections: ingest (a 1,000-page PDF until it is searchable by keywords; a generated PDF through
the real pipeline vs the bare encoder on the same chunks; the encoder the app runs, int8 ONNX,
vs the torch path it replaced, side by side on the same chunks), search (the hybrid search vs
USearch alone, on libraries of 10k and 100k chunks whose text is synthetic and whose vectors
are random unit vectors written straight through the store and the index; the query is
embedded by the real model), generation (our wrapper vs bare llama-cpp-python on the same
prompt), startup (launching the app until its window is shown vs a bare Qt window) and
summary (summary_bench.py: a 50-page PDF summarized). `--scale` (core/measure/scale.py)
grows the search libraries to 1M chunks."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop_rag.core.tasks import Progress

log = logging.getLogger(__name__)

SECTIONS = ("ingest", "search", "generation", "startup", "summary")
EXIT_AFTER_SHOWN_ENV = "DESKTOP_RAG_EXIT_AFTER_SHOWN"
SHOWN_MARKER = "window shown after"

# Targets from the issues: row name -> (comparison, bound); ">=" and "<=" compare the ratio
# to the raw component, "<" the figure itself.
TARGETS: dict[str, tuple[str, float]] = {
    "1,000-page PDF keyword-searchable after": ("<", 30.0),
    "encoder vs torch path, English (MiniLM)": (">=", 2.0),
    "encoder vs torch path, Korean (e5)": (">=", 2.0),
    "embedding throughput vs raw encode": (">=", 0.9),
    "search p50, 10k chunks": ("<", 30.0),
    "search p50, 100k chunks": ("<", 60.0),
    "generation time to first token": ("<=", 1.05),
    "generation tokens/s vs bare llama.cpp": (">=", 0.95),
    "app start until window shown": ("<", 2.0),
    "summary of a 50-page PDF: first text": ("<", 10.0),
}


@dataclass
class Row:
    """One measured figure, the raw component's figure beside it, and their ratio."""

    section: str
    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    note: str = ""

    @property
    def target(self) -> str:
        t = TARGETS.get(self.name)
        return f"{t[0]} {t[1]:g}" if t else ""

    @property
    def ok(self) -> bool | None:
        t = TARGETS.get(self.name)
        if t is None:
            return None
        measured = self.value if t[0] == "<" else self.ratio
        if measured is None:
            return None
        if t[0] == ">=":
            return measured >= t[1]
        return measured <= t[1] if t[0] == "<=" else measured < t[1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": _round(self.baseline),
            "baseline_name": self.baseline_name,
            "ratio": _round(self.ratio),
            "target": self.target,
            "ok": self.ok,
            "note": self.note,
        }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4 if abs(v) < 10 else 1)


@dataclass
class BenchReport:
    quick: bool
    rows: list[Row] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        log.info("bench %s: %s", row.name, row.to_dict())
        return row

    def to_dict(self) -> dict[str, Any]:
        return {
            "quick": self.quick,
            "machine": self.machine,
            "rows": [r.to_dict() for r in self.rows],
        }

    def table(self) -> str:
        """Rows as a plain-text table: figure, raw component, ratio, target."""

        def fmt(v: float | None) -> str:
            if v is None:
                return "-"
            return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"

        head = (
            f"{'section':<11}{'figure':<42}{'ours':>10} {'unit':<9}"
            f"{'raw':>10}  {'raw component':<28}{'ratio':>7}  {'target':<8}ok"
        )
        lines = [
            f"desktop-rag bench{' --quick' if self.quick else ''}: "
            + ", ".join(f"{k} {v}" for k, v in self.machine.items()),
            head,
            "-" * len(head),
        ]
        for r in self.rows:
            ok = {True: "yes", False: "NO", None: ""}[r.ok]
            lines.append(
                f"{r.section:<11}{r.name:<42}{fmt(r.value):>10} {r.unit:<9}"
                f"{fmt(r.baseline):>10}  {r.baseline_name:<28}"
                f"{fmt(r.ratio) if r.ratio is not None else '':>7}  {r.target:<8}{ok}"
            )
            if r.note:
                lines.append(f"{'':<11}  ({r.note})")
        return "\n".join(lines)


def physical_cores() -> int:
    """Physical cores (hyper-threads not counted), at least 1."""
    try:
        seen = set()
        for line in Path("/proc/cpuinfo").read_text().split("\n\n"):
            fields = dict(
                (k.strip(), v.strip())
                for k, _, v in (ln.partition(":") for ln in line.splitlines())
            )
            if "core id" in fields:
                seen.add((fields.get("physical id", "0"), fields["core id"]))
        if seen:
            return len(seen)
    except OSError:
        pass
    return max(1, (os.cpu_count() or 2) // 2)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return usage.ru_maxrss / scale


def machine_facts() -> dict[str, Any]:
    """What the figures were measured on: the CPU, its cores, the load at the start."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts: dict[str, Any] = {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "physical cores": physical_cores(),
        "python": sys.version.split()[0],
    }
    if hasattr(os, "getloadavg"):
        facts["load"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return facts


def run_benchmark(
    quick: bool = False,
    sections: Sequence[str] = SECTIONS,
    progress: Callable[[Progress], None] | None = None,
    embedding_model: str = "",
) -> BenchReport:
    """Run the chosen sections; every row stands beside the raw component it wraps.
    `embedding_model`: '' (the default), 'minilm' or a folder, for ingest and search."""
    report = BenchReport(quick, machine=machine_facts())

    def say(text: str) -> None:
        log.info("bench: %s", text)
        if progress is not None:
            progress(Progress(stage="bench", current=text))

    with tempfile.TemporaryDirectory(prefix="desktop-rag-bench-") as tmp:
        root = Path(tmp)
        if "ingest" in sections:
            bench_time_to_searchable(report, root, 1000, say)
            texts = bench_ingest(report, root, 100 if quick else 300, say, embedding_model)
            ko_texts = bench_korean_ingest(report, root, 50 if quick else 150, say, embedding_model)
            rounds = 3 if quick else 5
            for name, ref, sample in (
                ("English (MiniLM)", "minilm", texts),
                ("Korean (e5)", "e5", ko_texts),
            ):
                bench_encoder(report, name, ref, sample, rounds, say)
        if "search" in sections:
            bench_search(report, root, 60 if quick else 300, say, embedding_model=embedding_model)
        if "generation" in sections:
            bench_generation(report, max_tokens=64 if quick else 256, say=say)
        if "startup" in sections:
            bench_startup(report, root, runs=2 if quick else 5, say=say)
        if "summary" in sections:
            from desktop_rag.core.measure.summary_bench import bench_summary

            bench_summary(report, root, say)
    report.add(Row("memory", "peak RSS of the bench process", peak_rss_mb(), "MB"))
    return report


# --- ingestion -----------------------------------------------------------------------------------

_SUBJECTS = [
    "The pump",
    "Each valve",
    "The control loop",
    "Our survey team",
    "The committee",
    "A second sensor",
    "The reactor vessel",
    "The field crew",
    "This protocol",
    "The supplier",
    "The auditors",
    "The cooling circuit",
]
_VERBS = [
    "measured",
    "reduced",
    "reported",
    "doubled",
    "calibrated",
    "replaced",
    "recorded",
    "inspected",
    "limited",
    "compared",
]
_OBJECTS = [
    "the outlet pressure",
    "the seasonal demand",
    "the failure rate of the bearings",
    "the pressure drop across the filter",
    "the quarterly maintenance budget",
    "the yield of the northern plots",
    "the response time of the alarm",
    "the thickness of the insulation",
    "the number of open tickets",
    "the energy used per tonne",
    "the humidity in the storage hall",
    "the error of the flow meter",
]
_TAILS = [
    "after the spring inspection",
    "during the night shift",
    "in every district except the harbour",
    "before the new standard took effect",
    "while the backup line was offline",
    "as the annual report had predicted",
    "without stopping production",
    "for the third year in a row",
]


def filler_pages(pages: int, seed: int = 11) -> Iterator[str]:
    """Pages of plausible technical prose (about 380 words each), all different."""
    rng = random.Random(seed)
    for n in range(1, pages + 1):
        paragraphs = [f"Section {n}"]
        for _ in range(4):
            sentences = []
            for _ in range(rng.randint(5, 7)):
                sentences.append(
                    f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} by "
                    f"{rng.randint(2, 95)} percent {rng.choice(_TAILS)}, "
                    f"according to the log of {rng.randint(1990, 2024)}."
                )
            paragraphs.append(" ".join(sentences))
        yield "\n\n".join(paragraphs)


_KO_SUBJECTS = ["펌프는", "각 밸브는", "제어 회로는", "조사팀은", "위원회는", "두 번째 센서는"]
_KO_SUBJECTS += ["원자로 용기는", "현장 작업반은", "이 규정은", "공급업체는", "감사팀은"]
_KO_OBJECTS = ["출구 압력을", "계절 수요를", "베어링 고장률을", "필터의 압력 강하를", "정비 예산을"]
_KO_OBJECTS += ["북쪽 농지의 수확량을", "경보의 응답 시간을", "단열재의 두께를", "창고의 습도를"]
_KO_OBJECTS += ["톤당 에너지 사용량을", "미처리 요청 건수를", "유량계의 오차를"]
_KO_VERBS = ["측정했다", "줄였다", "보고했다", "두 배로 늘렸다", "보정했다", "교체했다"]
_KO_VERBS += ["기록했다", "점검했다", "제한했다", "비교했다"]
_KO_TAILS = ["봄철 점검 뒤에", "야간 근무 중에", "항구를 제외한 모든 구역에서", "예측대로"]
_KO_TAILS += [
    "새 기준이 시행되기 전에",
    "예비 라인이 멈춘 동안",
    "생산을 멈추지 않고",
    "삼 년 연속",
]


def korean_filler_pages(pages: int, seed: int = 11) -> Iterator[str]:
    """Pages of Korean technical prose (about 1,300 characters each), all different."""
    rng = random.Random(seed)
    for n in range(1, pages + 1):
        paragraphs = [f"제{n}절"]
        for _ in range(4):
            sentences = [
                f"{rng.randint(1990, 2024)}년 기록에 따르면 {rng.choice(_KO_SUBJECTS)} "
                f"{rng.choice(_KO_TAILS)} {rng.choice(_KO_OBJECTS)} {rng.randint(2, 95)} "
                f"퍼센트만큼 {rng.choice(_KO_VERBS)}."
                for _ in range(rng.randint(5, 7))
            ]
            paragraphs.append(" ".join(sentences))
        yield "\n\n".join(paragraphs)


def make_pdf(path: Path, pages: int, korean: bool = False) -> Path:
    """A PDF of `pages` generated A4 pages of text (English, or Korean)."""
    import pymupdf

    doc = pymupdf.open()
    texts = korean_filler_pages(pages) if korean else filler_pages(pages)
    for text in texts:
        page = doc.new_page(width=595, height=842)
        rect = pymupdf.Rect(56, 56, 539, 786)
        page.insert_textbox(rect, text, fontsize=9, fontname="korea" if korean else "helv")
    doc.set_metadata({"title": "Generated benchmark report"})
    doc.save(path)
    doc.close()
    return path


def _stored_texts(lib: Any) -> list[str]:
    """The library's chunks as the model reads them (context lines, then the text)."""
    from desktop_rag.core.documents.chunk_context import embedding_text

    rows = lib.store.conn.execute("SELECT context, text FROM chunks ORDER BY document_id, ord")
    return [embedding_text(c, t) for c, t in rows]


def bench_time_to_searchable(
    report: BenchReport, root: Path, pages: int, say: Callable[[str], None]
) -> None:
    """A long generated PDF through the real pipeline until it is searchable by keywords
    (parsed in the child process, chunked, stored with its keyword index), its embeddings
    left for later as the window leaves them."""
    from desktop_rag.core.indexing.ingest import language_sample
    from desktop_rag.core.library import Library

    say(f"ingest: generating a {pages:,}-page PDF")
    pdf = make_pdf(root / "long.pdf", pages)
    with Library.create_at(root / "searchable-library") as lib:
        lib.settle_model(language_sample(filler_pages(3)))
        _ = lib.embedder().tokenizer  # the tokenizer that cuts chunks, loaded outside the timing
        say(f"ingest: the {pages:,}-page PDF until it is searchable by keywords")
        result = lib.ingest([pdf], embed=False)
        if result.failed or not result.chunks:
            raise RuntimeError(f"the long PDF was not indexed: {result.summary()}")
        hits = lib.search("the pressure drop across the filter", k=5)
        pending, total = lib.pending_embeddings()
    if not hits:
        raise RuntimeError("the long PDF is stored but a keyword search finds nothing")
    secs = result.searchable_seconds
    report.add(
        Row(
            "ingest",
            f"{pages:,}-page PDF keyword-searchable after",
            secs,
            "s",
            note=f"{result.pages / secs:.0f} pages/s, {result.chunks:,} chunks stored; "
            f"{pending:,} of {total:,} wait for their embeddings (meaning search follows)",
        )
    )


def bench_ingest(
    report: BenchReport,
    root: Path,
    pages: int,
    say: Callable[[str], None],
    embedding_model: str = "",
) -> list[str]:
    """A generated PDF through the real pipeline (both stages), then its chunks through the
    bare encoder the pipeline runs; returns the chunks' texts."""
    from desktop_rag.core.indexing.ingest import language_sample
    from desktop_rag.core.library import Library

    say(f"ingest: generating a {pages}-page PDF")
    pdf = make_pdf(root / "bench.pdf", pages)
    lib = Library.create_at(root / "ingest-library", embedding_model)
    try:
        # the model the pipeline will settle on, loaded before it is timed
        lib.settle_model(language_sample(filler_pages(3)))
        embedder = lib.embedder()
        embedder.encode_passages(["warm up the encoder"] * 4)
        say(f"ingest: the real pipeline ({embedder.backend})")
        result = lib.ingest([pdf])
        if result.failed or not result.chunks:
            raise RuntimeError(f"the benchmark PDF was not indexed: {result.summary()}")
        texts = _stored_texts(lib)
        say(f"ingest: the bare encoder on the same {len(texts)} chunks, twice")
        prefixed = [embedder.model.passage_prefix + t for t in texts]  # as the pipeline
        bare = embedder._load()  # the ONNX encoder, or sentence-transformers' model
        raw_runs = []
        for _ in range(2):
            t = time.perf_counter()
            bare.encode(prefixed, batch_size=32)
            raw_runs.append(time.perf_counter() - t)
        raw_s = statistics.mean(raw_runs)
    finally:
        lib.close()
    secs = max(result.seconds, 1e-9)
    chunks = result.chunks
    report.add(Row("ingest", f"ingest {pages}-page PDF: pages/s", result.pages / secs, "pages/s"))
    report.add(Row("ingest", "ingest: chunks/s", chunks / secs, "chunks/s"))
    report.add(
        Row(
            "ingest",
            "ingest: share of time in the embedding model",
            100.0 * result.embed_seconds / secs,
            "%",
            note=f"searchable by keywords after {result.searchable_seconds:.1f} s",
        )
    )
    report.add(
        Row(
            "ingest",
            "embedding throughput vs raw encode",
            chunks / secs,
            "chunks/s",
            baseline=len(texts) / raw_s,
            baseline_name=f"bare encoder ({embedder.backend})",
            ratio=(chunks / secs) / (len(texts) / raw_s),
            note=(
                f"{chunks} chunks: whole pipeline {secs:.1f} s, bare encoder "
                f"{' and '.join(f'{r:.1f}' for r in raw_runs)} s (run after it, twice)"
            ),
        )
    )
    return texts


def bench_encoder(
    report: BenchReport,
    name: str,
    model_ref: str,
    texts: list[str],
    rounds: int,
    say: Callable[[str], None],
) -> None:
    """The encoder the app runs vs the torch path it replaced, on the same chunks, in one
    process, alternating round by round (so a busy moment hits both): chunks/s, and how far
    apart their vectors are."""
    from desktop_rag.core.search.embedding import Embedder, resolve_embedding_model

    model = resolve_embedding_model(model_ref)
    ours, torch_path = Embedder(model), Embedder(model, backend="torch")
    if not texts:
        return
    for e in (ours, torch_path):
        e.encode_passages(texts[:4])  # loaded and warm, outside the timing
    say(f"ingest: {ours.backend} vs torch, {len(texts)} chunks, {rounds} rounds ({name})")
    ours_s, torch_s = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        ours_v = ours.encode_passages(texts)
        ours_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        torch_v = torch_path.encode_passages(texts)
        torch_s.append(time.perf_counter() - t)
    cosine = (ours_v * torch_v).sum(1)
    o, b = len(texts) / statistics.median(ours_s), len(texts) / statistics.median(torch_s)
    report.add(
        Row(
            "ingest",
            f"encoder vs torch path, {name}",
            o,
            "chunks/s",
            baseline=b,
            baseline_name="the torch path (before)",
            ratio=o / b,
            note=f"{ours.backend}; {len(texts)} chunks, median of {rounds} alternated rounds "
            f"(ratios {', '.join(f'{t / x:.2f}' for t, x in zip(torch_s, ours_s, strict=True))}); "
            f"cosine to the torch path's vectors: min {cosine.min():.4f}, mean {cosine.mean():.4f}",
        )
    )


def bench_korean_ingest(
    report: BenchReport,
    root: Path,
    pages: int,
    say: Callable[[str], None],
    embedding_model: str = "",
) -> list[str]:
    """A generated Korean PDF through the real pipeline: pages/s and chunks per page (an
    English-only tokenizer cuts Hangul into many more tokens, hence chunks); returns the
    chunks' texts."""
    from desktop_rag.core.indexing.ingest import language_sample
    from desktop_rag.core.library import Library

    say(f"ingest: generating a {pages}-page Korean PDF")
    pdf = make_pdf(root / "bench-ko.pdf", pages, korean=True)
    with Library.create_at(root / "ingest-ko-library", embedding_model) as lib:
        lib.settle_model(language_sample(korean_filler_pages(3)))
        lib.embedder().encode_passages(["워밍업"] * 4)  # loaded and warm, outside the timing
        say("ingest: the real pipeline, Korean")
        result = lib.ingest([pdf])
        texts = _stored_texts(lib)
    if result.failed or not result.chunks:
        raise RuntimeError(f"the Korean benchmark PDF was not indexed: {result.summary()}")
    secs = max(result.seconds, 1e-9)
    report.add(
        Row(
            "ingest",
            f"ingest {pages}-page Korean PDF: pages/s",
            result.pages / secs,
            "pages/s",
            note=f"{result.chunks} chunks ({result.chunks / result.pages:.1f} per page), "
            f"{result.chunks / secs:.2f} chunks/s",
        )
    )
    return texts


# --- search --------------------------------------------------------------------------------------


class _Vocabulary:
    """Words with Zipf-like frequencies, taken from the embedding model's own vocabulary."""

    def __init__(self, words: list[str], seed: int = 3) -> None:
        rng = random.Random(seed)
        rng.shuffle(words)
        self.words = words
        self.array = np.array(words, dtype=object)
        ranks = np.arange(1, len(words) + 1, dtype=np.float64)
        weights = 1.0 / ranks**1.07
        self.cdf = np.cumsum(weights / weights.sum())
        self.rng = np.random.default_rng(seed)

    def text(self, n_words: int) -> str:
        idx = np.searchsorted(self.cdf, self.rng.random(n_words))
        return " ".join(self.array[np.minimum(idx, len(self.words) - 1)])

    def query(self) -> str:
        """A question-like query: a few content words of middling frequency and a rare one
        (the most common words play the stopwords' part and are left out)."""
        n = len(self.words)
        picks = [self.words[int(self.rng.integers(100, 2000))] for _ in range(3)]
        picks.append(self.words[int(self.rng.integers(2000, min(n, 20000)))])
        return "what " + " ".join(picks)


def _vocabulary(embedder: Any) -> _Vocabulary:
    vocab = embedder.tokenizer.get_vocab()
    words = sorted(w for w in vocab if w.isalpha() and w.isascii() and len(w) >= 3)
    return _Vocabulary(words)


def build_synthetic_library(
    folder: Path,
    chunks: int,
    embedder: Any,
    words_per_chunk: int = 170,
    seed: int = 5,
    embedding_model: str = "",
) -> Any:
    """A library of `chunks` synthetic chunks with random unit vectors, written straight
    through the store and the vector index (nothing is embedded)."""
    from desktop_rag.core import textnorm
    from desktop_rag.core.library import Library
    from desktop_rag.core.storage.store import ChunkRecord, PageRecord

    vocab = _vocabulary(embedder)
    rng = np.random.default_rng(seed)
    lib = Library.create_at(folder, embedding_model)
    per_doc = 1000
    all_ids: list[int] = []
    all_vecs: list[np.ndarray] = []
    for d in range(0, chunks, per_doc):
        n = min(per_doc, chunks - d)
        texts = [vocab.text(words_per_chunk) for _ in range(n)]
        vecs = rng.standard_normal((n, lib.dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        records = [
            ChunkRecord(i, i // 3 + 1, 0, len(t), t, [], words_per_chunk, textnorm.fts_text(t))
            for i, t in enumerate(texts)
        ]
        pages = [PageRecord(p + 1, 595.0, 842.0, "") for p in range((n + 2) // 3)]
        _, _, added = lib.store.replace_document(
            f"synthetic:{d // per_doc}",
            title=f"Synthetic document {d // per_doc}",
            fts_title=f"Synthetic document {d // per_doc}",
            kind="synthetic",
            sha256=f"{d:064x}",
            size=0,
            mtime=0.0,
            pages=pages,
            chunks=records,
            embeddings=vecs,
        )
        all_ids.extend(added)
        all_vecs.append(vecs)
    # one bulk insert on every core: the HNSW graph builds in parallel
    lib.vectors.add(all_ids, np.concatenate(all_vecs), threads=0)
    lib.vectors.save()
    return lib


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def bench_search(
    report: BenchReport,
    root: Path,
    queries: int,
    say: Callable[[str], None],
    sizes: Sequence[int] = (10_000, 100_000),
    embedding_model: str = "",
) -> None:
    """p50/p95 of the full hybrid search vs USearch alone, at 10k and 100k chunks."""
    from desktop_rag.core.search import retrieval
    from desktop_rag.core.search.embedding import embedder_for, resolve_embedding_model

    embedder = embedder_for(resolve_embedding_model(embedding_model))
    embedder.encode(["warm up"])
    for size in sizes:
        label = f"{size // 1000}k" if size >= 1000 else str(size)
        say(f"search: building a synthetic library of {size} chunks")
        t = time.perf_counter()
        lib = build_synthetic_library(
            root / f"search-{label}", size, embedder, embedding_model=embedding_model
        )
        build_s = time.perf_counter() - t
        try:
            vocab = _vocabulary(embedder)
            qs = [vocab.query() for _ in range(queries)]
            for q in qs[:5]:  # warm caches
                lib.search(q, k=10)
            say(f"search: {queries} queries on {label} chunks")
            ours: list[float] = []
            raw: list[float] = []
            embed: list[float] = []
            fts: list[float] = []
            index = lib.vectors._index
            cands = retrieval.DEFAULT_FUSION.candidates
            for q in qs:
                t0 = time.perf_counter()
                hits = lib.search(q, k=10)
                ours.append(1000 * (time.perf_counter() - t0))
                assert hits is not None
                t0 = time.perf_counter()
                qvec = embedder.encode_query(q)
                embed.append(1000 * (time.perf_counter() - t0))
                q16 = np.asarray(qvec, dtype=np.float16)
                t0 = time.perf_counter()
                index.search(q16, cands)
                raw.append(1000 * (time.perf_counter() - t0))
                from desktop_rag.core import textnorm

                t0 = time.perf_counter()
                lib.store.fts_search(textnorm.fts_query(q), cands)
                fts.append(1000 * (time.perf_counter() - t0))
            # asked within part of the library (several questions in a row, as a person asks
            # them): one document, and a tenth of the documents
            docs = [d["id"] for d in lib.documents()]
            scopes = {"1 document": docs[:1], "a tenth of it": docs[: max(1, len(docs) // 10)]}
            scoped: dict[str, list[float]] = {name: [] for name in scopes}
            for name, ids in scopes.items():
                for q in qs:
                    t0 = time.perf_counter()
                    lib.search(q, k=10, scope=ids)
                    scoped[name].append(1000 * (time.perf_counter() - t0))
        finally:
            lib.close()
        p50, p95 = _percentile(ours, 50), _percentile(ours, 95)
        r50 = _percentile(raw, 50)
        report.add(
            Row(
                "search",
                f"search p50, {label} chunks",
                p50,
                "ms",
                baseline=r50,
                baseline_name=f"USearch search alone (k={cands})",
                note=(
                    f"p95 {p95:.1f} ms; of which query embedding p50 "
                    f"{_percentile(embed, 50):.1f} ms, FTS5 p50 {_percentile(fts, 50):.1f} ms; "
                    f"library built in {build_s:.0f} s"
                ),
            )
        )
        report.add(
            Row(
                "search",
                f"search p95, {label} chunks",
                p95,
                "ms",
                baseline=_percentile(raw, 95),
                baseline_name="USearch search alone, p95",
            )
        )
        for name, times in scoped.items():
            report.add(
                Row(
                    "search",
                    f"scoped search p50, {label} chunks, {name}",
                    _percentile(times, 50),
                    "ms",
                    baseline=p50,
                    baseline_name="the same search, whole library",
                    ratio=_percentile(times, 50) / p50 if p50 else None,
                    note=f"p95 {_percentile(times, 95):.1f} ms",
                )
            )


# --- generation ----------------------------------------------------------------------------------

_BENCH_SOURCES = (
    "Sources:\n[1] The pump's outlet pressure is limited to 6 bar by a relief valve set at the "
    "factory. The valve opens at 6.2 bar and closes again at 5.8 bar, and its setting is sealed "
    "with a lead wire that only the service team may cut.\n[2] The relief valve was replaced "
    "in 2019 after it stuck open during a cold night; the new valve has a heated body and a "
    "stainless spring, and it is inspected every spring before the irrigation season begins."
)
BENCH_QUESTION = "What limits the pump pressure, and when was that part replaced?"
BENCH_FOLLOW_UP = "And how often is the new one inspected?"


def bench_messages(run: int, question: str = BENCH_QUESTION) -> list[dict[str, str]]:
    """The prompt of run `run`: its first words differ from every other run's, so each run
    really reads its prompt (llama.cpp would otherwise reuse the cache of the last one)."""
    return [
        {
            "role": "system",
            "content": f"Session {run}. Answer from the numbered sources only and cite them "
            "like [1]. Explain in a few sentences.",
        },
        {"role": "user", "content": f"{_BENCH_SOURCES}\n\nQuestion: {question}"},
    ]


def _time_stream(pieces: Iterator[Any], text_of: Callable[[Any], str]) -> tuple[float, int, float]:
    """(seconds to the first text piece, pieces after it, seconds they took)."""
    t0 = time.perf_counter()
    first: float | None = None
    n = 0
    for piece in pieces:
        if not text_of(piece):
            continue
        now = time.perf_counter()
        if first is None:
            first = now
        else:
            n += 1
    end = time.perf_counter()
    if first is None:
        return end - t0, 0, 0.0
    return first - t0, n, end - first


# The app's sampling (generation.Generator.stream_chat) so both sides do the same work.
SAMPLING = {"temperature": 0.0, "repeat_penalty": 1.15, "top_p": 0.9}


def _bare_stream(llm: Any, messages: list[dict[str, str]], max_tokens: int) -> Iterator[Any]:
    return iter(
        llm.create_chat_completion(
            messages=messages, max_tokens=max_tokens, stream=True, **SAMPLING
        )
    )


def _bare_text(chunk: Any) -> str:
    return str(chunk["choices"][0].get("delta", {}).get("content") or "")


def our_generator(model_path: Path, n_ctx: int, n_threads: int) -> Any:
    """The app's own generation wrapper, loaded, or None when it is not there.

    `desktop_rag.core.answers.generation.Generator(model_path, context_size=, threads=)`, `.load()`,
    then `.stream_chat(messages, on_text=, max_tokens=, temperature=)` is what gets timed."""
    try:
        generation = importlib.import_module("desktop_rag.core.answers.generation")
    except ImportError:
        return None
    cls = getattr(generation, "Generator", None)
    if cls is None:
        return None
    gen = cls(model_path, context_size=n_ctx, threads=n_threads)
    gen.load()
    return gen


def _time_ours(
    gen: Any, messages: list[dict[str, str]], max_tokens: int
) -> tuple[float, int, float]:
    """(seconds to the first text piece, pieces after it, seconds they took), as _time_stream."""
    marks: list[float] = []
    t0 = time.perf_counter()
    gen.stream_chat(
        messages,
        on_text=lambda piece: marks.append(time.perf_counter()) if piece else None,
        max_tokens=max_tokens,
        temperature=0.0,
    )
    end = time.perf_counter()
    if not marks:
        return end - t0, 0, 0.0
    return marks[0] - t0, len(marks) - 1, end - marks[0]


def bench_generation(
    report: BenchReport,
    max_tokens: int,
    say: Callable[[str], None],
    model: Path | None = None,
) -> None:
    """Time to first token and tokens/s: our wrapper (the model in its own process) vs bare
    llama-cpp-python in this one, same prompts, same sampling, same threads; interleaved so a
    busy moment hits both. Then a follow-up's first token, its sources cached or not.
    `model`: a .gguf (default: the app's preferred bundled model)."""
    from desktop_rag.core.answers.models import bundled_llm_path, read_gguf_info

    path = model or bundled_llm_path()
    if path is None or importlib.util.find_spec("llama_cpp") is None:
        report.add(Row("generation", "generation", None, "", note="not available: no model"))
        return
    from desktop_rag.core.answers.llama_runtime import load_cpu_backend

    load_cpu_backend()  # the CPU code the app's model process picks
    from llama_cpp import Llama

    name = read_gguf_info(path).name.removesuffix(" (bundled)")
    n_ctx, threads = 2048, physical_cores()
    say(f"generation: bare llama-cpp-python and desktop_rag.core.answers.generation ({name})")
    bare = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, verbose=False)
    _time_stream(_bare_stream(bare, bench_messages(0), 8), _bare_text)  # warm up
    ours = our_generator(path, n_ctx, threads)
    if ours is None:
        bare.close()
        report.add(Row("generation", "generation", None, "", note="ours not available"))
        return
    _time_ours(ours, bench_messages(0), 8)
    bare_runs: list[tuple[float, float]] = []
    our_runs: list[tuple[float, float]] = []
    for run in range(1, 4):
        ttft, n, secs = _time_stream(
            _bare_stream(bare, bench_messages(run), max_tokens), _bare_text
        )
        bare_runs.append((ttft, n / secs if secs > 0 else 0.0))
        ttft, n, secs = _time_ours(ours, bench_messages(run), max_tokens)
        our_runs.append((ttft, n / secs if secs > 0 else 0.0))
    bare.close()
    # a follow-up over the same sources, right after its first question (the app keeps the
    # system prompt and the sources first for this), against the same prompt read cold
    cached, cold = [], []
    for run in range(4, 7):
        _time_ours(ours, bench_messages(run), 4)
        cached.append(_time_ours(ours, bench_messages(run, BENCH_FOLLOW_UP), 4)[0])
        cold.append(_time_ours(ours, bench_messages(run + 10, BENCH_FOLLOW_UP), 4)[0])
    ours.close()
    b_ttft = statistics.median(r[0] for r in bare_runs)
    b_rate = statistics.median(r[1] for r in bare_runs)
    o_ttft = statistics.median(r[0] for r in our_runs)
    o_rate = statistics.median(r[1] for r in our_runs)
    report.add(
        Row(
            "generation",
            "generation time to first token",
            1000 * o_ttft,
            "ms",
            1000 * b_ttft,
            "bare llama-cpp-python",
            ratio=o_ttft / max(b_ttft, 1e-9),
            note="ratio: ours / bare (below 1.05: the model's own process costs under 5%)",
        )
    )
    report.add(
        Row(
            "generation",
            "generation tokens/s vs bare llama.cpp",
            o_rate,
            "tok/s",
            b_rate,
            "bare llama-cpp-python",
            ratio=o_rate / max(b_rate, 1e-9),
            note=f"median of 3 interleaved runs of up to {max_tokens} tokens, {name}",
        )
    )
    f_cached, f_cold = statistics.median(cached), statistics.median(cold)
    report.add(
        Row(
            "generation",
            "follow-up time to first token",
            1000 * f_cached,
            "ms",
            1000 * f_cold,
            "the same prompt, nothing cached",
            ratio=f_cached / max(f_cold, 1e-9),
            note="its system prompt and sources reused from the question before",
        )
    )


# --- start-up ------------------------------------------------------------------------------------

_BARE_QT = (
    "import time, sys; t = time.perf_counter()\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "from PySide6.QtCore import QTimer\n"
    "app = QApplication(sys.argv); w = QMainWindow(); w.resize(900, 600); w.show()\n"
    "app.processEvents()\n"
    f"print('{SHOWN_MARKER}', time.perf_counter() - t, flush=True)\n"
)


RSS_MARKER = "peak rss kb"
# `python -m desktop_rag`, reporting its own peak memory as it exits (a forked child's
# ru_maxrss would count the parent's memory too).
_APP_WITH_RSS = (
    "import atexit, resource, runpy, sys\n"
    "def peak():\n"
    "    try:\n"  # VmHWM: this program's own peak; ru_maxrss would count the forked parent's
    "        for line in open('/proc/self/status'):\n"
    "            if line.startswith('VmHWM:'):\n"
    "                return int(line.split()[1])\n"
    "    except OSError:\n"
    "        pass\n"
    "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    f"atexit.register(lambda: print('{RSS_MARKER}', peak(), flush=True))\n"
    "sys.argv = ['desktop_rag']\n"
    "runpy.run_module('desktop_rag', run_name='__main__', alter_sys=True)\n"
)


def _launch(args: list[str], env: dict[str, str], timeout: float = 120.0) -> tuple[float, float]:
    """(seconds from spawn until the process printed SHOWN_MARKER, its peak RSS in MB)."""
    with tempfile.TemporaryFile() as errfile:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=errfile)
        shown: float | None = None
        assert proc.stdout is not None
        reported_kb: float | None = None
        for line in proc.stdout:
            if shown is None and SHOWN_MARKER.encode() in line:
                shown = time.perf_counter() - t0
            if line.startswith(RSS_MARKER.encode()):
                reported_kb = float(line.split()[-1])
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                break
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        errfile.seek(0)
        err = errfile.read().decode(errors="replace")
    if proc.returncode != 0 or shown is None:
        raise RuntimeError(f"exit {proc.returncode}: {err[-800:]}")
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return shown, (reported_kb if reported_kb is not None else usage.ru_maxrss) / scale


def bench_startup(report: BenchReport, root: Path, runs: int, say: Callable[[str], None]) -> None:
    """Launch `python -m desktop_rag` offscreen until the main window is shown (the GUI prints
    '<SHOWN_MARKER> <seconds>' and exits when DESKTOP_RAG_EXIT_AFTER_SHOWN=1) vs a bare
    PySide6 window; wall time from spawn, so interpreter and imports count."""
    name = "app start until window shown"

    def unavailable(note: str) -> None:
        report.add(Row("startup", name, None, "s", note=note))

    if importlib.util.find_spec("PySide6") is None:
        unavailable("not available: PySide6 is not installed")
        return
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        EXIT_AFTER_SHOWN_ENV: "1",
        "DESKTOP_RAG_HOME": str(root / "startup-home"),
    }
    ours: list[float] = []
    bare: list[float] = []
    rss: list[float] = []
    say("startup: launching the app offscreen")
    for _ in range(runs):
        try:
            shown, peak = _launch([sys.executable, "-c", _APP_WITH_RSS], env)
        except RuntimeError as exc:
            unavailable(f"the app did not start: {str(exc)[-300:]}")
            return
        ours.append(shown)
        rss.append(peak)
        shown, _ = _launch([sys.executable, "-c", _BARE_QT], env)
        bare.append(shown)
    o, b = statistics.median(ours), statistics.median(bare)
    report.add(
        Row(
            "startup",
            name,
            o,
            "s",
            b,
            "bare PySide6 window",
            ratio=b / max(o, 1e-9),
            note=f"median of {runs} launches, from spawn until the window is shown",
        )
    )
    report.add(Row("startup", "peak RSS of the app at start", max(rss), "MB"))
