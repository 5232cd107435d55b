"""Sentences of a page as a reader sees them: a PDF's lines are joined where the text only
wrapped (a hyphen split across lines is healed), and cut where a sentence ends; a table row,
a heading or a list item stays a unit of its own. What the model reads and what a quote shows
are always whole units, never a line's fragment of a sentence."""

from __future__ import annotations

import re

# A full stop that does not end a sentence: "i.e.", "e.g.", "Dr.", "U.S.", "J. Smith", "et al.",
# "Fig. 3", "Eq. (2)", "Sec. 4", "No. 5".
_ABBREVIATION = re.compile(
    r"(?:\b(?:i\.e|e\.g|etc|vs|cf|al|approx|Mr|Mrs|Ms|Dr|Prof|St|No|Nos|Fig|Figs|Eq|Eqs|Sec|Secs|"
    r"Tab|Ch|Vol|pp|p|Inc|Ltd|Co|Corp|Jr|Sr|Gen|Col|Lt|Rev|Ref|Refs|approx|resp|incl|U\.S|U\.K)"
    r"|\b[A-Z])\.$",
    re.I,
)
_END = re.compile(r"[.!?。！？][\"'”’)\]]*(?=\s)|\n\s*\n")
_NUMBER_CELL = re.compile(r"(?<![\w.])[-−(]?[$€£₩]?\d[\d,.]*%?\)?(?![\w])")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_BRACKET_REFERENCE = re.compile(r"\s*\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]")
# Prefixes whose hyphen is part of the word when a line breaks after it ("non-\nparametric").
_KEEP_HYPHEN = {
    "non", "pre", "post", "multi", "self", "co", "semi", "anti", "cross", "inter", "intra",
    "sub", "well", "state", "end", "fine", "open", "low", "high", "long", "short", "real",
    "one", "two", "three", "four", "first", "second", "third", "top", "full", "half", "large",
    "small", "zero", "few", "single", "multiple", "in", "out", "over", "under", "up", "down",
}  # fmt: skip
MAX_UNIT = 600  # characters: a longer "sentence" (a table read as prose) is cut at its lines


def is_row(line: str) -> bool:
    """A line that reads as a table row: two or more numbers, and few words beside them."""
    cells = len(_NUMBER_CELL.findall(line))
    if re.search(r"[^\W\d_]{2}[.;:](?:\s|$)", line):
        return False  # a sentence ends in it: prose that mentions numbers
    return cells >= 2 and cells >= len(_WORD.findall(line)) / 3


_CONTENTS_LINE = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*|(?:Chapter|Appendix|Part|Section)\s+\w+:?|제\s*\d+\s*[장절])"
    r"\s+\S.*\s(?:\d{1,4}|[ivxlc]{1,6})$",
    re.I,
)


def is_contents_line(line: str) -> bool:
    """A line of a table of contents: a numbered heading and its page ("2.1 Tenets of Zero
    Trust 6"). It names a topic; it never answers a question about it."""
    line = " ".join(line.split())
    return bool(_CONTENTS_LINE.match(line)) and line[-2:-1] != "." and len(line) <= 160


_CELL = re.compile(r"[-−(]?[$€£₩]?\d[\d,.]*[%A-Za-z]{0,2}\)?|[-–—]")


def column_header(units: list[str], at: int) -> str:
    """The header of the table whose row is units[at]: the nearest line above its rows, when
    it reads as one (no sentence, not too long); '' when there is none."""
    k = at - 1
    while k >= 0 and is_row(units[k]):
        k -= 1
    if k < 0:
        return ""
    head = " ".join(units[k].split())
    if not head or head[-1] in ".;!?" or len(head.split()) > 24 or is_contents_line(head):
        return ""
    return head


def read_row(header: str, row: str) -> str:
    """A table row as a reader says it, each value beside its column: "Gorder w=5: pokec 79,
    …, sdarc 32488". When the header's words do not match the row's cells one for one, the
    header line and the row."""
    names, cells = header.split(), row.split()
    n = len(names)
    if 2 <= n < len(cells) and all(_CELL.fullmatch(c) for c in cells[-n:]):
        label = " ".join(cells[:-n])
        return f"{label}: " + ", ".join(f"{a} {v}" for a, v in zip(names, cells[-n:], strict=True))
    return f"{header}\n{row}"


def _is_heading_line(line: str, next_line: str, widest: int) -> bool:
    """A short line without a final stop, the next starting a new sentence (a section
    heading, a list item, a caption's label)."""
    text = line.strip()
    nxt = next_line.lstrip()
    if not text or text[-1] in ".,;:!?-–(" or (nxt and nxt[0].islower()):
        return False
    words = [w for w in text.split() if len(w) > 3 and w[0].isalpha()]
    titled = bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)
    return (titled and len(text.split()) <= 16) or len(text) <= 0.6 * widest


def _heads_columns(line: str, row: str) -> bool:
    """`line` names the columns of the table row after it: a word for each of its cells."""
    names, cells = line.split(), row.split()
    n = len(names)
    return (
        2 <= n < len(cells)
        and not any(ch.isdigit() for ch in line)
        and all(_CELL.fullmatch(c) for c in cells[-n:])
    )


def _soft_break(line: str, next_line: str, widest: int) -> bool:
    """True when the newline after `line` only wraps the text (the sentence goes on)."""
    if is_row(line):
        return False
    if is_row(next_line) and _heads_columns(line, next_line):
        return False
    if is_row(next_line) and not (len(line) >= 0.7 * widest and re.search(r"[\w,]$", line)):
        return False
    if _is_heading_line(line, next_line, widest):
        return False
    nxt = next_line.lstrip()
    if not nxt:
        return False
    # a bullet or numbered item begins a unit of its own
    return not re.match(r"^(?:[•▪◦●\-–*]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s", nxt)


def units(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence, table row or heading of `text`, whitespace trimmed.
    A sentence may span lines; a paragraph break always ends one."""
    out: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text):
        lines = _lines(text, block_start, block_end)
        widest = max((e - s for s, e in lines), default=0)
        # runs of lines joined by soft breaks, each then cut at sentence ends
        run_start = lines[0][0] if lines else block_start
        for i, (s, e) in enumerate(lines):
            last = i == len(lines) - 1
            if last or not _soft_break(text[s:e], text[lines[i + 1][0] : lines[i + 1][1]], widest):
                out += _sentences(text, run_start, e)
                if not last:
                    run_start = lines[i + 1][0]
    return out


def _blocks(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in re.finditer(r"\n\s*\n", text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in re.finditer(r"\n", text[start:end]):
        out.append((pos, start + m.start()))
        pos = start + m.end()
    out.append((pos, end))
    return [_trim(text, s, e) for s, e in out if text[s:e].strip()]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut text[start:end] (joined lines) at sentence ends."""
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _END.finditer(text, start, end):
        stop = m.end()
        before = text[pos:stop].rstrip("\"'”’)]")
        numbered = re.search(r"\d\.$", before) and _digit_follows(text, stop, end)
        if _ABBREVIATION.search(before) or numbered:
            continue
        nxt = text[stop:end].lstrip()
        if nxt and nxt[0].islower() and nxt[0].isascii():
            continue  # "... the U.S. and ...", "approx. five": a sentence starts with a capital
        spans.append(_trim(text, pos, stop))
        pos = stop
    if text[pos:end].strip():
        spans.append(_trim(text, pos, end))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if e - s > MAX_UNIT and "\n" in text[s:e]:
            out += _lines(text, s, e)  # too long for one sentence: a table read as prose
        elif e > s:
            out.append((s, e))
    return out


def _digit_follows(text: str, pos: int, end: int) -> bool:
    nxt = text[pos:end].lstrip()
    return bool(nxt) and nxt[0].isdigit()


def clean(text: str) -> str:
    """A unit as one line: wrapped lines joined, a word hyphenated across lines healed
    ("pas-\\nsage" -> "passage", "non-\\nparametric" stays)."""

    def heal(m: re.Match[str]) -> str:
        head, tail = m.group(1), m.group(2)
        if head.lower() in _KEEP_HYPHEN or head[-1].isdigit() or head.isupper():
            return f"{head}-{tail}"
        return head + tail

    text = re.sub(r"(\w+)-\s*\n\s*([a-z]\w*)", heal, text)
    return " ".join(text.split())


def without_references(text: str) -> str:
    """Text without bracketed reference numbers ("[12]", "[3, 4]"): in what the model reads
    they would look like the numbers of our own sources."""
    return _BRACKET_REFERENCE.sub("", text)
