"""What a chunk is searched with besides its own text: the name of its document and the
section heading it sits under. A filing's table says "Net income ... 629,551" but not whose
or which year; its context says "ADOBE 2015 10-K" and "CONSOLIDATED STATEMENTS OF INCOME".

The context is never shown: the user sees the chunk's own text. The keyword index gets the
document label in its title column and the heading in its context column; the embedding
model reads `embedding_text(context, text)`, the one place that decides what it sees."""

from __future__ import annotations

import re
from pathlib import PurePath

MAX_PART_CHARS = 120  # a label or heading longer than this is cut: it costs chunk tokens
_FORM = re.compile(r"^(10|8|20|6|11)([KQF])$", re.I)  # SEC forms written without the dash
_PERIOD = re.compile(r"^((?:19|20)\d\d)(Q[1-4]|H[12]|FY)$", re.I)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_GENERIC_STEM = re.compile(
    r"^(document|untitled|scan|img|image|file|download|new|copy|page)[\W\d_]*$", re.I
)


def file_label(path: str) -> str:
    """What a file name says, as words: "3M_2018_10K.pdf" -> "3M 2018 10-K",
    "JPMORGAN_2022Q2_10Q.pdf" -> "JPMORGAN 2022 Q2 10-Q"; '' for names that say nothing
    ("scan0001.pdf", "document (2).pdf") and for documents that are not files."""
    if ":" in path and not re.match(r"^[A-Za-z]:[\\/]", path):  # beir:123, record:7
        return ""
    stem = PurePath(path.replace("\\", "/")).stem
    if _GENERIC_STEM.match(stem.strip()) or len(_LETTERS.findall(stem)) < 2:
        return ""
    words: list[str] = []
    for word in re.split(r"[_\s]+", stem):
        if not word:
            continue
        if m := _FORM.match(word):
            word = f"{m.group(1)}-{m.group(2).upper()}"
        elif m := _PERIOD.match(word):
            words.append(m.group(1))
            word = m.group(2).upper()
        words.append(word)
    return " ".join(words)[:MAX_PART_CHARS]


def document_label(title: str, path: str) -> str:
    """The document's title, followed by what its file name adds (company, year, form)."""
    title = " ".join(title.split())[:MAX_PART_CHARS]
    label = file_label(path)
    if not label:
        return title
    have = {w.lower() for w in re.findall(r"\w+", title)}
    if not title or all(w.lower() in have for w in re.findall(r"\w+", label)):
        return title or label
    return f"{title} ({label})"


def compose(label: str, heading: str) -> str:
    """A chunk's context as stored: the document label and the heading, a line each."""
    parts = [" ".join(p.split())[:MAX_PART_CHARS] for p in (label, heading)]
    return "\n".join(p for p in parts if p)


def embedding_text(context: str, text: str) -> str:
    """What the embedding model reads for a chunk: the context lines its text does not
    already open with, then the text. (A prefix a model needs, such as "passage: ", goes in
    front of what this returns.)"""
    if not context:
        return text
    opening = " ".join(text[: 2 * MAX_PART_CHARS + 80].split()).lower()
    lines = [line for line in context.split("\n") if line and line.lower() not in opening]
    return "\n".join([*lines, text]) if lines else text
