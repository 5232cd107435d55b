"""Answers about a research paper, the failures users met on a real one reproduced on a
generated paper-like PDF (two columns, hyphenated lines, bracketed references): each answer is
the model's own words with citations, never pieces of the page spliced together or cut inside
a word or a citation, and under it the page's own sentences are quoted whole."""

from __future__ import annotations

import re
from pathlib import Path

import docgen
import pytest

from desktop_rag.core.answers import qa
from desktop_rag.core.answers.generation import Generator
from desktop_rag.core.answers.models import bundled_llm_path
from desktop_rag.core.documents import sentences
from desktop_rag.core.library import Library

# (question, what a right answer names: each group one of its alternatives, the page)
QUESTIONS = [
    ("What two kinds of memory are combined in the original RAG model?",
     [["parametric"], ["non-parametric", "nonparametric"]], 1),
    ("Which RAG variant may use a different retrieved document for each generated token?",
     [["rag-token", "rag token"]], 2),
    ("Which non-QA generation task did the RAG authors use?", [["jeopardy"]], 3),
    ("How are the query and the document represented by the retriever?",
     [["bert"]], 2),
]  # fmt: skip
INFLECTIONS = ("s", "es", "ed", "d", "r", "er", "ers", "ing", "ly", "al", "ity", "ation", "ations")
PREFIXES = ("un", "re", "non", "pre", "sub", "in", "im", "dis", "co", "de")


@pytest.fixture(scope="module")
def paper_library(tmp_path_factory: pytest.TempPathFactory):
    docs = tmp_path_factory.mktemp("paper-docs")
    docgen.paper_pdf(docs / "rag-paper.pdf")
    docgen.filing_pdf(docs / "harwick-annual-report.pdf")  # another document to search past
    home = tmp_path_factory.mktemp("paper-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_RAG_HOME", str(home))
        with Library.create("Papers") as lib:
            assert not lib.ingest([docs]).failed
    return home


@pytest.fixture(scope="module")
def answers(paper_library: Path) -> dict[str, qa.Answer]:
    generator = Generator(bundled_llm_path(), context_size=4096)
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_RAG_HOME", str(paper_library))
        with Library.open("Papers", readonly=True) as lib:
            for question, _terms, _page in QUESTIONS:
                out[question] = qa.answer(lib.reader(), question, generator, max_answer_tokens=120)
            pages = {
                (s.document_id, s.page): lib.store.page(s.document_id, s.page)["text"]
                for a in out.values()
                for s in a.sources
            }
    generator.close()
    out["__pages__"] = pages  # type: ignore[assignment]
    return out


def cut_words(answer: str, texts: list[str]) -> list[str]:
    """Words of `answer` that are no word of `texts` but a piece of a longer one ("pare" of
    "compare", "knowl" of "knowledge"): text cut out of a source inside a word."""
    known = {w.lower() for t in texts for w in re.findall(r"[A-Za-z]+", t)}
    out = []
    for word in re.findall(r"[A-Za-z]{3,}", answer):
        w = word.lower()
        if w in known:
            continue
        for k in known:
            if k.startswith(w) and k != w and k[len(w) :] not in INFLECTIONS:
                out.append(word)
                break
            if k.endswith(w) and k != w and k[: -len(w)] not in PREFIXES:
                out.append(word)
                break
    return out


def ends_whole(text: str) -> bool:
    """Ends with a sentence's end (its citations after it) and leaves no citation open."""
    body = re.sub(r"\s*\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]", "", text).rstrip()
    return body[-1:] in '.!?)"”' and text.count("[") == text.count("]")


@pytest.mark.parametrize(("question", "terms", "page"), QUESTIONS)
def test_an_answer_about_the_paper_is_right_whole_and_cites_its_page(
    answers: dict[str, qa.Answer], question: str, terms: list[list[str]], page: int
):
    result = answers[question]
    assert result.status == "answered", (result.text, result.note)
    text = result.text.lower()
    assert all(any(t in text for t in group) for group in terms), result.text
    assert page in {c.page for c in result.citations}, result.text
    assert ends_whole(result.text), result.text
    texts = [question, *(s.text for s in result.sources), *(s.excerpt for s in result.sources)]
    assert not cut_words(result.text, texts), result.text


@pytest.mark.parametrize(("question", "terms", "page"), QUESTIONS)
def test_the_quotes_under_an_answer_are_whole_sentences_of_the_cited_page(
    answers: dict[str, qa.Answer], question: str, terms: list[list[str]], page: int
):
    result = answers[question]
    pages: dict[tuple[int, int], str] = answers["__pages__"]  # type: ignore[assignment]
    assert 1 <= len(result.quotes) <= qa.MAX_QUOTES
    assert result.quotes[0].page == page
    quoted = " ".join(q.text for q in result.quotes).lower()
    assert any(any(t in quoted for t in group) for group in terms), result.quotes
    for quote in result.quotes:
        assert quote.number in result.cited
        source = result.sources[quote.number - 1]
        text = pages[(source.document_id, quote.page)]
        whole = {sentences.clean(text[a:b]) for a, b in sentences.units(text)}
        assert quote.text in whole, quote.text
    payload = result.to_dict()["quotes"][0]
    assert {"document", "page", "text"} <= payload.keys()


def test_a_spliced_or_cut_answer_would_be_caught():
    """The checks above fail on the answers users met."""
    texts = ["We compare two RAG formulations.", "a dense parametric memory [3]"]
    spliced = "The model combines a seq2seq transformer and a dense pare two RAG formulations."
    assert cut_words(spliced, texts) == ["pare"]
    assert not ends_whole("… using BERT-base query and document encoder [")
    assert qa.whole_answer("It uses a BERT-base document encoder [") == (
        "It uses a BERT-base document encoder"
    )
    assert qa.whole_answer("It uses BERT [2]. Then the gen", cut=True) == "It uses BERT [2]."
