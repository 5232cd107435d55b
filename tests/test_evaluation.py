"""`desktop-rag eval`: metrics against hand-computed values, records through the real
pipeline, and hybrid at least as good as its parts on generated English and Korean sets."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import korean_beir
import pytest

from desktop_rag.core.measure import evaluation
from desktop_rag.core.measure.evaluation import (
    documents_from_chunks,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    score_run,
)
from desktop_rag.core.search.retrieval import fuse_convex

# --- metrics, by hand ----------------------------------------------------------------------------


def test_ndcg_matches_the_hand_computed_value():
    relevant = {"a": 1, "b": 1, "c": 1}
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3) + 1/log2(4)
    expected = 1.5 / (1 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k(["a", "x", "b"], relevant) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "c"], relevant) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], relevant) == 0.0
    # graded: a gain of 2 counts twice (trec_eval's linear gains)
    assert ndcg_at_k(["b", "a"], {"a": 2, "b": 1}) == pytest.approx(
        (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    )
    # only the first k count
    assert ndcg_at_k(["x"] * 10 + ["a"], {"a": 1}) == 0.0


def test_recall_and_mrr_match_the_hand_computed_values():
    relevant = {"a": 1, "b": 1, "c": 1, "z": 0}
    assert recall_at_k(["x", "a", "y", "b"], relevant, 10) == pytest.approx(2 / 3)
    assert recall_at_k(["x", "a", "y", "b"], relevant, 2) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "b"], relevant) == pytest.approx(1 / 3)
    assert mrr_at_k(["z", "x"], relevant) == 0.0  # judged but not relevant
    assert mrr_at_k(["x"] * 10 + ["a"], relevant) == 0.0


def test_score_run_averages_over_judged_queries_and_missing_runs_score_zero():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    scores = score_run({"q1": ["a"], "q3": ["b"]}, qrels)
    assert scores["ndcg@10"] == pytest.approx(0.5)
    assert scores["mrr@10"] == pytest.approx(0.5)
    assert scores["recall@100"] == pytest.approx(0.5)


def test_a_document_ranks_by_its_best_chunk():
    doc_of = {1: "A", 2: "B", 3: "A", 4: "C"}
    ranked = [(3, 0.9), (2, 0.8), (1, 0.7), (4, 0.1)]
    assert documents_from_chunks(ranked, doc_of, 10) == ["A", "B", "C"]
    assert documents_from_chunks(ranked, doc_of, 2) == ["A", "B"]


def test_convex_fusion_by_hand():
    keyword = [(1, 10.0), (2, 5.0)]
    cosine = {1: 0.2, 2: 0.6, 3: 0.4}
    fused = dict(fuse_convex(keyword, cosine, keyword_weight=1.0, vector_weight=1.0))
    # bm25 scaled by the best (1.0, 0.5, 0); cosine min-max scaled (0, 1, 0.5)
    assert fused[1] == pytest.approx((1.0 + 0.0) / 2)
    assert fused[2] == pytest.approx((0.5 + 1.0) / 2)
    assert fused[3] == pytest.approx((0.0 + 0.5) / 2)
    assert [cid for cid, _ in fuse_convex(keyword, cosine, 1.0, 1.0)] == [2, 1, 3]


def test_load_beir_reads_judged_queries_only(tmp_path: Path):
    folder = korean_beir.write_korean_beir(tmp_path / "ko")
    with open(folder / "queries.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"_id": "unjudged", "text": "판단 없는 질문"}) + "\n")
    ds = load_beir(folder)
    assert len(ds.queries) == len(korean_beir.QUERIES)
    assert "unjudged" not in ds.queries
    assert ds.qrels["q41"] == {"k10": 1, "k11": 1}
    assert sum(1 for _ in ds.corpus()) == len(korean_beir.DOCUMENTS)


def _write_reading_set(folder: Path) -> Path:
    """Two articles in the SQuAD/KorQuAD layout, one per split; one question unanswerable."""
    folder.mkdir(parents=True)
    articles = [
        {"title": "한라산", "paragraphs": ["한라산은 제주도에 있다.", "백록담은 정상의 호수이다."]},
        {
            "title": "경복궁",
            "paragraphs": ["경복궁은 조선의 법궁이다.", "백록담은 정상의 호수이다."],
        },
    ]
    questions = [
        ("q1", "한라산은 어디에 있나?", "한라산", 0, False),
        ("q2", "정상의 호수 이름은?", "한라산", 1, False),
        ("q3", "답이 없는 질문", "한라산", 1, True),
        ("q4", "조선의 법궁은?", "경복궁", 0, False),
    ]
    with open(folder / "articles.jsonl", "w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")
    with open(folder / "questions.jsonl", "w", encoding="utf-8") as f:
        for qid, text, title, index, impossible in questions:
            row = {
                "id": qid,
                "question": text,
                "answers": [] if impossible else ["x"],
                "is_impossible": impossible,
                "article_title": title,
                "paragraph_index": index,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    split = {"한라산": "dev", "경복궁": "test"}
    (folder / "split.json").write_text(json.dumps(split, ensure_ascii=False), encoding="utf-8")
    return folder


def test_a_reading_set_is_read_as_its_beir_view(tmp_path: Path):
    folder = _write_reading_set(tmp_path / "korquad")
    dev = load_beir(folder, "dev")
    assert dev.queries == {"q1": "한라산은 어디에 있나?", "q2": "정상의 호수 이름은?"}
    # q2's paragraph appears word for word in the other article too: both answer it
    assert dev.qrels == {"q1": {"a0000-p000": 1}, "q2": {"a0000-p001": 1, "a0001-p001": 1}}
    test = load_beir(folder, "test")
    assert test.qrels == {"q4": {"a0001-p000": 1}}
    docs = list(test.corpus())  # every paragraph of both splits: one shared index
    assert [(d.id, d.title, d.text) for d in docs] == [
        ("a0000-p000", "한라산", "한라산은 제주도에 있다."),
        ("a0000-p001", "한라산", "백록담은 정상의 호수이다."),
        ("a0001-p000", "경복궁", "경복궁은 조선의 법궁이다."),
        ("a0001-p001", "경복궁", "백록담은 정상의 호수이다."),
    ]
    assert test.corpus_size() == 4
    from desktop_rag.core.errors import UserError

    with pytest.raises(UserError, match="train"):
        load_beir(folder, "train")


def test_missing_split_is_a_user_error(tmp_path: Path):
    from desktop_rag.core.errors import UserError

    folder = korean_beir.write_korean_beir(tmp_path / "ko")
    with pytest.raises(UserError, match="train"):
        load_beir(folder, "train")


# --- through the real pipeline ---------------------------------------------------------------

ENGLISH_DOCS = [
    (
        "e1",
        "Pump maintenance",
        "The relief valve limits the outlet pressure of the pump to six bar.",
    ),
    (
        "e2",
        "Lighthouse history",
        "The keeper replaced the clockwork lamp drive with an electric motor in 1911.",
    ),
    (
        "e3",
        "Bread baking",
        "A sourdough starter needs rye flour, water and a warm kitchen for five days.",
    ),
    (
        "e4",
        "Bee keeping",
        "Mites weaken honey bee colonies; beekeepers treat the hives in late summer.",
    ),
    ("e5", "Bridge records", "The Harwick Bridge opened in March 1887 and is 412 metres long."),
    (
        "e6",
        "Chess openings",
        "The Sicilian Defence answers the king's pawn opening with the c-pawn.",
    ),
    (
        "e7",
        "Orchard care",
        "Apple trees are pruned in winter while they are dormant, before buds swell.",
    ),
    (
        "e8",
        "Glass making",
        "Annealing slowly cools blown glass in a kiln so that it does not crack.",
    ),
]
ENGLISH_QUERIES = [
    ("p1", "what caps the pump's pressure", ["e1"]),
    ("p2", "when did the beacon stop using a wind-up mechanism", ["e2"]),
    ("p3", "how long is the Harwick Bridge", ["e5"]),
    ("p4", "parasites that harm hives", ["e4"]),
    ("p5", "cooling glass slowly to avoid cracks", ["e8"]),
    ("p6", "when to cut back fruit trees", ["e7"]),
]


def write_english_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as f:
        for doc_id, title, text in ENGLISH_DOCS:
            f.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as f:
        for qid, text, _ in ENGLISH_QUERIES:
            f.write(json.dumps({"_id": qid, "text": text}) + "\n")
    with open(folder / "qrels" / "test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for qid, _, rel in ENGLISH_QUERIES:
            for doc_id in rel:
                f.write(f"{qid}\t{doc_id}\t1\n")
    return folder


def _assert_hybrid_at_least_its_parts(modes: dict[str, dict[str, float]]) -> None:
    for metric in ("ndcg@10", "mrr@10", "recall@10"):
        best_part = max(modes["bm25"][metric], modes["dense"][metric])
        assert modes["hybrid"][metric] >= best_part - 1e-9, (metric, modes)


@pytest.mark.slow
def test_korean_set_hybrid_at_least_as_good_as_its_parts(tmp_path: Path):
    folder = korean_beir.write_korean_beir(tmp_path / "ko")
    report = evaluation.evaluate_beir(folder, index_dir=tmp_path / "index")
    assert report.documents == len(korean_beir.DOCUMENTS)
    _assert_hybrid_at_least_its_parts(report.modes)
    assert report.modes["hybrid"]["ndcg@10"] >= 0.9
    # the index is kept and reused: no second ingest
    again = evaluation.evaluate_beir(folder, modes=["bm25"], index_dir=tmp_path / "index")
    assert again.reused_index and not report.reused_index
    assert again.ingest_seconds == pytest.approx(report.ingest_seconds, abs=0.01)
    assert again.modes["bm25"] == report.modes["bm25"]


@pytest.mark.slow
def test_records_keep_their_id_and_title_and_are_searchable(tmp_path: Path):
    from desktop_rag.core.library import Library
    from desktop_rag.core.measure.records import TextRecord, ingest_records, record_id_of

    with Library.create_at(tmp_path / "lib") as lib:
        report = ingest_records(
            lib, [TextRecord(d, t, x) for d, t, x in ENGLISH_DOCS], scheme="beir"
        )
        assert report.pages == len(ENGLISH_DOCS) and report.chunks == len(ENGLISH_DOCS)
        hits = lib.search("Harwick Bridge length", k=3)
        assert record_id_of(hits[0].path) == "e5" and hits[0].path == "beir:e5"
        assert hits[0].title == "Bridge records"
        assert hits[0].text.startswith("Bridge records\n\nThe Harwick Bridge")
        hits = lib.search(ENGLISH_QUERIES[1][1], k=3)
        assert record_id_of(hits[0].path) == "e2"
        assert len(lib.vectors) == report.chunks


@pytest.mark.slow
def test_eval_command_prints_the_table_and_json(tmp_path: Path):
    folder = write_english_beir(tmp_path / "en")
    env = {**os.environ, "DESKTOP_RAG_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "desktop_rag", "eval", "--beir", str(folder), "-q"]
    proc = subprocess.run(
        [*cmd, "--mode", "all", "--json"], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out["modes"]) == {"bm25", "dense", "hybrid"}
    assert out["documents"] == len(ENGLISH_DOCS) and out["queries"] == len(ENGLISH_QUERIES)
    assert out["fusion"]["method"]
    _assert_hybrid_at_least_its_parts(out["modes"])
    proc = subprocess.run(
        [*cmd, "--mode", "bm25"], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert "ndcg@10" in proc.stdout and "bm25" in proc.stdout and "hybrid" not in proc.stdout
    bad = subprocess.run(
        [*cmd, "--split", "dev"], capture_output=True, text=True, env=env, timeout=600
    )
    assert bad.returncode == 1 and bad.stderr.startswith("error:")
