"""`programmes import|show|export|matrix|pairs|portability|template|names|link|not-programme`: the forum's
programme list, and the names returns write for programmes, from the shell.

Registered under the `programmes` command (whose `add` and `list` live with the people commands). Exit 0 done,
1 refused or invalid, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register_verbs(s: argparse._SubParsersAction) -> None:
    """Add the record verbs to the `programmes` command's sub-parsers."""
    a = s.add_parser("import", help="add or update programme records from a sheet (.xlsx, .csv, .ods)")
    a.add_argument("file", type=Path)
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator, as admin)")
    a.add_argument("--dry-run", action="store_true", help="check the sheet, store nothing")
    a.set_defaults(handler=_import)
    a = s.add_parser("show", help="the programme table, with filters")
    _filters(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_show)
    a = s.add_parser("export", help="the programme list as .xlsx or .csv with an HXL row (re-importable)")
    _filters(a)
    a.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.csv")
    a.set_defaults(handler=_export)
    a = s.add_parser("template", help="an empty programmes sheet with its headers and HXL row")
    a.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.csv")
    a.set_defaults(handler=_template)
    a = s.add_parser("matrix", help="districts covered: programme x province")
    _filters(a)
    a.add_argument("--out", type=Path, help="write CSV instead of printing")
    a.set_defaults(handler=_matrix)
    a = s.add_parser("pairs", help="programmes of different owners serving the same group in the same districts")
    _filters(a)
    a.add_argument("--same-owner", action="store_true", help="also pairs of one owner's programmes")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_pairs)
    a = s.add_parser("names", help="programme names written in returns and the record each names (or a suggestion)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_names)
    a = s.add_parser("link", help="learn once that returns writing NAME mean a programme")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--to", required=True, metavar="PROGRAMME")
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator, as admin)")
    a.set_defaults(handler=_link)
    a = s.add_parser("not-programme", help="mark a NAME returns write as not a programme, so it leaves the names "
                                           "queue (--undo puts it back)")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--undo", action="store_true", help="take the mark away: the name waits in the queue again")
    a.add_argument("--user", metavar="EMAIL", help="act as this account (default: the local operator, as admin)")
    a.set_defaults(handler=_not_programme)
    a = s.add_parser("portability", help="what a family of a group can turn to at home and in each other province")
    a.add_argument("--group", required=True, help="target group, e.g. 'Elderly'")
    a.add_argument("--from", dest="origin", required=True, metavar="DISTRICT", help="district name or p-code")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_portability)


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--province", action="append", default=[], help="province name or p-code (repeatable)")
    p.add_argument("--type", dest="types", action="append", default=[], help="programme type (repeatable)")
    p.add_argument("--group", dest="groups", action="append", default=[], help="target group (repeatable)")


def _data(args):
    from mapping import workflow
    from mapping.analysis import programmes as an
    from mapping.store import db

    frame, units = workflow.programmes_data(db.connect())
    frame = an.filter_programmes(frame, units, provinces=getattr(args, "province", []) or [],
                                 types=getattr(args, "types", []) or [], groups=getattr(args, "groups", []) or [])
    return frame, units


def _import(args) -> int:
    from mapping import workflow
    from mapping.commands.acting import actor_for
    from mapping.store import db

    engine = db.connect()
    parsed, report = workflow.programmes_import(engine, actor_for(engine, args.user), args.file.read_bytes(),
                                                args.file.name, dry_run=args.dry_run)
    for i in parsed.issues:
        print(f"{i.severity:8} row {i.row or '-'} {i.column or ''}: {i.message} {i.suggestion or ''}".rstrip())
    if parsed.errors:
        print(f"{len(parsed.errors)} error(s): nothing stored. Fix the sheet and import it again.", file=sys.stderr)
        return 1
    print(report.sentence() if report else f"{len(parsed.records)} programme(s) read; nothing stored (--dry-run).")
    return 0


def _show(args) -> int:
    from mapping.analysis import programmes as an

    frame, units = _data(args)
    tab = an.table(frame, units)
    if args.json:
        print(tab.to_json(orient="records", date_format="iso", force_ascii=False, indent=2))
        return 0
    for sentence in an.headlines(frame, units, group=(args.groups or [None])[0]):
        print(sentence)
    for rec in tab.to_dict("records"):
        people = f"{int(rec['beneficiaries']):,} people" if rec["beneficiaries"] == rec["beneficiaries"] and \
            rec["beneficiaries"] is not None else "people not given"
        print(f"- {rec['programme']} ({rec['owner']}): {rec['provinces'] or 'whole country'}; "
              f"{rec['target_groups'] or 'no group given'}; {rec['benefit'] or 'benefit not given'}; "
              f"{rec['districts']} districts; {people}")
    return 0


def _export(args) -> int:
    from mapping import config
    from mapping.outputs import programmes as out

    frame, units = _data(args)
    if args.out.suffix.lower() == ".csv":
        args.out.write_bytes(out.programmes_csv(frame, units))
    else:
        args.out.write_bytes(out.programmes_xlsx(frame, units, title=config.title()))
    print(f"Wrote {len(frame)} programme(s) to {args.out}.")
    return 0


def _template(args) -> int:
    import pandas as pd

    from mapping.outputs import programmes as out
    from mapping.store.programmes import FRAME_COLUMNS

    empty = pd.DataFrame(columns=list(FRAME_COLUMNS))
    units = pd.DataFrame(columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"])
    data = out.programmes_csv(empty, units) if args.out.suffix.lower() == ".csv" else \
        out.programmes_xlsx(empty, units, title="Programmes template")
    args.out.write_bytes(data)
    print(f"Wrote {args.out}.")
    return 0


def _matrix(args) -> int:
    from mapping.analysis import programmes as an

    frame, units = _data(args)
    m = an.programme_province_matrix(frame, units)
    if args.out:
        m.to_csv(args.out)
        print(f"Wrote {args.out}.")
    else:
        print(m.to_string() if len(m) else "No programme.")
    return 0


def _pairs(args) -> int:
    from mapping.analysis import programmes as an

    frame, units = _data(args)
    pairs = an.same_group_pairs(frame, units, group=(args.groups or [None])[0], same_owner=args.same_owner)
    if args.json:
        print(pairs.to_json(orient="records", force_ascii=False, indent=2))
        return 0
    if pairs.empty:
        print("No two programmes of different owners serve the same group in the same district.")
    for r in pairs.to_dict("records"):
        print(f"{r['target_groups']}: {r['programme_a']} ({r['owner_a']}) and {r['programme_b']} ({r['owner_b']}) "
              f"in {r['shared_districts']} districts: {r['districts']}")
    return 0


def _portability(args) -> int:
    from mapping import workflow
    from mapping.analysis import programmes as an
    from mapping.errors import StocktakeError
    from mapping.returns.programmes import load_target_groups
    from mapping.store import db

    frame, units = workflow.programmes_data(db.connect())
    group = load_target_groups().canonical(args.group)
    if group is None:
        raise StocktakeError(f"'{args.group}' is not a target group.",
                             hint="One of: " + ", ".join(load_target_groups().names) + ".")
    origin = _district(args.origin, units)
    table = an.portability(frame, units, group=group, origin=origin)
    if args.json:
        print(json.dumps(table.to_dict("records"), indent=2, ensure_ascii=False, default=str))
        return 0
    name = units.loc[units["adm2_pcode"] == origin, "adm2_name"].iloc[0]
    print(f"A family of '{group}' from {name}:")
    for r in table.to_dict("records"):
        if r["programme"] is None:
            print(f"  {r['province']}: no programme for this group")
        else:
            print(f"  {r['province']} ({r['where']}): {r['programme']} ({r['owner']}), "
                  f"{r['districts_covered']} of {r['districts_in_province']} districts")
    return 0


def _district(text: str, units) -> str:
    from mapping.errors import StocktakeError

    code = text.strip().upper()
    if code in set(units["adm2_pcode"]):
        return code
    hits = units[units["adm2_name"].str.lower() == text.strip().lower()]
    if len(hits) == 1:
        return str(hits["adm2_pcode"].iloc[0])
    raise StocktakeError(f"'{text}' is not one district of the boundary set.",
                         cli_hint="Give its p-code (python -m mapping match helps find it).")


def _names(args) -> int:
    from mapping import workflow
    from mapping.analysis import programmes as an
    from mapping.store import db, picture
    from mapping.store import programmes as store_programmes

    engine = db.connect()
    frame, _ = workflow.programmes_data(engine)
    marked = [r["name"] for r in store_programmes.not_programme_names(engine)]
    links = an.link_activities(picture.current_activities(engine, workflow.SYSTEM), frame, marked)
    if args.json:
        print(links.to_json(orient="records", force_ascii=False, indent=2))
        return 0
    for r in links.to_dict("records"):
        target = r["programme"] or ("not a programme (marked)" if r["not_programme"] else
                                    f"not recorded — did they mean {r['suggestion']}?" if r["suggestion"]
                                    else "not recorded")
        print(f"{r['project']} ({r['activities']} activities; {r['organisations']}): {target}")
    return 0


def _link(args) -> int:
    from mapping.commands.acting import actor_for
    from mapping.store import db
    from mapping.store import programmes as store_programmes

    engine = db.connect()
    store_programmes.add_alias(engine, actor_for(engine, args.user), args.to, args.name)
    print(f"Returns that write '{args.name}' now count for {args.to}.")
    return 0


def _not_programme(args) -> int:
    from mapping.commands.acting import actor_for
    from mapping.store import db
    from mapping.store import programmes as store_programmes

    engine = db.connect()
    actor = actor_for(engine, args.user)
    if args.undo:
        changed = store_programmes.unmark_not_programme(engine, actor, args.name)
        print(f"'{args.name}' waits in the programme names queue again." if changed else
              f"'{args.name}' was not marked as not a programme; nothing changed.")
    else:
        changed = store_programmes.mark_not_programme(engine, actor, args.name)
        print(f"'{args.name}' is marked as not a programme and leaves the names queue." if changed else
              f"'{args.name}' was already marked as not a programme; nothing changed.")
    return 0
