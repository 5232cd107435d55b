"""Chunk context: what file names say, what the model reads, and what the keyword index
holds, never what the user sees; and the schema migration that added it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import docgen

from desktop_rag.core.documents.chunk_context import (
    compose,
    document_label,
    embedding_text,
    file_label,
)
from desktop_rag.core.library import Library
from desktop_rag.core.storage.store import _MIGRATIONS, SCHEMA_VERSION, Store


def test_file_names_become_words():
    assert file_label("/x/3M_2018_10K.pdf") == "3M 2018 10-K"
    assert file_label("JPMORGAN_2022Q2_10Q.pdf") == "JPMORGAN 2022 Q2 10-Q"
    assert file_label("AMCOR_2022_8K_dated-2022-07-01.pdf") == "AMCOR 2022 8-K dated-2022-07-01"
    assert file_label("scan0001.pdf") == "" and file_label("Document (2).pdf") == ""
    assert file_label("beir:4983") == ""
    assert file_label(r"C:\Users\kim\ACME_2020_10K.pdf") == "ACME 2020 10-K"


def test_document_label_adds_what_the_title_lacks():
    assert (
        document_label("ADBE 10K FY15", "ADOBE_2015_10K.pdf") == "ADBE 10K FY15 (ADOBE 2015 10-K)"
    )
    assert document_label("Form 10-K for Microsoft Corp filed 2023", "MICROSOFT_2023_10K.pdf") == (
        "Form 10-K for Microsoft Corp filed 2023"
    )
    assert document_label("", "NIKE_2019_10K.pdf") == "NIKE 2019 10-K"
    assert document_label("Vitamin D and bone density", "beir:17") == "Vitamin D and bone density"


def test_the_model_reads_the_context_the_text_does_not_open_with():
    context = compose("Vitamin D trial", "Results")
    assert context == "Vitamin D trial\nResults"
    assert embedding_text(context, "Doses were doubled.") == (
        "Vitamin D trial\nResults\nDoses were doubled."
    )
    # a record's first chunk opens with its title: the model reads it once
    assert embedding_text("Vitamin D trial", "Vitamin D trial\n\nWe gave doses.") == (
        "Vitamin D trial\n\nWe gave doses."
    )
    assert embedding_text("", "text") == "text"


def test_search_uses_the_context_but_shows_the_chunk_text(tmp_path: Path):
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    docgen.filing_pdf(pdfs / "HARWICK_2021_10K.pdf", company="Harwick Mills")
    with Library.create("Filings") as lib:
        lib.ingest([pdfs])
        hits = lib.search("Harwick 2021 cash flows")
        assert hits and hits[0].page == 2
        assert "HARWICK" not in hits[0].text and "Harwick" not in hits[0].text
        context = lib.store.conn.execute(
            "SELECT context FROM chunks WHERE id = ?", (hits[0].chunk_id,)
        ).fetchone()[0]
        assert (
            context == "HARWICK_2021_10K (HARWICK 2021 10-K)\nCONSOLIDATED STATEMENTS OF CASH FLOWS"
        )


def test_a_version_1_library_gets_the_context_column_and_keeps_its_keyword_index(tmp_path: Path):
    db = tmp_path / "library.db"
    conn = sqlite3.connect(db)
    conn.executescript(_MIGRATIONS[1])
    conn.execute(
        "INSERT INTO documents(id, path, title, status, added_at) "
        "VALUES (1, 'a.pdf', 'A', 'ready', 0)"
    )
    conn.execute(
        "INSERT INTO chunks(id, document_id, ord, page, char_start, char_end, text, spans, "
        "token_count, embedding) VALUES (7, 1, 0, 1, 0, 5, 'otter', '[]', 1, x'')"
    )
    conn.execute("INSERT INTO chunks_fts(rowid, body, title) VALUES (7, 'otter', 'A')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store(db)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.fts_search('"otter"', 5)[0][0] == 7
        assert store.conn.execute("SELECT context FROM chunks WHERE id = 7").fetchone()[0] == ""
        cols = [r[1] for r in store.conn.execute("PRAGMA table_info(chunks_fts)")]
        assert cols == ["body", "title", "context"]
    finally:
        store.close()
