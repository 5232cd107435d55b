"""`bench` section "summary": a generated 50-page PDF summarized with the default answering
model, as the window does: how soon the first text is on screen (the target: within 10 s), when
the first note is complete, how long the whole summary takes, and how fast it comes back kept."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from desktop_rag.core.measure.benchmark import BenchReport, Row, make_pdf

SUMMARY_PAGES = 50


def bench_summary(
    report: BenchReport, root: Path, say: Callable[[str], None], pages: int = SUMMARY_PAGES
) -> None:
    from desktop_rag.core.answers import qa, summary
    from desktop_rag.core.answers.generation import Generator
    from desktop_rag.core.answers.models import bundled_llm_path
    from desktop_rag.core.library import Library

    model = bundled_llm_path()
    if model is None:
        report.add(Row("summary", "summary: no bundled model", None, "", note="not installed"))
        return
    say(f"summary: indexing a {pages}-page PDF")
    pdf = make_pdf(root / f"summary-{pages}.pdf", pages)
    with Library.create_at(root / "summary-library") as lib:
        lib.ingest([pdf])
        doc = lib.store.document_by_path(str(pdf.resolve()))
        assert doc is not None
        generator = Generator(model)
        try:
            generator.load()
            qa.warm(generator)  # as the window has it: loaded and warm for questions
            say(f"summary: summarizing {pages} pages with {generator.info.name}")
            result = summary.summarize(lib.store, doc["id"], generator, use_cache=False)
            t0 = time.monotonic()
            again = summary.summarize(lib.store, doc["id"], generator)
            kept_ms = 1000 * (time.monotonic() - t0)
        finally:
            generator.close()
    t, checks = result.timings, result.checks
    name = f"summary of a {pages}-page PDF"
    report.add(Row("summary", f"{name}: first text", t.get("first_token"), "s",
                   note=f"{generator.info.name}; the first note streams from here"))  # fmt: skip
    report.add(Row("summary", f"{name}: first note", t.get("first_note"), "s"))
    report.add(
        Row("summary", f"{name}: whole", t.get("total"), "s",
            note=f"{checks.get('parts', 0):.0f} parts of about 5 pages, "
            f"{checks.get('evidence_sentences', 0):.0f} sentences read, overview from the notes")
    )  # fmt: skip
    report.add(
        Row("summary", "summary sentences supported", 100 * float(checks.get("support_rate", 0)),
            "%", note=f"{checks.get('supported', 0):.0f} of {checks.get('sentences', 0):.0f} the "
            "model wrote; the others are left out")
    )  # fmt: skip
    report.add(
        Row("summary", "summary asked again (kept)", kept_ms, "ms",
            note="same text" if again.text == result.text else "DIFFERENT text")
    )  # fmt: skip
