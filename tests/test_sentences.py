"""A page's text cut into the units the model reads and a quote shows: whole sentences,
whole table rows, headings on their own, never a line's fragment."""

from __future__ import annotations

from pathlib import Path

import docgen

from desktop_rag.core.documents import sentences
from desktop_rag.core.documents.loaders import open_pages


def _units(text: str) -> list[str]:
    return [sentences.clean(text[a:b]) for a, b in sentences.units(text)]


def test_a_sentence_wrapped_over_lines_is_one_unit_and_its_hyphen_heals():
    text = (
        "Large pre-trained language models store factual knowl-\n"
        "edge in their parameters [1, 2], yet their ability to\n"
        "access it is limited. We explore models which\n"
        "combine pre-trained parametric and non-\n"
        "parametric memory for language generation.\n"
    )
    assert _units(text) == [
        "Large pre-trained language models store factual knowledge in their parameters "
        "[1, 2], yet their ability to access it is limited.",
        "We explore models which combine pre-trained parametric and non-parametric memory "
        "for language generation.",
    ]


def test_abbreviations_and_initials_do_not_end_a_sentence():
    text = "As shown in Fig. 3 and by J. Smith et al. in 2019, the U.S. data agree. Next one."
    assert _units(text) == [
        "As shown in Fig. 3 and by J. Smith et al. in 2019, the U.S. data agree.",
        "Next one.",
    ]


def test_headings_bullets_and_table_rows_stay_units_of_their_own():
    text = (
        "2.2 Retriever: DPR\n"
        "The retrieval component is based on DPR.\n"
        "• First item of a list\n"
        "• Second item of a list\n"
        "Net income 629,551 268,395\n"
        "Depreciation and amortization 339,095 313,590\n"
    )
    assert _units(text) == [
        "2.2 Retriever: DPR",
        "The retrieval component is based on DPR.",
        "• First item of a list",
        "• Second item of a list",
        "Net income 629,551 268,395",
        "Depreciation and amortization 339,095 313,590",
    ]


def test_every_unit_of_a_two_column_paper_is_whole(tmp_path: Path):
    """Each unit of the generated paper, read as ingestion reads it, is a whole sentence,
    heading or reference of what was written: no unit starts or ends inside one."""
    _info, pages = open_pages(docgen.paper_pdf(tmp_path / "paper.pdf"))
    written = " ".join(b.removeprefix("# ") for page in docgen.PAPER_PAGES for b in page)
    written += f" {docgen.PAPER_TITLE} {docgen.PAPER_AUTHORS}"
    count = 0
    for page in pages:
        for unit in _units(page.text):
            if unit.isdigit():
                continue  # the page number
            assert unit in written, unit
            count += 1
    assert count >= 35


def test_reference_numbers_leave_what_the_model_reads():
    assert (
        sentences.without_references("Knowledge is stored in parameters [1, 2] and DPR [9].")
        == "Knowledge is stored in parameters and DPR."
    )


def test_contents_lines_are_told_from_sentences_and_rows():
    assert sentences.is_contents_line("2.1 Tenets of Zero Trust 6")
    assert sentences.is_contents_line("Appendix B: Pico Schematic 24")
    assert sentences.is_contents_line("제 1 장 알아두어야 할 기본 사항 1")
    assert not sentences.is_contents_line("Gorder w=5 79 110 118 988 3324 8783 25475 32488")
    assert not sentences.is_contents_line("In 2003 I started teaching at Olin College.")
    assert not sentences.is_contents_line("3.4 Comparison to the original paper")
