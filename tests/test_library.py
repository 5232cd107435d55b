"""Ingestion and hybrid search end to end, with the real bundled embedding model."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import docgen
import pytest

from desktop_rag.core.errors import UserError
from desktop_rag.core.library import Library, delete_library, list_libraries, rename_library


def test_keyword_query_finds_the_right_page(shared_library: Library):
    hits = shared_library.search("Harwick Bridge length", k=3)
    assert hits[0].page == 12 and hits[0].title == "Field Notes of Many Trades"
    assert "412 metres" in hits[0].text
    assert hits[0].spans and all(s[0] == 12 for s in hits[0].spans)


def test_paraphrase_finds_the_right_page(shared_library: Library):
    hits = shared_library.search(docgen.PAGE37_PARAPHRASE, k=3)
    assert hits[0].page == 37
    assert hits[0].vector_rank == 0


def test_korean_found_by_two_syllables_and_by_a_word_with_a_particle(shared_library: Library):
    hits = shared_library.search("휴가", k=3)
    assert hits[0].title == "회사 규정" and hits[0].page == 1
    hits = shared_library.search("출장비를", k=3)  # the text says 출장비 정산; the query has 를
    assert hits[0].page == 2 and "출장비" in hits[0].text
    hits = shared_library.search("보안교육에서", k=3)  # glued words and a particle
    assert hits[0].page == 3


def test_korean_query_uses_meaning_too(shared_library: Library):
    hits = shared_library.search("비밀번호", k=5)  # the multilingual model reads Korean
    assert hits[0].title == "회사 규정" and hits[0].vector_rank is not None


def test_euc_kr_text_file_is_read_and_found(shared_library: Library):
    hits = shared_library.search("도서관 반납", k=3)
    assert hits[0].path.endswith("euckr.txt")
    assert "반납 기한은 이 주일입니다" in hits[0].text


def test_documents_listed_and_unsupported_files_not_indexed(shared_library: Library):
    names = sorted(Path(d["path"]).name for d in shared_library.documents())
    assert names == ["euckr.txt", "field-notes.pdf", "korean-rules.pdf", "notes.md"]
    assert all(d["status"] == "ready" for d in shared_library.documents())


def test_reingest_is_idempotent_and_reports_skips(corpus: Path):
    with Library.create("Mine") as lib:
        first = lib.ingest([corpus])
        skipped = {Path(o.path).name: o.message for o in first.skipped}
        assert skipped[".hidden.txt"] == "hidden"
        assert skipped["song.mp3"].startswith("unsupported file type")
        chunks = lib.store.chunk_count()
        second = lib.ingest([corpus])
        assert [o.status for o in second.with_status("added", "updated")] == []
        assert len(second.with_status("unchanged")) == 4
        assert lib.store.chunk_count() == chunks
        assert len(lib.vectors) == chunks


def test_changed_file_is_reindexed_and_removed_file_dropped(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    a = docgen.make_pdf(docs / "a.pdf", ["The pump pressure is 40 bar."])
    b = docgen.make_pdf(docs / "b.pdf", ["The valve colour is green."])
    with Library.create("Mine") as lib:
        lib.ingest([docs])
        assert lib.search("pump pressure", k=1)[0].text.startswith("The pump pressure is 40")
        time.sleep(0.01)
        docgen.make_pdf(a, ["The pump pressure is 55 bar after the upgrade."])
        report = lib.ingest([docs])
        assert [Path(o.path).name for o in report.with_status("updated")] == ["a.pdf"]
        hit = lib.search("pump pressure", k=1)[0]
        assert "55 bar" in hit.text
        assert len(lib.vectors) == lib.store.chunk_count()
        b.unlink()
        assert lib.remove_missing() == [str(b.resolve())]
        assert all("valve" not in h.text for h in lib.search("valve colour", k=5))
        assert len(lib.vectors) == lib.store.chunk_count()


def test_duplicate_content_is_indexed_once(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(docs / "one.pdf", ["Identical content about turbines."])
    (docs / "copy.pdf").write_bytes((docs / "one.pdf").read_bytes())
    with Library.create("Mine") as lib:
        report = lib.ingest([docs])
        assert len(report.with_status("added")) == 1
        assert [o.code for o in report.skipped] == ["duplicate"]
        assert len(lib.documents()) == 1


def test_deleted_or_garbage_vector_file_is_rebuilt_with_same_results(corpus: Path):
    with Library.create("Mine") as lib:
        lib.ingest([corpus])
        before = [(h.chunk_id, h.page) for h in lib.search(docgen.PAGE37_PARAPHRASE, k=5)]
        path = lib.vectors.path
    path.unlink()
    with Library.open("Mine") as lib:
        assert [(h.chunk_id, h.page) for h in lib.search(docgen.PAGE37_PARAPHRASE, k=5)] == before
    path.write_bytes(os.urandom(5000))
    with Library.open("Mine") as lib:
        assert [(h.chunk_id, h.page) for h in lib.search(docgen.PAGE37_PARAPHRASE, k=5)] == before
        assert len(lib.vectors) == lib.store.chunk_count()


def test_bad_files_are_recorded_and_the_batch_goes_on(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.pdf").write_bytes(b"")
    (docs / "random.pdf").write_bytes(os.urandom(4096))
    good = docgen.make_pdf(docs / "good.pdf", ["The compressor runs at 3000 rpm."])
    full = good.read_bytes()
    (docs / "truncated.pdf").write_bytes(full[: len(full) // 3])
    with Library.create("Mine") as lib:
        report = lib.ingest([docs])
        failed = {Path(o.path).name: o.code for o in report.failed}
        assert failed["empty.pdf"] == "empty"
        assert failed["random.pdf"] == "corrupt"
        assert next(Path(o.path).name for o in report.with_status("added")) == "good.pdf"
        assert lib.search("compressor rpm", k=1)[0].path.endswith("good.pdf")
        statuses = {Path(d["path"]).name: (d["status"], d["error"]) for d in lib.documents()}
        assert statuses["empty.pdf"][0] == "failed" and "empty" in statuses["empty.pdf"][1]


def test_libraries_create_list_rename_delete():
    Library.create("Alpha").close()
    Library.create("베타 문서").close()
    assert list_libraries() == ["Alpha", "베타 문서"]
    with pytest.raises(UserError):
        Library.create("Alpha")
    with pytest.raises(UserError):
        Library.create("bad/name")
    rename_library("Alpha", "Gamma")
    assert list_libraries() == ["Gamma", "베타 문서"]
    delete_library("Gamma")
    assert list_libraries() == ["베타 문서"]


def test_schema_version_and_wal(tmp_path: Path):
    from desktop_rag.core.storage.store import SCHEMA_VERSION

    with Library.create("Mine") as lib:
        db = lib.db_path
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_library_refuses_another_embedding_model(tmp_path: Path):
    other = tmp_path / "other-model"
    other.mkdir()
    (other / "config.json").write_text("{}")
    with Library.create("Mine") as lib, pytest.raises(UserError, match="cannot mix"):
        lib.check_model(str(other))


def test_second_writer_gets_a_clear_message():
    with Library.create("Mine"), pytest.raises(UserError, match="in use"):
        Library.open("Mine")


def test_rebuild_with_another_embedding_model_keeps_documents(tmp_path: Path):
    import shutil

    from desktop_rag.core.library import rebuild_with_model
    from desktop_rag.core.search.embedding import bundled_embedding_path

    other = tmp_path / "my-multilingual-model"
    shutil.copytree(bundled_embedding_path(), other)
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(docs / "a.pdf", ["The boiler pressure is kept at 2 bar in winter."])
    with Library.create("Mine") as lib:
        lib.ingest([docs])
    rebuild_with_model("Mine", str(other))
    with Library.open("Mine") as lib:
        assert lib.embedding_model.id == f"local:{other.resolve()}"
        assert lib.embedding_model.multilingual  # told apart by its name
        assert [Path(d["path"]).name for d in lib.documents()] == ["a.pdf"]
        assert lib.search("boiler pressure", k=1)[0].text.startswith("The boiler pressure")
    assert list_libraries() == ["Mine"]  # no staging folder left behind
