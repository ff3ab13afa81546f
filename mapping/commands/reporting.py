"""`rounds deadline|status|remind` and `orgs timeline`: the secretariat's follow-up of a round.

Registered under the `rounds` and `orgs` commands of `mapping.commands.store`, so they read as one family.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def out_json(data) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _actor(args):
    from mapping.commands.acting import actor_for
    from mapping.store import db

    return actor_for(db.connect(), getattr(args, "user", None))


def _deadline(args) -> int:
    from mapping.store import db, reporting

    when = reporting.set_deadline(db.connect(), _actor(args), args.name, None if args.clear else args.date)
    print(f"Returns for {args.name} are due by {reporting.day(when)}." if when else
          f"{args.name} has no deadline now.")
    return 0


def _status(args) -> int:
    from mapping.outputs import reminders
    from mapping.store import db, reporting

    status = reporting.round_status(db.connect(), _actor(args), args.name)
    if args.csv:
        Path(args.csv).write_bytes(reminders.missing_csv(status))
    if args.json:
        out_json(status.to_json())
        return 0
    print(status.sentence())
    for o in status.orgs:
        if args.missing and o.state == "reported":
            continue
        contacts = f"  {'; '.join(o.focal_points)}" if o.focal_points else ""
        print(f"  {o.org:40} {o.label()}{contacts}")
    if args.csv:
        print(f"Organisations still to report written to {args.csv}")
    return 0


def _remind(args) -> int:
    from mapping import workflow
    from mapping.store import db

    result = workflow.send_reminders(db.connect(), _actor(args), args.name, app_url=args.url)
    print(result.sentence())
    return 0


def _timeline(args) -> int:
    from mapping.store import db, reporting

    entries = reporting.timeline(db.connect(), _actor(args), args.name)
    if args.json:
        out_json([e.to_json() for e in entries])
        return 0
    if not entries:
        print(f"{args.name} has sent no return yet.")
    for e in entries:
        print(f"#{e.submission_id:<5} {reporting.day(e.submitted_at):12} {e.round_name:10} "
              f"{e.submitted_by or '':28} {e.filename}: {e.what()}")
    return 0


def add_round_actions(actions: argparse._SubParsersAction, user_arg) -> None:
    a = actions.add_parser("deadline", help="admin: the day returns for a round are due (shown to focal points)")
    a.add_argument("name", metavar="NAME")
    a.add_argument("date", metavar="YYYY-MM-DD", nargs="?")
    a.add_argument("--clear", action="store_true", help="remove the deadline")
    user_arg(a)
    a.set_defaults(handler=_checked_deadline)
    a = actions.add_parser("status", help="who has reported in a round: reported, carried forward, rejected, "
                                          "not yet (admins also see focal points' e-mails)")
    a.add_argument("name", metavar="NAME", nargs="?", help="default: the open round")
    a.add_argument("--missing", action="store_true", help="only the organisations still to report")
    a.add_argument("--csv", metavar="OUT.csv", help="also write the organisations still to report, with e-mails")
    a.add_argument("--json", action="store_true")
    user_arg(a)
    a.set_defaults(handler=_status)
    a = actions.add_parser("remind", help="admin: e-mail the focal points of organisations still to report "
                                          "(SMTP settings, STOCKTAKE_SMTP_HOST and the rest)")
    a.add_argument("name", metavar="NAME", nargs="?", help="default: the open round")
    a.add_argument("--url", metavar="URL", help="the app's address, put in the e-mail")
    user_arg(a)
    a.set_defaults(handler=_remind)


def _checked_deadline(args) -> int:
    if not args.date and not args.clear:
        print("Give the date (YYYY-MM-DD) or --clear.", file=sys.stderr)
        return 1
    return _deadline(args)


def add_org_actions(actions: argparse._SubParsersAction, user_arg) -> None:
    a = actions.add_parser("timeline", help="admin: every return of an organisation: who, when, accepted, "
                                            "rejected or rolled back, what changed")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--json", action="store_true")
    user_arg(a)
    a.set_defaults(handler=_timeline)
