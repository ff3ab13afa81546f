"""`orgs merge|unmerge|alias|match|load`: one organisation, one record, from the command line.

Registered under the `orgs` command of `commands/store.py` (which keeps `add` and `list`), so an admin
finds every organisation action in one place; the app's Organisations section calls the same engine.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from mapping.commands.tables import status_counts, write_csv
from mapping.outputs.export import safe_cell
from mapping.store import db, identity

MATCH_COLUMNS = ["org_id", "org_name", "method", "score", "status", "suggestion"]


def _merge(args: argparse.Namespace, actor: db.Actor) -> int:
    print(identity.merge_orgs(db.connect(), actor, args.keep, args.other).message)
    return 0


def _unmerge(args: argparse.Namespace, actor: db.Actor) -> int:
    print(identity.unmerge_org(db.connect(), actor, args.name).message)
    return 0


def _alias_add(args: argparse.Namespace, actor: db.Actor) -> int:
    name = identity.add_org_alias(db.connect(), actor, args.org, args.alias)
    print(f"'{args.alias}' is now a name of {name}.")
    return 0


def _load(args: argparse.Namespace, actor: db.Actor) -> int:
    added = identity.load_org_list(db.connect(), actor, Path(args.file) if args.file else None)
    print(f"{added} organisation(s) added to the reference list.")
    return 0


def _match(args: argparse.Namespace, actor: db.Actor) -> int:
    """Twin of the place-name `match`: input column `organisation`, one output row per input row."""
    try:
        text = Path(args.input).read_bytes().decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
        header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        print(f"Could not read {args.input}: {exc}", file=sys.stderr)
        return 2
    column = next((h for h in header if h.strip().lower() in ("organisation", "organization")), None)
    if column is None:
        print(f"{args.input} needs an 'organisation' column (found: {', '.join(header) or 'none'}).", file=sys.stderr)
        return 1
    from mapping import workflow

    engine = db.connect()
    gaz = workflow.context(engine).gazetteer  # the active set's places end names ("UNICEF Sindh"); none before one
    matches = identity.match_names(engine, [r.get(column) or "" for r in rows], gaz.place_names() if gaz else ())
    out_cols = [h for h in header if h not in MATCH_COLUMNS] + MATCH_COLUMNS

    def row(r: dict, mt) -> dict:
        kept = {k: safe_cell(str(v)) for k, v in r.items() if k is not None and v is not None}
        return kept | {"org_id": mt.org_id or "", "org_name": mt.org_name or "", "method": mt.method or "",
                       "score": round(mt.score, 1) if mt.score else "", "status": mt.status,
                       "suggestion": mt.suggestion or ""}

    write_csv(args.out, out_cols, (row(r, mt) for r, mt in zip(rows, matches, strict=True)))
    print(f"{len(rows)} rows: {status_counts(mt.status for mt in matches)}", file=sys.stderr)
    return 0


def register_actions(s, user_arg) -> None:
    """Add the identity actions to the `orgs` sub-parsers (refusals end in the command line's one guard)."""
    def handler(func):
        def run(args: argparse.Namespace) -> int:
            from mapping.commands.acting import actor_for

            return func(args, actor_for(db.connect(), args.user))
        return run

    a = s.add_parser("merge", help="count organisation OTHER as KEEP from now on (all its past returns follow)")
    a.add_argument("keep", metavar="KEEP")
    a.add_argument("other", metavar="OTHER")
    user_arg(a)
    a.set_defaults(handler=handler(_merge))
    a = s.add_parser("unmerge", help="undo a merge: NAME counts as itself again")
    a.add_argument("name", metavar="NAME")
    user_arg(a)
    a.set_defaults(handler=handler(_unmerge))
    a = s.add_parser("alias", help="other names of an organisation: alias add ORG ALIAS")
    t = a.add_subparsers(dest="alias_command", metavar="ACTION", required=True)
    b = t.add_parser("add", help="teach the list another name of ORG")
    b.add_argument("org", metavar="ORG")
    b.add_argument("alias", metavar="ALIAS")
    user_arg(b)
    b.set_defaults(handler=handler(_alias_add))
    a = s.add_parser("match", help="match organisation names in a CSV (column 'organisation') to the list")
    a.add_argument("input", metavar="IN.csv")
    a.add_argument("--out", metavar="OUT.csv", help="write here instead of standard output")
    user_arg(a)
    a.set_defaults(handler=handler(_match))
    a = s.add_parser("load", help="add the starter list (data/organisations.csv, or FILE) as reference entries")
    a.add_argument("--file", metavar="FILE")
    user_arg(a)
    a.set_defaults(handler=handler(_load))
