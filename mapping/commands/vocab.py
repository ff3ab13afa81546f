"""`vocab list|add|remove|map|unmap|waiting|aliases`: the controlled lists, and values outside them mapped once.

`vocab list|add|remove` read and edit the lists themselves (sectors, organisation types, statuses, modalities,
the programmes' target groups) through `mapping.store.lists`, which checks the role and writes the audit entry,
like the Admin page's Lists tab.

`vocab map sector "Saúde" --to Health` is kept in the database (who and when, in the audit log too) and applied
to every later return, in the app and on the command line alike, and to the rows already stored (they keep the
value as written; the picture reads it through the mapping). `vocab waiting` lists what stored returns wrote
that is on no list yet, e.g. a focal point's values, which only the secretariat may map.
"""

from __future__ import annotations

import argparse
import json
import sys

from mapping.returns.schema import VOCABULARY_FILES
from mapping.returns.vocabulary import VOCAB_FIELDS

LIST_FIELDS: tuple[str, ...] = tuple(VOCABULARY_FILES)


def _engine_and_actor(args):
    from mapping.commands.acting import actor_for
    from mapping.store import db

    engine = db.connect()
    return engine, actor_for(engine, getattr(args, "user", None))


def _list(args: argparse.Namespace) -> int:
    from mapping.store import lists

    columns, rows = lists.read_list(args.field)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    widths = {c: max(len(c), *(len(r.get(c, "")) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        print("  ".join(r.get(c, "").ljust(widths[c]) for c in columns).rstrip())
    return 0


def _changed(change) -> int:
    what = [f"added {', '.join(change.added)}"] if change.added else []
    what += [f"removed {', '.join(change.removed)}"] if change.removed else []
    print(f"The {change.field} list now has {change.rows} rows ({'; '.join(what) or 'no change'}); saved to "
          f"{change.file}.")
    return 0


def _add(args: argparse.Namespace) -> int:
    from mapping.store import lists

    engine, actor = _engine_and_actor(args)
    return _changed(lists.add_value(engine, actor, args.field, args.value, subsector=args.subsector or "",
                                    code=args.code or ""))


def _remove(args: argparse.Namespace) -> int:
    from mapping.store import lists

    engine, actor = _engine_and_actor(args)
    return _changed(lists.remove_value(engine, actor, args.field, args.value, subsector=args.subsector or ""))


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


def _waiting(args) -> int:
    from mapping.returns.vocabulary import SUGGESTION_THRESHOLD
    from mapping.store import picture, vocabulary

    engine, actor = _engine_and_actor(args)
    if args.apply_suggestions:
        acts = picture.current_activities(engine, actor, round_name=args.round)
        done = vocabulary.apply_waiting_suggestions(engine, actor, acts)
        print(f"{len(done)} suggestion(s) at or above {SUGGESTION_THRESHOLD}% confidence applied.", file=sys.stderr)
    rows = vocabulary.waiting(engine, actor, picture.current_activities(engine, actor, round_name=args.round))
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("No value waits for a mapping: every value in the picture is on its list or mapped.")
    for r in rows:
        hint = (f"suggested: {r['suggestion']} ({r['how']}, {r['confidence']}% sure)" if r["suggestion"]
                else "no suggestion: choose one with vocab map")
        print(f"{r['field']:10} {r['value']!r}  {r['rows']:,} row(s) of {', '.join(r['orgs'])}; {hint}")
    if rows:
        print(f"Map one with: python -m mapping vocab map FIELD VALUE --to CANONICAL; or take every suggestion at or "
              f"above {SUGGESTION_THRESHOLD}% with: python -m mapping vocab waiting --apply-suggestions")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("vocab", help="the controlled lists (vocab list / add / remove) and values outside them mapped "
                       "once (vocab map / unmap / aliases)",
                       description="Values a return writes that are not on the deployment's lists, mapped once.")
    s = p.add_subparsers(dest="vocab_command", metavar="ACTION")
    a = s.add_parser("list", help="show one of the lists")
    a.add_argument("field", choices=LIST_FIELDS, metavar="FIELD", help=" | ".join(LIST_FIELDS))
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_list)
    for name, handler, what in (("add", _add, "add a value to a list"), ("remove", _remove, "remove a value")):
        a = s.add_parser(name, help=f"admin: {what} (audited)")
        a.add_argument("field", choices=LIST_FIELDS, metavar="FIELD", help=" | ".join(LIST_FIELDS))
        a.add_argument("value", metavar="VALUE")
        a.add_argument("--subsector", metavar="S", help="sectors: the sub-sector row" + (
            "" if name == "add" else " (default: the sector with all its sub-sectors)"))
        if name == "add":
            a.add_argument("--code", metavar="C", help="sectors: the row's code, e.g. SP-UCT")
        a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator, as admin)")
        a.set_defaults(handler=handler)
    a = s.add_parser("map", help="confirm that a value means one on the list, for every later return (admin)")
    a.add_argument("field", choices=VOCAB_FIELDS)
    a.add_argument("value", help="the value as returns write it, e.g. 'Saúde'")
    a.add_argument("--to", required=True, metavar="CANONICAL", help="the list's value, e.g. Health")
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator)")
    a.set_defaults(handler=_map)
    a = s.add_parser("unmap", help="forget a confirmed mapping (admin)")
    a.add_argument("field", choices=VOCAB_FIELDS)
    a.add_argument("value")
    a.add_argument("--user", metavar="EMAIL")
    a.set_defaults(handler=_unmap)
    a = s.add_parser("waiting", help="admin: values the stored returns keep as written (on no list, not mapped yet), "
                     "once each with rows and a suggestion")
    a.add_argument("--apply-suggestions", action="store_true",
                   help="confirm every suggestion at or above the stated confidence first")
    a.add_argument("--round", metavar="NAME", help="default: the current picture's round")
    a.add_argument("--json", action="store_true")
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator)")
    a.set_defaults(handler=_waiting)
    a = s.add_parser("aliases", help="the confirmed mappings, who made them and when")
    a.add_argument("field", nargs="?", choices=VOCAB_FIELDS)
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_aliases)
