"""What every command shares: user errors as one line and a non-zero exit, logging set up,
the library a command works on, the progress bar and the outcome of each file."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from desktop_rag.core.errors import Cancelled, UserError, as_user_error

log = logging.getLogger("desktop_rag.cli")

EXIT_USER_ERROR = 1

EXIT_SOME_FILES_FAILED = 3

PASSPHRASE_ENV = "DESKTOP_RAG_PASSPHRASE"

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


def _library_name(name: str | None) -> str:
    from desktop_rag.core.config import Settings
    from desktop_rag.core.library import DEFAULT_LIBRARY

    return name or Settings.load().current_library or DEFAULT_LIBRARY


def _passphrase(name: str) -> Callable[[], str]:
    """The passphrase of the library `name`, asked for only if it is encrypted (and not
    unlocked yet): DESKTOP_RAG_PASSPHRASE, else typed at the terminal."""
    return lambda: read_passphrase(
        f"Passphrase for the library '{name}'",
        f"The library '{name}' is encrypted, and no passphrase was given.",
    )


def read_passphrase(prompt: str, missing: str, confirm: bool = False) -> str:
    """DESKTOP_RAG_PASSPHRASE, else the passphrase typed at the terminal without echo (twice
    with `confirm`). The prompt goes to stderr, so --json output stays clean."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        raise UserError(
            missing, f"Run the command in a terminal to type it, or set {PASSPHRASE_ENV}."
        )
    return str(
        click.prompt(
            prompt,
            hide_input=True,
            confirmation_prompt="Type it again" if confirm else False,
            err=True,
        )
    )


def _progress_bar(quiet: bool) -> tuple[Callable[[Any], None], Callable[[], None]]:
    """A progress callback drawing a bar on stderr (nothing when quiet), and its closer."""
    from tqdm import tqdm

    bar = None if quiet else tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True)

    def progress(p: Any) -> None:
        if bar is None:
            return
        if p.stage == "meaning":  # every file searchable by keywords; embeddings follow
            bar.unit = "chunk"
            bar.total = int(p.extra.get("meaning_total", 0))
            bar.n = int(p.extra.get("meaning_done", 0))
            bar.set_postfix_str("searchable by keywords, meaning in progress", refresh=False)
            bar.refresh()
            return
        bar.unit = "file"
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
