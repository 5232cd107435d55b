from __future__ import annotations

import itertools
import random

import docgen
import pytest

from desktop_rag.core.documents.chunking import Chunker, split_segments
from desktop_rag.core.documents.loaders import ParsedPage
from desktop_rag.core.search.embedding import Embedder, resolve_embedding_model


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(resolve_embedding_model())


def _chunker(embedder: Embedder) -> Chunker:
    def offsets(text: str):
        enc = embedder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [tuple(o) for o in enc["offset_mapping"]]

    return Chunker(embedder.count_tokens, offsets, max_tokens=embedder.chunk_tokens)


def test_segments_follow_sentences_and_paragraphs():
    text = 'One sentence. "Two?" Three!\n\nFour para'
    assert [text[s:e] for s, e in split_segments(text)] == [
        "One sentence.",
        '"Two?"',
        "Three!",
        "Four para",
    ]


def test_chunks_fit_the_model_overlap_and_cover_the_page(embedder: Embedder):
    rng = random.Random(1)
    text = " ".join(docgen.filler_paragraph(rng, t) for t in docgen.TOPICS[:6])
    page = ParsedPage(3, 0, 0, text)
    chunks = _chunker(embedder).chunk_page(page)
    assert len(chunks) >= 3
    real = embedder.count_tokens([c.text for c in chunks])
    assert max(real) + 2 <= embedder.max_tokens  # never truncated by the model
    for c in chunks:
        assert c.page == 3 and text[c.char_start : c.char_end] == c.text
        assert c.text.rstrip()[-1] in ".!?"  # cut at sentence ends
    # about 15% overlap: each chunk starts inside the previous one
    for a, b in itertools.pairwise(chunks):
        assert a.char_start < b.char_start < a.char_end
        share = embedder.count_tokens([text[b.char_start : a.char_end]])[0] / a.token_count
        assert 0.03 < share < 0.3
    assert chunks[0].char_start == 0 and chunks[-1].char_end == len(text)


def test_a_sentence_longer_than_the_model_is_split(embedder: Embedder):
    text = ("lorem ipsum dolor " * 400).strip()
    chunks = _chunker(embedder).chunk_page(ParsedPage(1, 0, 0, text))
    assert len(chunks) > 1
    assert max(embedder.count_tokens([c.text for c in chunks])) + 2 <= embedder.max_tokens


def test_rectangles_cover_exactly_the_chunk_words(tmp_path, embedder: Embedder):
    from desktop_rag.core.documents.loaders import open_pages

    path = docgen.make_pdf(tmp_path / "r.pdf", ["Short first line.\n\nSecond paragraph is here."])
    _, pages = open_pages(path)
    page = next(iter(pages))
    chunks = _chunker(embedder).chunk_page(page)
    assert len(chunks) == 1
    rects = chunks[0].spans
    assert len(rects) == 2  # one per line
    for number, x0, y0, x1, y1 in rects:
        assert number == 1 and 50 < x0 < x1 < 545 and 50 < y0 < y1 < 800
