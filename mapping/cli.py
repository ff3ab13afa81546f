"""`python -m mapping …`: every operation of the app is also a command.

Each concern registers its sub-commands from `mapping/commands/<concern>.py`, which exposes
`register(subparsers)`; a handler returns the exit code (0 ok, 1 refused or invalid, 2 unreadable input).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mapping.errors import StocktakeError

COMMAND_MODULES = ("boundaries", "ingest", "store", "analysis", "report", "setup", "pseudonymise", "people", "iati",
                   "vocab", "strategy", "rates", "review")


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
    except StocktakeError as exc:  # a user-caused error: its message and hint, no traceback
        print(exc.message + (f" {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
