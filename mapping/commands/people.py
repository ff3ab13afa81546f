"""`programmes add|list` and `people upload|consent|overlap|lists|delete|purge`: issue 16 from the shell.

Like the store commands, these act as the local operator (an admin, audited as "cli") unless `--user EMAIL`
names an account; consent always names the owner's focal point. No command prints or writes a hash.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mapping.commands import programmes as programme_records
from mapping.commands.acting import actor_for
from mapping.store import db
from mapping.store import people as store_people


def _programmes_add(args) -> int:
    engine = db.connect()
    pid = store_people.add_programme(engine, actor_for(engine, args.user), args.name, owner_org=args.org)
    print(f"Programme #{pid} added: {args.name} (owned by {args.org})")
    return 0


def _programmes_list(args) -> int:
    rows = store_people.list_programmes(db.connect())
    if args.json:
        print(json.dumps([{"name": r["name"], "owner": r["owner"]} for r in rows], indent=2, ensure_ascii=False))
    else:
        for r in rows:
            print(f"{r['name']}  (owner: {r['owner']})")
        if not rows:
            print("(none)")
    return 0


def _upload(args) -> int:
    from mapping import workflow

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    engine = db.connect()
    outcome = workflow.people_upload(engine, actor_for(engine, args.user), data, path.name, programme=args.programme,
                                     round_name=args.round)
    print(outcome.message)
    return 0


def _consent(args) -> int:
    engine = db.connect()
    store_people.set_consent(engine, actor_for(engine, args.user), args.programme, args.other, given=not args.withdraw)
    if args.withdraw:
        print(f"Consent withdrawn: {args.programme} is no longer compared with {args.other}.")
    else:
        print(f"Recorded: the owner of {args.programme} agrees to compare with {args.other}. The comparison runs "
              f"once the owner of {args.other} agrees too.")
    return 0


def _overlap(args) -> int:
    from mapping import workflow
    from mapping.analysis import people_overlap as po

    engine = db.connect()
    table = workflow.people_overlap(engine, actor_for(engine, args.user), args.a, args.b, round_name=args.round)
    by_district = args.by == "district"
    data = table.to_json()
    if not by_district:
        data["by_district"] = []
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    a, b = table.programmes
    t = table.total
    print(f"People in {a} and {b} (round {table.round_name}): in both {po.figure(t['in_both'])}, only in {a} "
          f"{po.figure(t['only_a'])}, only in {b} {po.figure(t['only_b'])}.")
    if by_district:
        print(f"{'district':22} {'in both':>10} {'only ' + a[:12]:>18} {'only ' + b[:12]:>18} {'share':>7}")
        for row in table.by_district:
            name = row["adm2_pcode"] or row.get("label", "")
            cells = [po.figure(row[c]) for c in po.COLUMNS]
            print(f"{name:22} {cells[0]:>10} {cells[1]:>18} {cells[2]:>18} {po.share_text(row.get('share')):>7}")
    print(table.rule)
    if t["in_both"] == 0:
        print(po.NO_OVERLAP_NOTE)
    return 0


def _lists(args) -> int:
    engine = db.connect()
    rows = store_people.uploads(engine, actor_for(engine, args.user))
    for r in rows:
        print(f"{r['programme']}, round {r['round']}: {r['people']:,} people, uploaded by {r['uploaded_by']} on "
              f"{r['uploaded_at']:%Y-%m-%d}, deleted on {r['expires_at']:%Y-%m-%d}")
    if not rows:
        print("(no hashed lists)")
    return 0


def _delete(args) -> int:
    engine = db.connect()
    n = store_people.delete_lists(engine, actor_for(engine, args.user), args.programme, round_name=args.round)
    print(f"{n} hashed list{'s' if n != 1 else ''} of {args.programme} deleted.")
    return 0


def _purge(args) -> int:
    n = store_people.purge_expired(db.connect())
    print(f"{n} hashed list{'s' if n != 1 else ''} past the {store_people.retention_days()}-day retention deleted.")
    return 0


def _user(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument("--user", metavar="EMAIL", required=required,
                   help="act as this account" + ("" if required else " (default: the local operator, as admin)"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("programmes", help="programme records: add, list, import, show, export, matrix, pairs, portability")
    s = p.add_subparsers(dest="programmes_command", metavar="ACTION", required=True)
    a = s.add_parser("add", help="register a programme of an organisation")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--org", required=True, metavar="ORGANISATION", help="the owner")
    _user(a)
    a.set_defaults(handler=_programmes_add)
    a = s.add_parser("list", help="programmes and owners")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_programmes_list)
    programme_records.register_verbs(s)  # import, show, export, matrix, pairs, portability, template

    p = sub.add_parser("people", help="people in two programmes, from keyed-hash lists: upload, consent, overlap …")
    s = p.add_subparsers(dest="people_command", metavar="ACTION", required=True)
    a = s.add_parser("upload", help="store a programme's hashed list (from `pseudonymise hash`) for a round")
    a.add_argument("file", metavar="HASHED.csv")
    a.add_argument("--programme", required=True, metavar="NAME")
    a.add_argument("--round", metavar="NAME", help="default: the open round covering today")
    _user(a, required=True)
    a.set_defaults(handler=_upload)
    a = s.add_parser("consent", help="the owner's focal point agrees to compare PROGRAMME with another")
    a.add_argument("--programme", required=True, metavar="A")
    a.add_argument("--with", dest="other", required=True, metavar="B")
    a.add_argument("--withdraw", action="store_true", help="take the consent back")
    _user(a, required=True)
    a.set_defaults(handler=_consent)
    a = s.add_parser("overlap", help="people in both and in each only (small counts suppressed)")
    a.add_argument("a", metavar="A")
    a.add_argument("b", metavar="B")
    a.add_argument("--by", choices=["district"], help="--by district: one row per district")
    a.add_argument("--round", metavar="NAME", help="default: the latest round in which both have a list")
    a.add_argument("--json", action="store_true")
    _user(a)
    a.set_defaults(handler=_overlap)
    a = s.add_parser("lists", help="the hashed lists you may know about (programme, round, size, expiry)")
    _user(a)
    a.set_defaults(handler=_lists)
    a = s.add_parser("delete", help="delete a programme's hashed lists now (on request)")
    a.add_argument("--programme", required=True, metavar="NAME")
    a.add_argument("--round", metavar="NAME", help="only this round's list")
    _user(a)
    a.set_defaults(handler=_delete)
    a = s.add_parser("purge", help="delete every list past its retention (run daily, e.g. from cron)")
    a.set_defaults(handler=_purge)
