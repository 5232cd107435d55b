"""Summaries of real documents, measured: how long each takes (to the first text on screen,
to the first note, in all) and how many of the sentences the model wrote the pages support.

The folder's documents (in `pdfs/` or in the folder itself) are ingested into a temporary
library (or one kept with `index_dir`) exactly as dropped files are, and each is summarized
afresh, as the window and `desktop-rag summarize` do, with the app's default model or
`model_ref`. The support rate is the share of the model's sentences that one cited page (or
two) supports by the check answers get (`citations.support`, at its 0.5 threshold); the
sentences shown are only those, so it is also the share of what the model wrote that the user
sees."""

from __future__ import annotations

import logging
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from desktop_rag.core.errors import UserError
from desktop_rag.core.tasks import Progress

log = logging.getLogger(__name__)

SUFFIXES = (".pdf", ".epub", ".docx", ".txt", ".md")


@dataclass
class SummaryOutcome:
    document: str
    pages: int
    parts: int
    language: str
    first_text_s: float  # the model's first word of the first note on screen
    first_note_s: float
    total_s: float
    sentences: int  # what the model wrote
    supported: int  # what the pages support (and is shown)
    cited_pages: int
    text: str = ""

    @property
    def support_rate(self) -> float:
        return self.supported / self.sentences if self.sentences else 1.0


@dataclass
class SummaryReport:
    folder: str
    model: str
    outcomes: list[SummaryOutcome] = field(default_factory=list)

    def totals(self) -> dict[str, float]:
        o = self.outcomes
        written = sum(x.sentences for x in o)
        return {
            "documents": len(o),
            "pages": sum(x.pages for x in o),
            "sentences": written,
            "supported": sum(x.supported for x in o),
            "support_rate": round(sum(x.supported for x in o) / written, 4) if written else 1.0,
            "first_text_s_median": round(statistics.median(x.first_text_s for x in o), 2)
            if o
            else 0.0,
            "total_s_median": round(statistics.median(x.total_s for x in o), 1) if o else 0.0,
            "seconds_per_page": round(
                sum(x.total_s for x in o) / max(1, sum(x.pages for x in o)), 2
            ),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "model": self.model,
            "totals": self.totals(),
            "documents": [
                {**asdict(x), "support_rate": round(x.support_rate, 4)} for x in self.outcomes
            ],
        }

    def table(self) -> str:
        head = (
            f"{'document':<34}{'pages':>6}{'parts':>6}{'lang':>5}{'first text':>11}"
            f"{'first note':>11}{'total':>8}{'supported':>13}"
        )
        lines = [f"summaries of {self.folder} with {self.model}", head, "-" * len(head)]
        for x in self.outcomes:
            lines.append(
                f"{x.document[:33]:<34}{x.pages:>6}{x.parts:>6}{x.language:>5}"
                f"{x.first_text_s:>10.1f}s{x.first_note_s:>10.1f}s{x.total_s:>7.0f}s"
                f"{x.supported:>6}/{x.sentences:<3}{x.support_rate:>4.0%}"
            )
        t = self.totals()
        lines.append(
            f"all: {t['documents']} documents, {t['pages']} pages; sentences supported "
            f"{t['supported']}/{t['sentences']} ({t['support_rate']:.1%}); median first text "
            f"{t['first_text_s_median']} s, median whole summary {t['total_s_median']} s, "
            f"{t['seconds_per_page']} s a page"
        )
        return "\n".join(lines)


def evaluate_summaries(
    folder: str | Path,
    model_ref: str = "",
    index_dir: str | None = None,
    limit: int = 0,
    progress: Callable[[Progress], None] | None = None,
    on_summary: Callable[[SummaryOutcome, int, int], None] | None = None,
) -> SummaryReport:
    """Summarize every document of `folder` (the first `limit` by name) and measure it."""
    from desktop_rag.core.answers import summary
    from desktop_rag.core.answers.generation import Generator
    from desktop_rag.core.answers.models import resolve_llm
    from desktop_rag.core.library import Library

    root = Path(folder).expanduser()
    docs_dir = root / "pdfs" if (root / "pdfs").is_dir() else root
    files = sorted(p for p in docs_dir.iterdir() if p.suffix.lower() in SUFFIXES)
    if limit:
        files = files[:limit]
    if not files:
        raise UserError(f"{docs_dir} holds no documents to summarize.")
    generator = Generator(resolve_llm(model_ref))
    generator.load()
    report = SummaryReport(str(root), generator.info.name)
    with tempfile.TemporaryDirectory(prefix="desktop-rag-summaries-") as tmp:
        lib_dir = Path(index_dir).expanduser() if index_dir else Path(tmp) / "library"
        lib = Library(lib_dir) if (lib_dir / "library.db").exists() else Library.create_at(lib_dir)
        try:
            lib.ingest(files, progress=progress)
            for n, path in enumerate(files, start=1):
                doc = lib.store.document_by_path(str(path.resolve()))
                if doc is None or doc["status"] != "ready":
                    log.warning("summaries: %s was not indexed, left out", path.name)
                    continue
                result = summary.summarize(lib.store, doc["id"], generator, use_cache=False)
                t = result.timings
                outcome = SummaryOutcome(
                    document=path.name,
                    pages=int(doc["page_count"]),
                    parts=int(result.checks.get("parts", 0)),
                    language="ko" if any("\uac00" <= c <= "\ud7af" for c in result.text) else "en",
                    first_text_s=round(t.get("first_token", 0.0), 2),
                    first_note_s=round(t.get("first_note", 0.0), 2),
                    total_s=round(t.get("total", 0.0), 1),
                    sentences=int(result.checks.get("sentences", 0)),
                    supported=int(result.checks.get("supported", 0)),
                    cited_pages=len(result.sources),
                    text=result.text,
                )
                report.outcomes.append(outcome)
                if on_summary is not None:
                    on_summary(outcome, n, len(files))
        finally:
            lib.close()
            generator.close()
    return report
