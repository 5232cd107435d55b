"""Long real documents read as text: table rows as rows, columns in order, running headers
and footers out of the chunks but in the page shown, headings and titles found."""

from __future__ import annotations

from pathlib import Path

import docgen
import pymupdf
import pytest

from desktop_rag.core.documents.chunking import Chunker, heading_at
from desktop_rag.core.documents.loaders import open_pages, page_words, words_to_text
from desktop_rag.core.documents.page_layout import (
    RunningLines,
    is_page_number,
    layout_page,
    margin_key,
)
from desktop_rag.core.search.embedding import Embedder, resolve_embedding_model


@pytest.fixture(scope="module")
def filing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return docgen.filing_pdf(tmp_path_factory.mktemp("filing") / "HARWICK_2021_10K.pdf")


@pytest.fixture(scope="module")
def pages(filing: Path):
    _, pages = open_pages(filing)
    return {p.number: p for p in pages}


def test_table_rows_read_as_label_then_numbers(pages):
    text = pages[2].text
    assert "Net cash provided by operating activities 1,469,502 1,287,482" in text
    assert "Purchases of property and equipment (184,936) (148,332)" in text


def test_two_columns_read_one_after_the_other(pages):
    text = pages[3].text
    left_end = text.index("the locks stayed watertight.")
    right_start = text.index("The lighthouse lamps burned whale")
    assert left_end < right_start
    assert "The canal locks were rebuilt in\ngranite after the flood" in text


def test_running_lines_stay_in_the_page_but_out_of_the_body(pages):
    for number, page in pages.items():
        start, end = page.body
        assert "Harwick Mills Annual Report 2021" in page.text  # shown in the viewer
        assert "Annual Report" not in page.text[start:end]  # never in a chunk
        assert page.text.rstrip().endswith(str(number))
        assert not page.text[start:end].rstrip().endswith(f"\n{number}")


def test_chunks_leave_running_lines_out_and_keep_their_offsets_and_heading(pages):
    embedder = Embedder(resolve_embedding_model())
    chunker = Chunker(
        embedder.count_tokens,
        lambda t: [
            tuple(o)
            for o in embedder.tokenizer(t, add_special_tokens=False, return_offsets_mapping=True)[
                "offset_mapping"
            ]
        ],
        max_tokens=embedder.max_tokens,
    )
    (table,) = chunker.chunk_page(pages[2])
    assert "Annual Report" not in table.text
    assert table.text == pages[2].text[table.char_start : table.char_end]
    assert table.heading == "CONSOLIDATED STATEMENTS OF CASH FLOWS"
    # the heading of the page before carries over to a page without one of its own
    (columns,) = chunker.chunk_page(pages[3], heading=table.heading)
    assert columns.heading == table.heading


def test_the_viewer_rebuilds_the_same_page_text(filing: Path, pages):
    doc = pymupdf.open(filing)
    try:
        for number, parsed in pages.items():
            page = doc.load_page(number - 1)
            text, positions = words_to_text(
                page_words(page), float(page.rect.width), float(page.rect.height)
            )
            assert text == parsed.text and positions == parsed.words
    finally:
        doc.close()


def test_title_falls_back_from_filing_numbers_to_the_first_heading(tmp_path: Path):
    path = tmp_path / "report.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((56, 80), "Orchard Cooperative", fontsize=24)
    page.insert_text((56, 120), "Yearly account of the apple harvest and its sales.", fontsize=10)
    doc.set_metadata({"title": "0001018724-20-000004"})
    doc.save(path)
    doc.close()
    info, _ = open_pages(path)
    assert info.title == "Orchard Cooperative"


def test_margin_lines_repeat_with_their_numbers_aside():
    assert margin_key("Page 12 of 40") == margin_key("Page 3 of 40")
    assert is_page_number("- 12 -") and is_page_number("iv") and is_page_number("Page 3 of 40")
    assert not is_page_number("Notes to the statements")
    words = [(56, 30, 200, 40, "Annual", 0, 0, 0), (56, 400, 90, 410, "Body", 1, 0, 0)]
    running = RunningLines(min_pages=2)
    layout = layout_page(words, 595, 842)
    assert layout.text == "Annual\n\nBody"
    running.add(layout)
    # seen on one page, the top line is kept in the body
    assert layout.text[slice(*running.body_range(layout))] == "Annual\n\nBody"
    # seen on two, it is a running header
    running.add(layout_page(words, 595, 842))
    assert layout.text[slice(*running.body_range(layout))] == "Body"


def test_heading_at_picks_the_heading_above_the_chunk():
    headings = [(0, "PART I"), (100, "Item 7. Results")]
    assert heading_at(headings, 150, 300) == "Item 7. Results"
    assert heading_at(headings, 50, 300) == "PART I"
    assert heading_at([(30, "Notes")], 0, 400, before="Earlier") == "Notes"
    assert heading_at([(900, "Later")], 0, 400, before="Earlier") == "Earlier"


def test_a_sentence_that_runs_out_of_the_margin_band_stays_one_sentence(tmp_path: Path):
    """Text set from the page's top edge down to its bottom edge: the lines in the top and
    bottom 8% continue the paragraph, and no sentence is cut where the band ends."""
    from desktop_rag.core.documents import sentences

    long_line = "the surveyors measured every span of the old river crossing by hand"
    body = " ".join([f"Line {n} says that {long_line}." for n in range(60)])
    path = docgen.make_pdf(tmp_path / "full-page.pdf", [body, body], title="Surveys")
    _, parsed = open_pages(path)
    for page in parsed:
        units = [page.text[a:b] for a, b in sentences.units(page.text)]
        cut = [u for u in units if not u.rstrip().endswith(".")]
        assert not cut, cut[:3]
