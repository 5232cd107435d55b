"""Answer quality end to end: a question-answering set's documents are indexed into a
temporary library, its questions asked through `qa.answer` with a real model, and the answers
scored as a user would judge them: right, cited, refused when the documents cannot answer,
in the question's language, and how long they took.

Two layouts are read. Article sets (`squad2_dev_sample`, `korquad_v1_dev_half`):
`articles.jsonl` ({title, paragraphs}), `questions.jsonl` ({id, question, answers,
is_impossible, article_title, paragraph_index}) and `split.json` ({title: dev|test}); each
article becomes one document whose text is its paragraphs, so a citation can be traced back to
the gold paragraph. PDF sets (`financebench_dev`): `pdfs/*.pdf` and `questions.jsonl` with
`evidence[].evidence_page_num` (0-based), ingested as the user's PDFs would be."""

from __future__ import annotations

import json
import logging
import random
import re
import statistics
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_rag.core import textnorm
from desktop_rag.core.answers import qa
from desktop_rag.core.errors import UserError
from desktop_rag.core.measure.records import TextRecord, ingest_records, record_page_text
from desktop_rag.core.tasks import CancelToken, Progress

log = logging.getLogger(__name__)

QA_SCHEME = "qa"


# --- the data ----------------------------------------------------------------------------------


@dataclass
class QAItem:
    """One question with what a right answer contains and where its evidence is."""

    id: str
    question: str
    answers: list[str]
    impossible: bool
    document: str  # article title, or PDF stem
    paragraph: int | None = None  # article sets
    pages: list[int] = field(default_factory=list)  # PDF sets, 1-based
    key_terms: list[list[str]] = field(default_factory=list)  # each group: alternatives
    kind: str = ""  # factoid, definition, why_how, ... (sets that label their questions)


@dataclass
class QASet:
    name: str
    root: Path
    kind: str  # "articles" | "pdfs"
    items: list[QAItem]
    articles: dict[str, list[str]] = field(default_factory=dict)
    pdfs: list[Path] = field(default_factory=list)


def load_qa_set(root: str | Path, split: str = "test", limit: int = 0, seed: int = 0) -> QASet:
    """Read a set's questions for `split` ("all" for every one), `limit` of them drawn at
    random with `seed` (in file order again afterwards)."""
    root = Path(root).expanduser()
    questions = root / "questions.jsonl"
    if not questions.is_file():
        raise UserError(
            f"{questions} is missing: {root} is not a question-answering set.",
            "A set holds questions.jsonl with articles.jsonl and split.json, or with pdfs/.",
        )
    rows = [json.loads(line) for line in questions.open(encoding="utf-8") if line.strip()]
    if (root / "articles.jsonl").is_file():
        qa_set = _article_set(root, rows, split)
    elif (root / "pdfs").is_dir():
        qa_set = _pdf_set(root, rows, split)
    else:
        raise UserError(f"{root} has questions but neither articles.jsonl nor pdfs/.")
    if limit and limit < len(qa_set.items):
        keep = set(random.Random(seed).sample(range(len(qa_set.items)), limit))
        qa_set.items = [q for i, q in enumerate(qa_set.items) if i in keep]
    if not qa_set.items:
        raise UserError(f"No question of {root.name} is in the '{split}' split.")
    return qa_set


def _article_set(root: Path, rows: list[dict[str, Any]], split: str) -> QASet:
    articles = {}
    for line in (root / "articles.jsonl").open(encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            articles[str(row["title"])] = [str(p) for p in row["paragraphs"]]
    splits: dict[str, str] = {}
    if (root / "split.json").is_file():
        splits = json.loads((root / "split.json").read_text(encoding="utf-8"))
    if split != "all" and split not in set(splits.values()):
        raise UserError(
            f"{root.name} has no '{split}' split.",
            f"Choose from: {', '.join(sorted(set(splits.values())) or ['all'])}.",
        )
    items = [
        QAItem(
            id=str(r["id"]),
            question=str(r["question"]),
            answers=[str(a) for a in r.get("answers") or []],
            impossible=bool(r.get("is_impossible")),
            document=str(r["article_title"]),
            paragraph=int(r["paragraph_index"]),
        )
        for r in rows
        if split == "all" or splits.get(str(r["article_title"])) == split
    ]
    return QASet(root.name, root, "articles", items, articles=articles)


def _pdf_set(root: Path, rows: list[dict[str, Any]], split: str) -> QASet:
    """A folder of PDFs; with split.json ({pdf stem: dev|test}) its questions and PDFs are
    those of `split` (a split by document), else all of them."""
    splits: dict[str, str] = {}
    if (root / "split.json").is_file():
        splits = json.loads((root / "split.json").read_text(encoding="utf-8"))
        if split != "all" and split not in set(splits.values()):
            raise UserError(
                f"{root.name} has no '{split}' split.",
                f"Choose from: {', '.join(sorted(set(splits.values())))}.",
            )
    items = []
    for r in rows:
        if splits and split != "all" and splits.get(str(r["doc_name"])) != split:
            continue
        pages = sorted(
            {int(e["evidence_page_num"]) + 1 for e in r.get("evidence") or [] if e.get("doc_name")}
        )
        items.append(
            QAItem(
                id=str(r.get("financebench_id") or r.get("id")),
                question=str(r["question"]),
                answers=[str(r["answer"])] if r.get("answer") else [],
                impossible=bool(r.get("is_impossible")),
                document=str(r["doc_name"]),
                pages=pages,
                key_terms=[[str(a) for a in group] for group in r.get("key_terms") or []],
                kind=str(r.get("type") or ""),
            )
        )
    pdfs = sorted((root / "pdfs").glob("*.pdf"))
    if splits and split != "all":  # the split's documents, all of them (unanswerable ones too)
        pdfs = [p for p in pdfs if splits.get(p.stem) == split]
    return QASet(root.name, root, "pdfs", items, pdfs=pdfs)


def article_record(title: str, paragraphs: list[str]) -> TextRecord:
    return TextRecord(title, title, "\n\n".join(paragraphs))


def paragraph_spans(title: str, paragraphs: list[str]) -> list[tuple[int, int]]:
    """[start, end) of each paragraph in the article's page text (see record_page_text)."""
    text = record_page_text(article_record(title, paragraphs))
    spans, pos = [], 0
    for p in paragraphs:
        start = text.index(p.strip(), pos) if p.strip() else pos
        spans.append((start, start + len(p.strip())))
        pos = start + len(p.strip())
    return spans


# --- scoring -----------------------------------------------------------------------------------

_CITATION = re.compile(r"\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text: str) -> str:
    """Unicode (NFKC), case, punctuation, English articles and spacing normalised, citation
    marks removed: what "the answer contains the gold string" compares."""
    text = unicodedata.normalize("NFKC", _CITATION.sub(" ", text)).casefold()
    text = _ARTICLES.sub(" ", _PUNCT.sub(" ", text))
    return " ".join(text.split())


def contains_answer(answer: str, golds: Sequence[str]) -> bool:
    """A gold string appears in the answer, after normalisation (spaces ignored for Korean,
    whose spacing varies)."""
    got = normalize(answer)
    for gold in golds:
        want = normalize(gold)
        if not want:
            continue
        if want in got:
            return True
        if textnorm.script_of(gold) == "hangul" and want.replace(" ", "") in got.replace(" ", ""):
            return True
    return False


def has_key_terms(answer: str, groups: Sequence[Sequence[str]]) -> bool:
    """Every group of key terms has one of its alternatives in the answer."""
    return bool(groups) and all(contains_answer(answer, group) for group in groups)


def is_right(answer: str, item: QAItem) -> bool:
    """Right as a reader would judge it: all key terms when the set names them, else a gold
    answer contained in it."""
    if item.key_terms:
        return has_key_terms(answer, item.key_terms)
    return contains_answer(answer, item.answers)


def _tokens(text: str) -> list[str]:
    norm = normalize(text)
    if textnorm.script_of(text) in ("hangul", "cjk"):
        return [ch for ch in norm if not ch.isspace()]  # characters: Korean words take endings
    return norm.split()


def token_f1(answer: str, golds: Sequence[str]) -> float:
    """SQuAD's token F1 against the best gold answer (characters for Korean)."""
    best = 0.0
    got = _tokens(answer)
    for gold in golds:
        want = _tokens(gold)
        common = sum((Counter(got) & Counter(want)).values())
        if not common:
            continue
        precision, recall = common / len(got), common / len(want)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def same_language(question: str, answer: str) -> bool:
    """The answer is written in the question's script (Korean for Korean, Latin for English).
    A name alone (three words at most, such as "LKe") belongs to no language, and a Korean
    sentence may quote an English name: a fifth of its letters in Hangul make it Korean."""
    text = _CITATION.sub(" ", answer)
    if len(text.split()) <= 3 or textnorm.script_of(text) == textnorm.script_of(question):
        return True
    if textnorm.script_of(question) != "hangul":
        return False
    letters = [ch for ch in text if ch.isalpha()]
    hangul = sum(1 for ch in letters if "\uac00" <= ch <= "\ud7af")
    return bool(letters) and hangul / len(letters) >= 0.2


# --- running it --------------------------------------------------------------------------------


@dataclass
class QAOutcome:
    id: str
    question: str
    golds: list[str]
    impossible: bool
    status: str
    answer: str
    correct: bool
    f1: float
    cites_gold: bool
    in_language: bool
    first_token_s: float | None
    total_s: float
    cited: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, float] = field(default_factory=dict)
    note: str = ""
    quotes: list[dict[str, Any]] = field(default_factory=list)
    quotes_right: bool = False  # the quoted sentences hold the answer
    kind: str = ""


@dataclass
class QAReport:
    dataset: str
    split: str
    model: str
    questions: int
    documents: int
    chunks: int
    ingest_seconds: float
    outcomes: list[QAOutcome] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        answerable = [o for o in self.outcomes if not o.impossible]
        impossible = [o for o in self.outcomes if o.impossible]
        answered = [o for o in self.outcomes if o.status == "answered"]

        def share(items: list[QAOutcome], test: Callable[[QAOutcome], bool]) -> float | None:
            return sum(1 for o in items if test(o)) / len(items) if items else None

        firsts = [o.first_token_s for o in answered if o.first_token_s is not None]
        return {
            "answerable": len(answerable),
            "unanswerable": len(impossible),
            "accuracy": share(answerable, lambda o: o.correct),
            "token_f1": statistics.fmean(o.f1 for o in answerable) if answerable else None,
            "cites_gold": share(answerable, lambda o: o.cites_gold),
            "right_and_cited": share(answerable, lambda o: o.correct and o.cites_gold),
            "quote_shown": share(answered, lambda o: bool(o.quotes)),
            "quotes_right": share(answerable, lambda o: o.quotes_right),
            "false_refusals": share(answerable, lambda o: o.status == "not_found"),
            "refused_unanswerable": share(impossible, lambda o: o.status == "not_found"),
            "in_question_language": share(self.outcomes, lambda o: o.in_language),
            "median_first_token_s": statistics.median(firsts) if firsts else None,
            "median_answer_s": statistics.median(o.total_s for o in self.outcomes),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "model": self.model,
            "questions": self.questions,
            "documents": self.documents,
            "chunks": self.chunks,
            "ingest_seconds": round(self.ingest_seconds, 1),
            "summary": self.summary(),
            "answers": [o.__dict__ for o in self.outcomes],
        }

    def table(self) -> str:
        s = self.summary()

        def pct(v: float | None) -> str:
            return "-" if v is None else f"{100 * v:.1f}%"

        def sec(v: float | None) -> str:
            return "-" if v is None else f"{v:.2f} s"

        rows = [
            ("answerable questions", str(s["answerable"])),
            ("  answer contains the gold answer", pct(s["accuracy"])),
            ("  token F1", "-" if s["token_f1"] is None else f"{s['token_f1']:.3f}"),
            ("  cites the gold passage", pct(s["cites_gold"])),
            ("  right and citing the gold passage", pct(s["right_and_cited"])),
            ("  the quotes hold the answer", pct(s["quotes_right"])),
            ("  refused (false refusals)", pct(s["false_refusals"])),
            ("unanswerable questions", str(s["unanswerable"])),
            ("  refused", pct(s["refused_unanswerable"])),
            ("answered with a quote", pct(s["quote_shown"])),
            ("answers in the question's language", pct(s["in_question_language"])),
            ("time to first token, median", sec(s["median_first_token_s"])),
            ("time to the full answer, median", sec(s["median_answer_s"])),
        ]
        width = max(len(r[0]) for r in rows) + 2
        head = (
            f"{self.dataset} ({self.split}): {self.questions} questions, model {self.model}; "
            f"{self.documents} documents, {self.chunks} chunks, ingest {self.ingest_seconds:.0f} s"
        )
        kinds = sorted({o.kind for o in self.outcomes if o.kind and not o.impossible})
        for kind in kinds:  # sets that label their questions: how each kind fares
            some = [o for o in self.outcomes if o.kind == kind and not o.impossible]
            right = sum(o.correct for o in some) / len(some)
            rows.append((f"  right, {kind} ({len(some)})", pct(right)))
        width = max(len(r[0]) for r in rows) + 2
        return "\n".join([head, *(f"{name:<{width}}{value:>10}" for name, value in rows)])


def build_library(
    qa_set: QASet,
    folder: Path,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> tuple[Any, float]:
    """Open (or first build) the set's library in `folder`; returns it and the ingest time."""
    from desktop_rag.core.library import Library

    marker = str(qa_set.root.resolve())
    if (folder / "library.db").exists():
        lib = Library(folder, readonly=True)  # reused as it is, by several runs at once too
        if lib.store.get_meta("qa_set") == marker:
            return lib, float(lib.store.get_meta("qa_ingest_seconds") or 0.0)
        lib.close()
        raise UserError(f"{folder} holds another index.", "Choose an empty folder.")
    lib = Library.create_at(folder)
    try:
        t = time.monotonic()
        if qa_set.kind == "articles":
            records = [article_record(t_, ps) for t_, ps in qa_set.articles.items()]
            ingest_records(
                lib, records, scheme=QA_SCHEME, progress=progress, cancel=cancel,
                total=len(records),
            )  # fmt: skip
        else:
            lib.ingest([str(p) for p in qa_set.pdfs], progress=progress, cancel=cancel)
        seconds = time.monotonic() - t
        lib.store.set_meta({"qa_set": marker, "qa_ingest_seconds": f"{seconds:.3f}"})
    except BaseException:
        lib.close()
        raise
    return lib, seconds


def _cites_gold(qa_set: QASet, item: QAItem, result: qa.Answer) -> bool:
    for source in result.citations:
        if qa_set.kind == "pdfs":
            if Path(source.path).stem == item.document and source.page in item.pages:
                return True
            continue
        if source.title != item.document or item.paragraph is None:
            continue
        start, end = paragraph_spans(item.document, qa_set.articles[item.document])[item.paragraph]
        if source.char_start < end and source.char_end > start:
            return True
    return False


def evaluate_qa(
    root: str | Path,
    split: str = "test",
    limit: int = 0,
    seed: int = 0,
    model: str = "",
    index_dir: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_answer: Callable[[QAOutcome, int, int], None] | None = None,
    cancel: CancelToken | None = None,
    answerable_only: bool = False,
    **answer_options: Any,
) -> QAReport:
    """Index a set (or reuse `index_dir`), ask its questions with `model` (a .gguf path or a
    registered name; '' the app's default) and score every answer."""
    from desktop_rag.core.answers.generation import Generator
    from desktop_rag.core.answers.models import resolve_llm
    from desktop_rag.core.config import Settings

    qa_set = load_qa_set(root, split, limit, seed)
    if answerable_only:
        qa_set.items = [q for q in qa_set.items if not q.impossible]
    settings = Settings.load()
    generator = Generator(resolve_llm(model), settings.context_size, settings.threads)
    options = {
        "top_k": settings.top_k,
        "max_answer_tokens": settings.max_answer_tokens,
        "temperature": settings.temperature,
        **answer_options,
    }
    with tempfile.TemporaryDirectory(prefix="desktop-rag-qa-") as tmp:
        folder = Path(index_dir).expanduser() if index_dir else Path(tmp) / "library"
        lib, ingest_s = build_library(qa_set, folder, progress, cancel)
        try:
            stats = lib.store.stats()
            report = QAReport(
                qa_set.name, split, generator.info.name, len(qa_set.items),
                stats["documents"], stats["chunks"], ingest_s,
            )  # fmt: skip
            generator.load()
            qa.warm(generator, qa.language_of(qa_set.items[0].question))
            for item in qa_set.items:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                outcome = _ask(lib, qa_set, item, generator, options)
                report.outcomes.append(outcome)
                if on_answer is not None:
                    on_answer(outcome, len(report.outcomes), len(qa_set.items))
        finally:
            lib.close()
            generator.close()
    return report


def _ask(lib: Any, qa_set: QASet, item: QAItem, generator: Any, options: dict) -> QAOutcome:
    first: list[float] = []
    t0 = time.monotonic()

    def on_text(_piece: str) -> None:
        if not first:
            first.append(time.monotonic() - t0)

    result = qa.answer(lib, item.question, generator, on_text=on_text, **options)
    total = time.monotonic() - t0
    answered = result.status == "answered"
    return QAOutcome(
        id=item.id,
        question=item.question,
        golds=item.answers,
        impossible=item.impossible,
        status=result.status,
        answer=result.text,
        correct=answered and is_right(result.text, item),
        f1=token_f1(result.text, item.answers) if answered else 0.0,
        cites_gold=answered and _cites_gold(qa_set, item, result),
        in_language=same_language(item.question, result.text),
        first_token_s=first[0] if first else None,
        total_s=total,
        cited=[
            {"title": s.title, "page": s.page, "chars": [s.char_start, s.char_end]}
            for s in result.citations
        ],
        checks={**result.checks, "question_coverage": _coverage(item.question, result)},
        note=result.note,
        quotes=[{"title": q.title, "page": q.page, "text": q.text} for q in result.quotes],
        quotes_right=answered and is_right(" ".join(q.text for q in result.quotes), item),
        kind=item.kind,
    )


def _coverage(question: str, result: qa.Answer) -> float:
    """How much of the question the best source given to the model contains (diagnostic)."""
    from desktop_rag.core.answers.citations import question_coverage

    texts = [s.excerpt or s.text for s in result.sources]
    return round(max((question_coverage(question, t) for t in texts), default=0.0), 3)
