"""One family for every error a user can cause, so the app and the commands each need one guard.

A `StocktakeError` carries a message written for the person who caused it (a focal point, a secretariat
officer) and, where there is one, a hint saying how to put it right in words that read the same on a page and
in a terminal. Advice that only makes sense in a terminal (a command, a flag) goes in `cli_hint`: someone on a
page cannot type `--org NAME`. The views show the message and hint; the command line prints all three and
exits with status 2. Anything that is not a `StocktakeError` is a defect in Stocktake.
"""

from __future__ import annotations

__all__ = ["InvalidRequest", "StocktakeError"]


class StocktakeError(Exception):
    """Something a user asked for cannot be done; `message` says why, `hint` how to fix it (anywhere),
    `cli_hint` the command or flag that fixes it (printed on the command line only)."""

    def __init__(self, message: str = "", hint: str | None = None, *, cli_hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.cli_hint = cli_hint

    def __str__(self) -> str:
        return self.message

    def advice(self, *, command_line: bool = False) -> str:
        """How to put it right: the hint, and on the command line the command as well ("" when there is none)."""
        return " ".join(p for p in (self.hint, self.cli_hint if command_line else None) if p)


class InvalidRequest(StocktakeError, ValueError):
    """A request's parameters make no sense (a filter, a matrix axis, a measure, an unknown district p-code).

    Also a ValueError, because that is what such mistakes have always been in Python and in older callers.
    """
