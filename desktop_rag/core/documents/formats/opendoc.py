"""Word-processor text that has no pages of its own: OpenDocument text (.odt, odfpy) and Rich
Text (.rtf, striprtf). Read as text with its headings, cut into pages of about 3,000
characters like a plain-text file."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from desktop_rag.core.documents.formats.office import check_odf, damaged
from desktop_rag.core.documents.loaders import (
    DocInfo,
    ParsedPage,
    ParseError,
    _short,
    clean_title,
    read_bytes,
    text_pages,
)


def open_odt(path: Path, data: bytes | None) -> tuple[DocInfo, Iterator[ParsedPage]]:
    source = check_odf(path, data)
    try:
        from odf import dc
        from odf.opendocument import load
        from odf.teletype import extractText

        doc = load(source)
        writer = _TextWriter()
        writer.walk(doc.text)
        titles = doc.meta.getElementsByType(dc.Title)
        meta_title = extractText(titles[0]) if titles else ""
    except Exception as exc:
        raise damaged(path, "OpenDocument text", exc, data) from exc
    text = writer.text()
    if not text.strip():
        raise ParseError("no-text", f"{path.name}: the document contains no text.")
    first = writer.headings[0][1] if writer.headings else ""
    pages = text_pages(text, writer.headings)
    info = DocInfo(title=clean_title(meta_title, path, first), kind="odt", page_count=len(pages))
    return info, iter(pages)


class _TextWriter:
    """An ODF text body as paragraphs, a line each, tables a row a line, and where each
    heading starts."""

    SKIP: ClassVar[set[str]] = {
        "tracked-changes",
        "sequence-decls",
        "variable-decls",
        "user-field-decls",
    }

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.headings: list[tuple[int, str]] = []

    def add(self, line: str, heading: bool = False) -> None:
        line = line.strip()
        if not line:
            return
        if heading:
            self.headings.append((self.size, " ".join(line.split())))
        self.lines.append(line)
        self.size += len(line) + 1

    def text(self) -> str:
        return "\n".join(self.lines)

    def walk(self, element: Any) -> None:
        from odf.teletype import extractText

        for node in element.childNodes:
            if node.nodeType != node.ELEMENT_NODE:
                continue
            name = node.qname[1]
            if name in self.SKIP:
                continue
            if name == "h":
                self.add(extractText(node), heading=True)
            elif name == "p":
                self.add(extractText(node))
            elif name == "table-row":
                cells = [
                    " ".join(extractText(c).split())
                    for c in node.childNodes
                    if c.nodeType == c.ELEMENT_NODE and c.qname[1] == "table-cell"
                ]
                self.add(" | ".join(cells) if any(cells) else "")
            else:  # lists, sections, tables, frames: what they hold, in order
                self.walk(node)


# --- RTF -----------------------------------------------------------------------------------

_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")
_TITLE = re.compile(rb"\{\\title\s*((?:[^{}\\]|\\[^{}])*)\}")


def open_rtf(path: Path, data: bytes | None) -> tuple[DocInfo, Iterator[ParsedPage]]:
    raw = read_bytes(path, data)
    if not raw.lstrip()[:5] == b"{\\rtf":
        raise ParseError("corrupt", f"{path.name}: this is not an RTF file.")
    encoding = _encoding(raw)
    from striprtf.striprtf import rtf_to_text

    try:
        # RTF is 7-bit: every other byte is escaped (\'hh, decoded with `encoding`, or \uN)
        text = rtf_to_text(raw.decode("latin-1"), encoding=encoding, errors="replace")
    except Exception as exc:
        raise ParseError(
            "corrupt", f"{path.name}: the RTF file is damaged ({_short(exc)})."
        ) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ParseError("no-text", f"{path.name}: the document contains no text.")
    meta_title = ""
    if m := _TITLE.search(raw[:65536]):
        try:
            meta_title = rtf_to_text("{\\rtf1 " + m.group(1).decode("latin-1") + "}", encoding)
        except Exception:
            meta_title = ""
    pages = text_pages(text)
    info = DocInfo(title=clean_title(meta_title, path), kind="rtf", page_count=len(pages))
    return info, iter(pages)


def _encoding(raw: bytes) -> str:
    """The code page the RTF's \\'hh bytes are in (\\ansicpg949: Korean), Windows-1252 if none."""
    m = _CODEPAGE.search(raw[:8192])
    if m:
        name = f"cp{int(m.group(1))}"
        try:
            codecs.lookup(name)
            return name
        except LookupError:
            pass
    return "cp1252"
