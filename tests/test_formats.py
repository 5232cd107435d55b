"""Slides, spreadsheets, OpenDocument, RTF, images and e-mail read into pages (no models):
each format generated here with its own library, read back with its places ("slide 2",
"Sheet 'Budget', rows ...") and its parts (an e-mail's attachments); damaged and locked files
named with a clear message."""

from __future__ import annotations

import itertools
import re
import zipfile
from pathlib import Path

import docgen
import pytest

from desktop_rag.core.documents import locations
from desktop_rag.core.documents.formats.sheets import sheet_blocks
from desktop_rag.core.documents.loaders import (
    ParseError,
    kind_of,
    ocr_languages,
    open_documents,
    open_pages,
)
from desktop_rag.core.documents.parts import part_name, read_document_bytes, split_part


def _pages(path: Path, password: str | None = None):
    info, pages = open_pages(path, password)
    return info, list(pages)


def _documents(path: Path):
    out = []
    for info, pages in open_documents(path):
        try:
            out.append((info, list(pages), None))
        except ParseError as exc:
            out.append((info, [], exc))
    return out


def _error(path: Path, password: str | None = None) -> ParseError:
    with pytest.raises(ParseError) as err:
        _pages(path, password)
    return err.value


def test_every_new_type_is_known_by_its_extension():
    kinds = {
        ".pptx": "pptx", ".xlsx": "xlsx", ".ods": "ods", ".odt": "odt", ".rtf": "rtf",
        ".png": "image", ".JPG": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image",
        ".eml": "eml", ".msg": "msg", ".mbox": "mbox",
    }  # fmt: skip
    for suffix, kind in kinds.items():
        assert kind_of(Path(f"a{suffix}")) == kind, suffix


def test_slides_are_pages_cited_by_number_with_their_notes_and_tables(tmp_path: Path):
    path = docgen.make_pptx(
        tmp_path / "review.pptx",
        [
            ("Quarterly pump review", "Pressure stayed below the limit.", ""),
            ("Spare parts", "|Part|Arrives\n|impeller|June", "The impeller comes from Kassel."),
        ],
    )
    info, pages = _pages(path)
    assert (info.kind, info.page_count, info.title) == ("pptx", 2, "Quarterly pump review")
    assert [p.label for p in pages] == ["slide 1", "slide 2"]
    second = pages[1].text
    assert second.startswith("Spare parts")
    assert "Part | Arrives\nimpeller | June" in second  # the table, a row a line
    assert second.endswith("Speaker notes:\nThe impeller comes from Kassel.")
    assert pages[1].headings == [(0, "Spare parts")]


def test_a_sheet_is_cut_into_row_blocks_each_opening_with_the_header(tmp_path: Path):
    rows = docgen.budget_rows(600)
    path = docgen.make_xlsx(
        tmp_path / "budget.xlsx", {"Summary": [["Year", "Total"], [2023, 51234.5]], "Budget": rows}
    )
    info, pages = _pages(path)
    assert info.kind == "xlsx" and info.page_count == len(pages) > 20
    assert pages[0].label == "Sheet 'Summary', row 2"
    assert pages[0].text == "Year: 2023; Total: 51234.5."
    budget = pages[1:]
    header = "Date | Item | Cost centre | Amount (EUR)"
    # the header goes with every block: each row names its columns, and every chunk of the
    # sheet is searched with the header row as its heading
    lines = [line for p in budget for line in p.text.split("\n")]
    assert len(lines) == 600
    row = re.compile(r"Date: [-\d]+; Item: [a-z ]+; Cost centre: [A-Za-z]+; Amount \(EUR\): \d+\.")
    assert all(row.fullmatch(line) for line in lines)
    assert all(p.headings == [(0, f"Budget: {header}")] for p in budget)
    # every data row exactly once, in order, with the row numbers the sheet shows
    spans = [locations.parse(p.label)[1] for p in budget]
    assert spans[0][1] == "2" and spans[-1][2] == "601"
    assert all(int(b[1]) == int(a[2]) + 1 for a, b in itertools.pairwise(spans))
    row500 = next(p for p in budget if "centrifuge" in p.text)
    _, (sheet, first, last) = locations.parse(row500.label)
    assert sheet == "Budget" and int(first) <= 500 <= int(last)
    assert (
        "Date: 2023-05-15; Item: centrifuge calibration; Cost centre: Laboratory; "
        "Amount (EUR): 7350."
    ) in row500.text.split("\n")


def test_rows_above_the_header_open_the_first_block_and_a_headerless_sheet_has_none():
    rows = [(1, ["Budget 2024"]), (3, ["Item", "Amount"]), (4, ["paper", "12"]), (5, ["ink", "4"])]
    [(text, first, last, header)] = list(sheet_blocks(rows))
    assert (text, first, last, header) == (
        "Budget 2024\nItem: paper; Amount: 12.\nItem: ink; Amount: 4.",
        1,
        5,
        "Item | Amount",
    )
    figures = [(1, ["12", "4"]), (2, ["7", "9"])]
    assert list(sheet_blocks(figures)) == [("12 | 4\n7 | 9", 1, 2, "")]


def test_an_opendocument_spreadsheet_reads_like_an_excel_one(tmp_path: Path):
    path = docgen.make_ods(
        tmp_path / "stock.ods",
        {
            "Stock": [
                ["Part", "Count", "Shelf"],
                ["hex bolt", 120, "B4"],
                ["brass washer", 35.5, "C2"],
            ]
        },
    )
    info, pages = _pages(path)
    assert info.kind == "ods"
    assert [(p.label, p.text) for p in pages] == [
        (
            "Sheet 'Stock', rows 2-3",
            "Part: hex bolt; Count: 120; Shelf: B4.\nPart: brass washer; Count: 35.5; Shelf: C2.",
        )
    ]


def test_opendocument_text_keeps_its_headings_and_title(tmp_path: Path):
    blocks = ["# Board minutes", "The board approved the heating plan.", "# Budget", "Capped."]
    path = docgen.make_odt(tmp_path / "minutes.odt", blocks, title="Minutes of May")
    info, pages = _pages(path)
    assert (info.kind, info.title) == ("odt", "Minutes of May")
    text = pages[0].text
    assert text == "Board minutes\nThe board approved the heating plan.\nBudget\nCapped."
    assert pages[0].headings == [(0, "Board minutes"), (text.index("Budget"), "Budget")]


def test_rtf_escapes_are_decoded_in_its_code_page_and_unicode(tmp_path: Path):
    path = docgen.make_rtf(
        tmp_path / "memo.rtf",
        ["The canteen café reopens on Monday.", "한국어 안내: 식당은 월요일에 엽니다."],
        title="Canteen memo",
    )
    info, pages = _pages(path)
    assert (info.kind, info.title) == ("rtf", "Canteen memo")
    assert (
        pages[0].text == "The canteen café reopens on Monday.\n한국어 안내: 식당은 월요일에 엽니다."
    )
    korean = tmp_path / "ko.rtf"  # \ansicpg949: bytes escaped in the Korean code page
    escaped = "".join(f"\\'{b:02x}" for b in "휴가 규정".encode("cp949"))
    korean.write_text("{\\rtf1\\ansi\\ansicpg949 " + escaped + "\\par}", encoding="ascii")
    assert _pages(korean)[1][0].text == "휴가 규정"


@pytest.mark.skipif(not ocr_languages(), reason="Tesseract with kor/eng data is not installed")
@pytest.mark.parametrize("name", ["receipt.png", "receipt.jpg", "receipt.tiff"])
def test_an_image_is_read_by_ocr_with_the_word_boxes_kept(tmp_path: Path, name: str):
    path = docgen.text_image(tmp_path / name, ["Hardware receipt", "Ladder rental 35 euros"])
    info, pages = _pages(path)
    assert (info.kind, info.page_count) == ("image", 1)
    page = pages[0]
    assert page.ocr and "Ladder rental 35 euros" in page.text
    # the boxes are in the image's own page space (595 x 842 points at its 150 dpi): the
    # second line's baseline was drawn at y = 140
    ladder = next(w for w in page.words if page.text[w[0] : w[1]] == "Ladder")
    x0, y0, _, y1 = ladder[2:]
    assert 65 < x0 < 80 and 115 < y0 < 130 and 138 < y1 < 150
    import pymupdf

    with pymupdf.open(path) as shown:  # the viewer's page has the same size
        assert abs(shown[0].rect.width - page.width) < 1


def test_an_email_is_a_document_and_each_readable_attachment_another(tmp_path: Path):
    pdf = docgen.make_pdf(
        tmp_path / "spec.pdf", ["Page one.", "The crane lifts at most 62 tonnes."]
    )
    raw = docgen.make_eml(
        "Crane limits",
        "Hi Bob,\nsee the attached spec.",
        html="<p>Hi Bob,</p><p>see the <b>attached</b> spec.</p>",
        attachments=[
            ("crane-spec.pdf", pdf.read_bytes()),
            ("crane-spec.pdf", b"second file of the same name"),
            ("setup.exe", b"MZ"),
        ],
    )
    path = tmp_path / "crane.eml"
    path.write_bytes(raw)
    docs = _documents(path)
    message, attachment, same_name = docs[0], docs[1], docs[2]
    assert len(docs) == 3  # the .exe is not a type the app reads
    info, pages, _ = message
    assert (info.kind, info.part, info.title) == ("eml", "", "Crane limits — Alice Kim, 2024-03-05")
    text = pages[0].text
    assert text.startswith("From: Alice Kim <alice@example.com>\nTo: Bob Lee <bob@example.com>")
    assert (
        "Subject: Crane limits\nAttachments: crane-spec.pdf, crane-spec (2).pdf, setup.exe" in text
    )
    assert text.endswith("Hi Bob,\nsee the attached spec.")  # the plain body, not the HTML
    info, pages, _ = attachment
    assert (info.kind, info.part, info.parent, info.page_count) == ("pdf", "crane-spec.pdf", "", 2)
    assert info.title == "crane-spec.pdf — attached to “Crane limits” (Alice Kim, 2024-03-05)"
    assert pages[1].text == "The crane lifts at most 62 tonnes." and pages[1].words  # boxes
    info, pages, error = same_name
    assert info.part == "crane-spec (2).pdf" and error is not None and error.code == "corrupt"
    # the viewer reads an attachment again from its message
    stored = f"{path}#crane-spec.pdf"
    assert split_part(stored) == (str(path), "crane-spec.pdf")
    assert part_name(stored) == "crane-spec.pdf"
    assert read_document_bytes(stored) == pdf.read_bytes()


def test_an_html_only_email_is_read_as_text_and_inline_pictures_are_left_out(tmp_path: Path):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["Subject"] = "Dana <dana@example.com>", "Menu"
    msg.set_content(
        "<html><style>p {color: red}</style><body><p>Soup of the day:</p>"
        "<table><tr><td>lentil</td><td>4 EUR</td></tr></table></body></html>",
        subtype="html",
    )
    logo = docgen.text_image(tmp_path / "logo.png", ["ACME"])
    msg.add_related(logo.read_bytes(), maintype="image", subtype="png", cid="<logo>")
    path = tmp_path / "menu.eml"
    path.write_bytes(msg.as_bytes())
    [(info, pages, _)] = _documents(path)
    assert info.title == "Menu — Dana"
    assert pages[0].text.endswith("Soup of the day:\n\nlentil | 4 EUR")


def test_an_outlook_message_and_its_attachment(tmp_path: Path):
    path = docgen.make_msg(
        tmp_path / "valve.msg",
        "Valve colour",
        "The new valve handles are painted signal green.",
        attachments=[("supplier.txt", b"Valve supplier: Hoffmann GmbH in Kassel.")],
    )
    [(message, pages, _), (attachment, att_pages, _)] = _documents(path)
    assert (message.kind, message.title) == ("msg", "Valve colour — Alice Kim, 2024-03-05")
    assert "From: Alice Kim <alice@example.com>" in pages[0].text
    assert pages[0].text.endswith("The new valve handles are painted signal green.")
    assert (attachment.part, attachment.kind) == ("supplier.txt", "txt")
    assert att_pages[0].text == "Valve supplier: Hoffmann GmbH in Kassel."
    assert (
        read_document_bytes(f"{path}#supplier.txt") == b"Valve supplier: Hoffmann GmbH in Kassel."
    )


def test_a_mailbox_holds_messages_each_with_its_attachments(tmp_path: Path):
    sheet = docgen.make_xlsx(tmp_path / "g.xlsx", {"Garage": [["Level", "Spaces"], ["B1", 40]]})
    path = docgen.make_mbox(
        tmp_path / "archive.mbox",
        [
            docgen.make_eml("Lunch", "Lunch is at noon on Friday."),
            docgen.make_eml(
                "Parking",
                "The garage closes at 22:00.",
                sender="Carol <carol@example.com>",
                attachments=[("garage.xlsx", sheet.read_bytes())],
            ),
        ],
    )
    docs = _documents(path)
    assert [(i.part, i.parent, i.kind) for i, _, _ in docs] == [
        ("", "", "mbox"),
        ("message-1", "", "eml"),
        ("message-2", "", "eml"),
        ("message-2/garage.xlsx", "message-2", "xlsx"),
    ]
    assert docs[0][0].container and docs[0][1] == []
    assert docs[2][0].title == "Parking — Carol, 2024-03-05"
    assert docs[3][1][0].label == "Sheet 'Garage', row 2"
    assert read_document_bytes(f"{path}#message-2/garage.xlsx") == sheet.read_bytes()


# --- damaged and locked files ------------------------------------------------------------------


def test_password_protected_office_files_ask_for_the_password_and_open_with_it(tmp_path: Path):
    plain = docgen.make_xlsx(tmp_path / "plain.xlsx", {"Pay": [["Name", "Salary"], ["Ann", 5100]]})
    locked = docgen.encrypt_office(plain, tmp_path / "pay.xlsx", "s3cret")
    err = _error(locked)
    assert err.code == "encrypted"
    assert err.message == "pay.xlsx: this Excel file is protected by a password."
    assert _error(locked, "guess").code == "wrong-password"
    assert _pages(locked, "s3cret")[1][0].text == "Name: Ann; Salary: 5100."
    deck = docgen.make_pptx(tmp_path / "d.pptx", [("Secret plan", "Move in May.", "")])
    locked_deck = docgen.encrypt_office(deck, tmp_path / "plan.pptx", "pw")
    assert (
        _error(locked_deck).message == "plan.pptx: this PowerPoint file is protected by a password."
    )
    assert _pages(locked_deck, "pw")[1][0].text.startswith("Secret plan")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("deck.pptx", lambda p: docgen.make_pptx(p, [("Title", "Body text here.", "")])),
        ("book.xlsx", lambda p: docgen.make_xlsx(p, {"S": [["A", "B"], [1, 2]]})),
        ("sheet.ods", lambda p: docgen.make_ods(p, {"S": [["A", "B"], [1, 2]]})),
        ("text.odt", lambda p: docgen.make_odt(p, ["# Heading", "Some text."])),
    ],
)
def test_a_truncated_office_file_is_named_as_damaged(tmp_path: Path, name: str, make):
    whole = make(tmp_path / f"whole-{name}")
    cut = tmp_path / name
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    err = _error(cut)
    assert err.code == "corrupt"
    assert err.message.startswith(f"{name}: the file is damaged (truncated or corrupted)")
    fake = tmp_path / f"fake-{name}"
    fake.write_text("just some text", encoding="utf-8")
    assert "the content is something else" in _error(fake).message


def test_a_password_protected_opendocument_file_is_named(tmp_path: Path):
    path = tmp_path / "locked.odt"
    with zipfile.ZipFile(path, "w") as z:  # as LibreOffice writes one: content encrypted
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            'manifest:1.0">'
            '<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data '
            'manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>',
        )
        z.writestr("content.xml", b"\x8f\x01 encrypted bytes")
    err = _error(path)
    assert err.code == "password-unsupported" and "protected by a password" in err.message


def test_broken_mail_images_and_rtf_are_named(tmp_path: Path):
    msg = docgen.make_msg(tmp_path / "whole.msg", "Hello", "Body.")
    cut = tmp_path / "cut.msg"
    cut.write_bytes(msg.read_bytes()[:1000])
    assert _error(cut).message.startswith("cut.msg: not a readable Outlook message")
    junk = tmp_path / "junk.eml"
    junk.write_bytes(bytes(range(256)) * 8)
    assert _error(junk).message == (
        "junk.eml: this is not an e-mail message (it has no From, To or Subject)."
    )
    empty_box = tmp_path / "empty.mbox"
    empty_box.write_text("no messages here\n", encoding="utf-8")
    assert _error(empty_box).code == "no-text"
    png = docgen.text_image(tmp_path / "whole.png", ["Some text"])
    cut_png = tmp_path / "cut.png"
    cut_png.write_bytes(png.read_bytes()[:200])
    err = _error(cut_png)
    assert err.code == "corrupt" and err.message.startswith("cut.png: the image is damaged")
    not_rtf = tmp_path / "x.rtf"
    not_rtf.write_text("plain words", encoding="utf-8")
    assert _error(not_rtf).message == "x.rtf: this is not an RTF file."


def test_a_korean_email_in_euc_kr_with_encoded_headers(tmp_path: Path):
    from email.header import Header
    from email.mime.text import MIMEText

    msg = MIMEText("휴가 신청서를 첨부합니다. 다음 주 월요일부터 쉽니다.", "plain", "euc-kr")
    msg["Subject"] = Header("휴가 신청", "euc-kr")
    msg["From"] = Header("김철수", "euc-kr").encode() + " <kim@example.co.kr>"
    msg["Date"] = "Wed, 06 Mar 2024 09:00:00 +0900"
    raw = msg.as_bytes()
    # an unknown charset name: the body's encoding is detected instead
    for data in (raw, raw.replace(b'charset="euc-kr"', b'charset="x-unknown"')):
        path = tmp_path / "leave.eml"
        path.write_bytes(data)
        info, pages = _pages(path)
        assert info.title == "휴가 신청 — 김철수, 2024-03-06"
        assert pages[0].text.startswith("From: 김철수 <kim@example.co.kr>\n")
        assert pages[0].text.endswith("휴가 신청서를 첨부합니다. 다음 주 월요일부터 쉽니다.")


def test_a_library_of_the_version_before_is_read_as_it_is_then_migrated(tmp_path: Path):
    """Schema 3 had no parts and no page labels: read-only (the CLI's search before any write)
    it is read as it is; opened for writing it gains them, its documents all files."""
    import sqlite3

    from desktop_rag.core.storage import store as store_module
    from desktop_rag.core.storage.store import Store

    db = tmp_path / "library.db"
    conn = sqlite3.connect(db)
    for version in (1, 2, 3):
        for statement in store_module._MIGRATIONS[version].split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute(
        "INSERT INTO documents(path, title, kind, page_count, status, added_at) "
        "VALUES ('/d/a.pdf', 'A', 'pdf', 1, 'ready', 0)"
    )
    conn.execute("INSERT INTO pages VALUES (1, 1, 595, 842, 'The pump limit is 40 bar.')")
    conn.execute(
        "INSERT INTO chunks(document_id, ord, page, char_start, char_end, text, spans, "
        "token_count, embedding) VALUES (1, 0, 1, 0, 25, 'The pump limit is 40 bar.', '[]', 8, x'')"
    )
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    old = Store(db, readonly=True)
    assert not old.has_parts and old.parts() == []
    assert [d["path"] for d in old.documents()] == ["/d/a.pdf"]
    assert old.stats()["documents"] == 1
    assert old.chunks_by_ids([1])[1]["location"] == ""
    old.close()
    new = Store(db)
    assert new.has_parts and new.conn.execute("PRAGMA user_version").fetchone()[0] == 6
    assert [d["parent_id"] for d in new.documents()] == [None] and new.parts() == []
    assert new.page(1, 1)["label"] == "" and new.chunks_by_ids([1])[1]["location"] == ""
    new.close()
