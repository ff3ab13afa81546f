"""Who acts when a command runs: the local operator, or the account named with --user.

Whoever can run the commands can read the database file, so by default they act as the local operator (an admin,
audited as "cli"); `--user EMAIL` acts as that account instead, with its role's limits. Every command module that
changes something asks here, so the rule is written once.
"""

from __future__ import annotations

import argparse

from mapping.store import auth, db


def actor_for(engine, email: str | None) -> db.Actor:
    """The local operator without --user, else that active account (a StoreError when there is none)."""
    if not email:
        return db.CLI_ADMIN
    actor = auth.user_for_email(engine, email)
    if actor is None:
        raise db.StoreError(f"No active account for {email}.",
                            cli_hint=f"Create it: python -m mapping users add --email {email} --role focal_point "
                                     "--org NAME.")
    return actor


def user_arg(p: argparse.ArgumentParser, required: bool = False) -> None:
    """The --user EMAIL flag every command that changes something takes."""
    p.add_argument("--user", metavar="EMAIL", required=required,
                   help="act as this account" + ("" if required else " (default: the local operator, as admin)"))
