"""Vocabulary aliases: a value a return wrote that is not on a list, confirmed once as one of the deployment's values.

"Saúde" is Health, "EDUCATION_OP" is Education, "Em andamento" is ongoing, "Unicef Pak" is UNICEF: a person
confirms each once (who and when are kept, and the audit log says so) and every later file is read with it.
Confirming the same value again moves it to the new value; nothing is deleted without a trace.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from mapping.returns.normalise import fold
from mapping.returns.schema import load_vocabularies
from mapping.returns.vocabulary import SUGGESTION_THRESHOLD, VOCAB_FIELDS, suggest
from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, require_admin, transaction, utcnow
from mapping.store.registry import org_directory

__all__ = ["alias_key", "aliases", "apply_waiting_suggestions", "by_key", "choices", "confirm_suggestions", "confirmed",
           "map_value", "remove_alias", "waiting"]

LABELS = {"sector": "sector", "subsector": "sub-sector", "status": "status", "org_type": "organisation type",
          "modality": "modality", "org_name": "organisation"}


def alias_key(value: object) -> str:
    """How a value as written is found among the confirmed mappings: folded (case, accents, punctuation) and cut
    to the 300 characters the table keeps. Saving, removing and applying a mapping all look it up this way."""
    return fold(value)[:300]


def choices(engine: Engine, field: str) -> list[str]:
    """The values `field` may be mapped to: the deployment's list (or its organisations)."""
    vocab = load_vocabularies()
    if field == "org_name":
        return [o["name"] for o in org_directory(engine)]
    return list({"sector": vocab.sector_names, "subsector": [s for _, s, _ in vocab.sectors if s],
                 "status": vocab.statuses, "org_type": vocab.org_types, "modality": vocab.modalities}[field])


def to_canonical(engine: Engine, field: str, value: str) -> str:
    """The list's own spelling of `value`, or a StoreError naming the choices."""
    if field not in VOCAB_FIELDS:
        raise StoreError(f"{field!r} has no list to map to. Fields: {', '.join(VOCAB_FIELDS)}.")
    allowed = choices(engine, field)
    by_key = {fold(c): c for c in allowed}
    if field == "org_name":
        by_key |= {fold(o["acronym"]): o["name"] for o in org_directory(engine) if o.get("acronym")}
    found = by_key.get(fold(value))
    if found is None:
        shown = ", ".join(allowed[:15]) + (" ..." if len(allowed) > 15 else "")
        raise StoreError(f"{value!r} is not a {LABELS[field]} on the list, so nothing can be mapped to it. "
                         f"Choose one of: {shown or '(the list is empty)'}.")
    return found


def map_value(engine: Engine, actor: Actor, field: str, value: str, canonical: str) -> dict:
    """Confirm that `value` (as a return wrote it) means `canonical` in `field`, for every later file (admin)."""
    require_admin(actor, "map values to the lists")
    alias = " ".join(str(value or "").split())
    if not fold(alias):
        raise StoreError("The value to map is empty.")
    target = to_canonical(engine, field, canonical)
    t = m.vocabulary_aliases
    key = alias_key(alias)
    with transaction(engine) as conn:
        row = conn.execute(select(t).where((t.c.field == field) & (t.c.alias_key == key))).first()
        values = {"alias": alias, "canonical": target, "user_id": actor.user_id, "user_email": actor.email,
                  "created_at": utcnow()}
        if row is None:
            aid = conn.execute(insert(t).values(field=field, alias_key=key, **values)).inserted_primary_key[0]
        else:
            aid = row.id
            conn.execute(update(t).where(t.c.id == row.id).values(**values))
        audit(conn, actor, "vocab.map", "vocabulary_alias", aid,
              {"field": field, "alias": alias, "canonical": target, "was": row.canonical if row else None})
    return {"id": aid, "field": field, "alias": alias, "canonical": target}


def remove_alias(engine: Engine, actor: Actor, field: str, value: str) -> bool:
    """Forget a confirmed mapping (admin); the audit log keeps what it was. False when there was none."""
    require_admin(actor, "remove value mappings")
    t = m.vocabulary_aliases
    with transaction(engine) as conn:
        row = conn.execute(select(t).where((t.c.field == field) & (t.c.alias_key == alias_key(value)))).first()
        if row is None:
            return False
        conn.execute(delete(t).where(t.c.id == row.id))
        audit(conn, actor, "vocab.unmap", "vocabulary_alias", row.id,
              {"field": field, "alias": row.alias, "canonical": row.canonical})
    return True


def aliases(engine: Engine, field: str | None = None) -> list[dict]:
    """Confirmed mappings, by field then value: field, alias, canonical, who (e-mail) and when."""
    t = m.vocabulary_aliases
    stmt = select(t).order_by(t.c.field, t.c.alias_key)
    if field:
        stmt = stmt.where(t.c.field == field)
    with transaction(engine, write=False) as conn:
        return [{"field": r.field, "alias": r.alias, "canonical": r.canonical, "by": r.user_email,
                 "at": r.created_at} for r in conn.execute(stmt)]


def by_key(conn: Connection) -> dict[str, dict[str, str]]:
    """field -> alias key (`alias_key`) -> canonical: the confirmed mappings as the picture applies them."""
    t = m.vocabulary_aliases
    out: dict[str, dict[str, str]] = {}
    for field, key, canonical in conn.execute(select(t.c.field, t.c.alias_key, t.c.canonical)):
        out.setdefault(field, {})[key] = canonical
    return out


def confirmed(engine: Engine) -> dict[str, dict[str, str]]:
    """field -> value as written -> canonical: what ingest applies to every return."""
    out: dict[str, dict[str, str]] = {}
    for a in aliases(engine):
        out.setdefault(a["field"], {})[a["alias"]] = a["canonical"]
    return out


def waiting(engine: Engine, actor: Actor, acts: pd.DataFrame) -> list[dict]:
    """Each value the picture `acts` (`picture.current_activities` of a round) keeps as written because it is on no
    list and nobody has mapped it yet, once (admin): field, value, rows, orgs, suggestion, confidence, how. A focal
    point cannot map values, so what its return wrote waits here for the secretariat; most rows first. The caller
    gives the picture (the app its cached one): the picture reads through this module's mappings, not back."""
    require_admin(actor, "see the values waiting for a mapping")
    vocab = load_vocabularies()
    found: dict[tuple[str, str], dict] = {}

    def note(field: str, value, org: str, options: list[str]) -> None:
        if not isinstance(value, str) or not value.strip():
            return
        entry = found.get((field, value))
        if entry is None:
            hint = suggest(field, value, options)
            entry = found[(field, value)] = {
                "field": field, "value": value, "rows": 0, "orgs": [], "suggestion": hint.canonical if hint else None,
                "confidence": hint.confidence if hint else 0, "how": hint.how if hint else None}
        entry["rows"] += 1
        if org not in entry["orgs"]:
            entry["orgs"].append(org)

    if len(acts):
        for field in ("sector", "status", "org_type", "modality"):
            listed, options = vocab.listed(field), choices(engine, field)
            for value, org in zip(acts[field], acts["org_name"], strict=True):
                if isinstance(value, str) and value.lower() not in listed:
                    note(field, value, org, options)
        for sector, sub, org in zip(acts["sector"], acts["subsector"], acts["org_name"], strict=True):
            own = vocab.subsectors_of(sector) if isinstance(sector, str) else []
            if isinstance(sub, str) and own and sub not in own:
                note("subsector", sub, org, own)
    order = {f: i for i, f in enumerate(VOCAB_FIELDS)}
    return sorted(found.values(), key=lambda e: (order[e["field"]], -e["rows"], e["value"]))


def confirm_suggestions(engine: Engine, actor: Actor, entries: list[dict], *,
                        threshold: int = SUGGESTION_THRESHOLD) -> list[dict]:
    """Confirm the suggestion of every entry (field, value, suggestion, confidence: a return's off-list values or
    those `waiting`) at or above `threshold` % (admin); returns what was mapped."""
    return [map_value(engine, actor, e["field"], e["value"], e["suggestion"])
            for e in entries if e.get("suggestion") and e.get("confidence", 0) >= threshold]


def apply_waiting_suggestions(engine: Engine, actor: Actor, acts: pd.DataFrame, *,
                              threshold: int = SUGGESTION_THRESHOLD) -> list[dict]:
    """Confirm the suggestion of every value waiting in `acts` at or above `threshold` % (admin); returns what was
    mapped."""
    return confirm_suggestions(engine, actor, waiting(engine, actor, acts), threshold=threshold)
