"""`desktop-rag libraries`: list, create, rename, delete and re-embed libraries."""

from __future__ import annotations

import json

import click

from desktop_rag.cli.common import EMBEDDING_MODEL_HELP, _friendly, _progress_bar


@click.group(invoke_without_command=True)
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


# what desktop_rag.cli adds to `desktop-rag`
COMMANDS = [libraries]
