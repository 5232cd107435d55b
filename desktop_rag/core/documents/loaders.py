"""Files to pages of text, with the position of every word so a passage can be highlighted.

Runs inside the parser child process (see parser_process); nothing here touches the library."""

from __future__ import annotations

import codecs
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop_rag.core.documents.page_layout import (
    PageLayout,
    RunningLines,
    first_heading,
    layout_page,
    page_text,
)
from desktop_rag.core.errors import UserError

# Formats MuPDF lays out into pages with word positions.
LAYOUT_SUFFIXES = {
    ".pdf": "pdf",
    ".epub": "epub",
    ".xps": "xps",
    ".oxps": "xps",
    ".fb2": "fb2",
    ".mobi": "mobi",
    ".cbz": "cbz",
    ".svg": "svg",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    # images: OCR reads them (a TIFF may hold many pages)
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}
TEXT_SUFFIXES = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "txt",
    ".csv": "txt",
    ".log": "txt",
}
# Office and OpenDocument files, read as text (see formats/)
OFFICE_SUFFIXES = {
    ".docx": "docx",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".ods": "ods",
    ".odt": "odt",
    ".rtf": "rtf",
}
# E-mail: a message and its attachments, each a document; a mailbox holds many messages
MAIL_SUFFIXES = {".eml": "eml", ".msg": "msg", ".mbox": "mbox"}
SUPPORTED_SUFFIXES = {**LAYOUT_SUFFIXES, **TEXT_SUFFIXES, **OFFICE_SUFFIXES, **MAIL_SUFFIXES}

TEXT_PAGE_CHARS = 3000  # a "page" of a plain-text file, for citations and the viewer


class ParseError(UserError):
    """A file that cannot be read; `code` tells which kind of problem it is."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.code = code

    def __reduce__(self):
        return (ParseError, (self.code, self.message, self.hint))


@dataclass
class ParsedPage:
    """One page: its text, and for laid-out formats each word's [start, end) and rectangle."""

    number: int
    width: float
    height: float
    text: str
    words: list[tuple[int, int, float, float, float, float]] = field(default_factory=list)
    ocr: bool = False
    # [start, end) of the text to cut into chunks (None: all of it): running headers and
    # footers stay in the page text shown, but out of the chunks
    body: tuple[int, int] | None = None
    headings: list[tuple[int, str]] = field(default_factory=list)  # (offset, heading)
    # where the page is, for citations, when "p. N" says too little: "slide 3", "Sheet
    # 'Budget', rows 12-30" (see locations)
    label: str = ""


@dataclass
class DocInfo:
    title: str
    kind: str
    page_count: int
    repaired: bool = False  # the file was damaged; MuPDF rebuilt it and pages may be missing
    # A file may hold several documents (an e-mail and its attachments, a mailbox's
    # messages): the file's own comes first, `part` '', then each part with its name in the
    # file ("report.pdf", "message-3/report.pdf") and the part it belongs to (`parent`).
    part: str = ""
    parent: str = ""
    container: bool = False  # the file's own document may have no text (a mailbox)
    size: int = 0  # of a part: its bytes and their sha256
    sha256: str = ""


def kind_of(path: Path) -> str | None:
    """The document kind for a file name, or None when we cannot read that format."""
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


def open_pages(
    path: Path, password: str | None = None, data: bytes | None = None
) -> tuple[DocInfo, Iterator[ParsedPage]]:
    """Open a document: its info now, its pages lazily (a 5,000-page PDF never sits in memory).
    With `data`, the document is those bytes and `path` only names it (an attachment). Of a
    file that holds several documents, the file's own (an e-mail without its attachments)."""
    return next(open_documents(path, password, data))


def open_documents(
    path: Path, password: str | None = None, data: bytes | None = None
) -> Iterator[tuple[DocInfo, Iterator[ParsedPage]]]:
    """Every document in a file, the file's own first, then its parts (see DocInfo.part), each
    with its pages to read before asking for the next. A part that cannot be read comes with
    pages that raise its ParseError."""
    kind = kind_of(path)
    if kind is None:
        raise ParseError("unsupported", f"{path.name}: this file type is not supported.")
    if data is None:
        _check_readable(path)
    elif not data:
        raise ParseError("empty", f"{path.name}: the file is empty (0 bytes).")
    if kind in MAIL_SUFFIXES.values():
        from desktop_rag.core.documents.formats import mail

        yield from mail.open_mail(path, kind, data)
        return
    yield _open_one(path, kind, password, data)


def _check_readable(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise ParseError("missing", f"{path.name}: the file no longer exists.") from exc
    except PermissionError as exc:
        raise ParseError("unreadable", f"{path.name}: permission denied.") from exc
    if size == 0:
        raise ParseError("empty", f"{path.name}: the file is empty (0 bytes).")
    if not os.access(path, os.R_OK):
        raise ParseError(
            "unreadable", f"{path.name}: permission denied.", "Check the file's permissions."
        )


def _open_one(
    path: Path, kind: str, password: str | None, data: bytes | None
) -> tuple[DocInfo, Iterator[ParsedPage]]:
    from desktop_rag.core.documents.formats import opendoc, sheets, slides

    if kind in LAYOUT_SUFFIXES.values():
        return _open_layout(path, kind, password, data)
    if kind == "docx":
        return _open_docx(path, password, data)
    if kind == "pptx":
        return slides.open_pptx(path, password, data)
    if kind == "xlsx":
        return sheets.open_xlsx(path, password, data)
    if kind == "ods":
        return sheets.open_ods(path, data)
    if kind == "odt":
        return opendoc.open_odt(path, data)
    if kind == "rtf":
        return opendoc.open_rtf(path, data)
    return _open_text(path, kind, data)


def read_bytes(path: Path, data: bytes | None) -> bytes:
    """The document's bytes: `data` when given, else the file's."""
    if data is not None:
        return data
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise ParseError("unreadable", f"{path.name}: permission denied.") from exc
    except FileNotFoundError as exc:
        raise ParseError("missing", f"{path.name}: the file no longer exists.") from exc


# --- laid-out documents (PyMuPDF) --------------------------------------------------------


_GENERIC_TITLES = {
    "document",
    "untitled",
    "title",
    "none",
    "null",
    "unknown",
    "slide 1",
    "powerpoint presentation",
    "presentation",
}


def clean_title(meta_title: str | None, path: Path, first_heading: str = "") -> str:
    """The metadata title when it names something; else the first page's heading; else the
    file name. Producers fill the title with file names, "Document" or filing numbers."""
    t = " ".join((meta_title or "").split())
    if (
        len(re.findall(r"[^\W\d_]", t)) < 3
        or t.lower() in _GENERIC_TITLES
        or t.lower().startswith(("microsoft word", "untitled"))
        or re.search(r"\.(docx?|pptx?|xlsx?|odt|ods|rtf|pdf|tex|dvi|indd|qxd)$", t, re.I)
    ):
        return first_heading[:200] or path.stem
    return t


def _open_layout(
    path: Path, kind: str, password: str | None, data: bytes | None = None
) -> tuple[DocInfo, Iterator[ParsedPage]]:
    import pymupdf

    try:
        if data is not None:
            doc = pymupdf.open(stream=data, filetype=path.suffix.lstrip(".").lower() or kind)
        else:
            doc = pymupdf.open(path, filetype=kind if kind in ("html", "svg", "cbz") else None)
        if kind == "image":  # as a PDF of its pictures, which OCR reads like a scan's
            doc = pymupdf.open("pdf", doc.convert_to_pdf())
    except Exception as exc:  # MuPDF raises its own types for broken files
        raise _unreadable(path, kind, exc, data) from exc
    if doc.needs_pass:
        if not password:
            raise ParseError(
                "encrypted",
                f"{path.name}: this PDF is protected by a password.",
                "Give the password (GUI: you will be asked; CLI: --password).",
            )
        if not doc.authenticate(password):
            raise ParseError(
                "wrong-password", f"{path.name}: the password is wrong.", "Try the password again."
            )
    try:
        count = doc.page_count
    except Exception as exc:
        raise ParseError("corrupt", f"{path.name}: the file is damaged ({_short(exc)}).") from exc
    if count == 0:
        raise ParseError("corrupt", f"{path.name}: the document has no pages.")
    title = clean_title((doc.metadata or {}).get("title"), path, _first_page_heading(doc))
    repaired = bool(getattr(doc, "is_repaired", False))
    info = DocInfo(title=title, kind=kind, page_count=count, repaired=repaired)
    return info, _layout_pages(doc, path)


def _first_page_heading(doc) -> str:
    try:
        page = doc.load_page(0)
        words = page_words(page)
        return first_heading(words, float(page.rect.width), float(page.rect.height))
    except Exception:  # a damaged first page is reported when the pages are read
        return ""


def _unreadable(path: Path, kind: str, exc: Exception, data: bytes | None = None) -> ParseError:
    """Say whether a file MuPDF cannot open is damaged or not that format at all."""
    if kind == "image":
        return ParseError(
            "corrupt",
            f"{path.name}: the image is damaged (truncated or corrupted) or not really a "
            f"{path.suffix.lstrip('.').upper()} file ({_short(exc)}).",
        )
    if kind == "pdf":
        try:
            if data is not None:
                head = data[:1024]
            else:
                with open(path, "rb") as f:
                    head = f.read(1024)
        except OSError:
            head = b"%PDF"
        if b"%PDF" not in head:
            return ParseError(
                "corrupt",
                f"{path.name}: this is not a PDF: the name ends in .pdf but the content is "
                "something else.",
            )
        return ParseError(
            "corrupt",
            f"{path.name}: the PDF is damaged (truncated or corrupted) and cannot be repaired.",
            "Download or copy the file again.",
        )
    return ParseError(
        "corrupt", f"{path.name}: the file is damaged or not a real {kind.upper()} ({_short(exc)})."
    )


def page_words(page) -> list:
    """A MuPDF page's words as indexed: ligatures (ﬁ, ﬂ) spelled out as letters, since the
    embedding model does not know them. The viewer extracts them the same way."""
    import pymupdf

    flags = pymupdf.TEXTFLAGS_WORDS & ~pymupdf.TEXT_PRESERVE_LIGATURES
    words = list(page.get_text("words", sort=False, flags=flags))
    if any(_RUN_ON.search(w[4]) for w in words):
        words = _words_by_gaps(page, flags)
    return _without_vertical_lines(words)


def _without_vertical_lines(words: list) -> list:
    """The words, less the lines set upright in a margin ("arXiv:2005.11401v4 [cs.CL]", "This
    publication is available free of charge from ..."): read in the page's reading order they
    would cut into the sentences beside them."""
    upright: dict[tuple[int, int], list[int]] = {}
    for w in words:
        if len(w[4]) >= 3:
            counts = upright.setdefault((w[5], w[6]), [0, 0])
            counts[0] += (w[3] - w[1]) > 1.3 * (w[2] - w[0])
            counts[1] += 1
    dropped = {key for key, (up, n) in upright.items() if up and 2 * up >= n}
    return [w for w in words if (w[5], w[6]) not in dropped] if dropped else words


# A "word" no language writes: Korean PDFs made by XeLaTeX (and some other tools) space their
# words by moving the pen instead of writing a space, and MuPDF then reads a whole line as one.
_RUN_ON = re.compile(r"[\uac00-\ud7a3]{10,}|[^\W\d_]{40,}")
WORD_GAP_EM = 0.15  # a gap this wide (in font sizes) between two glyphs is a space


def _words_by_gaps(page, flags: int) -> list:
    """The page's words as MuPDF's "words" gives them, also cut where the pen moved a space's
    width between two glyphs without writing one."""
    out: list = []
    raw = page.get_text("rawdict", sort=False, flags=flags)
    for b, block in enumerate(raw["blocks"]):
        for n, line in enumerate(block.get("lines", ())):
            words: list[list] = [[]]
            for span in line["spans"]:
                gap = WORD_GAP_EM * float(span["size"])
                for ch in span["chars"]:
                    if ch["c"].isspace():
                        words.append([])
                        continue
                    if words[-1] and ch["bbox"][0] - words[-1][-1]["bbox"][2] > gap:
                        words.append([])
                    words[-1].append(ch)
            for count, word in enumerate(w for w in words if w):
                x0, y0 = min(c["bbox"][0] for c in word), min(c["bbox"][1] for c in word)
                x1, y1 = max(c["bbox"][2] for c in word), max(c["bbox"][3] for c in word)
                out.append((x0, y0, x1, y1, "".join(c["c"] for c in word), b, n, count))
    return out


def _layout_pages(doc, path: Path) -> Iterator[ParsedPage]:
    running = RunningLines()
    # pages wait here until the pages after them show which margin lines repeat
    waiting: deque[tuple[ParsedPage, PageLayout]] = deque()
    try:
        for index in range(doc.page_count):
            try:
                page = doc.load_page(index)
                words = page_words(page)
                ocr = False
                if not words and ocr_languages() and page.get_images():
                    words, ocr = _ocr_words(page), True
            except Exception as exc:
                raise ParseError(
                    "corrupt", f"{path.name}: page {index + 1} is damaged ({_short(exc)})."
                ) from exc
            rect = page.rect
            layout = layout_page(words, float(rect.width), float(rect.height))
            running.add(layout)
            parsed = ParsedPage(
                index + 1,
                float(rect.width),
                float(rect.height),
                layout.text,
                layout.positions,
                ocr=ocr,
                headings=layout.headings,
            )
            waiting.append((parsed, layout))
            if len(waiting) > RUNNING_LOOKAHEAD:
                yield _with_body(*waiting.popleft(), running)
        while waiting:
            yield _with_body(*waiting.popleft(), running)
    finally:
        doc.close()


RUNNING_LOOKAHEAD = 8  # pages read ahead to see a running header repeat


def _with_body(page: ParsedPage, layout: PageLayout, running: RunningLines) -> ParsedPage:
    page.body = running.body_range(layout)
    kept = [h for h in layout.head_headings if h[0] >= page.body[0]]
    page.headings = kept + page.headings
    return page


def ocr_languages() -> str:
    """Tesseract languages usable for OCR ('kor+eng'), or '' when Tesseract is missing."""
    global _OCR_LANGS
    if _OCR_LANGS is None:
        _OCR_LANGS = _find_ocr_languages()
    return _OCR_LANGS


_OCR_LANGS: str | None = None
OCR_HINT = (
    "Install Tesseract with Korean and English data (Debian/Ubuntu: "
    "apt-get install tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng) and add the file again."
)


def _find_ocr_languages() -> str:
    import shutil

    if not shutil.which("tesseract"):
        return ""
    candidates = [os.environ.get("TESSDATA_PREFIX", "")]
    candidates += [str(p) for p in sorted(Path("/usr/share/tesseract-ocr").glob("*/tessdata"))]
    candidates += [
        "/usr/share/tessdata",
        "/usr/local/share/tessdata",
        "/opt/homebrew/share/tessdata",
    ]
    for folder in filter(None, candidates):
        have = {p.stem for p in Path(folder).glob("*.traineddata")}
        langs = [lang for lang in ("kor", "eng") if lang in have]
        if langs:
            os.environ["TESSDATA_PREFIX"] = folder
            return "+".join(langs)
    return ""


def _ocr_words(page) -> list:
    textpage = page.get_textpage_ocr(language=ocr_languages(), dpi=200, full=True)
    return list(page.get_text("words", textpage=textpage, sort=False))


def words_to_text(
    words: list, width: float = 0.0, height: float = 0.0
) -> tuple[str, list[tuple[int, int, float, float, float, float]]]:
    """MuPDF words as page text in reading order (see page_layout), and where each word sits
    in the text; the same function builds the indexed text and the viewer's highlights."""
    return page_text(words, width, height)


# --- plain text ----------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Bytes of a text file to str: BOMs, UTF-8, then a detected legacy encoding (EUC-KR...)."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    sample = data[:200_000]
    # UTF-16 without a BOM: every other byte is NUL for Latin text (and NULs are valid UTF-8)
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return data.decode("utf-16-le", errors="replace")
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return data.decode("utf-16-be", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _decode_legacy(data, sample)


def _decode_legacy(data: bytes, sample: bytes) -> str:
    # CP949 (a superset of EUC-KR) pairs rarely decode by accident: trust it when it yields Hangul.
    try:
        text = data.decode("cp949")
        non_ascii = [c for c in text if ord(c) > 127]
        hangul = sum(1 for c in non_ascii if "\uac00" <= c <= "\ud7af")
        if non_ascii and hangul >= len(non_ascii) / 2:
            return text
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    results = list(charset_normalizer.from_bytes(sample))
    if not results:
        encoding = "cp1252"
    else:
        best = results[0]
        encoding = best.encoding
        # Short Western texts fit many single-byte code pages equally well; Windows-1252
        # (Latin-1's superset) is by far the likeliest of those.
        if any(m.encoding == "cp1252" and m.chaos <= best.chaos + 0.1 for m in results):
            encoding = "cp1252"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


def paginate_text(text: str, page_chars: int = TEXT_PAGE_CHARS) -> list[str]:
    """Cut a long text into pages at paragraph, line or word boundaries."""
    pages: list[str] = []
    start = 0
    n = len(text)
    while start < n:
        end = min(start + page_chars, n)
        if end < n:
            window = text[start:end]
            cut = max(window.rfind("\n\n"), window.rfind("\n"))
            if cut < page_chars // 2:
                cut = max(cut, window.rfind(" "), window.rfind("。"), window.rfind("."))
            if cut >= page_chars // 2:
                end = start + cut + 1
        pages.append(text[start:end])
        start = end
    return pages


def _open_text(
    path: Path, kind: str, raw: bytes | None = None
) -> tuple[DocInfo, Iterator[ParsedPage]]:
    data = read_bytes(path, raw)
    if b"\x00" in data[:4096] and not (
        data[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(data)
    ):
        raise ParseError("corrupt", f"{path.name}: this looks like a binary file, not text.")
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ParseError("no-text", f"{path.name}: the file contains no text.")
    pages = paginate_text(text)
    title = path.stem
    if kind == "markdown":
        m = re.search(r"^#\s+(.+)$", text, re.M)
        if m:
            title = m.group(1).strip()[:200]
    info = DocInfo(title=title, kind=kind, page_count=len(pages))
    return info, (ParsedPage(i + 1, 0.0, 0.0, p) for i, p in enumerate(pages))


def text_pages(
    text: str, headings: Iterable[tuple[int, str]] = (), label: str = ""
) -> list[ParsedPage]:
    """A text cut into pages of about TEXT_PAGE_CHARS, each with the headings (offset in the
    whole text, heading) that fall on it, and `label` (plus ", p. N" when there are several)."""
    pages: list[ParsedPage] = []
    marks = sorted(headings)
    offset = 0
    chunks = paginate_text(text)
    for number, chunk in enumerate(chunks, 1):
        end = offset + len(chunk)
        on_page = [(o - offset, h) for o, h in marks if offset <= o < end]
        where = label and (f"{label}, p. {number}" if len(chunks) > 1 else label)
        pages.append(ParsedPage(number, 0.0, 0.0, chunk, headings=on_page, label=where))
        offset = end
    return pages


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4096]
    return sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4


# --- DOCX ----------------------------------------------------------------------------------


def _open_docx(
    path: Path, password: str | None, data: bytes | None
) -> tuple[DocInfo, Iterator[ParsedPage]]:
    from desktop_rag.core.documents.formats.office import damaged, ooxml_source

    source = ooxml_source(path, data, password, "Word")
    try:
        import docx

        document = docx.Document(source)
    except Exception as exc:
        raise damaged(path, "Word", exc, data) from exc
    sections: list[list[str]] = [[]]
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
            sections[-1].append(text)
            if child.find(".//{*}sectPr") is not None:  # this paragraph ends a section
                sections.append([])
        elif tag == "tbl":
            for row in child.iter("{*}tr"):
                cells = [
                    "".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                    for cell in row.iter("{*}tc")
                ]
                sections[-1].append(" | ".join(c.strip() for c in cells))
    texts = ["\n".join(s).strip() for s in sections]
    texts = [t for t in texts if t]
    if not texts:
        raise ParseError("no-text", f"{path.name}: the document contains no text.")
    core_title = (document.core_properties.title or "").strip()
    info = DocInfo(title=core_title or path.stem, kind="docx", page_count=len(texts))
    return info, (ParsedPage(i + 1, 0.0, 0.0, t) for i, t in enumerate(texts))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
