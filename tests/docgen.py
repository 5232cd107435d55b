"""Test documents with known facts on known pages, generated with PyMuPDF."""

from __future__ import annotations

import random
from pathlib import Path

import pymupdf

TOPICS = [
    ("wheat farmers", "irrigation canals", "harvest yields", "drought"),
    ("bakers", "sourdough starters", "oven temperatures", "rye flour"),
    ("astronomers", "variable stars", "telescope mirrors", "cloud cover"),
    ("accountants", "quarterly ledgers", "tax deductions", "audits"),
    ("beekeepers", "hive frames", "honey production", "mite infestations"),
    ("chess players", "opening theory", "endgame studies", "tournament rules"),
    ("glassblowers", "molten silica", "annealing kilns", "colour pigments"),
    ("railway engineers", "track gauges", "signal boxes", "timetables"),
    ("violin makers", "spruce tops", "varnish recipes", "string tension"),
    ("cartographers", "contour lines", "survey triangulation", "map projections"),
    ("cheesemakers", "rennet", "aging caves", "milk fat"),
    ("botanists", "seed banks", "pollination", "leaf morphology"),
    ("textile weavers", "loom shuttles", "wool dyes", "thread counts"),
    ("marine biologists", "coral reefs", "plankton blooms", "ocean acidity"),
    ("potters", "clay bodies", "glaze chemistry", "kiln firing"),
    ("librarians", "catalogue systems", "rare manuscripts", "reading rooms"),
    ("geologists", "sediment layers", "fault lines", "mineral samples"),
    ("pharmacists", "dosage tables", "compounding", "drug interactions"),
    ("architects", "load-bearing walls", "daylight studies", "building codes"),
    ("orchard growers", "apple grafts", "frost protection", "pruning schedules"),
]
VERBS = ["studied", "recorded", "compared", "debated", "measured", "catalogued", "reviewed"]


def filler_paragraph(rng: random.Random, topic: tuple[str, str, str, str]) -> str:
    who, a, b, c = topic
    sentences = []
    for _ in range(rng.randint(5, 8)):
        year = rng.randint(1850, 1990)
        sentences.append(
            f"In {year} the {who} {rng.choice(VERBS)} {a} together with {b}, "
            f"noting how {c} changed the outcome over {rng.randint(2, 40)} seasons."
        )
    return " ".join(sentences)


def make_pdf(path: Path, pages: list[str], title: str = "", fontname: str = "helv") -> Path:
    """A PDF whose page i (1-based) holds pages[i-1]; the text wraps in a box."""
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page(width=595, height=842)
        rect = pymupdf.Rect(56, 56, 539, 786)
        rc = page.insert_textbox(rect, text, fontsize=11, fontname=fontname)
        if rc < 0:  # did not fit: smaller type
            page.clean_contents()
            page.insert_textbox(rect, text, fontsize=8, fontname=fontname)
    if title:
        doc.set_metadata({"title": title})
    doc.save(path)
    doc.close()
    return path


PAGE37_FACT = (
    "The keeper of the Marrow Island lighthouse replaced the clockwork that turned the lamp "
    "with an electric motor in 1911, after the winding chain snapped during a winter storm."
)
PAGE37_PARAPHRASE = "When did the island beacon stop using a wind-up mechanism and go electric?"
PAGE12_FACT = (
    "The Harwick Bridge opened to traffic on 14 March 1887 and its total length is 412 metres."
)


def fifty_page_pdf(path: Path, seed: int = 7) -> Path:
    """50 pages of varied filler; page 37 alone holds the lighthouse fact, page 12 the bridge."""
    rng = random.Random(seed)
    pages = []
    for n in range(1, 51):
        topic = TOPICS[(n * 7) % len(TOPICS)]
        text = filler_paragraph(rng, topic)
        if n == 37:
            text = text + "\n\n" + PAGE37_FACT
        if n == 12:
            text = PAGE12_FACT + "\n\n" + text
        pages.append(f"Chapter {n}\n\n{text}")
    return make_pdf(path, pages, title="Field Notes of Many Trades")


KOREAN_PAGES = [
    "이 문서는 회사의 휴가 규정을 설명합니다. 직원은 매년 열다섯 날의 유급 휴가를 받습니다.",
    "두 번째 장에서는 출장비 정산 절차를 다룹니다. 영수증은 한 달 안에 제출해야 합니다.",
    "세 번째 장: 보안 교육은 모든 신입 사원에게 의무입니다. 비밀번호는 석 달마다 바꿉니다.",
]


def korean_pdf(path: Path) -> Path:
    return make_pdf(path, KOREAN_PAGES, title="회사 규정", fontname="korea")


def scanned_pdf(path: Path, lines: list[tuple[str, str]], dpi: int = 150) -> Path:
    """A one-page PDF with no text layer: `lines` of (text, font) rendered to an image, the way a
    scanner would leave them. Line i sits with its baseline at y = 100 + 40 i."""
    src = pymupdf.open()
    page = src.new_page(width=595, height=842)
    for i, (text, font) in enumerate(lines):
        page.insert_text((72, 100 + 40 * i), text, fontsize=20, fontname=font)
    pix = page.get_pixmap(dpi=dpi)
    out = pymupdf.open()
    out.new_page(width=595, height=842).insert_image(pymupdf.Rect(0, 0, 595, 842), pixmap=pix)
    out.save(path)
    return path


def locked_pdf(path: Path, text: str, password: str) -> Path:
    """A PDF that opens only with `password` (AES-256)."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text)
    doc.save(
        path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password + "!"
    )
    return path


def many_page_pdf(path: Path, pages: int) -> Path:
    """`pages` pages of one short line each ("Ledger page N: entry 7N."), written as raw PDF
    syntax: PyMuPDF takes minutes to insert text on 5,000 pages, this takes a fraction of a
    second."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, once the kids are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for n in range(1, pages + 1):
        stream = f"BT /F1 12 Tf 20 160 Td (Ledger page {n}: entry {n * 7}.) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def filing_pdf(path: Path, company: str = "Harwick Mills", pages: int = 4) -> Path:
    """A report with what long real documents have: a running header and a page number on
    every page, a two-column page written line by line across both columns (so the file's
    own order interleaves them), and a financial table whose labels and numbers are
    separate text runs. No metadata title: only the file name says whose report it is.

    Page 2 holds the table under the heading "CONSOLIDATED STATEMENTS OF CASH FLOWS"; page 3
    the two columns: the left one tells of canal locks, the right one of lighthouse lamps."""
    doc = pymupdf.open()
    left = [
        "The canal locks were rebuilt in",
        "granite after the flood, and the",
        "lock keepers logged every barge",
        "that passed through the gates.",
        "Each gate was oiled in spring so",
        "the locks stayed watertight.",
    ]
    right = [
        "The lighthouse lamps burned whale",
        "oil until paraffin arrived, and",
        "keepers trimmed every wick at dusk",
        "to keep the beam steady at sea.",
        "A clockwork lens turned the beam",
        "once every thirty seconds.",
    ]
    rows = [
        ("Net income", "629,551", "268,395"),
        ("Depreciation and amortization", "339,095", "313,590"),
        ("Net cash provided by operating activities", "1,469,502", "1,287,482"),
        ("Purchases of property and equipment", "(184,936)", "(148,332)"),
    ]
    for n in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        page.insert_text((56, 40), f"{company} Annual Report 2021", fontsize=9)
        page.insert_text((290, 815), str(n), fontsize=9)
        if n == 2:
            page.insert_text((56, 100), "CONSOLIDATED STATEMENTS OF CASH FLOWS", fontsize=12)
            page.insert_text((56, 130), "(In thousands)", fontsize=10)
            for i, (label, _, _) in enumerate(rows):  # the label column, then each number column
                page.insert_text((56, 160 + 18 * i), label, fontsize=10)
            for col, x in ((1, 400), (2, 480)):
                for i, row in enumerate(rows):
                    page.insert_text((x, 160 + 18 * i), row[col], fontsize=10)
        elif n == 3:
            for i, (a, b) in enumerate(zip(left, right, strict=True)):  # across the page
                page.insert_text((56, 100 + 14 * i), a, fontsize=10)
                page.insert_text((320, 100 + 14 * i), b, fontsize=10)
        else:
            page.insert_textbox(
                pymupdf.Rect(56, 90, 539, 700),
                f"Page {n} of the report reviews the mills and their suppliers in general terms.",
                fontsize=11,
            )
    doc.save(path)
    doc.close()
    return path


# A research paper as arXiv serves them: two columns, words hyphenated across lines, bracketed
# references, section headings, a title that reads like an answer fragment. The text is written
# for these tests after the kind of paper users ask about (retrieval-augmented generation).
PAPER_TITLE = "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks"
PAPER_AUTHORS = "Patricia Lane, Ethan Perez, and others"
PAPER_PAGES: list[list[str]] = [
    [
        "# Abstract",
        "Large pre-trained language models store factual knowledge in their parameters [1, 2], "
        "yet their ability to access and precisely manipulate that knowledge is still limited "
        "on knowledge-intensive tasks. We explore a general-purpose fine-tuning recipe for "
        "retrieval-augmented generation (RAG): models which combine pre-trained parametric and "
        "non-parametric memory for language generation. The parametric memory is a pre-trained "
        "seq2seq transformer, and the non-parametric memory is a dense vector index of "
        "Wikipedia, accessed with a pre-trained neural retriever [3]. We compare two RAG "
        "formulations: RAG-Sequence conditions on the same retrieved passages across the whole "
        "generated sequence, while RAG-Token can use a different passage for each token.",
        "# 1 Introduction",
        "Pre-trained neural language models learn a substantial amount of in-depth knowledge "
        "from data [4]. They do so without any access to an external memory, as a "
        "parameterized implicit knowledge base [5]. While this development is exciting, such "
        "models cannot easily expand or revise their memory, and they may produce "
        "hallucinations [6]. Hybrid models that combine parametric memory with non-parametric, "
        "retrieval-based memories [7, 8] can address some of these issues, because knowledge "
        "can be directly revised and expanded, and accessed knowledge can be inspected.",
    ],
    [
        "# 2 Methods",
        "We explore RAG models, which use the input sequence x to retrieve text documents z "
        "and use them as additional context when generating the target sequence y. The "
        "retriever returns distributions over text passages given a query, and the generator "
        "produces the current token based on a context of the previous tokens, the original "
        "input and a retrieved passage.",
        "# 2.1 Models",
        "The RAG-Sequence model uses the same retrieved document to generate the complete "
        "sequence. It treats the retrieved document as a single latent variable that is "
        "marginalized to get the sequence-to-sequence probability. In the RAG-Token model we "
        "can draw a different latent document for each target token and marginalize "
        "accordingly. This allows the generator to choose content from several documents when "
        "producing an answer.",
        "# 2.2 Retriever: DPR",
        "The retrieval component is based on DPR [9]. DPR follows a bi-encoder architecture: a "
        "document is represented by a dense vector produced by a BERT-base document encoder, "
        "and the query is represented by a query encoder, also based on BERT-base [10]. "
        "Calculating the top-k documents with the highest prior probability is a Maximum Inner "
        "Product Search problem, which can be approximately solved in sub-linear time [11].",
    ],
    [
        "# 3 Experiments",
        "We experiment with RAG in a wide range of knowledge-intensive tasks. For all "
        "experiments we use a single Wikipedia dump for our non-parametric knowledge source, "
        "split into disjoint 100-word chunks, to make a total of 21 million documents.",
        "# 3.3 Jeopardy Question Generation",
        "To evaluate the generation abilities of RAG in a non-QA setting, we study open-domain "
        "question generation. Rather than use questions from standard open-domain QA tasks, "
        "which typically consist of short, simple questions, we propose the more demanding "
        "task of generating Jeopardy questions. Jeopardy is an unusual format that consists of "
        "trying to guess an entity from a fact about that entity.",
        "# References",
        "[1] Fabio Petroni, Tim Rocktaschel, Patrick Lewis, and Sebastian Riedel. Language "
        "models as knowledge bases? In Proceedings of EMNLP, 2019.",
        "[2] Adam Roberts, Colin Raffel, and Noam Shazeer. How much knowledge can you pack into "
        "the parameters of a language model? arXiv preprint, 2020.",
        "[3] Vladimir Karpukhin, Barlas Oguz, Sewon Min, and others. Dense passage retrieval "
        "for open-domain question answering. arXiv preprint, 2020.",
    ],
]


def _wrap_hyphenated(text: str, width: float, fontsize: float) -> list[str]:
    """Lines of at most `width` points; a long word that does not fit is split with a hyphen,
    as typesetters do."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if pymupdf.get_text_length(trial, fontsize=fontsize) <= width:
            line = trial
            continue
        if len(word) >= 8 and "-" not in word:
            for cut in range(len(word) - 3, 3, -1):
                head = f"{line} {word[:cut]}-".strip()
                if pymupdf.get_text_length(head, fontsize=fontsize) <= width:
                    lines.append(head)
                    line = word[cut:]
                    break
            else:
                lines.append(line)
                line = word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def paper_pdf(path: Path) -> Path:
    """A three-page two-column paper (PAPER_PAGES): the title on page 1, the second half of
    each page's blocks in the right column, paragraphs apart, headings in bold."""
    doc = pymupdf.open()
    fontsize, lead, width = 9.5, 11.5, 235
    for n, blocks in enumerate(PAPER_PAGES, 1):
        page = doc.new_page(width=595, height=842)
        y = 84.0  # a one-inch top margin, as LaTeX leaves
        if n == 1:
            page.insert_text((56, 60), PAPER_TITLE, fontsize=15, fontname="hebo")
            page.insert_text((56, 80), PAPER_AUTHORS, fontsize=10)
            y = 110.0
        x, top = 56.0, y
        # the right column starts at the heading nearest the middle
        headings = [i for i, b in enumerate(blocks) if b.startswith("# ") and i]
        split = min(headings, key=lambda i: abs(i - len(blocks) / 2), default=len(blocks) // 2)
        for i, block in enumerate(blocks):
            heading = block.startswith("# ")
            text = block[2:] if heading else block
            lines = [text] if heading else _wrap_hyphenated(text, width, fontsize)
            if i == split:
                x, y = 304.0, top  # the second column
            font = "hebo" if heading else "helv"
            for line in lines:
                page.insert_text((x, y), line, fontsize=fontsize, fontname=font)
                y += lead
            y += lead * 0.6
        page.insert_text((290, 815), str(n), fontsize=9)
    doc.set_metadata({"title": PAPER_TITLE})
    doc.save(path)
    doc.close()
    return path


# --- formats beyond PDF: each made with the format's own library ------------------------------


def make_pptx(path: Path, slides: list[tuple[str, str, str]], title: str = "") -> Path:
    """A deck (python-pptx): each slide (title, body, speaker notes); a body line that starts
    with '|' becomes a row of a table below the text."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for heading, body, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        lines = [line for line in body.split("\n") if not line.startswith("|")]
        rows = [line.strip("|").split("|") for line in body.split("\n") if line.startswith("|")]
        slide.placeholders[1].text_frame.text = "\n".join(lines)
        if rows:
            shape = slide.shapes.add_table(
                len(rows), len(rows[0]), Inches(1), Inches(5), Inches(8), Inches(1)
            )
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    shape.table.cell(r, c).text = cell.strip()
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    if title:
        deck.core_properties.title = title
    deck.save(path)
    return path


def make_xlsx(path: Path, sheets: dict[str, list[list[object]]], title: str = "") -> Path:
    """A workbook (openpyxl): each sheet's rows, from row 1."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    if title:
        book.properties.title = title
    book.save(path)
    return path


def budget_rows(n: int = 600) -> list[list[object]]:
    """A header and `n` rows of expenses; row 500 of the sheet (the 499th item) alone is the
    centrifuge calibration, in the Laboratory cost centre, 7,350 euros."""
    import datetime as dt

    items = ["office paper", "printer toner", "desk lamps", "coffee beans", "train tickets"]
    rows: list[list[object]] = [["Date", "Item", "Cost centre", "Amount (EUR)"]]
    for i in range(1, n + 1):
        day = dt.date(2023, 1, 1) + dt.timedelta(days=i % 365)
        if i == 499:
            rows.append([day, "centrifuge calibration", "Laboratory", 7350])
        else:
            rows.append([day, items[i % len(items)], "Administration", 10 + (i * 37) % 190])
    return rows


def make_ods(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An OpenDocument spreadsheet (odfpy): numbers as float cells, the rest as text."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                if isinstance(value, int | float):
                    cell = TableCell(valuetype="float", value=value)
                else:
                    cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def make_odt(path: Path, blocks: list[str], title: str = "") -> Path:
    """OpenDocument text (odfpy): a block starting with '# ' is a heading, others paragraphs."""
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    for block in blocks:
        if block.startswith("# "):
            doc.text.addElement(H(outlinelevel=1, text=block[2:]))
        else:
            doc.text.addElement(P(text=block))
    if title:
        doc.meta.addElement(dc.Title(text=title))
    doc.save(str(path))
    return path


def make_rtf(path: Path, paragraphs: list[str], title: str = "") -> Path:
    """Rich Text as word processors write it: a font table, an info block, every character
    beyond ASCII escaped (\\'hh in Windows-1252 where it fits, else \\uN)."""

    def escape(text: str) -> str:
        out = []
        for ch in text:
            if ch in "\\{}":
                out.append("\\" + ch)
            elif ord(ch) < 128:
                out.append(ch)
            else:
                try:
                    out.append(f"\\'{ch.encode('cp1252')[0]:02x}")
                except UnicodeEncodeError:
                    code = ord(ch)
                    out.append(f"\\u{code - 65536 if code > 32767 else code}?")
        return "".join(out)

    info = f"{{\\info{{\\title {escape(title)}}}}}" if title else ""
    body = "".join(f"\\pard {escape(p)}\\par\n" for p in paragraphs)
    rtf = (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Helvetica;}}"
        f"{info}\n\\f0\\fs24\n{body}}}"
    )
    path.write_text(rtf, encoding="ascii")
    return path


def text_image(path: Path, lines: list[str], font: str = "helv", dpi: int = 150) -> Path:
    """A picture of `lines` of text, as a phone or scanner would leave it: PNG or JPEG by the
    name (PyMuPDF), TIFF through Pillow. Line i sits at y = 100 + 40 i points."""
    src = pymupdf.open()
    page = src.new_page(width=595, height=842)
    for i, text in enumerate(lines):
        page.insert_text((72, 100 + 40 * i), text, fontsize=20, fontname=font)
    pix = page.get_pixmap(dpi=dpi)
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        from PIL import Image

        image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
        image.save(path, dpi=(dpi, dpi))
    else:
        pix.save(path)
    return path


def make_eml(
    subject: str,
    body: str,
    sender: str = "Alice Kim <alice@example.com>",
    to: str = "Bob Lee <bob@example.com>",
    date: str = "Tue, 05 Mar 2024 14:02:00 +0900",
    attachments: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    html: str = "",
) -> bytes:
    """An e-mail as its RFC 5322 bytes (the standard library's email): a plain body (and an
    HTML one when given), each attachment with a type guessed from its name."""
    import mimetypes
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Date"], msg["Subject"] = sender, to, date, subject
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, data in attachments:
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        main, sub = ctype.split("/", 1)
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()


def make_mbox(path: Path, messages: list[bytes]) -> Path:
    """A mailbox file (the standard library's mailbox) holding `messages` in order."""
    import mailbox

    box = mailbox.mbox(path)
    try:
        for raw in messages:
            box.add(raw)
        box.flush()
    finally:
        box.close()
    return path


def make_msg(
    path: Path,
    subject: str,
    body: str,
    sender_name: str = "Alice Kim",
    sender_email: str = "alice@example.com",
    to: str = "Bob Lee <bob@example.com>",
    attachments: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
) -> Path:
    """An Outlook message (.msg): the MAPI properties Outlook writes (MS-OXMSG) in an OLE
    compound file, written by extract-msg's own OleWriter. Sent on 5 March 2024."""
    import datetime as dt
    import struct

    from extract_msg import OleWriter

    date = dt.datetime(2024, 3, 5, 14, 2, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    filetime = int((date - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 10**7)
    writer = OleWriter()

    def entry(tag: int, size: int = 0, value: int = 0) -> bytes:
        return (
            struct.pack("<IIQ", tag, 6, value)
            if not size
            else struct.pack("<IIII", tag, 6, size, 0)
        )

    def string(folder: str, prop: int) -> tuple[str, int]:
        return f"{folder}__substg1.0_{prop:04X}001F", (prop << 16) | 0x001F

    headers = (
        f"From: {sender_name} <{sender_email}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {date.strftime('%a, %d %b %Y %H:%M:%S %z')}\r\nMIME-Version: 1.0\r\n\r\n"
    )
    props = b""
    for prop, value in {
        0x001A: "IPM.Note", 0x0037: subject, 0x0C1A: sender_name, 0x0C1F: sender_email,
        0x0C1E: "SMTP", 0x0042: sender_name, 0x0E04: to, 0x1000: body, 0x007D: headers,
    }.items():  # fmt: skip
        name, tag = string("", prop)
        data = value.encode("utf-16-le")
        writer.addEntry(name, data)
        props += entry(tag, len(data) + 2)
    for prop in (0x0039, 0x0E06):  # sent and delivered
        props += entry((prop << 16) | 0x0040, value=filetime)
    header = struct.pack("<8xIIII8x", 1, len(attachments), 1, len(attachments))
    writer.addEntry("__properties_version1.0", header + props)
    recipient = "__recip_version1.0_#00000000/"
    writer.addEntry(recipient[:-1], storage=True)
    for prop in (0x3001, 0x39FE):  # display name, SMTP address
        writer.addEntry(string(recipient, prop)[0], to.encode("utf-16-le"))
    writer.addEntry(f"{recipient}__properties_version1.0", bytes(8) + entry(0x0C150003, value=1))
    for i, (filename, data) in enumerate(attachments):
        folder = f"__attach_version1.0_#{i:08X}/"
        writer.addEntry(folder[:-1], storage=True)
        encoded = filename.encode("utf-16-le")
        for prop in (0x3707, 0x3704):  # long and short file name
            writer.addEntry(string(folder, prop)[0], encoded)
        writer.addEntry(f"{folder}__substg1.0_37010102", data)
        attach_props = entry(0x37050003, value=1) + entry(0x3707001F, len(encoded) + 2)
        attach_props += entry(0x37010102, len(data))
        writer.addEntry(f"{folder}__properties_version1.0", bytes(8) + attach_props)
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    writer.write(str(path))
    return path


def encrypt_office(src: Path, dst: Path, password: str) -> Path:
    """An Office file protected by `password`, as Office's "Encrypt with password" writes it
    (msoffcrypto-tool: agile encryption in an OLE container)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(src, "rb") as f, open(dst, "wb") as out:
        OOXMLFile(f).encrypt(password, out)
    return dst


# --- a small library of known content, for the catalog --------------------------------------

# Where "Harwick Bridge" stands in catalog_corpus, and how often: file -> {page: count}
HARWICK_MENTIONS = {"bridges.pdf": {1: 2, 3: 1}, "memo.txt": {1: 2}, "river-notes.pdf": {2: 1}}
KOREAN_MENTIONS = {"bridges.pdf": {2: 2}}  # "하윅 다리"
CATALOG_YEARS = {"memo.txt": 2019, "Contracts/lease-2021.md": 2021}


def catalog_corpus(folder: Path) -> Path:
    """Five documents whose mentions, types, dates and folders the catalog tests know exactly:
    two PDFs (one with Korean on its second page), a text memo dated 2019, a Markdown lease
    in Contracts/ dated 2021 and a Word report that mentions none of it."""
    import os
    import time

    folder.mkdir(parents=True, exist_ok=True)
    make_pdf(
        folder / "bridges.pdf",
        [
            "The Harwick Bridge crosses the river Wend. Engineers inspect the Harwick Bridge "
            "every spring, and the inspection takes three days.",
            "하윅 다리는 매년 봄에 점검합니다. 하윅 다리의 길이는 412미터입니다.",
            "Tolls on the Harwick bridges were abolished in 1902, after a long campaign by the "
            "market traders of the town.",
            "The ferry service that ran before the bridges were built carried twelve passengers.",
        ],
        title="Bridges of the Wend",
        fontname="korea",
    )
    make_pdf(
        folder / "river-notes.pdf",
        [
            "The river Wend floods in most winters; the town keeps sandbags in the old mill.",
            PAGE12_FACT,
            "Anglers report that trout return to the upper river every May.",
        ],
        title="River Notes",
    )
    (folder / "memo.txt").write_text(
        "Memo to the council. The Harwick Bridge needs new railings before summer.\n\n"
        "Quotes for the harwick   bridge railings arrived from two firms.\n",
        encoding="utf-8",
    )
    (folder / "Contracts").mkdir(exist_ok=True)
    (folder / "Contracts" / "lease-2021.md").write_text(
        "# Lease of the mill\n\nThe town leases the old mill to the rowing club for ten years "
        "at a rent of 400 euros a year.\n",
        encoding="utf-8",
    )
    import docx

    d = docx.Document()
    d.add_paragraph("Annual report of the rowing club. Membership grew to 140 rowers.")
    d.save(str(folder / "report.docx"))
    for name, year in CATALOG_YEARS.items():
        stamp = time.mktime((year, 6, 1, 12, 0, 0, 0, 0, -1))
        os.utime(folder / name, (stamp, stamp))
    return folder


# --- documents to summarize ------------------------------------------------------------------

# One topic per chapter of topics_pdf: (heading, sentences); a summary must come from them.
CHAPTERS = [
    (
        "Chapter 1 Beekeeping",
        "Beekeepers inspect the hive frames every week in summer. A strong colony holds about "
        "fifty thousand bees. Honey is harvested in late August, when the frames are capped. "
        "Mite infestations are the main threat to the colonies, and the keepers treat them in "
        "autumn.",
    ),
    (
        "Chapter 2 Glassblowing",
        "Glassblowers gather molten silica on the end of a long pipe. The glass must cool "
        "slowly in an annealing kiln, or it cracks. Colour comes from metal oxides: cobalt "
        "makes the glass blue and copper makes it green. A bowl takes about two hours to make.",
    ),
    (
        "Chapter 3 Cartography",
        "Cartographers draw contour lines to show the height of the land. Survey teams measure "
        "angles between hilltops by triangulation. Every map projection distorts either areas "
        "or angles. The national survey published its first complete map in 1870.",
    ),
]


def topics_pdf(path: Path, pages_per_chapter: int = 3) -> Path:
    """A short book: a contents page, then three chapters of `pages_per_chapter` pages each,
    every page of a chapter about its topic only (its sentences, reordered)."""
    pages = [
        "Contents\n\n"
        + "\n".join(f"{h} {2 + i * pages_per_chapter}" for i, (h, _) in enumerate(CHAPTERS))
        + "\nIndex 11\nNotes 12\nSources 13"
    ]
    for heading, text in CHAPTERS:
        sentences = [s.strip() + "." for s in text.split(".") if s.strip()]
        for n in range(pages_per_chapter):
            order = sentences[n % len(sentences) :] + sentences[: n % len(sentences)]
            head = f"{heading}\n\n" if n == 0 else ""
            pages.append(head + " ".join(order))
    return make_pdf(path, pages, title="Crafts and Sciences")
