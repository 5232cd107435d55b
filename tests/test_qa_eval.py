"""`desktop-rag eval --qa`: the scoring rules, and a small set run through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_rag.core.measure import qa_eval
from desktop_rag.core.measure.qa_eval import contains_answer, normalize, same_language, token_f1


def test_the_gold_answer_is_found_after_normalisation():
    assert normalize("The  Vistula [2], RIVER!") == "vistula river"
    assert contains_answer("It stands on the Vistula River [1].", ["Vistula"])
    assert contains_answer("Ｗarsaw is the capital.", ["warsaw"])  # NFKC: full-width W
    assert not contains_answer("It stands on the Oder [1].", ["Vistula", "Vistula River"])
    assert contains_answer("배를 만든 사람은 노아 입니다 [1].", ["노아입니다"])  # Korean spacing
    assert not contains_answer("I could not find this in your documents.", [])


def test_token_f1_counts_words_and_korean_characters():
    assert token_f1("the Vistula River", ["Vistula River"]) == pytest.approx(1.0)
    assert token_f1("Vistula", ["Vistula River"]) == pytest.approx(2 / 3)
    assert token_f1("Oder", ["Vistula"]) == 0.0
    assert token_f1("노아", ["노아"]) == pytest.approx(1.0)
    assert 0 < token_f1("노아입니다", ["노아"]) < 1


def test_the_answer_language_follows_the_script():
    assert same_language("누가 배를 만들었나요?", "노아가 만들었습니다 [1].")
    assert not same_language("누가 배를 만들었나요?", "Noah built the ark before the flood [1].")
    assert same_language("Who built the ark?", "Noah [1].")
    assert same_language("회사 이름은?", "LKe [1]")  # a name belongs to no language
    assert same_language(
        "어디에서 일했나?", "물가관리청(Office of Price Administration)입니다 [1]."
    )


def _write_set(root: Path) -> Path:
    articles = [
        {
            "title": "Harwick_Bridge",
            "paragraphs": [
                "The Harwick Bridge crosses the Lune estuary. It is 1,240 metres long and "
                "opened to traffic in 1931.",
                "Its towers were painted green in 1987 after a vote of the town council.",
            ],
        },
        {
            "title": "Glass_Guild",
            "paragraphs": ["The glassblowers of Orvell founded their guild in 1402."],
        },
    ]
    questions = [
        {
            "id": "q1",
            "question": "How long is the Harwick Bridge?",
            "answers": ["1,240 metres"],
            "is_impossible": False,
            "article_title": "Harwick_Bridge",
            "paragraph_index": 0,
        },
        {
            "id": "q2",
            "question": "What is the capital of Peru?",
            "answers": [],
            "is_impossible": True,
            "article_title": "Glass_Guild",
            "paragraph_index": 0,
        },
    ]
    root.mkdir()
    (root / "articles.jsonl").write_text(
        "".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8"
    )
    (root / "questions.jsonl").write_text(
        "".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8"
    )
    (root / "split.json").write_text(
        json.dumps({"Harwick_Bridge": "test", "Glass_Guild": "test"}), encoding="utf-8"
    )
    return root


def test_paragraphs_are_located_in_the_article_text(tmp_path: Path):
    qa_set = qa_eval.load_qa_set(_write_set(tmp_path / "set"), "test")
    assert [q.id for q in qa_set.items] == ["q1", "q2"]
    paragraphs = qa_set.articles["Harwick_Bridge"]
    spans = qa_eval.paragraph_spans("Harwick_Bridge", paragraphs)
    text = qa_eval.record_page_text(qa_eval.article_record("Harwick_Bridge", paragraphs))
    assert [text[a:b] for a, b in spans] == paragraphs
    with pytest.raises(qa_eval.UserError, match="no 'dev' split"):
        qa_eval.load_qa_set(tmp_path / "set", "dev")


@pytest.mark.slow
def test_a_small_set_is_asked_and_scored_through_the_real_pipeline(tmp_path: Path):
    from desktop_rag.core.answers.models import SMALLEST_BUNDLED

    report = qa_eval.evaluate_qa(
        _write_set(tmp_path / "set"), "test", model=SMALLEST_BUNDLED, max_answer_tokens=48
    )
    assert report.documents == 2 and report.chunks >= 2 and report.questions == 2
    peru = next(o for o in report.outcomes if o.id == "q2")
    assert peru.status == "not_found" and peru.first_token_s is None  # the model not asked
    bridge = next(o for o in report.outcomes if o.id == "q1")
    if bridge.status == "answered":
        assert bridge.correct == contains_answer(bridge.answer, ["1,240 metres"])
        assert not bridge.cites_gold or any(c["title"] == "Harwick_Bridge" for c in bridge.cited)
    summary = report.summary()
    assert summary["answerable"] == 1 and summary["unanswerable"] == 1
    assert summary["refused_unanswerable"] == 1.0 and summary["in_question_language"] == 1.0
    assert "refused" in report.table() and json.dumps(report.to_dict())
