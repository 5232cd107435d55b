"""`desktop-rag eval --pages`: page metrics by hand, and a folder of generated filings whose
questions name the company and year that only the file name tells."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docgen
import numpy as np
import pytest

from desktop_rag.core.errors import UserError
from desktop_rag.core.measure.page_evaluation import (
    PageQuestion,
    first_gold_rank,
    load_page_dataset,
    pages_from_chunks,
    score_pages,
)


def test_pages_rank_by_their_best_chunk_and_score_by_hand():
    page_of = {1: ("A", 3), 2: ("A", 3), 3: ("B", 1), 4: ("A", 4)}
    ranked = [(2, 0.9), (1, 0.8), (3, 0.7), (4, 0.6)]
    assert pages_from_chunks(ranked, page_of, 10) == [("A", 3), ("B", 1), ("A", 4)]
    q1 = PageQuestion("q1", "A", "?", frozenset({4}))  # third page: hit@5, not hit@1
    q2 = PageQuestion("q2", "B", "?", frozenset({3}))  # never found
    q3 = PageQuestion("q3", "B", "?", frozenset({1}))  # second
    runs = {q: pages_from_chunks(ranked, page_of, 10) for q in ("q1", "q2", "q3")}
    assert first_gold_rank(runs["q1"], q1) == 3
    # a gold page number of another document does not count
    assert first_gold_rank([("B", 4)], q1) is None
    scores = score_pages(runs, [q1, q2, q3])
    assert scores["hit@1"] == 0.0
    assert scores["hit@5"] == pytest.approx(2 / 3)
    assert scores["mrr"] == pytest.approx((1 / 3 + 0 + 1 / 2) / 3)


def _write_dataset(folder: Path) -> Path:
    pdfs = folder / "pdfs"
    pdfs.mkdir(parents=True)
    # the same statement in two companies' filings: only their names tell them apart
    docgen.filing_pdf(pdfs / "HARWICK_2021_10K.pdf", company="Harwick Mills")
    docgen.filing_pdf(pdfs / "BRENTFORD_2019_10K.pdf", company="Brentford Foods")
    rows = [
        (
            "HARWICK_2021_10K",
            "What was Harwick's FY2021 net cash provided by operating activities?",
        ),
        ("BRENTFORD_2019_10K", "Brentford 2019: purchases of property and equipment?"),
        (
            "BRENTFORD_2019_10K",
            "Who trimmed the wicks of the lighthouse lamps in Brentford's 2019 report?",
        ),
    ]
    gold = [1, 1, 2]  # 0-based, as FinanceBench writes them
    with open(folder / "questions.jsonl", "w", encoding="utf-8") as f:
        for i, ((doc, question), page) in enumerate(zip(rows, gold, strict=True)):
            evidence = [{"evidence_text": "…", "evidence_page_num": page}]
            f.write(
                json.dumps(
                    {
                        "financebench_id": f"q{i}",
                        "doc_name": doc,
                        "question": question,
                        "evidence": evidence,
                    }
                )
                + "\n"
            )
    return folder


def test_load_page_dataset_counts_pages_from_one(tmp_path: Path):
    folder = _write_dataset(tmp_path / "fb")
    ds = load_page_dataset(folder)
    assert [q.gold_pages for q in ds.questions] == [{2}, {2}, {3}]
    assert ds.documents_dir == folder / "pdfs"
    (folder / "pdfs" / "HARWICK_2021_10K.pdf").unlink()
    with pytest.raises(UserError, match="HARWICK_2021_10K"):
        load_page_dataset(folder)


@pytest.mark.slow
def test_eval_pages_finds_the_page_of_the_right_filing(tmp_path: Path):
    folder = _write_dataset(tmp_path / "fb")
    env = {**os.environ, "DESKTOP_RAG_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "desktop_rag", "eval", "--pages", str(folder), "-q"]
    index = tmp_path / "index"
    proc = subprocess.run(
        [*cmd, "--json", "--index-dir", str(index)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["questions"] == 3 and out["documents"] == 2 and out["pages"] == 8
    # keywords and the fusion find each question's page first; meaning alone may put the
    # twin filing's identical table first (only their file names differ), never further
    for mode in ("bm25", "hybrid"):
        assert out["modes"][mode]["hit@1"] == 1.0, (mode, out["first_gold_rank"][mode])
    assert out["modes"]["dense"]["hit@5"] == 1.0, out["first_gold_rank"]["dense"]
    again = subprocess.run(
        [*cmd, "--mode", "bm25", "--index-dir", str(index)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert "hit@5" in again.stdout and "reused index" in again.stdout
    both = subprocess.run(
        [*cmd, "--beir", str(folder)], capture_output=True, text=True, env=env, timeout=60
    )
    assert both.returncode == 1 and "--pages" in both.stderr


def test_a_page_whose_other_passages_match_rises_by_hand():
    from desktop_rag.core.search.retrieval import add_page_evidence

    ranked = [(1, 1.0), (2, 0.9), (3, 0.8), (4, 0.5)]
    page_of = {1: (1, 1), 2: (1, 2), 3: (1, 2), 4: (1, 1)}
    # chunk 2 gets 0.5 x its page's runner-up (0.8); chunks 1 and 3 their page's other best
    assert add_page_evidence(ranked, page_of, 0.5) == [(2, 1.3), (1, 1.25), (3, 1.25), (4, 1.0)]
    assert add_page_evidence(ranked, page_of, 0.0) == sorted(ranked, key=lambda kv: -kv[1])


def test_page_evidence_counts_only_pages_of_longer_documents(tmp_path: Path):
    from desktop_rag.core.storage.store import Store

    store = Store(tmp_path / "library.db")
    try:
        c = store.conn
        c.execute(
            "INSERT INTO documents(id, path, status, page_count, added_at) VALUES "
            "(1, 'abstract', 'ready', 1, 0), (2, 'filing.pdf', 'ready', 90, 0)"
        )
        c.executemany(
            "INSERT INTO chunks(id, document_id, ord, page, char_start, char_end, text, spans, "
            "token_count, embedding) VALUES (?, ?, ?, ?, 0, 1, 'x', '[]', 1, x'')",
            [(1, 1, 0, 1), (2, 1, 1, 1), (3, 2, 0, 7), (4, 2, 1, 7)],
        )
        assert store.pages_of([1, 2, 3, 4]) == {1: (1, 1), 2: (1, 1), 3: (2, 7), 4: (2, 7)}
        assert store.pages_of(np.array([1, 3], dtype=np.int64), multi_page_only=True) == {3: (2, 7)}
    finally:
        store.close()
