"""`desktop-rag search` and `ask`: passages, and answers streamed to the terminal."""

from __future__ import annotations

import json
import shutil
import sys
import unicodedata
from typing import Any

import click

from desktop_rag.cli.common import _friendly, _library_name, _passphrase
from desktop_rag.core.documents.locations import describe
from desktop_rag.core.errors import UserError


def _display_width(line: str) -> int:
    """Terminal columns `line` takes: Hangul and other wide characters take two."""
    width = 0
    for ch in line:
        if ch == "\t":
            width += 8 - width % 8
        elif unicodedata.combining(ch):
            continue
        else:
            width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def terminal_rows(text: str, columns: int) -> int:
    """How many terminal rows `text` fills when written from the start of a row."""
    columns = max(1, columns)
    return sum(max(1, -(-_display_width(line) // columns)) for line in text.split("\n"))


class StreamedAnswer:
    """Shows an answer as it streams, then its final text once.

    The citation check may add [n] after streaming. On a terminal the streamed text is then
    replaced in place by the checked one; in a pipe or a file, or when the text has scrolled
    out of reach, it stays as streamed and the sources say which citations the check added."""

    def __init__(self, out: Any = None) -> None:
        self.out = out or sys.stdout
        self.streamed = ""

    def piece(self, piece: str) -> None:
        """Streamed text appears as it comes, also when the output is a pipe or a file."""
        self.streamed += piece
        self.out.write(piece)
        self.out.flush()

    def finish(self, final: str) -> bool:
        """End the streamed text; True when what is on screen now is `final` itself."""
        if final.strip() == self.streamed.strip():
            self.out.write("\n")
            return True
        size = shutil.get_terminal_size()
        rows = terminal_rows(self.streamed, size.columns)
        if not _isatty(self.out) or rows >= size.lines:
            self.out.write("\n")
            return False
        up = f"\x1b[{rows - 1}A" if rows > 1 else ""
        self.out.write(f"\r{up}\x1b[J{final.strip()}\n")
        self.out.flush()
        return True


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@click.command()
@click.argument("query")
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("-k", "k", default=5, show_default=True, help="How many passages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_friendly
def search(query: str, library_name: str | None, k: int, as_json: bool) -> None:
    """Find the passages that best match QUERY."""
    from desktop_rag.core.indexing.meaning import partial_note
    from desktop_rag.core.library import Library

    name = _library_name(library_name)
    with Library.open(name, readonly=True, passphrase=_passphrase(name)) as lib:
        hits = lib.search(query, k)
        pending, total = lib.pending_embeddings()
    if pending:
        click.echo(f"note: {partial_note(pending, total)}", err=True)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("No matching passages.")
    for i, h in enumerate(hits, 1):
        click.echo(f"[{i}] {h.title}, {describe(h.page, h.location)}  (score {h.score:.4f})")
        click.echo(f"    {h.snippet()}")


@click.command()
@click.argument("question")
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--model", "model_ref", default="", help="A .gguf path or a registered model name.")
@click.option("--chat", "chat_id", type=int, default=None, help="Continue this chat.")
@click.option(
    "--document",
    "-d",
    "documents",
    multiple=True,
    help="Ask only within this document (its number, file name or title); repeatable.",
)
@click.option(
    "--folder",
    "folders",
    multiple=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Ask only within the documents under this folder (a linked one, say); repeatable.",
)
@click.option("--no-model", is_flag=True, help="Skip the LLM: show the best passages only.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON at the end.")
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Also save the answer with its sources: FILE.pdf (with page images) or FILE.md.",
)
@_friendly
def ask(
    question: str,
    library_name: str | None,
    model_ref: str,
    chat_id: int | None,
    documents: tuple[str, ...],
    folders: tuple[str, ...],
    no_model: bool,
    as_json: bool,
    export_path: str | None,
) -> None:
    """Answer QUESTION from a library with a local LLM, citing the sources. Questions about
    the library itself ("which documents mention X", "list my PDFs from 2021") are answered
    from its catalog, and a request for a summary ("summarize report.pdf") is summarized."""
    if export_path:
        from desktop_rag.core.answers.export import export_format

        export_format(export_path)  # a wrong suffix fails before the model runs
    from desktop_rag.cli.summarize import SummaryProgress, print_answer
    from desktop_rag.core.answers import qa
    from desktop_rag.core.answers.generation import Generator
    from desktop_rag.core.answers.models import resolve_llm
    from desktop_rag.core.answers.respond import respond
    from desktop_rag.core.answers.route import classify
    from desktop_rag.core.config import Settings
    from desktop_rag.core.library import Library

    settings = Settings.load()
    generator, reason = None, ""
    if no_model:
        reason = "Answers are turned off (--no-model)."
    else:
        try:
            generator = Generator(resolve_llm(model_ref), settings.context_size, settings.threads)
        except UserError as exc:
            if model_ref:
                raise
            reason = f"No language model is available ({exc.message})"
    name = _library_name(library_name)
    with Library.open(name, passphrase=_passphrase(name)) as lib:
        if chat_id is not None and lib.store.chat(chat_id) is None:
            raise UserError(f"There is no chat {chat_id} in this library.")
        scope = _scope(lib, documents, folders)
        history = qa.previous_questions(lib.store, chat_id)
        pending, total = lib.pending_embeddings()
        printer = StreamedAnswer()
        stream = None if as_json else printer.piece
        progress = None
        if classify(question).kind == "summary":  # notes and progress on stderr
            shown = SummaryProgress()
            stream = None if as_json or not _isatty(sys.stderr) else shown.text
            progress = None if as_json else shown.progress
        result = respond(
            lib,
            question,
            generator,
            scope=scope,
            progress=progress,
            top_k=settings.top_k,
            max_answer_tokens=settings.max_answer_tokens,
            temperature=settings.temperature,
            history=history,
            previous=qa.previous_sources(lib.store, chat_id),
            on_text=stream,
            no_model_reason=reason,
        )
        if pending:  # the answer used what is indexed so far: keywords for every passage
            result.checks["meaning_pending"] = pending
        qa.save_exchange(lib.store, chat_id, result)
        library = lib.name
    if export_path:
        _export_answer(result, export_path, library)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    if result.status in ("summary", "catalog", "choose"):
        if printer.streamed:
            click.echo("", err=True)
        print_answer(result)
        click.echo(f"(chat {result.chat_id})", err=True)
        return
    # the streamed text lacks the citations the check adds afterwards: the printer replaces
    # it on a terminal; elsewhere the sources below name the ones it added
    shown_final = True
    if printer.streamed:  # a refusal or an unsupported answer streams too, then is replaced
        shown_final = printer.finish(result.text)
        if not shown_final and result.status != "answered":
            click.echo(result.text)
    elif result.status != "answered" or result.text:
        click.echo(result.text)
    if result.status == "answered" and result.quotes:
        click.echo("\nYour document says:")
        for q in result.quotes:
            click.echo(f"  “{q.text}” [{q.number}] {q.title}, {describe(q.page, q.location)}")
    if result.status == "answered" and result.cited:
        by_model = {n for s in result.sentences if not s.inferred for n in s.cited}
        added = {n for s in result.sentences if s.inferred for n in s.cited} - by_model
        click.echo("\nSources:")
        for s in result.citations:
            mark = "" if shown_final or s.number not in added else " (cited by the check)"
            click.echo(f"[{s.number}] {s.title}, {describe(s.page, s.location)}  ({s.path}){mark}")
    elif result.status == "not_found" and result.sources:
        click.echo("\nClosest passages:")
        for s in result.sources:
            text = " ".join(s.text.split())[:160]
            click.echo(f"- {s.title}, {describe(s.page, s.location)}: {text}")
    if result.note and result.status == "answered":
        click.echo(f"\nnote: {result.note}", err=True)
    if pending:
        from desktop_rag.core.indexing.meaning import partial_note

        click.echo(f"note: {partial_note(pending, total)}", err=True)
    click.echo(f"(chat {result.chat_id})", err=True)


def _scope(lib: Any, documents: tuple[str, ...], folders: tuple[str, ...]) -> list[int] | None:
    """The document ids `--document` and `--folder` name, or None for the whole library."""
    if not documents and not folders:
        return None
    ids = [d["id"] for d in lib.find_documents(documents)]
    for folder in folders:
        found = lib.documents_in_folder(folder)
        if not found:
            raise UserError(
                f"No document of this library is under {folder}.",
                "Check the folder, or link it: `desktop-rag folders link FOLDER`.",
            )
        ids += [d["id"] for d in found if d["id"] not in ids]
    return ids


def _export_answer(result: Any, path: str, library: str) -> None:
    from desktop_rag.core.answers.export import Exchange, ExportInfo, export_exchanges

    info = ExportInfo(title=result.question[:120], library=library)
    done = export_exchanges([Exchange(result.question, result.to_dict())], path, info)
    click.echo(f"exported to {done}", err=True)


# what desktop_rag.cli adds to `desktop-rag`
COMMANDS = [search, ask]
