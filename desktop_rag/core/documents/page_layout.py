"""A page's words in reading order: table rows as rows, columns one after another, headings
found, and the lines in the top and bottom margins set apart at the ends of the page text.

Works on MuPDF's word tuples (x0, y0, x1, y1, word, block, line, word_no) of one page only,
so the source viewer rebuilds exactly the same text (and offsets) from the same page. Which
margin lines are running headers and footers needs the neighbouring pages: `RunningLines`
decides that while the pages stream by."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

Position = tuple[int, int, float, float, float, float]

MARGIN = 0.08  # the top and bottom 8% of a page hold running headers, footers, page numbers
_MIN_COLUMN_LINES = 3  # prose lines on each side of a gutter before a page counts as columns
_HEADING_MAX_WORDS = 14
_NUMBERED_HEADING = re.compile(
    r"^(item|part|section|chapter|note|article|appendix|schedule)\s+[\dIVXivx]+[A-Za-z]?\b", re.I
)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_LEADER = re.compile(r"[.·…_]{4,}")  # dot leaders of a table of contents or a statement
_PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—(\[]?\s*(#|[ivxlc]+)\s*[-–—)\]]?(\s*(of|/)\s*#)?$", re.I)


@dataclass
class _Fragment:
    """One line of one MuPDF block: its words and their union rectangle."""

    words: list[tuple[float, float, float, float, str]]
    x0: float
    y0: float
    x1: float
    y1: float
    block: int

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 0.1)

    @property
    def text(self) -> str:
        return " ".join(w[4] for w in self.words)


@dataclass
class PageLayout:
    """The page text and each word's [start, end) and rectangle, with what the chunker needs:
    the body (the text between the top and bottom margin lines), the headings by offset, and
    the margin lines as (start, end, text), top ones first."""

    text: str
    positions: list[Position]
    body_start: int
    body_end: int
    headings: list[tuple[int, str]] = field(default_factory=list)
    head_lines: list[tuple[int, int, str]] = field(default_factory=list)
    foot_lines: list[tuple[int, int, str]] = field(default_factory=list)
    # headings among the top margin lines: they count when the line is not a running header
    head_headings: list[tuple[int, str]] = field(default_factory=list)


def layout_page(words: list, width: float, height: float) -> PageLayout:
    """Order a page's words for reading: margin lines at top, the body, margin lines at the
    bottom; within the body, column by column, and words at the same height joined as a row."""
    frags = _fragments(words)
    if not frags:
        return PageLayout("", [], 0, 0)
    head: list[_Fragment] = []
    foot: list[_Fragment] = []
    body: list[_Fragment] = []
    for f in frags:
        middle = (f.y0 + f.y1) / 2
        if height > 0 and middle < MARGIN * height:
            head.append(f)
        elif height > 0 and middle > (1 - MARGIN) * height:
            foot.append(f)
        else:
            body.append(f)
    writer = _Writer()
    line_height = statistics.median(f.height for f in frags)
    head_lines: list[tuple[int, int, str]] = []
    head_headings: list[tuple[int, str]] = []
    for row in _rows(sorted(head, key=_top_left)):
        writer.need("\n")
        head_lines.append(writer.row(row))
        start, _, text = head_lines[-1]
        if _is_heading(row, text, 0.0, top=True):  # a statement's title set high on the page
            head_headings.append((start, text))
    # a body set high or low on the page runs into the margin bands: a line there that sits
    # at the body's line spacing continues its paragraph ("… 유급" / "휴가를 받습니다.")
    writer.need("\n" if _runs_on(head, body, line_height) else "\n\n")
    body_start: int | None = None
    headings: list[tuple[int, str]] = []
    rows_written = 0
    for i, column in enumerate(_columns(body, width)):
        writer.need("\n\n" if i else "")
        previous: list[_Fragment] | None = None
        for row in _rows(column):
            if previous is not None:
                gap = min(f.y0 for f in row) - max(f.y1 for f in previous)
                writer.need("\n\n" if gap > 0.8 * line_height else "\n")
            start, _, text = writer.row(row)
            if body_start is None:
                body_start = start
            if _is_heading(row, text, line_height, top=rows_written < 3):
                headings.append((start, text))
            previous = row
            rows_written += 1
    body_end = writer.pos
    if body_start is None:
        body_start = body_end
    foot_lines: list[tuple[int, int, str]] = []
    writer.need("\n" if _runs_on(body, foot, line_height) else "\n\n")
    for row in _rows(sorted(foot, key=_top_left)):
        foot_lines.append(writer.row(row))
        writer.need("\n")
    return PageLayout(
        "".join(writer.parts),
        writer.positions,
        body_start,
        body_end,
        headings,
        head_lines,
        foot_lines,
        head_headings,
    )


def first_heading(words: list, width: float, height: float) -> str:
    """The most prominent line in the top half of a page (a title page's title), or ''."""
    frags = [f for f in _fragments(words) if height <= 0 or f.y1 < height / 2]
    if not frags:
        return ""
    body = statistics.median(f.height for f in frags)
    best = ""
    best_height = 0.0
    for row in _rows(frags):
        text = _row_text(row)
        tallest = max(f.height for f in row)
        n = len(text.split())
        if 1 <= n <= 15 and len(_LETTER.findall(text)) >= 3 and tallest > best_height:
            best, best_height = text, tallest
    return best if best_height >= 1.3 * body else ""


def page_text(words: list, width: float, height: float) -> tuple[str, list[Position]]:
    """The page text and word positions `layout_page` builds (for the viewer's highlights)."""
    layout = layout_page(words, width, height)
    return layout.text, layout.positions


class _Writer:
    """Appends rows of words to the page text, remembering where each word lands; the
    separator before a row is the strongest one asked for since the last row."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.positions: list[Position] = []
        self.pos = 0
        self.pending = ""

    def need(self, sep: str) -> None:
        if len(sep) > len(self.pending):
            self.pending = sep

    def row(self, row: list[_Fragment]) -> tuple[int, int, str]:
        """Write a row (its fragments left to right); returns (start, end, text)."""
        if self.pos and self.pending:
            self.parts.append(self.pending)
            self.pos += len(self.pending)
        self.pending = ""
        start = self.pos
        for frag in sorted(row, key=lambda f: f.x0):
            for x0, y0, x1, y1, word in frag.words:
                if self.pos > start:
                    self.parts.append(" ")
                    self.pos += 1
                self.parts.append(word)
                self.positions.append((self.pos, self.pos + len(word), x0, y0, x1, y1))
                self.pos += len(word)
        return start, self.pos, _row_text(row)


def _runs_on(above: list[_Fragment], below: list[_Fragment], line_height: float) -> bool:
    """The top line of `below` follows the bottom line of `above` at a paragraph's spacing."""
    if not above or not below:
        return False
    last = max(above, key=lambda f: f.y1)
    first = min(below, key=lambda f: f.y0)
    overlap = min(last.x1, first.x1) - max(last.x0, first.x0)
    return 0 <= first.y0 - last.y1 <= 0.8 * line_height and overlap > 0


def _row_text(row: list[_Fragment]) -> str:
    return " ".join(f.text for f in sorted(row, key=lambda f: f.x0))


def _top_left(f: _Fragment) -> tuple[float, float]:
    return (f.y0, f.x0)


def _fragments(words: list) -> list[_Fragment]:
    frags: dict[tuple[int, int], _Fragment] = {}
    for w in words:
        x0, y0, x1, y1, text = float(w[0]), float(w[1]), float(w[2]), float(w[3]), str(w[4])
        # "Net income......" reads as "Net income": each dot would cost the model a token
        text = _LEADER.sub("", text)
        if not text:
            continue
        key = (int(w[5]), int(w[6])) if len(w) > 6 else (0, len(frags))
        frag = frags.get(key)
        if frag is None:
            frags[key] = _Fragment([(x0, y0, x1, y1, text)], x0, y0, x1, y1, key[0])
        else:
            frag.words.append((x0, y0, x1, y1, text))
            frag.x0, frag.y0 = min(frag.x0, x0), min(frag.y0, y0)
            frag.x1, frag.y1 = max(frag.x1, x1), max(frag.y1, y1)
    return list(frags.values())


def _rows(frags: list[_Fragment]) -> list[list[_Fragment]]:
    """Fragments that share a baseline band, as rows top to bottom (a table row's label and
    its numbers, which MuPDF often puts in separate blocks)."""
    rows: list[list[_Fragment]] = []
    bands: list[tuple[float, float]] = []
    for f in sorted(frags, key=_top_left):
        if rows:
            top, bottom = bands[-1]
            overlap = min(bottom, f.y1) - max(top, f.y0)
            if overlap >= 0.5 * min(f.height, bottom - top):
                rows[-1].append(f)
                bands[-1] = (min(top, f.y0), max(bottom, f.y1))
                continue
        rows.append([f])
        bands.append((f.y0, f.y1))
    return rows


def _is_prose(f: _Fragment, width: float) -> bool:
    return len(f.words) >= 4 and (f.x1 - f.x0) >= 0.18 * width


def _gutters(frags: list[_Fragment], width: float) -> list[float]:
    """x positions of the empty strips between text columns (none on a one-column page)."""
    if width <= 0:
        return []
    prose = [f for f in frags if _is_prose(f, width)]
    if len(prose) < 2 * _MIN_COLUMN_LINES:
        return []
    step = width / 100
    free: list[float] = []
    for i in range(15, 86):
        x = i * step
        crossing = sum(1 for f in prose if f.x0 < x < f.x1)
        left = sum(1 for f in prose if f.x1 <= x)
        right = sum(1 for f in prose if f.x0 >= x)
        if (
            crossing <= 0.1 * len(prose)
            and left >= _MIN_COLUMN_LINES
            and right >= _MIN_COLUMN_LINES
        ):
            free.append(x)
    gutters: list[float] = []
    run: list[float] = []
    for x in free:
        if run and x - run[-1] > step * 1.5:
            gutters.append((run[0] + run[-1]) / 2)
            run = []
        run.append(x)
    if run:
        gutters.append((run[0] + run[-1]) / 2)
    return gutters


def _columns(frags: list[_Fragment], width: float) -> list[list[_Fragment]]:
    """The body as runs to read one after another: on a page with columns, each column of a
    band in turn (a line that spans a gutter, like a title, closes the band above it)."""
    gutters = _gutters(frags, width)
    if not gutters:
        return [frags] if frags else []
    out: list[list[_Fragment]] = []
    band: list[list[_Fragment]] = [[] for _ in range(len(gutters) + 1)]

    def flush() -> None:
        out.extend(list(col) for col in band if col)
        for col in band:
            col.clear()

    for f in sorted(frags, key=_top_left):
        if any(f.x0 < g < f.x1 for g in gutters):
            flush()
            out.append([f])
            continue
        band[sum(1 for g in gutters if f.x0 >= g)].append(f)
    flush()
    return out


def _is_heading(row: list[_Fragment], text: str, line_height: float, top: bool) -> bool:
    """A short line that stands out: numbered like "Item 7." or "Note 5", bigger than the
    body text, in capitals, or (among the first lines of the page) in title case; alone in
    its row but for other words (not a table's label), not a note in brackets or a sentence."""
    if any(not _LETTER.search(f.text) for f in row) or text.startswith(("(", "[", "$", "*")):
        return False  # a table row (a label and its numbers), a note in brackets
    words = text.split()
    if not 1 <= len(words) <= _HEADING_MAX_WORDS or text.rstrip().endswith((",", ";", ":")):
        return False
    if _NUMBERED_HEADING.match(text):
        return True
    if text.rstrip().endswith(".") or sum(c.isdigit() for c in text) > len(text) // 3:
        return False
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 4:
        return False
    if row[0].height >= 1.25 * line_height:
        return True
    if len(words) >= 2 and all(c.isupper() for c in letters):
        return True
    # "Consolidated Statements of Cash Flows" opening a page
    capitals = sum(1 for w in words if w[0].isupper())
    return top and len(words) >= 3 and capitals >= 0.6 * len(words)


# --- running headers and footers ---------------------------------------------------------------


def margin_key(text: str) -> str:
    """A margin line as compared across pages: numbers stand for any number."""
    return " ".join(_DIGITS.sub("#", text.lower()).split())


def is_page_number(text: str) -> bool:
    """'12', '- 12 -', 'Page 3 of 40', 'iv'."""
    return bool(_PAGE_NUMBER.match(margin_key(text)))


class RunningLines:
    """Counts margin lines over a document's pages: a line repeated on `min_pages` pages (its
    numbers aside), or a bare page number, is a running header or footer."""

    def __init__(self, min_pages: int = 3) -> None:
        self.min_pages = min_pages
        self.counts: Counter[str] = Counter()

    def add(self, layout: PageLayout) -> None:
        keys = {margin_key(t) for _, _, t in layout.head_lines + layout.foot_lines}
        self.counts.update(keys)

    def is_running(self, text: str) -> bool:
        return is_page_number(text) or self.counts[margin_key(text)] >= self.min_pages

    def body_range(self, layout: PageLayout) -> tuple[int, int]:
        """[start, end) of the page text to cut into chunks: without the running lines at its
        top and bottom (margin lines that are not running stay in)."""
        start, end = layout.body_start, layout.body_end
        running_head = [i for i, (_, _, t) in enumerate(layout.head_lines) if self.is_running(t)]
        if len(running_head) < len(layout.head_lines):
            # keep the margin lines below the last running one
            last = running_head[-1] if running_head else -1
            kept = layout.head_lines[last + 1 :]
            start = kept[0][0] if kept else start
        running_foot = [i for i, (_, _, t) in enumerate(layout.foot_lines) if self.is_running(t)]
        if len(running_foot) < len(layout.foot_lines):
            first = running_foot[0] if running_foot else len(layout.foot_lines)
            kept = layout.foot_lines[:first]
            end = kept[-1][1] if kept else end
        return start, end
