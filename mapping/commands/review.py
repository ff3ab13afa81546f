"""`review list|resolve`: rows kept with their returns but waiting for the secretariat, settled by value.

`review resolve adm2_name "Dera Gazi" --to PK607` settles every waiting row with that district (and teaches the
gazetteer the spelling); `--drop` keeps the rows out of the picture for good. The picture updates at once.
"""

from __future__ import annotations

import argparse
import json


def _engine_and_actor(args):
    from mapping.commands.acting import actor_for
    from mapping.store import db

    engine = db.connect()
    return engine, actor_for(engine, getattr(args, "user", None))


def _list(args) -> int:
    from mapping.store import review

    engine, actor = _engine_and_actor(args)
    items = review.queue(engine, actor)
    if args.json:
        print(json.dumps(items, indent=2, default=str, ensure_ascii=False))
        return 0
    if not items:
        print("No row waits in the review queue.")
    for it in items:
        where = f" (province as written: {', '.join(it['provinces'])})" if it["provinces"] else ""
        print(f"{it['rows']:>5} row(s)  {it['field']}  '{it['value'] or ''}'{where}: {it['reason']}  "
              f"[{', '.join(it['orgs'])}]")
    return 0


def _resolve(args) -> int:
    from mapping import workflow

    engine, actor = _engine_and_actor(args)
    n = workflow.resolve_queued(engine, actor, args.field, args.value, to=args.to, drop=args.drop)
    what = "kept out of the picture" if args.drop else f"settled as {args.to}; they now count in the picture"
    print(f"{n} row(s) with {args.field} '{args.value}' {what}.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="rows waiting for the secretariat (unknown district, unreadable date ...)",
                       description="The review queue: rows kept with their returns but not counted until settled.")
    s = p.add_subparsers(dest="review_command", metavar="ACTION")
    a = s.add_parser("list", help="waiting rows grouped by problem and value, most rows first (admin)")
    a.add_argument("--json", action="store_true")
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator)")
    a.set_defaults(handler=_list)
    a = s.add_parser("resolve", help="settle every waiting row with one value (admin)")
    a.add_argument("field", help="the column of the problem, as `review list` shows it (adm2_name, start_date ...)")
    a.add_argument("value", help="the value as written in the returns")
    how = a.add_mutually_exclusive_group(required=True)
    how.add_argument("--to", metavar="VALUE", help="what it stands for: a district p-code, a date, a number, a "
                                                   "value on the list")
    how.add_argument("--drop", action="store_true", help="keep these rows out of the picture for good")
    a.add_argument("--user", metavar="EMAIL")
    a.set_defaults(handler=_resolve)
