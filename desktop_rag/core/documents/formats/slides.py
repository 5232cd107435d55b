"""PowerPoint decks (.pptx, python-pptx): one page per slide, cited as "slide N": its title,
its text boxes, tables and groups from top to bottom, then its speaker notes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop_rag.core.documents import locations
from desktop_rag.core.documents.formats.office import damaged, ooxml_source
from desktop_rag.core.documents.loaders import DocInfo, ParsedPage, ParseError, clean_title

NOTES_HEADING = "Speaker notes:"


def open_pptx(
    path: Path, password: str | None, data: bytes | None
) -> tuple[DocInfo, Iterator[ParsedPage]]:
    source = ooxml_source(path, data, password, "PowerPoint")
    try:
        from pptx import Presentation

        deck = Presentation(source)
        slides = list(deck.slides)
    except Exception as exc:
        raise damaged(path, "PowerPoint", exc, data) from exc
    if not slides:
        raise ParseError("no-text", f"{path.name}: the presentation has no slides.")
    first_title = _title_of(slides[0])
    title = clean_title(deck.core_properties.title, path, first_title)
    info = DocInfo(title=title, kind="pptx", page_count=len(slides))
    return info, (_slide_page(n, slide, path) for n, slide in enumerate(slides, 1))


def _title_of(slide: Any) -> str:
    try:
        shape = slide.shapes.title
    except Exception:  # a layout without a title placeholder
        return ""
    return " ".join(shape.text_frame.text.split()) if shape is not None else ""


def _slide_page(number: int, slide: Any, path: Path) -> ParsedPage:
    try:
        title = _title_of(slide)
        title_id = slide.shapes.title.shape_id if title else None
        blocks = [title] if title else []
        for shape in _in_reading_order(slide.shapes):
            if shape.shape_id != title_id:
                blocks.extend(_shape_texts(shape))
        notes = ""
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
    except Exception as exc:
        raise ParseError(
            "corrupt", f"{path.name}: slide {number} is damaged ({type(exc).__name__})."
        ) from exc
    text = "\n\n".join(b for b in blocks if b)
    if notes:
        text = f"{text}\n\n{NOTES_HEADING}\n{notes}" if text else f"{NOTES_HEADING}\n{notes}"
    headings = [(0, title)] if title else []
    return ParsedPage(number, 0.0, 0.0, text, headings=headings, label=locations.slide(number))


def _in_reading_order(shapes: Any) -> list[Any]:
    """Top to bottom, then left to right (a shape without a position of its own last)."""
    return sorted(shapes, key=lambda s: (s.top is None, s.top or 0, s.left or 0))


def _shape_texts(shape: Any) -> list[str]:
    if getattr(shape, "shapes", None) is not None:  # a group: its members in order
        out: list[str] = []
        for member in _in_reading_order(shape.shapes):
            out.extend(_shape_texts(member))
        return out
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = []
        for row in shape.table.rows:
            cells = [" ".join(c.text.split()) for c in row.cells]
            if any(cells):
                rows.append(" | ".join(cells))
        return ["\n".join(rows)] if rows else []
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        lines = [p.text.strip() for p in shape.text_frame.paragraphs]
        text = "\n".join(line for line in lines if line)
        return [text] if text else []
    return []
