"""Asking within some documents: both halves of the hybrid search keep to them, on a real
library (SQLite FTS5, a USearch index, the bundled embedding model)."""

from __future__ import annotations

from pathlib import Path

import clirun
import pytest

from desktop_rag.core.answers.respond import respond
from desktop_rag.core.search import retrieval
from desktop_rag.core.storage import vectors as vectors_module

QUESTION = "How long is the Harwick Bridge?"


def _files(lib, chunk_ids) -> set[str]:
    rows = lib.store.chunks_by_ids([int(c) for c in chunk_ids])
    return {Path(r["path"]).name for r in rows.values()}


def test_a_scoped_search_keeps_to_its_documents_on_both_sides(catalog_library):
    lib, _ = catalog_library
    bridges = lib.find_documents(["bridges.pdf"])[0]
    whole = lib.search(QUESTION, k=5)
    assert Path(whole[0].path).name == "river-notes.pdf"  # where the length is written
    scoped = lib.search(QUESTION, k=5, scope=[bridges["id"]])
    assert scoped and {Path(h.path).name for h in scoped} == {"bridges.pdf"}
    model, embedder = lib.embedding_model, lib.embedder()
    for mode in ("bm25", "dense", "hybrid"):
        ranked = retrieval.rank_chunks(
            lib.store, lib.vectors, embedder, model, QUESTION, mode=mode, scope=[bridges["id"]]
        )
        assert ranked, mode
        assert _files(lib, [c for c, _ in ranked]) == {"bridges.pdf"}, mode
    # every chunk of the document can be found within it (the scope is exact, not a sample)
    dense = retrieval.rank_chunks(
        lib.store, lib.vectors, embedder, model, QUESTION, mode="dense", scope=[bridges["id"]]
    )
    assert sorted(c for c, _ in dense) == lib.store.chunk_ids_of(bridges["id"])


def test_a_large_scope_is_searched_through_the_index_and_filtered(catalog_library, monkeypatch):
    lib, _ = catalog_library
    keep = [d["id"] for d in lib.documents() if Path(d["path"]).suffix != ".pdf"]
    monkeypatch.setattr(vectors_module, "EXACT_SCOPE_LIMIT", 0)
    monkeypatch.setattr(vectors_module, "MAX_SCOPE_NEIGHBOURS", 10**9)
    chunks = lib.store.chunk_ids_in(keep)
    ranked = retrieval.rank_chunks(
        lib.store, lib.vectors, lib.embedder(), lib.embedding_model, QUESTION, mode="dense",
        scope=keep,
    )  # fmt: skip
    assert sorted(c for c, _ in ranked) == sorted(int(c) for c in chunks)


def test_a_question_in_a_scope_is_answered_from_it_and_says_so(catalog_library):
    lib, _ = catalog_library
    bridges = lib.find_documents(["bridges.pdf"])[0]
    result = respond(lib, QUESTION, None, scope=[bridges["id"]], no_model_reason="No model.")
    assert result.status == "no_model"
    assert result.sources and {Path(s.path).name for s in result.sources} == {"bridges.pdf"}
    assert "Only in: Bridges of the Wend (bridges.pdf)." in result.note


def test_ask_document_keeps_the_command_line_to_that_document(
    catalog_library, built_catalog, tmp_path: Path
):
    lib, folder = catalog_library
    lib.close()  # each command opens the library itself
    home, _ = built_catalog

    def run(*argv: str) -> clirun.Run:
        r = clirun.start(list(argv), home=home, logs=tmp_path, name=f"run{len(runs)}")
        r.wait(600)
        runs.append(r)
        return r

    runs: list[clirun.Run] = []
    one = run("ask", QUESTION, "-l", "Catalog", "--document", "bridges.pdf", "--no-model")
    assert one.process.exitcode == 0, one.stderr
    assert "Bridges of the Wend, p. " in one.stdout and "River Notes" not in one.stdout
    both = run("ask", QUESTION, "-l", "Catalog", "-d", "bridges.pdf", "-d", "river-notes",
               "--no-model")  # fmt: skip
    assert both.process.exitcode == 0 and "River Notes, p. 2" in both.stdout
    lease = run("ask", "What does the lease cost?", "-l", "Catalog", "--no-model",
                "--folder", str(folder / "Contracts"))  # fmt: skip
    assert lease.process.exitcode == 0, lease.stderr
    assert "Lease of the mill" in lease.stdout and "Bridges" not in lease.stdout
    unknown = run("ask", QUESTION, "-l", "Catalog", "--document", "nothing-like-it")
    assert unknown.process.exitcode == 1
    assert "No document in this library is called" in unknown.stderr
    listing = run("ask", "Which documents mention the Harwick Bridge?", "-l", "Catalog")
    assert listing.process.exitcode == 0, listing.stderr
    assert "“Harwick Bridge” is mentioned 6 times in 3 documents:" in listing.stdout
    assert "keyword index (SQLite FTS5)" in listing.stdout


def test_asking_within_an_email_asks_within_its_attachments_before_and_after_meaning(
    tmp_path: Path,
):
    """A scope names files; the parts inside one (an e-mail's attachments) are in it too,
    found by their words while their embeddings are pending and by meaning afterwards."""
    import docgen

    from desktop_rag.core.library import Library

    spec = docgen.make_pdf(
        tmp_path / "spec.pdf", ["The crane spec.", "The harbour crane lifts at most 62 tonnes."]
    ).read_bytes()
    mail = tmp_path / "crane.eml"
    mail.write_bytes(
        docgen.make_eml("Crane limits", "The spec is attached.", attachments=[("spec.pdf", spec)])
    )
    other = tmp_path / "ferry.txt"
    other.write_text("The harbour ferry carries 40 passengers and no crane.", "utf-8")
    with Library.create_at(tmp_path / "lib") as lib:
        lib.ingest([mail, other], embed=False)
        message = next(d for d in lib.documents() if d["path"] == str(mail))
        [part] = lib.store.parts()
        assert set(lib.store.chunk_ids_of(part["id"])) <= set(
            lib.store.chunk_ids_in([message["id"]]).tolist()
        )
        hits = lib.search("harbour crane tonnes", k=5, scope=[message["id"]])
        assert hits and {h.path for h in hits} <= {str(mail), f"{mail}#spec.pdf"}
        assert f"{mail}#spec.pdf" in {h.path for h in hits}
        lib.embed_pending()
        hits = lib.search("How heavy a load can the crane lift?", k=5, scope=[message["id"]])
        best = next(h for h in hits if h.path == f"{mail}#spec.pdf")
        assert best.dense_score > 0 and str(other) not in {h.path for h in hits}


@pytest.mark.parametrize("size", [1, 2, 50])
def test_id_ranges_cover_exactly_the_ids(size):
    import numpy as np

    from desktop_rag.core.storage.store import id_ranges

    ids = np.array(sorted({1, 2, 3, 7, 9, 10, *range(20, 20 + size)}), dtype=np.int64)
    covered = [i for a, b in id_ranges(ids) for i in range(a, b + 1)]
    assert covered == ids.tolist()
