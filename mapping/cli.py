"""`python -m mapping …`: every operation of the app is also a command.

Each concern registers its sub-commands from `mapping/commands/<concern>.py`, which exposes
`register(subparsers)`; a handler returns the exit code (0 ok, 1 the input has errors). Handlers do not catch
the engine's errors: `main` is the one guard. A `StocktakeError` (refused, unreadable, not found …) prints its
message and hint and exits 2; anything else is a fault in Stocktake and prints one "internal error" line that
names where it happened but never the data it was handling (a row of a return may hold personal data).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from pathlib import Path

from mapping.errors import StocktakeError

COMMAND_MODULES = ("boundaries", "ingest", "store", "analysis", "report", "setup", "pseudonymise", "people", "iati",
                   "vocab", "strategy", "rates", "review", "layouts")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mapping",
        description="Stocktake: consolidate 3W returns, match districts, analyse gaps and overlaps, export maps and PDFs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"mapping.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"mapping.commands.{name}":
                continue  # concern not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0 if args.command is None else 1
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except StocktakeError as exc:
        report_error(exc)
        return 2
    except Exception as exc:  # noqa: BLE001 - the command line's one top-level guard
        print(internal_error_line(exc), file=sys.stderr)
        return 1


def report_error(exc: StocktakeError) -> None:
    """The engine's own words, then how to fix it (the hint, then the command that does it), on standard error."""
    advice = exc.advice(command_line=True)
    print((exc.message or "Refused.") + (f" {advice}" if advice else ""), file=sys.stderr)


def internal_error_line(exc: BaseException) -> str:
    """Where a defect happened (file and line), without the exception's text, which may quote a row."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return (f"Internal error in Stocktake ({type(exc).__name__}{where}). This is a fault in Stocktake, not in your "
            "input; please report it with the command you ran.")


if __name__ == "__main__":
    sys.exit(main())
