"""Crash safety: a real `desktop-rag ingest` is killed with SIGKILL at a dozen moments, and after
every kill the library is whole; ingesting again ends in exactly the state of a run that was
never interrupted.

Ingestion has two stages, and the kills cover both: every document is stored and searchable by
keywords first, its chunks waiting for their embeddings; then the embeddings are computed and
committed group by group. A kill in the second stage leaves documents that are whole but
searchable by keywords only; the next run embeds what they still lack.

Most kills are deterministic: DESKTOP_RAG_CRASH_AT makes the process SIGKILL itself at a named
point of the write path (core/faults.py). The others come from outside at moments the pipeline
does not choose: a fresh `python -m desktop_rag` killed while it imports its libraries, and
kills timed on what another process sees committed in the database. It all runs twice: on a
plain library, and on an encrypted one (where no file may hold the documents' text either)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import clirun
import docgen
import numpy as np
import pytest

from desktop_rag.core.faults import CRASH_ENV
from desktop_rag.core.storage import crypto
from desktop_rag.core.storage.store import apply_key, db_error, sqlcipher_driver

LIBRARY = "Crash"
PASSPHRASE = "seventeen harbour gulls"
PLAINTEXT = [b"beekeepers", b"tide gauge", b"glaze chemistry"]  # the documents' words
N_DOCS = 30
QUERIES = [
    "What did the beekeepers do with hive frames?",
    "telescope mirrors",
    "Report 07",
    "Which seal did the harbour master replace?",
    "kiln firing glaze chemistry",
]


def sentence(rng: random.Random, label: str, topic: tuple[str, str, str, str]) -> str:
    """One short sentence: the corpus is for crashing, and embedding is the slow part."""
    who, a, b, _ = topic
    return (
        f"{label}: the {who} {rng.choice(docgen.VERBS)} {a} and {b} in {rng.randint(1850, 1990)}."
    )


@pytest.fixture(scope="module")
def crash_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """34 files: 30 short PDFs, a 12-page PDF (parsed in two messages), two text files, a
    broken PDF that fails every time, and a duplicate."""
    d = tmp_path_factory.mktemp("crash-corpus")
    rng = random.Random(5)
    for i in range(N_DOCS):
        topic = docgen.TOPICS[i % len(docgen.TOPICS)]
        pages = [sentence(rng, f"Report {i:02d}, part {n}", topic) for n in range(1, 3 + i % 2)]
        docgen.make_pdf(d / f"doc-{i:02d}.pdf", pages, title=f"Report {i:02d} on {topic[0]}")
    long_pages = [sentence(rng, f"Harbour log {n}", docgen.TOPICS[n]) for n in range(1, 13)]
    long_pages[8] = "The harbour master replaced the brass seal of the tide gauge in 1923."
    docgen.make_pdf(d / "doc-15b-harbour.pdf", long_pages, title="Harbour log")
    (d / "notes-a.txt").write_text(
        "Kiln notes: the glaze chemistry changed once the kiln firing reached 1260 degrees.",
        encoding="utf-8",
    )
    (d / "notes-b.md").write_text("# Loom\n\nThe loom shuttles were oiled weekly.\n", "utf-8")
    (d / "00-broken.pdf").write_bytes(b"%PDF-1.7\n" + random.Random(1).randbytes(3000))
    shutil.copy2(d / "doc-03.pdf", d / "zz-copy-of-doc-03.pdf")
    return d


# --- what must hold after every kill --------------------------------------------------------


def connect(folder: Path, readonly: bool = False):  # type: ignore[no-untyped-def]
    """A connection to the library's database: sqlite3's, or SQLCipher's with the key."""
    db = folder / "library.db"
    if not crypto.is_encrypted(folder):
        return sqlite3.connect(f"file:{db}?mode=ro" if readonly else db, uri=readonly, timeout=5)
    conn = sqlcipher_driver().connect(f"file:{db}?mode=ro" if readonly else str(db), uri=readonly)
    apply_key(conn, crypto.unlock(folder, PASSPHRASE, folder.name))  # scrypt only the first time
    return conn


def check_library(folder: Path, scratch: Path) -> tuple[int, int]:
    """Check a copy of the killed library as the next run will find it; return how many
    documents are ready and how many chunks still wait for their embedding."""
    if not (folder / "library.db").exists():
        assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())
        return 0, 0
    copy = scratch / uuid.uuid4().hex
    shutil.copytree(folder, copy)  # the files exactly as the kill left them
    if crypto.is_encrypted(copy):
        for path in copy.iterdir():
            data = path.read_bytes().lower()
            assert not [w for w in PLAINTEXT if w in data], path
    db = connect(copy)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check')")
    chunk_ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
    assert db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0] == len(chunk_ids)
    # a chunk has its whole embedding (384 float16) or none yet: never a part of one
    sizes = dict(db.execute("SELECT length(embedding), count(*) FROM chunks GROUP BY 1"))
    assert set(sizes) <= {0, 384 * 2}, sizes
    embedded = {r[0] for r in db.execute("SELECT id FROM chunks WHERE length(embedding) > 0")}
    pending = sizes.get(0, 0)
    # embeddings are committed a document's group at a time: 256 chunks, cut by their order
    partial = db.execute(
        "SELECT document_id, ord / 256 FROM chunks GROUP BY 1, 2 "
        "HAVING min(length(embedding)) != max(length(embedding))"
    ).fetchall()
    assert not partial, partial
    # no document half-indexed: ready with all its chunks and pages, or nothing at all
    ready = 0
    rows = db.execute(
        "SELECT d.id, d.path, d.status, d.chunk_count, d.page_count, "
        "(SELECT count(*) FROM chunks c WHERE c.document_id = d.id), "
        "(SELECT count(*) FROM pages p WHERE p.document_id = d.id) FROM documents d"
    ).fetchall()
    for _, path, status, chunk_count, page_count, chunks, pages in rows:
        assert status in ("ready", "queued", "failed"), (path, status)
        if status == "ready":
            ready += 1
            assert chunks == chunk_count > 0 and pages == page_count > 0, (path, chunks, pages)
        else:
            assert chunks == pages == 0, (path, status, chunks, pages)
    orphans = db.execute(
        "SELECT count(*) FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)"
    ).fetchone()[0]
    assert orphans == 0
    db.close()

    # the index on disk never holds a chunk the store has no embedding for (it is saved after
    # commits)
    from desktop_rag.core.storage.vectors import VectorIndex

    key = crypto.unlock(copy, PASSPHRASE, LIBRARY) if crypto.is_encrypted(copy) else None
    on_disk = VectorIndex(copy / "vectors.usearch", 384, key=key)
    if on_disk.load() and len(on_disk):
        assert {int(k) for k in on_disk._index.keys} <= embedded

    # the library opens, as a writer, and its index agrees with the store key for key
    from desktop_rag.core.library import Library

    with Library(copy, passphrase=PASSPHRASE) as lib:
        assert lib.store.integrity_ok()
        assert lib.pending_embeddings() == (pending, len(chunk_ids))
        keys = sorted(embedded)
        assert len(lib.vectors) == len(keys)
        if keys:
            got = np.asarray(lib.vectors._index.get(np.array(keys, dtype=np.uint64)))
            want = lib.store.embeddings_for(keys, lib.dim)
            assert np.array_equal(got.astype(np.float16), want)
    assert not list(copy.glob(".vectors.*.tmp")), "the writer removes half-saved indexes"
    shutil.rmtree(copy)
    return ready, pending


def wait_for_no_process_with(marker: str, timeout: float = 20) -> None:
    """The killed command's parser child must not linger (it sees the pipe close and exits)."""
    deadline = time.monotonic() + timeout
    needle = f"CRASH_TEST_RUN={marker}".encode()
    while True:
        alive = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if needle in Path(f"/proc/{pid}/environ").read_bytes():
                        alive.append(pid)
                except OSError:
                    pass
        if not alive:
            return
        assert time.monotonic() < deadline, f"processes left behind: {alive}"
        time.sleep(0.05)


def count_in(folder: Path, sql: str) -> int:
    try:
        conn = connect(folder, readonly=True)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except db_error("OperationalError"):
        return 0  # not created yet


def ready_count(folder: Path) -> int:
    return count_in(folder, "SELECT count(*) FROM documents WHERE status = 'ready'")


def embedded_count(folder: Path) -> int:
    return count_in(folder, "SELECT count(*) FROM chunks WHERE length(embedding) > 0")


def opening_resyncs(folder: Path) -> bool:
    """Whether the next run, opening the library, finds its index behind the store and saves
    the index it rebuilt (one more `vector-save` before the run's own)."""
    from desktop_rag.core.storage.vectors import VectorIndex

    db = connect(folder, readonly=True)
    embedded = {r[0] for r in db.execute("SELECT id FROM chunks WHERE length(embedding) > 0")}
    db.close()
    key = crypto.unlock(folder, PASSPHRASE, LIBRARY) if crypto.is_encrypted(folder) else None
    index = VectorIndex(folder / "vectors.usearch", 384, key=key)
    keys = {int(k) for k in index._index.keys} if index.load() and len(index) else set()
    return keys != embedded


def parse_events_until_second_half_of_long_pdf(corpus: Path, folder: Path) -> int:
    """Which 'parsed' event of the next run brings the long PDF's second page message: files
    are ingested in name order; ready ones, the broken one and the duplicate send no pages."""
    conn = connect(folder)
    ready = {
        Path(r[0]).name for r in conn.execute("SELECT path FROM documents WHERE status = 'ready'")
    }
    conn.close()
    assert "doc-15b-harbour.pdf" not in ready
    to_parse = [
        p.name
        for p in sorted(corpus.iterdir())
        if p.name not in ready and p.name not in ("00-broken.pdf", "zz-copy-of-doc-03.pdf")
    ]
    return to_parse.index("doc-15b-harbour.pdf") + 2


# --- the test -------------------------------------------------------------------------------


def final_state(home: Path) -> dict[str, object]:
    folder = home / "libraries" / LIBRARY
    db = connect(folder)
    documents = sorted(
        db.execute(
            "SELECT path, status, title, kind, sha256, page_count, chunk_count, error "
            "FROM documents"
        ).fetchall()
    )
    chunks = sorted(
        db.execute(
            "SELECT d.path, c.ord, c.page, c.char_start, c.char_end, c.text, c.spans, c.embedding "
            "FROM chunks c JOIN documents d ON d.id = c.document_id"
        ).fetchall()
    )
    db.close()
    from desktop_rag.core.library import Library

    with Library(folder, readonly=True, passphrase=PASSPHRASE) as lib:
        searches = [
            [(Path(h.path).name, h.page, h.text, round(h.score, 6)) for h in lib.search(q, k=5)]
            for q in QUERIES
        ]
    return {"documents": documents, "chunks": chunks, "searches": searches}


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_ingest_killed_at_many_moments_recovers_to_the_uninterrupted_state(
    tmp_path: Path, crash_corpus: Path, encrypted: bool
):
    t0 = time.monotonic()
    logs = tmp_path / "logs"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    home = tmp_path / "home"
    folder = home / "libraries" / LIBRARY
    db = folder / "library.db"
    argv = ["ingest", str(crash_corpus), "-l", LIBRARY, "-q"]
    secret = {"DESKTOP_RAG_PASSPHRASE": PASSPHRASE}  # used only by the encrypted library
    total = N_DOCS + 3  # ready at the end: 30 + the long PDF + two text files
    kills: list[tuple[str, int]] = []

    def after_kill(what: str, marker: str) -> None:
        wait_for_no_process_with(marker)
        ready, pending = check_library(folder, scratch)
        kills.append((what, ready))
        print(f"{time.monotonic() - t0:.1f}s {what}: {ready} ready, {pending} chunks pending")

    def crash_at(point: str, nth: int = 1, command: list[str] = argv) -> None:
        marker = uuid.uuid4().hex
        r = clirun.run(
            command,
            home=home,
            logs=logs,
            name=f"crash-{len(kills)}",
            **{CRASH_ENV: f"{point}:{nth}", "CRASH_TEST_RUN": marker, **secret},
        )
        assert r.process.exitcode == -signal.SIGKILL, (point, r.process.exitcode, r.stderr)
        after_kill(f"{point}:{nth}", marker)

    def kill_when(what: str, condition) -> None:
        marker = uuid.uuid4().hex
        r = clirun.start(
            argv, home=home, logs=logs, name=f"kill-{len(kills)}", CRASH_TEST_RUN=marker, **secret
        )
        while not condition():
            assert r.process.is_alive(), f"finished before the kill ({what}): {r.stderr}"
            time.sleep(0.01)
        assert r.kill() == -signal.SIGKILL
        after_kill(what, marker)

    # 1. while the library is being created: no library, no half-made one
    create = ["libraries", "create", LIBRARY, "--encrypted"] if encrypted else argv
    crash_at("library-created", command=create)
    assert not folder.exists()
    if encrypted:  # created before the kills that follow, which `ingest` into it
        r = clirun.run(create, home=home, logs=logs, name="create", **secret)
        assert r.process.exitcode == 0, r.stderr
    # 2. a fresh `python -m desktop_rag ingest`, killed from outside while it imports torch
    marker = uuid.uuid4().hex
    env = {**os.environ, "DESKTOP_RAG_HOME": str(home), "CRASH_TEST_RUN": marker, **secret}
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_rag", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not db.exists():
        assert proc.poll() is None
        time.sleep(0.01)
    proc.kill()
    assert proc.wait() == -signal.SIGKILL
    after_kill("fresh process, importing", marker)
    assert not list((home / "libraries").glob(".creating-*")), "abandoned creation removed"
    # 3. every file queued, none parsed
    crash_at("queued")
    # 4. mid-document: the second document's pages parsed, not yet stored
    crash_at("parsed", 2)
    # 5. inside the transaction that stores the second document of this run
    crash_at("document-commit", 2)
    # 6. after three documents committed, before the index heard of the third
    crash_at("committed", 3)
    # 7. while recording the broken PDF's failure (it sorts first)
    crash_at("failed", 1)
    # 9. in the middle of the long PDF: its first page message stored, the second arriving
    # (before the timed kills below, which may commit any number of documents on a fast CPU)
    crash_at("parsed", parse_events_until_second_half_of_long_pdf(crash_corpus, folder))
    # 10-11. from outside, at moments the pipeline does not choose, chosen by what the library
    # holds (a delay after a commit would let a fast machine commit everything before it)
    start = ready_count(folder)
    kill_when("3 more documents committed", lambda: ready_count(folder) >= start + 3)
    start = ready_count(folder)
    kill_when("the next commit seen", lambda: ready_count(folder) > start)
    # 12. near the end of the first stage: all but one document committed, none embedded
    remaining = total - ready_count(folder)
    assert remaining >= 2, kills
    crash_at("committed", remaining - 1)
    assert embedded_count(folder) == 0
    # the second stage: every document is stored, searchable by keywords; embeddings follow
    # 13. inside the transaction that stores the second group of embeddings of this run
    crash_at("embedding-commit", 2)
    assert ready_count(folder) == total and embedded_count(folder) > 0
    # 14. after three groups committed, before the index heard of the third
    crash_at("embedded", 3)
    # 15. while saving the index that opening rebuilt from the stored embeddings
    assert opening_resyncs(folder)
    crash_at("vector-save", 1)
    # 16. from outside, between or during embedding commits
    start = embedded_count(folder)
    kill_when("embeddings committed", lambda: embedded_count(folder) > start + 3)
    # 17. at the very end: every embedding committed, during the final index save
    assert count_in(folder, "SELECT count(*) FROM chunks WHERE length(embedding) = 0") >= 2
    crash_at("vector-save", 2 if opening_resyncs(folder) else 1)

    # ingest again: it finishes, and only the broken PDF failed
    r = clirun.run(argv, home=home, logs=logs, name="final", **secret)
    assert r.process.exitcode == 3, r.stderr
    assert "00-broken.pdf" in r.stderr and r.stderr.count("failed:") == 1, r.stderr
    assert check_library(folder, scratch) == (total, 0)
    assert crypto.is_encrypted(folder) == encrypted
    assert not list(folder.glob(".vectors.*.tmp"))
    assert not list((home / "libraries").glob(".creating-*"))

    # exactly the state of an uninterrupted run
    ref_home = tmp_path / "reference"
    if encrypted:
        r = clirun.run(create, home=ref_home, logs=logs, name="reference-create", **secret)
        assert r.process.exitcode == 0, r.stderr
    r = clirun.run(argv, home=ref_home, logs=logs, name="reference", **secret)
    assert r.process.exitcode == 3, r.stderr
    got, want = final_state(home), final_state(ref_home)
    assert got["documents"] == want["documents"]
    assert len(got["chunks"]) == len(want["chunks"])
    assert got["chunks"] == want["chunks"]
    assert got["searches"] == want["searches"]
    assert want["searches"][3][0][0] == "doc-15b-harbour.pdf"

    assert len(kills) >= 10, kills
    print(f"\n{len(kills)} kills in {time.monotonic() - t0:.0f} s; ready after each: {kills}")
