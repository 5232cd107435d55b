"""Pages to chunks: at most N model tokens, cut at sentence or paragraph ends, with overlap,
each remembering its page, its place in the page text and the rectangles to highlight."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop_rag.core.documents.loaders import ParsedPage

# A sentence ends at . ! ? (and their CJK forms) before whitespace; a paragraph at a blank line.
_BOUNDARY = re.compile(r"(?<=[.!?。！？])[\"'”’)\]]*\s+|\n\s*\n")
_HAS_WORD = re.compile(r"[^\W\d_]", re.UNICODE)

OVERLAP = 0.15


@dataclass
class ChunkDraft:
    page: int
    char_start: int
    char_end: int
    text: str
    token_count: int
    spans: list[list[float]]
    heading: str = ""  # the section heading the chunk sits under (searched, never shown)


def split_segments(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence or paragraph, whitespace trimmed."""
    segments: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        # closing quotes or brackets after the full stop stay with their sentence
        closing = len(m.group()) - len(m.group().lstrip("\"'”’)]"))
        _append_trimmed(text, start, m.start() + closing, segments)
        start = m.end()
    _append_trimmed(text, start, len(text), segments)
    return segments


def _append_trimmed(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


class Chunker:
    """Cuts pages into chunks that fit the embedding model; `count_tokens` is its tokenizer."""

    def __init__(
        self,
        count_tokens: Callable[[list[str]], list[int]],
        token_offsets: Callable[[str], list[tuple[int, int]]],
        max_tokens: int = 256,
        overlap: float = OVERLAP,
    ) -> None:
        self.count_tokens = count_tokens
        self.token_offsets = token_offsets
        self.budget = max_tokens - 2 - 4  # [CLS] and [SEP], and a margin for joins
        self.overlap_budget = int(self.budget * overlap)

    def chunk_page(self, page: ParsedPage, heading: str = "") -> list[ChunkDraft]:
        """The page's body cut into chunks; each knows the heading above its start (from this
        page, else `heading`, the last one of the pages before)."""
        text = page.text
        body_start, body_end = page.body if page.body is not None else (0, len(text))
        body = split_segments(text[body_start:body_end])
        spans = [(s + body_start, e + body_start) for s, e in body]
        segments = self._fit_segments(text, spans)
        if not segments:
            return []
        headings = sorted(page.headings)
        drafts: list[ChunkDraft] = []
        i = 0
        while i < len(segments):
            total = 0
            j = i
            while j < len(segments) and (total + segments[j][2] <= self.budget or j == i):
                total += segments[j][2]
                j += 1
            start, end = segments[i][0], segments[j - 1][1]
            chunk_text = text[start:end]
            if _HAS_WORD.search(chunk_text):
                drafts.append(
                    ChunkDraft(
                        page.number,
                        start,
                        end,
                        chunk_text,
                        total,
                        rects_for(page, start, end),
                        heading_at(headings, start, end, heading),
                    )
                )
            if j >= len(segments):
                break
            # step back over trailing segments that fit the overlap, but always move forward
            back, k = 0, j
            while k - 1 > i and back + segments[k - 1][2] <= self.overlap_budget:
                k -= 1
                back += segments[k][2]
            i = k
        return drafts

    def _fit_segments(
        self, text: str, spans: Sequence[tuple[int, int]]
    ) -> list[tuple[int, int, int]]:
        """Attach token counts; split any segment longer than the budget at its line ends (a
        table's rows), and a line still too long at token boundaries."""
        counts = self.count_tokens([text[s:e] for s, e in spans])
        out: list[tuple[int, int, int]] = []
        for (s, e), n in zip(spans, counts, strict=True):
            if n <= self.budget:
                out.append((s, e, n))
                continue
            lines = _lines(text, s, e)
            if len(lines) > 1:
                out.extend(self._fit_segments(text, lines))
                continue
            offsets = self.token_offsets(text[s:e])
            for t in range(0, len(offsets), self.budget):
                window = offsets[t : t + self.budget]
                ws, we = s + window[0][0], s + window[-1][1]
                if t + self.budget < len(offsets):  # end the piece at the next token's start
                    we = s + offsets[t + self.budget][0]
                out.append((ws, we, len(window)))
        return out


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = start
    for line in text[start:end].split("\n"):
        _append_trimmed(text, pos, pos + len(line), out)
        pos += len(line) + 1
    return out


def heading_at(headings: Sequence[tuple[int, str]], start: int, end: int, before: str = "") -> str:
    """The heading a chunk [start, end) sits under: the last one at or before its start; or,
    when there is none, one within its first lines (a page that opens with a title); else
    `before`, the heading in force at the end of the previous page."""
    current = ""
    for offset, text in headings:
        if offset > start:
            if not current and offset < min(end, start + 200):
                current = text
            break
        current = text
    return current or before


def last_heading(page: ParsedPage, before: str = "") -> str:
    """The heading in force at the end of the page (carried to the next page's chunks)."""
    return max(page.headings)[1] if page.headings else before


def rects_for(page: ParsedPage, start: int, end: int) -> list[list[float]]:
    """Line rectangles covering the words in [start, end): one per line, merged."""
    rects: list[list[float]] = []
    for ws, we, x0, y0, x1, y1 in page.words:
        if we <= start or ws >= end:
            continue
        if rects:
            last = rects[-1]
            same_line = abs(last[2] - y0) < 2.5 and abs(last[4] - y1) < 2.5 and x0 >= last[1] - 1
            if same_line:
                last[3] = max(last[3], x1)
                last[2] = min(last[2], y0)
                last[4] = max(last[4], y1)
                continue
        rects.append([page.number, x0, y0, x1, y1])
    return [[r[0], *(round(v, 1) for v in r[1:])] for r in rects]
