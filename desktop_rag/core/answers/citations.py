"""Citations in an answer: the [n] the model wrote, checked against the sources, and [n]
added where the model stated a source's fact without citing it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from desktop_rag.core import textnorm

_CITE = re.compile(r"\[(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
# a number, not the digits inside a part's name ("W25Q16JV", "RP2040"): a model that says
# "GPIO 16" is not backed by a flash chip's name
_NUMBER = re.compile(r"(?<![A-Za-z])\d+(?:[.,]\d+)*")
# "… Poland. [1]": the citation belongs to the sentence before it -> "… Poland [1]."
# a cited source this much less supportive than another that states the sentence is a wrong
# number, and the citation moves to that other source
REPOINT_MARGIN = 0.25
_TRAILING_CITE = re.compile(r"([.!?。！？])((?:\s*\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\])+)")


@dataclass
class SentenceSupport:
    text: str
    cited: list[int]  # source numbers, 1-based
    inferred: bool  # the [n] was added by us, not written by the model
    supported: bool


def cited_numbers(text: str, n_sources: int) -> list[int]:
    """Source numbers written as [n], [n, m] or [n-m], in order of first use, within range."""
    seen: list[int] = []
    for m in _CITE.finditer(text):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            bounds = re.split(r"\s*[–-]\s*", part)
            lo, hi = int(bounds[0]), int(bounds[-1])
            for n in range(lo, min(hi, lo + 20) + 1):
                if 1 <= n <= n_sources and n not in seen:
                    seen.append(n)
    return seen


# "1598년에" is a number and a word; "xelatex이나" a Latin word and a Korean particle
_WORD = re.compile(r"\d+|[A-Za-z\u00c0-\u024f]+|[^\W\d_A-Za-z\u00c0-\u024f]+", re.UNICODE)
_HANGUL = re.compile(r"^[\uac00-\ud7af]+$")
_COMPOUND = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)+\b")
# Particles and endings glued to Korean words: "노아입니다" is the word "노아" as an answer.
_KO_ENDINGS = sorted(
    [
        "입니다",
        "습니다",
        "합니다",
        "됩니다",
        "였습니다",
        "었습니다",
        "았습니다",
        "있습니다",
        "없습니다",
        "이었다",
        "였다",
        "었다",
        "았다",
        "했다",
        "한다",
        "된다",
        "이다",
        "이며",
        "이고",
        "이라고",
        "라고",
        "이란",
        "이나",
        "에서는",
        "으로는",
        "에게서",
        "에서",
        "에게",
        "으로",
        "까지",
        "부터",
        "보다",
        "처럼",
        "에는",
        "로는",
        "와는",
        "과는",
        "이에요",
        "예요",
        "이죠",
        "하였다",
        "되었다",
        "있다",
        "없다",
        "은",
        "는",
        "이",
        "가",
        "을",
        "를",
        "의",
        "에",
        "께",
        "로",
        "와",
        "과",
        "도",
        "만",
        "며",
        "고",
        "란",
        "나",
        "요",
        "죠",
        "다",
    ],
    key=len,
    reverse=True,
)


_PARTICLES = frozenset(_KO_ENDINGS)
# English words that carry no fact of their own, beside the keyword index's stop words.
_FILLER = frozenset(
    [
        "while",
        "whereas",
        "done",
        "were",
        "has",
        "have",
        "had",
        "may",
        "might",
        "must",
        "also",
        "from",
        "than",
        "so",
        "each",
        "both",
        "between",
        "about",
        "because",
        "only",
        "used",
        "use",
        "uses",
        "using",
        "called",
        "very",
        "more",
        "most",
    ]
)


# A currency named in words or by its code is one term: an answer's "7350 euros" stands in a
# sheet's "Amount (EUR): 7350".
_CURRENCIES = {
    **dict.fromkeys(("euro", "euros", "eur"), "cur:eur"),
    **dict.fromkeys(("dollar", "dollars", "usd"), "cur:usd"),
    **dict.fromkeys(("pound", "pounds", "gbp"), "cur:gbp"),
    **dict.fromkeys(("yen", "jpy"), "cur:jpy"),
    **dict.fromkeys(("franc", "francs", "chf"), "cur:chf"),
}


def _korean_stem(word: str) -> str:
    for shortest in (1, 2):  # a particle after an ending ("것이었다"); keep two syllables then
        for ending in _KO_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= shortest:
                word = word[: -len(ending)]
                break
        else:
            break
    return word


def _latin_stem(word: str) -> str:
    """A Latin word as a term: its plural's "s" dropped ("9-hour-long" backs "9 hours"), then
    cut to six letters (metres ~ metre)."""
    if word.endswith(("sses", "shes", "xes", "zes")):
        word = word[:-2]  # classes, boxes
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]  # hours, caches
    return word[:6]


def _terms(text: str) -> set[str]:
    """Content terms: Latin words cut to six letters (metres ~ metre), Korean words without
    their particles and endings, other CJK text as bigrams; stop words and numbers left out
    (numbers are checked on their own)."""
    out = set()
    text = unicodedata.normalize("NFKC", _CITE.sub(" ", text)).lower()
    for word in _WORD.findall(text):
        if word.isdigit() or word in textnorm.STOPWORDS or word in _FILLER:
            continue
        if _HANGUL.match(word):
            if word not in _PARTICLES:  # glued to a Latin word or a number: "LaTeX은"
                out.add("ko:" + _korean_stem(word))
        elif textnorm.script_of(word) == "cjk":
            out.update(textnorm.fts_text(word).split())
        elif word in _CURRENCIES:
            out.add(_CURRENCIES[word])
        elif len(word) >= 2:
            out.add(_latin_stem(word) if word.isascii() and word.isalpha() else word)
    # a compound names a thing of its own: "RAG-Token" answers a question about "tokens"
    out.update(m.group() for m in _COMPOUND.finditer(text))
    return out


def _found(terms: set[str], source: str) -> set[str]:
    """The terms `source` contains (a Korean stem anywhere in the text: particles glue on)."""
    latin = _terms(source)
    flat = " ".join(_WORD.findall(unicodedata.normalize("NFKC", source).lower()))
    return {t for t in terms if (t[3:] in flat if t.startswith("ko:") else t in latin)}


def _numbers(text: str) -> set[str]:
    """The numbers in `text`, thousands separators dropped ("1,790" and "1790" are one)."""
    return {re.sub(r"(?<=\d),(?=\d{3}\b)", "", n) for n in _NUMBER.findall(_CITE.sub("", text))}


def _numbers_ok(sentence: str, source: str) -> bool:
    return not _numbers(sentence) - _numbers(source)


def support(sentence: str, source: str) -> float:
    """How well `source` backs `sentence`: the share of the sentence's terms it contains; 0 if
    the sentence has a number the source lacks (small models invent numbers)."""
    if not _numbers_ok(sentence, source):
        return 0.0
    terms = _terms(sentence)
    if not terms:
        return 0.0
    return len(_found(terms, source)) / len(terms)


def new_numbers_of(sentence: str, question: str) -> set[str]:
    """The numbers `sentence` states that the question does not."""
    return _numbers(sentence) - _numbers(question)


def numbers_in(text: str) -> set[str]:
    """The numbers `text` states, thousands separators dropped."""
    return _numbers(text)


def adds_only_numbers(sentence: str, question: str) -> bool:
    """All `sentence` adds to the question is figures ("36% [5]", "Gorder took 40")."""
    asked = _terms(question)
    return not any(not _asked(t, asked) for t in _terms(sentence))


def news_support(sentence: str, question: str, source: str, words_too: bool = False) -> float:
    """The share of what the sentence adds to the question (its terms the question lacks) that
    `source` states; 0 when it adds nothing, or states a number the source lacks. An answer
    whose new words stand in no source was made up, however much of the question it repeats.
    `words_too`: a figure alone does not back a sentence that adds words ("a 100 MHz antenna"
    is not in a source that only has a 100)."""
    new_numbers = new_numbers_of(sentence, question)
    if new_numbers - _numbers(source):  # the question's own numbers are no invention
        return 0.0
    asked = _terms(question)
    new = {t for t in _terms(sentence) if not _asked(t, asked)}
    if not new and not new_numbers:
        return 0.0
    found = len(_found(new, source))
    if words_too and new and not found:
        return 0.0
    # the numbers are all in the source (checked above)
    return (found + len(new_numbers)) / (len(new) + len(new_numbers))


_INFLECTIONS = ("s", "d", "es", "ed", "ing")


def _asked(term: str, asked: set[str]) -> bool:
    """The question has the term, or a form of it ("read" for "reading")."""
    if term in asked:
        return True
    if any(term.startswith(q) and term[len(q) :] in _INFLECTIONS for q in asked):
        return True  # "died" for "die"
    return len(term) >= 4 and any(
        len(q) >= 4 and (q.startswith(term) or term.startswith(q)) for q in asked
    )


def question_coverage(question: str, source: str) -> float:
    """The share of the question's terms `source` contains."""
    terms = _terms(question)
    return len(_found(terms, source)) / len(terms) if terms else 0.0


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", _CITE.sub("", text).lower())) + " "


def _verbatim(sentence: str, source: str) -> bool:
    """The sentence's words appear, in order and whole, in the source."""
    words = _words(sentence)
    return len(words.strip()) >= 2 and words in _words(source)


# A full stop that does not end a sentence: "i.e.", "e.g.", "Dr.", "U.S.", "J. Smith".
_ABBREVIATION = re.compile(
    r"(?:\b(?:i\.e|e\.g|etc|vs|cf|approx|Mr|Mrs|Ms|Dr|Prof|St|No|Nos|Fig|Figs|Vol|pp|Inc|Ltd|"
    r"Co|Corp|Jr|Sr|Gen|Col|Lt|Rev|U\.S|U\.K)|\b[A-Z])\.$"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence or line of `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    pos = 0
    joined = False  # the previous piece ended in an abbreviation: this one continues it
    for m in [*_SENTENCE_END.finditer(text), None]:
        end = m.start() if m else len(text)
        seg = text[pos:end]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            span = (pos + lead, pos + len(seg.rstrip()))
            if joined and spans:
                span = (spans.pop()[0], span[1])
            spans.append(span)
        joined = bool(m and "\n" not in m.group() and _ABBREVIATION.search(text[:end]))
        if m:
            pos = m.end()
    return spans


def attribute(
    answer: str, sources: list[str], threshold: float = 0.5
) -> tuple[str, list[SentenceSupport]]:
    """Check each sentence against the sources; add [n] to uncited sentences a source backs.

    Returns the answer with the added citations (layout kept), and per-sentence verdicts."""
    answer = _TRAILING_CITE.sub(r"\2\1", answer)
    verdicts: list[SentenceSupport] = []
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in `answer`
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        cited = cited_numbers(sentence, len(sources))
        if cited:
            held = max(support(sentence, sources[n - 1]) for n in cited)
            scores = [support(sentence, src) for src in sources]
            best = max(range(len(sources)), key=lambda i: scores[i])
            if held < threshold <= scores[best] and scores[best] - held >= REPOINT_MARGIN:
                # a small model often writes the wrong number: the source that states the
                # sentence is the one to open
                marks = list(re.finditer(r"\s*" + _CITE.pattern, sentence))
                for m in marks:
                    edits.append((start + m.start(), start + m.end(), ""))
                edits[-1] = (*edits[-1][:2], f" [{best + 1}]")
                verdicts.append(SentenceSupport(sentence, [best + 1], True, True))
                continue
            verdicts.append(SentenceSupport(sentence, cited, False, held >= threshold / 2))
            continue
        scores = [support(sentence, src) for src in sources]
        best = max(range(len(sources)), key=lambda i: scores[i]) if sources else -1
        if len(_terms(sentence)) < 2:  # a bare answer ("Warsaw."): found verbatim, or nothing
            best = next((i for i, src in enumerate(sources) if _verbatim(sentence, src)), -1)
            scores = [1.0 if i == best else 0.0 for i in range(len(sources))]
        if best >= 0 and scores[best] >= threshold:
            verdicts.append(SentenceSupport(sentence, [best + 1], True, True))
            stop = re.search(r"[.!?。！？]+$", sentence)
            at = start + (stop.start() if stop else len(sentence))
            edits.append((at, at, f" [{best + 1}]"))
        else:
            verdicts.append(SentenceSupport(sentence, [], False, False))
    for a, b, mark in sorted(edits, reverse=True):
        answer = answer[:a] + mark + answer[b:]
    return answer, verdicts
