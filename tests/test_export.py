"""Answers exported as evidence: real passages found by the real search in a generated PDF,
written as Markdown and as a PDF whose page image shows the passage highlighted."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from desktop_rag.core.answers import qa
from desktop_rag.core.answers.export import (
    Exchange,
    ExportInfo,
    exchanges_from_messages,
    export_exchanges,
    export_in_child,
    passage_parts,
)
from desktop_rag.core.answers.highlight import page_highlights
from desktop_rag.core.errors import Cancelled, UserError
from desktop_rag.core.tasks import CancelToken

QUESTION = "How long is the Harwick Bridge?"
# text as a reader copies it: ligatures such as "ﬃ" spelled out
PLAIN = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES
FACT = "The Harwick Bridge opened to traffic on 14 March 1887 and its total length is 412 metres."


@pytest.fixture
def bridge_answer(shared_library) -> dict:
    """The real search's sources for the question, cited by an answer as the model writes it."""
    found = qa.answer(shared_library, QUESTION, None)
    page12 = next(s for s in found.sources if s.page == 12)
    answer = dataclasses.replace(
        found,
        text="The Harwick Bridge is 412 metres long [1].",
        status="answered",
        sources=[dataclasses.replace(page12, number=1)],
        cited=[1],
        note="",
    )
    return answer.to_dict()


def test_the_pdf_holds_the_page_image_with_the_passage_highlighted(
    bridge_answer: dict, tmp_path: Path
):
    source = bridge_answer["sources"][0]
    assert source["focus"], "the search marks the sentence that answers"
    out = export_exchanges(
        [Exchange(QUESTION, bridge_answer)],
        tmp_path / "evidence.pdf",
        ExportInfo(title=QUESTION, library="Shared"),
    )
    with pymupdf.open(out) as doc:
        text = " ".join(" ".join(page.get_text(flags=PLAIN).split()) for page in doc)
        assert QUESTION in text and "The Harwick Bridge is 412 metres long [1]." in text
        assert "[1] Field Notes of Many Trades, page 12" in text
        assert FACT in text  # the quoted passage
        assert source["path"] in text
        images = [(page, info) for page in doc for info in page.get_images(full=True)]
        assert len(images) == 1
        page, info = images[0]
        pix = pymupdf.Pixmap(doc, info[0])
        shown_at = page.get_image_rects(info[0])[0]
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    assert shown_at.width > 300  # legible on the page, not a thumbnail

    with pymupdf.open(source["path"]) as original:
        cited = original[11]
        groups = page_highlights(cited, 12, source)
        scale = pix.width / cited.rect.width

    def covered(rects) -> np.ndarray:
        mask = np.zeros(image.shape[:2], dtype=bool)
        for x0, y0, x1, y1 in rects:
            mask[
                int(y0 * scale) - 1 : int(y1 * scale) + 2, int(x0 * scale) - 1 : int(x1 * scale) + 2
            ] = True
        return mask

    (_, context), (_, focus) = groups  # the passage faint, the sentence that answers strong
    passage, answering = covered(context), covered(focus)
    r, g, b = (image[..., i].astype(int) for i in range(3))
    strong = (r > 200) & (g > 150) & (b < 190) & (r - b > 60)
    faint = (r >= 250) & (g >= 235) & (b >= 195) & (b <= 235)
    assert strong[answering].mean() > 0.5, "the answering sentence is highlighted"
    assert faint[passage & ~answering].mean() > 0.3, "the rest of the passage is tinted"
    assert not (strong | faint)[~(passage | answering)].any(), "and nothing else is"


def test_markdown_quotes_the_passage_with_the_answering_sentence_in_bold(
    bridge_answer: dict, tmp_path: Path
):
    out = export_exchanges(
        [Exchange(QUESTION, bridge_answer)], tmp_path / "evidence.md", ExportInfo(title=QUESTION)
    )
    md = out.read_text(encoding="utf-8")
    assert "## Question\n\nHow long is the Harwick Bridge?" in md
    assert "The Harwick Bridge is 412 metres long \\[1\\]\\." in md
    assert "### \\[1\\] Field Notes of Many Trades, page 12" in md
    assert f"File: `{bridge_answer['sources'][0]['path']}`" in md
    bold = [t for t, focus in passage_parts(bridge_answer["sources"][0]) if focus]
    assert bold and FACT in " ".join(bold)
    assert "> " in md and "**The Harwick Bridge opened to traffic on 14 March 1887" in md


def test_a_whole_stored_chat_exports_every_question(shared_library, tmp_path: Path):
    from desktop_rag.core.library import Library

    first = qa.answer(shared_library, QUESTION, None)
    second = qa.answer(shared_library, "고용 휴가 규정은 며칠인가요?", None)
    with Library.create("Chats") as lib:
        saved = qa.save_exchange(lib.store, None, first)
        qa.save_exchange(lib.store, saved.chat_id, second)
        exchanges = exchanges_from_messages(lib.store.messages(saved.chat_id))
    assert [e.question for e in exchanges] == [QUESTION, "고용 휴가 규정은 며칠인가요?"]
    out = export_exchanges(exchanges, tmp_path / "chat.pdf", ExportInfo(title="Two questions"))
    with pymupdf.open(out) as doc:
        text = " ".join(" ".join(page.get_text(flags=PLAIN).split()) for page in doc)
        assert "Question 1" in text and "Question 2" in text
        assert "고용 휴가 규정은 며칠인가요?" in text  # Korean is laid out, not dropped
        assert sum(len(p.get_images()) for p in doc) >= 2


def test_a_moved_source_costs_its_image_not_the_export(bridge_answer: dict, tmp_path: Path):
    moved = {**bridge_answer["sources"][0], "path": str(tmp_path / "gone.pdf")}
    answer = {**bridge_answer, "sources": [moved]}
    out = export_exchanges(
        [Exchange(QUESTION, answer)], tmp_path / "e.pdf", ExportInfo(title=QUESTION)
    )
    with pymupdf.open(out) as doc:
        assert "the file was moved, deleted or damaged" in doc[0].get_text(flags=PLAIN)
    with pytest.raises(UserError, match=r"a \.pdf or a \.md file"):
        export_exchanges([Exchange(QUESTION, answer)], tmp_path / "e.docx", ExportInfo(title="x"))


def test_the_window_exports_in_a_child_process_with_progress_and_cancel(
    bridge_answer: dict, tmp_path: Path
):
    seen: list[tuple[int, int]] = []
    out = export_in_child(
        [Exchange(QUESTION, bridge_answer)] * 2,
        tmp_path / "child.pdf",
        ExportInfo(title=QUESTION),
        progress=lambda p: seen.append((p.files_done, p.files_total)),
    )
    assert out.exists() and seen[-1] == (2, 2)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        export_in_child(
            [Exchange(QUESTION, bridge_answer)], tmp_path / "no.pdf", ExportInfo(title="x"), None,
            cancel,
        )  # fmt: skip
    assert not (tmp_path / "no.pdf").exists()
