"""Every new format through the real pipeline and the bundled models: ingested beside damaged
and locked files, found by search, cited where it is (slide N, a sheet's rows, an e-mail's
sender, date and subject, an attachment's page), kept consistent with its e-mail when the
e-mail changes, moves or goes, and shown by the viewer."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import docgen
import pytest

from desktop_rag.core.answers import qa
from desktop_rag.core.answers.highlight import render_highlighted_page
from desktop_rag.core.documents.loaders import ocr_languages
from desktop_rag.core.indexing.watch import sync_folder
from desktop_rag.core.library import Library

SPEC_PAGES = ["The harbour crane spec, page one.", "The harbour crane lifts at most 62 tonnes."]


def _folder(d: Path) -> Path:
    """A folder of every format, and of files that cannot be read."""
    docgen.make_pptx(
        d / "pump-review.pptx",
        [
            ("Quarterly pump review", "Pressure stays low.\n|Pump|Limit\n|P-7|40 bar", ""),
            ("Spare parts", "The seals of pump P-9 are replaced before winter.",
             "Tell everyone that the spare impeller arrives in June from Kassel."),
        ],
    )  # fmt: skip
    docgen.make_xlsx(d / "budget.xlsx", {"Budget": docgen.budget_rows(600)})
    docgen.make_ods(
        d / "stock.ods", {"Stock": [["Part", "Count", "Shelf"], ["brass washer", 35, "C2"]]}
    )
    docgen.make_odt(
        d / "minutes.odt",
        ["# Board minutes", "The board approved the greenhouse heating plan for 2025."],
    )
    docgen.make_rtf(
        d / "memo.rtf", ["The canteen café reopens on Monday with a new espresso machine."]
    )
    docgen.text_image(d / "receipt.png", ["Hardware store receipt", "Ladder rental 35 euros"])
    spec = docgen.make_pdf(d.parent / "spec.pdf", SPEC_PAGES).read_bytes()
    locked = docgen.encrypt_office(
        docgen.make_xlsx(d.parent / "pay.xlsx", {"Pay": [["Name", "Salary"], ["Ann", 5100]]}),
        d.parent / "locked-pay.xlsx",
        "pw",
    ).read_bytes()
    (d / "crane.eml").write_bytes(
        docgen.make_eml(
            "Crane limits",
            "Hi Bob,\nthe crane spec is attached.\nAlice",
            attachments=[("crane-spec.pdf", spec), ("pay.xlsx", locked), ("setup.exe", b"MZ")],
        )
    )
    docgen.make_msg(
        d / "valve.msg",
        "Valve colour",
        "The new valve handles are painted signal green.",
        sender_name="Dora Weiss",
        sender_email="dora@example.com",
        attachments=[("valve-notes.txt", b"Valve supplier: Hoffmann GmbH in Kassel.")],
    )
    docgen.make_mbox(
        d / "archive.mbox",
        [
            docgen.make_eml("Lunch", "Lunch is at noon on Friday."),
            docgen.make_eml(
                "Parking",
                "The parking garage closes at 22:00 from next week.",
                sender="Carol Jung <carol@example.com>",
                date="Mon, 11 Mar 2024 09:30:00 +0100",
            ),
        ],
    )
    shutil.copy(d.parent / "locked-pay.xlsx", d / "salaries.xlsx")
    deck = (d / "pump-review.pptx").read_bytes()
    (d / "cut.pptx").write_bytes(deck[: len(deck) // 3])
    return d


@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory):
    """The folder ingested once into a library of its own (real models)."""
    home = tmp_path_factory.mktemp("formats-home")
    folder = tmp_path_factory.mktemp("formats") / "docs"
    folder.mkdir()
    _folder(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DESKTOP_RAG_HOME", str(home))
        with Library.create("Formats") as lib:
            report = lib.ingest([folder])
        lib = Library.open("Formats", readonly=True)
        yield lib, report, folder
        lib.close()


def _outcomes(report) -> dict[str, tuple[str, str, str]]:
    return {Path(o.path).name: (o.status, o.code, o.message) for o in report.outcomes}


def test_the_batch_goes_on_past_damaged_and_locked_files(formats):
    lib, report, _ = formats
    outcomes = _outcomes(report)
    for name in (
        "pump-review.pptx", "budget.xlsx", "stock.ods", "minutes.odt", "memo.rtf", "crane.eml",
        "valve.msg", "archive.mbox",
    ):  # fmt: skip
        assert outcomes[name][0] == "added", (name, outcomes[name])
    assert outcomes["salaries.xlsx"] == (
        "failed",
        "encrypted",
        "salaries.xlsx: this Excel file is protected by a password. Give the password "
        "(GUI: you will be asked; CLI: --password).",
    )
    status, code, message = outcomes["cut.pptx"]
    assert (status, code) == ("failed", "corrupt")
    assert message.startswith("cut.pptx: the file is damaged (truncated or corrupted)")
    # a locked attachment fails alone, named with its e-mail; the e-mail and its PDF are in
    status, code, message = outcomes["crane.eml#pay.xlsx"]
    assert (status, code) == ("failed", "attachment")
    assert message == (
        "crane.eml: attachment pay.xlsx: this Excel file is protected by a password. Save the "
        "attachment from the message and add it on its own, with its password."
    )
    assert len(lib.vectors) == lib.store.chunk_count()


def test_attachments_and_messages_are_documents_linked_to_their_message(formats):
    lib, _, folder = formats
    files = {Path(d["path"]).name: d for d in lib.store.documents()}
    parts = {d["path"].split("#", 1)[1]: d for d in lib.store.parts()}
    crane, valve, box = files["crane.eml"], files["valve.msg"], files["archive.mbox"]
    assert crane["title"] == "Crane limits — Alice Kim, 2024-03-05"
    assert valve["title"] == "Valve colour — Dora Weiss, 2024-03-05"
    spec = parts["crane-spec.pdf"]
    assert (spec["parent_id"], spec["kind"], spec["page_count"], spec["status"]) == (
        crane["id"], "pdf", 2, "ready",
    )  # fmt: skip
    assert spec["path"] == f"{folder / 'crane.eml'}#crane-spec.pdf"
    assert (parts["pay.xlsx"]["status"], parts["pay.xlsx"]["parent_id"]) == ("failed", crane["id"])
    assert "setup.exe" not in parts
    assert parts["valve-notes.txt"]["parent_id"] == valve["id"]
    assert (box["kind"], box["page_count"]) == ("mbox", 0)
    assert [parts[f"message-{n}"]["parent_id"] for n in (1, 2)] == [box["id"], box["id"]]
    assert parts["message-2"]["title"] == "Parking — Carol Jung, 2024-03-11"


CASES = [
    # (question, file or part name, where it is cited, words of the passage)
    ("When does the spare impeller arrive?", "pump-review.pptx", "slide 2", "arrives in June"),
    (
        "What does the centrifuge calibration cost?",
        "budget.xlsx",
        "Sheet 'Budget', rows",
        "centrifuge",
    ),
    ("Which shelf holds the brass washers?", "stock.ods", "Sheet 'Stock', row 2", "C2"),
    ("greenhouse heating plan", "minutes.odt", "p. 1", "greenhouse heating"),
    ("espresso machine in the canteen", "memo.rtf", "p. 1", "espresso machine"),
    ("How heavy a load can the harbour crane lift?", "crane-spec.pdf", "p. 2", "62 tonnes"),
    ("Who supplies the valves?", "valve-notes.txt", "p. 1", "Hoffmann GmbH"),
    ("What colour are the valve handles?", "valve.msg", "p. 1", "signal green"),
    ("When does the parking garage close?", "message-2", "p. 1", "closes at 22:00"),
]


@pytest.mark.parametrize(("question", "name", "where", "words"), CASES)
def test_each_format_is_found_and_cited_where_it_is(formats, question, name, where, words):
    lib, _, _ = formats
    result = qa.answer(lib.reader(), question, None, no_model_reason="No model.")
    top = result.sources[0]
    assert re.split(r"[#/]", top.path)[-1] == name, [s.path for s in result.sources]
    assert words in top.text
    shown = top.location or f"p. {top.page}"
    assert shown.startswith(where), shown
    assert f"[1] {top.title}, {shown}: " in top.prompt_block()  # what the model is shown


def test_a_chunk_from_row_500_still_says_what_its_columns_are(formats):
    lib, _, _ = formats
    hit = next(h for h in lib.search("centrifuge calibration", k=5) if "centrifuge" in h.text)
    row = "Date: 2023-05-15; Item: centrifuge calibration; Cost centre: Laboratory; "
    row += "Amount (EUR): 7350."  # the row names its columns
    assert row in hit.text.split("\n")
    first, last = map(int, re.fullmatch(r"Sheet 'Budget', rows (\d+)-(\d+)", hit.location).groups())
    assert first <= 500 <= last and last - first < 30


def test_an_email_is_cited_with_its_sender_date_and_subject(formats):
    lib, _, _ = formats
    result = qa.answer(lib.reader(), "crane spec attached Alice", None)
    message = next(s for s in result.sources if s.path.endswith("crane.eml"))
    assert message.prompt_block().startswith("[")
    assert "Crane limits — Alice Kim, 2024-03-05, p. 1: From: Alice Kim" in message.prompt_block()


def test_a_pdf_attachment_keeps_its_pages_and_highlights(formats):
    lib, _, _ = formats
    result = qa.answer(lib.reader(), "How heavy a load can the harbour crane lift?", None)
    source = result.sources[0]
    assert source.path.endswith("crane.eml#crane-spec.pdf") and source.kind == "pdf"
    assert source.page == 2 and source.spans and all(s[0] == 2 for s in source.spans)
    png = render_highlighted_page(source.path, 2, {**vars(source)}, dpi=72)
    assert png.startswith(b"\x89PNG")


@pytest.mark.skipif(not ocr_languages(), reason="Tesseract with kor/eng data is not installed")
def test_an_image_is_found_by_its_words_with_boxes_to_highlight(formats):
    lib, _, _ = formats
    hit = lib.search("ladder rental", k=1)[0]
    assert hit.path.endswith("receipt.png") and hit.kind == "image"
    assert "Ladder rental 35 euros" in hit.text
    # a rectangle a line, where the picture shows it: the second line's baseline at y = 140
    assert [round(s[2], -1) for s in hit.spans] == [90, 130] and all(s[0] == 1 for s in hit.spans)


def test_a_password_opens_a_locked_spreadsheet(formats, tmp_path: Path):
    _, _, folder = formats
    with Library.create("Locked") as lib:
        path = folder / "salaries.xlsx"
        report = lib.ingest([path], passwords={str(path): "pw"})
        assert report.with_status("added"), report.outcomes
        hit = lib.search("Ann salary", k=1)[0]
        assert "Name: Ann; Salary: 5100" in hit.text and hit.location == "Sheet 'Pay', row 2"


def test_the_viewer_shows_a_slide_a_sheet_and_an_attachment_page(formats, qtbot):
    pytest.importorskip("PySide6.QtWidgets")
    from desktop_rag.gui.library_panel import LibraryPanel
    from desktop_rag.gui.source_viewer import SourceViewer

    lib, _, _ = formats
    store = lib.store

    def text(doc: int, n: int) -> str | None:
        row = store.page(doc, n)
        return row["text"] if row else None

    def label(doc: int, n: int) -> str:
        row = store.page(doc, n)
        return row["label"] if row else ""

    viewer = SourceViewer(page_text=text, page_label=label)
    qtbot.addWidget(viewer)
    viewer.resize(700, 900)
    slide = qa.answer(lib.reader(), "When does the spare impeller arrive?", None).sources[0]
    viewer.show_source(vars(slide))
    assert viewer.title.text() == "Quarterly pump review — slide 2"
    assert viewer.stack.currentWidget() is viewer.text_view
    assert "spare impeller arrives in June" in viewer.text_view.toPlainText()
    viewer.prev_page()  # the slide before names itself too
    assert viewer.title.text() == "Quarterly pump review — slide 1"
    sheet = qa.answer(lib.reader(), "centrifuge calibration cost", None).sources[0]
    viewer.show_source(vars(sheet))
    assert re.search(r"— sheet ‘Budget’, rows \d+–\d+$", viewer.title.text())
    attachment = qa.answer(lib.reader(), "harbour crane lift tonnes", None).sources[0]
    viewer.show_source(vars(attachment))
    assert viewer.stack.currentWidget() is viewer.scroll  # rendered, read from the e-mail
    assert viewer.page_count == 2 and viewer.page_number == 2
    assert viewer.rendered is not None and viewer.highlight_rects
    panel = LibraryPanel()
    qtbot.addWidget(panel)
    panel.set_documents(store.documents(), "", store.parts())
    tree = panel.tree
    tops = {
        tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
    }
    crane = tops["Crane limits — Alice Kim, 2024-03-05"]
    children = [crane.child(i).text(0) for i in range(crane.childCount())]
    assert children == [
        "crane-spec.pdf — attached to “Crane limits” (Alice Kim, 2024-03-05)",
        "pay.xlsx — attached to “Crane limits” (Alice Kim, 2024-03-05)",
    ]
    assert crane.child(1).text(2) == "failed"
    assert tops["archive"].childCount() == 2


def test_an_email_changed_renamed_and_deleted_keeps_its_attachments_with_it(tmp_path: Path):
    folder = tmp_path / "mail"
    folder.mkdir()
    spec = docgen.make_pdf(tmp_path / "spec.pdf", SPEC_PAGES).read_bytes()
    mail = folder / "crane.eml"

    def write(notes: bytes, with_spec: bool) -> None:
        attachments = [("notes.txt", notes)] + ([("crane-spec.pdf", spec)] if with_spec else [])
        mail.write_bytes(docgen.make_eml("Crane limits", "See attached.", attachments=attachments))

    write(b"The crane operator is Mr Olsen.", with_spec=True)
    with Library.create("Mail") as lib:
        lib.link_folder(folder)
        sync_folder(lib, str(folder), settle_s=0)
        assert sorted(d["path"].split("#")[-1] for d in lib.store.parts()) == [
            "crane-spec.pdf",
            "notes.txt",
        ]
        write(b"The crane operator is Ms Lund.", with_spec=False)
        report = sync_folder(lib, str(folder), settle_s=0)
        assert [o.status for o in report.ingest.outcomes] == ["updated"]
        assert [d["path"].split("#")[-1] for d in lib.store.parts()] == ["notes.txt"]
        assert "Ms Lund" in lib.search("crane operator", k=1)[0].text
        assert not [h for h in lib.search("62 tonnes crane", k=10) if "crane-spec" in h.path]
        assert len(lib.vectors) == lib.store.chunk_count()
        moved = folder / "crane-2024.eml"
        mail.rename(moved)
        report = sync_folder(lib, str(folder), settle_s=0)
        assert report.moved == [(str(mail), str(moved))]
        [notes] = lib.store.parts()
        assert notes["path"] == f"{moved}#notes.txt"
        assert lib.search("crane operator", k=1)[0].path == f"{moved}#notes.txt"
        moved.unlink()
        report = sync_folder(lib, str(folder), settle_s=0)
        assert report.removed == [str(moved)]
        assert lib.store.parts() == [] and lib.store.chunk_count() == 0 == len(lib.vectors)


def test_the_answering_model_cites_a_slide_a_sheet_row_and_an_email(formats):
    from desktop_rag.core.answers.generation import Generator
    from desktop_rag.core.answers.models import bundled_llm_path

    lib, _, _ = formats
    generator = Generator(bundled_llm_path(), context_size=4096)
    try:
        for question, fact, where in (
            ("When does the spare impeller arrive?", "June", "slide 2"),
            ("How much did the centrifuge calibration cost?", "7350", "Sheet 'Budget', rows"),
            ("Who sent the e-mail about the crane limits?", "Alice Kim", "p. 1"),
        ):
            result = qa.answer(lib.reader(), question, generator, max_answer_tokens=60)
            assert result.status == "answered", (question, result.text)
            assert fact in result.text.replace(",", ""), (question, result.text)
            cited = [s for s in result.sources if s.number in result.cited]
            assert cited, (question, result.text)
            assert any((s.location or f"p. {s.page}").startswith(where) for s in cited), [
                (s.title, s.location) for s in cited
            ]
    finally:
        generator.close()
