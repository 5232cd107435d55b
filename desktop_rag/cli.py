"""The `desktop-rag` command. No argument opens the window."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from desktop_rag import __version__
from desktop_rag.core.errors import Cancelled, UserError, as_user_error

log = logging.getLogger("desktop_rag.cli")

EXIT_USER_ERROR = 1
EXIT_SOME_FILES_FAILED = 3

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


def _echo_piece(piece: str) -> None:
    """Streamed text appears as it comes, also when the output is a pipe or a file."""
    click.echo(piece, nl=False)
    sys.stdout.flush()


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

    from desktop_rag.core.llama_runtime import build_info

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
        )


@libraries.command("create")
@click.argument("name")
@click.option("--embedding-model", default="", help="A local sentence-transformers folder.")
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


# --- ingest and search ---------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--password", default=None, help="Password for protected PDFs.")
@click.option("--embedding-model", default="", help="For a new library: a local model folder.")
@click.option("--remove-missing", is_flag=True, help="Also drop documents whose file is gone.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def ingest(
    paths: tuple[str, ...],
    library_name: str | None,
    password: str | None,
    embedding_model: str,
    remove_missing: bool,
    quiet: bool,
) -> None:
    """Add files and folders to a library."""
    from tqdm import tqdm

    from desktop_rag.core.library import Library

    name = _library_name(library_name)
    with Library.open_or_create(name, embedding_model) as lib:
        lib.check_model(embedding_model)
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

        try:
            report = lib.ingest(paths, progress=progress, password=password)
        finally:
            if bar is not None:
                bar.close()
        removed = lib.remove_missing() if remove_missing else []
    for o in report.outcomes:
        if o.status in ("failed", "skipped"):
            click.echo(f"{o.status}: {o.path}: {o.message}", err=True)
        elif o.message:
            click.echo(f"warning: {o.path}: {o.message}", err=True)
    for path in removed:
        click.echo(f"removed: {path} (file is gone)", err=True)
    click.echo(f"{name}: {report.summary()}")
    if report.failed:
        sys.exit(EXIT_SOME_FILES_FAILED)


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
@_friendly
def ask(
    question: str,
    library_name: str | None,
    model_ref: str,
    chat_id: int | None,
    no_model: bool,
    as_json: bool,
) -> None:
    """Answer QUESTION from a library with a local LLM, citing the sources."""
    from desktop_rag.core import qa
    from desktop_rag.core.config import Settings
    from desktop_rag.core.generation import Generator
    from desktop_rag.core.library import Library
    from desktop_rag.core.models import resolve_llm

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
        stream = None if as_json else _echo_piece
        result = qa.answer(
            lib,
            question,
            generator,
            top_k=settings.top_k,
            max_answer_tokens=settings.max_answer_tokens,
            temperature=settings.temperature,
            history=history,
            on_text=stream,
            no_model_reason=reason,
        )
        qa.save_exchange(lib.store, chat_id, result)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    # the streamed text lacks the citations we add afterwards: print the final text when
    # it differs, or when nothing was streamed
    if result.status != "answered":
        click.echo(result.text)
    else:
        click.echo()
        if any(s.inferred for s in result.sentences):
            click.echo(f"\nWith citations:\n{result.text}")
    if result.status == "answered" and result.cited:
        click.echo("\nSources:")
        for s in result.citations:
            click.echo(f"[{s.number}] {s.title}, p. {s.page}  ({s.path})")
    elif result.status == "not_found" and result.sources:
        click.echo("\nClosest passages:")
        for s in result.sources:
            click.echo(f"- {s.title}, p. {s.page}: {' '.join(s.text.split())[:160]}")
    if result.note and result.status == "answered":
        click.echo(f"\nnote: {result.note}", err=True)
    click.echo(f"(chat {result.chat_id})", err=True)


@main.group(invoke_without_command=True)
@click.pass_context
def models(ctx: click.Context) -> None:
    """List, add and choose language models (.gguf files)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(models_list)


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_friendly
def models_list(as_json: bool = False) -> None:
    """List the bundled model and the ones you added."""
    from desktop_rag.core.models import list_models, resolve_llm

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


@models.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option("--copy", is_flag=True, help="Copy the file instead of linking it.")
@_friendly
def models_add(path: str, copy: bool) -> None:
    """Register a .gguf model file."""
    from desktop_rag.core.models import add_model

    info = add_model(path, copy=copy)
    click.echo(f"added {info.name} ({info.architecture}, {info.quantization}, {info.size_label})")


@models.command("default")
@click.argument("name")
@_friendly
def models_default(name: str) -> None:
    """Use NAME (a registered model, a .gguf path, or 'bundled') for answers."""
    from desktop_rag.core.models import set_default

    info = set_default(name)
    click.echo(f"answers now use {info.name}")


# --- measuring ---------------------------------------------------------------------------------


@main.command("eval")
@click.option(
    "--beir",
    "beir_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=str),
    help="A BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), or a SQuAD/KorQuAD "
    "folder (articles.jsonl, questions.jsonl, split.json) read as one.",
)
@click.option(
    "--mode",
    type=click.Choice(["bm25", "dense", "hybrid", "all"]),
    default="all",
    show_default=True,
    help="Keyword, meaning, or the hybrid search users get; all: each of them.",
)
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv.")
@click.option(
    "--model",
    "embedding_model",
    default="",
    help="Embedding model of the index: the default (multilingual-e5-small), 'minilm' "
    "(all-MiniLM-L6-v2), or a sentence-transformers folder.",
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
    beir_dir: str,
    mode: str,
    split: str,
    embedding_model: str,
    index_dir: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Retrieval quality on a BEIR dataset: nDCG@10, Recall@10/100, MRR@10 per mode."""
    from tqdm import tqdm

    from desktop_rag.core.evaluation import MODES, evaluate_beir

    bar = None if quiet else tqdm(total=0, unit="doc", file=sys.stderr, dynamic_ncols=True)

    def progress(p: Any) -> None:
        if bar is not None:
            bar.total = p.files_total
            bar.n = p.files_done
            bar.set_postfix_str(f"{p.chunks_done} chunks", refresh=False)
            bar.refresh()

    modes = MODES if mode == "all" else (mode,)
    try:
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
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.table())


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
    "--model",
    "embedding_model",
    default="",
    help="Embedding model for ingest and search: the default (multilingual-e5-small), "
    "'minilm' (all-MiniLM-L6-v2), or a sentence-transformers folder.",
)
@_friendly
def bench(quick: bool, as_json: bool, only: tuple[str, ...], embedding_model: str) -> None:
    """Speed of ingestion, search, generation and start-up, each beside the raw component."""
    from desktop_rag.core.benchmark import SECTIONS, run_benchmark

    def progress(p: Any) -> None:
        click.echo(f"… {p.current}", err=True)

    report = run_benchmark(
        quick=quick, sections=only or SECTIONS, progress=progress, embedding_model=embedding_model
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.table())
