"""`setup` and `demo`: first-run preparation used by `make run`."""

from __future__ import annotations

import argparse
import sys


def _setup(args: argparse.Namespace) -> int:
    from mapping import workflow

    info = workflow.setup(demo=args.demo)
    print(f"Database: {info['database']}")
    if info["boundaries"]:
        print(f"Boundary set: {info['boundaries']}")
    else:
        exc = info["no_boundaries"]
        print(f"Boundary set: none. {exc.message} {exc.advice(command_line=True)}", file=sys.stderr)
    print(f"Open reporting round: {info['round']}")
    if info.get("organisations"):
        print(f"Organisation reference list: {info['organisations']} added from data/organisations.csv")
    if info.get("admin_password"):
        print(f"First admin created. One-time password: {info['admin_password']} (change it after signing in)")
    demo = info.get("demo")
    if demo:
        print(f"Demo loaded (ILLUSTRATIVE, fictional organisations): {demo['stored']} of {demo['returns']} returns "
              f"stored, {demo['rejected']} rejected by validation to show the report.")
        print("Demo accounts (e-mail / password):")
        for email, role, org, password in demo["users"][:4]:
            print(f"  {role:12} {email} / {password}" + (f"  ({org})" if org else ""))
        print(f"  ... and {len(demo['users']) - 4} more focal points (python -m mapping users list)")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mapping import workflow
    from mapping.store import db

    if args.out:
        from pathlib import Path

        from mapping.geo import boundaries
        from mapping.returns import demo

        bset = boundaries.ensure_boundaries()
        for item in demo.write_demo_returns(Path(args.out), boundaries.units(bset)):
            print(item["path"])
        return 0
    engine = db.connect()
    info = workflow.load_demo(engine)
    print(f"Demo (illustrative, fictional organisations): {info['stored']} returns stored, "
          f"{info['rejected']} rejected, round {info['round']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("setup", help="prepare the database, first admin, boundaries and a round (first run)")
    p.add_argument("--demo", action="store_true", help="also load the illustrative demo returns")
    p.set_defaults(handler=_setup)
    p = sub.add_parser("demo", help="write the illustrative demo returns and submit them")
    p.add_argument("--out", help="only write the demo .xlsx returns into this folder")
    p.set_defaults(handler=_demo)
