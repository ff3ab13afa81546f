"""`users disable|enable|role|reset-password|unlock|sessions|revoke`: account administration on the server.

The same engine calls as the Admin page's Accounts section (`mapping.store.accounts`, `mapping.store.sessions`),
so an admin locked out of the app can always recover from a shell on the server:
`python -m mapping users reset-password admin@example.org`.
"""

from __future__ import annotations

import argparse

from mapping.commands.acting import actor_for, user_arg
from mapping.commands.tables import out_json, print_table
from mapping.store import accounts, db, sessions


def _report(changed: accounts.Changed) -> int:
    print(changed.message)
    if changed.password:
        print(f"One-time password: {changed.password} (give it to the person; it must be changed at the next "
              "sign-in)")
    return 0


def _disable(args) -> int:
    engine = db.connect()
    return _report(accounts.disable(engine, actor_for(engine, args.user), args.email, reason=args.reason))


def _enable(args) -> int:
    engine = db.connect()
    return _report(accounts.enable(engine, actor_for(engine, args.user), args.email))


def _role(args) -> int:
    engine = db.connect()
    return _report(accounts.change_role(engine, actor_for(engine, args.user), args.email, role=args.role,
                                        org=args.org))


def _reset(args) -> int:
    engine = db.connect()
    return _report(accounts.reset_password(engine, actor_for(engine, args.user), args.email, password=args.password))


def _unlock(args) -> int:
    engine = db.connect()
    return _report(accounts.unlock(engine, actor_for(engine, args.user), args.email))


def _sessions(args) -> int:
    engine = db.connect()
    rows = sessions.list_sessions(engine, actor_for(engine, args.user), email=args.email)
    if args.json:
        out_json(rows)
    else:
        print_table(rows, ["id", "email", "method", "since", "last_seen", "expires", "browser", "client"])
    return 0


def _revoke(args) -> int:
    engine = db.connect()
    sessions.revoke(engine, actor_for(engine, args.user), args.session_id)
    print(f"Session {args.session_id} ended; that browser is signed out at its next action.")
    return 0


def _password(args) -> int:
    import getpass
    import sys

    from mapping.errors import StocktakeError
    from mapping.store import auth

    engine = db.connect()
    actor = actor_for(engine, args.user)
    email = args.email or (args.user if args.user else None)
    if not email:
        raise StocktakeError("Whose password?", cli_hint="Give the account's e-mail, or --user YOU for your own.")
    new = args.password
    if new is None:
        if not sys.stdin.isatty():
            raise StocktakeError("No new password given.",
                                 cli_hint="Run it in a terminal to type it, or pass --password P.")
        new = getpass.getpass(f"New password for {email}: ")
        if getpass.getpass("Again: ") != new:
            raise StocktakeError("The two passwords differ.", hint="Run the command again.")
    auth.set_password(engine, actor, email, new)
    by = f" (by {actor.email})" if args.user and args.user.lower() != email.lower() else ""
    print(f"Password changed for {email}{by}; any sign-in lock-out is lifted.")
    return 0


def register_actions(s: argparse._SubParsersAction) -> None:
    """Add the administration actions to the `users` command."""
    a = s.add_parser("password", help="change a password: your own (--user YOU), or anyone's as an admin")
    a.add_argument("email", metavar="EMAIL", nargs="?", help="whose password (default: the --user account's)")
    a.add_argument("--password", metavar="P", help="the new password (default: typed twice in the terminal)")
    user_arg(a)
    a.set_defaults(handler=_password)
    a = s.add_parser("disable", help="admin: stop an account signing in and end its open sessions")
    a.add_argument("email", metavar="EMAIL")
    a.add_argument("--reason", help="recorded in the audit log")
    user_arg(a)
    a.set_defaults(handler=_disable)
    a = s.add_parser("enable", help="admin: let a disabled account sign in again")
    a.add_argument("email", metavar="EMAIL")
    user_arg(a)
    a.set_defaults(handler=_enable)
    a = s.add_parser("role", help="admin: change an account's role and/or organisation (ends its sessions)")
    a.add_argument("email", metavar="EMAIL")
    a.add_argument("--role", choices=["admin", "focal_point", "viewer"])
    a.add_argument("--org", metavar="NAME", help="the organisation of a focal point")
    user_arg(a)
    a.set_defaults(handler=_role)
    a = s.add_parser("reset-password", help="admin: one-time password, to be changed at the next sign-in; lifts "
                     "any lock-out and ends the account's sessions")
    a.add_argument("email", metavar="EMAIL")
    a.add_argument("--password", metavar="P", help="the one-time password (default: a random one, printed)")
    user_arg(a)
    a.set_defaults(handler=_reset)
    a = s.add_parser("unlock", help="admin: lift sign-in lock-outs of an e-mail")
    a.add_argument("email", metavar="EMAIL")
    user_arg(a)
    a.set_defaults(handler=_unlock)
    a = s.add_parser("sessions", help="admin: who is signed in, since when, from which browser")
    a.add_argument("--email", metavar="EMAIL", help="only this account's sessions")
    a.add_argument("--json", action="store_true")
    user_arg(a)
    a.set_defaults(handler=_sessions)
    a = s.add_parser("revoke", help="admin: end one session (see `users sessions`)")
    a.add_argument("session_id", type=int, metavar="SESSION_ID")
    user_arg(a)
    a.set_defaults(handler=_revoke)
