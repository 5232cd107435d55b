"""The SQLite store: schema, migrations and every query the core makes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import sqlite_utils

from desktop_rag.core import textnorm
from desktop_rag.core.documents.chunk_context import document_label
from desktop_rag.core.errors import DiskFullError, UserError
from desktop_rag.core.faults import checkpoint
from desktop_rag.core.storage.crypto import LibraryKey

SCHEMA_VERSION = 6

# Porter stems English; unicode61 folds case and accents. Hangul/CJK reach FTS5 already cut
# into character bigrams by textnorm, so the same tokenizer serves both.
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"

_MIGRATIONS: dict[int, str] = {
    1: f"""
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        path TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0,
        mtime REAL NOT NULL DEFAULT 0,
        page_count INTEGER NOT NULL DEFAULT 0,
        chunk_count INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        error TEXT NOT NULL DEFAULT '',
        added_at REAL NOT NULL,
        indexed_at REAL
    );
    CREATE INDEX documents_sha256 ON documents(sha256);
    CREATE TABLE pages (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        width REAL NOT NULL,
        height REAL NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (document_id, number)
    );
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        page INTEGER NOT NULL,
        char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL,
        text TEXT NOT NULL,
        spans TEXT NOT NULL,
        token_count INTEGER NOT NULL,
        embedding BLOB NOT NULL
    );
    CREATE INDEX chunks_document ON chunks(document_id);
    CREATE VIRTUAL TABLE chunks_fts USING fts5(body, title, tokenize='{FTS_TOKENIZER}');
    CREATE TABLE chats (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        sources TEXT NOT NULL DEFAULT '[]',
        meta TEXT NOT NULL DEFAULT '{{}}',
        created_at REAL NOT NULL
    );
    CREATE INDEX messages_chat ON messages(chat_id);
    """,
    # 2: linked folders, kept in sync; a file that failed is not retried until it changes
    2: """
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        path TEXT NOT NULL UNIQUE,
        added_at REAL NOT NULL,
        synced_at REAL
    );
    ALTER TABLE documents ADD COLUMN failed_state TEXT NOT NULL DEFAULT '';
    """,
    # 3: chunks remember their context (document label and section heading, searched but never
    # shown); the keyword index gets a column for the heading. FTS5 cannot add a column, so
    # the index is copied into a new table (its stored columns are read back as they were).
    3: f"""
    ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT '';
    CREATE VIRTUAL TABLE chunks_fts_v2 USING fts5(body, title, context, tokenize='{FTS_TOKENIZER}');
    INSERT INTO chunks_fts_v2(rowid, body, title, context)
        SELECT rowid, body, title, '' FROM chunks_fts;
    DROP TABLE chunks_fts;
    ALTER TABLE chunks_fts_v2 RENAME TO chunks_fts;
    """,
    # 4: documents inside files (an e-mail's attachments, a mailbox's messages) name the
    # document they belong to; a page may say where it is when its number says too little
    # ("slide 3", "Sheet 'Budget', rows 12-30")
    4: """
    ALTER TABLE documents ADD COLUMN parent_id INTEGER REFERENCES documents(id);
    CREATE INDEX documents_parent ON documents(parent_id);
    ALTER TABLE pages ADD COLUMN label TEXT NOT NULL DEFAULT '';
    """,
    # 5: a chunk may be stored before its embedding (an empty blob until then): a document is
    # searchable by keywords as soon as it is read, and its meaning follows (core/indexing/
    # meaning.py). The index finds those chunks without reading the others.
    5: """
    CREATE INDEX chunks_pending ON chunks(document_id, ord) WHERE length(embedding) = 0;
    """,
    # 6: summaries, kept per document version (sha256), model and page range so that asking
    # again is instant; `part` is '' for a whole summary, a section's pages for its note
    6: """
    CREATE TABLE summaries (
        sha256 TEXT NOT NULL,
        model TEXT NOT NULL,
        pages TEXT NOT NULL,
        language TEXT NOT NULL,
        part TEXT NOT NULL,
        result TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (sha256, model, pages, language, part)
    );
    """,
}

# Chunks whose embedding is still to be computed (the condition of the index above).
PENDING = "length(embedding) = 0"
EMBEDDED = "length(embedding) > 0"

# BM25 weights of the keyword index's columns: chunk text, document label, section heading.
# Text and label equal (tuned on SciFact train); the heading 3: tuned on financebench_dev
# (page-hit@5 0.439 -> 0.561 with page evidence), and records' headings are empty, so SciFact
# and the Korean set do not move.
FTS_WEIGHTS = (1.0, 1.0, 3.0)


@dataclass
class ChunkRecord:
    """A chunk ready to be written: text, position and embedding."""

    ord: int
    page: int
    char_start: int
    char_end: int
    text: str
    spans: list[list[float]]
    token_count: int
    fts_body: str
    context: str = ""  # document label and heading, a line each (see chunk_context)
    fts_context: str = ""  # the heading as the keyword index sees it


@dataclass
class PageRecord:
    number: int
    width: float
    height: float
    text: str
    label: str = ""  # where the page is, when its number says too little (see locations)


class Store:
    """One library's SQLite database. Writes come from one thread; readers open their own."""

    def __init__(self, path: Path, readonly: bool = False, key: LibraryKey | None = None) -> None:
        """Open (or create) the database; with `key`, an encrypted one (SQLCipher)."""
        self.path = path
        self.readonly = readonly
        driver = sqlite3 if key is None else sqlcipher_driver()
        try:
            if readonly:
                uri = f"file:{quote(str(path.absolute()))}?mode=ro"  # '#', '%' quoted
                conn = driver.connect(uri, uri=True, check_same_thread=False, timeout=30)
            else:
                _create_private(path)  # SQLite gives -wal and -shm the database file's mode
                conn = driver.connect(path, check_same_thread=False, timeout=30)
            if key is not None:
                apply_key(conn, key)
            conn.isolation_level = None  # we open transactions ourselves
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        except db_error("DatabaseError") as exc:
            if is_disk_full(exc, path.parent):
                raise DiskFullError(str(path.parent)) from exc
            raise UserError(
                f"The library database {path} cannot be opened: {exc}.",
                "It may be damaged; delete the library and add the documents again.",
            ) from exc
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        if not readonly:
            self._migrate()
        # a library of an earlier version read before any write has migrated it (the CLI's
        # search): it has no parts and no page labels, and is read as it is
        self.has_parts = int(conn.execute("PRAGMA user_version").fetchone()[0]) >= 4

    # --- schema ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        except db_error("DatabaseError") as exc:
            if is_disk_full(exc, self.path.parent):
                raise DiskFullError(str(self.path.parent)) from exc
            raise UserError(
                f"{self.path} is not a library database ({exc}).",
                "Delete the library folder or choose another library.",
            ) from exc
        if version > SCHEMA_VERSION:
            raise UserError(
                f"This library was written by a newer desktop-rag (schema {version}).",
                "Update the app to open it.",
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # executescript would commit midway; statements one by one keep it atomic
            with self.transaction() as c:
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {target}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            # a failed COMMIT (disk full) may leave the transaction open: close it too
            if self.conn.in_transaction:
                with contextlib.suppress(*db_error()):
                    self.conn.execute("ROLLBACK")
            if is_disk_full(exc, self.path.parent):
                raise DiskFullError(str(self.path.parent)) from exc
            raise

    def close(self) -> None:
        with contextlib.suppress(*db_error()):
            if not self.readonly:
                self.conn.execute("PRAGMA optimize")
        self.conn.close()

    def integrity_ok(self) -> bool:
        return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # --- meta -----------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, values: dict[str, str]) -> None:
        with self.transaction() as c:
            _upsert_meta(c, values)

    # --- documents ------------------------------------------------------------------------

    def document_by_path(self, path: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM documents WHERE path = ?", [path]))
        return rows[0] if rows else None

    def document(self, document_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM documents WHERE id = ?", [document_id]))
        return rows[0] if rows else None

    def document_by_sha(self, sha256: str) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT * FROM documents WHERE sha256 = ? AND status = 'ready' "
                f"{'AND parent_id IS NULL' if self.has_parts else ''} LIMIT 1",
                [sha256],
            )
        )
        return rows[0] if rows else None

    def documents(self) -> list[dict[str, Any]]:
        """The documents that are files (not the parts inside them: `parts`), by title."""
        where = "WHERE parent_id IS NULL" if self.has_parts else ""
        return list(
            self.db.query(f"SELECT * FROM documents {where} ORDER BY title COLLATE NOCASE, id")
        )

    def parts(self) -> list[dict[str, Any]]:
        """The documents inside files (attachments, a mailbox's messages), in file order."""
        if not self.has_parts:
            return []
        return list(
            self.db.query("SELECT * FROM documents WHERE parent_id IS NOT NULL ORDER BY id")
        )

    def upsert_document_status(
        self,
        path: str,
        *,
        status: str,
        title: str = "",
        kind: str = "",
        error: str = "",
        size: int = 0,
        mtime: float = 0.0,
        sha256: str = "",
    ) -> int:
        """Record a document's state without touching its chunks (queued, failed...)."""
        now = time.time()
        with self.transaction() as c:
            c.execute(
                "INSERT INTO documents(path, title, kind, status, error, size, mtime, sha256, "
                "added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "status = excluded.status, error = excluded.error, "
                "title = CASE WHEN excluded.title != '' THEN excluded.title ELSE title END, "
                "kind = CASE WHEN excluded.kind != '' THEN excluded.kind ELSE kind END",
                (path, title, kind, status, error, size, mtime, sha256, now),
            )
            row = c.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
        return int(row[0])

    def mark_failed(self, path: str, error: str) -> None:
        """Record why a file failed; an older indexed version of it stays searchable."""
        now = time.time()
        with self.transaction() as c:
            c.execute(
                "INSERT INTO documents(path, title, status, error, added_at) "
                "VALUES (?, ?, 'failed', ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET error = excluded.error, "
                "status = CASE WHEN status = 'ready' THEN 'ready' ELSE 'failed' END",
                (path, Path(path).stem, error, now),
            )

    def mark_part_failed(
        self, path: str, error: str, *, parent_id: int, title: str, kind: str
    ) -> list[int]:
        """Record why a part inside a file (an attachment) could not be read: the part stays
        listed, failed, under its parent, without the chunks of an older version (the file
        changed). Returns the chunk ids removed."""
        now = time.time()
        removed: list[int] = []
        with self.transaction() as c:
            row = c.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
            if row:
                removed = _clear_document(c, int(row[0]))
            c.execute(
                "INSERT INTO documents(path, title, kind, status, error, added_at, parent_id) "
                "VALUES (?, ?, ?, 'failed', ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "title = excluded.title, kind = excluded.kind, status = 'failed', "
                "error = excluded.error, parent_id = excluded.parent_id, page_count = 0, "
                "chunk_count = 0",
                (path, title, kind, error, now, parent_id),
            )
        return removed

    def touch_document(self, document_id: int, *, size: int, mtime: float) -> None:
        """Remember a new mtime for a file whose content did not change."""
        with self.transaction() as c:
            c.execute(
                "UPDATE documents SET size = ?, mtime = ? WHERE id = ?", (size, mtime, document_id)
            )

    def chunk_ids_of(self, document_id: int) -> list[int]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM chunks WHERE document_id = ? ORDER BY id", (document_id,)
            )
        ]

    def replace_document(
        self,
        path: str,
        *,
        title: str,
        fts_title: str,
        kind: str,
        sha256: str,
        size: int,
        mtime: float,
        pages: Sequence[PageRecord],
        chunks: Sequence[ChunkRecord],
        embeddings: np.ndarray | None,
        parent_id: int | None = None,
        keep_parts: Collection[str] | None = None,
    ) -> tuple[int, list[int], list[int]]:
        """Write a document in one transaction, replacing any older version: searchable by
        keywords at once, by meaning once its chunks have embeddings (`None`: not yet, they
        are stored pending and `set_embeddings` adds them). A part inside a file names its
        `parent_id`; a file written with `keep_parts` (the paths of its parts written just
        before it) loses every other part it had.

        Returns (document id, chunk ids removed, chunk ids added)."""
        blobs: Sequence[Any]
        if embeddings is None:
            blobs = [np.zeros(0, np.float16)] * len(chunks)
        else:
            assert len(chunks) == len(embeddings)
            blobs = list(embeddings.astype(np.float16))
        now = time.time()
        with self.transaction() as c:
            row = c.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
            removed: list[int] = []
            if row:
                doc_id = int(row[0])
                removed = _clear_document(c, doc_id)
                c.execute(
                    "UPDATE documents SET title = ?, kind = ?, sha256 = ?, size = ?, mtime = ?, "
                    "page_count = ?, chunk_count = ?, status = 'ready', error = '', "
                    "indexed_at = ?, parent_id = ? WHERE id = ?",
                    (
                        title, kind, sha256, size, mtime, len(pages), len(chunks), now,
                        parent_id, doc_id,
                    ),
                )  # fmt: skip
            else:
                cur = c.execute(
                    "INSERT INTO documents(path, title, kind, sha256, size, mtime, page_count, "
                    "chunk_count, status, added_at, indexed_at, parent_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ready', ?, ?, ?)",
                    (
                        path, title, kind, sha256, size, mtime, len(pages), len(chunks), now,
                        now, parent_id,
                    ),
                )  # fmt: skip
                doc_id = int(cur.lastrowid or 0)
            if keep_parts is not None:
                keep = set(keep_parts)
                stale = [i for i, p in _descendants(c, doc_id) if p not in keep]
                removed += _delete_documents(c, stale)
            c.executemany(
                "INSERT INTO pages(document_id, number, width, height, text, label) "
                "VALUES (?,?,?,?,?,?)",
                [(doc_id, p.number, p.width, p.height, p.text, p.label) for p in pages],
            )
            added: list[int] = []
            for chunk, vec in zip(chunks, blobs, strict=True):
                cur = c.execute(
                    "INSERT INTO chunks(document_id, ord, page, char_start, char_end, text, spans, "
                    "token_count, embedding, context) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        doc_id,
                        chunk.ord,
                        chunk.page,
                        chunk.char_start,
                        chunk.char_end,
                        chunk.text,
                        json.dumps(chunk.spans),
                        chunk.token_count,
                        vec.tobytes(),
                        chunk.context,
                    ),
                )
                added.append(int(cur.lastrowid or 0))
            c.executemany(
                "INSERT INTO chunks_fts(rowid, body, title, context) VALUES (?, ?, ?, ?)",
                [
                    (cid, ch.fts_body, fts_title, ch.fts_context)
                    for cid, ch in zip(added, chunks, strict=True)
                ],
            )
            checkpoint("document-commit")
        return doc_id, removed, added

    def move_document(self, document_id: int, path: str, *, mtime: float, title: str) -> None:
        """A file renamed or moved with the same content: its new path (and title, also in
        the keyword index), without reading or embedding it again; the parts inside it
        follow."""
        with self.transaction() as c:
            row = c.execute(
                "SELECT title, path FROM documents WHERE id = ?", (document_id,)
            ).fetchone()
            c.execute(
                "UPDATE documents SET path = ?, mtime = ?, title = ? WHERE id = ?",
                (path, mtime, title, document_id),
            )
            if row is not None:
                old = str(row[1])
                for part_id, part in _descendants(c, document_id):
                    if part.startswith(old + "#"):
                        c.execute(
                            "UPDATE documents SET path = ? WHERE id = ?",
                            (path + part[len(old) :], part_id),
                        )
            if row is not None:  # the label searched with its chunks names the file too
                c.execute(
                    "UPDATE chunks_fts SET title = ? WHERE rowid IN "
                    "(SELECT id FROM chunks WHERE document_id = ?)",
                    (textnorm.fts_text(document_label(title, path)), document_id),
                )

    def set_failed_state(self, path: str, state: str) -> None:
        """Remember the size and mtime of a file version that failed, so a sync does not try
        it again until it changes."""
        with self.transaction() as c:
            c.execute("UPDATE documents SET failed_state = ? WHERE path = ?", (state, path))

    def remove_document(self, document_id: int) -> list[int]:
        """Delete a document, the parts inside it and their chunks; return the chunk ids
        removed."""
        with self.transaction() as c:
            return _delete_documents(c, [document_id])

    # --- chunks ---------------------------------------------------------------------------

    def chunk_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def chunk_id_fingerprint(self) -> tuple[int, int]:
        """(count, sum of ids) of the chunks that have an embedding: compared with the vector
        index to detect drift cheaply."""
        n, s = self.conn.execute(
            f"SELECT count(*), coalesce(sum(id), 0) FROM chunks WHERE {EMBEDDED}"
        ).fetchone()
        return int(n), int(s)

    def all_chunk_ids(self) -> np.ndarray:
        """Ids of the chunks that have an embedding (those the vector index holds)."""
        rows = self.conn.execute(f"SELECT id FROM chunks WHERE {EMBEDDED} ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows))

    def replace_embeddings(
        self, ids: Sequence[int], vectors: np.ndarray, meta: dict[str, str]
    ) -> None:
        """New embeddings for these chunks and the meta that names their model, together."""
        blobs = np.asarray(vectors, dtype=np.float16)
        with self.transaction() as c:
            c.executemany(
                "UPDATE chunks SET embedding = ? WHERE id = ?",
                [(blobs[n].tobytes(), int(i)) for n, i in enumerate(ids)],
            )
            _upsert_meta(c, meta)

    def embeddings_for(self, ids: Sequence[int], dim: int) -> np.ndarray:
        """Embeddings of the given chunk ids, in that order, as float16 rows."""
        out = np.zeros((len(ids), dim), dtype=np.float16)
        pos = {int(i): n for n, i in enumerate(ids)}
        for batch in _batched(list(pos), 900):
            q = ",".join("?" * len(batch))
            for cid, blob in self.conn.execute(
                f"SELECT id, embedding FROM chunks WHERE id IN ({q}) AND {EMBEDDED}", batch
            ):
                out[pos[cid]] = np.frombuffer(blob, dtype=np.float16)
        return out  # a chunk still without its embedding keeps a row of zeros

    def iter_embeddings(self, batch: int = 4096) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All (ids, embeddings) in batches, for rebuilding the vector index."""
        last = -1
        while True:
            rows = self.conn.execute(
                f"SELECT id, embedding FROM chunks WHERE id > ? AND {EMBEDDED} ORDER BY id LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            ids = np.array([r[0] for r in rows], dtype=np.uint64)
            vecs = np.stack([np.frombuffer(r[1], dtype=np.float16) for r in rows])
            yield ids, vecs
            last = int(rows[-1][0])

    # --- embeddings still to compute (schema 5) -------------------------------------------------

    def pending_counts(self) -> tuple[int, int]:
        """(chunks without an embedding yet, all chunks)."""
        pending = self.conn.execute(f"SELECT count(*) FROM chunks WHERE {PENDING}").fetchone()[0]
        return int(pending), self.chunk_count()

    def pending_by_document(self) -> dict[int, int]:
        """Documents with chunks still to embed, and how many."""
        rows = self.conn.execute(
            f"SELECT document_id, count(*) FROM chunks WHERE {PENDING} GROUP BY document_id"
        )
        return {int(d): int(n) for d, n in rows}

    def pending_chunks(self, document_id: int) -> list[tuple[int, int, str, str]]:
        """(id, ord, context, text) of a document's chunks without an embedding, in order."""
        rows = self.conn.execute(
            f"SELECT id, ord, context, text FROM chunks WHERE document_id = ? AND {PENDING} "
            "ORDER BY ord",
            (document_id,),
        ).fetchall()
        return [(int(i), int(o), str(c), str(t)) for i, o, c, t in rows]

    def set_embeddings(self, ids: Sequence[int], vectors: np.ndarray) -> int:
        """Store the embeddings of chunks that were waiting for them, together; returns how
        many chunks took one (a chunk deleted meanwhile takes none)."""
        blobs = np.asarray(vectors, dtype=np.float16)
        with self.transaction() as c:
            done = 0
            for n, i in enumerate(ids):
                cur = c.execute(
                    f"UPDATE chunks SET embedding = ? WHERE id = ? AND {PENDING}",
                    (blobs[n].tobytes(), int(i)),
                )
                done += cur.rowcount
            checkpoint("embedding-commit")
        return done

    def clear_embeddings(self, meta: dict[str, str]) -> None:
        """Every chunk back to waiting for its embedding, and the meta naming the model that
        will compute them, together (a library changing its model)."""
        with self.transaction() as c:
            c.execute(f"UPDATE chunks SET embedding = x'' WHERE {EMBEDDED}")
            _upsert_meta(c, meta)

    def fts_search(
        self,
        match: str,
        limit: int,
        weights: Sequence[float] = FTS_WEIGHTS,
        chunk_ids: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """BM25 over chunk text, document label and section heading (`weights`, in that
        order; text and title equal: tuned on SciFact train); higher score is better.
        `chunk_ids` (sorted): only these chunks, a scope's (`chunk_ids_in`)."""
        if not match or (chunk_ids is not None and not len(chunk_ids)):
            return []
        w = ", ".join(f"{float(x):.4f}" for x in weights)
        where, args = "", list[Any]([match])
        if chunk_ids is not None:
            # the scope as rowid ranges (a document's chunks are written in one transaction,
            # so each is one range)
            ranges = id_ranges(chunk_ids)
            where = " AND (" + " OR ".join("rowid BETWEEN ? AND ?" for _ in ranges) + ")"
            args += [v for r in ranges for v in r]
        try:
            rows = self.conn.execute(
                f"SELECT rowid, -bm25(chunks_fts, {w}) FROM chunks_fts "
                f"WHERE chunks_fts MATCH ?{where} "
                f"ORDER BY bm25(chunks_fts, {w}) LIMIT ?",
                (*args, limit),
            ).fetchall()
        except db_error("OperationalError"):
            return []
        return [(int(r[0]), float(r[1])) for r in rows]

    def chunk_ids_in(self, document_ids: Iterable[int]) -> np.ndarray:
        """The chunk ids of these documents and of the parts inside them (an e-mail's
        attachments: asking within the message asks within them too), sorted. A document's
        chunks are written in one transaction, so its ids are usually one run: read as
        (first, last), not one by one."""
        parts: list[np.ndarray] = []
        for batch in _batched(self._with_parts({int(d) for d in document_ids}), 900):
            q = ",".join("?" * len(batch))
            for doc, first, last, n in self.conn.execute(
                "SELECT document_id, min(id), max(id), count(*) FROM chunks "
                f"WHERE document_id IN ({q}) GROUP BY document_id",
                batch,
            ).fetchall():
                if last - first + 1 == n:
                    parts.append(np.arange(first, last + 1, dtype=np.int64))
                else:
                    parts.append(np.array(self.chunk_ids_of(doc), dtype=np.int64))
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def _with_parts(self, ids: set[int]) -> list[int]:
        """`ids` and the ids of every part inside those documents, at any depth, sorted."""
        found, level = set(ids), sorted(ids)
        while level and self.has_parts:
            below: list[int] = []
            for batch in _batched(level, 900):
                q = ",".join("?" * len(batch))
                below += [
                    int(r[0])
                    for r in self.conn.execute(
                        f"SELECT id FROM documents WHERE parent_id IN ({q})", batch
                    )
                ]
            level = sorted(set(below) - found)
            found.update(level)
        return sorted(found)

    def document_chunks(
        self, document_id: int, first_page: int = 1, last_page: int | None = None
    ) -> list[dict[str, Any]]:
        """A document's chunks in reading order, within a page range."""
        rows = list(
            self.db.query(
                "SELECT id, ord, page, char_start, char_end, text, spans FROM chunks "
                "WHERE document_id = ? AND page >= ? AND page <= ? ORDER BY ord",
                [document_id, first_page, last_page if last_page is not None else 1 << 30],
            )
        )
        for row in rows:
            row["spans"] = json.loads(row["spans"])
        return rows

    def page_texts(
        self, document_id: int, first_page: int = 1, last_page: int | None = None
    ) -> dict[int, str]:
        """Page number -> text of a document's pages within a range."""
        return {
            int(n): t
            for n, t in self.conn.execute(
                "SELECT number, text FROM pages WHERE document_id = ? AND number >= ? "
                "AND number <= ? ORDER BY number",
                (document_id, first_page, last_page if last_page is not None else 1 << 30),
            )
        }

    # --- summaries ------------------------------------------------------------------------

    def cached_summary(self, key: Sequence[str], part: str = "") -> dict[str, Any] | None:
        """A summary (or a section's note, `part`) kept for key = (sha256, model, pages,
        language); None when there is none (or the library predates summaries)."""
        try:
            row = self.conn.execute(
                "SELECT result FROM summaries WHERE sha256 = ? AND model = ? AND pages = ? "
                "AND language = ? AND part = ?",
                (*key, part),
            ).fetchone()
        except db_error("OperationalError"):
            return None
        return json.loads(row[0]) if row else None

    def keep_summary(self, key: Sequence[str], result: dict[str, Any], part: str = "") -> None:
        """Keep a summary or a note for next time; a read-only library keeps nothing."""
        if self.readonly:
            return
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO summaries(sha256, model, pages, language, part, result, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*key, part, json.dumps(result, ensure_ascii=False), time.time()),
            )

    def chunks_by_ids(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Chunk rows joined with their document, keyed by chunk id."""
        ids = list(ids)
        out: dict[int, dict[str, Any]] = {}
        location = "coalesce(p.label, '')" if self.has_parts else "''"
        for batch in _batched(ids, 900):
            q = ",".join("?" * len(batch))
            for row in self.db.query(
                "SELECT c.id, c.document_id, c.ord, c.page, c.char_start, c.char_end, c.text, "
                f"c.spans, d.title, d.path, d.kind, {location} AS location "
                "FROM chunks c JOIN documents d ON d.id = c.document_id "
                "LEFT JOIN pages p ON p.document_id = c.document_id AND p.number = c.page "
                f"WHERE c.id IN ({q})",
                batch,
            ):
                row["spans"] = json.loads(row["spans"])
                out[int(row["id"])] = row
        return out

    def pages_of(
        self, ids: Iterable[int], multi_page_only: bool = False
    ) -> dict[int, tuple[int, int]]:
        """(document id, page) of each chunk id; with `multi_page_only`, only the chunks of
        documents that have more than one page."""
        out: dict[int, tuple[int, int]] = {}
        where = " AND d.page_count > 1" if multi_page_only else ""
        for batch in _batched([int(i) for i in ids], 900):  # numpy ints would match nothing
            q = ",".join("?" * len(batch))
            for cid, doc, page in self.conn.execute(
                "SELECT c.id, c.document_id, c.page FROM chunks c "
                f"JOIN documents d ON d.id = c.document_id WHERE c.id IN ({q}){where}",
                batch,
            ):
                out[int(cid)] = (int(doc), int(page))
        return out

    def page(self, document_id: int, number: int) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT * FROM pages WHERE document_id = ? AND number = ?", [document_id, number]
            )
        )
        return rows[0] if rows else None

    # --- linked folders ---------------------------------------------------------------------

    def folders(self) -> list[dict[str, Any]]:
        """Linked folders, by path (none in a library too old to have them, opened read-only)."""
        try:
            return list(self.db.query("SELECT * FROM folders ORDER BY path"))
        except db_error("OperationalError"):
            return []

    def add_folder(self, path: str) -> bool:
        """Link a folder; False when it already was."""
        with self.transaction() as c:
            cur = c.execute(
                "INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)", (path, time.time())
            )
        return cur.rowcount > 0

    def remove_folder(self, path: str) -> bool:
        with self.transaction() as c:
            cur = c.execute("DELETE FROM folders WHERE path = ?", (path,))
        return cur.rowcount > 0

    def folder_synced(self, path: str, when: float) -> None:
        with self.transaction() as c:
            c.execute("UPDATE folders SET synced_at = ? WHERE path = ?", (when, path))

    # --- chats ------------------------------------------------------------------------------

    def create_chat(self, title: str) -> int:
        now = time.time()
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO chats(title, created_at, updated_at) VALUES (?, ?, ?)",
                (title, now, now),
            )
        return int(cur.lastrowid or 0)

    def add_message(
        self, chat_id: int, role: str, content: str, sources: list[Any], meta: dict[str, Any]
    ) -> int:
        now = time.time()
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO messages(chat_id, role, content, sources, meta, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    chat_id,
                    role,
                    content,
                    json.dumps(sources, ensure_ascii=False),
                    json.dumps(meta, ensure_ascii=False),
                    now,
                ),
            )
            c.execute("UPDATE chats SET updated_at = ? WHERE id = ?", (now, chat_id))
        return int(cur.lastrowid or 0)

    def chats(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT c.*, (SELECT count(*) FROM messages m WHERE m.chat_id = c.id) AS messages "
                "FROM chats c ORDER BY updated_at DESC, id DESC"
            )
        )

    def chat(self, chat_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM chats WHERE id = ?", [chat_id]))
        return rows[0] if rows else None

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        rows = list(
            self.db.query("SELECT * FROM messages WHERE chat_id = ? ORDER BY id", [chat_id])
        )
        for row in rows:
            row["sources"] = json.loads(row["sources"])
            row["meta"] = json.loads(row["meta"])
        return rows

    def delete_chat(self, chat_id: int) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM messages WHERE chat_id = ?", (chat_id,))
            c.execute("DELETE FROM chats WHERE id = ?", (chat_id,))

    def stats(self) -> dict[str, int]:
        """Files indexed (an e-mail with its attachments counts once), and the pages and
        chunks of every document, parts included."""
        docs, pages = self.conn.execute(
            f"SELECT coalesce(sum({'parent_id IS NULL' if self.has_parts else 1}), 0), "
            "coalesce(sum(page_count), 0) "
            "FROM documents WHERE status = 'ready'"
        ).fetchone()
        return {"documents": int(docs), "pages": int(pages), "chunks": self.chunk_count()}


def _upsert_meta(c: sqlite3.Connection, values: dict[str, str]) -> None:
    c.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def sqlcipher_driver() -> Any:
    """SQLCipher's DB-API module (the sqlite3 module's twin), for encrypted libraries."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError as exc:
        raise UserError(
            f"This library is encrypted, and this installation cannot read encrypted libraries "
            f"({exc}).",
            "Reinstall desktop-rag: it needs the sqlcipher3-binary package.",
        ) from exc
    return dbapi2


def apply_key(conn: Any, key: LibraryKey) -> None:
    """Key a SQLCipher connection (before anything else reads it) and check the key fits."""
    conn.execute("PRAGMA cipher_log_level = NONE")  # SQLCipher would print to stderr
    conn.execute(f"PRAGMA key = \"x'{key.sqlcipher_key()}'\"")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()


def db_error(kind: str = "Error") -> tuple[type[Exception], ...]:
    """The exception class `kind` ('Error', 'DatabaseError', 'OperationalError'...) of both
    drivers: the sqlite3 module's, and SQLCipher's once an encrypted library was opened (its
    classes are its own, not sqlite3's)."""
    kinds: tuple[type[Exception], ...] = (getattr(sqlite3, kind),)
    cipher = sys.modules.get("sqlcipher3.dbapi2")
    if cipher is not None:
        kinds += (getattr(cipher, kind),)
    return kinds


def _create_private(path: Path) -> None:
    """Create an empty file readable by its owner only (from the first byte), unless it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether SQLite failed because the disk (or the user's quota) is full: SQLITE_FULL, or an
    I/O error (growing -shm or -wal) while `folder`'s disk has next to no space left."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, db_error()) or code is None:
        return False
    if code & 0xFF == sqlite3.SQLITE_FULL:
        return True
    if code & 0xFF in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
        try:
            return shutil.disk_usage(folder).free < 256 * 1024
        except OSError:
            return False
    return False


def _descendants(c: sqlite3.Connection, document_id: int) -> list[tuple[int, str]]:
    """(id, path) of the parts inside a document, parents before their own parts."""
    rows = c.execute(
        "WITH RECURSIVE tree(id, depth) AS (SELECT ?, 0 UNION ALL "
        "SELECT d.id, t.depth + 1 FROM documents d JOIN tree t ON d.parent_id = t.id) "
        "SELECT d.id, d.path FROM tree t JOIN documents d ON d.id = t.id "
        "WHERE t.depth > 0 ORDER BY t.depth, d.id",
        (document_id,),
    ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def _clear_document(c: sqlite3.Connection, document_id: int) -> list[int]:
    """Delete a document's pages and chunks (not its row, nor its parts); return the chunk
    ids removed."""
    ids = [r[0] for r in c.execute("SELECT id FROM chunks WHERE document_id = ?", (document_id,))]
    _delete_chunks(c, ids)
    c.execute("DELETE FROM pages WHERE document_id = ?", (document_id,))
    return ids


def _delete_documents(c: sqlite3.Connection, ids: Sequence[int]) -> list[int]:
    """Delete documents with the parts inside them, their pages and chunks; return the chunk
    ids removed."""
    chunk_ids: list[int] = []
    for doc_id in ids:
        # the deepest parts first: a part's row goes before the row it names as its parent
        for part_id in [i for i, _ in reversed(_descendants(c, doc_id))] + [doc_id]:
            chunk_ids += _clear_document(c, part_id)
            c.execute("DELETE FROM documents WHERE id = ?", (part_id,))
    return chunk_ids


def _delete_chunks(c: sqlite3.Connection, ids: list[int]) -> None:
    for batch in _batched(ids, 900):
        q = ",".join("?" * len(batch))
        c.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({q})", batch)
        c.execute(f"DELETE FROM chunks WHERE id IN ({q})", batch)


def id_ranges(ids: np.ndarray) -> list[tuple[int, int]]:
    """Sorted ids as [first, last] ranges of consecutive ids, in order."""
    if not len(ids):
        return []
    breaks = np.flatnonzero(np.diff(ids) != 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(ids) - 1]))
    return [(int(ids[a]), int(ids[b])) for a, b in zip(starts, ends, strict=True)]


def _batched(items: Sequence[Any], n: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield list(items[i : i + n])
