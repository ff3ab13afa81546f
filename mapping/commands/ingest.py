"""`template` and `validate`: what a focal point needs before uploading a return.

`validate` prints the same row-by-row report the upload page shows (or one JSON object with --json) and can
write the annotated workbook; it exits 0 without errors, 1 with errors, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _print_offlist(result) -> None:
    if not result.offlist:
        return
    print("Values not on the lists (each kept as written until mapped once with python -m mapping vocab map):")
    for e in result.offlist:
        hint = f" -> suggested {e['suggestion']} ({e['how']}, {e['confidence']}%)" if e.get("suggestion") else ""
        print(f"  {e['field']}: '{e['value']}' on {e['rows']} row(s), first row {e['first_row']}{hint}")


def _print_report(result) -> None:
    print(f"{result.file}, sheet '{result.sheet}' (header on row {result.header_row}): {result.rows} rows read, "
          f"{result.accepted} without errors, {len(result.errors)} error(s), {len(result.warnings)} warning(s).")
    if result.layout:
        from mapping.returns.layouts import describe

        print(describe(result.layout))
    known = [f"{c['header']} ({c['letter']}) -> {c['field']}" for c in result.columns if c["field"]]
    print("Columns recognised: " + ("; ".join(known) or "none"))
    if result.unknown_columns:
        print("Columns not recognised (kept as extra data): " + "; ".join(result.unknown_columns))
    for d in result.defaults:
        print(f"Default ({d['rows']} rows): {d['rule']}")
    _print_offlist(result)
    if not result.issues:
        print("No problems found.")
        return
    print()
    print(f"{'Row':>5}  {'Severity':8}  {'Column':24}  Message")
    for i in result.issues:
        line = f"{i.row or '':>5}  {i.severity:8}  {(i.column or '-')[:24]:24}  {i.message}"
        if i.suggestion:
            line += f" {i.suggestion}"
        print(line)


def _validate(args: argparse.Namespace) -> int:
    """The upload page's check (`workflow.validate_upload`), printed; nothing is stored."""
    from mapping import workflow
    from mapping.returns.annotate import annotate_workbook
    from mapping.returns.readers import ReturnError
    from mapping.store import db

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        message = f"Cannot read {path}: {exc.strerror or exc}"
        print(json.dumps({"file": path.name, "error": message}, ensure_ascii=False) if args.json else message,
              file=sys.stdout if args.json else sys.stderr)
        return 2
    engine = db.connect()

    def check():
        return workflow.validate_upload(engine, data, path.name, org=args.org, sheet=args.sheet,
                                        date_order=args.date_order, reporting_org=args.reporting_org,
                                        consolidated=args.consolidated, layout=args.layout)

    try:
        result = check()
        if args.apply_suggestions:
            done = workflow.apply_suggestions(engine, db.CLI_ADMIN, result)
            for d in done:
                print(f"Mapped {d['field']} '{d['alias']}' to {d['canonical']}.", file=sys.stderr)
            print(f"{len(done)} suggestion(s) at or above {workflow.SUGGESTION_THRESHOLD}% confidence applied.",
                  file=sys.stderr)
            result = check()
    except ReturnError as exc:
        if args.json:
            print(json.dumps({"file": path.name, "error": exc.message, "hint": exc.advice(command_line=True) or None},
                             ensure_ascii=False))
        raise
    if args.annotated:
        Path(args.annotated).write_bytes(annotate_workbook(data, path.name, result))
    replaced = _replacement(engine, args.org, result)
    if args.json:
        print(json.dumps(result.to_json(all_issues=args.all_issues)
                         | ({"replaces": replaced.to_json()} if replaced else {}),
                         ensure_ascii=False, default=str))
    else:
        _print_report(result)
        if replaced is not None:
            print("\n" + replaced.sentence() + " Submitting it (python -m mapping submit) would do that.")
        if args.annotated:
            print(f"\nAnnotated workbook written to {args.annotated}")
    return 0 if result.ok else 1


def _replacement(engine, org: str | None, result):
    """What submitting this return would replace, when the store knows the organisation (else None)."""
    if not org or not result.ok:
        return None
    from mapping import workflow
    from mapping.errors import StocktakeError
    from mapping.store import picture

    try:
        return picture.replacement(engine, workflow.SYSTEM, org, result.records)
    except StocktakeError:  # an organisation the store does not know yet: nothing to replace
        return None


def _current_activities(engine, org: str):
    """The organisation's current activities for a pre-filled template (None when there is no store)."""
    from mapping import workflow
    from mapping.store import picture, registry

    acts = picture.current_activities(engine, workflow.SYSTEM)
    if acts is None or not len(acts):
        return acts
    from mapping.returns.organisations import OrgIndex

    found = OrgIndex(registry.org_directory(engine)).find(org)
    name = found["name"] if found else org
    return acts[acts["org_name"] == name]


def _template(args: argparse.Namespace) -> int:
    from mapping.geo import boundaries
    from mapping.returns.template import build_template
    from mapping.store import db

    units = None
    try:
        units = boundaries.units(boundaries.load_set())
    except boundaries.NoBoundariesError as exc:  # a template without place lists is still useful
        print("No boundary set is loaded: the template has no province/district lists. "
              + exc.advice(command_line=True), file=sys.stderr)
    activities = _current_activities(db.connect(), args.org) if args.org else None
    data = build_template(units=units, org=args.org, activities=activities, title=args.title)
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(f"Cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    n = 0 if activities is None else len(activities)
    print(f"Template written to {out}" + (f" with {n} current activities of {args.org}" if args.org else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("template", help="write the Excel return template (blank or pre-filled for an organisation)",
                       description="Write the Excel template focal points fill in: Instructions, Activities (with "
                                   "dropdowns) and the lists behind them.")
    p.add_argument("--out", required=True, help="where to write the .xlsx")
    p.add_argument("--org", help="pre-fill with this organisation's current activities")
    p.add_argument("--title", help="title shown on the Instructions sheet")
    p.set_defaults(handler=_template)
    p = sub.add_parser("validate", help="check a return and print a row-by-row report (exit 1 on errors)",
                       description="Check a return without storing it. Exit 0: no errors; 1: errors; "
                                   "2: the file cannot be read.")
    p.add_argument("file", help=".xlsx, .xlsm, .xls, .ods or .csv return")
    p.add_argument("--org", help="the submitting organisation: rows naming another one are errors")
    p.add_argument("--sheet", help="the sheet holding the activities (default: found automatically)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table: rows, accepted, "
                   "queued, and the issues grouped by (column, value, message) with counts and first rows")
    p.add_argument("--all-issues", action="store_true", help="with --json: one record per row and problem instead "
                   "of groups")
    p.add_argument("--consolidated", action="store_true", help="an admin's consolidated file: the larger size limit "
                   "(STOCKTAKE_MAX_CONSOLIDATED_MB)")
    p.add_argument("--annotated", metavar="OUT.xlsx", help="also write the return with problem cells marked")
    p.add_argument("--date-order", choices=("dmy", "mdy"), help="how to read 01/02/2025 (default dmy)")
    p.add_argument("--reporting-org", choices=("org_lead", "org_impl"),
                   help="file without an organisation column: the partner column read as the reporting organisation")
    p.add_argument("--layout", metavar="NAME", help="read the columns with this saved layout (default: the saved "
                   "layout whose headers are the file's, if any; see `layouts list`)")
    p.add_argument("--apply-suggestions", action="store_true",
                   help="confirm every suggested mapping of an off-list value at or above 90%% confidence as a "
                        "vocabulary alias (kept in the database, audited as the local operator), then check again")
    p.set_defaults(handler=_validate)
