"""Document text and model output can neither inject HTML nor links into the chat."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtGui")

from PySide6.QtGui import QTextDocument

from desktop_rag.gui.chat_render import exchange_markdown

EVIL = (
    "Sure [1]. <script>alert(1)</script> <b>bold</b> [click](http://evil.example/x) "
    "![pixel](http://evil.example/p.png) <http://evil.example> see http://evil.example/y [7]"
)


def _links_and_images(markdown: str) -> tuple[list[str], list[str], str]:
    doc = QTextDocument()
    doc.setMarkdown(markdown, QTextDocument.MarkdownFeature.MarkdownNoHTML)
    links, images = [], []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            fmt = frag.charFormat()
            if fmt.isAnchor():
                links.append(fmt.anchorHref())
            if fmt.isImageFormat():
                images.append(fmt.toImageFormat().name())
            it += 1
        block = block.next()
    return links, images, doc.toPlainText()


def test_untrusted_text_renders_no_foreign_links_images_or_html():
    source = {
        "number": 1,
        "title": "<i>Title</i> [x](http://evil.example)",
        "page": 3,
        "text": "Passage <img src=http://evil.example/a.png> text",
    }
    answer = {"text": EVIL, "status": "answered", "sources": [source], "cited": [1]}
    links, images, text = _links_and_images(exchange_markdown(0, "<b>question</b>", answer))
    assert images == []
    assert links and all(href.startswith("cite:0:") for href in links)
    assert "<script>alert(1)</script>" in text  # shown as text, never run
    assert "[7]" in text  # a number with no source stays plain text
