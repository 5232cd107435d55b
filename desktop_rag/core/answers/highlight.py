"""Where and how a cited passage is highlighted on its page: the viewer paints it on screen and
an exported answer paints it into the page image, from the same rectangles and colours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# RGBA: the sentences that answer the question strongly, the rest of the cited passage faintly
FOCUS_RGBA = (255, 200, 0, 110)
CONTEXT_RGBA = (255, 200, 0, 40)
PAD_PIXELS = 1.0  # each rectangle grows by a pixel on every side, at whatever scale


def focus_rects(page: Any, number: int, focus: Sequence[Sequence[int]]) -> list[list[float]]:
    """Rectangles (PDF points) of the focus sentences, found again in the page's words: the
    same extraction that built the page text at indexing time. `page` is a PyMuPDF page."""
    if not focus:
        return []
    from desktop_rag.core.documents.chunking import rects_for
    from desktop_rag.core.documents.loaders import ParsedPage, page_words, words_to_text

    text, positions = words_to_text(
        page_words(page), float(page.rect.width), float(page.rect.height)
    )
    parsed = ParsedPage(number, 0.0, 0.0, text, positions)
    rects: list[list[float]] = []
    for start, end in focus:
        rects.extend(rects_for(parsed, int(start), int(end)))
    return rects


def page_highlights(
    page: Any, number: int, source: Mapping[str, Any]
) -> list[tuple[tuple[int, int, int, int], list[tuple[float, float, float, float]]]]:
    """What to paint on page `number` for a cited source: (RGBA, rectangles in PDF points)
    groups, painted in order. With focus sentences, the passage is faint and they are strong;
    without, the whole passage is strong. Nothing when the source is on another page."""
    if int(source.get("page", 0)) != number:
        return []
    spans = [
        (float(s[1]), float(s[2]), float(s[3]), float(s[4]))
        for s in source.get("spans", [])
        if int(s[0]) == number
    ]
    focus = [
        (float(r[1]), float(r[2]), float(r[3]), float(r[4]))
        for r in focus_rects(page, number, source.get("focus") or [])
    ]
    if focus:
        return [(CONTEXT_RGBA, spans), (FOCUS_RGBA, focus)]
    return [(FOCUS_RGBA, spans)]


def render_highlighted_page(
    path: str, number: int, source: Mapping[str, Any], dpi: float = 144.0, frame: bool = False
) -> bytes:
    """PNG of page `number` of the document at `path`, with the source's passage highlighted
    as the viewer shows it (`frame`: a thin grey edge, so a white page stands out on white
    paper). PyMuPDF's errors pass through (a file gone, damaged or locked)."""
    import numpy as np
    import pymupdf

    from desktop_rag.core.documents.parts import open_paged

    scale = dpi / 72.0
    with open_paged(path) as doc:  # a file, or an attachment inside one
        if doc.needs_pass:
            raise PermissionError("the file is protected by a password")
        page = doc.load_page(number - 1)
        groups = page_highlights(page, number, source)
        pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
    rows = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)
    image = rows[:, : pix.width * pix.n].reshape(pix.height, pix.width, pix.n).astype(np.float32)
    pad = PAD_PIXELS
    for rgba, rects in groups:
        alpha = rgba[3] / 255.0
        color = np.array(rgba[:3], dtype=np.float32)
        for x0, y0, x1, y1 in rects:
            # the viewer's QPainter fills the rectangle's pixels it covers: the same here
            left, top = max(0, int(x0 * scale - pad)), max(0, int(y0 * scale - pad))
            right = min(pix.width, int(np.ceil(x1 * scale + pad)))
            bottom = min(pix.height, int(np.ceil(y1 * scale + pad)))
            if right > left and bottom > top:
                area = image[top:bottom, left:right, :3]
                image[top:bottom, left:right, :3] = area * (1.0 - alpha) + color * alpha
    if frame:
        for edge in (image[0], image[-1], image[:, 0], image[:, -1]):
            edge[..., :3] = 150.0
    out = np.ascontiguousarray(np.rint(image).astype(np.uint8))
    painted = pymupdf.Pixmap(pymupdf.csRGB, pix.width, pix.height, out.tobytes(), False)
    return bytes(painted.tobytes("png"))
