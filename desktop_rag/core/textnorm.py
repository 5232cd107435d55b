"""Text as the keyword index sees it: CJK bigrams, query terms, and the script of a text."""

from __future__ import annotations

import re
import unicodedata

# Hangul, kana and CJK ideographs: written without spaces between words, or (Korean) with
# particles glued to them, so whole-word tokens miss. Overlapping bigrams find them.
_CJK_CLASS = (
    "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
)
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_CJK_CHAR = re.compile(f"[{_CJK_CLASS}]")
_HANGUL_CHAR = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_WORD = re.compile(r"\w+", re.UNICODE)
_LATIN_CHAR = re.compile(r"[A-Za-z\u00c0-\u024f]")

# Lucene's English stop set plus question words: they carry no topic in a query.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "does",
        "do",
        "did",
        "can",
        "could",
        "would",
        "should",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "his",
        "her",
        "its",
    ]
)
MAX_QUERY_TERMS = 64


def _bigrams(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def fts_text(text: str) -> str:
    """Text for the FTS5 index: NFKC-normalized, CJK runs turned into character bigrams."""
    text = unicodedata.normalize("NFKC", text)
    return _CJK_RUN.sub(lambda m: f" {_bigrams(m.group())} ", text)


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression that ORs the query's terms, treated like documents' text.

    A single CJK character cannot form a bigram, so it matches as a prefix of one; but only
    in a query with fewer than two bigrams of its own: beside them, such a prefix matches
    far more than it means ("일" of "일 년", one year, matched "일러" of "보일러", boiler)."""
    terms: list[str] = []
    singles: list[str] = []
    seen: set[str] = set()
    text = unicodedata.normalize("NFKC", query).lower()
    for run_or_word in _WORD.findall(text):
        parts: list[str] = []
        pos = 0
        for m in _CJK_RUN.finditer(run_or_word):
            parts.extend(_WORD.findall(run_or_word[pos : m.start()]))
            run = m.group()
            parts.extend([run] if len(run) == 1 else _bigrams(run).split())
            pos = m.end()
        parts.extend(_WORD.findall(run_or_word[pos:]))
        for term in parts:
            if term in STOPWORDS or term in seen or term == "_":
                continue
            seen.add(term)
            if len(term) == 1 and _CJK_CHAR.match(term):
                singles.append(f'"{term}"*')
            else:
                terms.append(f'"{term}"')
    bigrams = sum(1 for t in terms if _CJK_CHAR.match(t[1]))
    if bigrams < 2:
        terms += singles
    return " OR ".join(terms[:MAX_QUERY_TERMS])


def script_of(text: str) -> str:
    """The dominant writing system of `text`: 'hangul', 'cjk', 'latin' or 'other'."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "latin"
    hangul = sum(1 for ch in letters if _HANGUL_CHAR.match(ch))
    cjk = sum(1 for ch in letters if _CJK_CHAR.match(ch))
    latin = sum(1 for ch in letters if _LATIN_CHAR.match(ch))
    top = max(hangul, cjk - hangul, latin)
    if top * 2 < len(letters):
        return "other"
    if top == hangul:
        return "hangul"
    if top == latin:
        return "latin"
    return "cjk"


# Words that make up about a fifth of running English and are rare as words in the other
# languages written in Latin letters (no "a", "in", "is", "die", "on": those are shared).
_ENGLISH_MARKERS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "that",
        "for",
        "with",
        "was",
        "were",
        "this",
        "from",
        "by",
        "are",
        "be",
        "which",
        "have",
        "has",
        "it",
        "as",
        "or",
        "not",
        "their",
        "they",
        "been",
        "its",
        "these",
        "but",
        "we",
        "our",
        "you",
    ]
)
_ASCII_WORD = re.compile(r"[a-z]+")


def text_language(text: str) -> str:
    """'en' for English prose, 'other' for text surely in another language (another script,
    or Latin letters without English's commonest words), '' when there is too little to tell
    (a short note, tables of figures)."""
    letters = sum(1 for ch in text if ch.isalpha())
    if script_of(text) != "latin":
        return "other" if letters >= 20 else ""
    words = _ASCII_WORD.findall(text.lower())
    if len(words) < 40:
        return ""
    share = sum(1 for w in words if w in _ENGLISH_MARKERS) / len(words)
    # English prose runs 0.18-0.30 (SciFact abstracts, 10-K filings); French, German, Dutch
    # and Spanish news 0.00-0.02
    if share >= 0.12:
        return "en"
    return "other" if share < 0.05 else ""
