"""Text records (id, title, text) into a library through the same chunker, embedder, SQLite
store, FTS5 index and USearch index as files, without a parser process.

Used by `desktop-rag eval` to index a BEIR corpus exactly as a user's documents would be: a
record becomes a one-page document whose page text is its title, a blank line and its text
(as a PDF's first page would read), and whose document title is the record's title."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from desktop_rag.core import textnorm
from desktop_rag.core.documents import chunk_context
from desktop_rag.core.documents.chunking import ChunkDraft, Chunker
from desktop_rag.core.documents.loaders import ParsedPage
from desktop_rag.core.indexing.ingest import IngestReport, chunk_records, language_sample
from desktop_rag.core.search.embedding import Embedder
from desktop_rag.core.storage.store import PageRecord
from desktop_rag.core.tasks import CancelToken, Progress

if TYPE_CHECKING:
    from desktop_rag.core.library import Library

log = logging.getLogger(__name__)

RECORD_KIND = "record"
# Chunks embedded together: large enough that sorting by length inside a batch pays off.
RECORD_EMBED_BATCH = 256


@dataclass(frozen=True)
class TextRecord:
    """One document given as text: `id` becomes its path `<scheme>:<id>`."""

    id: str
    title: str
    text: str


def record_page_text(record: TextRecord) -> str:
    """The text of the record's single page: title, blank line, text."""
    title = record.title.strip()
    body = record.text.strip()
    return f"{title}\n\n{body}" if title else body


def record_path(record_id: str, scheme: str = "record") -> str:
    return f"{scheme}:{record_id}"


def record_id_of(path: str) -> str:
    """The record id back from a document path `<scheme>:<id>`."""
    return path.split(":", 1)[1] if ":" in path else path


def chunker_for(embedder: Embedder) -> Chunker:
    """The chunker the file pipeline builds for this embedder."""

    def offsets(text: str) -> list[tuple[int, int]]:
        enc = embedder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [(int(a), int(b)) for a, b in enc["offset_mapping"]]

    return Chunker(embedder.count_tokens, offsets, max_tokens=embedder.chunk_tokens)


def chunk_record(chunker: Chunker, record: TextRecord) -> tuple[str, list[ChunkDraft]]:
    text = record_page_text(record)
    return text, chunker.chunk_page(ParsedPage(1, 0.0, 0.0, text))


def ingest_records(
    library: Library,
    records: Iterable[TextRecord],
    *,
    scheme: str = "record",
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    total: int = 0,
) -> IngestReport:
    """Index records as one-page documents (replacing any with the same id); returns counts
    and the time spent, of which `embed_seconds` in the embedding model."""
    cancel = cancel or CancelToken()
    report = IngestReport()
    state = Progress(stage="ingest", files_total=total)
    t0 = time.monotonic()
    embedder: Embedder | None = None
    chunker = None
    for group in _groups(records, RECORD_EMBED_BATCH):
        cancel.raise_if_cancelled()
        if embedder is None:  # the first records choose the library's model (Ingestor too)
            library.settle_model(language_sample(record_page_text(r) for r in group))
            embedder = library.embedder()
            chunker = chunker_for(embedder)
        assert chunker is not None
        prepared = [(rec, *chunk_record(chunker, rec)) for rec in group]
        texts = [
            chunk_context.embedding_text(chunk_context.compose(rec.title, d.heading), d.text)
            for rec, _, drafts in prepared
            for d in drafts
        ]
        t = time.monotonic()
        vectors = (
            embedder.encode_passages(texts) if texts else np.zeros((0, embedder.dim), np.float32)
        )
        report.embed_seconds += time.monotonic() - t
        start = 0
        for rec, page_text, drafts in prepared:
            vecs = vectors[start : start + len(drafts)]
            start += len(drafts)
            _store_record(library, rec, scheme, page_text, drafts, vecs)
            report.pages += 1
            report.chunks += len(drafts)
        state.files_done += len(group)
        state.pages_done = report.pages
        state.chunks_done = report.chunks
        if progress is not None:
            progress(state)
    library.vectors.save()
    report.seconds = time.monotonic() - t0
    log.info("records ingested: %d documents, %d chunks", report.pages, report.chunks)
    return report


def _store_record(
    library: Library,
    rec: TextRecord,
    scheme: str,
    page_text: str,
    drafts: list[ChunkDraft],
    vectors: np.ndarray,
) -> None:
    chunks = chunk_records(drafts, rec.title)
    data = page_text.encode("utf-8")
    _, removed, added = library.store.replace_document(
        record_path(rec.id, scheme),
        title=rec.title or rec.id,
        fts_title=textnorm.fts_text(rec.title),
        kind=RECORD_KIND,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        mtime=0.0,
        pages=[PageRecord(1, 0.0, 0.0, page_text)],
        chunks=chunks,
        embeddings=vectors,
    )
    library.vectors.remove(removed)
    library.vectors.add(added, vectors)


def _groups(items: Iterable[TextRecord], chunks_per_group: int) -> Iterator[list[TextRecord]]:
    """Records in groups of about `chunks_per_group` chunks (guessed from their length)."""
    group: list[TextRecord] = []
    weight = 0
    for item in items:
        group.append(item)
        weight += 1 + (len(item.title) + len(item.text)) // 1200
        if weight >= chunks_per_group:
            yield group
            group, weight = [], 0
    if group:
        yield group
