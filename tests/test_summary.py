"""Summaries with the real bundled answering model: every sentence shown is supported by the
pages it cites, the summary streams, is kept for next time, keeps to a page range or a
chapter, can be cancelled, and is what a request for a summary gets."""

from __future__ import annotations

import re
from pathlib import Path

import clirun
import docgen
import pytest

from desktop_rag.core.answers import summary
from desktop_rag.core.answers.citations import sentence_spans, support
from desktop_rag.core.answers.generation import Generator
from desktop_rag.core.answers.models import bundled_llm_path
from desktop_rag.core.answers.respond import respond
from desktop_rag.core.errors import Cancelled
from desktop_rag.core.library import Library
from desktop_rag.core.tasks import CancelToken


@pytest.fixture(scope="module")
def generator() -> Generator:
    g = Generator(bundled_llm_path(), context_size=4096)
    g.load()
    yield g
    g.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("summary-home")
    docs = tmp_path_factory.mktemp("summary-docs")
    docgen.topics_pdf(docs / "crafts.pdf")
    docgen.korean_pdf(docs / "rules.pdf")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_RAG_HOME", str(home))
        with Library.create("Summaries", "e5") as lib:
            assert not lib.ingest([docs]).failed
    return home


@pytest.fixture
def lib(built: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DESKTOP_RAG_HOME", str(built))
    library = Library.open("Summaries")
    yield library
    library.close()


def _doc(lib: Library, name: str) -> dict:
    return lib.find_documents([name])[0]


def assert_every_sentence_is_supported(lib: Library, result, at_least: int = 1) -> None:
    """Each sentence of the text carries citations, and the pages it cites support it."""
    assert result.status == "summary" and result.text.strip()
    by_number = {s.number: s for s in result.sources}
    sentences = 0
    for line in result.text.split("\n"):
        line = re.sub(r"^\s*-\s*(?:Pages? [\d–]+|[\d–]+쪽):\s*", "", line).strip()
        if not line or line.endswith(":"):
            continue  # a heading ("Part by part:")
        for a, b in sentence_spans(line):
            sentence = line[a:b]
            numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
            assert numbers, f"uncited: {sentence!r}"
            pages = [by_number[n] for n in numbers]
            text = "\n".join(lib.store.page(p.document_id, p.page)["text"] for p in pages)
            claim = summary.claim_of(re.sub(r"\s*\[\d+\]", "", sentence).strip("“”"))
            assert support(claim, text) >= summary.SUPPORTED, (sentence, [p.page for p in pages])
            sentences += 1
    assert sentences >= at_least
    assert result.checks["supported"] <= result.checks["sentences"]


def test_a_summary_streams_and_every_sentence_stands_on_the_pages_it_cites(lib, generator):
    crafts = _doc(lib, "crafts.pdf")
    pieces: list[str] = []
    reports = []
    result = summary.summarize(
        lib.store, crafts["id"], generator, on_text=pieces.append, progress=reports.append,
        use_cache=False,
    )  # fmt: skip
    assert_every_sentence_is_supported(lib, result, at_least=2)
    assert len(pieces) > 3 and "Pages 1–" in "".join(pieces)  # the notes arrived as written
    assert reports[0].files_done == 0 and reports[0].eta_seconds
    assert reports[-1].files_done == reports[-1].files_total
    text = result.text.lower()
    assert sum(w in text for w in ("bee", "glass", "map", "cartograph", "contour")) >= 2, text
    assert result.timings["first_token"] < result.timings["total"]
    assert result.sources and all(s.document_id == crafts["id"] for s in result.sources)
    assert all(s.focus for s in result.sources)  # each page opens on its supporting sentence
    # asked again: kept, not written again
    again = summary.summarize(lib.store, crafts["id"], generator)
    assert again.timings.get("cached") == 1.0
    assert again.text == result.text and again.cited == result.cited


def test_a_page_range_and_a_chapter_keep_to_their_pages(lib, generator):
    crafts = _doc(lib, "crafts.pdf")
    assert summary.find_section(lib.store, crafts["id"], "chapter 2") == (5, 7)
    assert summary.find_section(lib.store, crafts["id"], "Chapter 3") == (8, 10)
    assert summary.find_section(lib.store, crafts["id"], "chapter 9") is None
    result = respond(lib, "What is chapter 2 about?", generator, scope=[crafts["id"]])
    assert_every_sentence_is_supported(lib, result)
    assert {s.page for s in result.sources} <= {5, 6, 7}
    assert "Chapter 2 is on pages 5–7." in result.note
    assert "glass" in result.text.lower()


def test_a_korean_request_summarizes_in_korean(lib, generator):
    rules = _doc(lib, "rules.pdf")
    result = respond(lib, "이 문서 요약해 줘", generator, scope=[rules["id"]])
    assert_every_sentence_is_supported(lib, result)
    hangul = sum("\uac00" <= ch <= "\ud7af" for ch in result.text)
    assert hangul > 0.5 * sum(ch.isalpha() for ch in result.text)


def test_a_cancelled_summary_keeps_its_notes_and_resumes(lib, generator):
    crafts = _doc(lib, "crafts.pdf")
    cancel = CancelToken()

    def progress(p) -> None:
        if p.files_done >= 1:  # the first note is written: stop
            cancel.cancel()

    with pytest.raises(Cancelled):
        summary.summarize(lib.store, crafts["id"], generator, pages=(1, 9), cancel=cancel,
                          progress=progress)  # fmt: skip
    kept = lib.store.conn.execute(
        "SELECT part FROM summaries WHERE pages = '1-9' AND part != ''"
    ).fetchall()
    assert len(kept) == 1
    resumed = summary.summarize(lib.store, crafts["id"], generator, pages=(1, 9))
    assert_every_sentence_is_supported(lib, resumed)


def test_without_a_model_the_summary_is_the_documents_own_sentences(lib):
    crafts = _doc(lib, "crafts.pdf")
    result = summary.summarize(lib.store, crafts["id"], None)
    assert_every_sentence_is_supported(lib, result)
    pages = "\n".join(lib.store.page_texts(crafts["id"]).values())
    flat = " ".join(pages.split())
    for line in result.text.split("\n"):
        body = re.sub(r"\s*\[\d+\]", "", re.sub(r"^\s*-\s*Pages? [\d–]+:\s*", "", line))
        for a, b in sentence_spans(body):
            if not body[a:b].endswith(":"):
                assert " ".join(body[a:b].split()) in flat
    assert "Without a language model" in result.note


def test_summarize_on_the_command_line(built: Path, tmp_path: Path):
    run = clirun.start(["summarize", "crafts", "-l", "Summaries", "--pages", "8-10"], home=built,
                       logs=tmp_path)  # fmt: skip
    assert run.wait(900) == 0, run.stderr
    cited = {int(p) for p in re.findall(r"(?m)^\[\d+\] .*?, p\. (\d+)", run.stdout)}
    assert cited and cited <= {8, 9, 10}, run.stdout
    assert "Sources:" in run.stdout and "checked against the pages" in run.stdout
    bad = clirun.start(["summarize", "crafts", "-l", "Summaries", "--pages", "9-3"], home=built,
                       logs=tmp_path, name="bad")  # fmt: skip
    assert bad.wait(300) == 1 and "is not a page range" in bad.stderr
