"""`desktop-rag bench`: each section runs on small inputs and reports beside its raw part."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_rag.core.measure import benchmark
from desktop_rag.core.measure.benchmark import BenchReport, Row


def test_targets_are_judged_on_the_ratio_or_the_value():
    fast = Row("ingest", "embedding throughput vs raw encode", 9.0, "chunks/s", 10.0, "raw", 0.9)
    slow = Row("ingest", "embedding throughput vs raw encode", 8.0, "chunks/s", 10.0, "raw", 0.8)
    assert fast.ok is True and slow.ok is False
    assert Row("search", "search p50, 10k chunks", 29.0, "ms").ok is True
    assert Row("search", "search p50, 100k chunks", 61.0, "ms").ok is False
    assert Row("search", "search p95, 10k chunks", 99.0, "ms").ok is None  # no target
    missing = Row("startup", "app start until window shown", None, "s", note="not available")
    assert missing.ok is None
    report = BenchReport(quick=True, rows=[fast, slow, missing])
    table = report.table()
    assert "NO" in table and "yes" in table and "not available" in table
    assert json.loads(json.dumps(report.to_dict()))["rows"][0]["ratio"] == 0.9


def test_filler_pages_differ_and_read_like_prose():
    pages = list(benchmark.filler_pages(3))
    assert len(set(pages)) == 3
    assert all(300 < len(p.split()) < 600 for p in pages)
    korean = list(benchmark.korean_filler_pages(3))
    assert len(set(korean)) == 3 and all(800 < len(p) < 2500 for p in korean)


@pytest.mark.slow
def test_korean_ingest_reports_pages_and_chunks_per_page(tmp_path: Path):
    report = BenchReport(quick=True)
    benchmark.bench_korean_ingest(report, tmp_path, pages=2, say=lambda _: None)
    (row,) = report.rows
    assert row.value and row.value > 0 and "per page" in row.note


@pytest.mark.slow
def test_ingest_section_compares_the_pipeline_with_the_bare_encoder(tmp_path: Path):
    report = BenchReport(quick=True)
    benchmark.bench_ingest(report, tmp_path, pages=4, say=lambda _: None)
    rows = {r.name: r for r in report.rows}
    ratio = rows["embedding throughput vs raw encode"]
    assert ratio.value and ratio.baseline and ratio.ratio
    assert ratio.ratio == pytest.approx(ratio.value / ratio.baseline)
    assert 0 < rows["ingest: share of time in the embedding model"].value <= 100  # type: ignore[operator]


@pytest.mark.slow
def test_synthetic_library_is_searchable(tmp_path: Path):
    from desktop_rag.core.search.embedding import embedder_for, resolve_embedding_model

    embedder = embedder_for(resolve_embedding_model(""))
    lib = benchmark.build_synthetic_library(tmp_path / "lib", 450, embedder)
    try:
        assert lib.store.chunk_count() == 450 and len(lib.vectors) == 450
        vocab = benchmark._vocabulary(embedder)
        assert any(lib.search(vocab.query(), k=10) for _ in range(5))
    finally:
        lib.close()
    report = BenchReport(quick=True)
    benchmark.bench_search(report, tmp_path, queries=5, say=lambda _: None, sizes=[300])
    row = report.rows[0]
    assert row.name == "search p50, 300 chunks" and row.value and row.baseline is not None
    scoped = {r.name: r for r in report.rows}["scoped search p50, 300 chunks, 1 document"]
    assert scoped.value and scoped.baseline == row.value


def test_a_bare_qt_window_reports_when_it_is_shown(tmp_path: Path):
    pytest.importorskip("PySide6")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    shown, rss = benchmark._launch([sys.executable, "-c", benchmark._BARE_QT], env)
    assert 0 < shown < 60 and rss > 10


def test_bench_command_prints_json_and_says_what_is_missing(tmp_path: Path):
    env = {**os.environ, "DESKTOP_RAG_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "desktop_rag", "bench", "--quick", "--only", "startup", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    names = [r["name"] for r in out["rows"]]
    assert "app start until window shown" in names
    assert names[-1] == "peak RSS of the bench process"


def test_openmp_threads_sleep_when_idle_unless_the_user_says_otherwise():
    code = "import desktop_rag, os; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "ACTIVE"


@pytest.mark.slow
def test_query_embedding_fast_path_gives_the_same_vector():
    import numpy as np

    from desktop_rag.core.search.embedding import embedder_for, resolve_embedding_model

    embedder = embedder_for(resolve_embedding_model(""))
    for text in ("what limits the pump pressure", "휴가 규정", "x"):
        batch = embedder.encode([embedder.model.query_prefix + text])[0]
        fast = embedder.encode_query(text)
        assert fast.dtype == np.float32 and fast.shape == batch.shape
        assert np.allclose(fast, batch, atol=1e-5)


@pytest.mark.slow
def test_generation_section_times_ours_beside_bare_llama_cpp_and_a_follow_up():
    from desktop_rag.core.answers.models import SMALLEST_BUNDLED, bundled_llm_path

    report = BenchReport(quick=True)
    benchmark.bench_generation(report, 8, lambda _: None, bundled_llm_path(SMALLEST_BUNDLED))
    rows = {r.name: r for r in report.rows}
    first = rows["generation time to first token"]
    assert (
        first.value
        and first.baseline
        and first.ratio == pytest.approx(first.value / first.baseline)
    )
    assert rows["generation tokens/s vs bare llama.cpp"].value
    follow = rows["follow-up time to first token"]
    assert follow.value and follow.baseline and "cached" in follow.baseline_name + follow.note


@pytest.mark.slow
def test_time_to_searchable_and_the_encoder_beside_the_torch_path(tmp_path: Path):
    report = BenchReport(quick=True)
    benchmark.bench_time_to_searchable(report, tmp_path, pages=20, say=lambda _: None)
    (row,) = report.rows
    assert row.name == "20-page PDF keyword-searchable after" and 0 < row.value < 120  # type: ignore[operator]
    assert "wait for their embeddings" in row.note
    texts = [p[:600] for p in benchmark.filler_pages(12)]
    benchmark.bench_encoder(report, "English (MiniLM)", "minilm", texts, 1, lambda _: None)
    enc = report.rows[-1]
    assert enc.name == "encoder vs torch path, English (MiniLM)" and enc.target == ">= 2"
    assert enc.ratio == pytest.approx(enc.value / enc.baseline)  # type: ignore[operator]
    assert "onnx-int8" in enc.note and "cosine" in enc.note


@pytest.mark.slow
def test_scale_builds_measures_and_plots(tmp_path: Path):
    from desktop_rag.core.measure import scale

    points = scale.run_scale([200, 600], tmp_path / "libs", queries=8)
    assert [p.chunks for p in points] == [200, 600]
    for p in points:
        assert p.open_s > 0 and 0 < p.search_p50_ms <= p.search_p95_ms
        assert p.rss_mb > 50 and p.disk_per_chunk > 500
    # built once: kept for the next run
    again = scale.run_scale([200], tmp_path / "libs", queries=4)
    assert again[0].build_s == 0.0
    png = scale.plot(points, tmp_path / "plot.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = scale.table(points, {"cpus": 2})
    assert "600" in text and "disk/chunk" in text


@pytest.mark.slow
def test_summary_section_times_the_first_text_the_whole_and_the_kept_summary(tmp_path: Path):
    from desktop_rag.core.measure.summary_bench import bench_summary

    report = BenchReport(quick=True)
    bench_summary(report, tmp_path, lambda _: None, pages=6)
    rows = {r.name: r for r in report.rows}
    first = rows["summary of a 6-page PDF: first text"]
    whole = rows["summary of a 6-page PDF: whole"]
    assert first.value and whole.value and 0 < first.value < whole.value
    assert 0 <= rows["summary sentences supported"].value <= 100  # type: ignore[operator]
    kept = rows["summary asked again (kept)"]
    assert kept.note == "same text" and kept.value < 1000 * whole.value  # type: ignore[operator]
