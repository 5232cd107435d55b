"""One entry for whatever is asked: a question about the library goes to the catalog, a request
for a summary to the summarizer, anything else to question answering (within a scope, when
one is set). The window and the command line both call `respond`."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Any

from desktop_rag.core.answers import catalog_answers, qa, summary
from desktop_rag.core.answers.generation import Generator
from desktop_rag.core.answers.route import Route, classify
from desktop_rag.core.errors import UserError
from desktop_rag.core.search.embedding import EmbeddingModel
from desktop_rag.core.search.retrieval import Hit
from desktop_rag.core.storage import catalog
from desktop_rag.core.storage.store import Store
from desktop_rag.core.tasks import CancelToken, Progress

log = logging.getLogger(__name__)


class ScopedSearcher:
    """A library's search limited to some documents, as question answering sees a searcher."""

    def __init__(self, searcher: Any, document_ids: Sequence[int]) -> None:
        self._searcher = searcher
        self.document_ids = [int(i) for i in document_ids]

    @property
    def store(self) -> Store:
        store: Store = self._searcher.store
        return store

    @property
    def embedding_model(self) -> EmbeddingModel:
        model: EmbeddingModel = self._searcher.embedding_model
        return model

    def search(self, query: str, k: int = 10) -> list[Hit]:
        hits: list[Hit] = self._searcher.search(query, k, scope=self.document_ids)
        return hits


def respond(
    searcher: Any,
    question: str,
    generator: Generator | None,
    *,
    scope: Sequence[int] | None = None,
    on_text: Callable[[str], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    no_model_reason: str = "",
    **ask: Any,
) -> qa.Answer:
    """Answer `question` the way it asks to be answered. `searcher`: a Library or its reader
    (search, store, embedding_model); `scope`: document ids to keep to; `ask`: the options
    of qa.answer (top_k, history, previous, ...)."""
    question = question.strip()
    if not question:
        raise UserError("Type a question first.")
    store: Store = searcher.store
    route = classify(question)
    log.info("question routed: %s", route.kind)
    if route.kind in ("mentions", "documents"):
        return catalog_answers.answer(store, route, question, scope)
    if route.kind == "summary":
        target = summary_target(store, route, scope)
        if isinstance(target, list):
            return catalog_answers.choose_document_answer(
                question, target, qa.language_of(question)
            )
        if target is not None:
            doc, pages, section = target
            return summary.summarize(
                store, doc["id"], generator, pages=pages, question=question, section=section,
                on_text=on_text, progress=progress, cancel=cancel,
                no_model_reason=no_model_reason,
            )  # fmt: skip
    asked: Any = searcher if scope is None else ScopedSearcher(searcher, scope)
    result = qa.answer(
        asked, question, generator, on_text=on_text, cancel=cancel,
        no_model_reason=no_model_reason, **ask,
    )  # fmt: skip
    if scope is not None:
        note = catalog_answers.scope_note(store, scope, qa.language_of(question)).strip()
        result.note = f"{result.note} {note}".strip()
    return result


def summary_target(
    store: Store, route: Route, scope: Sequence[int] | None
) -> tuple[dict[str, Any], tuple[int, int] | None, str] | list[dict[str, Any]] | None:
    """What a request for a summary is about: (document, pages or None, section name), the
    documents to choose from when it could be several, or None when it is no request for a
    summary after all ("what is the Harwick Bridge about" names no document)."""
    docs = catalog.user_documents(store, scope)
    if not docs and scope is None:  # only the user guide: it may be summarized too
        docs = [d for d in store.documents() if d["status"] == "ready"]
    chosen: dict[str, Any] | None = None
    if route.document:
        named = named_documents(docs, route.document)
        if len(named) == 1:
            chosen = named[0]
        elif named:
            return named
        elif route.extra.get("tentative"):
            return None
    if chosen is None:
        if len(docs) == 1:
            chosen = docs[0]
        elif docs:
            return docs
        else:
            raise UserError("There is no document to summarize yet.", "Add one first.")
    pages, section = route.pages, ""
    if route.section:
        found = summary.find_section(store, chosen["id"], route.section)
        if found is None:
            title = chosen["title"] or PurePath(chosen["path"]).name
            raise UserError(
                f"No heading “{route.section}” was found in “{title}”.",
                "Ask for its pages instead, for example “summarize pages 12-20”.",
            )
        pages, section = found, route.section
    return chosen, pages, section


def named_documents(docs: list[dict[str, Any]], words: str) -> list[dict[str, Any]]:
    """The documents whose title or file name holds most of `words` (at least half of them);
    several when they tie."""
    from desktop_rag.core.documents.chunk_context import file_label

    wanted = [w for w in re.findall(r"\w+", words.casefold()) if len(w) >= 2]
    if not wanted:
        return []
    scored = []
    for d in docs:
        name = PurePath(d["path"]).name
        hay = f"{d['title']} {name} {file_label(d['path'])}".casefold()
        hay_words = set(re.findall(r"\w+", hay))
        score = sum(1 for w in wanted if w in hay_words or (len(w) >= 4 and w in hay))
        if words.casefold().strip() in (name.casefold(), PurePath(name).stem.casefold()):
            score += len(wanted)  # the exact file name
        scored.append((score, d))
    best = max(s for s, _ in scored) if scored else 0
    if best < max(1, math.ceil(len(wanted) / 2)):
        return []
    return [d for s, d in scored if s == best]
