"""Questions about the library itself, answered from the store: exact lists of generated
documents whose mentions, types, dates, sizes and folders are known."""

from __future__ import annotations

import re
from pathlib import Path

import docgen
import pytest

from desktop_rag.core.answers.respond import respond
from desktop_rag.core.storage import catalog


def _by_file(store, report) -> dict[str, dict[int, int]]:
    return {
        Path(d.document["path"]).name: {p.page: p.count for p in d.pages} for d in report.documents
    }


def test_which_documents_mention_a_phrase_counts_every_occurrence_on_its_page(catalog_library):
    lib, _ = catalog_library
    report = catalog.mentions(lib.store, "Harwick Bridge")
    assert _by_file(lib.store, report) == docgen.HARWICK_MENTIONS
    assert report.count == 6 and report.complete
    # most mentions first; every span is the phrase itself in the page text
    assert [Path(d.document["path"]).name for d in report.documents] == [
        "bridges.pdf",
        "memo.txt",
        "river-notes.pdf",
    ]
    for doc in report.documents:
        for page in doc.pages:
            text = lib.store.page(doc.document["id"], page.page)["text"]
            for a, b in page.spans:
                assert re.fullmatch(r"harwick\s+bridges?", text[a:b].lower()), text[a:b]
    korean = catalog.mentions(lib.store, "하윅 다리")
    assert _by_file(lib.store, korean) == docgen.KOREAN_MENTIONS


def test_the_mentions_answer_lists_each_document_with_its_pages_and_says_how(catalog_library):
    lib, _ = catalog_library
    result = respond(lib, "Which documents mention the Harwick Bridge?", None)
    assert result.status == "catalog"
    lines = result.text.split("\n")
    assert lines[0] == "“Harwick Bridge” is mentioned 6 times in 3 documents:"
    assert lines[1] == "1. Bridges of the Wend (bridges.pdf) — 3 times: p. 1 (2×) [1], p. 3 [2]"
    assert lines[2].startswith("2. ") and "memo.txt" in lines[2]
    assert lines[2].endswith("— 2 times: p. 1 (2×) [3]")
    assert lines[3].endswith("— once: p. 2 [4]") and "river-notes.pdf" in lines[3]
    assert "keyword index (SQLite FTS5)" in result.note and "not asked" in result.note
    # each item opens its page with the mentions highlighted
    first = result.sources[0]
    text = lib.store.page(first.document_id, 1)["text"]
    assert [text[a:b] for a, b in first.focus] == ["Harwick Bridge", "Harwick Bridge"]
    assert result.cited == [1, 2, 3, 4]
    ko = respond(lib, "하윅 다리를 언급한 문서는?", None)
    assert ko.status == "catalog"
    assert ko.text.split("\n")[0] == "“하윅 다리”은(는) 문서 1개에서 2번 나옵니다:"
    assert ko.text.split("\n")[1].endswith("— 2번: 2쪽 (2번) [1]")
    assert "FTS5" in ko.note
    none = respond(lib, "Which files mention the Gilded Viaduct?", None)
    assert none.status == "catalog" and none.text == "No document mentions “Gilded Viaduct”."


def _listed(result) -> list[str]:
    return [Path(s.path).name for s in result.sources]


def test_documents_are_listed_by_type_date_size_folder_and_name(catalog_library):
    lib, folder = catalog_library
    every = sorted(p.name for p in folder.rglob("*") if p.is_file())
    everything = respond(lib, "list my documents", None)
    assert everything.status == "catalog" and sorted(_listed(everything)) == every
    assert everything.text.startswith("5 documents:")
    assert "table of documents" in everything.note
    assert _listed(respond(lib, "List all PDFs", None)) == ["bridges.pdf", "river-notes.pdf"]
    assert _listed(respond(lib, "documents from 2021", None)) == ["lease-2021.md"]
    assert _listed(respond(lib, "list documents modified before 2020", None)) == ["memo.txt"]
    assert _listed(respond(lib, "Which documents are in the folder Contracts?", None)) == [
        "lease-2021.md"
    ]
    assert _listed(respond(lib, "documents named memo", None)) == ["memo.txt"]
    word = respond(lib, "How many Word documents do I have?", None)
    assert word.text.startswith("1 document (Word):") and _listed(word) == ["report.docx"]
    largest = max(
        (p for p in folder.rglob("*") if p.is_file()), key=lambda p: (p.stat().st_size, p.name)
    )
    assert _listed(respond(lib, "What is the largest document?", None)) == [largest.name]
    sizes = respond(lib, "list documents by size", None)
    by_size = sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: -p.stat().st_size)
    assert _listed(sizes) == [p.name for p in by_size]
    # a topic beside a filter: the documents that mention it (here in their name or text)
    assert _listed(respond(lib, "list the leases from 2021", None)) == ["lease-2021.md"]
    # in Korean
    ko = respond(lib, "문서 목록", None)
    assert ko.text.startswith("문서 5개:") and sorted(_listed(ko)) == every
    assert _listed(respond(lib, "PDF 문서 몇 개야?", None)) == ["bridges.pdf", "river-notes.pdf"]
    assert _listed(respond(lib, "이름에 memo가 들어간 문서 목록", None)) == ["memo.txt"]
    assert _listed(respond(lib, "2019년 문서 목록", None)) == ["memo.txt"]


def test_catalog_questions_keep_to_a_scope(catalog_library):
    lib, _ = catalog_library
    memo = lib.find_documents(["memo.txt"])[0]
    result = respond(lib, "Which documents mention the Harwick Bridge?", None, scope=[memo["id"]])
    assert _listed(result) == ["memo.txt"]
    assert "Only in: memo.txt." in result.note


def test_documents_are_found_by_number_file_name_title_or_a_unique_part(catalog_library):
    lib, _ = catalog_library
    from desktop_rag.core.errors import UserError

    memo = lib.find_documents(["memo.txt"])[0]
    assert lib.find_documents([str(memo["id"])]) == [memo]
    assert Path(lib.find_documents(["bridges of the wend"])[0]["path"]).name == "bridges.pdf"
    assert Path(lib.find_documents(["lease"])[0]["path"]).name == "lease-2021.md"
    with pytest.raises(UserError, match="could mean 2 documents"):
        lib.find_documents([".pdf"])
    with pytest.raises(UserError, match="No document"):
        lib.find_documents(["nothing-like-it"])
