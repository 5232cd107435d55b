"""Errors a person can cause and act on, as opposed to bugs."""

from __future__ import annotations

import errno


class UserError(Exception):
    """A problem the user caused or can fix: a message plus a hint they can act on.

    `code` names the kind of problem for a program (the GUI asks for a password on
    'encrypted', offers to free space on 'disk-full'); '' when no one needs to tell them apart."""

    code: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class DiskFullError(UserError):
    """The disk holding the library is full; what was saved before is intact."""

    code = "disk-full"

    def __init__(self, where: str = "") -> None:
        super().__init__(
            f"The disk is full{f' ({where})' if where else ''}: the library could not be saved.",
            "Free some disk space and add the files again; what was indexed before is intact.",
        )
        self.where = where

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (DiskFullError, (self.where,))


class Cancelled(Exception):
    """Raised inside slow work when its CancelToken was set."""


_DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def as_user_error(exc: BaseException) -> UserError | None:
    """The UserError a person should see for `exc`, or None when `exc` is a bug.

    Turns the operating system's 'disk full' and 'read-only disk' into messages someone can act
    on, wherever they were raised; the CLI and the GUI both show errors through this."""
    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, OSError):
        if exc.errno in _DISK_FULL_ERRNOS:
            return DiskFullError(exc.filename or "")
        if exc.errno == errno.EROFS:
            return UserError(
                f"The disk is read-only ({exc.filename or 'the data folder'}).",
                "Choose a data folder on a writable disk (DESKTOP_RAG_HOME).",
            )
    return None
