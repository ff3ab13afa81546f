"""`strategy show|set|matrix|gaps`: partners' work read against the government's strategy framework.

The framework (pillars → objectives → policy actions) is data the deployment keeps (`data/strategy.csv`);
returns name the objective or action each activity supports. Exit 0 done, 1 refused, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("strategy", help="the strategy framework: show, set, partner x pillar, unsupported actions",
                       description=__doc__)
    s = p.add_subparsers(dest="strategy_command", metavar="ACTION", required=True)
    a = s.add_parser("show", help="the framework: pillars, objectives, policy actions")
    a.set_defaults(handler=_show)
    a = s.add_parser("set", help="replace the framework with a CSV (code, level, parent, name); admin")
    a.add_argument("file", type=Path)
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator, as admin)")
    a.set_defaults(handler=_set)
    a = s.add_parser("matrix", help="partner x pillar, or pillar x province")
    a.add_argument("--rows", choices=("partner", "province"), default="partner")
    a.add_argument("--measure", choices=("activities", "partners"), default="activities")
    a.add_argument("--out", type=Path, help="write CSV instead of printing")
    a.set_defaults(handler=_matrix)
    a = s.add_parser("gaps", help="policy actions no partner supports, and pillars resting on one partner")
    a.set_defaults(handler=_gaps)


def _framework():
    from mapping.errors import StocktakeError
    from mapping.returns.strategy import load_framework

    fw = load_framework()
    if fw is None:
        raise StocktakeError("No strategy framework is kept.",
                             cli_hint="Give one: python -m mapping strategy set FILE.csv (code, level, parent, name).")
    return fw


def _acts():
    from mapping import workflow
    from mapping.store import db, picture

    return picture.current_activities(db.connect(), workflow.SYSTEM)


def _show(args) -> int:
    fw = _framework()
    for item in fw.items:
        indent = {"pillar": "", "objective": "  ", "action": "    "}[item.level]
        print(f"{indent}{item.code}  {item.name}")
    return 0


def _set(args) -> int:
    from mapping import workflow
    from mapping.commands.acting import actor_for
    from mapping.store import db

    engine = db.connect()
    fw = workflow.set_strategy(engine, actor_for(engine, args.user), args.file.read_bytes(), args.file.name)
    print(f"Strategy framework replaced: {len(fw.of_level('pillar'))} pillars, {len(fw.of_level('objective'))} "
          f"objectives, {len(fw.of_level('action'))} policy actions.")
    return 0


def _matrix(args) -> int:
    from mapping.analysis import strategy as an

    m = an.pillar_matrix(_acts(), _framework(), rows=args.rows, measure=args.measure)
    if args.out:
        m.to_csv(args.out)
        print(f"Wrote {args.out}.")
    else:
        print(m.to_string())
    print(an.RULE, file=sys.stderr)
    return 0


def _gaps(args) -> int:
    from mapping.analysis import strategy as an

    acts, fw = _acts(), _framework()
    for sentence in an.headlines(acts, fw):
        print(sentence)
    gaps = an.unsupported_actions(acts, fw)
    if len(gaps):
        print("\nPolicy actions with no partner support:")
        for r in gaps.to_dict("records"):
            print(f"  {r['code']}  {r['action']}  ({r['pillar']})")
    return 0
