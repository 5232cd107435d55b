"""The second stage of indexing: embeddings for the chunks stored without them.

A document is stored, and searchable by keywords, as soon as it is read and cut into chunks
(core/indexing/ingest.py); its embeddings follow here, on the index lane, when nothing more
urgent waits (`pause`). Chunks are embedded document by document, oldest first, in groups of
EMBED_BATCH chunks of one document cut at the same places (by their order in the document)
whatever came before: the vectors a group gets depend on its batch (int8 scales are taken per
batch), so a run that was interrupted and resumed ends with exactly the vectors of one that
was not. Each group is committed with its vectors in one transaction and then added to the
vector index: a crash loses at most the group in flight, and the library, opened again,
carries on where it stopped."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from desktop_rag.core.documents.chunk_context import embedding_text
from desktop_rag.core.faults import checkpoint
from desktop_rag.core.tasks import CancelToken, Progress

if TYPE_CHECKING:
    from desktop_rag.core.indexing.target import IndexTarget

log = logging.getLogger(__name__)

EMBED_BATCH = 256  # chunks per encode call: sorted by length inside, so less padding
SAVE_EVERY_S = 60.0
STAGE = "meaning"  # Progress.stage while embeddings are computed


@dataclass
class MeaningReport:
    """What a pass embedded, and whether it got through everything pending."""

    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0  # of which in the embedding model
    finished: bool = False


def partial_note(pending: int, total: int) -> str:
    """What to tell a person searching a library whose meaning search is not complete."""
    return (
        f"Meaning search is still partial: {pending:,} of {total:,} passages are found by "
        "their words only while their meaning is being indexed."
    )


def groups_of(chunks: list[tuple[int, int, str, str]]) -> list[list[tuple[int, int, str, str]]]:
    """A document's pending chunks (id, ord, context, text) in the groups they are embedded in:
    by ord, EMBED_BATCH to a group, so the cuts never depend on what was already done."""
    out: dict[int, list[tuple[int, int, str, str]]] = {}
    for chunk in chunks:
        out.setdefault(chunk[1] // EMBED_BATCH, []).append(chunk)
    return [out[k] for k in sorted(out)]


def embed_pending(
    target: IndexTarget,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    pause: Callable[[], bool] | None = None,
) -> MeaningReport:
    """Embed every chunk of the library that has no embedding yet. Between two groups it
    stops when `pause()` says more urgent work waits (report.finished is then False, and the
    next call carries on); `cancel` stops it too (raising Cancelled). What was embedded is
    committed, and the vector index saved, either way."""
    cancel = cancel or CancelToken()
    store, vectors = target.store, target.vectors
    report = MeaningReport()
    t0 = time.monotonic()
    pending, total = store.pending_counts()
    done = total - pending
    state = Progress(stage=STAGE, extra={"meaning_done": done, "meaning_total": total})
    if progress is not None and pending:
        progress(state)
    try:
        report.finished = _embed_groups(target, report, state, progress, cancel, pause, done)
    except BaseException:
        # what was committed stays; the index is rebuilt from the store if this save fails
        with contextlib.suppress(Exception):
            vectors.save()
        raise
    finally:
        report.seconds = time.monotonic() - t0
    if vectors.dirty:
        vectors.save()
    if report.chunks:
        log.info(
            "embedded %d chunks in %.1f s%s",
            report.chunks,
            report.seconds,
            "" if report.finished else " (paused)",
        )
    return report


def _embed_groups(
    target: IndexTarget,
    report: MeaningReport,
    state: Progress,
    progress: Callable[[Progress], None] | None,
    cancel: CancelToken,
    pause: Callable[[], bool] | None,
    done: int,
) -> bool:
    """Embed group after group; False when `pause` stopped it first."""
    store, vectors = target.store, target.vectors
    embedder = None
    last_save = time.monotonic()
    for document_id in sorted(store.pending_by_document()):
        for group in groups_of(store.pending_chunks(document_id)):
            cancel.raise_if_cancelled()
            if pause is not None and pause():
                return False
            if embedder is None:
                embedder = target.embedder()
            t = time.monotonic()
            vecs = embedder.encode_passages([embedding_text(c, text) for _, _, c, text in group])
            report.embed_seconds += time.monotonic() - t
            ids = [cid for cid, _, _, _ in group]
            store.set_embeddings(ids, vecs)
            checkpoint("embedded")
            vectors.add(ids, np.asarray(vecs))
            report.chunks += len(ids)
            state.chunks_done = report.chunks
            state.extra["meaning_done"] = done + report.chunks
            if progress is not None:
                progress(state)
            if time.monotonic() - last_save > SAVE_EVERY_S:
                vectors.save()
                last_save = time.monotonic()
    return True
