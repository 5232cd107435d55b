"""The library's own catalog, read from the store: which documents mention a phrase (how often,
on which pages), and the documents by name, type, date, size and folder. Exact answers from
SQLite (FTS5 and the documents table), never a model's guess."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from desktop_rag.core import textnorm
from desktop_rag.core.documents.guide import is_guide
from desktop_rag.core.errors import UserError
from desktop_rag.core.storage.store import Store, db_error, id_ranges

# A phrase in more chunks than this is too common to list page by page: the first this many are
# read and the answer says it is incomplete.
MAX_MENTION_CHUNKS = 20_000
_WORD = re.compile(r"\w+", re.UNICODE)
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


@dataclass
class PageMentions:
    """Where a phrase stands on one page: [start, end) of each occurrence in the page text."""

    page: int
    spans: list[tuple[int, int]]
    chunk_id: int  # a chunk of the page that holds the first occurrence

    @property
    def count(self) -> int:
        return len(self.spans)


@dataclass
class DocumentMentions:
    """A document that mentions the phrase, with its pages, in page order."""

    document: dict[str, Any]
    pages: list[PageMentions]

    @property
    def count(self) -> int:
        return sum(p.count for p in self.pages)


@dataclass
class MentionReport:
    phrase: str
    documents: list[DocumentMentions]  # most mentions first
    complete: bool = True  # False when the phrase was in more chunks than were read

    @property
    def count(self) -> int:
        return sum(d.count for d in self.documents)


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """The phrase as it may stand in a text: its words in order with any spaces, hyphens or
    line breaks between them, in any case; a Latin word whole (plural -s/-es allowed), a
    Korean one with whatever particle follows it."""
    words = _WORD.findall(unicodedata.normalize("NFKC", phrase))
    if not words:
        raise UserError("Say which words to look for.")
    body = r"[\W_]+".join(re.escape(w) for w in words)
    head = "" if _HANGUL.match(words[0][0]) else r"(?<![^\W_])"
    tail = "" if _HANGUL.match(words[-1][-1]) else r"(?:e?s|['’]s)?(?![^\W_])"
    return re.compile(head + body + tail, re.IGNORECASE)


def _phrase_match(phrase: str) -> str:
    """An FTS5 query for the phrase in the chunks' text column (as the index sees text:
    Hangul as bigrams, Latin words stemmed)."""
    terms = [t for t in _WORD.findall(textnorm.fts_text(phrase).lower()) if t != "_"]
    return 'body : "' + " ".join(terms) + '"' if terms else ""


def mentions(store: Store, phrase: str, scope: Sequence[int] | None = None) -> MentionReport:
    """The documents whose text holds `phrase`, each with its pages and the number of times
    on each: candidates from the keyword index (FTS5), every occurrence then found in the text
    itself (the pages' text, which the chunks are cut from; overlapping chunks count once).
    `scope`: only these documents."""
    phrase = " ".join(phrase.split())
    pattern = phrase_pattern(phrase)
    match = _phrase_match(phrase)
    where, args = "", list[Any]([match])
    if scope is not None:
        ranges = id_ranges(store.chunk_ids_in(scope))
        if not ranges:
            return MentionReport(phrase, [])
        where = " AND (" + " OR ".join("rowid BETWEEN ? AND ?" for _ in ranges) + ")"
        args += [v for r in ranges for v in r]
    try:
        ids = [
            r[0]
            for r in store.conn.execute(
                f"SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?{where} ORDER BY rowid "
                "LIMIT ?",
                (*args, MAX_MENTION_CHUNKS + 1),
            )
        ]
    except db_error("OperationalError"):  # nothing in the phrase FTS5 can match
        ids = []
    complete = len(ids) <= MAX_MENTION_CHUNKS
    found: dict[int, dict[int, dict[int, tuple[int, int]]]] = {}  # doc -> page -> start -> span
    first_chunk: dict[tuple[int, int, int], int] = {}
    for batch in _batched(ids[:MAX_MENTION_CHUNKS], 900):
        q = ",".join("?" * len(batch))
        for cid, doc, page, start, text in store.conn.execute(
            f"SELECT id, document_id, page, char_start, text FROM chunks WHERE id IN ({q})", batch
        ):
            for m in pattern.finditer(text):
                at = start + m.start()
                spans = found.setdefault(doc, {}).setdefault(page, {})
                if at not in spans:
                    spans[at] = (at, start + m.end())
                    first_chunk.setdefault((doc, page, at), cid)
    documents = []
    for doc_id, pages in found.items():
        row = store.document(doc_id)
        if row is None or row["status"] != "ready":
            continue
        listed = []
        for page in sorted(pages):
            spans_at = [pages[page][a] for a in sorted(pages[page])]
            listed.append(PageMentions(page, spans_at, first_chunk[(doc_id, page, spans_at[0][0])]))
        documents.append(DocumentMentions(row, listed))
    documents.sort(key=lambda d: (-d.count, d.document["title"].casefold(), d.document["id"]))
    return MentionReport(phrase, documents, complete)


# --- listing documents -------------------------------------------------------------------------


@dataclass
class DocumentQuery:
    """Which documents to list and in what order (every field optional)."""

    kinds: tuple[str, ...] = ()  # document kinds: pdf, docx, txt, markdown, epub, html...
    year: int | None = None  # the file's date in that year, or the year in its name
    modified_after: float | None = None  # timestamps (seconds)
    modified_before: float | None = None
    added_after: float | None = None
    min_bytes: int | None = None
    max_bytes: int | None = None
    min_pages: int | None = None
    max_pages: int | None = None
    folder: str = ""  # a folder path, or a folder's name, the file sits under
    name: str = ""  # in the title or the file name
    mentions: str = ""  # a phrase the text holds
    sort: str = "name"  # name | size | pages | modified | added
    descending: bool = False
    limit: int | None = None  # "the 3 largest"
    count_only: bool = False  # "how many ..."
    words: dict[str, str] = field(default_factory=dict)  # how the question said each part

    def is_empty(self) -> bool:
        return self == DocumentQuery(
            sort=self.sort, descending=self.descending, count_only=self.count_only,
            words=self.words,
        )  # fmt: skip


def user_documents(store: Store, scope: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """The indexed documents (the user guide left out), by title; `scope`: only these."""
    wanted = None if scope is None else {int(i) for i in scope}
    return [
        d
        for d in store.documents()
        if d["status"] == "ready"
        and not is_guide(d["path"])
        and (wanted is None or d["id"] in wanted)
    ]


def list_documents(
    store: Store, query: DocumentQuery, scope: Sequence[int] | None = None
) -> tuple[list[dict[str, Any]], MentionReport | None]:
    """The documents that pass every filter of `query`, in its order (and the mentions, when
    it asks for a phrase)."""
    docs = user_documents(store, scope)
    report = None
    if query.mentions:
        report = mentions(store, query.mentions, [d["id"] for d in docs])
        have = {m.document["id"] for m in report.documents}
        docs = [d for d in docs if d["id"] in have]
    docs = [d for d in docs if _passes(d, query)]
    key = {
        "size": lambda d: (d["size"], d["title"].casefold()),
        "pages": lambda d: (d["page_count"], d["title"].casefold()),
        "modified": lambda d: (d["mtime"], d["title"].casefold()),
        "added": lambda d: (d["added_at"], d["title"].casefold()),
    }.get(query.sort, lambda d: (d["title"].casefold() or Path(d["path"]).name.casefold(),))
    docs.sort(key=key, reverse=query.descending)
    if query.limit is not None:
        docs = docs[: query.limit]
    return docs, report


def _passes(doc: dict[str, Any], q: DocumentQuery) -> bool:
    if q.kinds and doc["kind"] not in q.kinds:
        return False
    if q.year is not None:
        in_year = time.localtime(doc["mtime"]).tm_year == q.year if doc["mtime"] else False
        named = str(q.year) in f"{doc['title']} {PurePath(doc['path']).name}"
        if not (in_year or named):
            return False
    checks = (
        (q.modified_after, lambda v: doc["mtime"] >= v),
        (q.modified_before, lambda v: doc["mtime"] < v),
        (q.added_after, lambda v: doc["added_at"] >= v),
        (q.min_bytes, lambda v: doc["size"] >= v),
        (q.max_bytes, lambda v: doc["size"] <= v),
        (q.min_pages, lambda v: doc["page_count"] >= v),
        (q.max_pages, lambda v: doc["page_count"] <= v),
    )
    if any(bound is not None and not test(bound) for bound, test in checks):
        return False
    if q.folder and not in_folder(doc["path"], q.folder):
        return False
    if q.name:
        haystack = f"{doc['title']} {PurePath(doc['path']).name}".casefold()
        if not all(w in haystack for w in q.name.casefold().split()):
            return False
    return True


def in_folder(path: str, folder: str) -> bool:
    """Whether the file `path` sits under `folder`: a path (at any depth below it), or the
    name of a folder on its way ("Contracts" for ~/Work/Contracts/2021/a.pdf)."""
    parent = os.path.dirname(path)
    if os.sep in folder or "/" in folder:
        root = os.path.normcase(os.path.abspath(os.path.expanduser(folder))).rstrip(os.sep)
        here = os.path.normcase(parent)
        return here == root or here.startswith(root + os.sep)
    names = [p.casefold() for p in PurePath(parent).parts]
    return folder.casefold() in names


# --- finding a document by what a person calls it -------------------------------------------


def find_documents(store: Store, ref: str) -> list[dict[str, Any]]:
    """The documents `ref` names: an id, a path, a file name or a title (case ignored), or
    else the documents whose title or file name holds it. Best matches only."""
    ref = ref.strip()
    docs = [d for d in store.documents() if d["status"] == "ready"]
    if ref.isdigit():
        exact = [d for d in docs if d["id"] == int(ref)]
        if exact:
            return exact
    folded = ref.casefold()
    tiers = (
        lambda d: d["path"] == ref or os.path.abspath(os.path.expanduser(ref)) == d["path"],
        lambda d: PurePath(d["path"]).name.casefold() == folded,
        lambda d: d["title"].casefold() == folded or PurePath(d["path"]).stem.casefold() == folded,
        lambda d: folded in f"{d['title']} {PurePath(d['path']).name}".casefold(),
    )
    for tier in tiers:
        found = [d for d in docs if tier(d)]
        if found:
            return found
    return []


def _batched(items: list[int], n: int) -> list[list[int]]:
    return [items[i : i + n] for i in range(0, len(items), n)]
