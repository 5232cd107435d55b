"""One writer per library across processes. The OS drops the lock when its holder dies, so a
lock file left by a crash is stale by construction and never blocks anyone."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO

from desktop_rag.core.errors import UserError


class LibraryLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "library.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        try:
            _lock(f)
        except OSError:
            f.seek(0)
            holder = f.read().strip()
            f.close()
            raise UserError(
                f"The library '{self.path.parent.name}' is in use by another desktop-rag "
                f"(process {holder or 'unknown'}).",
                "Close the other window or command first.",
            ) from None
        with contextlib.suppress(OSError):  # the pid is a courtesy; a full disk must not stop us
            f.seek(0)
            f.truncate()
            f.write(str(os.getpid()))
            f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                _unlock(self._file)
            self._file.close()
            self._file = None

    def __enter__(self) -> LibraryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _lock(f: IO[str]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]

    def _unlock(f: IO[str]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]

else:
    import fcntl

    def _lock(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
