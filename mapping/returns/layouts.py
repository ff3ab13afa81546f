"""Column layouts confirmed once: which canonical field each column of a partner's file holds.

A partner sends the same sheet every month. The first time, a person checks how Stocktake read its columns
(an HXL tag, a known header, a close spelling), corrects what is wrong ("Acronyme" is not the organisation) and
saves the result as a named layout. The next file whose headers are the same (its *header signature*) is read
with that layout, and nobody is asked again. Pure: the store keeps layouts, this module matches and applies them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mapping.errors import StocktakeError
from mapping.returns.normalise import fold, text_of
from mapping.returns.readers import Column, Layout
from mapping.returns.schema import FIELD_BY_NAME, FIELD_NAMES

__all__ = ["LayoutError", "SavedLayout", "apply", "check_map", "column_key", "describe", "header_signature",
           "match", "NOT_READ", "samples", "settle", "why"]

NOT_READ = None  # a column the layout leaves out: kept with its row as an extra, never read as a field
NO_HEADER = "(no header, column "  # readers name a column with values but no header this way


class LayoutError(StocktakeError):
    """A layout that cannot be applied: a field Stocktake does not have, or a name nobody saved."""


@dataclass(frozen=True)
class SavedLayout:
    """A confirmed mapping of source headers to canonical fields (None: the column is not read)."""

    name: str
    mapping: Mapping[str, str | None]
    signature: str = ""
    org: str | None = None  # None: for every organisation of the deployment
    saved_at: dt.datetime | None = None
    saved_by: str | None = None
    headers: tuple[str, ...] = field(default_factory=tuple)

    def info(self, how: str) -> dict:
        """What the report says about the layout it used; `how` is "matched" (same headers) or "chosen"."""
        return {"name": self.name, "org": self.org, "saved_at": self.saved_at, "saved_by": self.saved_by,
                "how": how}


def _counted(header: str) -> bool:
    return bool(fold(header)) and not header.startswith(NO_HEADER)


def header_signature(headers: Iterable[str]) -> str:
    """The same headers give the same signature whatever their case, spacing, accents or order; a column
    without a header is left out (whether it holds values changes from month to month)."""
    keys = sorted({fold(h) for h in headers if h and _counted(h)})
    return hashlib.sha256("\x1f".join(keys).encode("utf-8")).hexdigest()[:16]


def column_key(columns: Sequence[Column], col: Column) -> str:
    """The name a layout gives a column: its header, or header and letter when two columns share a header."""
    same = sum(1 for c in columns if fold(c.header) == fold(col.header))
    return col.label if same > 1 else col.header


def check_map(column_map: Mapping[str, Any]) -> dict[str, str | None]:
    """The map with every field checked: a `LayoutError` names a field Stocktake does not have and lists the
    valid ones; an empty value (or "-", "none") means the column is not read."""
    out: dict[str, str | None] = {}
    seen: dict[str, str] = {}
    for header, target in column_map.items():
        name = " ".join(str(header or "").split())
        if not name:
            raise LayoutError("A layout names a column without a header.",
                              hint="Give each column as it is written in the file's header row.")
        value = None if target is None else str(target).strip()
        if value is None or value.lower() in ("", "-", "none", "ignore", "not read"):
            out[name] = NOT_READ
            continue
        if value not in FIELD_BY_NAME:
            by_header = {fold(f.header): f.name for f in FIELD_BY_NAME.values()}
            value = by_header.get(fold(value), value)
        if value not in FIELD_BY_NAME:
            raise LayoutError(f"{value!r} (for column {name!r}) is not a field Stocktake reads. Valid fields: "
                              f"{', '.join(FIELD_NAMES)}.", hint="Use a field name, or '-' to leave the column out.")
        if value in seen:
            raise LayoutError(f"Columns {seen[value]!r} and {name!r} are both mapped to {value}; a field is read "
                              "from one column.", hint="Map one of them to another field, or to '-'.")
        seen[value] = name
        out[name] = value
    return out


def apply(layout: Layout, column_map: Mapping[str, str | None]) -> list[str]:
    """Read `layout`'s columns as `column_map` says (method "layout"); a field the map gives one column is taken
    from any other column that had it. Returns the map's headers this file does not have."""
    wanted = check_map(column_map)
    by_key = {fold(k): v for k, v in wanted.items()}
    hit: set[str] = set()
    chosen: dict[int, str | None] = {}
    for col in layout.columns:
        for key in (fold(column_key(layout.columns, col)), fold(col.header)):
            if key in by_key:
                chosen[col.index] = by_key[key]
                hit.add(key)
                break
    given = {f for f in chosen.values() if f}
    for col in layout.columns:
        if col.index in chosen:
            col.field, col.method, col.part = chosen[col.index], "layout", None
            col.quality = 1000 if col.field else 0
        elif col.field in given:
            col.field, col.method = None, None
    return [k for k in wanted if fold(k) not in hit]


def match(headers: Iterable[str], saved: Sequence[SavedLayout]) -> SavedLayout | None:
    """The first saved layout (the caller orders them: the organisation's own, newest first, then the
    deployment's) whose signature is this file's."""
    sig = header_signature(headers)
    return next((s for s in saved if s.signature == sig), None)


WHY = {"hxl": "HXL tag {hxl}", "alias": "the header is a known name of this field",
       "words": "the header's words", "fuzzy": "close spelling of a known header", "layout": "the saved layout",
       "sum": "sum of the breakdown columns"}


def why(col: Mapping[str, Any]) -> str:
    """In words, why a column was read as its field (for the page and `validate`)."""
    if not col.get("field"):
        return "not recognised" if not col.get("hxl") else f"HXL tag {col['hxl']} is not one Stocktake reads"
    return WHY.get(col.get("method") or "", "").format(hxl=col.get("hxl") or "") or "recognised"


def samples(rows: Sequence[Sequence[Any]], index: int, limit: int = 3) -> list[str]:
    """A few distinct values of one column, so a person can tell what an unrecognised column holds."""
    out: list[str] = []
    for cells in rows:
        value = cells[index] if index < len(cells) else None
        if value is None or value == "":
            continue
        text = text_of(value)[:60]
        if text and text not in out:
            out.append(text)
            if len(out) >= limit:
                break
    return out


def describe(info: Mapping[str, Any]) -> str:
    """What the page and the commands say about the layout a file was read with (`IngestResult.layout`):
    'Same layout as your return of 12 Oct 2026 (layout "Monthly 3W") ...'."""
    when = info.get("saved_at")
    day = f"{when:%d %b %Y}" if isinstance(when, (dt.date, dt.datetime)) else (str(when)[:10] if when else "")
    if info.get("how") == "matched":
        return (f"Same layout as your return{f' of {day}' if day else ''} (layout \"{info.get('name')}\"): columns "
                "read as saved, nothing to confirm.")
    if info.get("how") == "chosen":
        return f"Columns read with the layout \"{info.get('name')}\"{f' (saved {day})' if day else ''}."
    return "Columns read as given."


def settle(layout: Layout, column_map: Mapping[str, str | None] | SavedLayout | None,
           saved: Sequence[SavedLayout] = ()) -> tuple[dict | None, list[str]]:
    """Apply the layout asked for (`column_map`: a plain map or a saved layout), else the first saved layout
    whose headers are this file's. Returns what the report says about it (None: the proposal stands) and the
    asked-for map's headers the file does not have."""
    if column_map is None:
        found = match((c.header for c in layout.columns), saved) if saved else None
        if found is None:
            return None, []
        return found.info("matched"), apply(layout, found.mapping)
    if isinstance(column_map, SavedLayout):
        return column_map.info("chosen"), apply(layout, column_map.mapping)
    return {"name": None, "org": None, "saved_at": None, "saved_by": None, "how": "given"}, apply(layout, column_map)
