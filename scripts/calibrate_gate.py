# ruff: noqa: E501  (Korean sentences read better whole)
"""Calibrate an embedding model's cosine scale for core/answers/qa.py: the "not found" gate
(EmbeddingModel.min_dense, .min_dense_with_keywords) and the sentence highlight
(.focus_share).

Gate: generated documents (the tests' English facts and filler pages, the 40 Korean documents
of tests/korean_beir.py), questions that each has an answer to (paraphrased, through Korean
particles and compounds) and questions no document answers. For every question the search
runs as in the app and each hit is judged as `qa.judge` does; the score of a question is the
best sentence (or chunk) cosine among the hits of its own document (answerable) or among all
hits (unrelated). The two ranges, printed, are what the thresholds sit between.

Highlight: the dev split of korquad_v1_dev_half and squad2_dev_sample's answerable questions.
Each paragraph is cut into sentences as the app cuts them; the sentence holding the gold
answer should be highlighted, and as few others as possible. For each share the share of
questions whose answering sentence is highlighted and the mean number of highlighted
sentences are printed.

    python scripts/calibrate_gate.py [--model minilm] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

UNRELATED = [
    "What is the capital of Peru?",
    "How do I reset my router password?",
    "Who won the football world cup in 1998?",
    "What is the boiling point of mercury?",
    "How many moons does Jupiter have?",
    "Which vaccine protects against measles?",
    "What is the price of bitcoin today?",
    "How do you knit a scarf?",
    "When was the printing press invented?",
    "What does a neurosurgeon do?",
    "How tall is Mount Everest?",
    "Which programming language is best for web servers?",
    "What is the exchange rate of the euro?",
    "How do I file for divorce?",
    "What causes the northern lights?",
    "비트코인 가격은 얼마인가요?",
    "페루의 수도는 어디인가요?",
    "공유기 비밀번호를 초기화하는 방법은?",
    "1998년 월드컵 우승국은 어디인가?",
    "수은의 끓는점은 몇 도인가요?",
    "목성의 위성은 몇 개인가?",
    "홍역 예방 백신은 무엇인가요?",
    "목도리를 뜨개질하는 방법",
    "금속활자는 언제 발명되었나?",
    "신경외과 의사는 무슨 일을 하나요?",
    "에베레스트산의 높이는?",
    "웹 서버에 가장 좋은 프로그래밍 언어는?",
    "유로 환율은 얼마인가요?",
    "이혼 소송은 어떻게 제기하나요?",
    "오로라가 생기는 원인은 무엇인가요?",
]
ENGLISH_ANSWERABLE = [
    ("How long is the Harwick Bridge?", "field-notes"),
    ("What did the lighthouse keeper replace in 1911?", "field-notes"),
    ("When was the lamp of the lighthouse motorised?", "field-notes"),
    ("what caps the pump's pressure", "e1"),
    ("when did the beacon stop using a wind-up mechanism", "e2|field-notes"),
    ("parasites that harm hives", "e4"),
    ("cooling glass slowly to avoid cracks", "e8"),
    ("when to cut back fruit trees", "e7"),
    ("what does a sourdough starter need", "e3"),
]


def _library(model: str, folder: Path):
    import docgen
    import korean_beir
    from test_evaluation import ENGLISH_DOCS

    from desktop_rag.core.library import Library
    from desktop_rag.core.measure.records import TextRecord, ingest_records

    docgen.fifty_page_pdf(folder / "field-notes.pdf")
    lib = Library.create_at(folder / "lib", model)
    lib.ingest([folder / "field-notes.pdf"])
    records = [TextRecord(d, t, x) for d, t, x in ENGLISH_DOCS]
    records += [TextRecord(d, t, x) for d, t, x in korean_beir.DOCUMENTS]
    ingest_records(lib, records, scheme="beir")
    return lib


def _best(judged, question: str, doc: str | None) -> tuple[float, float]:
    """(best cosine, keyword coverage of that hit) among the judged hits of document `doc`
    (a record id or a file's stem, or several joined by '|'; None: every hit)."""
    from desktop_rag.core.answers import qa
    from desktop_rag.core.measure.records import record_id_of

    best, coverage = -1.0, 0.0
    for j in judged:
        path = j.hit.path
        if doc is not None and not {record_id_of(path), Path(path).stem} & set(doc.split("|")):
            continue
        score = max([j.hit.dense_score] + [s for _, _, s in j.sentences])
        if score > best:
            best, coverage = score, qa.keyword_coverage(question, j.hit.text)
    return best, coverage


def calibrate_gate(model: str) -> None:
    import korean_beir

    from desktop_rag.core.answers import qa

    with tempfile.TemporaryDirectory() as tmp:
        lib = _library(model, Path(tmp))
        em = lib.embedding_model
        questions = [(q, doc) for q, doc in ENGLISH_ANSWERABLE]
        questions += [(text, rel[0]) for _, text, rel in korean_beir.QUERIES]
        rows = []
        for question, doc in [*questions, *((q, None) for q in UNRELATED)]:
            hits = lib.search(question, 6)
            judged = qa.judge(hits, question, em)
            best, cov = _best(judged, question, doc)
            gate = any(j.relevant for j in judged)
            rows.append((question, doc is not None, best, cov, gate))
        lib.close()
    print(f"\nGate, {em.id}: min_dense {em.min_dense}, with keywords {em.min_dense_with_keywords}")
    for answerable in (True, False):
        scores = sorted(r[2] for r in rows if r[1] == answerable)
        label = "answerable" if answerable else "unrelated"
        passed = sum(r[4] for r in rows if r[1] == answerable)
        print(
            f"{label:>10}: {len(scores)} questions, best cosine {scores[0]:.3f} to {scores[-1]:.3f} "
            f"(median {scores[len(scores) // 2]:.3f}); the gate lets {passed} through"
        )
    for question, answerable, best, cov, gate in sorted(rows, key=lambda r: r[2]):
        wrong = gate != answerable
        if (
            wrong
            or (answerable and best < em.min_dense + 0.03)
            or (not answerable and best > em.min_dense - 0.05)
        ):
            mark = "WRONG" if wrong else "close"
            kind = "answerable" if answerable else "unrelated"
            print(f"  {mark} {kind} {best:.3f} keywords {cov:.2f}: {question}")


def _sentences_with_answer(text: str, answer: str, start: int | None):
    from desktop_rag.core.answers.citations import sentence_spans

    spans = [(a, b) for a, b in sentence_spans(text) if b - a > 3]
    where = (
        start
        if start is not None and text[start : start + len(answer)] == answer
        else text.find(answer)
    )
    gold = [i for i, (a, b) in enumerate(spans) if a <= where < b]
    return spans, (gold[0] if gold else None)


def calibrate_highlight(model: str, data: Path, per_set: int = 300) -> None:
    import numpy as np

    from desktop_rag.core.search.embedding import Embedder, resolve_embedding_model

    em = resolve_embedding_model(model)
    embedder = Embedder(em)
    shares = [0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99]
    print(f"\nHighlight, {em.id} (focus_share {em.focus_share}):")
    for name in ("korquad_v1_dev_half", "squad2_dev_sample"):
        folder = data / name
        split = json.loads((folder / "split.json").read_text("utf-8"))
        articles = {}
        with open(folder / "articles.jsonl", encoding="utf-8") as f:
            for line in f:
                a = json.loads(line)
                articles[a["title"]] = a["paragraphs"]
        questions = []
        with open(folder / "questions.jsonl", encoding="utf-8") as f:
            for line in f:
                q = json.loads(line)
                if q.get("is_impossible") or split.get(q["article_title"]) != "dev":
                    continue
                questions.append(q)
        random.Random(0).shuffle(questions)
        cases = []
        for q in questions:
            text = articles[q["article_title"]][q["paragraph_index"]]
            spans, gold = _sentences_with_answer(text, q["answers"][0], q.get("answer_start"))
            if gold is not None and len(spans) >= 3:
                cases.append((q["question"], text, spans, gold))
            if len(cases) >= per_set:
                break
        found = {s: 0 for s in shares}
        shown = {s: 0 for s in shares}
        top1 = 0
        for question, text, spans, gold in cases:
            qvec = embedder.encode_query(question)
            sims = embedder.encode_passages([text[a:b] for a, b in spans], 64) @ qvec
            top = float(np.max(sims))
            top1 += int(np.argmax(sims)) == gold
            for s in shares:
                lit = sims >= top * s
                found[s] += bool(lit[gold])
                shown[s] += int(lit.sum())
        n = len(cases)
        sentences = sum(len(c[2]) for c in cases) / n
        print(
            f"  {name} dev: {n} questions, {sentences:.1f} sentences per paragraph; the answering sentence is the best one for {top1 / n:.1%}"
        )
        for s in shares:
            print(
                f"    share {s:.2f}: answering sentence highlighted {found[s] / n:.1%}, {shown[s] / n:.2f} sentences highlighted"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="", help="'' (the default model), 'minilm' or a folder")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--skip-highlight", action="store_true")
    args = parser.parse_args()
    import os

    os.environ.setdefault("DESKTOP_RAG_HOME", tempfile.mkdtemp(prefix="calibrate-"))
    calibrate_gate(args.model)
    if not args.skip_highlight:
        calibrate_highlight(args.model, args.data)


if __name__ == "__main__":
    main()
