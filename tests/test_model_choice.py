"""A new library chooses its embedding model from its documents: all-MiniLM-L6-v2 for
English, multilingual-e5-small for anything else; the user guide does not choose."""

from __future__ import annotations

from pathlib import Path

import docgen
import numpy as np

from desktop_rag.core import textnorm
from desktop_rag.core.documents.guide import ensure_guide_pdf
from desktop_rag.core.library import Library
from desktop_rag.core.search.embedding import (
    E5_ID,
    MINILM_ID,
    embedder_for,
    resolve_embedding_model,
)

ROOT = Path(__file__).resolve().parent.parent

ENGLISH = [
    "The boiler in the basement is serviced every autumn by the building's contractor. "
    "In winter the pressure is kept at 2 bar, and the filters are cleaned every three months "
    "so that the pipes do not freeze when the tenants are away for the holidays.",
    "Visitors park on the second basement level. The reception desk stamps their ticket, "
    "which makes the first two hours free; after that the garage charges by the hour, and "
    "the ticket has to be paid at the machine before leaving.",
]
KOREAN = [
    "연차 휴가: 직원은 해마다 열닷새의 유급 휴가를 받는다. 쓰지 못한 휴가는 이듬해로 "
    "넘어가지 않으며, 휴가를 쓰려면 한 주 전에 팀장에게 알린다.",
]


def _stored_vectors_match(lib: Library) -> float:
    """The lowest cosine between a stored chunk vector and the library's model reading it."""
    from desktop_rag.core.documents.chunk_context import embedding_text

    rows = lib.store.conn.execute("SELECT id, context, text FROM chunks ORDER BY id").fetchall()
    stored = lib.store.embeddings_for([r[0] for r in rows], lib.dim).astype(np.float32)
    fresh = embedder_for(lib.embedding_model).encode_passages(
        [embedding_text(c, t) for _, c, t in rows]
    )
    return float(np.min(np.sum(stored * fresh, axis=1)))


def test_text_language_tells_english_from_the_rest():
    assert textnorm.text_language(" ".join(ENGLISH)) == "en"
    assert textnorm.text_language(" ".join(KOREAN)) == "other"
    french = (
        "La Commission a présenté mercredi une proposition visant à renforcer la protection "
        "des données personnelles des citoyens. Selon le texte, les entreprises devront obtenir "
        "le consentement explicite des utilisateurs avant de collecter leurs informations, et "
        "les autorités nationales pourront imposer des amendes plus élevées en cas d'infraction."
    )
    assert textnorm.text_language(french) == "other"
    assert textnorm.text_language("Invoice 2023-11: 1,250.00 EUR") == ""  # too little to tell
    assert textnorm.text_language("") == ""


def test_english_documents_get_the_english_model_and_keep_it(tmp_path: Path):
    english = docgen.make_pdf(tmp_path / "house.pdf", ENGLISH)
    korean = docgen.make_pdf(tmp_path / "rules.pdf", KOREAN, fontname="korea")
    with Library.create("House") as lib:
        assert lib.embedding_model.id == E5_ID and lib.chooses_model
        report = lib.ingest([english])
        assert not report.failed and not report.other_language
        assert lib.embedding_model.id == MINILM_ID and not lib.chooses_model
        assert lib.search("Where do visitors park?", k=1)[0].page == 2
        # a later document in another language is reported, the model kept (re-embedding
        # the whole library is the user's call)
        report = lib.ingest([korean])
        assert report.other_language == [str(korean)]
        assert lib.embedding_model.id == MINILM_ID
        assert _stored_vectors_match(lib) > 0.99
    with Library.open("House") as lib:
        assert lib.embedding_model.id == MINILM_ID
        assert lib.reader().embedding_model.id == MINILM_ID


def test_a_first_batch_not_all_english_takes_the_multilingual_model(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(docs / "a-house.pdf", ENGLISH)  # read first: it chooses MiniLM...
    docgen.make_pdf(docs / "b-rules.pdf", KOREAN, fontname="korea")  # ...until this one
    with Library.create("Mixed") as lib:
        reader = lib.reader()
        report = lib.ingest([docs])
        assert [Path(o.path).name for o in report.outcomes] == ["a-house.pdf", "b-rules.pdf"]
        assert not report.failed and not report.other_language
        assert lib.embedding_model.id == E5_ID
        assert reader.embedding_model.id == E5_ID  # the ask lane's view follows
        assert _stored_vectors_match(lib) > 0.99  # the English pages re-embedded with e5
        hits = lib.search("직원이 일 년 동안 쉴 수 있는 날은 며칠인가?", k=1)
        assert hits[0].title == "b-rules" or "휴가" in hits[0].text
        assert hits[0].vector_rank == 0
    with Library.open("Mixed") as lib:
        assert lib.embedding_model.id == E5_ID and len(lib.vectors) == lib.store.chunk_count()


def test_the_user_guide_does_not_choose(tmp_path: Path):
    guide, _ = ensure_guide_pdf(ROOT / "resources" / "user-guide.md")
    korean = docgen.make_pdf(tmp_path / "rules.pdf", KOREAN, fontname="korea")
    english = docgen.make_pdf(tmp_path / "house.pdf", ENGLISH)
    with Library.create("Guided") as lib:
        lib.ingest([guide])
        assert lib.embedding_model.id == E5_ID and lib.chooses_model
        lib.ingest([english])  # the user's first document: English
        assert lib.embedding_model.id == MINILM_ID
        assert _stored_vectors_match(lib) > 0.99  # the guide's chunks too
    with Library.create("Guided in Korean") as lib:
        lib.ingest([guide])
        lib.ingest([korean])
        assert lib.embedding_model.id == E5_ID and not lib.chooses_model


def test_a_model_named_is_never_changed(tmp_path: Path):
    korean = docgen.make_pdf(tmp_path / "rules.pdf", KOREAN, fontname="korea")
    english = docgen.make_pdf(tmp_path / "house.pdf", ENGLISH)
    with Library.create("Chosen", "e5") as lib:
        assert not lib.chooses_model
        lib.ingest([english])
        assert lib.embedding_model.id == E5_ID
    with Library.create("English", "minilm") as lib:
        report = lib.ingest([korean])
        assert lib.embedding_model.id == MINILM_ID and report.other_language == [str(korean)]
    assert resolve_embedding_model("e5").id == E5_ID
