"""Where a passage is, said for citations when a page number says too little: a slide, a
sheet's rows. The label is stored with its page in English; `parse` gives its parts back so
the window can say it in its own language."""

from __future__ import annotations

import re

_SLIDE = re.compile(r"^slide (\d+)$")
_ROWS = re.compile(r"^Sheet '(.*)', rows? (\d+)(?:-(\d+))?$", re.S)


def slide(number: int) -> str:
    return f"slide {number}"


def rows(sheet: str, first: int, last: int) -> str:
    if first == last:
        return f"Sheet '{sheet}', row {first}"
    return f"Sheet '{sheet}', rows {first}-{last}"


def describe(page: int, label: str = "") -> str:
    """How a citation names the place: the page's label, else "p. N"."""
    return label or f"p. {page}"


def parse(label: str) -> tuple[str, tuple[str, ...]]:
    """('slide', (n,)), ('rows', (sheet, first, last)), or ('', (label,)) for any other."""
    if m := _SLIDE.match(label):
        return "slide", (m.group(1),)
    if m := _ROWS.match(label):
        return "rows", (m.group(1), m.group(2), m.group(3) or m.group(2))
    return "", (label,)
