"""`vocab map|unmap|aliases`: teach Stocktake once what a value outside the lists means.

`vocab map sector "Saúde" --to Health` is kept in the database (who and when, in the audit log too) and applied
to every later return, in the app and on the command line alike.
"""

from __future__ import annotations

import argparse
import json
import sys

from mapping.commands.people import _guarded  # refusals: exit 1 with the reason and hint, never a traceback
from mapping.returns.vocabulary import VOCAB_FIELDS


def _engine_and_actor(args):
    from mapping.commands.store import _actor
    from mapping.store import db

    engine = db.connect()
    return engine, _actor(engine, getattr(args, "user", None))


def _map(args) -> int:
    from mapping.store import vocabulary

    engine, actor = _engine_and_actor(args)
    done = vocabulary.map_value(engine, actor, args.field, args.value, args.to)
    print(f"{done['field']} '{done['alias']}' now reads as {done['canonical']} in every return.")
    return 0


def _unmap(args) -> int:
    from mapping.store import vocabulary

    engine, actor = _engine_and_actor(args)
    if not vocabulary.remove_alias(engine, actor, args.field, args.value):
        print(f"Refused: no mapping of {args.field} '{args.value}' to remove.", file=sys.stderr)
        return 1
    print(f"{args.field} '{args.value}' is no longer mapped; returns show it as not on the list again.")
    return 0


def _aliases(args) -> int:
    from mapping.store import vocabulary

    engine, _ = _engine_and_actor(args)
    rows = vocabulary.aliases(engine, args.field)
    if args.json:
        print(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return 0
    if not rows:
        print("(no confirmed mappings)")
    for r in rows:
        print(f"{r['field']:10} {r['alias']!r} -> {r['canonical']}  ({r['by']}, {r['at']:%Y-%m-%d %H:%M} UTC)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("vocab", help="map values outside the lists once (vocab map / unmap / aliases)",
                       description="Values a return writes that are not on the deployment's lists, mapped once.")
    s = p.add_subparsers(dest="vocab_command", metavar="ACTION")
    a = s.add_parser("map", help="confirm that a value means one on the list, for every later return (admin)")
    a.add_argument("field", choices=VOCAB_FIELDS)
    a.add_argument("value", help="the value as returns write it, e.g. 'Saúde'")
    a.add_argument("--to", required=True, metavar="CANONICAL", help="the list's value, e.g. Health")
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator)")
    a.set_defaults(handler=_guarded(_map))
    a = s.add_parser("unmap", help="forget a confirmed mapping (admin)")
    a.add_argument("field", choices=VOCAB_FIELDS)
    a.add_argument("value")
    a.add_argument("--user", metavar="EMAIL")
    a.set_defaults(handler=_guarded(_unmap))
    a = s.add_parser("aliases", help="the confirmed mappings, who made them and when")
    a.add_argument("field", nargs="?", choices=VOCAB_FIELDS)
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_guarded(_aliases))
