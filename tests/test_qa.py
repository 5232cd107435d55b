"""Question answering with the real bundled LLM and embedding model."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import docgen
import pytest

from desktop_rag.core.answers import qa
from desktop_rag.core.answers.generation import Generator
from desktop_rag.core.answers.models import SMALLEST_BUNDLED, bundled_llm_path
from desktop_rag.core.library import Library
from desktop_rag.core.tasks import CancelToken


@pytest.fixture(scope="module")
def generator() -> Generator:
    """The model the app answers with."""
    g = Generator(bundled_llm_path(), context_size=4096)
    g.load()
    yield g
    g.close()


@pytest.fixture(scope="module")
def small_generator() -> Generator:
    g = Generator(bundled_llm_path(SMALLEST_BUNDLED), context_size=2048)
    yield g
    g.close()


def test_answer_cites_the_page_that_holds_the_fact(shared_library: Library, generator: Generator):
    pieces: list[str] = []
    result = qa.answer(
        shared_library.reader(),
        "How long is the Harwick Bridge?",
        generator,
        on_text=pieces.append,
        max_answer_tokens=80,
    )
    assert result.status == "answered"
    assert "".join(pieces).strip() and len(pieces) > 1  # streamed in pieces
    assert result.sources[0].page == 12
    assert result.cited and all(c.page == 12 for c in result.citations), result.text
    assert not result.unsupported
    assert result.timings["first_token"] > 0 and result.timings["tokens_per_second"] > 0


def test_unrelated_question_is_not_found_without_asking_the_model(
    shared_library: Library, generator: Generator
):
    result = qa.answer(shared_library.reader(), "What is the capital of Peru?", generator)
    assert result.status == "not_found"
    assert result.text == qa.NOT_FOUND["en"]
    assert "first_token" not in result.timings  # the model was never asked
    assert result.sources  # the closest passages, for the user to judge
    ko = qa.answer(shared_library.reader(), "비트코인 가격은 얼마인가요?", generator)
    assert ko.status == "not_found" and ko.text == qa.NOT_FOUND["ko"]


def test_prompt_with_many_long_sources_never_exceeds_the_context(shared_library: Library):
    small = Generator(bundled_llm_path(SMALLEST_BUNDLED), context_size=1024)
    hits = shared_library.search("seasons outcome noting", k=40)
    sources = [qa.Source.from_hit(i + 1, h) for i, h in enumerate(hits)]
    assert len(sources) == 40
    messages, kept = qa.build_messages("What changed the outcome?", sources, small, 256)
    used = small.chat_overhead(messages)
    assert used + 256 <= small.n_ctx
    assert 0 < len(kept) < len(sources)
    assert [s.chunk_id for s in kept] == [s.chunk_id for s in sources[: len(kept)]]  # top ranks
    assert all(" ".join(s.text.split()) in messages[-1]["content"] for s in kept)  # never cut
    assert [s.number for s in kept] == list(range(1, len(kept) + 1))
    small.close()


def test_cancel_stops_the_stream_quickly(small_generator: Generator):
    generator = small_generator
    cancel = CancelToken()
    seen: list[float] = []

    def on_text(_piece: str) -> None:
        seen.append(time.monotonic())
        if len(seen) == 3:
            threading.Timer(0.05, cancel.cancel).start()

    messages = [{"role": "user", "content": "Write a very long story about a lighthouse."}]
    result = generator.stream_chat(messages, on_text, cancel, max_tokens=400)
    stopped = time.monotonic()
    assert result.finish_reason == "cancelled"
    assert stopped - seen[2] < 0.5
    assert result.tokens < 400


def test_follow_up_retrieves_with_the_history(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(
        docs / "report.pdf",
        [
            "Annual report. Revenue of the Zephyr division in 2020 was 41 million euros.",
            "Weather notes. It rained a lot in the spring.",
            "Outlook. Revenue of the Zephyr division in 2021 was 57 million euros.",
        ],
    )
    with Library.create("Reports") as lib:
        lib.ingest([docs])
        first = "What was the revenue of the Zephyr division in 2020?"
        assert qa.retrieval_query("and in 2021?", [first]) == f"{first} and in 2021?"
        assert qa.retrieval_query(first, []) == first
        result = qa.answer(lib, "and in 2021?", None, history=[first])
        assert result.status == "no_model"
        assert result.retrieval_query == f"{first} and in 2021?"
        assert 3 in {s.page for s in result.sources[:2]}
        assert all(s.page != 2 for s in result.sources)  # the weather page is not relevant


def test_chats_are_saved_listed_reopened_and_deleted(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    docgen.make_pdf(docs / "a.pdf", ["The spare key is kept in the blue box in the garage."])
    with Library.create("Home") as lib:
        lib.ingest([docs])
        result = qa.answer(lib, "Where is the spare key kept?", None, no_model_reason="No model.")
        qa.save_exchange(lib.store, None, result)
        assert result.chat_id is not None
        follow = qa.answer(lib, "and the garage?", None, history=["Where is the spare key kept?"])
        qa.save_exchange(lib.store, result.chat_id, follow)
        chats = lib.store.chats()
        assert [(c["title"], c["messages"]) for c in chats] == [("Where is the spare key kept?", 4)]
        messages = lib.store.messages(result.chat_id)
        assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
        assert messages[1]["sources"][0]["page"] == 1 and messages[1]["sources"][0]["cited"]
        assert qa.previous_questions(lib.store, result.chat_id)[-1] == "and the garage?"
        lib.store.delete_chat(result.chat_id)
        assert lib.store.chats() == []


def test_without_a_model_the_best_passages_are_returned(shared_library: Library):
    result = qa.answer(
        shared_library.reader(),
        "Harwick Bridge length",
        None,
        no_model_reason="No language model is installed.",
    )
    assert result.status == "no_model"
    assert result.text.startswith("No language model is installed. The most relevant passages:")
    assert result.sources[0].page == 12


def test_evidence_sentences_weigh_the_questions_keywords_beside_meaning():
    from desktop_rag.core.search.retrieval import Hit

    text = (
        "The bridge opened to traffic in spring. Its main span is 412 metres long. "
        "Tolls are paid at the north end."
    )
    hit = Hit(1, 1, "Bridges", "/b.pdf", "pdf", 1, 0, len(text), text, [], 1.0)
    near, exact, other = (0, 39), (40, 73), (74, len(text))
    judged = [qa.Judged(hit, True, [(*near, 0.80), (*exact, 0.78), (*other, 0.50)])]
    by_meaning = qa.sentence_sources(judged, 1)
    assert by_meaning[0].focus == [[*near]]
    question = "How long is the main span of the bridge?"
    both = qa.sentence_sources(judged, 2, question)
    assert both[0].focus == [[*exact]] and both[0].number == 1
    # "Its ..." leans on the sentence before, so the model reads both; what the window
    # already holds is not offered again as a source of its own.
    assert both[0].excerpt.startswith("The bridge opened") and "412 metres" in both[0].excerpt
    assert all("412 metres" not in s.excerpt for s in both[1:])


def test_only_a_reply_that_opens_by_refusing_is_a_refusal():
    assert qa.is_refusal("NOT FOUND")
    assert qa.is_refusal("Not found.")
    assert qa.is_refusal("The sources do not mention the budget.")
    assert qa.is_refusal("문서에서 이 내용을 찾을 수 없습니다.")
    # a definition that says "not found" is an answer
    assert not qa.is_refusal(
        "A cache miss is when the data requested is not found in the cache memory [1]."
    )
    assert not qa.is_refusal("It was first used in 1999 [2]. No information was lost [3].")


def test_an_answer_may_join_two_sources_but_a_number_must_stand_in_one():
    question = "How does reading keyboard input differ between Python 3 and Python 2?"
    sources = [
        "There are two versions of Python, called Python 2 and Python 3.",
        "Python provides a built-in function called input. In Python 2, the same function is "
        "called raw_input.",
    ]
    joined = "Python 3 reads keyboard input with input, while Python 2 uses raw_input [2]."
    assert qa._grounded(joined, question, sources, sources) >= qa.MIN_GROUNDED
    # a figure found somewhere in the sources does not ground a sentence whose words it lacks
    agencies = "What share of federal agencies had deployed zero trust?"
    contents = ["2.1 Tenets of Zero Trust 36", "Agencies deploy zero trust step by step."]
    said = "36% of agencies had deployed zero trust [1]."
    assert qa._grounded(said, agencies, contents, contents) == 0


def test_a_figure_from_a_table_row_about_the_question_grounds_the_words_around_it():
    question = "How long did computing Gorder (w=5) take on the sdarc dataset?"
    row = "Gorder w=5: pokec 79, flickr 110, twitter 25475, sdarc 32488"
    about = [f"{row} Table 3: time to compute each ordering on each dataset, in seconds."]
    said = "Computing Gorder took 32488 seconds on the sdarc dataset [1]."
    assert qa._grounded(said, question, [row], about) >= qa.MIN_GROUNDED
    invented = "Computing Gorder took 3248 seconds on the sdarc dataset [1]."
    assert qa._grounded(invented, question, [row], about) < qa.MIN_GROUNDED
    # the same row read for another question is about nothing it asks
    other = "How much memory did the replication need on the twitter graph?"
    said = "It needed 25475 megabytes of main memory [1]."
    assert qa._grounded(said, other, [row], about) < qa.MIN_GROUNDED


def test_a_looping_reply_keeps_what_it_said_first():
    loop = "TeX is the typesetter [3]. LaTeX is the designer [4]. TeX is the typesetter [3]. LaT"
    assert (
        qa.whole_answer(loop, cut=True) == "TeX is the typesetter [3]. LaTeX is the designer [4]."
    )


def test_a_question_of_two_parts_reads_the_passage():
    assert qa.question_kind("What does LDG do, and which bin size was used?") == "explain"
    assert qa.question_kind("TeX을 만든 사람은 누구이고, 언제부터 작성했나요?") == "explain"
    assert qa.question_kind("Who translated the book into Python?") == "fact"


def test_each_part_of_an_answer_is_quoted_from_its_own_source():
    from desktop_rag.core.search.retrieval import Hit

    first = "A shallow copy copies the object and the references it contains."
    second = "A deep copy also copies the objects it refers to, and so on."
    filler = "Copying is covered in chapter ten of the book."
    sources = [
        qa.Source.from_hit(n, Hit(n, 1, "Book", "/b.pdf", "pdf", p, 0, len(t), t, [], 1.0))
        for n, p, t in ((1, 201, f"{filler} {first}"), (2, 203, f"{filler} {second}"))
    ]
    text = "A shallow copy copies the object and its references [1]. A deep copy also copies "
    text += "the objects it refers to [2]."
    quotes = qa.choose_quotes(text, "How do shallow and deep copies differ?", sources, [1, 2])
    assert [(q.page, q.text) for q in quotes] == [(201, first), (203, second)]
    # a quote never stands for a number it lacks
    numbers = qa.choose_quotes("They used w = 5 [1].", "Which w did they use?", sources[:1], [1])
    assert all("5" in q.text for q in numbers) or numbers[0].text == first


def test_a_table_row_is_read_against_its_column_header():
    from desktop_rag.core.search.retrieval import Hit

    text = (
        "We indicate the time in seconds.\n\n"
        "pokec flickr wiki sdarc\n"
        "RCM 3 5 60 406\n"
        "Gorder w=5 79 110 988 32488\n"
        "Edges m 31M 33M 437M 1.94G\n"
    )
    hit = Hit(1, 1, "Gorder", "/g.pdf", "pdf", 8, 0, len(text), text, [], 1.0)
    from desktop_rag.core.documents import sentences

    spans = [(a, b, 0.5) for a, b in sentences.units(text)]
    row = next(i for i, (a, b, _) in enumerate(spans) if text[a:b].startswith("Gorder"))
    spans[row] = (spans[row][0], spans[row][1], 0.9)
    sources = qa.sentence_sources([qa.Judged(hit, True, spans)], 1, "How long did Gorder take "
                                  "on sdarc, in seconds?")  # fmt: skip
    assert sources[0].excerpt == "Gorder w=5: pokec 79, flickr 110, wiki 988, sdarc 32488"
