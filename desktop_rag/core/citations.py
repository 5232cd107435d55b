"""Citations in an answer: the [n] the model wrote, checked against the sources, and [n]
added where the model stated a source's fact without citing it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from desktop_rag.core import textnorm

_CITE = re.compile(r"\[(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


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


def _terms(text: str) -> set[str]:
    words = textnorm.fts_text(text.lower()).split()
    out = set()
    for w in words:
        w = w.strip(".,;:!?()[]\"'“”‘’")
        if len(w) < 2 or w in textnorm.STOPWORDS:
            continue
        out.add(w[:6] if w.isascii() and w.isalpha() else w)  # crude stemming: metres ~ metre
    return out


def support(sentence: str, source: str) -> float:
    """How well `source` backs `sentence`: the share of the sentence's terms it contains; 0 if
    the sentence has a number the source lacks (small models invent numbers)."""
    numbers = set(_NUMBER.findall(_CITE.sub("", sentence)))
    if numbers - set(_NUMBER.findall(source)):
        return 0.0
    terms = _terms(_CITE.sub("", sentence))
    if not terms:
        return 0.0
    return len(terms & _terms(source)) / len(terms)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence or line of `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in [*_SENTENCE_END.finditer(text), None]:
        end = m.start() if m else len(text)
        seg = text[pos:end]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            spans.append((pos + lead, pos + len(seg.rstrip())))
        if m:
            pos = m.end()
    return spans


def attribute(
    answer: str, sources: list[str], threshold: float = 0.5
) -> tuple[str, list[SentenceSupport]]:
    """Check each sentence against the sources; add [n] to uncited sentences a source backs.

    Returns the answer with the added citations (layout kept), and per-sentence verdicts."""
    verdicts: list[SentenceSupport] = []
    inserts: list[tuple[int, str]] = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        cited = cited_numbers(sentence, len(sources))
        if cited:
            ok = max(support(sentence, sources[n - 1]) for n in cited) >= threshold / 2
            verdicts.append(SentenceSupport(sentence, cited, False, ok))
            continue
        scores = [support(sentence, src) for src in sources]
        best = max(range(len(sources)), key=lambda i: scores[i]) if sources else -1
        if best >= 0 and scores[best] >= threshold and len(_terms(sentence)) >= 2:
            verdicts.append(SentenceSupport(sentence, [best + 1], True, True))
            m = re.search(r"[.!?。！？]+$", sentence)
            inserts.append((start + (m.start() if m else len(sentence)), f" [{best + 1}]"))
        else:
            verdicts.append(SentenceSupport(sentence, [], False, False))
    for pos, mark in reversed(inserts):
        answer = answer[:pos] + mark + answer[pos:]
    return answer, verdicts
