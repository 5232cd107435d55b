from desktop_rag.core.answers.citations import attribute, cited_numbers, support

SOURCES = [
    "The Harwick Bridge opened to traffic on 14 March 1887 and its total length is 412 metres.",
    "The bakers studied sourdough starters and oven temperatures.",
]


def test_citation_forms_are_parsed_in_order_and_range():
    assert cited_numbers("see [2], [1, 3] and [2-3] but not [9]", 3) == [2, 1, 3]


def test_an_uncited_sentence_a_source_backs_gets_its_number():
    text, verdicts = attribute("The Harwick Bridge is 412 metres long.", SOURCES)
    assert text == "The Harwick Bridge is 412 metres long [1]."
    assert verdicts[0].inferred and verdicts[0].supported


def test_invented_numbers_are_not_attributed():
    text, verdicts = attribute("The Harwick Bridge is 37 metres long.", SOURCES)
    assert "[" not in text and not verdicts[0].supported
    assert support("It opened in 1887.", SOURCES[0]) > 0.5


def test_model_citations_are_kept_and_layout_preserved():
    answer = "- Opened in 1887 [1].\n- Bakers used sourdough."
    text, verdicts = attribute(answer, SOURCES)
    assert text == "- Opened in 1887 [1].\n- Bakers used sourdough [2]."
    assert [v.inferred for v in verdicts] == [False, True]


def test_a_wrong_citation_number_moves_to_the_source_that_states_the_sentence():
    answer = "The Harwick Bridge opened in 1887 and is 412 metres long [2]. Bakers bake [2]."
    text, verdicts = attribute(answer, SOURCES)
    assert text == "The Harwick Bridge opened in 1887 and is 412 metres long [1]. Bakers bake [2]."
    assert verdicts[0].cited == [1] and verdicts[0].supported
    assert verdicts[1].cited == [2]  # a number no other source does better on stays
