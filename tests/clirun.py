"""Run `desktop-rag` commands in their own processes without paying for imports each time.

Importing torch and sentence-transformers takes ~10 s on a small machine. Tests that start many
commands (the kill test starts a dozen) fork them from a server process that has already
imported those libraries (multiprocessing's forkserver with preloaded modules): each command is
still a separate process running the real CLI entry point, with its own environment, its own
stdout/stderr files and its own spawned parser child, and it can be killed with SIGKILL. The
server imports but never runs a model, so forking it is safe."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRELOAD = [
    "desktop_rag",
    "desktop_rag.cli",
    "desktop_rag.core.library",
    "desktop_rag.core.indexing.ingest",
    "desktop_rag.core.search.retrieval",
    "numpy",
    "sqlite_utils",
    "usearch.index",
    "torch",
    "sentence_transformers",
    "tqdm",
    "clirun",
]


def context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


@dataclass
class Run:
    """A command running (or finished) in a forked process."""

    process: Any
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def wait(self, timeout: float = 300) -> int:
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(10)
            raise TimeoutError(f"command did not finish in {timeout} s:\n{self.stderr}")
        return int(self.process.exitcode)

    def kill(self) -> int:
        """SIGKILL, as a power cut or the OOM killer would; returns the exit code (-9)."""
        self.process.kill()
        self.process.join(30)
        return int(self.process.exitcode)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def _child(
    target: Callable[..., Any],
    args: tuple[Any, ...],
    env: dict[str, str],
    out: str,
    err: str,
    umask: int | None,
) -> None:
    os.environ.update(env)
    if umask is not None:
        os.umask(umask)
    for fd, path in ((1, out), (2, err)):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    target(*args)


def _cli(argv: Sequence[str]) -> None:
    from desktop_rag.cli import main

    main.main(args=list(argv), prog_name="desktop-rag")  # exits with the command's status


def cli_with(settings: dict[str, Any], argv: Sequence[str]) -> None:
    """The CLI with module constants set first ({"package.module.NAME": value}), for a test
    that cannot wait as long as a user would (a bound of 30 s, say)."""
    import importlib

    for dotted, value in settings.items():
        module, name = dotted.rsplit(".", 1)
        setattr(importlib.import_module(module), name, value)
    _cli(argv)


def start_function(
    target: Callable[..., Any],
    *args: Any,
    env: dict[str, str],
    logs: Path,
    name: str = "run",
    umask: int | None = None,
) -> Run:
    """Run `target(*args)` (a module-level function) in a forked process."""
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    process = context().Process(
        target=_child, args=(target, args, env, str(out), str(err), umask), daemon=False
    )
    process.start()
    return Run(process, out, err)


def start(
    argv: Sequence[str],
    *,
    home: Path,
    logs: Path,
    name: str = "run",
    umask: int | None = None,
    **env: str,
) -> Run:
    """Start `desktop-rag ARGV` with DESKTOP_RAG_HOME=home (and any other variables)."""
    return start_function(
        _cli,
        list(argv),
        env={"DESKTOP_RAG_HOME": str(home), **env},
        logs=logs,
        name=name,
        umask=umask,
    )


def run(
    argv: Sequence[str],
    *,
    home: Path,
    logs: Path,
    name: str = "run",
    umask: int | None = None,
    **env: str,
) -> Run:
    """`start` and wait for the command to finish."""
    r = start(argv, home=home, logs=logs, name=name, umask=umask, **env)
    r.wait()
    return r


if __name__ == "__main__":  # pragma: no cover - a manual check: python tests/clirun.py ARGS
    r = run(sys.argv[1:], home=Path(os.environ["DESKTOP_RAG_HOME"]), logs=Path("/tmp/clirun"))
    print(r.process.exitcode, r.stdout, r.stderr)
