"""The user guide: rendered to PDF from resources/user-guide.md, and answerable on first run."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from desktop_rag.core.answers import qa
from desktop_rag.core.documents.guide import (
    GUIDE_TITLE,
    ensure_guide_pdf,
    guide_pdf_path,
    is_guide,
    markdown_to_html,
)

GUIDE_MD = Path(__file__).resolve().parent.parent / "resources" / "user-guide.md"


def test_markdown_becomes_html_without_raw_html():
    html = markdown_to_html("# Title\n\nSome **bold** `code`.\n\n<script>x</script>\n")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script>" not in html


def test_the_guide_is_rendered_once_into_the_data_folder(isolated_home: Path):
    pdf, written = ensure_guide_pdf(GUIDE_MD)
    assert written and pdf == guide_pdf_path() and pdf.parent == isolated_home / "guide"
    assert is_guide(pdf) and not is_guide(isolated_home / "other.pdf")
    with pymupdf.open(pdf) as doc:
        assert doc.metadata["title"] == GUIDE_TITLE
        assert 2 <= doc.page_count <= 6
        text = " ".join(page.get_text() for page in doc)
    for heading in ("Adding documents", "Citations", "Models", "Privacy", "Where your data lives"):
        assert heading in text
    assert ".gguf" in text and "DESKTOP_RAG_HOME" in text
    mtime = pdf.stat().st_mtime_ns
    assert ensure_guide_pdf(GUIDE_MD) == (pdf, False)  # unchanged: not rendered again
    assert pdf.stat().st_mtime_ns == mtime


def test_a_changed_guide_is_rendered_again(tmp_path: Path):
    md = tmp_path / "guide.md"
    md.write_text("# Guide\n\nFirst version.\n", encoding="utf-8")
    pdf, _ = ensure_guide_pdf(md)
    md.write_text("# Guide\n\nSecond version.\n", encoding="utf-8")
    assert ensure_guide_pdf(md) == (pdf, True)
    with pymupdf.open(pdf) as doc:
        assert "Second version" in doc[0].get_text()


def test_the_guide_documents_the_real_menus_and_shortcuts():
    """The guide names menus and shortcuts that exist in the window."""
    text = GUIDE_MD.read_text(encoding="utf-8")
    window = (Path(__file__).resolve().parent.parent / "desktop_rag/gui/menus.py").read_text(
        encoding="utf-8"
    )
    for menu_item in ("Add &files…", "Add f&older…", "&Settings…", "&New chat", "&User guide"):
        assert menu_item in window
        assert menu_item.replace("&", "") in text
    for shortcut in ("Ctrl+Shift+O", "Ctrl+Shift+N", "Ctrl+,", "Ctrl+N", "Ctrl+0"):
        assert f'"{shortcut}"' in window and shortcut in text


@pytest.mark.slow
def test_first_run_library_answers_how_to_add_a_bigger_model():
    """What the window does on first run (render, then ingest into "My documents"), then the
    question a new user asks: the top source is the guide's passage about .gguf models."""
    from desktop_rag.core.library import DEFAULT_LIBRARY, Library

    pdf, _ = ensure_guide_pdf(GUIDE_MD)
    with Library.create(DEFAULT_LIBRARY) as lib:
        report = lib.ingest([pdf])
        assert not report.failed and len(report.with_status("added")) == 1
        result = qa.answer(lib, "How do I add a bigger model?", None)
        assert result.status == "no_model", result.note
        top = result.sources[0]
        assert top.title == GUIDE_TITLE and is_guide(top.path)
        assert ".gguf" in top.text and "Settings" in top.text
        where = qa.answer(lib, "Where is my data stored?", None)
        assert where.status == "no_model"
        assert any("DESKTOP_RAG_HOME" in s.text for s in where.sources)
