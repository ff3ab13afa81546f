"""`matrix`, `gaps`, `overlaps`, `summary`, `profile`: the analysis from the command line.

Same numbers as the app and the PDF: every command reads the consolidated picture from the store, the
active boundary set, applies one `Filters` and calls `mapping.analysis`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from mapping.analysis import matrices as an
from mapping.analysis import profiles
from mapping.analysis.headlines import headlines


def add_filter_arguments(p: argparse.ArgumentParser) -> None:
    """The filter flags (repeat a flag for several values), shared by analysis, report and export commands."""
    g = p.add_argument_group("filters (repeat a flag to choose several values)")
    g.add_argument("--round", help="reporting round (default: the current picture)")
    for flag, dest, what in (("--province", "provinces", "province name or p-code"),
                             ("--district", "districts", "district name or p-code"),
                             ("--sector", "sectors", "sector"), ("--subsector", "subsectors", "sub-sector"),
                             ("--org", "orgs", "organisation"), ("--org-type", "org_types", "organisation type"),
                             ("--donor", "donors", "donor"), ("--status", "statuses", "status"),
                             ("--modality", "modalities", "modality")):
        g.add_argument(flag, dest=dest, action="append", default=[], metavar="VALUE", help=what)
    g.add_argument("--from", dest="period_start", metavar="YYYY-MM-DD", help="period start")
    g.add_argument("--to", dest="period_end", metavar="YYYY-MM-DD", help="period end")
    g.add_argument("--role", choices=("reporting", "implementing"), default="reporting",
                   help="count the reporting organisation (default) or the implementing partner")


def filters_from_args(args: argparse.Namespace) -> an.Filters:
    """The command-line filter flags as the one Filters object the app uses."""
    return an.Filters(
        period_start=args.period_start, period_end=args.period_end, round_name=args.round,
        provinces=tuple(args.provinces), districts=tuple(args.districts), sectors=tuple(args.sectors),
        subsectors=tuple(args.subsectors), orgs=tuple(args.orgs), org_types=tuple(args.org_types),
        donors=tuple(args.donors), statuses=tuple(args.statuses), modalities=tuple(args.modalities),
        partner_role=args.role,
    )


def _load(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The consolidated activities (admin view, contacts excluded from outputs) and the boundary units."""
    from mapping.geo import boundaries
    from mapping.store import db, picture

    engine = db.connect()
    actor = db.Actor(None, "cli", "admin", None, None)
    acts = picture.current_activities(engine, actor, round_name=getattr(args, "round", None))
    units = boundaries.units(boundaries.load_set())
    return acts, units


def _sectors() -> list[str]:
    from mapping.returns import schema

    return schema.load_vocabularies().sector_names


def _safe(value: Any) -> Any:
    """Neutralise a text cell a spreadsheet would run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _number(v: Any) -> Any:
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return int(v) if v.is_integer() else round(v, 2)
    return v


def _row_label(label: Any) -> str:
    if isinstance(label, tuple):
        province, district = label
        if district == an.PROVINCE_WIDE:
            return f"{an.PROVINCE_WIDE}: {province}"
        return str(district)
    return str(label)


def matrix_csv(df: pd.DataFrame) -> bytes:
    """CSV: the row label, one column per column label, Total last; the Total row last; districts by name."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([_safe(str(df.attrs.get("rows", df.index.names[-1] or "")).replace("_", " ").capitalize())]
               + [_safe(str(c)) for c in df.columns])
    for label, row in zip(df.index, df.itertuples(index=False)):
        w.writerow([_safe(_row_label(label))] + [_number(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _matrix_xlsx(df: pd.DataFrame, title: str, notes: list[str]) -> bytes:
    from mapping.outputs import export

    return export.matrix_xlsx(df, title=title, notes=notes)


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False))


def _write(path: str, data: bytes) -> None:
    Path(path).write_bytes(data)


def _run(args: argparse.Namespace, body) -> int:
    try:
        f = filters_from_args(args)
    except ValueError as exc:
        print(f"Invalid filter: {exc}", file=sys.stderr)
        return 1
    acts, units = _load(args)
    if units is None or not len(units):
        print("No boundary set is loaded; import one with `python -m mapping boundaries import`.", file=sys.stderr)
        return 1
    acts = an.prepare(acts, units)
    try:
        return body(args, f, acts, units)
    except (ValueError, KeyError) as exc:
        print(str(exc).strip("'\""), file=sys.stderr)
        return 1


def _need(args: argparse.Namespace) -> Any:
    """--need CSV when given, else the need indicator the secretariat keeps in the store (or None)."""
    if getattr(args, "need", None):
        return an.read_need(Path(args.need))
    from mapping.store import db, registry

    return registry.need(db.connect())


# ------------------------------------------------------------------------------------------------ handlers
def _matrix(args: argparse.Namespace) -> int:
    def body(args, f, acts, units) -> int:
        df = an.matrix(acts, units, rows=args.rows, cols=args.cols, measure=args.measure, filters=f,
                       include_wide=args.include_wide, beneficiaries=args.beneficiaries, sectors=_sectors())
        notes = [f"Filters: {f.describe()}", f"Counting rule: {df.attrs['rule']}", df.attrs["wide"]]
        if not args.out:
            with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
                print(df.to_string())
            for note in notes:
                print(note)
            return 0
        title = f"{args.measure.capitalize()}: {args.rows} × {args.cols}"
        suffix = Path(args.out).suffix.lower()
        if suffix == ".csv":
            _write(args.out, matrix_csv(df))
        elif suffix == ".xlsx":
            _write(args.out, _matrix_xlsx(df, title, notes))
        else:
            print(f"--out must end in .csv or .xlsx, not {suffix or 'nothing'}", file=sys.stderr)
            return 1
        print(f"Wrote {args.out}: {len(df) - 1} rows × {len(df.columns) - 1} columns, plus totals.")
        return 0

    return _run(args, body)


def _gaps(args: argparse.Namespace) -> int:
    def body(args, f, acts, units) -> int:
        need = _need(args)
        func = an.thin_coverage if args.thin else an.gaps
        df = func(acts, units, _sectors(), filters=f, need=need)
        if args.json:
            print(json.dumps({"filters": f.describe(), "rule": df.attrs.get("rule"), "cells": _records(df)},
                             ensure_ascii=False, indent=1))
            return 0
        one, many = (("thin-coverage cell", "thin-coverage cells") if args.thin else ("gap", "gaps"))
        print(f"{len(df)} {one if len(df) == 1 else many} ({'one partner' if args.thin else 'no partner'}) — "
              f"{f.describe()}")
        for r in df.head(args.limit).itertuples():
            extra = f" — {r.partner}" if args.thin else ""
            need_txt = f" (need {r.need:,.6g}, rank {r.need_rank})" if "need" in df.columns and pd.notna(r.need) else ""
            print(f"  {r.province} / {r.district}: {r.sector}{extra}{need_txt}")
        if len(df) > args.limit:
            print(f"  … and {len(df) - args.limit} more (use --json for all)")
        return 0

    return _run(args, body)


def _overlaps(args: argparse.Namespace) -> int:
    def body(args, f, acts, units) -> int:
        if args.programmes:
            df = an.programme_overlaps(acts, filters=f, min_districts=args.min_districts, units=units,
                                       pairs=args.pairs)
            if args.json:
                print(json.dumps({"filters": f.describe(), "rule": an.COUNTING_RULES[10], "pairs": _records(df)},
                                 ensure_ascii=False, indent=1))
                return 0
            print(f"{len(df)} programme pair{'' if len(df) == 1 else 's'} {df.attrs['pairs']} in common districts — "
                  f"{f.describe()}")
            for r in df.head(args.limit).itertuples():
                print(f"  {r.project_a} ({r.orgs_a}) and {r.project_b} ({r.orgs_b}): same {r.shared_on} "
                      f"'{r.shared_value}' in {r.districts} district{'' if r.districts == 1 else 's'}: "
                      f"{r.district_names}")
            return 0
        df = an.overlaps(acts, filters=f, min_partners=args.min_partners, by=args.by, units=units)
        if args.json:
            detail = an.overlap_activities(acts, filters=f, min_partners=args.min_partners, by=args.by, units=units)
            print(json.dumps({"filters": f.describe(), "rule": df.attrs["rule"], "cells": _records(df),
                              "activities": _records(detail)}, ensure_ascii=False, indent=1))
            return 0
        print(f"{len(df)} overlap{'' if len(df) == 1 else 's'} ({args.min_partners}+ partners at once) — "
              f"{f.describe()}")
        for r in df.head(args.limit).itertuples():
            print(f"  {r.province} / {r.district}: {getattr(r, args.by)} — {r.partners} partners: {r.partner_names}")
        print(f"Rule: {df.attrs['rule']}")
        return 0

    return _run(args, body)


def _summary(args: argparse.Namespace) -> int:
    def body(args, f, acts, units) -> int:
        lines = headlines(acts, units, _sectors(), filters=f, need=_need(args), min_overlap=args.min_partners)
        if args.json:
            print(json.dumps({"filters": f.describe(), "headlines": lines, "rules": an.COUNTING_RULES},
                             ensure_ascii=False, indent=1))
        else:
            print(f"{f.describe()}:")
            for line in lines:
                print(f"  {line}")
        return 0

    return _run(args, body)


def _profile(args: argparse.Namespace) -> int:
    def body(args, f, acts, units) -> int:
        if args.kind == "district":
            code = args.name
            match = units[(units["adm2_pcode"].astype(str).str.lower() == code.lower())
                          | (units["adm2_name"].astype(str).str.lower() == code.lower())]
            if not len(match):
                print(f"No district {code!r} in the boundary set.", file=sys.stderr)
                return 1
            prof = profiles.district_profile(acts, units, str(match["adm2_pcode"].iloc[0]), filters=f, sectors=_sectors())
        else:
            prof = profiles.partner_profile(acts, args.name, units=units, filters=f)
            if not prof["activities"]:
                print(f"No activities of {args.name!r} match these filters.", file=sys.stderr)
                return 1
        if args.json:
            print(json.dumps(prof, ensure_ascii=False, indent=1, default=str))
            return 0
        if args.kind == "district":
            print(f"{prof['adm2_name']} ({prof['adm1_name']}): {prof['partners']} partners, "
                  f"{prof['activities']} activities")
            for s in prof["sectors"]:
                print(f"  {s['sector']}: {s['partners']} partners, {s['activities']} activities")
            for p in prof["by_partner"]:
                since = p["since"].date().isoformat() if p["since"] is not None else "date not given"
                print(f"  {p['partner']}: {p['sectors']} (since {since})")
            if prof["gap_sectors"]:
                print(f"  No partner in: {', '.join(prof['gap_sectors'])}")
            print(f"  Donors: {', '.join(prof['donors']) or '–'}; province-wide or national activities reaching it: "
                  f"{len(prof['wide_activities'])}")
        else:
            print(f"{prof['org']}: {prof['activities']} activities in {len(prof['districts'])} districts")
            for s in prof["sectors"]:
                print(f"  {s['sector']}: {s['activities']} activities in {s['districts']} districts")
        return 0

    return _run(args, body)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("matrix", help="a partner/sector/district/province matrix, to the screen, .csv or .xlsx")
    p.add_argument("--rows", required=True, choices=an.AXES)
    p.add_argument("--cols", required=True, choices=an.AXES)
    p.add_argument("--measure", default="partners", choices=an.MEASURES)
    p.add_argument("--include-wide", action="store_true",
                   help="count province-wide and national activities in every district they cover")
    p.add_argument("--beneficiaries", choices=("max", "sum"), default="max",
                   help="per district: highest single partner (default, no double counting) or the sum")
    p.add_argument("--out", help="FILE.csv or FILE.xlsx (default: print)")
    add_filter_arguments(p)
    p.set_defaults(handler=_matrix)

    p = sub.add_parser("gaps", help="district × sector cells with no partner (or --thin: one partner)")
    p.add_argument("--need", help="CSV of district p-code and one need figure; ranks gaps by need "
                   "(default: the stored need indicator, see `need show`)")
    p.add_argument("--thin", action="store_true", help="cells with exactly one partner instead")
    p.add_argument("--limit", type=int, default=40)
    p.add_argument("--json", action="store_true")
    add_filter_arguments(p)
    p.set_defaults(handler=_gaps)

    p = sub.add_parser("overlaps", help="districts where several partners run the same sub-sector at once")
    p.add_argument("--min-partners", type=int, default=2)
    p.add_argument("--by", default="subsector", choices=("subsector", "sector", "beneficiary_group"))
    p.add_argument("--programmes", action="store_true", help="pairs of programmes in common districts instead")
    p.add_argument("--min-districts", type=int, default=1)
    p.add_argument("--pairs", choices=tuple(an.PROGRAMME_PAIRS), default="between",
                   help="with --programmes: programmes of different organisations (default), of one, or all")
    p.add_argument("--limit", type=int, default=40)
    p.add_argument("--json", action="store_true")
    add_filter_arguments(p)
    p.set_defaults(handler=_overlaps)

    p = sub.add_parser("summary", help="headline sentences for the filtered picture")
    p.add_argument("--need", help="CSV of district p-code and one need figure (default: the stored one)")
    p.add_argument("--min-partners", type=int, default=3, help="partners for the overlap headline (default 3)")
    p.add_argument("--json", action="store_true")
    add_filter_arguments(p)
    p.set_defaults(handler=_summary)

    p = sub.add_parser("profile", help="a district's or a partner's profile")
    p.add_argument("kind", choices=("district", "partner"))
    p.add_argument("name", help="district p-code or name; organisation name or acronym")
    p.add_argument("--json", action="store_true")
    add_filter_arguments(p)
    p.set_defaults(handler=_profile)
