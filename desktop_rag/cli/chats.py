"""`desktop-rag chats`: a library's chats, listed and exported."""

from __future__ import annotations

import json

import click

from desktop_rag.cli.common import _friendly, _library_name, _passphrase
from desktop_rag.core.errors import UserError


@click.group(invoke_without_command=True)
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

    name = _library_name(library_name)
    with Library.open(name, readonly=True, passphrase=_passphrase(name)) as lib:
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

    name = _library_name(library_name)
    with Library.open(name, readonly=True, passphrase=_passphrase(name)) as lib:
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


# what desktop_rag.cli adds to `desktop-rag`
COMMANDS = [chats]
