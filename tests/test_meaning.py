"""Two-stage indexing: a document is searchable by keywords as soon as it is stored, its
embeddings follow (paused for other work, resumed after a close), and the vectors end up
exactly those of a run that embedded everything at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import docgen
import numpy as np
import pytest

from desktop_rag.core.indexing.meaning import EMBED_BATCH, groups_of, partial_note
from desktop_rag.core.library import Library
from desktop_rag.core.storage.store import _MIGRATIONS, SCHEMA_VERSION, Store


def _embeddings(lib: Library) -> dict[tuple[str, int], bytes]:
    rows = lib.store.conn.execute(
        "SELECT d.path, c.ord, c.embedding FROM chunks c JOIN documents d ON d.id = c.document_id"
    )
    return {(Path(p).name, o): bytes(e) for p, o, e in rows}


def test_documents_are_searchable_by_keywords_before_their_embeddings(tmp_path: Path):
    pdf = docgen.fifty_page_pdf(tmp_path / "field-notes.pdf")
    notes = tmp_path / "notes.txt"
    notes.write_text("Kiln notes: the glaze changed once the kiln reached 1260 degrees.", "utf-8")
    with Library.create_at(tmp_path / "keywords-first") as lib:
        report = lib.ingest([pdf, notes], embed=False)
        assert [o.status for o in report.outcomes] == ["added", "added"]
        pending, total = lib.pending_embeddings()
        assert pending == total == report.chunks == report.meaning_pending > 0
        assert 0 < report.searchable_seconds <= report.seconds
        assert "meaning in progress" in report.summary()
        assert len(lib.vectors) == 0
        docs = lib.documents()
        assert {d["status"] for d in docs} == {"ready"}
        assert lib.store.pending_by_document() == {d["id"]: d["chunk_count"] for d in docs}
        # hybrid search answers from the keywords alone
        hits = lib.search("Harwick Bridge length", k=3)
        assert hits and hits[0].page == 12 and hits[0].dense_score == 0.0

        # the second stage, paused after its first group as the window pauses it for a question
        calls = iter([False, True])
        first = lib.embed_pending(pause=lambda: next(calls, True))
        assert not first.finished and first.chunks > 0
        left, _ = lib.pending_embeddings()
        assert 0 < left < total and len(lib.vectors) == total - left
        # a keyword hit still without its vector stays in the ranking beside embedded ones
        assert lib.search("Harwick Bridge length", k=3)[0].page == 12

    # closed half-way: opening again finds the index in step with what was embedded
    with Library(tmp_path / "keywords-first") as lib:
        assert lib.pending_embeddings() == (left, total)
        assert len(lib.vectors) == total - left
        done = lib.embed_pending()
        assert done.finished and done.chunks == left
        assert lib.pending_embeddings() == (0, total) and len(lib.vectors) == total
        assert lib.search("Harwick Bridge length", k=3)[0].dense_score > 0
        staged = _embeddings(lib)

    # exactly the vectors of a run that embedded everything at the end of its ingest
    with Library.create_at(tmp_path / "at-once") as lib:
        report = lib.ingest([pdf, notes])
        assert report.meaning_pending == 0 and lib.pending_embeddings() == (0, total)
        assert _embeddings(lib) == staged


def test_groups_are_cut_by_order_whatever_was_embedded_before():
    chunks = [(100 + i, i, "", f"text {i}") for i in range(EMBED_BATCH * 2 + 5)]
    groups = groups_of(chunks)
    assert [len(g) for g in groups] == [EMBED_BATCH, EMBED_BATCH, 5]
    # the first group embedded (and committed) before a crash: the rest is cut the same way
    assert groups_of(chunks[EMBED_BATCH:]) == groups[1:]
    assert "3 of 10 passages" in partial_note(3, 10)


def test_a_reingest_while_pending_replaces_the_pending_chunks(tmp_path: Path):
    doc = tmp_path / "notes.txt"
    doc.write_text("The kiln reached 1260 degrees before the glaze changed.", "utf-8")
    with Library.create_at(tmp_path / "lib") as lib:
        lib.ingest([doc], embed=False)
        doc.write_text("The loom shuttles were oiled weekly by the weavers.", "utf-8")
        lib.ingest([doc], embed=False)
        assert lib.pending_embeddings()[0] == lib.store.chunk_count() == 1
        lib.embed_pending()
        assert lib.search("loom shuttles", k=1)[0].text.startswith("The loom")
        assert lib.pending_embeddings()[0] == 0 and len(lib.vectors) == 1


def test_schema_3_library_migrates_with_its_embeddings(tmp_path: Path):
    """A library of the previous schema (every chunk embedded) opens as schema 4, with nothing
    pending, and the pending index in place."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version in (1, 2, 3):
        for statement in _MIGRATIONS[version].split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute(
        "INSERT INTO documents(path, title, status, added_at, chunk_count) "
        "VALUES ('a.txt', 'a', 'ready', 0, 1)"
    )
    vec = np.ones(384, np.float16).tobytes()
    conn.execute(
        "INSERT INTO chunks(document_id, ord, page, char_start, char_end, text, spans, "
        "token_count, embedding) VALUES (1, 0, 1, 0, 4, 'text', '[]', 1, ?)",
        (vec,),
    )
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert store.pending_counts() == (0, 1)
        assert store.chunk_id_fingerprint() == (1, 1)
        plan = " ".join(
            str(r)
            for r in store.conn.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM chunks "
                "WHERE document_id = 1 AND length(embedding) = 0"
            )
        )
        assert "chunks_pending" in plan
    finally:
        store.close()


@pytest.mark.slow
def test_cancelled_meaning_leaves_keywords_and_resumes(tmp_path: Path):
    from desktop_rag.core.errors import Cancelled
    from desktop_rag.core.tasks import CancelToken

    pdf = docgen.fifty_page_pdf(tmp_path / "field-notes.pdf")
    with Library.create_at(tmp_path / "lib") as lib:
        lib.ingest([pdf], embed=False)
        token = CancelToken()
        token.cancel()
        with pytest.raises(Cancelled):
            lib.embed_pending(cancel=token)
        assert lib.pending_embeddings()[0] == lib.store.chunk_count()
        # `ingest` of nothing new embeds what an earlier run left
        report = lib.ingest([pdf])
        assert [o.status for o in report.outcomes] == ["unchanged"]
        assert report.meaning_pending == 0 and lib.pending_embeddings()[0] == 0
