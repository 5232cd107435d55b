"""The `desktop-rag` command. No argument opens the window."""

from __future__ import annotations

import json
import logging
import shutil
import sys
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from desktop_rag import __version__
from desktop_rag.core.errors import Cancelled, UserError, as_user_error

log = logging.getLogger("desktop_rag.cli")

EXIT_USER_ERROR = 1
EXIT_SOME_FILES_FAILED = 3
EMBEDDING_MODEL_HELP = (
    "'e5' (multilingual-e5-small), 'minilm' (all-MiniLM-L6-v2, English only) or a local "
    "sentence-transformers folder; by default the library chooses from its first document."
)

F = TypeVar("F", bound=Callable[..., Any])


def _friendly(fn: F) -> F:
    """Print user errors as one clear line and exit non-zero; log bugs with a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            _print_user_error(exc)
        except (KeyboardInterrupt, Cancelled):
            click.echo("cancelled", err=True)
            sys.exit(130)
        except click.exceptions.Exit:
            raise
        except Exception as exc:
            known = as_user_error(exc)  # a full or read-only disk, wherever it was hit
            if known is not None:
                _print_user_error(known)
            log.exception("unexpected error")
            click.echo(f"bug: {type(exc).__name__}: {exc} (details in the log)", err=True)
            sys.exit(70)

    return wrapper  # type: ignore[return-value]


def _print_user_error(exc: UserError) -> NoReturn:
    click.echo(f"error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"  {exc.hint}", err=True)
    sys.exit(EXIT_USER_ERROR)


def _setup() -> None:
    from desktop_rag.core.config import Settings, setup_logging

    setup_logging(Settings.load().debug_logging)


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


def _library_name(name: str | None) -> str:
    from desktop_rag.core.config import Settings
    from desktop_rag.core.library import DEFAULT_LIBRARY

    return name or Settings.load().current_library or DEFAULT_LIBRARY


@click.group(invoke_without_command=True)
@click.option("--version", "show_version", is_flag=True, help="Show the version and exit.")
@click.option(
    "--verbose", is_flag=True, help="With --version: the llama.cpp build and its CPU code."
)
@click.pass_context
def main(ctx: click.Context, show_version: bool, verbose: bool) -> None:
    """Ask questions about your own documents, fully offline."""
    if show_version:
        _print_version(verbose)
        ctx.exit(0)
    if ctx.invoked_subcommand is None:
        from desktop_rag.gui.app import main as gui_main

        sys.exit(gui_main())
    _setup()


def _print_version(verbose: bool) -> None:
    click.echo(f"desktop-rag {__version__}")
    if not verbose:
        return
    import platform

    from desktop_rag.core.answers.llama_runtime import build_info

    click.echo(f"python {platform.python_version()} on {platform.machine()}")
    info = build_info()
    if not info.llama_cpp_python:
        click.echo("llama-cpp-python: not installed")
        return
    click.echo(f"llama-cpp-python {info.llama_cpp_python}")
    click.echo(info.summary())
    if info.dynamic:
        click.echo(f"CPU variants shipped: {', '.join(info.variants)}")
    click.echo(f"system info: {info.system_info}")


@main.command("open")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
def open_window(paths: tuple[str, ...]) -> None:
    """Open the window and add PATHS to the current library (what "Open with" runs)."""
    from desktop_rag.gui.app import main as gui_main

    sys.exit(gui_main(open_paths=list(paths)))


# --- libraries ---------------------------------------------------------------------------------


@main.group(invoke_without_command=True)
@click.pass_context
def libraries(ctx: click.Context) -> None:
    """List, create, rename and delete libraries."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(libraries_list)


@libraries.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_friendly
def libraries_list(as_json: bool = False) -> None:
    """List libraries with their size."""
    from desktop_rag.core.library import Library, list_libraries

    rows = []
    for name in list_libraries():
        with Library.open(name, readonly=True) as lib:
            rows.append({"name": name, **lib.stats()})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No libraries yet. Create one with `desktop-rag ingest PATH`.")
    for r in rows:
        click.echo(
            f"{r['name']}\t{r['documents']} documents, {r['pages']} pages, {r['chunks']} chunks"
            f"\t{r['embedding_model']}"
        )


@libraries.command("create")
@click.argument("name")
@click.option("--embedding-model", default="", help=EMBEDDING_MODEL_HELP)
@_friendly
def libraries_create(name: str, embedding_model: str) -> None:
    """Create an empty library."""
    from desktop_rag.core.library import Library

    Library.create(name, embedding_model).close()
    click.echo(f"created library '{name}'")


@libraries.command("rename")
@click.argument("old")
@click.argument("new")
@_friendly
def libraries_rename(old: str, new: str) -> None:
    """Rename a library."""
    from desktop_rag.core.config import Settings
    from desktop_rag.core.library import rename_library

    rename_library(old, new)
    settings = Settings.load()
    if settings.current_library == old:
        settings.current_library = new
        settings.save()
    click.echo(f"renamed '{old}' to '{new}'")


@libraries.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_friendly
def libraries_delete(name: str, yes: bool) -> None:
    """Delete a library and every file in it (your documents are not touched)."""
    from desktop_rag.core.library import delete_library

    if not yes:
        click.confirm(f"Delete the library '{name}' and its index?", abort=True)
    delete_library(name)
    from desktop_rag.core.config import Settings

    settings = Settings.load()
    if settings.current_library == name:
        settings.current_library = ""
        settings.save()
    click.echo(f"deleted library '{name}'")


@libraries.command("reembed")
@click.argument("name")
@click.option("--embedding-model", required=True, help=EMBEDDING_MODEL_HELP)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def libraries_reembed(name: str, embedding_model: str, quiet: bool) -> None:
    """Rebuild a library with another embedding model: every file is read again. The library
    stays as it is until the new one is complete."""
    from desktop_rag.core.library import rebuild_with_model

    progress, close_bar = _progress_bar(quiet)
    try:
        rebuild_with_model(name, embedding_model, progress=progress)
    finally:
        close_bar()
    click.echo(f"re-embedded library '{name}'")


# --- ingest and search ---------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--password", default=None, help="Password for protected PDFs.")
@click.option("--embedding-model", default="", help="For a new library: " + EMBEDDING_MODEL_HELP)
@click.option("--remove-missing", is_flag=True, help="Also drop documents whose file is gone.")
@click.option(
    "--sync",
    is_flag=True,
    help="One pass over each FOLDER: add, update, follow renames, remove what is gone there.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def ingest(
    paths: tuple[str, ...],
    library_name: str | None,
    password: str | None,
    embedding_model: str,
    remove_missing: bool,
    sync: bool,
    quiet: bool,
) -> None:
    """Add files and folders to a library. A folder stays linked: `desktop-rag watch` and the
    window keep the library in step with it."""
    from pathlib import Path

    from desktop_rag.core.library import Library

    name = _library_name(library_name)
    folders = [p for p in paths if Path(p).expanduser().is_dir()]
    if sync and len(folders) != len(paths):
        raise UserError(
            "--sync works on folders only.", "Give folders, or drop --sync to add files."
        )
    with Library.open_or_create(name, embedding_model) as lib:
        lib.check_model(embedding_model)
        for folder in folders:
            lib.link_folder(folder)
        progress, close_bar = _progress_bar(quiet)
        try:
            if sync:
                reports = [lib.sync_folder(f, progress=progress) for f in folders]
                outcomes = [o for r in reports for o in r.outcomes()]
                summary = "; ".join(r.summary() for r in reports)
                failed = any(r.ingest.failed for r in reports)
                other = [p for r in reports if r.ingest for p in r.ingest.other_language]
            else:
                report = lib.ingest(paths, progress=progress, password=password)
                outcomes, summary, failed = report.outcomes, report.summary(), bool(report.failed)
                other = report.other_language
        finally:
            close_bar()
        removed = lib.remove_missing() if remove_missing else []
    _print_outcomes(outcomes)
    if other:
        click.echo(
            f"note: {Path(other[0]).name}"
            + (f" and {len(other) - 1} more are" if len(other) > 1 else " is")
            + f" not in English, but '{name}' reads English only (all-MiniLM-L6-v2): found by"
            " their words, not by their meaning. To search them by meaning too: "
            f"desktop-rag libraries reembed '{name}' --embedding-model e5",
            err=True,
        )
    for path in removed:
        click.echo(f"removed: {path} (file is gone)", err=True)
    click.echo(f"{name}: {summary}")
    if failed:
        sys.exit(EXIT_SOME_FILES_FAILED)


def _progress_bar(quiet: bool) -> tuple[Callable[[Any], None], Callable[[], None]]:
    """A progress callback drawing a bar on stderr (nothing when quiet), and its closer."""
    from tqdm import tqdm

    bar = None if quiet else tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True)

    def progress(p: Any) -> None:
        if bar is None:
            return
        bar.total = p.files_total
        bar.n = p.files_done
        bar.set_postfix_str(
            f"{p.pages_done} pages, {p.chunks_done} chunks {p.current[:30]}", refresh=False
        )
        bar.refresh()

    def close() -> None:
        if bar is not None:
            bar.close()

    return progress, close


def _print_outcomes(outcomes: list[Any]) -> None:
    for o in outcomes:
        if o.status in ("failed", "skipped"):
            click.echo(f"{o.status}: {o.path}: {o.message}", err=True)
        elif o.status in ("removed", "moved"):
            click.echo(f"{o.status}: {o.path} ({o.message})", err=True)
        elif o.message:
            click.echo(f"warning: {o.path}: {o.message}", err=True)


@main.command()
@click.argument("folders", nargs=-1, type=click.Path(file_okay=False, path_type=str))
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--quiet", "-q", is_flag=True, help="Print only what changed.")
@_friendly
def watch(folders: tuple[str, ...], library_name: str | None, quiet: bool) -> None:
    """Keep a library in step with its linked folders (and FOLDERS, linked first) until
    Ctrl+C: files added, changed, renamed or deleted there are indexed or removed."""
    import signal
    import time

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # a service manager's SIGTERM ends it as Ctrl+C does

    signal.signal(signal.SIGTERM, stop)

    from desktop_rag.core.indexing.watch import POLL_S, SETTLE_S, FolderWatcher
    from desktop_rag.core.library import Library

    name = _library_name(library_name)
    with Library.open_or_create(name) if folders else Library.open(name) as lib:
        for folder in folders:
            lib.link_folder(folder)
        linked = [row["path"] for row in lib.store.folders()]
        if not linked:
            raise UserError(
                f"The library '{name}' has no linked folders.",
                "Link one: desktop-rag watch FOLDER (or desktop-rag ingest FOLDER).",
            )
        watcher = FolderWatcher()
        watcher.watch(linked)

        def sync(folder: str) -> None:
            report = lib.sync_folder(folder)
            _print_outcomes(report.outcomes())
            if report.changed or report.missing or not quiet:
                click.echo(f"{name}: {report.summary()}", err=report.missing)
            if report.waiting:
                watcher.again(folder, SETTLE_S)

        try:
            for folder in linked:  # what changed while nothing was watching
                sync(folder)
            polled = ", ".join(watcher.polled)
            if polled:
                click.echo(f"looking every {POLL_S:.0f} s at: {polled}", err=True)
            click.echo(f"watching {len(linked)} folder(s) of '{name}'; Ctrl+C stops", err=True)
            while True:
                for folder in watcher.due():
                    sync(folder)
                time.sleep(0.25)
        except KeyboardInterrupt:
            click.echo("stopped watching", err=True)
        finally:
            watcher.stop()


@main.group(invoke_without_command=True)
@click.pass_context
def folders(ctx: click.Context) -> None:
    """The folders a library follows: list, link, unlink."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(folders_list)


@folders.command("list")
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_friendly
def folders_list(library_name: str | None = None, as_json: bool = False) -> None:
    """The linked folders of a library."""
    from desktop_rag.core.library import Library

    with Library.open(_library_name(library_name), readonly=True) as lib:
        rows = lib.linked_folders()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No linked folders. Link one with `desktop-rag ingest FOLDER`.")
    for r in rows:
        click.echo(f"{r['path']}{'' if r['present'] else '  (missing)'}")


@folders.command("link")
@click.argument("folder", type=click.Path(file_okay=False, path_type=str))
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@_friendly
def folders_link(folder: str, library_name: str | None) -> None:
    """Follow FOLDER (its files are added by the next sync: `ingest --sync` or `watch`)."""
    from desktop_rag.core.library import Library

    with Library.open(_library_name(library_name)) as lib:
        click.echo(f"linked {lib.link_folder(folder)}")


@folders.command("unlink")
@click.argument("folder", type=click.Path(path_type=str))
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--remove-documents", is_flag=True, help="Also remove its documents.")
@_friendly
def folders_unlink(folder: str, library_name: str | None, remove_documents: bool) -> None:
    """Stop following FOLDER; its documents stay unless --remove-documents."""
    from desktop_rag.core.library import Library

    with Library.open(_library_name(library_name)) as lib:
        removed = lib.unlink_folder(folder, remove_documents=remove_documents)
    click.echo(f"unlinked {folder}" + (f"; {len(removed)} documents removed" if removed else ""))


@main.command()
@click.argument("query")
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("-k", "k", default=5, show_default=True, help="How many passages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_friendly
def search(query: str, library_name: str | None, k: int, as_json: bool) -> None:
    """Find the passages that best match QUERY."""
    from desktop_rag.core.library import Library

    with Library.open(_library_name(library_name), readonly=True) as lib:
        hits = lib.search(query, k)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("No matching passages.")
    for i, h in enumerate(hits, 1):
        click.echo(f"[{i}] {h.title}, p. {h.page}  (score {h.score:.4f})")
        click.echo(f"    {h.snippet()}")


# --- answers -------------------------------------------------------------------------------------


@main.command()
@click.argument("question")
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--model", "model_ref", default="", help="A .gguf path or a registered model name.")
@click.option("--chat", "chat_id", type=int, default=None, help="Continue this chat.")
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
    no_model: bool,
    as_json: bool,
    export_path: str | None,
) -> None:
    """Answer QUESTION from a library with a local LLM, citing the sources."""
    if export_path:
        from desktop_rag.core.answers.export import export_format

        export_format(export_path)  # a wrong suffix fails before the model runs
    from desktop_rag.core.answers import qa
    from desktop_rag.core.answers.generation import Generator
    from desktop_rag.core.answers.models import resolve_llm
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
    with Library.open(_library_name(library_name)) as lib:
        if chat_id is not None and lib.store.chat(chat_id) is None:
            raise UserError(f"There is no chat {chat_id} in this library.")
        history = qa.previous_questions(lib.store, chat_id)
        printer = StreamedAnswer()
        stream = None if as_json else printer.piece
        result = qa.answer(
            lib,
            question,
            generator,
            top_k=settings.top_k,
            max_answer_tokens=settings.max_answer_tokens,
            temperature=settings.temperature,
            history=history,
            previous=qa.previous_sources(lib.store, chat_id),
            on_text=stream,
            no_model_reason=reason,
        )
        qa.save_exchange(lib.store, chat_id, result)
        library = lib.name
    if export_path:
        _export_answer(result, export_path, library)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
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
    if result.status == "answered" and result.cited:
        by_model = {n for s in result.sentences if not s.inferred for n in s.cited}
        added = {n for s in result.sentences if s.inferred for n in s.cited} - by_model
        click.echo("\nSources:")
        for s in result.citations:
            mark = "" if shown_final or s.number not in added else " (cited by the check)"
            click.echo(f"[{s.number}] {s.title}, p. {s.page}  ({s.path}){mark}")
    elif result.status == "not_found" and result.sources:
        click.echo("\nClosest passages:")
        for s in result.sources:
            click.echo(f"- {s.title}, p. {s.page}: {' '.join(s.text.split())[:160]}")
    if result.note and result.status == "answered":
        click.echo(f"\nnote: {result.note}", err=True)
    click.echo(f"(chat {result.chat_id})", err=True)


def _export_answer(result: Any, path: str, library: str) -> None:
    from desktop_rag.core.answers.export import Exchange, ExportInfo, export_exchanges

    info = ExportInfo(title=result.question[:120], library=library)
    done = export_exchanges([Exchange(result.question, result.to_dict())], path, info)
    click.echo(f"exported to {done}", err=True)


# --- chats ---------------------------------------------------------------------------------------


@main.group(invoke_without_command=True)
@click.pass_context
def chats(ctx: click.Context) -> None:
    """List a library's chats and export one."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(chats_list)


@chats.command("list")
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_friendly
def chats_list(library_name: str | None = None, as_json: bool = False) -> None:
    """The chats of a library, newest first."""
    from desktop_rag.core.library import Library

    with Library.open(_library_name(library_name), readonly=True) as lib:
        rows = lib.store.chats()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No chats yet. Start one with `desktop-rag ask QUESTION`.")
    for r in rows:
        click.echo(f"{r['id']}\t{r['messages'] // 2} questions\t{r['title']}")


@chats.command("export")
@click.argument("chat_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@_friendly
def chats_export(chat_id: int, path: str, library_name: str | None) -> None:
    """Save a whole chat with its sources: PATH.pdf (with page images) or PATH.md."""
    from desktop_rag.core.answers.export import (
        ExportInfo,
        exchanges_from_messages,
        export_exchanges,
    )
    from desktop_rag.core.library import Library

    with Library.open(_library_name(library_name), readonly=True) as lib:
        chat = lib.store.chat(chat_id)
        if chat is None:
            raise UserError(
                f"There is no chat {chat_id} in this library.", "List them: desktop-rag chats"
            )
        exchanges = exchanges_from_messages(lib.store.messages(chat_id))
        info = ExportInfo(title=chat["title"] or f"Chat {chat_id}", library=lib.name)
    done = export_exchanges(exchanges, path, info)
    n = len(exchanges)
    click.echo(f"exported {n} question{'' if n == 1 else 's'} to {done}")


@main.group(invoke_without_command=True)
@click.pass_context
def models(ctx: click.Context) -> None:
    """List, add and choose language models (.gguf files)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(models_list)


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--found",
    is_flag=True,
    help="Models other apps downloaded (Ollama, LM Studio, GPT4All, Jan, Hugging Face).",
)
@_friendly
def models_list(as_json: bool = False, found: bool = False) -> None:
    """List the bundled model and the ones you added."""
    if found:
        _list_found_models(as_json)
        return
    from desktop_rag.core.answers.models import list_models, resolve_llm

    infos = list_models()
    try:
        default = str(resolve_llm(""))
    except UserError:
        default = ""
    if as_json:
        click.echo(
            json.dumps([{**i.to_dict(), "default": i.path == default} for i in infos], indent=2)
        )
        return
    for i in infos:
        mark = "*" if i.path == default else " "
        click.echo(
            f"{mark} {i.name}\t{i.architecture}, {i.quantization}, {i.size_label}, "
            f"context {i.context_length}\t{i.path}"
        )


def _list_found_models(as_json: bool) -> None:
    from desktop_rag.core.answers.model_discovery import Unusable, find_models, registered_path

    problems: list[Unusable] = []
    found = find_models(on_problem=problems.append)
    added = {m.path: registered_path(m) for m in found}
    if as_json:
        rows = [{**m.to_dict(), "added_as": str(added[m.path] or "")} for m in found]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(
            "No models from Ollama, LM Studio, GPT4All, Jan or the Hugging Face cache were found."
        )
    for m in found:
        mark = "+" if added[m.path] else " "
        click.echo(
            f"{mark} {m.name}\t{m.info.architecture}, {m.info.quantization}, {m.size_label}, "
            f"context {m.info.context_length}\t{m.source}: {m.path}"
        )
    for p in problems:
        click.echo(f"not usable: {p.path} ({p.source}): {p.reason}", err=True)
    if found:
        click.echo("(+ already added; add one by reference: desktop-rag models add NAME)", err=True)


@models.command("add")
@click.argument("model")
@click.option("--copy", is_flag=True, help="Copy the file instead of linking it.")
@click.option("--default", "make_default", is_flag=True, help="Also use it for answers.")
@_friendly
def models_add(model: str, copy: bool, make_default: bool) -> None:
    """Register MODEL: a .gguf file, or a model `models list --found` shows (by its name or
    path), used where it is without copying it."""
    from pathlib import Path

    from desktop_rag.core.answers.model_discovery import find_model, use_found_model
    from desktop_rag.core.answers.models import add_model, set_default

    found = None if copy else find_model(model)
    if found is not None:
        info = use_found_model(found)
        how = f"from {found.source}, by reference"
    elif Path(model).expanduser().is_file():
        info = add_model(model, copy=copy)
        how = "copied" if copy else "linked"
    else:
        raise UserError(
            f"No model file or found model named {model}.",
            "Give a .gguf path, or a name from `desktop-rag models list --found`.",
        )
    click.echo(
        f"added {info.name} ({info.architecture}, {info.quantization}, {info.size_label}; {how})"
    )
    if make_default:
        set_default(info.path)
        click.echo(f"answers now use {info.name}")
    else:
        from desktop_rag.core.config import models_dir

        ref = Path(info.path).stem if Path(info.path).parent == models_dir() else info.path
        click.echo(f"use it for answers: desktop-rag models default '{ref}'")


@models.command("default")
@click.argument("name")
@_friendly
def models_default(name: str) -> None:
    """Use NAME (a registered model, a .gguf path, or 'bundled') for answers."""
    from desktop_rag.core.answers.models import set_default

    info = set_default(name)
    click.echo(f"answers now use {info.name}")


# --- measuring ---------------------------------------------------------------------------------


@main.command("eval")
@click.option(
    "--beir",
    "beir_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="Search quality on a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), or "
    "on a SQuAD/KorQuAD folder (articles.jsonl, questions.jsonl, split.json) read as one.",
)
@click.option(
    "--pages",
    "pages_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="A folder of PDFs with questions.jsonl naming each question's evidence pages "
    "(FinanceBench's layout): page-hit@1/5/10 and MRR.",
)
@click.option(
    "--qa",
    "qa_dir",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="Answer quality on a question-answering set (articles or PDFs with questions).",
)
@click.option(
    "--mode",
    type=click.Choice(["bm25", "dense", "hybrid", "all"]),
    default="all",
    show_default=True,
    help="--beir, --pages: keyword, meaning, or the hybrid search users get; all: each.",
)
@click.option("--split", default="test", show_default=True, help="Which split to score.")
@click.option("--limit", default=0, help="--qa: ask this many questions, drawn at random.")
@click.option("--seed", default=0, show_default=True, help="--qa: the draw's seed.")
@click.option("--model", "model_ref", default="", help="--qa: a .gguf path or registered name.")
@click.option(
    "--embedding-model",
    default="",
    help="--beir: the index's embedding model (default: chosen by the corpus's language, as "
    "for a new library): 'e5' (multilingual-e5-small), 'minilm' (all-MiniLM-L6-v2), or a "
    "sentence-transformers folder.",
)
@click.option(
    "--index-dir",
    default=None,
    type=click.Path(file_okay=False, path_type=str),
    help="Keep the indexed corpus here and reuse it next time (default: a temporary folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def eval_command(
    beir_dir: str | None,
    pages_dir: str | None,
    qa_dir: str | None,
    mode: str,
    split: str,
    limit: int,
    seed: int,
    model_ref: str,
    embedding_model: str,
    index_dir: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Measure search (--beir: nDCG@10, Recall@10/100, MRR@10 per mode; --pages: page-hit@1/
    5/10 and MRR on PDFs with gold pages) or answers (--qa: right, cited, refused when they
    should be, in the question's language, how fast)."""
    from tqdm import tqdm

    if sum(1 for d in (beir_dir, qa_dir, pages_dir) if d) != 1:
        raise UserError(
            "Give one dataset to measure on.", "Use --beir DIR, --pages DIR or --qa DIR."
        )
    bar = None if quiet else tqdm(total=0, unit="doc", file=sys.stderr, dynamic_ncols=True)

    def progress(p: Any) -> None:
        if bar is not None:
            bar.total = p.files_total
            bar.n = p.files_done
            bar.set_postfix_str(f"{p.pages_done} pages, {p.chunks_done} chunks", refresh=False)
            bar.refresh()

    from desktop_rag.core.measure.evaluation import MODES

    modes = MODES if mode == "all" else (mode,)
    report: Any
    try:
        if qa_dir:
            report = _eval_qa(qa_dir, split, limit, seed, model_ref, index_dir, progress, bar)
        elif pages_dir:
            from desktop_rag.core.measure.page_evaluation import evaluate_pages

            report = evaluate_pages(pages_dir, modes, index_dir=index_dir, progress=progress)
        else:
            from desktop_rag.core.measure.evaluation import evaluate_beir

            assert beir_dir is not None
            report = evaluate_beir(
                beir_dir,
                modes,
                split,
                index_dir=index_dir,
                progress=progress,
                embedding_model=embedding_model,
            )
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.table())


def _eval_qa(
    qa_dir: str,
    split: str,
    limit: int,
    seed: int,
    model_ref: str,
    index_dir: str | None,
    progress: Callable[[Any], None],
    bar: Any,
) -> Any:
    from desktop_rag.core.measure.qa_eval import evaluate_qa

    asked = [0]

    def on_answer(outcome: Any, done: int, total: int) -> None:
        asked[0] = done
        if bar is not None:
            bar.unit = "question"
            bar.total, bar.n = total, done
            bar.set_postfix_str(
                f"{outcome.status}, {'right' if outcome.correct else 'wrong'}", refresh=False
            )
            bar.refresh()

    def on_progress(p: Any) -> None:
        if not asked[0]:
            progress(p)

    return evaluate_qa(
        qa_dir, split, limit, seed, model_ref, index_dir,
        progress=on_progress, on_answer=on_answer,
    )  # fmt: skip


@main.command()
@click.option("--quick", is_flag=True, help="Smaller inputs and fewer repeats (a few minutes).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(["ingest", "search", "generation", "startup"]),
    help="Run only these sections (repeatable).",
)
@click.option(
    "--embedding-model",
    default="",
    help="Embedding model for ingest and search (default: as a new library chooses for "
    "ingest, multilingual-e5-small for search): 'e5', 'minilm', or a sentence-transformers "
    "folder.",
)
@_friendly
def bench(quick: bool, as_json: bool, only: tuple[str, ...], embedding_model: str) -> None:
    """Speed of ingestion, search, generation and start-up, each beside the raw component."""
    from desktop_rag.core.measure.benchmark import SECTIONS, run_benchmark

    def progress(p: Any) -> None:
        click.echo(f"… {p.current}", err=True)

    report = run_benchmark(
        quick=quick, sections=only or SECTIONS, progress=progress, embedding_model=embedding_model
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.table())
