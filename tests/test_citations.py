from desktop_rag.core.answers import citations
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


def test_digits_inside_a_part_name_are_no_figure():
    """A "16" read off "W25Q16JV" does not back "16MB of flash"."""
    source = "Pico provides external circuitry: flash (Winbond W25Q16JV), crystal, power supplies."
    assert citations.support("The board has 16MB of flash [1].", source) == 0
    assert citations.support("The board has 2MB of flash [1].", "It has 2MB of QSPI flash.") > 0


def test_a_figure_alone_does_not_back_the_words_around_it():
    question = "What antenna does the Pico use?"
    source = "The board measures 21 by 51 mm and has 100 test points."
    said = "It uses a 100 MHz antenna [1]."
    assert citations.news_support(said, question, source) == 0.5
    assert citations.news_support(said, question, source, words_too=True) == 0
    # a verb's past form is the question's own word ("died" for "die")
    assert citations.adds_only_numbers("Robinson died in 1999 [1].", "When did Robinson die?")


def test_a_currency_in_words_is_the_sheets_code():
    """ "7350 euros" stands in a spreadsheet row's "Amount (EUR): 7350"; dollars do not."""
    question = "How much did the centrifuge calibration cost?"
    row = "Item: centrifuge calibration; Cost centre: Laboratory; Amount (EUR): 7350."
    said = "The centrifuge calibration cost 7350 euros [1]."
    assert citations.news_support(said, question, row, words_too=True) == 1.0
    assert citations.news_support(said.replace("euros", "dollars"), question, row, True) == 0


def test_a_plural_is_its_singular():
    """ "9 hours" stands in "an almost 9-hour-long computation"; "class" keeps its s."""
    source = "sdarc, which requires an almost 9-hour-long computation."
    assert citations.support("It needs 9 hours of computation [1].", source) > 0.5
    assert citations.support("The classes differ [1].", "Each class differs.") == 1
