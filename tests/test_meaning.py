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
    """A library of an earlier schema (every chunk embedded) opens as the current one, with
    nothing pending, and the pending index in place."""
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
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
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


def test_an_emails_attachments_wait_for_meaning_and_go_with_it(tmp_path: Path):
    """The parts of a file (an e-mail's attachments) are stored searchable by keywords with it,
    embedded afterwards like any document, and removed with their message."""
    spec = docgen.make_pdf(
        tmp_path / "spec.pdf", ["The crane spec.", "The harbour crane lifts at most 62 tonnes."]
    ).read_bytes()
    mail = tmp_path / "crane.eml"
    mail.write_bytes(
        docgen.make_eml(
            "Crane limits",
            "Hi Bob,\nthe crane spec is attached.\nAlice",
            attachments=[("crane-spec.pdf", spec), ("notes.txt", b"The crane operator is Olsen.")],
        )
    )
    with Library.create_at(tmp_path / "mail") as lib:
        report = lib.ingest([mail], embed=False)
        assert [o.status for o in report.outcomes] == ["added"]
        [message] = lib.documents()
        parts = lib.store.parts()
        assert sorted(p["path"].split("#")[-1] for p in parts) == ["crane-spec.pdf", "notes.txt"]
        assert {p["parent_id"] for p in parts} == {message["id"]}
        pending = lib.store.pending_by_document()
        assert set(pending) == {message["id"], *(p["id"] for p in parts)}
        assert report.meaning_pending == lib.store.chunk_count() and len(lib.vectors) == 0
        # found by its words at once, as a part of its message
        hit = lib.search("harbour crane tonnes", k=1)[0]
        assert hit.path == f"{mail}#crane-spec.pdf" and hit.dense_score == 0.0

        done = lib.embed_pending()
        assert done.finished and done.chunks == report.meaning_pending
        assert lib.pending_embeddings()[0] == 0
        assert len(lib.vectors) == lib.store.chunk_count()
        hit = lib.search("How heavy a load can the crane lift?", k=1)[0]
        assert hit.path == f"{mail}#crane-spec.pdf" and hit.dense_score > 0

        # a new version without its attachments, left pending: the old parts' vectors go
        mail.write_bytes(docgen.make_eml("Crane limits", "The spec follows tomorrow."))
        lib.ingest([mail], embed=False)
        assert lib.store.parts() == [] and len(lib.vectors) == 0
        assert lib.pending_embeddings() == (lib.store.chunk_count(), lib.store.chunk_count())
        lib.remove_document(lib.documents()[0]["id"])
        assert lib.store.chunk_count() == 0 == len(lib.vectors)
        assert lib.pending_embeddings() == (0, 0)


def test_an_encrypted_library_is_embedded_in_the_background_too(tmp_path: Path):
    """An encrypted library stores documents searchable by keywords first and embeds them
    later: its readers (the window's, the ask lane's) are keyed, and its index stays sealed."""
    from desktop_rag.core.storage import crypto

    passphrase = "seventeen harbour gulls"
    notes = tmp_path / "notes.txt"
    notes.write_text("The QUILLWORT ledger lists 4417 brass keys in the north tower.", "utf-8")
    with Library.create("Vault", "e5", passphrase=passphrase) as lib:
        lib.ingest([notes], embed=False)
        view = lib.reading_store()  # the window's connection
        try:
            assert view.pending_counts() == (1, 1) and view.pending_by_document()
        finally:
            view.close()
        reader = lib.reader()  # the ask lane's
        try:
            assert reader.pending_embeddings() == (1, 1)
            assert "QUILLWORT" in reader.search("quillwort ledger", k=1)[0].text
        finally:
            reader.close()
    crypto.forget_keys()  # a new run: the pending chunks wait for the passphrase
    with Library.open("Vault", passphrase=passphrase) as lib:
        assert lib.encrypted and lib.embed_pending().finished
        assert lib.pending_embeddings() == (0, 1) and len(lib.vectors) == 1
        folder = lib.path
    assert b"quillwort" not in (folder / "library.db").read_bytes().lower()
    with Library.open("Vault", readonly=True, passphrase=passphrase) as lib:
        assert lib.vectors.load() and len(lib.vectors) == 1  # the sealed file opens
        hit = lib.search("How many brass keys are in the tower?", k=1)[0]
        assert hit.dense_score > 0
