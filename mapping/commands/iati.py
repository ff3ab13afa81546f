"""`iati draft|fetch|check`: start a return from what the partner already publishes to IATI.

`draft` writes the organisation's template pre-filled from an IATI activity file (plus an 'IATI notes' sheet of
everything that could not be mapped); `fetch` downloads a publisher's activities from the IATI Datastore API;
`check` compares a return with the IATI file by iati-identifier. Exit 0 done, 1 refused, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("iati", help="pre-fill a return from IATI data; compare a return with IATI",
                       description=__doc__)
    verbs = p.add_subparsers(dest="iati_command", metavar="VERB")

    d = verbs.add_parser("draft", help="IATI activity file -> the organisation's template, pre-filled")
    d.add_argument("file", type=Path, help="IATI activity file (.xml, standard 2.01-2.03)")
    d.add_argument("--org", help="the organisation as this deployment names it (default: the IATI reporting-org)")
    d.add_argument("--country", help="two-letter ISO code of the recipient country (default: the boundary set's)")
    d.add_argument("--round", dest="round_name", help="reporting round whose period the budgets are cut to")
    d.add_argument("--out", type=Path, required=True, help="where to write the draft .xlsx")
    d.add_argument("--json", action="store_true", help="print a JSON summary with every note")
    d.set_defaults(handler=_draft)

    f = verbs.add_parser("fetch", help="download a publisher's activities from the IATI Datastore API")
    f.add_argument("publisher", help="IATI organisation identifier, e.g. XM-DAC-41122")
    f.add_argument("--country", required=True, help="two-letter ISO code of the recipient country")
    f.add_argument("--out", type=Path, required=True, help="where to write the IATI XML")
    f.set_defaults(handler=_fetch)

    c = verbs.add_parser("check", help="activities in IATI but not in a return, and the reverse")
    c.add_argument("file", type=Path, help="the return (.xlsx, .xls, .ods, .csv)")
    c.add_argument("--iati", type=Path, required=True, help="the organisation's IATI activity file")
    c.add_argument("--org", help="organisation submitting the return")
    c.add_argument("--country", help="two-letter ISO code (default: the boundary set's)")
    c.set_defaults(handler=_check)
    p.set_defaults(handler=lambda args: (p.print_help(), 1)[1])


def _draft(args: argparse.Namespace) -> int:
    from mapping import workflow
    from mapping.store import db

    draft, book = workflow.iati_draft(db.connect(), args.file.read_bytes(), args.file.name, org=args.org,
                                      country=args.country, round_name=args.round_name)
    args.out.write_bytes(book)
    if args.json:
        print(json.dumps({"file": draft.file, "activities_read": draft.activities_read,
                          "activities_drafted": draft.activities_drafted, "rows": len(draft.rows),
                          "out": str(args.out),
                          "notes": [n.__dict__ for n in draft.notes]}, indent=2, default=str))
        return 0
    print(f"{draft.file}: {draft.activities_drafted} of {draft.activities_read} IATI activities became "
          f"{len(draft.rows)} rows in {args.out}.")
    for n in draft.notes:
        print(f"  {n.activity or '-'}  [{n.what}] {n.value}: {n.message}")
    print("Review the draft (every row, and the 'IATI notes' sheet), then upload it as your return.")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from mapping import config
    from mapping.returns import iati

    base = config.iati_datastore_url()
    if not base:
        print("No IATI Datastore is configured: set STOCKTAKE_IATI_DATASTORE_URL (and STOCKTAKE_IATI_API_KEY), "
              "or download your IATI file and use `iati draft FILE`.", file=sys.stderr)
        return 1
    data = iati.fetch_publisher(args.publisher, country=args.country, base_url=base, api_key=config.iati_api_key())
    args.out.write_bytes(data)
    print(f"Wrote {args.out} ({len(data):,} bytes).")
    return 0


def _check(args: argparse.Namespace) -> int:
    from mapping import workflow
    from mapping.store import db

    engine = db.connect()
    result = workflow.validate_upload(engine, args.file.read_bytes(), args.file.name, org=args.org)
    issues = workflow.iati_second_opinion(engine, result, args.iati.read_bytes(), args.iati.name, org=args.org,
                                          country=args.country)
    if not issues:
        print("Every activity in the IATI file is in the return, and the reverse.")
        return 0
    for i in issues:
        print(f"warning  {i.value}: {i.message} {i.suggestion or ''}".rstrip())
    return 0
