"""`orgs`, `users`, `rounds`, `submit`, `history`, `rollback`, `need`, `audit`: the store from the command line.

Whoever can run these commands can read the database file, so by default they act as the local operator
(an admin, audited as "cli"). `--user EMAIL` acts as that account instead, with its role's limits; `submit`
and `rollback` always name the person, so the audit log says who did it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import secrets
import sys
from pathlib import Path

from mapping.commands import reporting
from mapping.commands.acting import actor_for, user_arg
from mapping.commands.tables import out_json, print_table
from mapping.store import auth, db, picture, registry, submissions


# ------------------------------------------------------------------ orgs
def _orgs_add(args) -> int:
    engine = db.connect()
    oid = registry.add_org(engine, actor_for(engine, args.user), args.name, acronym=args.acronym, org_type=args.type,
                           aliases=args.alias or [], iati_id=args.iati)
    print(f"Organisation #{oid} added: {args.name}")
    return 0


def _orgs_list(args) -> int:
    orgs = registry.list_orgs(db.connect(), reference=args.all, merged=args.all)
    if args.json:
        out_json(orgs)
    else:
        print_table([o | {"aliases": ", ".join(o["aliases"]), "merged into": o["merged_into_name"],
                     "reports": "yes" if o["reporting"] else "reference"} for o in orgs],
               ["id", "name", "acronym", "type", "iati_id", "aliases", "submissions", "reports", "merged into"])
    return 0


# ------------------------------------------------------------------ users
def _users_add(args) -> int:
    engine = db.connect()
    password = args.password
    generated = None
    if password is None and not args.no_password:
        generated = password = secrets.token_urlsafe(12)
    uid = auth.add_user(engine, actor_for(engine, args.user), email=args.email, role=args.role, org=args.org,
                         password=password, name=args.name, one_time=generated is not None)
    print(f"Account #{uid} created: {args.email.strip().lower()} ({args.role}{', ' + args.org if args.org else ''})")
    if generated:
        print(f"One-time password: {generated} (give it to the person; it must be changed at the first sign-in)")
    return 0


def _users_list(args) -> int:
    engine = db.connect()
    users = auth.list_users(engine, actor_for(engine, args.user))
    if args.json:
        out_json(users)
    else:
        print_table(users, ["id", "email", "name", "role", "org", "has_password", "locked_until"])
    return 0


def _new_password(given: str | None) -> str:
    """--password, else typed twice without echo (never on the command line, where the shell history keeps it)."""
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise db.StoreError("No new password given.", cli_hint="Run it in a terminal to type it, or pass --password P.")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise db.StoreError("The two passwords differ; nothing was changed.", hint="Run the command again.")
    return first


def _users_password(args) -> int:
    engine = db.connect()
    actor = actor_for(engine, args.user)
    email = (args.email or actor.email).strip().lower()
    auth.set_password(engine, actor, email, _new_password(args.password))
    print(f"Password changed for {email}" + ("" if email == actor.email else f" (by {actor.email})")
          + "; any sign-in lock-out is lifted.")
    return 0


# ------------------------------------------------------------------ rounds
def _rounds_add(args) -> int:
    engine = db.connect()
    registry.add_round(engine, actor_for(engine, args.user), args.name, args.start, args.end,
                    carry_forward=not args.no_carry_forward)
    print(f"Round {args.name} opened: {args.start} to {args.end}"
          + ("" if args.no_carry_forward else " (partners that do not report keep their last return, marked)"))
    return 0


def _rounds_lock(args) -> int:
    engine = db.connect()
    registry.lock_round(engine, actor_for(engine, args.user), args.name, locked=not args.unlock)
    print(f"Round {args.name} {'reopened' if args.unlock else 'locked: uploads are now refused'}")
    return 0


def _rounds_list(args) -> int:
    rounds = registry.list_rounds(db.connect())
    if args.json:
        out_json(rounds)
    else:
        print_table([r | {"state": "locked" if r["locked"] else "open"} for r in rounds],
               ["name", "period_start", "period_end", "state", "carry_forward", "orgs_reported"])
    return 0


def _rounds_compare(args) -> int:
    engine = db.connect()
    previous, current = args.previous, args.current
    if not (previous and current):
        names = [r["name"] for r in registry.list_rounds(engine)]
        if len(names) < 2:
            raise db.StoreError("Comparing needs two rounds; there " + ("is only one." if names else "are none."))
        previous, current = names[-2], names[-1]
    diff = picture.compare_rounds(engine, previous, current)
    if args.json:
        out_json(diff)
        return 0
    print(f"From {diff['previous']} to {diff['current']}: {len(diff['new'])} new, {len(diff['changed'])} changed, "
          f"{len(diff['ended'])} ended, {diff['unchanged']} unchanged activities")
    for item in diff.get("duplicates", []):
        print(f"  Note: {item['org_name']} uses activity {item['activity_id'] or item['activity'] or item['sector']} "
              f"for {item['current']} activities now ({item['previous']} before); they are compared in file order. "
              "Give each activity its own ID.")
    for label in ("new", "changed", "ended"):
        for item in diff[label]:
            what = f"{item['org_name']}: {item['activity'] or item['sector']} ({item['adm2_pcode'] or item['adm1_pcode'] or '-'})"
            extra = ""
            if label == "changed":
                extra = "; ".join(f"{k} {v[0]} -> {v[1]}" for k, v in item["changes"].items())
            print(f"  {label:8} {item['activity_id'] or '':12} {what} {extra}".rstrip())
    return 0


# ------------------------------------------------------------------ submissions
def _submit(args) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    from mapping import workflow

    engine = db.connect()
    actor = actor_for(engine, args.user)
    report = workflow.submit_file(engine, actor, data, path.name, org=args.org, round_name=args.round,
                                  consolidated=args.consolidated, reporting_org=args.reporting_org,
                                  reject_whole=args.reject_whole, layout=args.layout)
    result, outcomes = report.result, report.outcomes
    if getattr(result, "layout", None) and not args.json:
        from mapping.returns.layouts import describe

        print(describe(result.layout))
    if args.json:
        out_json({"outcomes": [o.__dict__ for o in outcomes],
                   "issues": [i.to_dict() for i in result.issues]})
    for o in outcomes:
        print(o.message, file=sys.stderr if o.status == "rejected" and not args.json else sys.stdout)
        if o.replaced and not args.json:
            print(o.replaced["sentence"].replace("This replaces", "It replaced", 1).replace(" will disappear",
                                                                                      " disappeared"))
    if any(o.status == "rejected" for o in outcomes):
        if not args.json:
            for issue in result.errors[:20]:
                where = f"row {issue.row}" if issue.row else "file"
                col = f", column {issue.column}" if issue.column else ""
                print(f"  {where}{col}: {issue.message}" + (f" {issue.suggestion}" if issue.suggestion else ""),
                      file=sys.stderr)
        return 1
    return 0


def _history(args) -> int:
    engine = db.connect()
    items = submissions.history(engine, actor_for(engine, args.user), args.org)
    if args.json:
        out_json(items)
    else:
        print_table(items, ["id", "submitted_at", "round", "status", "rows", "errors", "warnings", "user", "filename"])
    return 0


def _rollback(args) -> int:
    engine = db.connect()
    actor = actor_for(engine, args.user)
    submissions.rollback(engine, actor, args.submission_id, reason=args.reason)
    entry = db.audit_log(engine, actor, limit=1, action="submission.rollback")[0]
    restored = entry["detail"].get("restored")
    print(f"Submission #{args.submission_id} rolled back; "
          + (f"submission #{restored} is current again." if restored else
             "that organisation has no other return in this round now."))
    return 0


def _audit(args) -> int:
    engine = db.connect()
    entries = db.audit_log(engine, actor_for(engine, args.user), limit=args.limit)
    if args.json:
        out_json(entries)
    else:
        print_table([e | {"detail": json.dumps(e["detail"], default=str)[:80]} for e in entries],
               ["id", "at", "email", "action", "object_type", "object_id", "detail"])
    return 0


# ------------------------------------------------------------------ need indicator
def _need_set(args) -> int:
    from mapping.analysis import matrices as analysis

    path = Path(args.csv)
    try:
        frame = analysis.read_need(path.read_bytes())
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    engine = db.connect()
    label = args.label or frame.attrs.get("label") or "Need"
    info = registry.set_need(engine, actor_for(engine, args.user), label=label, values=frame, source_filename=path.name)
    print(f"Need indicator set: \"{info['label']}\" for {info['districts']} districts (from {path.name}). "
          "Gaps are now ranked by it in the app, the PDF and the commands.")
    return 0


def _need_show(args) -> int:
    engine = db.connect()
    info = registry.need_info(engine)
    if info is None:
        if args.json:
            out_json(None)
        else:
            print("No need indicator is set. An admin can set one: python -m mapping need set FILE.csv --label L")
        return 0
    frame = registry.need(engine)
    if args.json:
        out_json(info | {"values": [{"adm2_pcode": c, "value": (None if v != v else v)}
                                     for c, v in zip(frame["adm2_pcode"], frame.iloc[:, 1], strict=True)]})
        return 0
    print(f"Need indicator: \"{info['label']}\" — {info['districts']} districts with a number, from "
          f"{info['source_filename'] or 'an upload'}, set by {info['set_by']} on {info['set_at']:%Y-%m-%d %H:%M} UTC.")
    top = frame.dropna().sort_values(frame.columns[1], ascending=False).head(args.limit)
    print_table([{"adm2_pcode": c, info["label"]: f"{v:,.6g}"} for c, v in zip(top["adm2_pcode"], top.iloc[:, 1],
                                                                           strict=True)],
           ["adm2_pcode", info["label"]])
    return 0


def _need_clear(args) -> int:
    engine = db.connect()
    if registry.clear_need(engine, actor_for(engine, args.user)):
        print("Need indicator removed: gaps are listed by province again.")
    else:
        print("No need indicator was set; nothing changed.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("orgs", help="partner organisations: add, list, merge, unmerge, alias, match, load")
    s = p.add_subparsers(dest="orgs_command", metavar="ACTION", required=True)
    a = s.add_parser("add", help="register an organisation")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--acronym", metavar="A")
    a.add_argument("--type", metavar="T", help="UN agency, donor, INGO, National NGO, government ...")
    a.add_argument("--alias", action="append", metavar="NAME", help="another name it appears under (repeatable)")
    a.add_argument("--iati", metavar="ID", help="IATI organisation identifier, e.g. XM-DAC-41122")
    user_arg(a)
    a.set_defaults(handler=_orgs_add)
    a = s.add_parser("list", help="list organisations")
    a.add_argument("--json", action="store_true")
    a.add_argument("--all", action="store_true", help="also the reference list and merged records")
    a.set_defaults(handler=_orgs_list)
    reporting.add_org_actions(s, user_arg)
    from mapping.commands.orgs import register_actions

    register_actions(s, user_arg)  # merge, unmerge, alias add, match, load

    p = sub.add_parser("users", help="accounts: add, list, disable, enable, role, reset-password, unlock, "
                       "sessions, revoke")
    s = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    a = s.add_parser("add", help="create an account (prints a one-time password unless --password is given)")
    a.add_argument("--email", required=True, metavar="E")
    a.add_argument("--role", required=True, choices=["admin", "focal_point", "viewer"])
    a.add_argument("--org", metavar="NAME", help="the organisation of a focal point")
    a.add_argument("--password", metavar="P")
    a.add_argument("--no-password", action="store_true", help="sign-in only through the OpenID Connect provider")
    a.add_argument("--name", metavar="FULL NAME")
    user_arg(a)
    a.set_defaults(handler=_users_add)
    a = s.add_parser("list", help="list accounts")
    a.add_argument("--json", action="store_true")
    user_arg(a)
    a.set_defaults(handler=_users_list)
    from mapping.commands import accounts  # disable, enable, role, reset-password, unlock, sessions, revoke

    accounts.register_actions(s)

    p = sub.add_parser("rounds", help="reporting rounds: add, lock, list, compare")
    s = p.add_subparsers(dest="rounds_command", metavar="ACTION", required=True)
    a = s.add_parser("add", help="open a reporting round")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--start", required=True, metavar="YYYY-MM-DD")
    a.add_argument("--end", required=True, metavar="YYYY-MM-DD")
    a.add_argument("--no-carry-forward", action="store_true",
                   help="show only returns made in this round (default: carry the last return forward, marked)")
    user_arg(a)
    a.set_defaults(handler=_rounds_add)
    a = s.add_parser("lock", help="lock a round: uploads to it are refused")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--unlock", action="store_true", help="reopen the round instead")
    user_arg(a)
    a.set_defaults(handler=_rounds_lock)
    a = s.add_parser("list", help="list rounds, oldest first")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_rounds_list)
    a = s.add_parser("compare", help="activities new, changed and ended between two rounds (by activity ID)")
    a.add_argument("previous", metavar="PREVIOUS", nargs="?", help="default: the second-latest round")
    a.add_argument("current", metavar="CURRENT", nargs="?", help="default: the latest round")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_rounds_compare)
    reporting.add_round_actions(s, user_arg)

    p = sub.add_parser("submit", help="validate a return and store it for an organisation")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--org", required=True, metavar="NAME")
    user_arg(p, required=True)
    p.add_argument("--round", metavar="NAME", help="default: the open round covering today")
    p.add_argument("--consolidated", action="store_true",
                   help="admin: the file holds many organisations; store one submission per organisation")
    p.add_argument("--reporting-org", choices=("org_lead", "org_impl"),
                   help="consolidated file without an organisation column: the partner column that stands for "
                        "the reporting organisation (default: the lead organisation, else the implementing partner)")
    p.add_argument("--layout", metavar="NAME", help="read the columns with this saved layout (default: the saved "
                   "layout whose headers are the file's, if any)")
    p.add_argument("--reject-whole", action="store_true",
                   help="if any row has an error, store none (by default rows with an unknown district, date or "
                        "number wait in the review queue and the rest is stored)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_submit)

    p = sub.add_parser("history", help="an organisation's submissions, newest first")
    p.add_argument("--org", required=True, metavar="NAME")
    p.add_argument("--json", action="store_true", help="id, round, status, sha256, submitted_at, user, rows ...")
    user_arg(p)
    p.set_defaults(handler=_history)

    p = sub.add_parser("rollback", help="admin: withdraw a submission; the previous return becomes current")
    p.add_argument("submission_id", type=int, metavar="SUBMISSION_ID")
    user_arg(p, required=True)
    p.add_argument("--reason", help="recorded in the audit log")
    p.set_defaults(handler=_rollback)

    p = sub.add_parser("need", help="the deployment's need indicator per district (ranks gaps): set, show, clear")
    s = p.add_subparsers(dest="need_command", metavar="ACTION", required=True)
    a = s.add_parser("set", help="admin: store a need CSV (district p-code + one number), replacing the previous one")
    a.add_argument("csv", metavar="CSV")
    a.add_argument("--label", metavar="L", help="what the number is, e.g. \"People in need\" (default: the "
                   "CSV's column name)")
    user_arg(a)
    a.set_defaults(handler=_need_set)
    a = s.add_parser("show", help="the stored need indicator, highest need first")
    a.add_argument("--limit", type=int, default=10, help="districts to list (default 10)")
    a.add_argument("--json", action="store_true", help="label, file, who set it, and every value")
    a.set_defaults(handler=_need_show)
    a = s.add_parser("clear", help="admin: stop ranking gaps by need")
    user_arg(a)
    a.set_defaults(handler=_need_clear)

    p = sub.add_parser("audit", help="admin: the audit log, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    user_arg(p)
    p.set_defaults(handler=_audit)
