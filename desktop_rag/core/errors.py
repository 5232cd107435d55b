"""Errors a person can cause and act on, as opposed to bugs."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user caused or can fix: a message plus a hint they can act on."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class Cancelled(Exception):
    """Raised inside slow work when its CancelToken was set."""
