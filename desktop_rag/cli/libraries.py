"""`desktop-rag libraries`: list, create, rename, delete, re-embed, encrypt and decrypt
libraries."""

from __future__ import annotations

import json

import click

from desktop_rag.cli.common import (
    EMBEDDING_MODEL_HELP,
    PASSPHRASE_ENV,
    _friendly,
    _passphrase,
    _progress_bar,
    read_passphrase,
)
from desktop_rag.core.errors import UserError

KEEP_IT_SAFE = "Keep the passphrase safe: without it the library cannot be read."


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
    """List libraries with their size (an encrypted one's only with DESKTOP_RAG_PASSPHRASE:
    listing never asks for passphrases)."""
    import os

    from desktop_rag.core.library import Library, is_encrypted, list_libraries
    from desktop_rag.core.storage.crypto import PassphraseRequired, WrongPassphrase

    rows: list[dict[str, object]] = []
    for name in list_libraries():
        encrypted = is_encrypted(name)
        try:
            given = os.environ.get(PASSPHRASE_ENV) or None
            with Library.open(name, readonly=True, passphrase=given) as lib:
                rows.append({"name": name, "encrypted": encrypted, **lib.stats()})
        except (PassphraseRequired, WrongPassphrase):
            rows.append({"name": name, "encrypted": True, "locked": True})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No libraries yet. Create one with `desktop-rag ingest PATH`.")
    for r in rows:
        if r.get("locked"):
            click.echo(f"{r['name']}\tencrypted (locked)")
            continue
        click.echo(
            f"{r['name']}\t{r['documents']} documents, {r['pages']} pages, {r['chunks']} chunks"
            f"\t{r['embedding_model']}{chr(9) + 'encrypted' if r['encrypted'] else ''}"
        )


@libraries.command("create")
@click.argument("name")
@click.option("--embedding-model", default="", help=EMBEDDING_MODEL_HELP)
@click.option(
    "--encrypted",
    is_flag=True,
    help=f"Encrypt it with a passphrase (typed twice, or {PASSPHRASE_ENV}).",
)
@_friendly
def libraries_create(name: str, embedding_model: str, encrypted: bool) -> None:
    """Create an empty library."""
    from desktop_rag.core.library import Library, validate_name
    from desktop_rag.core.storage.crypto import check_passphrase

    validate_name(name)
    passphrase = None
    if encrypted:
        prompt = f"Passphrase for the new library '{name}'"
        missing = f"The library '{name}' needs a passphrase to be encrypted."
        passphrase = check_passphrase(read_passphrase(prompt, missing, confirm=True))
    Library.create(name, embedding_model, passphrase=passphrase).close()
    click.echo(f"created library '{name}'" + (" (encrypted)" if encrypted else ""))
    if encrypted:
        click.echo(KEEP_IT_SAFE, err=True)


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
        rebuild_with_model(name, embedding_model, progress=progress, passphrase=_passphrase(name))
    finally:
        close_bar()
    click.echo(f"re-embedded library '{name}'")


@libraries.command("encrypt")
@click.argument("name")
@_friendly
def libraries_encrypt(name: str) -> None:
    """Encrypt a library in place with a new passphrase (typed twice, or
    DESKTOP_RAG_PASSPHRASE). If it is interrupted, the library stays as it was."""
    from desktop_rag.core.library import encrypt_library, is_encrypted
    from desktop_rag.core.storage.crypto import check_passphrase

    if is_encrypted(name):
        raise UserError(f"The library '{name}' is already encrypted.")
    prompt = f"New passphrase for the library '{name}'"
    missing = f"The library '{name}' needs a passphrase to be encrypted."
    encrypt_library(name, check_passphrase(read_passphrase(prompt, missing, confirm=True)))
    click.echo(f"encrypted library '{name}'")
    click.echo(KEEP_IT_SAFE, err=True)


@libraries.command("decrypt")
@click.argument("name")
@_friendly
def libraries_decrypt(name: str) -> None:
    """Store an encrypted library unencrypted again (its passphrase is asked). If it is
    interrupted, the library stays encrypted."""
    from desktop_rag.core.library import decrypt_library

    decrypt_library(name, _passphrase(name))
    click.echo(f"decrypted library '{name}'")


# what desktop_rag.cli adds to `desktop-rag`
COMMANDS = [libraries]
