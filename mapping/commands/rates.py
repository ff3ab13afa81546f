"""`rates set FILE` / `rates show`: the exchange-rate table budgets are converted with."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _set(args) -> int:
    from mapping.analysis import currency
    from mapping.commands.acting import actor_for
    from mapping.store import db

    engine = db.connect()
    actor = actor_for(engine, args.user)
    db.require_admin(actor, "set the exchange rates")
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"Cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    rates = currency.save_rates(data, Path(args.file).name)
    with db.transaction(engine) as conn:
        db.audit(conn, actor, "rates.set", "rates", None, {"file": Path(args.file).name, "rates": rates.rate})
    print(f"{len(rates.rate)} rates saved. {rates.statement()}")
    return 0


def _show(args) -> int:
    from mapping.analysis import currency

    rates = currency.load_rates()
    if rates is None:
        print("No rate table: budgets are added up as reported.")
        return 0
    print(rates.statement() + f" ({currency.path()})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rates", help="exchange rates that convert every budget to one reporting currency")
    s = p.add_subparsers(dest="rates_command", metavar="ACTION", required=True)
    a = s.add_parser("set", help="admin: check a rate CSV (currency,rate,reporting_currency,as_of,source) and "
                                 "make it the deployment's")
    a.add_argument("file", metavar="FILE")
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator, as admin)")
    a.set_defaults(handler=_set)
    a = s.add_parser("show", help="the rates in force and their date")
    a.set_defaults(handler=_show)
