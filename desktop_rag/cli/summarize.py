"""`desktop-rag summarize`: a checked summary of a document or of some of its pages; and how
the command line shows summaries and catalog answers (which `ask` gives too)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from desktop_rag.cli.common import _friendly, _library_name
from desktop_rag.core.documents.locations import describe
from desktop_rag.core.errors import UserError


class SummaryProgress:
    """The part being read and the time left on stderr; the notes as they are written there
    too (on a terminal), so stdout gets the checked summary only."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stderr
        self.line_open = False

    def progress(self, p: Any) -> None:
        if not p.current or not p.files_total:
            return
        left = f", about {_seconds(p.eta_seconds)} left" if p.eta_seconds else ""
        self._end_line()
        self.out.write(f"… {p.current} ({p.files_done + 1} of {p.files_total}{left})\n")
        self.out.flush()

    def text(self, piece: str) -> None:
        self.out.write(piece)
        self.out.flush()
        self.line_open = not piece.endswith("\n")

    def _end_line(self) -> None:
        if self.line_open:
            self.out.write("\n")
            self.line_open = False


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.0f} min"


def print_answer(result: Any) -> None:
    """A summary or a catalog answer: its text, its sources, and how it was made."""
    click.echo(result.text)
    if result.status == "summary" and result.citations:
        click.echo("\nSources:")
        for s in result.citations:
            click.echo(f"[{s.number}] {s.title}, {describe(s.page, s.location)}  ({s.path})")
    elif result.status in ("catalog", "choose") and result.sources:
        paths = {s.path for s in result.sources}
        if len(paths) <= 50:
            click.echo("\nFiles:")
            seen: set[str] = set()
            for s in result.sources:
                if s.path not in seen:
                    seen.add(s.path)
                    click.echo(f"  {s.path}")
    if result.note:
        click.echo(f"\n({result.note})")


@click.command()
@click.argument("document")
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--pages", default=None, help="Only these pages, like 3-9.")
@click.option("--section", default=None, help='Only this section, like "chapter 3" or "2.1".')
@click.option("--model", "model_ref", default="", help="A .gguf path or a registered model name.")
@click.option("--no-model", is_flag=True, help="No LLM: the document's own best sentences.")
@click.option("--fresh", is_flag=True, help="Write it again even if a summary is kept.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_friendly
def summarize(
    document: str,
    library_name: str | None,
    pages: str | None,
    section: str | None,
    model_ref: str,
    no_model: bool,
    fresh: bool,
    as_json: bool,
) -> None:
    """Summarize DOCUMENT (its number, file name or title), every sentence cited to the pages
    that support it. Kept per document version and model: asking again is instant."""
    from desktop_rag.core.answers import qa, summary
    from desktop_rag.core.library import Library

    first_last = summary.parse_pages(pages) if pages else None
    generator, reason = _generator(model_ref, no_model)
    with Library.open(_library_name(library_name)) as lib:
        doc = lib.find_documents([document])[0]
        label = ""
        if section:
            first_last = summary.find_section(lib.store, doc["id"], section)
            if first_last is None:
                raise UserError(
                    f"No heading “{section}” was found in “{doc['title']}”.",
                    "Give its pages with --pages instead.",
                )
            label = section
        shown = SummaryProgress()
        result = summary.summarize(
            lib.store, doc["id"], generator, pages=first_last, section=label,
            on_text=shown.text if not as_json and _isatty(sys.stderr) else None,
            progress=None if as_json else shown.progress,
            use_cache=not fresh, no_model_reason=reason,
        )  # fmt: skip
        shown._end_line()
        qa.save_exchange(lib.store, None, result)
    if generator is not None:
        generator.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    print_answer(result)
    took = result.timings
    if took.get("cached"):
        click.echo("(kept from before)", err=True)
    elif "total" in took:
        click.echo(f"({took['total']:.0f} s)", err=True)


def _generator(model_ref: str, no_model: bool) -> tuple[Any, str]:
    from desktop_rag.core.answers.generation import Generator
    from desktop_rag.core.answers.models import resolve_llm
    from desktop_rag.core.config import Settings

    if no_model:
        return None, ""
    settings = Settings.load()
    try:
        return Generator(resolve_llm(model_ref), settings.context_size, settings.threads), ""
    except UserError as exc:
        if model_ref:
            raise
        return None, f"No language model is available ({exc.message})."


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# what desktop_rag.cli adds to `desktop-rag`
COMMANDS = [summarize]
