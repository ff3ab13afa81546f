"""One family for every error a user can cause, so the app and the commands each need one guard.

A `StocktakeError` carries a message written for the person who caused it (a focal point, a secretariat
officer) and, where there is one, a hint saying how to put it right. The views show both; the command line
prints both and exits with status 2. Anything that is not a `StocktakeError` is a defect in Stocktake.
"""

from __future__ import annotations

__all__ = ["InvalidRequest", "StocktakeError"]


class StocktakeError(Exception):
    """Something a user asked for cannot be done; `message` says why, `hint` how to fix it."""

    def __init__(self, message: str = "", hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InvalidRequest(StocktakeError, ValueError):
    """A request's parameters make no sense (a filter, a matrix axis, a measure, an unknown district p-code).

    Also a ValueError, because that is what such mistakes have always been in Python and in older callers.
    """
