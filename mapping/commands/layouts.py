"""`layouts list|show|save|delete`: column layouts confirmed once, the command-line twin of the Submit page.

`layouts save "3W mensuel" --from octobre.xlsx --org IRP --map "Nom complet de l'organisation=org_name"` keeps
how that file's columns are read (Stocktake's own reading, with the --map changes); every later file of IRP with
the same headers is then read with it (`validate` and `submit` say so), or with `--layout NAME` explicitly.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mapping.commands.acting import actor_for, user_arg
from mapping.commands.tables import print_table


def _plain(saved) -> dict:
    return {"name": saved.name, "org": saved.org, "saved_at": saved.saved_at, "saved_by": saved.saved_by,
            "signature": saved.signature, "headers": list(saved.headers), "mapping": dict(saved.mapping)}


def _list(args: argparse.Namespace) -> int:
    from mapping.store import db
    from mapping.store import layouts as store_layouts

    items = [_plain(s) for s in store_layouts.list_layouts(db.connect(), org=args.org)]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2, default=str))
        return 0
    if not items:
        print("No column layouts saved yet (Submit page, or: python -m mapping layouts save NAME --from FILE).")
        return 0
    rows = [{"name": i["name"], "for": i["org"] or "every organisation", "columns": len(i["mapping"]),
             "saved": f"{i['saved_at']:%Y-%m-%d %H:%M}" if i["saved_at"] else "", "by": i["saved_by"] or ""}
            for i in items]
    print_table(rows, ["name", "for", "columns", "saved", "by"])
    return 0


def _show(args: argparse.Namespace) -> int:
    from mapping.store import db
    from mapping.store import layouts as store_layouts

    item = _plain(store_layouts.get(db.connect(), args.name, org=args.org))
    if args.json:
        print(json.dumps(item, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"Layout \"{item['name']}\" for {item['org'] or 'every organisation'}, saved "
          f"{item['saved_at']:%Y-%m-%d %H:%M} by {item['saved_by'] or '?'}; applied to files with these "
          f"{len(item['headers'])} headers (signature {item['signature']}).")
    width = max((len(h) for h in item["mapping"]), default=0)
    for header, field in item["mapping"].items():
        print(f"  {header.ljust(width)}  -> {field or '(not read)'}")
    return 0


def _parse_maps(pairs: list[str]) -> dict[str, str | None]:
    from mapping.errors import InvalidRequest

    out: dict[str, str | None] = {}
    for pair in pairs or []:
        header, sep, field = pair.rpartition("=")
        if not sep or not header.strip():
            raise InvalidRequest(f"--map {pair!r} is not \"Source header=field\".",
                                 cli_hint="e.g. --map \"Nom du partenaire=org_impl\"; '-' as the field leaves the "
                                          "column out.")
        out[header.strip()] = field.strip() or None
    return out


def _save(args: argparse.Namespace) -> int:
    from mapping import workflow
    from mapping.returns.layouts import check_map
    from mapping.store import db

    path = Path(args.source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    changes = check_map(_parse_maps(args.map))
    engine = db.connect()
    actor = actor_for(engine, args.user)
    result = workflow.validate_upload(engine, data, path.name, org=args.org, sheet=args.sheet, column_map=changes)
    keys = {c["key"].casefold() for c in result.columns} | {c["header"].casefold() for c in result.columns}
    missing = [h for h in changes if h.casefold() not in keys]
    if missing:
        from mapping.errors import InvalidRequest

        raise InvalidRequest(f"{path.name} has no column {', '.join(repr(h) for h in missing)}; its columns are "
                             + ", ".join(repr(c["key"]) for c in result.columns) + ".")
    saved = workflow.save_layout(engine, actor, args.name, result, changes, org=args.org)
    print(f"Saved the layout \"{saved.name}\" for {saved.org or 'every organisation'}: "
          f"{sum(1 for f in saved.mapping.values() if f)} column(s) read as fields. Files with the same headers "
          "are read with it from now on.")
    for c in result.columns:
        print(f"  {c['key']}  -> {c['field'] or '(not read)'}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from mapping.store import db
    from mapping.store import layouts as store_layouts

    engine = db.connect()
    gone = store_layouts.delete_layout(engine, actor_for(engine, args.user), args.name, org=args.org)
    print(f"Deleted the layout \"{gone.name}\" of {gone.org or 'every organisation'}; its files are read as "
          "Stocktake recognises their columns again.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("layouts", help="column layouts confirmed once and applied to later files with the same "
                                       "headers",
                       description="How each column of a partner's file is read, saved once under a name for an "
                                   "organisation (or every organisation) and applied to later files with the same "
                                   "headers.")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = s.add_parser("list", help="saved layouts: name, organisation, columns, when and by whom")
    a.add_argument("--org", metavar="NAME", help="only this organisation's and every organisation's")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_list)
    a = s.add_parser("show", help="one layout: each source header and the field it is read as")
    a.add_argument("name")
    a.add_argument("--org", metavar="NAME", help="whose layout (default: every organisation's, else the only one)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=_show)
    a = s.add_parser("save", help="keep how a file's columns are read (with --map changes) as a named layout")
    a.add_argument("name")
    a.add_argument("--from", dest="source", required=True, metavar="FILE", help="a return with the layout's headers")
    a.add_argument("--org", metavar="NAME", help="the organisation it is for (default: every organisation; admin)")
    a.add_argument("--map", action="append", metavar="\"HEADER=FIELD\"",
                   help="read column HEADER as FIELD (a canonical field such as org_name, or '-' to leave it out); "
                        "repeat for several columns")
    a.add_argument("--sheet", help="the sheet holding the activities (default: found automatically)")
    user_arg(a)
    a.set_defaults(handler=_save)
    a = s.add_parser("delete", help="forget a layout (audited)")
    a.add_argument("name")
    a.add_argument("--org", metavar="NAME")
    user_arg(a)
    a.set_defaults(handler=_delete)
