"""The user guide: resources/user-guide.md laid out as a PDF, so the first library holds it
and a new user can ask it questions (with citations, like any document)."""

from __future__ import annotations

import hashlib
import io
import logging
import os
from pathlib import Path

from desktop_rag import __version__
from desktop_rag.core import config
from desktop_rag.core.fsutil import ensure_private_dir

log = logging.getLogger(__name__)

GUIDE_TITLE = "desktop-rag user guide"
GUIDE_FILE = "desktop-rag user guide.pdf"
_RENDERER = "1"  # bump when the layout below changes, so existing PDFs are rendered again
_PAGE = (0.0, 0.0, 595.0, 842.0)  # A4, in points
_MARGIN = 60.0
_CSS = """
body { font-family: sans-serif; font-size: 11pt; line-height: 1.35; }
h1 { font-size: 20pt; margin: 0 0 10pt 0; }
h2 { font-size: 14pt; margin: 16pt 0 4pt 0; }
p { margin: 0 0 7pt 0; }
ul { margin: 0 0 7pt 0; }
li { margin: 0 0 2pt 0; }
code { font-family: monospace; font-size: 10pt; }
"""


def guide_pdf_path() -> Path:
    """Where the rendered guide lives: the data folder's guide/ subfolder."""
    return config.data_dir() / "guide" / GUIDE_FILE


def is_guide(path: str | Path) -> bool:
    """Whether a document path is the rendered user guide."""
    return Path(path).name == GUIDE_FILE and Path(path).parent.name == "guide"


def markdown_to_html(text: str) -> str:
    """CommonMark to HTML, raw HTML in the source left as text."""
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": False}).render(text))


def _stamp(markdown: str) -> str:
    digest = hashlib.sha256(markdown.encode("utf-8")).hexdigest()[:16]
    return f"desktop-rag-guide {__version__} r{_RENDERER} {digest}"


def render_guide(markdown: str) -> bytes:
    """Lay the guide's Markdown out on A4 pages; the PDF's bytes, titled and stamped."""
    import pymupdf

    story = pymupdf.Story(html=markdown_to_html(markdown), user_css=_CSS)
    out = io.BytesIO()
    writer = pymupdf.DocumentWriter(out)
    page = pymupdf.Rect(*_PAGE)
    area = pymupdf.Rect(page.x0 + _MARGIN, page.y0 + _MARGIN, page.x1 - _MARGIN, page.y1 - _MARGIN)
    more = True
    while more:
        device = writer.begin_page(page)
        more, _ = story.place(area)
        story.draw(device)
        writer.end_page()
    writer.close()
    doc = pymupdf.open("pdf", out.getvalue())
    try:
        doc.set_metadata(
            {
                "title": GUIDE_TITLE,
                "author": "desktop-rag",
                "subject": "How to use desktop-rag",
                "keywords": _stamp(markdown),
                "creator": "desktop-rag",
                "producer": "PyMuPDF",
            }
        )
        return bytes(doc.tobytes(garbage=3, deflate=True))
    finally:
        doc.close()


def ensure_guide_pdf(markdown_path: Path) -> tuple[Path, bool]:
    """The guide as a PDF in the data folder, rendered again only when the Markdown or the
    app changed. Returns its path and whether it was (re)written."""
    markdown = Path(markdown_path).read_text(encoding="utf-8")
    target = guide_pdf_path()
    if _current_stamp(target) == _stamp(markdown):
        return target, False
    data = render_guide(markdown)
    ensure_private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    log.info("user guide rendered: %s (%d bytes)", target, len(data))
    return target, True


def _current_stamp(path: Path) -> str | None:
    if not path.exists():
        return None
    import pymupdf

    try:
        with pymupdf.open(path) as doc:
            return str((doc.metadata or {}).get("keywords") or "")
    except Exception:  # a damaged file is rendered again
        return None
