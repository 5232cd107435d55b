"""`desktop-rag bench --scale`: libraries of 10k, 100k and 1M chunks, and what each costs.

Each library is built through the real store and vector index (synthetic text drawn from the
embedding model's vocabulary, random unit vectors: benchmark.build_synthetic_library), then
measured in a fresh process, as the app would meet it: the time to open it, the hybrid search
(query embedded by the real model, FTS5 and USearch) at p50 and p95, the process's memory
(RSS) once open and searched, and the disk per chunk. A PNG plot shows the four against the
library's size."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SCALE_SIZES = (10_000, 100_000, 1_000_000)
SEARCH_P50_TARGET_MS = 50.0  # at 1M chunks (issue 23)


@dataclass
class ScalePoint:
    """One library size and what it cost."""

    chunks: int
    build_s: float
    open_s: float
    search_p50_ms: float
    search_p95_ms: float
    fts_p50_ms: float
    vector_p50_ms: float
    embed_p50_ms: float
    rss_mb: float
    peak_rss_mb: float
    disk_bytes: int

    @property
    def disk_per_chunk(self) -> float:
        return self.disk_bytes / max(self.chunks, 1)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "disk_per_chunk": round(self.disk_per_chunk, 1)}


def label(chunks: int) -> str:
    if chunks >= 1_000_000 and chunks % 1_000_000 == 0:
        return f"{chunks // 1_000_000}M"
    return f"{chunks // 1000}k" if chunks >= 1000 else str(chunks)


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def _built(folder: Path, chunks: int) -> bool:
    """Whether `folder` already holds a finished synthetic library of `chunks` chunks."""
    import sqlite3

    db = folder / "library.db"
    if not db.exists() or not (folder / "vectors.usearch").exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            n = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(n == chunks)


def build(folder: Path, chunks: int, embedding_model: str = "") -> float:
    """Build (or keep, when already built) the synthetic library; seconds it took."""
    from desktop_rag.core.measure.benchmark import build_synthetic_library
    from desktop_rag.core.search.embedding import embedder_for, resolve_embedding_model

    if _built(folder, chunks):
        return 0.0
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    embedder = embedder_for(resolve_embedding_model(embedding_model))
    t = time.perf_counter()
    lib = build_synthetic_library(folder, chunks, embedder, embedding_model=embedding_model)
    lib.close()
    return time.perf_counter() - t


def _status_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    from desktop_rag.core.measure.benchmark import peak_rss_mb

    return peak_rss_mb()


def measure_library(folder: Path, queries: int, seed: int = 7) -> dict[str, float]:
    """Open the library and search it `queries` times (run in a fresh process, so the memory
    figures are the library's own): timings in ms and s, memory in MB."""
    from desktop_rag.core import textnorm
    from desktop_rag.core.library import Library
    from desktop_rag.core.measure.benchmark import _percentile, _vocabulary
    from desktop_rag.core.search import retrieval
    from desktop_rag.core.search.embedding import embedder_for

    t = time.perf_counter()
    lib = Library(folder)
    open_s = time.perf_counter() - t
    try:
        embedder = embedder_for(lib.embedding_model)
        embedder.encode_query("warm up")
        vocab = _vocabulary(embedder)
        vocab.rng = np.random.default_rng(seed)
        qs = [vocab.query() for _ in range(queries)]
        for q in qs[:5]:
            lib.search(q, k=10)
        cands = retrieval.DEFAULT_FUSION.candidates
        ours, fts, vec, emb = [], [], [], []
        for q in qs:
            t0 = time.perf_counter()
            lib.search(q, k=10)
            ours.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            qvec = embedder.encode_query(q)
            emb.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            lib.vectors.search(qvec, cands)
            vec.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            lib.store.fts_search(textnorm.fts_query(q), cands)
            fts.append(1000 * (time.perf_counter() - t0))
        return {
            "open_s": open_s,
            "search_p50_ms": _percentile(ours, 50),
            "search_p95_ms": _percentile(ours, 95),
            "fts_p50_ms": _percentile(fts, 50),
            "vector_p50_ms": _percentile(vec, 50),
            "embed_p50_ms": _percentile(emb, 50),
            "rss_mb": _status_mb("VmRSS"),
            "peak_rss_mb": _status_mb("VmHWM"),
        }
    finally:
        lib.close()


def _measure_in_child(folder: Path, queries: int) -> dict[str, float]:
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from desktop_rag.core.measure.scale import measure_library\n"
        "print(json.dumps(measure_library(Path(sys.argv[1]), int(sys.argv[2]))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(queries)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"measuring {folder} failed: {proc.stderr[-800:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run_scale(
    sizes: Sequence[int] = SCALE_SIZES,
    folder: Path | None = None,
    queries: int = 200,
    say: Callable[[str], None] = lambda _text: None,
    embedding_model: str = "",
) -> list[ScalePoint]:
    """Build and measure a library of each size (kept in `folder` for the next run when
    given, else in a temporary folder)."""
    points: list[ScalePoint] = []
    with tempfile.TemporaryDirectory(prefix="desktop-rag-scale-") as tmp:
        root = folder or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            lib_folder = root / f"scale-{label(size)}"
            say(f"scale: building a library of {size:,} chunks")
            build_s = build(lib_folder, size, embedding_model)
            say(f"scale: opening and searching it ({queries} queries) in a fresh process")
            measured = _measure_in_child(lib_folder, queries)
            point = ScalePoint(
                chunks=size,
                build_s=build_s,
                disk_bytes=folder_bytes(lib_folder),
                **measured,
            )
            log.info("scale %s: %s", label(size), point.to_dict())
            points.append(point)
    return points


def table(points: Sequence[ScalePoint], machine: dict[str, Any]) -> str:
    """The points as a plain-text table."""
    head = (
        f"{'chunks':>10} {'open s':>8} {'p50 ms':>8} {'p95 ms':>8} {'FTS5 p50':>9} "
        f"{'USearch':>8} {'query emb':>9} {'RSS MB':>8} {'disk/chunk':>11} {'built in':>9}"
    )
    lines = [
        "desktop-rag bench --scale: " + ", ".join(f"{k} {v}" for k, v in machine.items()),
        head,
        "-" * len(head),
    ]
    for p in points:
        built = f"{p.build_s:.0f} s" if p.build_s else "reused"
        lines.append(
            f"{p.chunks:>10,} {p.open_s:>8.2f} {p.search_p50_ms:>8.1f} {p.search_p95_ms:>8.1f} "
            f"{p.fts_p50_ms:>9.1f} {p.vector_p50_ms:>8.2f} {p.embed_p50_ms:>9.1f} "
            f"{p.rss_mb:>8.0f} {p.disk_per_chunk / 1024:>8.2f} KB {built:>9}"
        )
    biggest = max(points, key=lambda p: p.chunks, default=None)
    if biggest is not None and biggest.chunks >= 1_000_000:
        ok = "yes" if biggest.search_p50_ms <= SEARCH_P50_TARGET_MS else "NO"
        lines.append(
            f"search p50 at {label(biggest.chunks)} chunks: {biggest.search_p50_ms:.1f} ms "
            f"(target <= {SEARCH_P50_TARGET_MS:.0f} ms: {ok}); RSS {biggest.rss_mb:.0f} MB"
        )
    return "\n".join(lines)


def plot(points: Sequence[ScalePoint], path: Path, title: str = "") -> Path:
    """Draw search latency, open time, memory and disk per chunk against the library's size
    into a PNG (written atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [p.chunks for p in points]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), dpi=110)
    ax = axes[0][0]
    ax.plot(sizes, [p.search_p50_ms for p in points], "o-", label="search p50")
    ax.plot(sizes, [p.search_p95_ms for p in points], "s--", label="search p95")
    ax.plot(sizes, [p.fts_p50_ms for p in points], "^:", label="of which FTS5 p50")
    ax.plot(sizes, [p.embed_p50_ms for p in points], "v:", label="query embedding p50")
    ax.axhline(SEARCH_P50_TARGET_MS, color="grey", lw=0.8, ls="--", label="50 ms")
    ax.set_ylabel("ms")
    ax.set_title("Hybrid search time")
    ax.legend(fontsize=8)
    panels = [
        (axes[0][1], [p.open_s for p in points], "s", "Time to open the library"),
        (axes[1][0], [p.rss_mb for p in points], "MB", "Memory (RSS) once open and searched"),
        (axes[1][1], [p.disk_per_chunk / 1024 for p in points], "KB", "Disk per chunk"),
    ]
    for ax, values, unit, name in panels:
        ax.plot(sizes, values, "o-")
        ax.set_ylabel(unit)
        ax.set_title(name)
        for x, y in zip(sizes, values, strict=True):
            text = f"{y:,.0f}" if y >= 100 else f"{y:.3g}"
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 6), ha="center")
    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_xlabel("chunks in the library")
        ax.set_xticks(sizes, [label(s) for s in sizes])
        ax.minorticks_off()
        ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.15)  # room for the labels
        ax.grid(True, alpha=0.3)
    fig.suptitle(title or "desktop-rag bench --scale", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".scale.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png")
        os.chmod(tmp, 0o644)  # a picture for a README, not private data (mkstemp: 0600)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
