"""`desktop-rag models`: list, add and choose language models (.gguf files)."""

from __future__ import annotations

import json

import click

from desktop_rag.cli.common import _friendly
from desktop_rag.core.errors import UserError


@click.group(invoke_without_command=True)
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


# what desktop_rag.cli adds to `desktop-rag`
COMMANDS = [models]
