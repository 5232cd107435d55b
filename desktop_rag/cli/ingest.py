"""`desktop-rag ingest`, `watch` and `folders`: files and linked folders into a library."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from desktop_rag.cli.common import (
    EMBEDDING_MODEL_HELP,
    EXIT_SOME_FILES_FAILED,
    _friendly,
    _library_name,
    _passphrase,
    _print_outcomes,
    _progress_bar,
)
from desktop_rag.core.errors import UserError


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option(
    "--password", default=None, help="Password for protected PDFs, Word, PowerPoint, Excel files."
)
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

    from desktop_rag.core.indexing.watch import SYNC_WAIT_S
    from desktop_rag.core.library import Library

    name = _library_name(library_name)
    folders = [p for p in paths if Path(p).expanduser().is_dir()]
    if sync and len(folders) != len(paths):
        raise UserError(
            "--sync works on folders only.", "Give folders, or drop --sync to add files."
        )
    with Library.open_or_create(name, embedding_model, passphrase=_passphrase(name)) as lib:
        lib.check_model(embedding_model)
        for folder in folders:
            lib.link_folder(folder)
        progress, close_bar = _progress_bar(quiet)
        try:
            left_out: list[str] = []
            if sync:
                reports = [
                    lib.sync_folder(f, progress=progress, wait_s=SYNC_WAIT_S, on_wait=_waiting_for)
                    for f in folders
                ]
                outcomes = [o for r in reports for o in r.outcomes()]
                summary = "; ".join(r.summary() for r in reports)
                left_out = [p for r in reports for p in r.waiting]
                failed = any(r.ingest.failed for r in reports) or bool(left_out)
                other = [p for r in reports if r.ingest for p in r.ingest.other_language]
            else:
                report = lib.ingest(paths, progress=progress, password=password)
                outcomes, summary, failed = report.outcomes, report.summary(), bool(report.failed)
                other = report.other_language
        finally:
            close_bar()
        removed = lib.remove_missing() if remove_missing else []
    _print_outcomes(outcomes)
    for path in left_out:
        click.echo(
            f"left out: {path} (still being written after {SYNC_WAIT_S:.0f} s; run this again once"
            " it is complete)",
            err=True,
        )
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


@click.command()
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
    opener = Library.open_or_create if folders else Library.open
    with opener(name, passphrase=_passphrase(name)) as lib:
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


@click.group(invoke_without_command=True)
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

    name = _library_name(library_name)
    with Library.open(name, readonly=True, passphrase=_passphrase(name)) as lib:
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

    name = _library_name(library_name)
    with Library.open(name, passphrase=_passphrase(name)) as lib:
        click.echo(f"linked {lib.link_folder(folder)}")


@folders.command("unlink")
@click.argument("folder", type=click.Path(path_type=str))
@click.option("--library", "-l", "library_name", help="Library name (default: the current one).")
@click.option("--remove-documents", is_flag=True, help="Also remove its documents.")
@_friendly
def folders_unlink(folder: str, library_name: str | None, remove_documents: bool) -> None:
    """Stop following FOLDER; its documents stay unless --remove-documents."""
    from desktop_rag.core.library import Library

    name = _library_name(library_name)
    with Library.open(name, passphrase=_passphrase(name)) as lib:
        removed = lib.unlink_folder(folder, remove_documents=remove_documents)
    click.echo(f"unlinked {folder}" + (f"; {len(removed)} documents removed" if removed else ""))


# what desktop_rag.cli adds to `desktop-rag`
COMMANDS = [ingest, watch, folders]


def _waiting_for(paths: list[str]) -> None:
    """Tell, on stderr, which files a sync pass waits for (they are still being written)."""
    from pathlib import Path

    from tqdm import tqdm

    names = ", ".join(Path(p).name for p in paths[:3])
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    files = "file" if len(paths) == 1 else "files"
    message = f"waiting for {len(paths)} {files} still being written: {names}{more}"
    tqdm.write(message, file=sys.stderr)  # keeps the progress bar (on stderr too) intact
