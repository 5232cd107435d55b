"""Which kind of question is which: the catalog's, a summary's, or an ordinary one."""

from __future__ import annotations

import time

import pytest

from desktop_rag.core.answers.route import classify

NOW = time.mktime((2024, 5, 15, 12, 0, 0, 0, 0, -1))  # a Wednesday
MIDNIGHT = time.mktime((2024, 5, 15, 0, 0, 0, 0, 0, -1))


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("Which documents mention the Harwick Bridge?", "Harwick Bridge"),
        ('Which of my files contain the word "lighthouse"?', "lighthouse"),
        ("Where is zero trust mentioned?", "zero trust"),
        ("How many documents mention the policy engine?", "policy engine"),
        ("list the documents that mention “the Hague”", "the Hague"),
        ("하윅 다리를 언급한 문서", "하윅 다리"),
        ("제로 트러스트가 나오는 문서는?", "제로 트러스트"),
        ("등대는 어느 문서에 나와?", "등대"),
    ],
)
def test_questions_about_mentions(question: str, phrase: str):
    route = classify(question)
    assert (route.kind, route.phrase) == ("mentions", phrase)


@pytest.mark.parametrize(
    ("question", "expect"),
    [
        ("list my documents", {}),
        ("What documents do I have?", {}),
        ("List all PDFs", {"kinds": ("pdf",)}),
        ("How many Word documents do I have?", {"kinds": ("docx",), "count_only": True}),
        ("documents from 2021", {"year": 2021}),
        ("list PDFs with more than 100 pages", {"kinds": ("pdf",), "min_pages": 101}),
        ("Show PDFs larger than 1 MB sorted by size", {"min_bytes": 1_000_000, "sort": "size"}),
        ("the 3 largest documents", {"sort": "size", "descending": True, "limit": 3}),
        ("What is the largest document?", {"sort": "size", "limit": 1}),
        ("Which documents are in the folder Contracts?", {"folder": "Contracts"}),
        ("list documents under ~/Work/Contracts", {"folder": "~/Work/Contracts"}),
        ("documents named report", {"name": "report"}),
        (
            "list documents added today",
            {"added_after": MIDNIGHT},
        ),
        ("list the contracts from 2021", {"year": 2021, "mentions": "contract"}),
        ("문서 목록", {}),
        ("PDF 문서 몇 개야?", {"kinds": ("pdf",), "count_only": True}),
        ("2021년 문서 목록", {"year": 2021}),
        ("가장 큰 문서는?", {"sort": "size", "limit": 1}),
        ("계약 폴더의 문서 목록", {"folder": "계약"}),
        ("이름에 보고서가 들어간 문서 목록", {"name": "보고서"}),
    ],
)
def test_questions_that_list_documents(question: str, expect: dict):
    route = classify(question, now=NOW)
    assert route.kind == "documents" and route.query is not None
    for key, value in expect.items():
        assert getattr(route.query, key) == value, (key, route.query)


@pytest.mark.parametrize(
    ("question", "pages", "section", "document"),
    [
        ("Summarize this document", None, "", ""),
        ("summarize pages 3-9", (3, 9), "", ""),
        ("Can you summarize chapter 3?", None, "chapter 3", ""),
        ("What is this about?", None, "", ""),
        ("Give me a short summary of the NIST report", None, "", "NIST"),
        ("tl;dr of field-notes.pdf", None, "", "field-notes.pdf"),
        ("요약해 줘", None, "", ""),
        ("3~9쪽 요약해 줘", (3, 9), "", ""),
        ("이 문서는 무슨 내용이야?", None, "", ""),
        ("3장 요약", None, "3장", ""),
    ],
)
def test_requests_for_a_summary(question, pages, section, document):
    route = classify(question)
    assert route.kind == "summary"
    assert (route.pages, route.section, route.document) == (pages, section, document)


def test_what_a_thing_is_about_is_a_summary_only_if_it_names_a_document():
    route = classify("What is the Harwick Bridge about?")
    assert route.kind == "summary" and route.extra.get("tentative")
    assert route.document == "the Harwick Bridge"


@pytest.mark.parametrize(
    "question",
    [
        "How long is the Harwick Bridge?",
        "List the side effects of aspirin",
        "What documents are needed for a visa?",
        "What does the summary of Q3 results say about revenue?",
        "How do I summarize data in Excel?",
        "What is the difference between a PDP and a PEP?",
        "직원은 매년 며칠의 유급 휴가를 받나요?",
    ],
)
def test_ordinary_questions_stay_ordinary(question: str):
    assert classify(question).kind == "ask"
