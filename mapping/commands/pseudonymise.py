"""`pseudonymise key|hash|page`: run on a programme's own machine, before a beneficiary list leaves it.

No database is needed: `hash` matches districts with the active (or shared, or downloaded) boundary set and
writes the keyed hashes; the key file never goes to Stocktake.
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


def print_table():
    from mapping.geo import boundaries
    from mapping.returns import pseudonymise

    bset = boundaries.ensure_boundaries()
    return pseudonymise.district_table(boundaries.units(bset)), bset.version


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
        table, version = print_table()
        result = pseudonymise.hash_list(data, src.name, key=key, id_column=args.id_column,
                                        district_column=args.district_column, table=table)
    except StocktakeError as exc:
        return _fail(exc)
    out.write_bytes(result.output)
    print(f"{src.name}: {result.rows} rows read, {result.hashed} people hashed in {result.districts} districts "
          f"(boundary set {version}), {len(result.problems)} rows left out. Written: {out}")
    for problem in result.problems[:SHOWN_PROBLEMS]:
        print(f"  {problem}", file=sys.stderr)
    if len(result.problems) > SHOWN_PROBLEMS:
        print(f"  … and {len(result.problems) - SHOWN_PROBLEMS} more rows left out.", file=sys.stderr)
    return 0 if result.hashed else 1


def _page(args: argparse.Namespace) -> int:
    from mapping.returns import pseudonymise

    try:
        table, version = print_table()
    except StocktakeError as exc:
        return _fail(exc)
    Path(args.out).write_text(pseudonymise.page_html(table, boundary_version=version), encoding="utf-8")
    print(f"Offline page written to {args.out} (districts of boundary set {version}). Open it in a browser; "
          "it makes the same hashed file as `pseudonymise hash` and sends nothing over the network.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pseudonymise", help="on a programme's own machine: make a key, hash a beneficiary list")
    s = p.add_subparsers(dest="pseudonymise_command", metavar="ACTION", required=True)
    a = s.add_parser("key", help="write a new random key to share only with the other programme")
    a.add_argument("--out", required=True, metavar="KEY")
    a.set_defaults(handler=_key)
    a = s.add_parser("hash", help="replace each CNIC by HMAC-SHA256(key, CNIC) next to its district p-code")
    a.add_argument("list", metavar="LIST.csv")
    a.add_argument("--id-column", required=True, metavar="COL", help="header of the CNIC column")
    a.add_argument("--district-column", required=True, metavar="COL", help="header of the district column")
    a.add_argument("--key-file", required=True, metavar="KEY", help="the key from `pseudonymise key`")
    a.add_argument("--out", required=True, metavar="HASHED.csv")
    a.set_defaults(handler=_hash)
    a = s.add_parser("page", help="write the offline HTML page (same rules, this boundary set's districts)")
    a.add_argument("--out", required=True, metavar="FILE.html")
    a.set_defaults(handler=_page)
