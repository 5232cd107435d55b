from desktop_rag.core.textnorm import fts_query, fts_text, script_of


def test_hangul_runs_become_bigrams_and_latin_words_stay():
    assert fts_text("문서를 읽다 hello").split() == ["문서", "서를", "읽다", "hello"]


def test_query_with_particle_shares_a_bigram_with_the_bare_word():
    doc_terms = set(fts_text("이 문서에서 찾습니다").split())
    query_terms = {t.strip('"') for t in fts_query("문서를").split(" OR ")}
    assert "문서" in doc_terms & query_terms


def test_query_drops_stopwords_and_duplicates_and_prefixes_single_cjk_chars():
    q = fts_query("What is the model and the MODEL? 책")
    assert q == '"model" OR "책"*'


def test_query_of_only_punctuation_is_empty():
    assert fts_query("?!? ...") == ""


def test_script_detection():
    assert script_of("휴가 규정은 어떻게 되나요?") == "hangul"
    assert script_of("What is the leave policy?") == "latin"
    assert script_of("休假规定") == "cjk"
    assert script_of("Какова политика") == "other"
