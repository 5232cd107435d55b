"""An answer, or a whole chat, exported as evidence: the question, the answer with its [n]
citations, and for every cited source its document, page and quoted passage; in a PDF also
an image of the page with the passage highlighted as the viewer shows it."""

from __future__ import annotations

import html
import io
import logging
import multiprocessing
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_rag import __version__
from desktop_rag.core.answers.highlight import CONTEXT_RGBA, FOCUS_RGBA, render_highlighted_page
from desktop_rag.core.documents.loaders import LAYOUT_SUFFIXES
from desktop_rag.core.errors import Cancelled, UserError, as_user_error
from desktop_rag.core.fsutil import atomic_write_bytes
from desktop_rag.core.tasks import CancelToken, Progress

log = logging.getLogger(__name__)

FORMATS = {".md": "markdown", ".markdown": "markdown", ".pdf": "pdf"}
LAYOUT_KINDS = set(LAYOUT_SUFFIXES.values())  # documents with pages to picture
PAGE_DPI = 144.0  # sharp when printed at the image's size in the PDF
IMAGE_WIDTH_PT = 460  # of 475 points of text width: an A4 page image and its caption fit
_PAGE = (0.0, 0.0, 595.0, 842.0)  # A4
_MARGIN = 60.0
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def _over_white(rgba: tuple[int, int, int, int]) -> str:
    """The colour a translucent highlight shows on white paper, as CSS."""
    a = rgba[3] / 255.0
    r, g, b = (round(255 * (1 - a) + c * a) for c in rgba[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


_CSS = f"""
body {{ font-family: sans-serif; font-size: 10.5pt; line-height: 1.35; }}
h1 {{ font-size: 17pt; margin: 0 0 4pt 0; }}
h2 {{ font-size: 13pt; margin: 14pt 0 4pt 0; }}
h3 {{ font-size: 11.5pt; margin: 12pt 0 3pt 0; }}
h4 {{ font-size: 10.5pt; margin: 10pt 0 2pt 0; }}
p {{ margin: 0 0 6pt 0; }}
p.meta, p.file, p.missing {{ color: #555555; font-size: 9pt; }}
p.note {{ font-style: italic; }}
h3.exhibit {{ page-break-before: always; }}
blockquote {{ margin: 2pt 0 6pt 12pt; padding-left: 6pt; color: #222222; }}
span.focus {{ background-color: {_over_white(FOCUS_RGBA)}; }}
span.context {{ background-color: {_over_white(CONTEXT_RGBA)}; }}
"""


@dataclass
class Exchange:
    """One question and its answer as `Answer.to_dict()` or a stored chat gives it: text,
    status, sources (dicts with number, title, path, kind, page, text, spans, focus...), cited."""

    question: str
    answer: dict[str, Any]


@dataclass
class ExportInfo:
    """Where the evidence comes from, printed at the top."""

    title: str
    library: str = ""
    exported_at: float = field(default_factory=time.time)


def exchanges_from_messages(messages: Iterable[Mapping[str, Any]]) -> list[Exchange]:
    """A stored chat's messages (Store.messages) as exchanges, answers as the chat shows them."""
    out: list[Exchange] = []
    for m in messages:
        if m["role"] == "user":
            out.append(Exchange(m["content"], {}))
        elif out:
            meta = m.get("meta") or {}
            sources = list(m.get("sources") or [])
            out[-1].answer = {
                "text": m["content"],
                "status": meta.get("status", "answered"),
                "note": meta.get("note", ""),
                "model": meta.get("model", ""),
                "sources": sources,
                "cited": [s["number"] for s in sources if s.get("cited")],
                "quotes": meta.get("quotes") or [],
            }
    return out


def shown_quotes(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The document's sentences quoted under an answer (answered ones only)."""
    if answer.get("status", "answered") != "answered":
        return []
    return list(answer.get("quotes") or [])


def shown_sources(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The sources an answer shows: the cited ones; all of them when it is the passages alone
    or the closest ones to a question the documents do not answer."""
    sources = list(answer.get("sources") or [])
    if answer.get("status", "answered") != "answered":
        return sources
    cited = set(answer.get("cited") or [])
    return [s for s in sources if s["number"] in cited]


def passage_parts(source: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """The cited passage as (text, is_focus) runs: the sentences that answer are the focus."""
    text = str(source.get("text", ""))
    base = int(source.get("char_start", 0))
    ranges = sorted(
        (max(0, int(a) - base), min(len(text), int(b) - base)) for a, b in source.get("focus") or []
    )
    parts: list[tuple[str, bool]] = []
    pos = 0
    for a, b in ranges:
        if b <= pos or a >= len(text):
            continue
        a = max(a, pos)
        if a > pos:
            parts.append((text[pos:a], False))
        parts.append((text[a:b], True))
        pos = b
    if pos < len(text):
        parts.append((text[pos:], False))
    return [(" ".join(t.split()), focus) for t, focus in parts if t.strip()]


def _answer_text(answer: Mapping[str, Any]) -> str:
    text = str(answer.get("text", "")).strip()
    if answer.get("status") == "no_model":
        return text.split("\n", 1)[0]  # the passages themselves follow as sources
    return text


def _sources_heading(answer: Mapping[str, Any]) -> str:
    status = answer.get("status", "answered")
    if status == "not_found":
        return "Closest passages"
    if status == "no_model":
        return "Passages"
    return "Sources"


def _stamp(info: ExportInfo, exchanges: Sequence[Exchange]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.exported_at))
    parts = [f"Exported from desktop-rag {__version__} on {when}"]
    if info.library:
        parts.append(f"library “{info.library}”")
    models = sorted({str(e.answer.get("model")) for e in exchanges if e.answer.get("model")})
    if models:
        parts.append("answered by " + ", ".join(models))
    return " · ".join(parts)


# --- Markdown ------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Text shown literally in Markdown: whitespace folded, every control character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _headings(several: bool) -> tuple[str, str, str]:
    """Markdown levels of (question and answer, sources, one source)."""
    return ("##", "###", "####") if several else ("##", "##", "###")


def to_markdown(exchanges: Sequence[Exchange], info: ExportInfo) -> str:
    """The exchanges as a Markdown document; the focus of each passage in bold."""
    lines = [f"# {_md(info.title)}", "", f"*{_md(_stamp(info, exchanges))}*", ""]
    several = len(exchanges) > 1
    top, mid, low = _headings(several)
    for i, ex in enumerate(exchanges, 1):
        answer = ex.answer
        lines += [f"{top} Question {i}" if several else f"{top} Question", "", _md(ex.question)]
        lines += ["", f"{mid if several else top} Answer", ""]
        lines.append(_md(_answer_text(answer)) or "*(no answer)*")
        for q in shown_quotes(answer):
            lines += ["", f"> “{_md(q['text'])}” \\[{q['number']}\\], {_md(_where(q))}"]
        if answer.get("status") == "cancelled":
            lines += ["", "*The answer was stopped before it was complete.*"]
        if answer.get("note"):
            lines += ["", f"*{_md(answer['note'])}*"]
        sources = shown_sources(answer)
        if sources:
            lines += ["", f"{mid} {_sources_heading(answer)}"]
        for s in sources:
            quote = " ".join(
                f"**{_md(text)}**" if focus else _md(text) for text, focus in passage_parts(s)
            )
            lines += [
                "",
                f"{low} \\[{s['number']}\\] {_md(s['title'])}, {_md(_where(s))}",
                "",
                f"File: `{str(s['path']).replace('`', '')}`",
                "",
                f"> {quote}",
            ]
        lines.append("")
        if several and i < len(exchanges):
            lines += ["---", ""]
    return "\n".join(lines)


# --- PDF -----------------------------------------------------------------------------------


def _h(text: str) -> str:
    return html.escape(" ".join(str(text).split()))


def _quote_html(source: Mapping[str, Any]) -> str:
    """The passage coloured as the viewer colours it: with focus sentences, they are strong
    and the rest faint; without, the whole passage is strong."""
    parts = passage_parts(source)
    has_focus = any(focus for _, focus in parts)
    rest = "context" if has_focus else "focus"
    return " ".join(
        f'<span class="{"focus" if focus else rest}">{_h(text)}</span>' for text, focus in parts
    )


def _where(item: Mapping[str, Any]) -> str:
    """Where a source or quote is: "page 4", or its location ("slide 3")."""
    return str(item.get("location") or f"page {int(item['page'])}")


def _page_image(source: Mapping[str, Any]) -> tuple[bytes | None, str]:
    """The highlighted page as PNG, or why there is none."""
    if source.get("kind") not in LAYOUT_KINDS:
        return None, "A text document has no page image; the passage is quoted above."
    path, page = str(source["path"]), int(source["page"])
    try:
        return render_highlighted_page(path, page, source, PAGE_DPI, frame=True), ""
    except Exception as exc:  # a moved, damaged or locked file costs its image, not the export
        log.info("no page image for %s: %s", Path(path).name, exc)
        if isinstance(exc, PermissionError):
            return None, "The page image could not be made: the file is locked by a password."
        return None, "The page image could not be made: the file was moved, deleted or damaged."


def to_pdf(
    exchanges: Sequence[Exchange],
    info: ExportInfo,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> bytes:
    """The exchanges as an A4 PDF: text, quoted passages, and each cited page as an image with
    the passage highlighted."""
    import pymupdf

    cancel = cancel or CancelToken()
    archive = pymupdf.Archive()
    total = sum(len(shown_sources(e.answer)) for e in exchanges)
    report = Progress(stage="export", files_total=total)
    body = [f"<h1>{_h(info.title)}</h1>", f'<p class="meta">{_h(_stamp(info, exchanges))}</p>']
    exhibits: list[str] = []
    several = len(exchanges) > 1
    top, mid, low = (f"h{len(level)}" for level in _headings(several))
    for i, ex in enumerate(exchanges, 1):
        answer = ex.answer
        answer_level = mid if several else top
        body.append(f"<{top}>{'Question ' + str(i) if several else 'Question'}</{top}>")
        body.append(f"<p>{_h(ex.question)}</p>")
        body.append(f"<{answer_level}>Answer</{answer_level}>")
        body.append(f"<p>{_h(_answer_text(answer)) or '<i>(no answer)</i>'}</p>")
        for q in shown_quotes(answer):
            body.append(
                f"<blockquote>“{_h(q['text'])}” [{int(q['number'])}], {_h(_where(q))}</blockquote>"
            )
        if answer.get("status") == "cancelled":
            body.append('<p class="note">The answer was stopped before it was complete.</p>')
        if answer.get("note"):
            body.append(f'<p class="note">{_h(answer["note"])}</p>')
        sources = shown_sources(answer)
        if sources:
            body.append(f"<{mid}>{_h(_sources_heading(answer))}</{mid}>")
        for s in sources:
            cancel.raise_if_cancelled()
            body += [
                f"<{low}>[{s['number']}] {_h(s['title'])}, {_h(_where(s))}</{low}>",
                f'<p class="file">{_h(s["path"])}</p>',
                f"<blockquote>{_quote_html(s)}</blockquote>",
            ]
            png, why = _page_image(s)
            if png is not None:
                name = f"page-{report.files_done}.png"
                archive.add(png, name)
                label = f"Question {i}, source [{s['number']}]" if several else f"[{s['number']}]"
                exhibits += [
                    f'<h3 class="exhibit">{label} {_h(s["title"])}, {_h(_where(s))}</h3>',
                    f'<p class="file">{_h(s["path"])}</p>',
                    f'<p><img src="{name}" width="{IMAGE_WIDTH_PT}"/></p>',
                ]
                body.append('<p class="file">The page, highlighted, follows at the end.</p>')
            else:
                body.append(f'<p class="missing">{_h(why)}</p>')
            report.files_done += 1
            if progress is not None:
                progress(report)
    body += exhibits  # each cited page whole, on a sheet of its own
    return _lay_out("\n".join(body), archive, info)


def _lay_out(body: str, archive: Any, info: ExportInfo) -> bytes:
    import pymupdf

    story = pymupdf.Story(html=f"<body>{body}</body>", user_css=_CSS, archive=archive)
    out = io.BytesIO()
    writer = pymupdf.DocumentWriter(out)
    page = pymupdf.Rect(*_PAGE)
    area = pymupdf.Rect(page.x0 + _MARGIN, page.y0 + _MARGIN, page.x1 - _MARGIN, page.y1 - _MARGIN)
    more = True
    while more:
        device = writer.begin_page(page)
        more, _ = story.place(area)
        story.draw(device)
        writer.end_page()
    writer.close()
    doc = pymupdf.open("pdf", out.getvalue())
    try:
        doc.set_metadata(
            {
                "title": info.title,
                "subject": "An answer with its sources, exported from desktop-rag",
                "creator": f"desktop-rag {__version__}",
                "producer": "PyMuPDF",
            }
        )
        return bytes(doc.tobytes(garbage=3, deflate=True))
    finally:
        doc.close()


# --- writing -------------------------------------------------------------------------------


def export_format(path: str | Path) -> str:
    """'markdown' or 'pdf' from the file name; a UserError for anything else."""
    kind = FORMATS.get(Path(path).suffix.lower())
    if kind is None:
        raise UserError(
            f"{Path(path).name}: an export is a .pdf or a .md file.",
            "End the file name with .pdf (with page images) or .md (text only).",
        )
    return kind


def export_exchanges(
    exchanges: Sequence[Exchange],
    path: str | Path,
    info: ExportInfo,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Write the exchanges to `path` (.pdf or .md), atomically; returns the path."""
    path = Path(path).expanduser().absolute()
    kind = export_format(path)
    if not exchanges:
        raise UserError("There is no answer to export yet.", "Ask a question first.")
    if not path.parent.is_dir():
        raise UserError(f"The folder {path.parent} does not exist.", "Choose another folder.")
    if kind == "pdf":
        data = to_pdf(exchanges, info, progress, cancel)
    else:
        data = to_markdown(exchanges, info).encode("utf-8")
    (cancel or CancelToken()).raise_if_cancelled()
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        known = as_user_error(exc)
        if known is not None:
            raise known from exc
        raise UserError(
            f"{path.name} could not be written ({exc.strerror or exc}).",
            "Choose a folder you can write to.",
        ) from exc
    log.info("exported %d exchange(s) as %s", len(exchanges), kind)
    return path


# --- in a child process --------------------------------------------------------------------


def _child_main(conn: Any, exchanges: list[Exchange], path: str, info: ExportInfo) -> None:
    def progress(p: Progress) -> None:
        conn.send(("progress", (p.files_done, p.files_total)))

    try:
        done = export_exchanges(exchanges, path, info, progress)
        conn.send(("done", str(done)))
    except UserError as exc:
        conn.send(("user-error", (exc.message, exc.hint)))
    except Exception as exc:
        conn.send(("bug", f"{type(exc).__name__}: {exc}"))


def export_in_child(
    exchanges: Sequence[Exchange],
    path: str | Path,
    info: ExportInfo,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """export_exchanges in a spawned process: PyMuPDF is not thread-safe and the window
    renders pages with it, so the window's thread never shares it; cancel ends the child."""
    export_format(path)
    cancel = cancel or CancelToken()
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child_main, args=(sender, list(exchanges), str(path), info), daemon=True
    )
    proc.start()
    sender.close()
    report = Progress(stage="export")
    try:
        while True:
            if cancel.cancelled:
                proc.terminate()
                raise Cancelled()
            if not receiver.poll(0.1):
                if not proc.is_alive() and not receiver.poll(0):
                    raise RuntimeError(f"the export process stopped (exit code {proc.exitcode})")
                continue
            try:
                kind, value = receiver.recv()
            except EOFError:
                raise RuntimeError(
                    f"the export process stopped (exit code {proc.exitcode})"
                ) from None
            if kind == "progress":
                report.files_done, report.files_total = value
                if progress is not None:
                    progress(report)
            elif kind == "done":
                return Path(value)
            elif kind == "user-error":
                raise UserError(*value)
            else:
                raise RuntimeError(f"the export failed: {value}")
    finally:
        receiver.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
