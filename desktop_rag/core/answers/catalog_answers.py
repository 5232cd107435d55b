"""Answers about the library itself, written from the catalog's exact lists: which documents
mention a phrase (how often, on which pages), and which documents there are. Each item is a
numbered source the window opens; the answer says how it was found. No model is asked."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from desktop_rag.core.answers.qa import Answer, Source, language_of
from desktop_rag.core.answers.route import Route
from desktop_rag.core.storage import catalog
from desktop_rag.core.storage.catalog import DocumentQuery, MentionReport
from desktop_rag.core.storage.store import Store

MAX_PAGES_LISTED = 12  # per document; the rest are counted ("and 9 more pages")
MAX_DOCUMENTS_LISTED = 500

_KIND_NAMES = {
    "pdf": "PDF", "docx": "Word", "txt": "text", "markdown": "Markdown", "epub": "EPUB",
    "mobi": "MOBI", "fb2": "FB2", "html": "HTML", "xps": "XPS", "cbz": "CBZ", "svg": "SVG",
}  # fmt: skip

_HOW = {
    "mentions": {
        "en": "Found with the library's keyword index (SQLite FTS5) and counted in the text of "
        "each page; the language model was not asked.",
        "ko": "라이브러리의 키워드 색인(SQLite FTS5)으로 찾고 각 쪽의 본문에서 직접 센 결과입니다. "
        "언어 모델은 쓰지 않았습니다.",
    },
    "documents": {
        "en": "Listed from the library's table of documents (type, file date, size, pages, folder "
        "and name as recorded when each file was indexed); the language model was not asked.",
        "ko": "라이브러리의 문서 목록(색인할 때 기록한 형식, 파일 날짜, 크기, 쪽수, 폴더, "
        "이름)에서 찾은 결과입니다. 언어 모델은 쓰지 않았습니다.",
    },
}
_INCOMPLETE = {
    "en": " The phrase is in so many passages that only the first {n:,} were read.",
    "ko": " 이 말이 너무 많은 곳에 나와 처음 {n:,}개 구절만 읽었습니다.",
}
_SCOPED = {"en": " Only in: {names}.", "ko": " 찾은 범위: {names}."}


def answer(store: Store, route: Route, question: str, scope: Sequence[int] | None = None) -> Answer:
    """The catalog's answer to a "mentions" or "documents" question."""
    lang = language_of(question)
    if route.kind == "mentions":
        result = mentions_answer(
            store, question, catalog.mentions(store, route.phrase, scope), lang
        )
    else:
        query = route.query or DocumentQuery()
        docs, found = catalog.list_documents(store, query, scope)
        result = documents_answer(store, question, query, docs, found, lang)
    if scope is not None:
        result.note += scope_note(store, scope, lang)
    return result


def scope_note(store: Store, scope: Sequence[int], lang: str) -> str:
    """ " Only in: a.pdf, b.pdf (+3)." for an answer given within a scope."""
    names = [display_name(d) for d in catalog.user_documents(store, scope)]
    shown = ", ".join(names[:5]) + (f" (+{len(names) - 5})" if len(names) > 5 else "")
    return _SCOPED[lang].format(names=shown)


def display_name(doc: dict[str, Any]) -> str:
    """A document as a list shows it: its title, and its file name when that says more."""
    name = PurePath(doc["path"]).name
    title = " ".join((doc.get("title") or "").split())
    if not title or title.casefold() in (name.casefold(), PurePath(name).stem.casefold()):
        return name
    return f"{title} ({name})"


def mentions_answer(store: Store, question: str, report: MentionReport, lang: str) -> Answer:
    """Each document that mentions the phrase, with how often and on which pages."""
    phrase, total, n_docs = report.phrase, report.count, len(report.documents)
    if not report.documents:
        text = (
            f"No document mentions “{phrase}”."
            if lang == "en"
            else f"“{phrase}”이(가) 나오는 문서가 없습니다."
        )
    elif lang == "en":
        text = (
            f"“{phrase}” is mentioned {_times(total, lang)} in {n_docs} "
            f"document{'s' if n_docs != 1 else ''}:"
        )
    else:
        text = f"“{phrase}”은(는) 문서 {n_docs}개에서 {total}번 나옵니다:"
    sources: list[Source] = []
    chunk_rows = store.chunks_by_ids(
        [p.chunk_id for d in report.documents for p in d.pages[:MAX_PAGES_LISTED]]
    )
    lines = [text]
    for i, doc in enumerate(report.documents, start=1):
        cells = []
        for page in doc.pages[:MAX_PAGES_LISTED]:
            row = chunk_rows.get(page.chunk_id)
            source = _page_source(len(sources) + 1, doc.document, page.page, row)
            source.focus = [[a, b] for a, b in page.spans]
            sources.append(source)
            times = f" ({_times(page.count, lang, short=True)})" if page.count > 1 else ""
            cells.append(f"{_page_label(page.page, lang)}{times} [{source.number}]")
        more = len(doc.pages) - MAX_PAGES_LISTED
        if more > 0:
            cells.append(f"and {more} more pages" if lang == "en" else f"그 밖에 {more}쪽 더")
        lines.append(
            f"{i}. {display_name(doc.document)} — {_times(doc.count, lang)}: {', '.join(cells)}"
        )
    note = _HOW["mentions"][lang]
    if not report.complete:
        note += _INCOMPLETE[lang].format(n=catalog.MAX_MENTION_CHUNKS)
    return Answer(
        question, "\n".join(lines), "catalog", sources, cited=[s.number for s in sources],
        note=note, checks={"documents": float(n_docs), "mentions": float(total)},
    )  # fmt: skip


def documents_answer(
    store: Store,
    question: str,
    query: DocumentQuery,
    docs: list[dict[str, Any]],
    report: MentionReport | None,
    lang: str,
) -> Answer:
    """The documents that match, one a line with type, pages, size and date."""
    what = describe_query(query, lang)
    n = len(docs)
    if lang == "en":
        head = f"{n} document{'s' if n != 1 else ''}" + (f" ({what})" if what else "")
        head = f"No document matches ({what})." if not n and what else head
        head += ":" if n else ("" if what else ".")
    else:
        head = f"문서 {n}개" + (f" ({what})" if what else "")
        head = f"조건에 맞는 문서가 없습니다 ({what})." if not n and what else head
        head += ":" if n else ("" if what else ".")
    if not n and not what:
        head = (
            "There are no documents in this library yet."
            if lang == "en"
            else ("이 라이브러리에는 아직 문서가 없습니다.")
        )
    lines = [head]
    firsts = _first_chunks(store, [d["id"] for d in docs[:MAX_DOCUMENTS_LISTED]])
    sources: list[Source] = []
    mentioned = {m.document["id"]: m for m in report.documents} if report else {}
    for i, doc in enumerate(docs[:MAX_DOCUMENTS_LISTED], start=1):
        hit = mentioned.get(doc["id"])
        if hit is not None:  # opens where the topic is first mentioned
            page = hit.pages[0]
            row = store.chunks_by_ids([page.chunk_id]).get(page.chunk_id)
            source = _page_source(i, doc, page.page, row)
            source.focus = [[a, b] for a, b in page.spans]
        else:
            source = _page_source(i, doc, 1, firsts.get(doc["id"]), highlight=False)
        sources.append(source)
        lines.append(f"{i}. {display_name(doc)} — {_details(doc, query, lang)} [{i}]")
    if n > MAX_DOCUMENTS_LISTED:
        more = n - MAX_DOCUMENTS_LISTED
        lines.append(f"… and {more} more." if lang == "en" else f"… 그 밖에 {more}개 더.")
    return Answer(
        question, "\n".join(lines), "catalog", sources, cited=[s.number for s in sources],
        note=_HOW["documents"][lang], checks={"documents": float(n)},
    )  # fmt: skip


def choose_document_answer(question: str, docs: list[dict[str, Any]], lang: str) -> Answer:
    """A request to summarize that names no single document: the documents to choose from."""
    head = (
        "Which document should I summarize? Click one:"
        if lang == "en"
        else "어느 문서를 요약할까요? 하나를 누르세요:"
    )
    lines = [head]
    sources = []
    for i, doc in enumerate(docs[:MAX_DOCUMENTS_LISTED], start=1):
        sources.append(_page_source(i, doc, 1, None, highlight=False))
        lines.append(f"{i}. {display_name(doc)} — {_details(doc, DocumentQuery(), lang)} [{i}]")
    note = (
        "Or right-click a document in the list and choose Summarize, or name it: "
        "“summarize report.pdf”."
        if lang == "en"
        else "문서 목록에서 문서를 오른쪽 클릭해 요약을 고르거나, “report.pdf 요약해 줘”처럼 "
        "이름을 말해 주세요."
    )
    return Answer(question, "\n".join(lines), "choose", sources,
                  cited=[s.number for s in sources], note=note)  # fmt: skip


def describe_query(q: DocumentQuery, lang: str) -> str:
    """The filters of a listing, in words (how the list was made)."""
    parts: list[str] = []
    en = lang == "en"
    if q.kinds:
        parts.append("/".join(dict.fromkeys(_KIND_NAMES.get(k, k.upper()) for k in q.kinds)))
    if q.mentions:
        topic = q.words.get("topic", q.mentions)
        parts.append(f"mentioning “{topic}”" if en else f"“{topic}” 언급")
    if q.name:
        parts.append(f"named with “{q.name}”" if en else f"이름에 “{q.name}”")
    if q.folder:
        parts.append(f"in folder “{q.folder}”" if en else f"“{q.folder}” 폴더")
    if q.year is not None:
        parts.append(
            f"from {q.year} (file date, or the year in its name)"
            if en
            else f"{q.year}년 (파일 날짜 또는 이름의 연도)"
        )
    if q.modified_after is not None or q.modified_before is not None:
        period = q.words.get("period", "")
        parts.append(f"modified {period}" if en else f"수정 시기: {period}")
    if q.added_after is not None:
        when = time.strftime("%Y-%m-%d", time.localtime(q.added_after))
        parts.append(f"added since {when}" if en else f"{when} 이후 추가")
    if q.min_bytes is not None or q.max_bytes is not None:
        lo = _size(q.min_bytes) if q.min_bytes is not None else ""
        hi = _size(q.max_bytes) if q.max_bytes is not None else ""
        if en:
            bounds = [f"over {lo}" if lo else "", f"up to {hi}" if hi else ""]
        else:
            bounds = [f"{lo} 이상" if lo else "", f"{hi} 이하" if hi else ""]
        parts.append((" and " if en else ", ").join(b for b in bounds if b))
    if q.min_pages is not None or q.max_pages is not None:
        lo_p, hi_p = q.min_pages, q.max_pages
        parts.append(
            (f"at least {lo_p} pages" if lo_p is not None else "")
            + (" and " if lo_p is not None and hi_p is not None else "")
            + (f"at most {hi_p} pages" if hi_p is not None else "")
            if en
            else (f"{lo_p}쪽 이상" if lo_p is not None else "")
            + (", " if lo_p is not None and hi_p is not None else "")
            + (f"{hi_p}쪽 이하" if hi_p is not None else "")
        )
    order = {
        ("size", True): ("largest first", "큰 순서"),
        ("size", False): ("smallest first", "작은 순서"),
        ("pages", True): ("most pages first", "쪽수 많은 순서"),
        ("pages", False): ("fewest pages first", "쪽수 적은 순서"),
        ("added", True): ("most recently added first", "최근 추가 순서"),
        ("added", False): ("first added first", "추가한 순서"),
        ("modified", True): ("newest file first", "최신 파일 순서"),
        ("modified", False): ("oldest file first", "오래된 파일 순서"),
    }.get((q.sort, q.descending))
    if order:
        parts.append(order[0] if en else order[1])
    if q.limit is not None:
        parts.append(f"the first {q.limit}" if en else f"처음 {q.limit}개")
    return "; ".join(parts)


def _details(doc: dict[str, Any], q: DocumentQuery, lang: str) -> str:
    kind = _KIND_NAMES.get(doc["kind"], doc["kind"].upper() or "?")
    pages = doc["page_count"]
    pages_text = f"{pages} page{'s' if pages != 1 else ''}" if lang == "en" else f"{pages}쪽"
    stamp = doc["added_at"] if q.sort == "added" else doc["mtime"]
    date = time.strftime("%Y-%m-%d", time.localtime(stamp)) if stamp else ""
    if date and q.sort == "added":
        date = f"added {date}" if lang == "en" else f"{date} 추가"
    return ", ".join(p for p in (kind, pages_text, _size(doc["size"]), date) if p)


def _size(n: int | None) -> str:
    if not n:
        return ""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{n} B"


def _times(n: int, lang: str, short: bool = False) -> str:
    if lang == "ko":
        return f"{n}번"
    if short:
        return f"{n}×"
    return "once" if n == 1 else f"{n} times"


def _page_label(page: int, lang: str) -> str:
    return f"p. {page}" if lang == "en" else f"{page}쪽"


def _first_chunks(store: Store, doc_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each document's first chunk (what opening it from a list shows)."""
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(doc_ids), 900):
        batch = doc_ids[i : i + 900]
        q = ",".join("?" * len(batch))
        ids = [
            r[0]
            for r in store.conn.execute(
                f"SELECT min(id) FROM chunks WHERE document_id IN ({q}) GROUP BY document_id",
                batch,
            )
        ]
        for row in store.chunks_by_ids(ids).values():
            out[int(row["document_id"])] = row
    return out


def _page_source(
    number: int,
    doc: dict[str, Any],
    page: int,
    chunk: dict[str, Any] | None,
    highlight: bool = True,
) -> Source:
    """A numbered source that opens `doc` at `page` (a chunk of it, if known, gives the text
    the command line and an export show)."""
    has = chunk is not None and chunk["page"] == page
    return Source(
        number=number,
        chunk_id=int(chunk["id"]) if has and chunk else 0,
        document_id=int(doc["id"]),
        title=doc["title"] or PurePath(doc["path"]).name,
        path=doc["path"],
        kind=doc["kind"],
        page=page,
        char_start=int(chunk["char_start"]) if has and chunk and highlight else 0,
        char_end=int(chunk["char_end"]) if has and chunk and highlight else 0,
        text=chunk["text"] if has and chunk else "",
        spans=[],
        score=0.0,
        dense_score=0.0,
    )
