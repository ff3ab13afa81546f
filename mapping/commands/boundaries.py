"""`boundaries fetch|import|info|list|use` and `match`: boundary sets and place-name matching from the shell."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from mapping.commands.tables import status_counts, write_csv
from mapping.errors import StocktakeError
from mapping.geo import boundaries, countries
from mapping.geo.files import BoundaryError

MATCH_COLUMNS = ["adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name", "method", "score", "status"]
EXTRA_COLUMNS = ["note", "suggestion"]


def _record_in_store(bset: boundaries.BoundarySet, activate: bool = True) -> None:
    """The database mirrors the active set when the store is available; the ACTIVE file stays the fallback."""
    from mapping.store import db, registry

    try:
        engine = db.connect()
        actor = db.Actor(user_id=None, email="system", role="admin", org_id=None, org_name=None)
        registry.register_boundary_set(engine, actor, bset.meta | {"version": bset.version}, activate=activate)
    except StocktakeError as exc:  # the files are imported; say the database was not told
        print(f"Note: the set is imported, but the database could not record it ({exc}).", file=sys.stderr)


def _active_from_store() -> str | None:
    try:
        from mapping.store import db, registry

        return registry.active_boundary_version(db.connect())
    except StocktakeError:  # no database yet: the ACTIVE file decides
        return None


def _print_set(bset: boundaries.BoundarySet) -> None:
    meta = bset.meta
    counts = meta.get("counts") or {"adm1": len(bset.adm1), "adm2": len(bset.adm2)}
    print(f"Version:     {bset.version}")
    print(f"Country:     {meta.get('country') or '?'}")
    print(f"Source:      {meta.get('source')}" + (f" <{meta['source_url']}>" if meta.get("source_url") else ""))
    print(f"Date:        {meta.get('date') or 'unknown'} (imported {meta.get('imported_at')})")
    print(f"Levels:      {', '.join(f'admin-{lvl}' for lvl in meta.get('levels', [1, 2]))}")
    print(f"Features:    {counts.get('adm1')} provinces, {counts.get('adm2')} districts")
    print(f"Licence:     {meta.get('licence')}")
    print(f"Attribution: {meta.get('attribution')}")
    if bset.folder:
        print(f"Folder:      {bset.folder}")


def _refused(exc: StocktakeError, prefix: str = "") -> None:
    """These commands exit 1, not through the CLI guard, but say the same: what is wrong and how to fix it."""
    advice = exc.advice(command_line=True)
    print(prefix + exc.message + (f" {advice}" if advice else ""), file=sys.stderr)


def _import(args: argparse.Namespace) -> int:
    path = Path(args.from_path)
    if not path.exists():
        print(f"{path} does not exist.", file=sys.stderr)
        return 2
    try:
        bset = boundaries.import_path(path, name_field=args.name_field, code_field=args.code_field,
                                      level=args.level, activate=not args.no_activate)
    except BoundaryError as exc:
        _refused(exc, "Import refused: ")
        return 1
    if not args.no_activate:
        _record_in_store(bset)
    print(f"Imported {bset.meta['counts']['adm2']} districts in {bset.meta['counts']['adm1']} provinces as "
          f"{bset.version}" + (" (active)" if not args.no_activate else ""))
    return 0


def _country(written: str | None) -> str | None:
    """--country as given (code or name), else the active set's country (a refresh), else STOCKTAKE_COUNTRY."""
    if written:
        return countries.resolve(written)
    try:
        active = boundaries.load_set(_active_from_store())
    except BoundaryError:
        active = None
    return boundaries.deployment_country(active)


def _fetch(args: argparse.Namespace) -> int:
    if args.from_path:
        return _import(args)
    try:
        levels = tuple(int(x) for x in str(args.level_list).split(",") if x.strip())
    except ValueError:
        print(f"--level must be numbers such as 1,2 (got {args.level_list}).", file=sys.stderr)
        return 1
    try:
        country = _country(args.country)
    except StocktakeError as exc:
        _refused(exc)
        return 1
    if country is None:
        print("Which country? Give --country ISO3 (e.g. --country KEN) or set STOCKTAKE_COUNTRY.", file=sys.stderr)
        return 1
    try:
        bset = boundaries.fetch(country, source=args.source, levels=levels, base_url=args.base_url,
                                timeout=args.timeout)
    except BoundaryError as exc:
        _refused(exc, "Download failed: ")
        return 1
    _record_in_store(bset)
    print(f"Downloaded {bset.meta['counts']['adm2']} districts in {bset.meta['counts']['adm1']} provinces from "
          f"{args.source} as {bset.version} (active)")
    return 0


def _info(args: argparse.Namespace) -> int:
    version = args.version or _active_from_store()
    try:
        bset = boundaries.load_set(version)
    except BoundaryError:
        try:
            bset = boundaries.load_set(None)
        except BoundaryError as exc:
            _refused(exc)
            return 1
    _print_set(bset)
    return 0


def _list(args: argparse.Namespace) -> int:
    sets = boundaries.list_sets()
    if not sets:
        print("No boundary set imported yet. Run: python -m mapping boundaries fetch --country ISO3 (e.g. KEN), or "
              "boundaries import --from PATH.", file=sys.stderr)
        return 1
    for meta in sets:
        counts = meta.get("counts") or {}
        print(f"{'*' if meta.get('active') else ' '} {meta['version']}  {meta.get('date') or 'undated'}  "
              f"{counts.get('adm1', '?')} provinces / {counts.get('adm2', '?')} districts  {meta.get('source')}")
    return 0


def _use(args: argparse.Namespace) -> int:
    try:
        boundaries.set_active(args.version)
        bset = boundaries.load_set(args.version)
    except BoundaryError as exc:
        _refused(exc)
        return 1
    _record_in_store(bset)
    print(f"Active boundary set: {bset.version}")
    return 0


def _neutralise(value: str) -> str:
    """Cells echoed from the input must not become formulas when the output is opened in Excel."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _match(args: argparse.Namespace) -> int:
    from mapping.geo.gazetteer import Gazetteer

    try:
        raw = Path(args.input).read_bytes()
        text = raw.decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
        header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        print(f"Could not read {args.input}: {exc}", file=sys.stderr)
        return 2
    lower = {h.strip().lower(): h for h in header}
    if "province" not in lower and "district" not in lower:
        print(f"{args.input} needs a 'province' and/or 'district' column (found: {', '.join(header) or 'none'}).",
              file=sys.stderr)
        return 1
    try:
        active = _active_from_store()
        try:
            bset = boundaries.load_set(active)
        except BoundaryError:
            bset = boundaries.load_set(None)  # the database names a set whose files are gone: use the newest
    except BoundaryError as exc:
        _refused(exc)
        return 1
    learned: list[dict] = []
    try:
        from mapping.store import db, registry

        learned = registry.learned_aliases(db.connect())
    except StocktakeError:  # no database: match without learned aliases
        learned = []
    gaz = Gazetteer.from_units(boundaries.units(bset), learned=learned, country=bset.meta.get("country"))
    pc, dc = lower.get("province"), lower.get("district")
    matches = gaz.match_many(((r.get(pc) if pc else None) or None, (r.get(dc) if dc else None) or None) for r in rows)
    out_cols = [h for h in header if h not in MATCH_COLUMNS + EXTRA_COLUMNS] + MATCH_COLUMNS + EXTRA_COLUMNS

    def row(r: dict, m) -> dict:
        out = {k: _neutralise(str(v)) if v is not None else "" for k, v in r.items() if k is not None}
        out.update({k: ("" if v is None else v) for k, v in m.as_row().items()})
        out["note"] = _neutralise(out["note"]) if out["note"] else ""
        return out

    write_csv(args.out, out_cols, (row(r, m) for r, m in zip(rows, matches, strict=True)))
    print(f"{len(matches)} rows against {bset.version}: {status_counts(m.status for m in matches)}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("boundaries", help="download, import and inspect admin boundary sets")
    bsub = p.add_subparsers(dest="boundaries_command", metavar="ACTION")

    f = bsub.add_parser("fetch", help="download admin-1 and admin-2 boundaries from HDX (COD-AB) or geoBoundaries")
    f.add_argument("--country", help="ISO3 code or name of the country (default: the active set's country, else "
                                     "STOCKTAKE_COUNTRY)")
    f.add_argument("--source", choices=("hdx", "geoboundaries"), default="hdx")
    f.add_argument("--level", dest="level_list", default="1,2", help="levels to fetch (default 1,2)")
    f.add_argument("--base-url", help="another server with the same API (mirrors, tests)")
    f.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the server (default 60)")
    f.add_argument("--from", dest="from_path", help="import this local file or folder instead of downloading")
    f.add_argument("--name-field", help="field holding the unit names (with --from)")
    f.add_argument("--code-field", help="field holding the p-codes (with --from)")
    f.add_argument("--no-activate", action="store_true", help=argparse.SUPPRESS)
    f.set_defaults(handler=_fetch, level=None)

    i = bsub.add_parser("import", help="import a local .shp, .zip, .geojson, .topojson, .gpkg or a folder of them")
    i.add_argument("--from", dest="from_path", required=True, help="file or folder to import")
    i.add_argument("--name-field", help="field holding the district names (detected when omitted)")
    i.add_argument("--code-field", help="field holding the district p-codes (detected when omitted)")
    i.add_argument("--level", type=int, choices=(1, 2), help="admin level of a single file whose level is unclear")
    i.add_argument("--no-activate", action="store_true", help="keep the current set active")
    i.set_defaults(handler=_import)

    n = bsub.add_parser("info", help="the active set: source, version, levels, feature counts, attribution")
    n.add_argument("--version", help="show this set instead of the active one")
    n.set_defaults(handler=_info)

    ls = bsub.add_parser("list", help="every imported set (* marks the active one)")
    ls.set_defaults(handler=_list)

    u = bsub.add_parser("use", help="make an imported set the active one")
    u.add_argument("version")
    u.set_defaults(handler=_use)


    m = sub.add_parser("match", help="match a CSV of province,district names to p-codes of the active set")
    m.add_argument("input", metavar="IN.csv", help="CSV with columns province,district (either may be empty)")
    m.add_argument("--out", help="write the result here instead of standard output")
    m.set_defaults(handler=_match)
