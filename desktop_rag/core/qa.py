"""Question answering: retrieve, prompt with numbered sources, stream, cite, and say so
plainly when the documents do not hold the answer."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from desktop_rag.core import textnorm
from desktop_rag.core.citations import (
    SentenceSupport,
    attribute,
    cited_numbers,
    sentence_spans,
)
from desktop_rag.core.embedding import EmbeddingModel, embedder_for
from desktop_rag.core.errors import Cancelled, UserError
from desktop_rag.core.generation import Generator
from desktop_rag.core.retrieval import Hit, vector_weight_for
from desktop_rag.core.store import Store
from desktop_rag.core.tasks import CancelToken

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You answer questions about the user's documents. Use only the numbered sources given "
    "with the question. After every fact, cite its source number in brackets, like [1] or "
    "[2]. Answer in the language of the question, briefly. If the sources do not contain "
    "the answer, say plainly that the documents do not contain it; do not guess."
)
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
# Models this small lose the fact in a long passage: they read each source's best sentences.
SMALL_MODEL_BYTES = 1_500_000_000
EXCERPT_SENTENCES = 3
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
        )

    def prompt_block(self) -> str:
        text = self.excerpt or " ".join(self.text.split())
        return f"[{self.number}] {self.title}, p. {self.page}: {text}"


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

    @property
    def citations(self) -> list[Source]:
        by_number = {s.number: s for s in self.sources}
        return [by_number[n] for n in self.cited if n in by_number]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["citations"] = [asdict(s) for s in self.citations]
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
    spans = [[(a, b) for a, b in sentence_spans(h.text) if b - a > 3] for h in hits]
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


def excerpt(judged: Judged, max_sentences: int) -> str:
    """The chunk's best sentences in their original order, whole, gaps marked with '…'."""
    text = judged.hit.text
    if len(judged.sentences) <= max_sentences:
        return " ".join(text.split())
    best = sorted(judged.sentences, key=lambda s: -s[2])[:max_sentences]
    best.sort()
    parts = []
    for i, (a, b, _) in enumerate(best):
        if i and a > best[i - 1][1] + 2:
            parts.append("…")
        parts.append(" ".join(text[a:b].split()))
    return " ".join(parts)


def language_of(text: str) -> str:
    return "ko" if textnorm.script_of(text) == "hangul" else "en"


def build_messages(
    question: str, sources: list[Source], generator: Generator, answer_tokens: int
) -> tuple[list[dict[str, str]], list[Source]]:
    """Chat messages with as many whole sources as fit the context; lowest-ranked dropped."""

    def messages_for(blocks: list[str]) -> list[dict[str, str]]:
        body = "Sources:\n\n" + "\n\n".join(blocks) if blocks else "Sources: (none)"
        return [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{body}\n\nQuestion: {question}"},
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


def answer(
    searcher: Searcher,
    question: str,
    generator: Generator | None,
    *,
    top_k: int = 6,
    max_answer_tokens: int = 512,
    temperature: float = 0.0,
    history: list[str] | None = None,
    on_text: Callable[[str], None] | None = None,
    cancel: CancelToken | None = None,
    no_model_reason: str = "",
) -> Answer:
    """Answer `question` from the library. With no generator, return the best passages."""
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
    if generator is not None and generator.info.size_bytes < SMALL_MODEL_BYTES:
        for source, j in zip(sources, judged, strict=True):
            source.excerpt = excerpt(j, EXCERPT_SENTENCES)
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
    # the model sees the question a follow-up continues, as retrieval did
    prompt_question = query
    t = time.monotonic()
    messages, sources = build_messages(prompt_question, sources, generator, max_answer_tokens)
    timings["prompt"] = time.monotonic() - t
    try:
        gen = generator.stream_chat(messages, on_text, cancel, max_answer_tokens, temperature)
    except Cancelled:
        return Answer(
            question,
            "",
            "cancelled",
            sources,
            retrieval_query=query,
            timings=timings,
            model=generator.info.name,
        )
    timings["first_token"] = gen.time_to_first_token
    timings["tokens_per_second"] = gen.tokens_per_second
    timings["tokens"] = float(gen.tokens)
    text, sentences = attribute(gen.text.strip(), [s.excerpt or s.text for s in sources])
    cited = cited_numbers(text, len(sources))
    status = "cancelled" if gen.finish_reason == "cancelled" else "answered"
    return Answer(
        question,
        text,
        status,
        sources,
        cited,
        unsupported=not cited,
        sentences=sentences,
        retrieval_query=query,
        model=generator.info.name,
        timings=timings,
        note="" if cited else "The answer cites none of your documents: treat it with care.",
    )


def _passages_text(sources: list[Source], reason: str) -> str:
    head = f"{reason} " if reason else ""
    lines = [f"{head}The most relevant passages:"]
    for s in sources:
        lines.append(f"\n[{s.number}] {s.title}, p. {s.page}: {' '.join(s.text.split())[:400]}")
    return "\n".join(lines)


# --- conversations ---------------------------------------------------------------------------


def previous_questions(store: Store, chat_id: int | None) -> list[str]:
    if chat_id is None:
        return []
    return [m["content"] for m in store.messages(chat_id) if m["role"] == "user"]


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
    }
    result.chat_id = chat_id
    result.message_id = store.add_message(chat_id, "assistant", result.text, sources, meta)
    return result
