"""`pseudonymise key|hash|page`: run on a programme's own machine, before a beneficiary list leaves it.

No database is needed: `hash` matches districts with the active (or shared, or downloaded) boundary set, checks
the identity numbers against the format of the set's country (or --country, or STOCKTAKE_COUNTRY) and writes the
keyed hashes; the key file never goes to Stocktake.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mapping.errors import StocktakeError

SHOWN_PROBLEMS = 50


def _fail(exc: StocktakeError) -> int:
    print(str(exc), file=sys.stderr)
    if exc.advice(command_line=True):
        print(exc.advice(command_line=True), file=sys.stderr)
    return 2


def _rules(country: str | None):
    """The district table, the boundary set's version and the identity-number format of the country: --country,
    else the boundary set's, else STOCKTAKE_COUNTRY."""
    from mapping.geo import boundaries, countries
    from mapping.returns import identity_numbers, pseudonymise

    bset = boundaries.ensure_boundaries()
    code = countries.resolve(country) if country else boundaries.deployment_country(bset)
    return (pseudonymise.district_table(boundaries.units(bset)), bset.version,
            identity_numbers.id_format(code))


def _key(args: argparse.Namespace) -> int:
    from mapping.returns import pseudonymise

    try:
        pseudonymise.write_key(Path(args.out))
    except StocktakeError as exc:
        return _fail(exc)
    print(f"New key written to {args.out} (readable only by you). Give a copy to the other programme through a "
          "channel you trust; never upload it to Stocktake. Both programmes must hash with this same key.")
    return 0


def _hash(args: argparse.Namespace) -> int:
    from mapping.returns import pseudonymise

    src, out, key_path = Path(args.list), Path(args.out), Path(args.key_file)
    if out.resolve() == src.resolve():
        print("--out must not be the list itself: the original list stays with you.", file=sys.stderr)
        return 2
    try:
        data = src.read_bytes()
        key_text = key_path.read_bytes()
    except OSError as exc:
        print(f"Cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        key = pseudonymise.read_key(key_text, source=str(key_path))
        table, version, id_format = _rules(args.country)
        result = pseudonymise.hash_list(data, src.name, key=key, id_column=args.id_column,
                                        district_column=args.district_column, table=table, id_format=id_format)
    except StocktakeError as exc:
        return _fail(exc)
    out.write_bytes(result.output)
    print(f"{src.name}: {result.rows} rows read, {result.hashed} people hashed in {result.districts} districts "
          f"(boundary set {version}), {len(result.problems)} rows left out. Written: {out}")
    if id_format.unchecked_note():
        print(f"Warning: {id_format.unchecked_note()}", file=sys.stderr)
    for problem in result.problems[:SHOWN_PROBLEMS]:
        print(f"  {problem}", file=sys.stderr)
    if len(result.problems) > SHOWN_PROBLEMS:
        print(f"  … and {len(result.problems) - SHOWN_PROBLEMS} more rows left out.", file=sys.stderr)
    return 0 if result.hashed else 1


def _page(args: argparse.Namespace) -> int:
    from mapping.returns import pseudonymise

    try:
        table, version, id_format = _rules(args.country)
    except StocktakeError as exc:
        return _fail(exc)
    Path(args.out).write_text(pseudonymise.page_html(table, id_format=id_format, boundary_version=version),
                              encoding="utf-8")
    print(f"Offline page written to {args.out} (districts of boundary set {version}). Open it in a browser; "
          "it makes the same hashed file as `pseudonymise hash` and sends nothing over the network.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pseudonymise", help="on a programme's own machine: make a key, hash a beneficiary list")
    s = p.add_subparsers(dest="pseudonymise_command", metavar="ACTION", required=True)
    a = s.add_parser("key", help="write a new random key to share only with the other programme")
    a.add_argument("--out", required=True, metavar="KEY")
    a.set_defaults(handler=_key)
    country = {"metavar": "ISO3", "help": "the country whose identity-number format applies (code or name; default: "
                                          "the boundary set's, else STOCKTAKE_COUNTRY)"}
    a = s.add_parser("hash", help="replace each identity number by HMAC-SHA256(key, number) next to its district "
                                  "p-code")
    a.add_argument("list", metavar="LIST.csv")
    a.add_argument("--id-column", required=True, metavar="COL", help="header of the identity-number column")
    a.add_argument("--district-column", required=True, metavar="COL", help="header of the district column")
    a.add_argument("--key-file", required=True, metavar="KEY", help="the key from `pseudonymise key`")
    a.add_argument("--out", required=True, metavar="HASHED.csv")
    a.add_argument("--country", **country)
    a.set_defaults(handler=_hash)
    a = s.add_parser("page", help="write the offline HTML page (same rules, this boundary set's districts)")
    a.add_argument("--out", required=True, metavar="FILE.html")
    a.add_argument("--country", **country)
    a.set_defaults(handler=_page)
