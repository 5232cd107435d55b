"""The `desktop-rag` command. No argument opens the window.

Its commands, one module per group: libraries.py (libraries), ingest.py (ingest, watch,
folders), ask.py (search, ask), summarize.py (summarize), chats.py (chats), models.py
(models), measure.py (eval, bench); common.py is what they share (user errors, logging,
progress)."""

from __future__ import annotations

import sys

import click

from desktop_rag import __version__
from desktop_rag.cli import ask, chats, ingest, libraries, measure, models, summarize
from desktop_rag.cli.common import _setup


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


for _group in (libraries, ingest, ask, summarize, chats, models, measure):
    for _command in _group.COMMANDS:
        main.add_command(_command)
