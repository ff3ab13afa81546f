"""Editing the controlled lists (sectors, organisation types, statuses, modalities, target groups): admins only,
audited.

The lists themselves are CSV files read by `mapping.returns.schema`; this module is the one place that changes
them, so the Admin page and `python -m mapping vocab …` apply the same checks and leave the same audit entry
(who, when, which list, what was added or removed). Edits go to the deployment's copy in STOCKTAKE_DATA_DIR.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from mapping import config
from mapping.returns import schema
from mapping.store.db import Actor, StoreError, audit, require_admin, transaction

__all__ = ["FIELDS", "VocabularyChange", "add_value", "read_list", "remove_value", "save_list"]

FIELDS: tuple[str, ...] = tuple(schema.VOCABULARY_FILES)


@dataclass(frozen=True)
class VocabularyChange:
    """What a save did, for the message shown to the admin and the audit entry."""

    field: str
    file: str
    rows: int
    added: tuple[str, ...]
    removed: tuple[str, ...]


def _file(field: str) -> tuple[str, str]:
    if field not in schema.VOCABULARY_FILES:
        raise StoreError(f"There is no list called {field!r}.", hint=f"Choose one of {', '.join(FIELDS)}.")
    return schema.VOCABULARY_FILES[field]


def _key(row: dict[str, str], columns: list[str]) -> str:
    """A row as people name it: the value, and for sectors the sub-sector too ("Health / Nutrition")."""
    parts = [row.get(columns[0], "")] + ([row.get("subsector", "")] if "subsector" in columns else [])
    return " / ".join(p for p in parts if p)


def read_list(field: str) -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows) of one list as it is now."""
    name, _ = _file(field)
    with schema.vocabulary_path(name).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
        return list(reader.fieldnames or []), rows


def save_list(engine: Engine, actor: Actor, field: str, rows: list[dict[str, str]]) -> VocabularyChange:
    """Replace a whole list (the Admin page's table): blank rows dropped, duplicates and an empty list refused."""
    require_admin(actor, "change the controlled lists")
    name, value_col = _file(field)
    columns, before = read_list(field)
    clean = [{c: str(r.get(c) or "").strip() for c in columns} for r in rows]
    clean = [r for r in clean if r[value_col]]
    if not clean:
        raise StoreError("The list would be empty.", hint="Keep at least one row.")
    keys = [tuple(r.values()) for r in clean]
    dupes = sorted({_key(r, columns) for r, k in zip(clean, keys, strict=True) if keys.count(k) > 1})
    if dupes:
        raise StoreError(f"Duplicate rows: {', '.join(dupes[:5])}.", hint="Remove them and save again.")
    old = {_key(r, columns) for r in before}
    new = {_key(r, columns) for r in clean}
    change = VocabularyChange(field, name, len(clean), tuple(sorted(new - old)), tuple(sorted(old - new)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(clean)
    target = config.data_dir() / name
    with transaction(engine) as conn:
        audit(conn, actor, "vocabulary.save", "vocabulary", field,
              {"file": name, "rows": len(clean), "added": list(change.added), "removed": list(change.removed)})
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(out.getvalue(), encoding="utf-8")  # inside the transaction: no entry without the file
    schema.load_vocabularies.cache_clear()
    return change


def add_value(engine: Engine, actor: Actor, field: str, value: str, *, subsector: str = "",
              code: str = "") -> VocabularyChange:
    """Add one value (for sectors, one sector/sub-sector row); an existing one is refused, not repeated."""
    columns, rows = read_list(field)
    _, value_col = _file(field)
    row = {c: "" for c in columns} | {value_col: value.strip()}
    if "subsector" in columns:
        row |= {"subsector": subsector.strip(), "code": code.strip()}
    elif subsector or code:
        raise StoreError(f"Only sectors have sub-sectors and codes; {field} values do not.")
    if not row[value_col]:
        raise StoreError("The value is empty.", hint="Give the value to add.")
    if any(_key(r, columns).lower() == _key(row, columns).lower() for r in rows):
        raise StoreError(f"{_key(row, columns)!r} is already on the {field} list.")
    return save_list(engine, actor, field, [*rows, row])


def remove_value(engine: Engine, actor: Actor, field: str, value: str, *, subsector: str = "") -> VocabularyChange:
    """Remove a value (for sectors without --subsector: the sector with all its sub-sectors)."""
    columns, rows = read_list(field)
    _, value_col = _file(field)
    keep = [r for r in rows if not (r[value_col].lower() == value.strip().lower()
                                    and (not subsector or r.get("subsector", "").lower() == subsector.strip().lower()))]
    if len(keep) == len(rows):
        what = f"{value} / {subsector}" if subsector else value
        raise StoreError(f"{what!r} is not on the {field} list.", hint="Check the spelling against the list.")
    return save_list(engine, actor, field, keep)
