"""Bad input: every kind of file the issue lists gets a clear, specific message, the rest of the
batch goes on, and nothing already indexed is lost."""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import clirun
import docgen
import pytest

from desktop_rag.core import faults
from desktop_rag.core.documents.loaders import OCR_HINT, ocr_languages
from desktop_rag.core.library import Library

OCR = bool(ocr_languages())
SCANNED_LINES = [
    ("The lighthouse keeper wound the clock every evening.", "helv"),
    ("등대지기는 매일 저녁 시계를 감았습니다.", "korea"),
]
NOT_UTF8_NAME = os.fsdecode(b"\xc8\xb8\xc0\xc7.txt")  # "회의.txt" in EUC-KR bytes
SHOWN_AS = NOT_UTF8_NAME.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

# file -> a query that must find it afterwards
GOOD = {
    "old.pdf": "boiler serviced night crew",
    "good.pdf": "compressor rpm",
    "회의록 2024.txt": "예산은 삼백만",
    "café résumé.md": "café opens at seven",
    "euc-kr.txt": "도서관은 오전",
    "cp949.txt": "똠방각하 규정",
    "utf-16.txt": "ferry leaves at noon",
    "latin-1.txt": "gare ouvre sept heures",
    "locked-a.pdf": "merger terms Falcon",
    "truncated-end.pdf": "valve colour green",
}
if OCR:
    GOOD["scanned.pdf"] = "lighthouse keeper wound the clock"

# file -> (how the CLI reports it, words its line must contain)
BAD = {
    "empty.pdf": ("failed", "the file is empty (0 bytes)"),
    "truncated.pdf": ("failed", "the PDF is damaged (truncated or corrupted)"),
    "random.pdf": ("failed", "this is not a PDF"),
    "locked-b.pdf": ("failed", "the password is wrong"),
    "blank-scan.pdf": ("failed", "no text found, even with OCR" if OCR else "need OCR"),
    "unreadable.txt": ("failed", "permission denied"),
    "self.pdf": ("skipped", "symlink loop"),
    "loop": ("skipped", "folder already visited (a symlink loop)"),
    SHOWN_AS: ("failed", "the file name is not valid UTF-8"),
    "truncated-end.pdf": ("warning", "damaged and has been repaired"),
}
if not OCR:
    BAD["scanned.pdf"] = ("failed", "scanned pages need OCR")


def write_bad_corpus(d: Path) -> Path:
    """Good files in awkward encodings and names, and one of every bad file, in one folder."""
    d.mkdir(parents=True)
    docgen.make_pdf(d / "old.pdf", ["The boiler was serviced on 3 May by the night crew."])
    docgen.make_pdf(d / "good.pdf", ["The compressor runs at 3000 rpm."])
    whole = docgen.make_pdf(
        d / "whole.pdf", ["The pipeline inspection found no leaks.", "The valve colour is green."]
    ).read_bytes()
    (d / "whole.pdf").unlink()
    (d / "회의록 2024.txt").write_text("회의록: 예산은 삼백만 원으로 정했습니다.", "utf-8")
    (d / "café résumé.md").write_text("# Résumé\n\nThe café opens at seven.\n", "utf-8")
    (d / "euc-kr.txt").write_bytes(
        "한국어 안내문: 도서관은 오전 아홉 시에 문을 엽니다.".encode("euc-kr")
    )
    (d / "cp949.txt").write_bytes("똠방각하 햏 문서: 규정에 따라 처리합니다.".encode("cp949"))
    (d / "utf-16.txt").write_bytes("UTF-16 note: the ferry leaves at noon.".encode("utf-16"))
    (d / "latin-1.txt").write_bytes(
        "Le café de la gare ouvre à sept heures; déjà très fréquenté.".encode("latin-1")
    )
    docgen.locked_pdf(d / "locked-a.pdf", "Secret merger terms for Falcon.", "alpha")
    docgen.locked_pdf(d / "locked-b.pdf", "Another secret.", "beta")
    docgen.scanned_pdf(d / "scanned.pdf", SCANNED_LINES)
    docgen.scanned_pdf(d / "blank-scan.pdf", [])
    (d / "truncated-end.pdf").write_bytes(whole[: len(whole) * 3 // 4])
    (d / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    (d / "empty.pdf").write_bytes(b"")
    (d / "random.pdf").write_bytes(random.Random(3).randbytes(4096))
    (d / "unreadable.txt").write_text("Nobody may read this.", "utf-8")
    (d / "unreadable.txt").chmod(0)
    (d / "self.pdf").symlink_to("self.pdf")
    (d / "sub").mkdir()
    (d / "sub" / "loop").symlink_to("..")
    (d / NOT_UTF8_NAME).write_text("A file whose name is EUC-KR bytes.", "utf-8")
    return d


def without_dac_override() -> list[str]:
    """A command prefix under which root, too, obeys file permissions (so 'unreadable' is)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: an unreadable file cannot be made")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.mark.slow
def test_the_whole_bad_corpus_in_one_folder(tmp_path: Path, isolated_home: Path):
    docs = write_bad_corpus(tmp_path / "drop")
    with Library.create("Inbox") as lib:  # indexed before the bad files arrive
        assert not lib.ingest([docs / "old.pdf"]).failed

    proc = subprocess.run(
        [
            *without_dac_override(),
            *(sys.executable, "-m", "desktop_rag", "ingest", str(docs), "--library", "Inbox"),
            *("--password", "alpha", "--quiet"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DESKTOP_RAG_HOME": str(isolated_home)},
        timeout=600,
    )
    assert proc.returncode == 3, proc.stderr  # "some files failed"
    lines = proc.stderr.splitlines()
    for name, (status, words) in BAD.items():
        mine = [line for line in lines if f"/{name}: " in line]
        assert len(mine) == 1, (name, lines)
        assert mine[0].startswith(f"{status}: ") and words in mine[0], mine[0]
    assert len(lines) == len(BAD), "one line per bad file and nothing else:\n" + proc.stderr
    added = len(GOOD) - 1  # old.pdf was already there
    assert f"{added} added, 1 unchanged" in proc.stdout, proc.stdout

    with Library.open("Inbox", readonly=True) as lib:
        for name, query in GOOD.items():
            hits = lib.search(query, k=3)
            assert hits and Path(hits[0].path).name == name, (name, [h.path for h in hits])
        ready = {Path(d["path"]).name for d in lib.documents() if d["status"] == "ready"}
        assert ready == set(GOOD)
        assert lib.store.integrity_ok() and len(lib.vectors) == lib.store.chunk_count()


def test_password_codes_let_the_gui_ask_and_retry(tmp_path: Path):
    locked = docgen.locked_pdf(tmp_path / "locked.pdf", "The vault code is 4711.", "s3cret")
    with Library.create("Mine") as lib:
        [outcome] = lib.ingest([locked]).failed
        assert outcome.code == "encrypted" and "protected by a password" in outcome.message
        [outcome] = lib.ingest([locked], passwords={str(locked): "guess"}).failed
        assert outcome.code == "wrong-password" and "password is wrong" in outcome.message
        report = lib.ingest([locked], passwords={str(locked): "s3cret"})
        assert [o.status for o in report.outcomes] == ["added"]
        assert "4711" in lib.search("vault code", k=1)[0].text


def test_file_changed_or_deleted_while_being_ingested(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    edited = docgen.make_pdf(docs / "a-edited.pdf", ["The pump pressure is 40 bar."])
    docgen.make_pdf(docs / "b-deleted.pdf", ["The fan speed is 900 rpm."])
    docgen.make_pdf(docs / "c-fine.pdf", ["The filter is changed monthly."])

    def meddle(path: Path) -> None:  # runs after the file's pages were read, before storing
        if path.name == "a-edited.pdf":
            with open(path, "ab") as f:
                f.write(b"\n% saved again by an editor\n")
        elif path.name == "b-deleted.pdf":
            path.unlink()

    with Library.create("Mine") as lib:
        lib.ingest([edited])
        docgen.make_pdf(edited, ["The pump pressure is 55 bar after the upgrade."])
        faults.on_checkpoint("parsed", meddle)
        try:
            report = lib.ingest([docs])
        finally:
            faults.on_checkpoint("parsed", None)
        failed = {Path(o.path).name: o for o in report.failed}
        assert set(failed) == {"a-edited.pdf", "b-deleted.pdf"}
        for o in failed.values():
            assert (
                o.code == "changed" and "changed or vanished while it was being read" in o.message
            )
        assert [Path(o.path).name for o in report.with_status("added")] == ["c-fine.pdf"]
        # the version indexed before is still there, whole
        hit = lib.search("pump pressure", k=1)[0]
        assert "40 bar" in hit.text
        status = {Path(d["path"]).name: d["status"] for d in lib.documents()}
        assert status == {"a-edited.pdf": "ready", "b-deleted.pdf": "failed", "c-fine.pdf": "ready"}
        assert len(lib.vectors) == lib.store.chunk_count()


@pytest.mark.skipif(not OCR, reason="Tesseract with kor/eng data is not installed")
def test_scanned_page_is_ocred_with_word_positions(tmp_path: Path):
    pdf = docgen.scanned_pdf(tmp_path / "scan.pdf", SCANNED_LINES)
    with Library.create("Mine") as lib:
        report = lib.ingest([pdf])
        assert report.ocr_pages == 1 and "(1 by OCR)" in report.summary()
        hit = lib.search("lighthouse keeper wound the clock", k=1)[0]
        assert hit.page == 1 and "lighthouse keeper" in hit.text
        # the highlight sits where the words were drawn: first line, baseline y = 100
        [rect] = [s for s in hit.spans if s[2] < 120]
        _, x0, y0, x1, y1 = rect
        assert 65 < x0 < 80 and 75 < y0 < 100 < y1 < 110 and x1 > 300
        assert lib.search("감았습니다", k=1)[0].page == 1  # Korean is read too


def test_without_tesseract_the_message_says_how_to_enable_ocr(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.scanned_pdf(docs / "scan.pdf", SCANNED_LINES)
    home = tmp_path / "home"
    # no tesseract on PATH (the parser child and the pipeline both look there)
    r = clirun.run(
        ["ingest", str(docs), "-l", "NoOcr", "-q"], home=home, logs=tmp_path, PATH="/nonexistent"
    )
    assert r.process.exitcode == 3, r.stderr
    assert (
        r.stderr.strip()
        == f"failed: {docs / 'scan.pdf'}: scan.pdf: no text: scanned pages need OCR. {OCR_HINT}"
    )


def test_a_single_10_mb_line_is_cut_into_pages_and_chunks(tmp_path: Path):
    """Reading and chunking stay linear; embedding 10 MB (~2.5 M tokens) takes minutes on two
    cores, so that part is left to the benchmark."""
    from desktop_rag.core.documents.chunking import Chunker
    from desktop_rag.core.documents.loaders import TEXT_PAGE_CHARS, open_pages
    from desktop_rag.core.search.embedding import Embedder, resolve_embedding_model

    rng = random.Random(2)
    words = ["ledger", "entry", "harbour", "tide", "gauge", "brass", "seal", "1923", "north"]
    line = " ".join(rng.choice(words) for _ in range(1_900_000))[: 10 * 1024 * 1024]
    path = tmp_path / "one-line.txt"
    path.write_text(line, encoding="utf-8")
    assert "\n" not in line and path.stat().st_size == 10 * 1024 * 1024

    embedder = Embedder(resolve_embedding_model())

    def offsets(text: str) -> list[tuple[int, int]]:
        enc = embedder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [tuple(o) for o in enc["offset_mapping"]]

    chunker = Chunker(embedder.count_tokens, offsets, max_tokens=embedder.chunk_tokens)
    info, pages = open_pages(path)
    total = 0
    for n, page in enumerate(pages, 1):
        assert len(page.text) <= TEXT_PAGE_CHARS
        total += len(page.text)
        if n % 500 == 1:  # chunking every page is the embedding benchmark's job
            assert all(c.token_count <= embedder.max_tokens for c in chunker.chunk_page(page))
    assert info.page_count == n > 3000 and total == len(line)


def test_5000_page_pdf_streams_in_bounded_memory_with_steady_progress(tmp_path: Path):
    """All 5,000 pages go through the parser child and the chunker, as in ingest; the bounded
    queue keeps the child's memory flat and pages arrive steadily. (Embedding 5,000 chunks
    takes minutes here: see test_5000_page_pdf_full_ingest_benchmark.)"""
    import probes

    env = {"DESKTOP_RAG_HOME": str(tmp_path / "home")}
    figures = {}
    for pages in (50, 5000):
        pdf = docgen.many_page_pdf(tmp_path / f"ledger-{pages}.pdf", pages)
        out = tmp_path / f"{pages}.json"
        r = clirun.start_function(
            probes.stream_pdf, str(pdf), str(out), env=env, logs=tmp_path, name=str(pages)
        )
        assert r.wait() == 0, r.stderr
        figures[pages] = json.loads(out.read_text())
    small, big = figures[50], figures[5000]
    assert big["pages"] == big["chunks"] == 5000 and big["in_order"]
    # memory: the parser child holds a page at a time, the queue a bounded number of messages
    assert big["parser_peak_mb"] < small["parser_peak_mb"] + 40, (small, big)
    # the consumer's too: what 5,000 pages add is what 50 add (the first pages cost a fixed
    # ~80 MB once the int8 encoder no longer leaves torch's loading peak above it)
    grown = {n: f["consumer_peak_mb"] - f["consumer_start_mb"] for n, f in figures.items()}
    assert grown[5000] < grown[50] + 40 and grown[5000] < 150, (small, big)
    # progress: a message of 8 pages at least every second, from start to end
    times = [t for t, _ in big["arrivals"]]
    assert len(times) == 625 and times[0] < 5
    assert max(b - a for a, b in itertools.pairwise(times)) < 1.0
    print(
        f"\n5,000 pages streamed in {big['seconds']:.1f} s; parser peak "
        f"{big['parser_peak_mb']:.0f} MB (50 pages: {small['parser_peak_mb']:.0f} MB); consumer "
        f"+{big['consumer_peak_mb'] - big['consumer_start_mb']:.1f} MB"
    )


@pytest.mark.skipif(
    not os.environ.get("DESKTOP_RAG_BENCH"), reason="a benchmark: set DESKTOP_RAG_BENCH=1"
)
def test_5000_page_pdf_full_ingest_benchmark(tmp_path: Path):
    """The whole ingest of 5,000 pages with the real model, in its own process: peak memory
    and the longest wait between progress reports."""
    import probes

    pdf = docgen.many_page_pdf(tmp_path / "ledger.pdf", 5000)
    out = tmp_path / "bench.json"
    r = clirun.start_function(
        probes.ingest_files,
        [str(pdf)],
        str(out),
        env={"DESKTOP_RAG_HOME": str(tmp_path / "home")},
        logs=tmp_path,
        name="bench",
    )
    assert r.wait(timeout=3600) == 0, r.stderr
    result = json.loads(out.read_text())
    assert result["pages"] == result["chunks"] == 5000, result["summary"]
    times = [p[0] for p in result["progress"]]
    longest_wait = max(b - a for a, b in itertools.pairwise(times))
    pages_seen = [p[2] for p in result["progress"]]
    assert pages_seen == sorted(pages_seen) and longest_wait < 10
    print(
        f"\n{result['summary']}; embedding {result['embed_seconds']:.0f} s; peak RSS "
        f"{result['consumer_peak_mb']:.0f} MB (start {result['consumer_start_mb']:.0f} MB), "
        f"parser {result['parser_peak_mb']:.0f} MB; longest wait between progress reports "
        f"{longest_wait:.2f} s over {len(times)} reports"
    )


def test_damaged_vector_index_is_rebuilt_never_trusted(tmp_path: Path, isolated_home: Path):
    """Random bytes in the body of a valid index made USearch segfault: the checksum catches
    them. The search runs in its own process, so a crash would fail this test, not end it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, topic in enumerate(docgen.TOPICS[:6]):
        docgen.make_pdf(docs / f"d{i}.pdf", [f"The {topic[0]} studied {topic[1]}."])
    with Library.create("Mine") as lib:
        lib.ingest([docs])
        before = [(h.chunk_id, h.score) for h in lib.search("beekeepers hive frames", k=4)]
        index = lib.vectors.path
    data = bytearray(index.read_bytes())
    rng = random.Random(4)
    for _ in range(200):  # header intact, graph links garbage
        data[rng.randrange(64, len(data) - 100)] = rng.randrange(256)
    index.write_bytes(bytes(data))
    r = clirun.run(
        ["search", "beekeepers hive frames", "-l", "Mine", "-k", "4", "--json"],
        home=isolated_home,
        logs=tmp_path,
    )
    assert r.process.exitcode == 0, r.stderr
    assert [(h["chunk_id"], round(h["score"], 6)) for h in json.loads(r.stdout)] == [
        (c, round(s, 6)) for c, s in before
    ]
    with Library.open("Mine") as lib:  # the writer replaces the damaged file
        assert len(lib.vectors) == lib.store.chunk_count()
    assert lib.vectors.load()  # a good index again, that loads without a rebuild


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 4 MB file system of its own (tmpfs), so the disk can really fill up."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill_disk(folder: Path, leave: int) -> Path:
    """Write until the disk is full, then give back `leave` bytes."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        block = b"\xff" * 65536
        while True:
            try:
                os.write(fd, block)
            except OSError:
                if len(block) == 512:
                    break
                block = block[: len(block) // 2]
    finally:
        os.close(fd)
    os.truncate(filler, filler.stat().st_size - leave)
    return filler


@pytest.mark.parametrize(
    ("leave", "bulky_state"),
    [
        (72 * 1024, ("queued", 0)),  # opening and queueing fit (~52 KB); the document (~100) not
        (0, None),  # not even the queue fits: opening the library fails
    ],
    ids=["while-storing-a-document", "while-opening"],
)
def test_disk_full_during_ingest(
    tmp_path: Path, small_disk: Path, leave: int, bulky_state: tuple[str, int] | None
):
    home = small_disk / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(docs / "a-before.pdf", ["The boiler was serviced on 3 May."])
    argv = ["ingest", "-l", "Full", "-q"]
    r = clirun.run([*argv, str(docs / "a-before.pdf")], home=home, logs=tmp_path, name="a")
    assert r.process.exitcode == 0, r.stderr

    rng = random.Random(9)
    bulky = [docgen.filler_paragraph(rng, docgen.TOPICS[n])[:700] for n in range(12)]
    docgen.make_pdf(docs / "b-bulky.pdf", bulky)
    filler = fill_disk(small_disk, leave)
    r = clirun.run([*argv, str(docs)], home=home, logs=tmp_path, name="full")
    assert r.process.exitcode == 1, (r.stdout, r.stderr)
    assert r.stderr.splitlines() == [
        f"error: The disk is full ({home / 'libraries' / 'Full'}): the library could not be saved.",
        "  Free some disk space and add the files again; what was indexed before is intact.",
    ]

    filler.unlink()  # space again: what was there is intact, and the rest can be added
    with Library(home / "libraries" / "Full") as lib:
        assert lib.store.integrity_ok()
        status = {Path(d["path"]).name: (d["status"], d["chunk_count"]) for d in lib.documents()}
        assert status["a-before.pdf"] == ("ready", 1)
        assert status.get("b-bulky.pdf") == bulky_state
        assert lib.store.chunk_count() == 1 == len(lib.vectors)
        assert lib.search("boiler serviced", k=1)[0].path.endswith("a-before.pdf")
        report = lib.ingest([docs])
        assert [Path(o.path).name for o in report.with_status("added")] == ["b-bulky.pdf"]
        assert len(lib.vectors) == lib.store.chunk_count() > 1
