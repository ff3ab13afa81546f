"""Writing a command's table: CSV to a file or to standard output, the twin of the place and organisation
`match` commands (one output row per input row, input columns kept, formulas neutralised by the caller)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterable


def write_csv(out: str | None, columns: list[str], rows: Iterable[dict]) -> None:
    """Write `rows` under `columns` to the file `out`, or to standard output when it is None."""
    sink = open(out, "w", newline="", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
    try:
        writer = csv.DictWriter(sink, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    finally:
        if out:
            sink.close()


def status_counts(statuses: Iterable[str]) -> str:
    """"3 matched, 1 ambiguous, 1 unmatched": the summary both match commands print."""
    seen = list(statuses)
    return ", ".join(f"{sum(1 for s in seen if s == k)} {k}" for k in ("matched", "ambiguous", "unmatched"))


def out_json(data) -> None:
    """--json output: indented, dates as text, names in any script as written."""
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def print_table(rows: list[dict], cols: list[str]) -> None:
    """Rows as aligned columns for a terminal; "(none)" when there are none."""
    if not rows:
        print("(none)")
        return
    def cell(v) -> str:
        if v is None:
            return ""
        return v.isoformat(sep=" ", timespec="seconds") if isinstance(v, dt.datetime) else str(v)

    widths = {c: max(len(c), *(len(cell(r.get(c))) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols).rstrip())
    for r in rows:
        print("  ".join(cell(r.get(c)).ljust(widths[c]) for c in cols).rstrip())
