"""`report` (PDF snapshot) and `export` (dataset .xlsx/.csv with HXL, matrices .xlsx, coverage GeoJSON)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mapping.commands.analysis import add_filter_arguments

FORMATS = ("xlsx", "csv", "geojson")


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def filters_from_args(args: argparse.Namespace) -> Any:
    """The matrix command's Filters, minus the round: the store already picked the round's picture, including
    returns carried forward from earlier rounds, which a round_name filter on the rows would drop."""
    from mapping.commands.analysis import filters_from_args as matrix_filters

    return matrix_filters(args).replace(round_name=None)


def _load(args: argparse.Namespace) -> tuple[Any, Any, int]:
    from mapping import workflow
    from mapping.store import db

    try:
        f = filters_from_args(args)
    except ValueError as exc:
        print(f"Invalid filter: {exc}", file=sys.stderr)
        return None, None, 1
    data = workflow.snapshot_inputs(db.connect(), db.CLI_ADMIN, round_name=args.round)
    if not len(data.acts):
        print("No activities are stored yet (or none in this round): nothing to report.", file=sys.stderr)
        return None, None, 1
    return data, f, 0


def _write(path: str, payload: bytes) -> int:
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(payload)
    except OSError as exc:
        print(f"Cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _read_need(path: str | None) -> Any:
    """--need CSV when given, else the need indicator the secretariat keeps in the store (or None)."""
    if not path:
        from mapping.store import db, registry

        return registry.need(db.connect())
    from mapping.analysis import matrices as analysis

    return analysis.read_need(path)


def _people_tables(pairs: list[list[str]]) -> list | None:
    """Suppressed overlap tables for --people A B (consent of both owners required); None after a refusal."""
    from mapping import workflow
    from mapping.errors import StocktakeError
    from mapping.store import db

    tables = []
    for a, b in pairs:
        try:
            tables.append(workflow.people_overlap(db.connect(), db.CLI_ADMIN, a, b))
        except StocktakeError as exc:
            advice = exc.advice(command_line=True)
            print(f"--people {a} {b}: {exc}" + (f" {advice}" if advice else ""), file=sys.stderr)
            return None
    return tables


def _extras() -> list[list]:
    """The sections the deployment adds to every snapshot (its programmes), same as the Export page."""
    from mapping import workflow
    from mapping.store import db

    return workflow.snapshot_extras(db.connect())


def _report(args: argparse.Namespace) -> int:
    from mapping import config
    from mapping.outputs import report

    if not args.out.lower().endswith(".pdf"):
        print(f"--out must be a .pdf file, not {args.out}", file=sys.stderr)
        return 1
    try:
        need = _read_need(args.need) if args.need else None
    except (OSError, ValueError) as exc:
        print(f"Cannot read the need indicator {args.need}: {exc}", file=sys.stderr)
        return 2
    data, f, code = _load(args)
    if data is None:
        return code
    if not args.need:
        need = _read_need(None)
    sectors_known = set(data.acts["sector"].dropna().astype(str))
    maps = list(_split(args.sector_maps))
    unknown = [s for s in maps if s not in sectors_known]
    if unknown:
        print(f"--sector-maps: no activity in sector {', '.join(unknown)}; sectors present: "
              f"{', '.join(sorted(sectors_known))}", file=sys.stderr)
        return 1
    people = _people_tables(args.people or [])
    if people is None:
        return 1
    title = args.title or config.env("STOCKTAKE_TITLE", "Stocktake") or "Stocktake"
    pdf = report.build_snapshot(data.acts, data.units, data.bset, filters=f, title=title, sectors=[], need=need,
                                sector_maps=maps, district_annex=args.annex, people=people,
                                extra_sections=_extras(), **data.cover())
    if _write(args.out, pdf):
        return 1
    print(f"Wrote {args.out} ({len(pdf):,} bytes), data version {data.data_version}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from mapping.analysis import matrices as analysis
    from mapping.outputs import export

    fmt = args.format or Path(args.out).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        print(f"--format must be one of {', '.join(FORMATS)} (or an --out file ending in one)", file=sys.stderr)
        return 1
    data, f, code = _load(args)
    if data is None:
        return code
    acts, units = data.acts, data.units
    note = f"Filters: {f.describe()} · data version {data.data_version}"
    if fmt == "geojson":
        payload = export.coverage_geojson(data.bset, analysis.district_summary(acts, units, f),
                                          simplify_tolerance=args.simplify)
    elif args.matrices:
        named = {
            "Sector x district": analysis.matrix(acts, units, rows="district", cols="sector", measure="partners",
                                                 filters=f),
            "Partner x sector": analysis.matrix(acts, units, rows="partner", cols="sector", measure="activities",
                                                filters=f),
            "Partner x province": analysis.matrix(acts, units, rows="partner", cols="province", measure="activities",
                                                  filters=f),
        }
        if fmt == "csv":
            payload = export.matrix_csv(named["Sector x district"])
        else:
            payload = export.matrices_xlsx(named, notes=[note])
    else:
        rows = analysis.apply_filters(acts, f)
        if fmt == "csv":
            payload = export.dataset_csv(rows, include_contacts=args.contacts)
        else:
            payload = export.dataset_xlsx(rows, include_contacts=args.contacts, data_version=data.data_version,
                                          notes=[note])
    if _write(args.out, payload):
        return 1
    print(f"Wrote {args.out} ({len(payload):,} bytes)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the PDF snapshot (A4 landscape: cover, maps, matrices, gaps, overlaps)")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--title", metavar="T", help="cover title (default: STOCKTAKE_TITLE or 'Stocktake')")
    p.add_argument("--sector-maps", metavar="LIST", help="also one map per sector, e.g. Health,Nutrition")
    p.add_argument("--annex", action="store_true", help="add the district annex (every district's partners)")
    p.add_argument("--need", metavar="CSV", help="need indicator keyed by adm2_pcode, to rank gaps "
                   "(default: the stored one, see `need show`)")
    p.add_argument("--people", nargs=2, action="append", metavar=("A", "B"),
                   help="add 'People in two programmes' for programmes A and B (both owners must consent; repeatable)")
    add_filter_arguments(p)
    p.set_defaults(handler=_report)
    e = sub.add_parser("export", help="export the dataset (.xlsx/.csv with HXL row), matrices, or coverage GeoJSON")
    e.add_argument("--format", choices=FORMATS, help="default: from the --out file's extension")
    e.add_argument("--out", required=True, metavar="FILE")
    e.add_argument("--contacts", action="store_true", help="include focal points' contact details (personal data)")
    e.add_argument("--matrices", action="store_true", help="export the matrices instead of the activity rows")
    e.add_argument("--simplify", type=float, metavar="DEG", help="GeoJSON: simplify shared edges by DEG degrees")
    add_filter_arguments(e)
    e.set_defaults(handler=_export)
