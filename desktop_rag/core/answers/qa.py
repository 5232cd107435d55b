"""Question answering: retrieve, prompt with numbered sources, stream, cite, and say so
plainly when the documents do not hold the answer."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Protocol

from desktop_rag.core import textnorm
from desktop_rag.core.answers import citations
from desktop_rag.core.answers.citations import (
    SentenceSupport,
    attribute,
    cited_numbers,
    news_support,
    question_coverage,
    support,
)
from desktop_rag.core.answers.generation import Generator
from desktop_rag.core.documents import sentences
from desktop_rag.core.documents.locations import describe
from desktop_rag.core.errors import Cancelled, UserError
from desktop_rag.core.search.embedding import EmbeddingModel, embedder_for
from desktop_rag.core.search.retrieval import Hit, vector_weight_for
from desktop_rag.core.storage.store import Store
from desktop_rag.core.tasks import CancelToken

log = logging.getLogger(__name__)

# What the model is told, in the question's language. Small models answer best when asked to
# lift the answer from the sources in few words, and when shown how once: two worked examples
# (one the sources answer, one they do not) follow the instructions. They come first in every
# prompt, so llama.cpp reads them once and reuses its cache of them for every question. The app
# itself checks every sentence against the sources afterwards, adds missing citations, and
# turns an unsupported answer or the model's NOT FOUND into "not found" (see `finish`).
SYSTEM_PROMPTS = {
    "en": (
        "You answer questions using only the numbered sources the user gives you. Answer "
        "every part of the question in one or two short sentences, in the sources' own words, "
        "and end each sentence with the number of the source it comes from in brackets, like "
        "[1]. If the sources do not say it, reply only: NOT FOUND"
    ),
    "ko": (
        "사용자가 준 번호 붙은 자료만 보고 질문에 답하세요. 자료에 쓰인 말을 그대로 써서 한국어로 "
        "질문의 모든 부분에 한두 문장으로 짧게 답하고, 각 문장 끝에 참고한 자료 번호를 [1]처럼 "
        "붙이세요. 자료에 답이 없으면 NOT FOUND 라고만 쓰세요."
    ),
}
PROMPT_WORDS = {
    "en": ("Sources", "Question"),
    "ko": ("자료", "질문"),
}
_EXAMPLE_SOURCES = {
    "en": [
        "Harbour guide, p. 2: The harbour office opens at 8 a.m. on weekdays and at 10 a.m. "
        "on Saturdays.",
        "Harbour guide, p. 5: A fishing permit costs 12 euros for a day and 40 euros for a "
        "week. Permits are sold at the harbour office.",
    ],
    "ko": [
        "항구 안내, p. 2: 항구 사무소는 평일에는 오전 8시에, 토요일에는 오전 10시에 문을 엽니다.",
        "항구 안내, p. 5: 낚시 허가증은 하루에 12유로, 일주일에 40유로입니다. 허가증은 항구 "
        "사무소에서 팝니다.",
    ],
}
_EXAMPLES = {
    "en": [
        ("How much does a fishing permit for a week cost?", "A week's permit costs 40 euros [2]."),
        (
            "When does the harbour office open on weekdays, and where are permits sold?",
            "The harbour office opens at 8 a.m. on weekdays [1], and permits are sold at the "
            "harbour office [2].",
        ),
        ("When does the harbour office open on Sundays?", "NOT FOUND"),
    ],
    "ko": [
        ("일주일 낚시 허가증은 얼마인가요?", "일주일 허가증은 40유로입니다 [2]."),
        (
            "항구 사무소는 평일 몇 시에 문을 열고, 허가증은 어디서 파나요?",
            "항구 사무소는 평일 오전 8시에 문을 열고 [1], 허가증은 항구 사무소에서 팝니다 [2].",
        ),
        ("항구 사무소는 일요일에 몇 시에 문을 여나요?", "NOT FOUND"),
    ],
}
# The model's own ways of saying the sources do not hold the answer: its marker anywhere, or
# a sentence that opens its reply by saying so. ("A cache miss is when data is not found in the
# cache" is an answer, not a refusal.)
_MARKER_TEXT = re.compile(r"\bNOT[\s_]*FOUND\b")
_REFUSAL = re.compile(
    r"^not[\s_]*found\b|^(?:(?:the|these|my)\s+)?(?:sources?|documents?|text|passages?|context)\s+(?:do(?:es)?\s+not|"
    r"don't|doesn't)\s+(?:contain|mention|provide|say|include|specify|state)|"
    r"^(?:there is\s+)?no (?:information|mention)\b|"
    r"^(?:this|that|it) is not (?:mentioned|provided|specified|stated)\b|"
    r"찾을 수 없|나와 있지 않|언급되(?:어 있)?지 않|정보가 없|포함되어 있지 않",
    re.I,
)


def is_refusal(text: str) -> bool:
    """The model's reply says the sources do not hold the answer."""
    first = next(iter(sentences.units(text)), (0, len(text)))
    return bool(_MARKER_TEXT.search(text) or _REFUSAL.search(text[first[0] : first[1]].strip()))


NOT_FOUND = {
    "en": "I could not find this in your documents.",
    "ko": "문서에서 이 내용을 찾을 수 없습니다.",
}
# A passage counts as relevant when the embedding model finds one of its sentences close in
# meaning to the question, or a little less close but holding most of the question's
# keywords; the cosines depend on the model (EmbeddingModel.min_dense, .min_dense_with_keywords,
# calibrated per model). Keywords alone decide for scripts the model cannot read.
MIN_KEYWORD_COVERAGE = 0.6
# Korean question words carry no topic (what, how, when, where, who, why, how many...).
_KOREAN_QUESTION_WORDS = (
    "무엇",
    "뭐",
    "뭘",
    "어떻게",
    "어떤",
    "언제",
    "어디",
    "누구",
    "누가",
    "왜",
    "며칠",
    "얼마",
    "어느",
    "몇",
)
FOLLOW_UP_WORDS = 6
# The model's marker for "the sources do not say", and how likely it must be to begin its reply
# with it for the refusal to stand; below that it gives its best answer, which the app checks.
# Per language, tuned on the dev splits: in English 0.4 refused 7 of 8 unanswerable questions
# about real documents (docqa) where 0.5 refused 5, for one more false refusal in 40, and cost
# SQuAD 2.0 two points; on KorQuAD, where every question is answerable, 0.5 refused 14% of
# them, 0.7 1%.
_MARKER = "NOT FOUND"
REFUSAL_THRESHOLD = {"en": 0.4, "ko": 0.7}
# An answer counts as found in the documents when at least this share of what it adds to the
# question (its words the question lacks) stands in a source.
MIN_GROUNDED = 0.5
# An answer that is only a figure must come from a source holding this share of the question's
# terms: a contents line "2.1 Tenets of Zero Trust 36" does not answer "what share of agencies".
BARE_NUMBER_COVERAGE = 0.4
# Models this small lose the fact in a long passage: they read each source's best sentences.
SMALL_MODEL_BYTES = 1_500_000_000
EVIDENCE_SENTENCES = 6  # sentences a small model reads, the best across the relevant hits
# How much the question's keywords in a sentence count beside its meaning when choosing those
# sentences (cosines min-max scaled over the candidates). On 300 answerable dev questions each,
# the gold answer was among the six for SQuAD 0.910 -> 0.933 (MiniLM), 0.920 -> 0.920 (e5),
# KorQuAD 0.937 -> 0.957 (e5) at 0.3 (0.2 and 0.5 within 0.01).
EVIDENCE_KEYWORD_WEIGHT = 0.3
FOCUS_SHARE = 0.85  # sentences this close to the best one are highlighted with it
_FOLLOW_UP = re.compile(
    r"^(and|but|also|what about|how about|then|so|그럼|그리고|그러면|또|그건|그것)\b", re.I
)


class Searcher(Protocol):
    embedding_model: EmbeddingModel
    store: Store

    def search(self, query: str, k: int = 10) -> list[Hit]: ...


@dataclass
class Source:
    """A passage shown to the model (or to the user), with where to open it."""

    number: int
    chunk_id: int
    document_id: int
    title: str
    path: str
    kind: str
    page: int
    char_start: int
    char_end: int
    text: str
    spans: list[list[float]]
    score: float
    dense_score: float
    excerpt: str = ""  # what the model reads, when not the whole text
    focus: list[list[int]] = field(default_factory=list)  # [start, end) in the page text
    location: str = ""  # said instead of "p. N" when set: "slide 3" (documents.locations)

    @classmethod
    def from_hit(cls, number: int, hit: Hit) -> Source:
        return cls(
            number,
            hit.chunk_id,
            hit.document_id,
            hit.title,
            hit.path,
            hit.kind,
            hit.page,
            hit.char_start,
            hit.char_end,
            hit.text,
            hit.spans,
            hit.score,
            hit.dense_score,
            location=hit.location,
        )

    def prompt_block(self) -> str:
        text = self.excerpt or " ".join(self.text.split())
        return f"[{self.number}] {self.title}, {describe(self.page, self.location)}: {text}"


@dataclass
class Quote:
    """A whole sentence of a source that answers the question, shown under the answer."""

    number: int  # the source it is quoted from
    title: str
    path: str
    page: int
    text: str
    focus: list[int]  # [start, end) in the page text: what the viewer highlights
    location: str = ""


@dataclass
class Answer:
    """The result of a question: text, its sources, what it cites, and how long it took."""

    question: str
    text: str
    status: str  # answered | not_found | no_model | cancelled
    sources: list[Source] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    unsupported: bool = False
    sentences: list[SentenceSupport] = field(default_factory=list)
    note: str = ""
    retrieval_query: str = ""
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    chat_id: int | None = None
    message_id: int | None = None
    checks: dict[str, float] = field(default_factory=dict)  # how the answer was judged
    quotes: list[Quote] = field(default_factory=list)  # the document's sentences that answer it

    @property
    def citations(self) -> list[Source]:
        by_number = {s.number: s for s in self.sources}
        return [by_number[n] for n in self.cited if n in by_number]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["citations"] = [asdict(s) for s in self.citations]
        d["quotes"] = [{"document": q.title, **asdict(q)} for q in self.quotes]
        return d


# --- the steps -----------------------------------------------------------------------------


def retrieval_query(question: str, previous_questions: list[str]) -> str:
    """The text to search with: a short or 'and ...?' follow-up borrows the last question."""
    if not previous_questions:
        return question
    words = question.split()
    if len(words) <= FOLLOW_UP_WORDS or _FOLLOW_UP.match(question.strip()):
        return f"{previous_questions[-1]} {question}"
    return question


def keyword_coverage(query: str, text: str) -> float:
    """Share of the query's words found in `text`: a Hangul/CJK word counts as found when one
    of its bigrams is (particles and endings vary), a Latin word by its first six letters."""
    have = set(textnorm.fts_text(text.lower()).split())
    have |= {w[:6] for w in re.findall(r"\w+", text.lower())}
    words = [
        w
        for w in re.findall(r"\w+", query.lower())
        if w not in textnorm.STOPWORDS and not w.startswith(_KOREAN_QUESTION_WORDS)
    ]
    if not words:
        return 0.0
    found = 0
    for word in words:
        parts = textnorm.fts_text(word).split()
        cjk = len(parts) > 1 or parts[0] != word
        found += any(p in have for p in parts) if cjk else word[:6] in have
    return found / len(words)


@dataclass
class Judged:
    """A hit with how relevant it is, and how relevant each of its sentences is."""

    hit: Hit
    relevant: bool
    sentences: list[tuple[int, int, float]]  # [start, end) in hit.text, score
    focus_share: float = FOCUS_SHARE  # the model's own when scored by meaning


def judge(hits: list[Hit], query: str, model: EmbeddingModel) -> list[Judged]:
    """Score each hit and its sentences against the question: by meaning, sentence by sentence,
    when the embedding model reads the query's language (a fact in a long chunk is diluted in
    the chunk's vector but stands out on its own), else by the share of keywords."""
    spans = [[(a, b) for a, b in sentences.units(h.text) if b - a > 3] for h in hits]
    if vector_weight_for(query, model) <= 0:
        out = []
        for hit, hit_spans in zip(hits, spans, strict=True):
            scored = [(a, b, keyword_coverage(query, hit.text[a:b])) for a, b in hit_spans]
            relevant = keyword_coverage(query, hit.text) >= MIN_KEYWORD_COVERAGE
            out.append(Judged(hit, relevant, scored))
        return out
    texts = [hit.text[a:b] for hit, hs in zip(hits, spans, strict=True) for a, b in hs]
    embedder = embedder_for(model)
    qvec = embedder.encode_query(query)
    sims = iter((embedder.encode_passages(texts, batch_size=64) @ qvec).tolist())
    out = []
    for hit, hit_spans in zip(hits, spans, strict=True):
        scored = [(a, b, float(next(sims))) for a, b in hit_spans]
        best = max([hit.dense_score] + [sc for _, _, sc in scored])
        relevant = best >= model.min_dense or (
            best >= model.min_dense_with_keywords
            and keyword_coverage(query, hit.text) >= MIN_KEYWORD_COVERAGE
        )
        out.append(Judged(hit, relevant, scored, model.focus_share))
    return out


def focus_ranges(judged: Judged) -> list[list[int]]:
    """Page-text ranges of the sentences that best match the question: what to highlight."""
    if not judged.sentences:
        return []
    top = max(score for _, _, score in judged.sentences)
    base = judged.hit.char_start
    return [
        [base + a, base + b]
        for a, b, score in judged.sentences
        if score >= top * judged.focus_share and score > 0
    ]


def sentence_sources(judged: list[Judged], n: int, query: str = "") -> list[Source]:
    """The `n` sentences across the hits that best match the question `query`, best first,
    each a numbered source of its own: its chunk for opening, the sentence as what the model
    reads and what the page highlights. A sentence two overlapping chunks share counts once.
    Matching is by meaning (the judged scores, scaled) and by the share of the question's
    keywords the sentence holds (EVIDENCE_KEYWORD_WEIGHT)."""
    scores = [score for j in judged for _, _, score in j.sentences]
    low = min(scores, default=0.0)
    span = (max(scores, default=0.0) - low) or 1.0
    w = EVIDENCE_KEYWORD_WEIGHT if query else 0.0

    def mixed(j: Judged, a: int, b: int, score: float) -> float:
        keywords = keyword_coverage(query, j.hit.text[a:b]) if w else 0.0
        return (1 - w) * (score - low) / span + w * keywords

    ranked = sorted(
        (
            (mixed(j, a, b, score), i, a, b)
            for i, j in enumerate(judged)
            for a, b, score in j.sentences
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    kind = question_kind(query)
    out: list[Source] = []
    seen: set[str] = set()
    for _, i, a, b in ranked:
        hit = judged[i].hit
        text = sentences.clean(hit.text[a:b])
        if text.lower() in seen or sentences.is_contents_line(text):
            continue
        seen.add(text.lower())
        lo, hi = _window(judged[i], a, b, kind)
        # a neighbour the model reads already in another source is not read twice
        edges = [(c, d) for c, d, _ in judged[i].sentences if lo <= c and d <= hi]
        while edges[0][0] < a and sentences.clean(hit.text[slice(*edges[0])]).lower() in seen:
            edges.pop(0)
        while edges[-1][1] > b and sentences.clean(hit.text[slice(*edges[-1])]).lower() in seen:
            edges.pop()
        lo, hi = edges[0][0], edges[-1][1]
        excerpt = sentences.without_references(sentences.clean(hit.text[lo:hi]))
        if kind == "number" and sentences.is_row(text):
            excerpt = _row_with_header(judged[i], a) or excerpt
        if any(excerpt.lower() in o.excerpt.lower() for o in out):
            continue  # read already, in a window of an overlapping chunk
        source = Source.from_hit(len(out) + 1, hit)
        source.excerpt = excerpt
        for c, d, _score in judged[i].sentences:
            if lo <= c and d <= hi:
                seen.add(sentences.clean(hit.text[c:d]).lower())
        source.focus = [[hit.char_start + a, hit.char_start + b]]
        out.append(source)
        if len(out) >= n:
            break
    return out


_WHY_HOW = re.compile(
    r"^\s*(?:why|how|explain|describe|compare)\b|\b(?:differ|difference|compared?|versus|vs\.?|"
    r"advantages?|reasons?|purpose|kinds|types|steps)\b|왜|어떻게|차이|비교|이유|장점|단점|방법|과정",
    re.I,
)
_HOW_MUCH = re.compile(r"\bhow (?:many|much|long|large|big|high|old|far|fast)\b|몇|얼마", re.I)
_NUMERIC = re.compile(
    r"\bhow (?:many|much|long|large|big|high|old)\b|\b(?:percent(?:age)?|number of|amount|"
    r"total|rate|ratio|score|size|price|cost|revenue|income|in what year|which year)\b|"
    r"몇|얼마|비율|금액|수치",
    re.I,
)
_ANAPHOR = re.compile(r"^(?:it|its|this|these|they|their|such|that|those|he|she|both|"
                      r"이는|이것|그|이러한|그러나|또한|따라서)\b", re.I)  # fmt: skip


_ASKING = re.compile(
    r"\b(?:what|which|who|whom|whose|when|where|why|how)\b|" + "|".join(_KOREAN_QUESTION_WORDS),
    re.I,
)


def question_kind(question: str) -> str:
    """What evidence the question needs: "explain" (why/how/compare: the passage around the
    best sentence), "number" (table rows or figures), or "fact" (a sentence). A question of
    two parts ("What does LDG do, and which bin size was used?") reads the passage too."""
    if _HOW_MUCH.search(question) and len(_ASKING.findall(question)) < 2:
        return "number"
    if _WHY_HOW.search(question) or len(_ASKING.findall(question)) >= 2:
        return "explain"
    if _NUMERIC.search(question):
        return "number"
    return "fact"


def _window(judged: Judged, a: int, b: int, kind: str) -> tuple[int, int]:
    """The best unit [a, b) widened to its neighbours within the chunk: the sentence before
    when this one leans on it ("It ...", a short line), the one after for an explanation, a
    table row with the rows around it."""
    units = [(c, d) for c, d, _ in judged.sentences]
    at = next((k for k, (c, _) in enumerate(units) if c == a), None)
    if at is None:
        return a, b
    text = judged.hit.text
    lo, hi = at, at
    unit = sentences.clean(text[a:b])
    lean = bool(_ANAPHOR.match(unit)) or len(unit.split()) < 8 or unit.endswith(":")
    if kind == "explain":
        lo, hi = at - 1, at + 1
    elif kind == "number":
        lo, hi = (at - 1, at + 1) if sentences.is_row(unit) else (at - lean, at)
    else:
        lo, hi = at - lean, at + (unit.endswith(":") or len(unit.split()) < 5)
    lo, hi = max(lo, 0), min(hi, len(units) - 1)
    if hi > at and _heading_like(sentences.clean(text[slice(*units[hi])])):
        hi -= 1  # the heading of the next section belongs to what follows it
    return units[lo][0], units[hi][1]


def _row_with_header(judged: Judged, a: int) -> str:
    """The table row at `a` read against its table's column header, when the chunk holds it."""
    text = judged.hit.text
    units = [sentences.clean(text[c:d]) for c, d, _ in judged.sentences]
    at = next((k for k, (c, _, _) in enumerate(judged.sentences) if c == a), None)
    if at is None:
        return ""
    header = sentences.column_header(units, at)
    return sentences.read_row(header, units[at]) if header else ""


def _heading_like(unit: str) -> bool:
    return len(unit.split()) <= 10 and not sentences.is_row(unit) and unit[-1:] not in ".!?:;。"


def language_of(text: str) -> str:
    return "ko" if textnorm.script_of(text) == "hangul" else "en"


def build_messages(
    question: str,
    sources: list[Source],
    generator: Generator,
    answer_tokens: int,
    lang: str = "en",
) -> tuple[list[dict[str, str]], list[Source]]:
    """Chat messages with as many whole sources as fit the context; lowest-ranked dropped.

    The system prompt and the sources come first so that a follow-up over the same sources
    reuses the model's cache of them (llama.cpp keeps the longest common prefix)."""
    lang = lang if lang in SYSTEM_PROMPTS else "en"
    sources_word, question_word = PROMPT_WORDS[lang]

    def user(blocks: list[str], q: str) -> dict[str, str]:
        body = f"{sources_word}:\n\n" + "\n\n".join(blocks) if blocks else f"{sources_word}: -"
        return {"role": "user", "content": f"{body}\n\n{question_word}: {q}"}

    shown = [f"[{i}] {text}" for i, text in enumerate(_EXAMPLE_SOURCES[lang], start=1)]
    examples: list[dict[str, str]] = []
    for q, a in _EXAMPLES[lang]:
        examples += [user(shown, q), {"role": "assistant", "content": a}]

    def messages_for(blocks: list[str]) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": SYSTEM_PROMPTS[lang]},
            *examples,
            user(blocks, question),
        ]

    base = generator.chat_overhead(messages_for([]))
    budget = generator.n_ctx - answer_tokens - base - 16
    kept: list[Source] = []
    blocks: list[str] = []
    # numbers change the cost by a token at most: count every block once, in one round trip
    costs = generator.count_tokens_many(
        [replace(s, number=i + 1).prompt_block() + "\n\n" for i, s in enumerate(sources)]
    )
    for source, cost in zip(sources, costs, strict=True):
        candidate = replace(source, number=len(kept) + 1)
        block = candidate.prompt_block()
        cost += 1  # its renumbered block may take one token more
        if cost > budget:
            break
        budget -= cost
        kept.append(candidate)
        blocks.append(block)
    return messages_for(blocks), kept


def warm(generator: Generator, lang: str = "en") -> None:
    """Have the model read the instructions and worked examples now, so that the first
    question only costs its own sources (llama.cpp keeps what it read as a reusable prefix)."""
    messages, _ = build_messages("", [], generator, 1, lang)
    generator.stream_chat(messages, max_tokens=1, temperature=0.0)


def answer(
    searcher: Searcher,
    question: str,
    generator: Generator | None,
    *,
    top_k: int = 6,
    max_answer_tokens: int = 512,
    temperature: float = 0.0,
    history: list[str] | None = None,
    previous: list[Source] | None = None,
    on_text: Callable[[str], None] | None = None,
    cancel: CancelToken | None = None,
    no_model_reason: str = "",
    refusal_threshold: float | None = None,
    evidence_sentences: int | None = None,
) -> Answer:
    """Answer `question` from the library. With no generator, return the best passages.

    `refusal_threshold`: how likely the model must be to say the sources lack the answer for
    its refusal to stand (default REFUSAL_THRESHOLD of the question's language; above 1, it
    always answers).

    `previous`: the sources of the chat's last answer; a follow-up gives them to the model
    first, exactly as before, so the model's cache of them is reused (a sooner first token)."""
    question = question.strip()
    if not question:
        raise UserError("Type a question first.")
    cancel = cancel or CancelToken()
    timings: dict[str, float] = {}
    query = retrieval_query(question, history or [])
    t = time.monotonic()
    hits = searcher.search(query, top_k)
    timings["retrieval"] = time.monotonic() - t
    cancel.raise_if_cancelled()
    model = searcher.embedding_model
    judged = [j for j in judge(hits, query, model) if j.relevant]
    lang = language_of(question)
    if not judged:
        closest = [Source.from_hit(i + 1, h) for i, h in enumerate(hits[:3])]
        return Answer(
            question,
            NOT_FOUND[lang],
            "not_found",
            closest,
            retrieval_query=query,
            timings=timings,
            note="No passage is close enough to the question.",
        )
    sources = [Source.from_hit(i + 1, j.hit) for i, j in enumerate(judged)]
    for source, j in zip(sources, judged, strict=True):
        source.focus = focus_ranges(j)
    if evidence_sentences is None:
        small = generator is not None and generator.info.size_bytes < SMALL_MODEL_BYTES
        evidence_sentences = EVIDENCE_SENTENCES if small else 0
    if generator is not None and evidence_sentences:
        # a small model reads the question's best sentences only: it loses a fact in a long
        # passage, and every token it reads delays the first word of the answer
        # (as sources of their own, best first: on SQuAD dev, Qwen2.5-Coder-1.5B answered 61%
        # of the answerable questions so, against 54% with them grouped by passage)
        sources = sentence_sources(judged, evidence_sentences, query)
    if generator is None:
        return Answer(
            question,
            _passages_text(sources, no_model_reason),
            "no_model",
            sources,
            cited=[s.number for s in sources],
            note=no_model_reason,
            retrieval_query=query,
            timings=timings,
        )
    info = generator.info
    if lang == "ko" and not info.writes_korean:
        reason = (
            f"The answering model ({info.name.removesuffix(' (bundled)')}) cannot write Korean, "
            "so here are the passages that answer it. Choose a model that writes Korean in "
            "Settings → Answering model."
        )
        return Answer(
            question, _passages_text(sources, reason), "no_model", sources,
            cited=[s.number for s in sources], note=reason, retrieval_query=query,
            timings=timings, model=info.name,
        )  # fmt: skip
    if previous and query != question:  # a follow-up: what the model read last time first
        seen = {(p.chunk_id, p.excerpt) for p in previous}
        sources = [*previous, *(s for s in sources if (s.chunk_id, s.excerpt) not in seen)]
    # the model sees the question a follow-up continues, as retrieval did
    prompt_question = query
    t = time.monotonic()
    messages, sources = build_messages(prompt_question, sources, generator, max_answer_tokens, lang)
    timings["prompt"] = time.monotonic() - t
    stream = _RefusalFilter(on_text)
    try:
        threshold = REFUSAL_THRESHOLD[lang] if refusal_threshold is None else refusal_threshold
        gen = generator.stream_chat(
            messages, stream, cancel, max_answer_tokens, temperature,
            refusal=(_MARKER, threshold),
        )  # fmt: skip
    except Cancelled:
        return Answer(
            question, "", "cancelled", sources, retrieval_query=query, timings=timings,
            model=info.name,
        )  # fmt: skip
    timings["first_token"] = gen.time_to_first_token
    timings["tokens_per_second"] = gen.tokens_per_second
    timings["tokens"] = float(gen.tokens)
    cut = gen.finish_reason in ("length", "repeat")
    result = finish(question, gen.text, sources, lang, cut=cut)
    if gen.refusal_probability is not None:
        result.checks["refusal_probability"] = round(gen.refusal_probability, 4)
    if gen.finish_reason == "cancelled" and result.status == "answered":
        result.status = "cancelled"
    result.retrieval_query, result.timings, result.model = query, timings, info.name
    return result


def finish(question: str, text: str, sources: list[Source], lang: str, cut: bool = False) -> Answer:
    """The model's text as the user's answer: a refusal, or an answer whose new facts stand in
    no source, becomes "not found" (with the passages, for the user to judge); otherwise every
    sentence a source backs carries its citation, and the sources' sentences that answer it
    are quoted. `cut`: the model ran out of tokens (its last, unfinished sentence is dropped)."""
    text = whole_answer(text, cut)
    if not text or is_refusal(text):
        return Answer(
            question, NOT_FOUND[lang], "not_found", sources,
            note="The passages below were the closest, but none of them answers this.",
        )  # fmt: skip
    evidence = [s.excerpt or s.text for s in sources]
    text, sentences = attribute(text, evidence)
    cited = cited_numbers(text, len(sources))
    # what a source is about: the sentences read and the passage they were taken from
    about = [f"{s.excerpt} {s.text}" for s in sources]
    grounded = max((_grounded(v.text, question, evidence, about) for v in sentences), default=0.0)
    checks = {"grounded": round(grounded, 3)}
    if grounded < MIN_GROUNDED:
        shown = " ".join(text.split())
        return Answer(
            question, NOT_FOUND[lang], "not_found", sources, sentences=sentences, checks=checks,
            note=f"The model answered \"{shown[:300]}\", but your documents do not say so.",
        )  # fmt: skip
    quotes = choose_quotes(text, question, sources, cited)
    if quotes and quotes[0].number not in cited:  # the quoted source is the one it stands on
        text = _recite(text, question, sources, cited, quotes[0].number)
        cited = cited_numbers(text, len(sources))
    return Answer(question, text, "answered", sources, cited, unsupported=not cited,
                  sentences=sentences, checks=checks, quotes=quotes,
                  note="" if cited else "The answer cites none of your documents: "
                  "treat it with care.")  # fmt: skip


def _grounded(sentence: str, question: str, evidence: list[str], about: list[str]) -> float:
    """How much of what `sentence` adds to the question the sources state. Words may come from
    two sources ("input in Python 3, raw_input in Python 2"); a number must stand in one source
    about the question (`about`: each source's passage), or any figure somewhere in the
    sources would do. The words around a figure may come from the passage it was read in (a
    table row's "32488" is in seconds by its caption)."""
    figures = citations.new_numbers_of(sentence, question)
    if figures:
        bare = citations.adds_only_numbers(sentence, question)
        return max(
            (
                news_support(sentence, question, f"{e}\n{a}" if on_topic else e, words_too=True)
                for e, a in zip(evidence, about, strict=True)
                if figures <= citations.numbers_in(e)
                for on_topic in [question_coverage(question, a) >= BARE_NUMBER_COVERAGE]
                # a bare figure ("36% [5]") stands only in a source about the question
                if on_topic or not bare
            ),
            default=0.0,
        )
    return news_support(sentence, question, "\n".join(evidence))


_DANGLING_CITE = re.compile(r"\s*\[[\d,;\s–-]*$")
_CITES = re.compile(r"\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]")
MAX_QUOTES = 3


def whole_answer(text: str, cut: bool = False) -> str:
    """The model's text without a citation left open at its end ("... encoder ["), and, when it
    was cut off, without its unfinished last sentence."""
    text = _DANGLING_CITE.sub("", text.strip()).rstrip()
    said: set[str] = set()
    for a, b in sentences.units(text):  # a small model's loop: keep what it said first
        key = " ".join(_CITES.sub("", text[a:b]).split()).lower()
        if key in said:
            text, cut = text[:a].rstrip(), False
            break
        said.add(key)
    if cut:
        ends = list(re.finditer(r"[.!?。！？](?:\s*\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\])*", text))
        if ends and ends[-1].end() < len(text):
            text = text[: ends[-1].end()]
    return text


def _cite_at_end(text: str, number: int) -> str:
    m = re.search(r"[.!?。！？]+$", text)
    at = m.start() if m else len(text)
    return f"{text[:at]} [{number}]{text[at:]}"


def _recite(text: str, question: str, sources: list[Source], cited: list[int], to: int) -> str:
    """`text` citing source `to`, the one its quote comes from: in place of the citations of
    sources that lack the figure it states (a small model often cites the row beside the
    right one), else at its end."""
    figures = citations.new_numbers_of(text, question)
    read = {s.number: s.excerpt or s.text for s in sources}
    wrong = [n for n in cited if figures and not figures <= citations.numbers_in(read[n])]
    if not cited or len(wrong) < len(cited):
        return _cite_at_end(text, to)
    return re.sub(
        r"\[(\d{1,3})\]", lambda m: f"[{to}]" if int(m.group(1)) in wrong else m.group(), text
    )


def choose_quotes(text: str, question: str, sources: list[Source], cited: list[int]) -> list[Quote]:
    """One to three whole sentences of the cited sources that state the answer `text`: for each
    of its sentences, the unit of the sources it cites that holds most of it, above all of what
    it adds to the question, so a two-part answer is quoted for both parts. A unit that lacks a
    number the sentence states never stands for it."""
    from desktop_rag.core.answers.citations import sentence_spans

    by_number = {s.number: s for s in sources}
    pool = [by_number[n] for n in cited if n in by_number] or sources[:1]

    def units_of(pool: list[Source]) -> list[tuple[Source, int, int, str, bool]]:
        out = []
        for source in pool:
            lo, hi = source.focus[0] if source.focus else (source.char_start, source.char_end)
            for a, b in sentences.units(source.text):
                unit = source.text[a:b]
                if len(unit.split()) < 3:
                    continue
                start, end = source.char_start + a, source.char_start + b
                out.append((source, start, end, unit, start < hi and end > lo))
        return out

    units = units_of(pool)
    out: list[Quote] = []
    for a, b in sentence_spans(text):
        said = text[a:b]
        own = set(cited_numbers(said, len(sources))) or set(cited)
        best, best_score = None, 0.0
        for cand in units:
            held = support(said, cand[3])
            if cand[0].number not in own or held <= 0:
                continue
            # what the sentence adds to the question weighs most: a unit that only restates
            # the question ("we study question generation") does not quote "Jeopardy"
            news = citations.news_support(said, question, cand[3])
            score = 0.3 * held + 0.4 * news + 0.3 * question_coverage(question, cand[3])
            score += 0.1 * cand[4]
            if score > best_score:
                best, best_score = cand, score
        if best is None or any(q.focus == [best[1], best[2]] for q in out):
            continue
        source, start, end, words, _ = best
        out.append(Quote(source.number, source.title, source.path, source.page,
                         sentences.clean(words), [start, end], source.location))  # fmt: skip
        if len(out) >= MAX_QUOTES:
            break
    figures = citations.new_numbers_of(text, question)
    units = [c for c in units if figures <= citations.numbers_in(c[3])]
    if not out and not units and figures:  # the model cited a source without its figure
        units = [c for c in units_of(sources) if figures <= citations.numbers_in(c[3])]
    if not out and units:  # no unit states a sentence whole: the one the model read for it

        def fit(c: tuple[Source, int, int, str, bool]) -> float:
            return 0.6 * support(text, c[3]) + 0.4 * question_coverage(question, c[3]) + c[4]

        source, start, end, words, _ = max(units, key=fit)
        out.append(Quote(source.number, source.title, source.path, source.page,
                         sentences.clean(words), [start, end], source.location))  # fmt: skip
    return out


class _RefusalFilter:
    """Passes streamed text on, holding back a beginning that may become "NOT FOUND" (the
    user sees "not found" from the app instead of the model's marker)."""

    MARK = _MARKER

    def __init__(self, on_text: Callable[[str], None] | None) -> None:
        self.on_text = on_text
        self.held = ""
        self.open = False

    def __call__(self, piece: str) -> None:
        if self.on_text is None:
            return
        if self.open:
            self.on_text(piece)
            return
        self.held += piece
        head = self.held.lstrip().upper()
        if self.MARK.startswith(head) or head.startswith(self.MARK):
            return  # still possibly the marker, or the marker itself: keep it back
        self.open = True
        self.on_text(self.held)


def _passages_text(sources: list[Source], reason: str) -> str:
    head = f"{reason} " if reason else ""
    lines = [f"{head}The most relevant passages:"]
    for s in sources:
        where = describe(s.page, s.location)
        lines.append(f"\n[{s.number}] {s.title}, {where}: {' '.join(s.text.split())[:400]}")
    return "\n".join(lines)


# --- conversations ---------------------------------------------------------------------------


def previous_questions(store: Store, chat_id: int | None) -> list[str]:
    if chat_id is None:
        return []
    return [m["content"] for m in store.messages(chat_id) if m["role"] == "user"]


def previous_sources(store: Store, chat_id: int | None) -> list[Source]:
    """The sources the model read for the chat's last answer, as it read them."""
    if chat_id is None:
        return []
    answers = [m for m in store.messages(chat_id) if m["role"] == "assistant"]
    if not answers or (answers[-1].get("meta") or {}).get("status") != "answered":
        return []
    names = {f.name for f in fields(Source)}
    out = []
    for raw in answers[-1].get("sources") or []:
        try:
            out.append(Source(**{k: v for k, v in raw.items() if k in names}))
        except TypeError:  # saved by an older version
            return []
    return out


def save_exchange(store: Store, chat_id: int | None, result: Answer) -> Answer:
    """Store the question and the answer (with the sources it cited) in a chat."""
    if chat_id is None or store.chat(chat_id) is None:
        chat_id = store.create_chat(result.question[:80])
    store.add_message(chat_id, "user", result.question, [], {})
    sources = [{**asdict(s), "cited": s.number in result.cited} for s in result.sources]
    meta = {
        "status": result.status,
        "unsupported": result.unsupported,
        "note": result.note,
        "model": result.model,
        "timings": result.timings,
        "quotes": [asdict(q) for q in result.quotes],
    }
    result.chat_id = chat_id
    result.message_id = store.add_message(chat_id, "assistant", result.text, sources, meta)
    return result
