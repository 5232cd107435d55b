"""Spreadsheets (.xlsx through openpyxl, .ods through odfpy): each sheet's rows, a few at a time,
one page per block, cited as "Sheet 'Budget', rows 12-30". The header row goes with every
block, so a passage from row 500 still says what its columns are: each row names its columns
("Item: centrifuge calibration; Amount (EUR): 7350."), which is also what the answering model
reads of it, and the header row is the heading every chunk of the sheet is searched with. A
block is sized to fit one chunk of the embedding model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from desktop_rag.core.documents import locations
from desktop_rag.core.documents.formats.office import check_odf, damaged, ooxml_source
from desktop_rag.core.documents.loaders import DocInfo, ParsedPage, ParseError, clean_title

BLOCK_TOKENS = 200  # estimated model tokens of a block (a chunk takes ~250; the estimate is high)
HEADER_LOOKAHEAD = 5  # non-empty rows among which the header row is looked for
MAX_REPEAT = 256  # an OpenDocument cell or row repeated more often is an empty filler
Row = tuple[int, list[str]]  # (row number as the spreadsheet shows it, cell texts)


def open_xlsx(
    path: Path, password: str | None, data: bytes | None
) -> tuple[DocInfo, Iterator[ParsedPage]]:
    source = ooxml_source(path, data, password, "Excel")
    try:
        import openpyxl

        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:
        raise damaged(path, "Excel", exc, data) from exc
    try:
        sheets = [(ws.title, list(_xlsx_rows(ws))) for ws in book.worksheets]
        title = book.properties.title
    except Exception as exc:
        raise damaged(path, "Excel", exc, data) from exc
    finally:
        book.close()
    return _document(path, "xlsx", sheets, title)


def _xlsx_rows(ws: Any) -> Iterator[Row]:
    ws.reset_dimensions()  # some writers record a wrong used range; read every row there is
    for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), 1):
        cells = [cell_text(v) for v in values]
        if any(cells):
            yield number, cells


def open_ods(path: Path, data: bytes | None) -> tuple[DocInfo, Iterator[ParsedPage]]:
    source = check_odf(path, data)
    try:
        from odf import dc
        from odf.opendocument import load
        from odf.table import Table
        from odf.teletype import extractText

        doc = load(source)
        sheets = [
            (str(t.getAttribute("name") or f"Sheet{i}"), list(_ods_rows(t)))
            for i, t in enumerate(doc.spreadsheet.getElementsByType(Table), 1)
        ]
        titles = doc.meta.getElementsByType(dc.Title)
        title = extractText(titles[0]) if titles else ""
    except ParseError:
        raise
    except Exception as exc:
        raise damaged(path, "OpenDocument spreadsheet", exc, data) from exc
    return _document(path, "ods", sheets, title)


def _ods_rows(table: Any) -> Iterator[Row]:
    from odf.table import TableRow

    number = 1
    for row in table.getElementsByType(TableRow):
        repeat = int(row.getAttribute("numberrowsrepeated") or 1)
        cells: list[str] = []
        for cell in row.childNodes:
            if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            value = _ods_value(cell)
            times = int(cell.getAttribute("numbercolumnsrepeated") or 1)
            cells.extend([value] * min(times, MAX_REPEAT))
        if any(cells):
            for k in range(min(repeat, MAX_REPEAT)):
                yield number + k, cells
        number += repeat


def _ods_value(cell: Any) -> str:
    from odf.teletype import extractText

    kind = cell.getAttribute("valuetype")
    if kind in ("float", "percentage", "currency"):
        try:
            return cell_text(float(cell.getAttribute("value")))
        except (TypeError, ValueError):
            pass
    elif kind == "date":
        value = str(cell.getAttribute("datevalue") or "")
        return value.removesuffix("T00:00:00")
    elif kind == "boolean":
        return "TRUE" if cell.getAttribute("booleanvalue") == "true" else "FALSE"
    paragraphs = [extractText(p) for p in cell.childNodes if p.qname[1] in ("p", "h")]
    return " ".join(" ".join(paragraphs).split())


def cell_text(value: Any) -> str:
    """A cell's value as text: numbers without a trailing .0, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.12g}"
    return " ".join(str(value).split())


def _document(
    path: Path, kind: str, sheets: list[tuple[str, list[Row]]], title: str | None
) -> tuple[DocInfo, Iterator[ParsedPage]]:
    pages: list[ParsedPage] = []
    for name, rows in sheets:
        for text, first, last, header in sheet_blocks(rows):
            heading = f"{name}: {header}" if header else name
            pages.append(
                ParsedPage(
                    len(pages) + 1,
                    0.0,
                    0.0,
                    text,
                    headings=[(0, heading)],
                    label=locations.rows(name, first, last),
                )
            )
    if not pages:
        raise ParseError("no-text", f"{path.name}: the spreadsheet's cells are all empty.")
    info = DocInfo(title=clean_title(title, path), kind=kind, page_count=len(pages))
    return info, iter(pages)


def sheet_blocks(rows: Iterable[Row]) -> Iterator[tuple[str, int, int, str]]:
    """A sheet's non-empty rows in blocks of about BLOCK_TOKENS: (text, first row, last row,
    header line). Under a header row, each row is a line that names its columns ("Item:
    centrifuge calibration; Amount (EUR): 7350."); rows above the header (a title) open the
    first block as they are; a sheet without a header has its rows' cells between bars."""
    rows = list(rows)
    head_at = _header_index(rows)
    if head_at is None:
        names: list[str] = []
        header, preamble, body = "", [], rows
    else:
        names = rows[head_at][1]
        header = _line(names)
        preamble = [_line(c) for _, c in rows[:head_at]]
        body = rows[head_at + 1 :]
    if head_at is not None and not body:  # a sheet of one row
        yield "\n".join([*preamble, header]), rows[0][0], rows[head_at][0], header
        return
    lines = list(preamble)
    first = rows[0][0] if preamble else 0
    last = 0
    cost = sum(_tokens(p) for p in preamble)
    for number, cells in body:
        line = _labelled(names, cells) if names else _line(cells)
        tokens = _tokens(line)
        if lines and cost + tokens > BLOCK_TOKENS:
            yield "\n".join(lines), first, last, header
            lines, cost = [], 0
        if not lines:
            first = number
        lines.append(line)
        last = number
        cost += tokens
    if lines:
        yield "\n".join(lines), first, last, header


def _labelled(names: list[str], cells: list[str]) -> str:
    """A row under a header: each filled cell with its column's name, ended as a sentence
    (so the row is a unit of its own where passages are cut, quoted and highlighted)."""
    parts = []
    for i, value in enumerate(cells):
        if value:
            name = names[i] if i < len(names) else ""
            parts.append(f"{name}: {value}" if name else value)
    line = "; ".join(parts)
    return line if line.endswith((".", "!", "?", "。")) else line + "."


def _header_index(rows: list[Row]) -> int | None:
    """The header row: among the first non-empty rows, the first with two or more cells, all
    text (not numbers or dates); None when no row looks like one."""
    for i, (_, cells) in enumerate(rows[:HEADER_LOOKAHEAD]):
        filled = [c for c in cells if c]
        if len(filled) >= 2 and all(not _is_number_or_date(c) for c in filled):
            return i
    return None


def _is_number_or_date(text: str) -> bool:
    stripped = text.replace(",", "").replace("-", "").replace(".", "").replace(":", "")
    return stripped.replace(" ", "").isdigit()


def _line(cells: list[str]) -> str:
    while cells and not cells[-1]:
        cells = cells[:-1]
    return " | ".join(cells)


def _tokens(text: str) -> float:
    """About how many model tokens `text` takes: a word piece per 3.5 Latin characters or
    digits, one per Hangul, kana or Han character (pessimistic for both models)."""
    wide = sum(1 for c in text if ord(c) > 0x2FF)
    return wide + (len(text) - wide) / 3.5 + 1
