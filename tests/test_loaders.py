from __future__ import annotations

from pathlib import Path

import docgen
import pymupdf
import pytest

from desktop_rag.core.documents.loaders import ParseError, decode_text, open_pages, paginate_text


def _pages(path: Path, password: str | None = None):
    info, pages = open_pages(path, password)
    return info, list(pages)


def test_pdf_keeps_pages_sizes_and_word_boxes(tmp_path: Path):
    path = docgen.make_pdf(
        tmp_path / "a.pdf", ["Alpha page one.", "Beta page two words."], title="My Title"
    )
    info, pages = _pages(path)
    assert info.kind == "pdf" and info.page_count == 2 and info.title == "My Title"
    assert [p.number for p in pages] == [1, 2]
    assert pages[1].text == "Beta page two words."
    assert (pages[1].width, pages[1].height) == (595, 842)
    start, end, x0, y0, x1, y1 = pages[1].words[0]
    assert pages[1].text[start:end] == "Beta"
    assert 50 < x0 < x1 < 200 and 50 < y0 < y1 < 100


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("euc-kr", "도서관은 오전 아홉 시에 문을 엽니다. 반납 기한은 이 주일입니다."),
        ("cp949", "똠방각하 햏 문서입니다. 규정에 따라 처리합니다."),
        ("utf-16", "Unicode sixteen: 휴가 규정 and café."),
        ("latin-1", "Le café de la gare ouvre à sept heures; déjà très fréquenté, même l'été."),
        ("utf-8", "Plain UTF-8 with 한국어 and emoji ✓."),
    ],
)
def test_text_files_in_other_encodings_are_decoded(tmp_path: Path, encoding: str, text: str):
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode(encoding))
    info, pages = _pages(path)
    assert info.kind == "txt"
    assert pages[0].text == text


def test_utf16_without_bom_is_decoded():
    assert (
        decode_text("plain ascii text in utf16".encode("utf-16-le")) == "plain ascii text in utf16"
    )


def test_a_long_single_line_is_cut_into_pages():
    text = "word " * 20000
    pages = paginate_text(text, 3000)
    assert "".join(pages) == text
    assert all(len(p) <= 3000 for p in pages)


def test_markdown_title_and_html(tmp_path: Path):
    md = tmp_path / "n.md"
    md.write_text("# Garden notes\n\nTomatoes need sun.\n", encoding="utf-8")
    info, pages = _pages(md)
    assert info.title == "Garden notes" and "Tomatoes" in pages[0].text
    html = tmp_path / "p.html"
    html.write_text("<html><body><h1>Heading</h1><p>Paragraph about kites.</p></body></html>")
    info, pages = _pages(html)
    assert info.kind == "html" and "kites" in " ".join(p.text for p in pages)


def test_docx_sections_are_pages(tmp_path: Path):
    import docx
    from docx.enum.section import WD_SECTION

    d = docx.Document()
    d.add_paragraph("First section talks about apples.")
    d.add_section(WD_SECTION.NEW_PAGE)
    d.add_paragraph("Second section talks about pears.")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "cell one"
    table.rows[0].cells[1].text = "cell two"
    path = tmp_path / "w.docx"
    d.save(str(path))
    info, pages = _pages(path)
    assert info.kind == "docx" and info.page_count == 2
    assert "apples" in pages[0].text and "pears" in pages[1].text
    assert "cell one | cell two" in pages[1].text


def test_bad_files_raise_specific_errors(tmp_path: Path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(bytes(range(256)) * 40)
    for path, code in ((empty, "empty"), (junk, "corrupt")):
        with pytest.raises(ParseError) as err:
            _pages(path)
        assert err.value.code == code
    with pytest.raises(ParseError) as err:
        _pages(tmp_path / "a.xyz")
    assert err.value.code == "unsupported"


def test_password_protected_pdf(tmp_path: Path):
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Secret merger terms.")
    path = tmp_path / "locked.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw123", owner_pw="owner")
    with pytest.raises(ParseError) as err:
        _pages(path)
    assert err.value.code == "encrypted"
    with pytest.raises(ParseError) as err:
        _pages(path, "wrong")
    assert err.value.code == "wrong-password"
    _, pages = _pages(path, "pw123")
    assert "merger" in pages[0].text


def test_words_spaced_by_pen_moves_are_read_as_words(tmp_path: Path):
    """XeLaTeX sets Korean word spaces by moving the pen, with no space character: MuPDF then
    reads a line as one run-on word, which search and the reader cannot use."""
    doc = pymupdf.open()
    page = doc.new_page()
    x = 72.0
    font = pymupdf.Font("korea")
    words = ["한국어", "문서에서는", "단어", "사이의", "간격이", "공백", "문자", "없이", "표현된다"]
    for word in words:
        page.insert_text((x, 100), word, fontname="korea", fontsize=10)
        x += font.text_length(word, fontsize=10) + 3.0  # a word space of 0.3 em, not a " "
    page.insert_text((72, 140), "An English line keeps its words.", fontsize=10)
    path = tmp_path / "spaced.pdf"
    doc.save(path)
    text = _pages(path)[1][0].text
    assert "단어 사이의 간격이 공백 문자 없이" in text
    assert "An English line keeps its words." in text


def test_upright_margin_lines_stay_out_of_the_text(tmp_path: Path):
    """An arXiv stamp or a 'free of charge from' line set upright in the margin would cut
    into the sentences beside it."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((20, 600), "arXiv:2005.11401v4 [cs.CL] 12 Apr 2021", fontsize=14, rotate=90)
    body = "Retrieval helps language models answer questions about knowledge."
    for i in range(6):
        page.insert_text((72, 100 + 20 * i), body, fontsize=11)
    path = tmp_path / "stamped.pdf"
    doc.save(path)
    text = _pages(path)[1][0].text
    assert "arXiv" not in text and "cs.CL" not in text
    assert text.count(body) == 6
