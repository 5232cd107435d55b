"""Summaries of a document (or a page range of it), checked like answers.

Map-reduce sized for a small model on a laptop: the document's pages are cut into at most
MAX_PARTS parts; for each part the sentences that best represent it are chosen without the
model (SumBasic: the sentences whose words the part uses most, each choice making its words
count less), and the model writes a one- or two-sentence note from them (streamed: the first
note is on screen seconds after the start); then it writes an overview from the notes. Every
sentence it wrote is checked against the pages (`citations.support`, as answers are): a
sentence one page (or two together) supports is cited to them, any other is left out and
counted. Summaries and notes are kept in the store per document version, model, page range
and language, so asking again is instant and a cancelled summary resumes where it stopped."""

from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from desktop_rag.core import textnorm
from desktop_rag.core.answers.citations import SentenceSupport, sentence_spans, support
from desktop_rag.core.answers.generation import Generator
from desktop_rag.core.answers.qa import Answer, Source
from desktop_rag.core.documents import sentences
from desktop_rag.core.errors import Cancelled, UserError
from desktop_rag.core.storage.store import Store
from desktop_rag.core.tasks import CancelToken, Progress

log = logging.getLogger(__name__)

SUMMARY_VERSION = 1  # a change of method: summaries kept by an older one are not reused
PAGES_PER_PART = 5
MAX_PARTS = 10
# What the model reads per part, in characters (about 250 tokens of English; Korean takes
# more tokens per character). On 2 cores the 1.5B default reads a few hundred tokens a second
# and writes about 20: a part costs a few seconds, the first note shows within 10.
EVIDENCE_CHARS = {"en": 900, "ko": 400}
NOTE_TOKENS = 64
FIRST_PART_SHARE = 0.6  # of EVIDENCE_CHARS, for the first part
OVERVIEW_TOKENS = 150
SUPPORTED = 0.5  # citations.attribute's threshold: the share of a sentence's terms a page holds
REPEATED = 0.85  # an overview sentence this much made of a note's words repeats it: left out
SECONDS_PER_PART = 8.0  # the first estimate of time left, until a part has been timed

_PROMPTS: dict[str, dict[str, Any]] = {
    "en": {
        "note": (
            "You write notes on a document, part by part. You are given sentences from one "
            "part. Write one short sentence that says what this part is about, using the "
            "sentences' own words and names. Add nothing they do not say."
        ),
        "overview": (
            "You summarize a document from notes on its parts. Write two or three sentences "
            "that say what the whole document is about and what its main points are, using the "
            "notes' own words. Do not repeat the notes one by one. Add nothing they do not say."
        ),
        "example": (
            "Harbour guide, pages 2–5:\n"
            "- The harbour office opens at 8 a.m. on weekdays and at 10 a.m. on Saturdays.\n"
            "- A fishing permit costs 12 euros for a day and 40 euros for a week.\n"
            "- Permits are sold at the harbour office.",
            "These pages give the harbour office's opening hours and the fishing permits' "
            "prices: 12 euros for a day, 40 euros for a week.",
        ),
        "part": "{title}, pages {a}–{b}:",
        "notes": "{title}\n\nNotes on its parts:",
        "label": "Pages {a}–{b}",
        "one_page": "Page {a}",
        "by_part": "Part by part:",
    },
    "ko": {
        "note": (
            "문서를 부분별로 정리합니다. 한 부분에서 뽑은 문장들을 보고, 이 부분이 무엇에 관한 "
            "내용인지 짧은 한 문장으로 한국어로 쓰세요. 문장에 쓰인 말과 이름을 그대로 쓰고, "
            "문장에 없는 내용은 더하지 마세요."
        ),
        "overview": (
            "문서의 부분별 메모를 보고 문서 전체를 요약합니다. 문서 전체가 무엇에 관한 것이고 "
            "요점이 무엇인지 두세 문장으로 한국어로 쓰세요. 메모에 쓰인 말을 그대로 쓰되 메모를 "
            "하나씩 되풀이하지 말고, 메모에 없는 내용은 더하지 마세요."
        ),
        "example": (
            "항구 안내, 2–5쪽:\n"
            "- 항구 사무소는 평일에는 오전 8시에, 토요일에는 오전 10시에 문을 엽니다.\n"
            "- 낚시 허가증은 하루에 12유로, 일주일에 40유로입니다.\n"
            "- 허가증은 항구 사무소에서 팝니다.",
            "이 부분은 항구 사무소가 문을 여는 시간과 낚시 허가증 가격(하루 12유로, 일주일 "
            "40유로)을 다룹니다.",
        ),
        "part": "{title}, {a}–{b}쪽:",
        "notes": "{title}\n\n부분별 메모:",
        "label": "{a}–{b}쪽",
        "one_page": "{a}쪽",
        "by_part": "부분별 요약:",
    },
}
# Words that say what a sentence is doing, not what the document says: left out when checking
# it against the pages ("These pages describe X" is supported when the pages say X).
_META = re.compile(
    r"\b(?:this|these|the)\s+(?:part|parts|pages?|section|sections|document|report|paper|"
    r"chapter|text|publication|notes?|excerpt|passage|guide|book|article)\b|"
    r"\b(?:it|they)\s+(?:also\s+)?|"
    r"\b(?:discuss(?:es|ed)?|describ(?:es|ed|e)|cover(?:s|ed)?|explain(?:s|ed)?|outlin(?:es|ed|e)|"
    r"present(?:s|ed)?|provid(?:es|ed|e)|giv(?:es|en|e)|focus(?:es|ed)?\s+on|deal(?:s|t)?\s+with|"
    r"(?:is|are)\s+about|talk(?:s)?\s+about|summari[sz](?:es|ed|e)|highlight(?:s|ed)?|"
    r"mention(?:s|ed)?|includ(?:es|ed|e)|introduc(?:es|ed|e)|detail(?:s|ed)?|address(?:es|ed)?|"
    r"list(?:s|ed)?|overview|main\s+points?|key\s+points?|also|further(?:more)?|additionally|"
    r"overall|including)\b|"
    r"이\s*(?:부분|문서|장|절|쪽|보고서|글)(?:은|는|에서는|에서)?|"
    r"(?:을|를)?\s*(?:다룹니다|다루며|다루고|다룬다|설명합니다|설명하며|설명하고|소개합니다|"
    r"소개하며|제시합니다|보여\s*줍니다|정리합니다|요약합니다)|에\s*(?:관한|대한)\s*내용(?:입니다|이다)?",
    re.I,
)


@dataclass
class Unit:
    """A sentence of the document: where it is (page text offsets) and its chunk."""

    page: int
    start: int
    end: int
    text: str
    chunk_id: int


@dataclass
class Checked:
    """A sentence the model wrote, and the pages that support it (none: left out)."""

    text: str
    pages: list[int]
    score: float

    @property
    def supported(self) -> bool:
        return bool(self.pages)


@dataclass
class Part:
    first: int
    last: int
    units: list[Unit] = field(default_factory=list)
    evidence: list[Unit] = field(default_factory=list)
    note: str = ""  # as the model wrote it
    checked: list[Checked] = field(default_factory=list)


def parse_pages(text: str) -> tuple[int, int]:
    """A page range as a person writes it: "3-9", "3–9", "3 to 9", "5"."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*(?:(?:-|–|—|~|to|\.\.)\s*(\d{1,6}))?\s*", text or "")
    if not m:
        raise UserError(f"'{text}' is not a page range.", "Write it like 3-9 (or one page: 5).")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if first < 1 or last < first:
        raise UserError(f"'{text}' is not a page range.", "Pages count from 1, the first first.")
    return first, last


def model_key(generator: Generator | None) -> str:
    """What names the model in the cache: its file and size (a changed file is another)."""
    if generator is None:
        return "extractive"
    return f"{PurePath(generator.model_path).name}:{generator.info.size_bytes}"


def summarize(
    store: Store,
    document_id: int,
    generator: Generator | None,
    *,
    pages: tuple[int, int] | None = None,
    question: str = "",
    section: str = "",
    on_text: Callable[[str], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    use_cache: bool = True,
    no_model_reason: str = "",
) -> Answer:
    """A checked summary of a document, or of `pages` (first, last) of it: an overview and a
    note per part, each sentence cited to the pages that support it. Partial notes stream to
    `on_text`; `progress` hears the part being read and the time left. Without a model (or one
    that cannot write the document's language) the summary is the document's own sentences."""
    cancel = cancel or CancelToken()
    t0 = time.monotonic()
    doc = store.document(document_id)
    if doc is None or doc["status"] != "ready":
        raise UserError("That document is not in the library (any more).")
    title = doc["title"] or PurePath(doc["path"]).name
    first, last = pages or (1, int(doc["page_count"]) or 1)
    if first > doc["page_count"]:
        raise UserError(
            f"“{title}” has {doc['page_count']} pages; there is no page {first}.",
            f"Choose pages from 1 to {doc['page_count']}.",
        )
    last = min(last, int(doc["page_count"]) or last)
    chunks = store.document_chunks(document_id, first, last)
    units = _units(chunks)
    if not units:
        raise UserError(
            f"Pages {first}–{last} of “{title}” hold no text to summarize.",
            "Choose other pages; a scanned page without OCR has no text.",
        )
    lang = document_language(units)
    question = question or (f"Summarize “{title}”" if lang == "en" else f"“{title}” 요약")
    writes = generator is not None and (lang == "en" or generator.info.writes_korean)
    used = generator if writes else None
    key = (doc["sha256"] or f"id:{document_id}", model_key(used), f"{first}-{last}",
           f"{lang}/v{SUMMARY_VERSION}")  # fmt: skip
    if use_cache:
        kept = store.cached_summary(key)
        if kept is not None:
            result = _answer_from_cache(question, kept, doc)
            result.timings = {"cached": 1.0, "total": time.monotonic() - t0}
            _report(progress, 1, 1, "", 0.0)
            return result
    parts = plan_parts(units, first, last)
    frequencies = _frequencies(units)
    for k, part in enumerate(parts):
        # the first note is made from fewer sentences, so that it is on screen sooner
        budget = EVIDENCE_CHARS[lang] * (FIRST_PART_SHARE if k == 0 and len(parts) > 1 else 1)
        part.evidence = choose_evidence(part.units, frequencies, int(budget))
    texts = store.page_texts(document_id, first, last)
    words = _PROMPTS[lang]
    timings: dict[str, float] = {}
    steps = len(parts) + (1 if used is not None and len(parts) > 1 else 0)
    per_step: list[float] = []
    for k, part in enumerate(parts):
        cancel.raise_if_cancelled()
        label = _label(part, lang)
        left = (steps - k) * (sum(per_step) / len(per_step) if per_step else SECONDS_PER_PART)
        _report(progress, k, steps, label, left if used is not None else 0.0)
        t = time.monotonic()
        kept_note = (
            store.cached_summary(key, part=f"{part.first}-{part.last}") if use_cache else None
        )
        if kept_note is not None:
            part.note = kept_note["note"]
            if on_text is not None:
                on_text(f"{label}: {part.note}\n\n")
        elif used is None:
            part.note = " ".join(u.text for u in part.evidence[:2])
        else:
            if on_text is not None:
                on_text(f"{label}: ")

            def streamed(piece: str) -> None:
                timings.setdefault("first_token", time.monotonic() - t0)
                if on_text is not None:
                    on_text(piece)

            gen = used.stream_chat(
                _note_messages(title, part, lang), streamed, cancel, NOTE_TOKENS, temperature=0.0
            )
            if gen.finish_reason == "cancelled":
                raise Cancelled()
            part.note = _whole_sentences(gen.text, gen.finish_reason == "length")
            if on_text is not None:
                on_text("\n\n")
            store.keep_summary(key, {"note": part.note}, part=f"{part.first}-{part.last}")
        timings.setdefault("first_note", time.monotonic() - t0)
        per_step.append(time.monotonic() - t)
        part.checked = [
            check_sentence(s, texts, [u.page for u in part.units]) for s in _sentences_of(part.note)
        ]
    timings["parts"] = time.monotonic() - t0
    overview: list[Checked] = []
    if used is not None and len(parts) > 1:
        cancel.raise_if_cancelled()
        _report(progress, len(parts), steps, words["by_part"], sum(per_step) / len(per_step))
        if on_text is not None:
            on_text("…\n\n")
        messages = _overview_messages(title, parts, lang)
        gen = used.stream_chat(messages, on_text, cancel, OVERVIEW_TOKENS, temperature=0.0)
        if gen.finish_reason == "cancelled":
            raise Cancelled()
        candidates = sorted({u.page for p in parts for u in p.evidence} |
                            {n for p in parts for c in p.checked for n in c.pages})  # fmt: skip
        noted = [c.text for p in parts for c in p.checked]
        overview = [
            check_sentence(s, texts, candidates)
            for s in _sentences_of(_whole_sentences(gen.text, gen.finish_reason == "length"))
            if not any(support(s, n) >= REPEATED for n in noted)  # a note said again
        ]
    timings["total"] = time.monotonic() - t0
    _report(progress, steps, steps, "", 0.0)
    result = _assemble(question, doc, parts, overview, chunks, lang, used, no_model_reason)
    for source in result.sources:  # "slide 3" where the page number says too little
        row = store.page(int(doc["id"]), source.page)
        source.location = str(row.get("label") or "") if row else ""
    result.timings = timings
    result.model = used.info.name if used is not None else ""
    if section:
        result.note = _section_note(section, first, last, lang) + " " + result.note
    store.keep_summary(key, _to_cache(result))
    return result


# --- choosing what the model reads ---------------------------------------------------------


def _units(chunks: list[dict[str, Any]]) -> list[Unit]:
    """The sentences of the chunks in reading order, each once (chunks overlap)."""
    out: list[Unit] = []
    seen: set[tuple[int, int]] = set()
    seen_text: set[str] = set()
    for chunk in chunks:
        text = chunk["text"]
        for a, b in sentences.units(text):
            start = int(chunk["char_start"]) + a
            where = (int(chunk["page"]), start)
            clean = sentences.without_references(sentences.clean(text[a:b]))
            if where in seen or clean.casefold() in seen_text:
                continue
            seen.add(where)
            seen_text.add(clean.casefold())
            out.append(Unit(int(chunk["page"]), start, int(chunk["char_start"]) + b, clean,
                            int(chunk["id"])))  # fmt: skip
    return out


def document_language(units: list[Unit]) -> str:
    """ "ko" when a good share of the document's letters are Hangul (a Korean manual quotes
    much English: commands, names), else "en": the language its summary is written in, so
    that its sentences can be checked against its pages."""
    hangul = latin = 0
    for u in units:
        for ch in u.text:
            if "\uac00" <= ch <= "\ud7af":
                hangul += 1
            elif ch.isascii() and ch.isalpha():
                latin += 1
    # a Hangul syllable carries about what three Latin letters do
    return "ko" if 3 * hangul >= latin else "en"


def _terms(text: str) -> list[str]:
    words = re.findall(r"\w+", textnorm.fts_text(text.lower()))
    return [w for w in words if len(w) >= 2 and not w.isdigit() and w not in textnorm.STOPWORDS]


def _frequencies(units: list[Unit]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for u in units:
        counts.update(_terms(u.text))
    return counts


def is_prose(text: str) -> bool:
    """A sentence worth reading as a summary's evidence: not a heading, a table row, a
    reference, a link or a line of the table of contents."""
    if textnorm.script_of(text) == "hangul":
        if len(text) < 15 or len(text) > 400:
            return False
    else:
        words = text.split()
        if len(words) < 7 or len(words) > 80:
            return False
        capitals = sum(1 for w in words if w[:1].isupper())
        if capitals > 0.6 * len(words):
            return False  # a title, a reference list, a table of contents
    if re.search(r"https?://|www\.|doi\.org|\.{4,}|…{2,}", text) or sentences.is_row(text):
        return False
    if not re.match(r"[\"“‘'(]?[A-Z0-9\uac00-\ud7af]", text):
        return False  # begins mid-sentence: a fragment of a column or a cut line
    letters = sum(ch.isalpha() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    return letters >= 0.6 * len(text.replace(" ", "")) and digits <= 0.15 * max(1, len(text))


def plan_parts(units: list[Unit], first: int, last: int) -> list[Part]:
    """Contiguous page ranges of about equal text, at most MAX_PARTS, about PAGES_PER_PART
    pages each; every page of [first, last] belongs to one."""
    count = max(1, min(MAX_PARTS, math.ceil((last - first + 1) / PAGES_PER_PART)))
    weight = Counter({p: 0 for p in range(first, last + 1)})
    for u in units:
        weight[u.page] += len(u.text) if is_prose(u.text) else len(u.text) // 4
    total = sum(weight.values()) or 1
    parts: list[Part] = []
    start, acc = first, 0.0
    for page in range(first, last + 1):
        acc += weight[page]
        if acc >= total * (len(parts) + 1) / count and len(parts) < count - 1 and page < last:
            parts.append(Part(start, page))
            start = page + 1
    parts.append(Part(start, last))
    for part in parts:
        part.units = [u for u in units if part.first <= u.page <= part.last]
    return [p for p in parts if p.units] or parts[:1]


def choose_evidence(units: list[Unit], document: Counter[str], budget: int) -> list[Unit]:
    """The sentences that best represent a part, in reading order, up to `budget` characters:
    SumBasic (Nenkova and Vanderwende, 2005): each sentence scores the mean probability of its
    words (half the part's own, half the document's), the best is taken and its words' weights
    are squared, so the next choice covers something else."""
    pool = [u for u in units if is_prose(u.text)] or units
    local: Counter[str] = Counter()
    for u in pool:
        local.update(_terms(u.text))
    n_local, n_doc = sum(local.values()) or 1, sum(document.values()) or 1
    prob = {w: 0.5 * local[w] / n_local + 0.5 * document[w] / n_doc for w in local}
    terms = {id(u): _terms(u.text) for u in pool}
    chosen: list[Unit] = []
    used = 0
    left = list(pool)
    while left and used < budget:

        def score(u: Unit) -> float:
            ts = terms[id(u)]
            return sum(prob[t] for t in ts) / len(ts) if ts else 0.0

        best = max(left, key=score)
        left.remove(best)
        if chosen and used + len(best.text) > budget * 1.15:
            continue  # too long for what is left of the budget: a shorter one may fit
        chosen.append(best)
        used += len(best.text)
        for t in set(terms[id(best)]):
            prob[t] = prob[t] ** 2
    return sorted(chosen, key=lambda u: (u.page, u.start))


# --- prompts -------------------------------------------------------------------------------


def _note_messages(title: str, part: Part, lang: str) -> list[dict[str, str]]:
    words = _PROMPTS[lang]
    example_q, example_a = words["example"]
    head = words["part"].format(title=title, a=part.first, b=part.last)
    body = "\n".join(f"- {u.text}" for u in part.evidence)
    return [
        {"role": "system", "content": words["note"]},
        {"role": "user", "content": example_q},
        {"role": "assistant", "content": example_a},
        {"role": "user", "content": f"{head}\n{body}"},
    ]


def _overview_messages(title: str, parts: list[Part], lang: str) -> list[dict[str, str]]:
    words = _PROMPTS[lang]
    lines = []
    for part in parts:
        kept = " ".join(c.text for c in part.checked if c.supported)
        if kept:
            lines.append(f"- {_label(part, lang)}: {kept}")
    return [
        {"role": "system", "content": words["overview"]},
        {"role": "user", "content": words["notes"].format(title=title) + "\n" + "\n".join(lines)},
    ]


def _label(part: Part, lang: str) -> str:
    words = _PROMPTS[lang]
    if part.first == part.last:
        return words["one_page"].format(a=part.first)
    return words["label"].format(a=part.first, b=part.last)


# --- checking what the model wrote ---------------------------------------------------------


def _whole_sentences(text: str, cut: bool) -> str:
    """The model's text without a last sentence it did not finish."""
    text = " ".join(text.split())
    if cut:
        ends = list(re.finditer(r"[.!?。！？]", text))
        if ends and ends[-1].end() < len(text):
            text = text[: ends[-1].end()]
    return text


def _sentences_of(text: str) -> list[str]:
    """The sentences of a note or an overview worth checking (not labels or fragments)."""
    out = []
    for a, b in sentence_spans(text):
        s = re.sub(r"^\s*(?:[-•*]\s*|(?:pages?\s+\d+\s*[–-]\s*\d+|\d+\s*[–-]\s*\d+\s*쪽)\s*:\s*)",
                   "", text[a:b], flags=re.I).strip()  # fmt: skip
        s = re.sub(r"\s*\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]", "", s)
        if s.endswith(":") or len(re.findall(r"\w+", s)) < 3:
            continue
        out.append(s)
    return out


def claim_of(sentence: str) -> str:
    """What a sentence of a summary claims of the document: without the words that only say
    what the text does ("these pages describe", "이 부분은 … 다룹니다")."""
    return " ".join(_META.sub(" ", sentence).split()) or sentence


def check_sentence(sentence: str, texts: dict[int, str], candidates: list[int]) -> Checked:
    """The page among `candidates` that best supports the sentence (or, when none does alone,
    the two that do together); no pages when none does. Words that only say what the text
    does ("this part describes") are not asked of the pages."""
    claim = claim_of(sentence)
    pages = sorted({p for p in candidates if p in texts})
    if not pages:
        return Checked(sentence, [], 0.0)
    scores = {p: support(claim, texts[p]) for p in pages}
    best = max(pages, key=lambda p: (scores[p], -p))
    if scores[best] >= SUPPORTED:
        return Checked(sentence, [best], scores[best])
    pair_score, pair = 0.0, best
    for p in sorted(pages, key=lambda p: -scores[p])[:8]:
        if p == best:
            continue
        together = support(claim, texts[best] + "\n" + texts[p])
        if together > pair_score:
            pair_score, pair = together, p
    if pair_score >= SUPPORTED:
        return Checked(sentence, sorted({best, pair}), pair_score)
    return Checked(sentence, [], max(scores[best], pair_score))


# --- the result ----------------------------------------------------------------------------


def _assemble(
    question: str,
    doc: dict[str, Any],
    parts: list[Part],
    overview: list[Checked],
    chunks: list[dict[str, Any]],
    lang: str,
    model: Generator | None,
    no_model_reason: str,
) -> Answer:
    """The summary's text with its citations, its sources (the cited pages, in page order)
    and what the check found."""
    words = _PROMPTS[lang]
    fallback: dict[int, Checked] = {}
    for k, part in enumerate(parts):
        if not any(c.supported for c in part.checked) and part.evidence:
            # nothing the model wrote stands: the part's own best sentence, quoted
            best = part.evidence[0]
            fallback[k] = Checked(f"“{best.text}”", [best.page], 1.0)
    cited_pages = sorted(
        {p for c in overview for p in c.pages}
        | {p for part in parts for c in part.checked for p in c.pages}
        | {p for c in fallback.values() for p in c.pages}
    )
    number = {p: i + 1 for i, p in enumerate(cited_pages)}

    def line(checked: list[Checked]) -> str:
        return " ".join(_with_cites(c.text, [number[p] for p in c.pages]) for c in checked
                        if c.supported)  # fmt: skip

    top = line(overview)
    rows = []
    for k, part in enumerate(parts):
        body = line(part.checked) or (line([fallback[k]]) if k in fallback else "")
        if body:
            rows.append((part, body))
    if len(parts) == 1:
        text = rows[0][1] if rows else ""
    else:
        listing = "\n".join(f"- {_label(p, lang)}: {body}" for p, body in rows)
        text = (
            f"{top}\n\n{words['by_part']}\n{listing}" if top else f"{words['by_part']}\n{listing}"
        )
    # each cited page opens on the sentence of it that best supports what cites it
    units = [u for p in parts for u in p.units]
    focus: dict[int, list[Unit]] = {}
    for c in [*overview, *(c for p in parts for c in p.checked), *fallback.values()]:
        for p in c.pages:
            on_page = [u for u in units if u.page == p]
            if on_page:
                best = max(on_page, key=lambda u: support(c.text, u.text))
                if best not in focus.setdefault(p, []):
                    focus[p].append(best)
    by_id = {int(ch["id"]): ch for ch in chunks}
    sources = []
    for p in cited_pages:
        marks = focus.get(p) or [u for u in units if u.page == p][:1]
        chunk = by_id.get(marks[0].chunk_id) if marks else None
        sources.append(
            Source(
                number=number[p], chunk_id=int(chunk["id"]) if chunk else 0,
                document_id=int(doc["id"]), title=doc["title"] or PurePath(doc["path"]).name,
                path=doc["path"], kind=doc["kind"], page=p,
                char_start=int(chunk["char_start"]) if chunk else 0,
                char_end=int(chunk["char_end"]) if chunk else 0,
                text=chunk["text"] if chunk else "", spans=[], score=0.0, dense_score=0.0,
                excerpt=" ".join(u.text for u in marks),
                focus=[[u.start, u.end] for u in marks],
            )
        )  # fmt: skip
    written = [*overview, *(c for p in parts for c in p.checked)]
    kept = sum(c.supported for c in written)
    verdicts = [SentenceSupport(c.text, [number[p] for p in c.pages], True, c.supported)
                for c in written]  # fmt: skip
    read = sum(len(p.evidence) for p in parts)
    first, last = parts[0].first, parts[-1].last
    if model is None:
        note = (
            f"{no_model_reason + ' ' if no_model_reason else ''}Without a language model: the "
            f"document's own sentences that best represent each part ({read} from pages "
            f"{first}–{last})."
            if lang == "en"
            else f"{no_model_reason + ' ' if no_model_reason else ''}언어 모델 없이 만든 요약: "
            f"{first}–{last}쪽에서 각 부분을 가장 잘 나타내는 문장 {read}개를 그대로 옮겼습니다."
        )
    elif lang == "en":
        note = (
            f"Written by the answering model from {read} sentences chosen across pages "
            f"{first}–{last}, part by part; every sentence was checked against the pages it "
            "cites."
        )
        if kept < len(written):
            dropped = len(written) - kept
            note += f" {dropped} sentence{'s' if dropped != 1 else ''} no page supports "
            note += "were left out."
        if fallback:
            note += " Where nothing it wrote stood, the part's own sentence is quoted."
    else:
        note = (
            f"{first}–{last}쪽에서 부분마다 고른 문장 {read}개를 보고 답변 모델이 쓴 요약입니다. "
            "모든 문장을 인용한 쪽과 대조했습니다."
        )
        if kept < len(written):
            note += f" 어느 쪽에서도 확인되지 않은 문장 {len(written) - kept}개는 뺐습니다."
        if fallback:
            note += " 확인된 문장이 없는 부분은 문서의 문장을 그대로 인용했습니다."
    return Answer(
        question, text, "summary", sources, cited=[s.number for s in sources],
        sentences=verdicts, note=note,
        checks={"sentences": float(len(written)), "supported": float(kept),
                "support_rate": round(kept / len(written), 4) if written else 1.0,
                "parts": float(len(parts)), "evidence_sentences": float(read)},
    )  # fmt: skip


def _with_cites(sentence: str, numbers: list[int]) -> str:
    marks = "".join(f" [{n}]" for n in numbers)
    m = re.search(r"[.!?。！？”\"]+$", sentence)
    at = m.start() if m and not sentence.endswith("”") else len(sentence)
    return f"{sentence[:at]}{marks}{sentence[at:]}"


def _section_note(section: str, first: int, last: int, lang: str) -> str:
    if lang == "en":
        return f"{section[:1].upper()}{section[1:]} is on pages {first}–{last}."
    return f"{section}은(는) {first}–{last}쪽입니다."


def _report(
    progress: Callable[[Progress], None] | None, done: int, total: int, label: str, left: float
) -> None:
    if progress is not None:
        progress(Progress(stage="summary", files_done=done, files_total=total, current=label,
                          eta_seconds=left or None))  # fmt: skip


def _to_cache(result: Answer) -> dict[str, Any]:
    return {
        "text": result.text,
        "sources": [asdict(s) for s in result.sources],
        "cited": result.cited,
        "sentences": [asdict(s) for s in result.sentences],
        "note": result.note,
        "checks": result.checks,
        "model": result.model,
        "made": result.timings,
    }


def _answer_from_cache(question: str, kept: dict[str, Any], doc: dict[str, Any]) -> Answer:
    # kept by content: a copy of the file elsewhere (or renamed) opens where it is now
    here = {"document_id": int(doc["id"]), "path": doc["path"], "kind": doc["kind"],
            "title": doc["title"] or PurePath(doc["path"]).name}  # fmt: skip
    return Answer(
        question, kept["text"], "summary", [Source(**{**s, **here}) for s in kept["sources"]],
        cited=list(kept["cited"]), sentences=[SentenceSupport(**s) for s in kept["sentences"]],
        note=kept["note"], checks=dict(kept["checks"]), model=kept.get("model", ""),
    )  # fmt: skip


# --- sections ------------------------------------------------------------------------------


def find_section(store: Store, document_id: int, label: str) -> tuple[int, int] | None:
    """The pages of a section named like "chapter 3", "section 2.1", "appendix B", "3장" or
    "2.1절": from the page where its heading stands (not in a table of contents) to the page
    before the next one of its level. None when no such heading is found."""
    m = re.match(r"(?i)\s*(chapter|section|part|appendix)?\s*제?\s*([0-9]+(?:\.[0-9]+)*|[A-Z]+)"
                 r"\s*(장|절|부)?\s*$", label)  # fmt: skip
    if not m:
        return None
    word, number = (m.group(1) or "").lower(), m.group(2)
    texts = store.page_texts(document_id)

    def heading(num: str) -> re.Pattern[str]:
        esc = re.escape(num)
        forms = [rf"(?:chapter|section|part|appendix)\s+{esc}\b", rf"제?\s*{esc}\s*(?:장|절|부)"]
        if num[0].isdigit() and word != "appendix":
            forms.append(rf"{esc}\.?\s+[^\W\d_]")  # "3 Logical Components", "2.1 Tenets"
        return re.compile(rf"(?im)^\s*(?:{'|'.join(forms)})")

    def toc_line(line: str) -> bool:
        return bool(re.search(r"(?:\.{2,}|…|\s)\s*\d{1,4}\s*$", line))

    def find(pattern: re.Pattern[str], after: int) -> tuple[int, bool] | None:
        for page in sorted(texts):
            if page <= after:
                continue
            lines = texts[page].splitlines()
            if sum(toc_line(ln) for ln in lines) >= 5:
                continue  # a page of the table of contents
            for i, ln in enumerate(lines):
                if pattern.match(ln) and not toc_line(ln):
                    top = all(not x.strip() for x in lines[:i]) or i <= 1
                    return page, top
        return None

    start = find(heading(number), 0)
    if start is None:
        return None
    nxt = _next_numbers(number)
    ends = [e for e in (find(heading(n), start[0] - 1) for n in nxt) if e and e[0] >= start[0]]
    if not ends:
        return start[0], max(texts)
    page, top = min(ends)
    return start[0], max(start[0], page - 1 if top else page)


def _next_numbers(number: str) -> list[str]:
    """The headings that would end section `number`: "3" -> "4"; "2.1" -> "2.2", "3"; "B" -> "C"."""
    if number.isalpha():
        return [chr(ord(number[-1]) + 1)] if len(number) == 1 else []
    parts = number.split(".")
    out = []
    for depth in range(len(parts), 0, -1):
        head = [*parts[: depth - 1], str(int(parts[depth - 1]) + 1)]
        out.append(".".join(head))
    return out
