"""Programme records in the store: the forum's list, kept by the secretariat and by each owner's focal point.

A programme is created or updated by name (its owner's focal point, or an admin); every change is audited
with what it was before, so the list can be trusted in a meeting. `people` (issue 16) registers programmes by
name and owner only; the same rows gain the full record here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from mapping.returns.programmes import ProgrammeRecord, name_key
from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, jsonable, require_org, transaction, utcnow
from mapping.store.registry import find_org

__all__ = ["FRAME_COLUMNS", "SaveReport", "add_alias", "mark_not_programme", "not_programme_names",
           "programme_frame", "save_programmes", "unmark_not_programme"]

RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(ProgrammeRecord) if f.name not in ("name", "owner"))
FRAME_COLUMNS = ("id", "name", "owner", "owner_type", *RECORD_FIELDS)


@dataclass(frozen=True)
class SaveReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]

    def sentence(self) -> str:
        parts = [f"{len(self.created)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        return "Programmes: " + ", ".join(parts) + "."


def _values(rec: ProgrammeRecord) -> dict:
    out = {f: getattr(rec, f) for f in RECORD_FIELDS}
    for f in ("provinces", "target_groups", "districts", "aliases"):
        out[f] = list(out[f] or [])
    return out


def save_programmes(engine: Engine, actor: Actor, records: list[ProgrammeRecord]) -> SaveReport:
    """Create or update each programme (by name) in one transaction; the owner's focal point or an admin."""
    created, updated, unchanged = [], [], []
    p = m.programmes
    with transaction(engine) as conn:
        for rec in records:
            org = find_org(conn, rec.owner)
            require_org(actor, org.id, org.name, "change this organisation's programmes")
            row = conn.execute(select(p).where(func.lower(p.c.name) == rec.name.lower())).first()
            values = _values(rec)
            if row is None:
                pid = conn.execute(insert(p).values(name=rec.name, owner_org_id=org.id, created_at=utcnow(),
                                                    created_by=actor.email, updated_at=utcnow(), **values)
                                   ).inserted_primary_key[0]
                audit(conn, actor, "programme.add", "programme", pid, jsonable({"name": rec.name, **values}))
                created.append(rec.name)
                continue
            if row.owner_org_id != org.id:
                owner = conn.execute(select(m.organisations.c.name).where(m.organisations.c.id == row.owner_org_id)
                                     ).scalar()
                require_org(actor, row.owner_org_id, owner, "change this organisation's programmes")
            before = {f: getattr(row, f) for f in RECORD_FIELDS}
            before = {k: (list(v) if isinstance(v, list) else v) for k, v in before.items()}
            if before == values and row.owner_org_id == org.id:
                unchanged.append(rec.name)
                continue
            conn.execute(update(p).where(p.c.id == row.id).values(owner_org_id=org.id, updated_at=utcnow(),
                                                                   **values))
            changed = {k: {"from": before.get(k), "to": v} for k, v in values.items() if before.get(k) != v}
            audit(conn, actor, "programme.update", "programme", row.id, jsonable({"name": rec.name, **changed}))
            updated.append(rec.name)
    if not records:
        raise StoreError("The file holds no programme.")
    return SaveReport(created, updated, unchanged)


def programme_frame(engine: Engine) -> pd.DataFrame:
    """Every programme with its owner's name and type; lists stay Python lists (empty when unknown)."""
    p, o = m.programmes, m.organisations
    cols = [p.c.id, p.c.name, o.c.name.label("owner"), o.c.type.label("owner_type"),
            *[p.c[f] for f in RECORD_FIELDS]]
    with transaction(engine, write=False) as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(*cols).join(o, o.c.id == p.c.owner_org_id)
                                                       .order_by(p.c.name))]
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    for f in ("provinces", "target_groups", "districts", "aliases"):
        frame[f] = frame[f].map(lambda v: list(v) if isinstance(v, list) else [])
    return frame


def add_alias(engine: Engine, actor: Actor, programme: str, alias: str) -> None:
    """Learn once that returns calling a programme `alias` mean this record (owner's focal point or admin)."""
    alias = " ".join(str(alias or "").split())
    if not alias:
        raise StoreError("Give the name the returns use.")
    p = m.programmes
    with transaction(engine) as conn:
        row = conn.execute(select(p).where(func.lower(p.c.name) == " ".join(programme.split()).lower())).first()
        if row is None:
            raise StoreError(f"No programme called {programme!r}.", hint="The Programmes page lists them.",
                             cli_hint="python -m mapping programmes show lists them.")
        owner = conn.execute(select(m.organisations.c.name).where(m.organisations.c.id == row.owner_org_id)).scalar()
        require_org(actor, row.owner_org_id, owner, "name this organisation's programmes")
        aliases = list(row.aliases or [])
        if alias.lower() in {a.lower() for a in aliases} or alias.lower() == row.name.lower():
            return
        aliases.append(alias)
        conn.execute(update(p).where(p.c.id == row.id).values(aliases=aliases, updated_at=utcnow()))
        audit(conn, actor, "programme.alias", "programme", row.id, {"name": row.name, "alias": alias})


# --------------------------------------------------------------------------- names that are not programmes

def _writers(conn: Connection, key: str) -> dict[int, str]:
    """The organisations whose stored returns write this programme name (id -> name)."""
    a, s, o = m.activities, m.submissions, m.organisations
    rows = conn.execute(select(a.c.project, o.c.id, o.c.name).distinct()
                        .join(s, s.c.id == a.c.submission_id).join(o, o.c.id == s.c.org_id)
                        .where((s.c.status == "accepted") & a.c.project.is_not(None)))
    return {r.id: r.name for r in rows if name_key(r.project) == key}


def _may_decide(conn: Connection, actor: Actor, name: str, key: str, *, marked_by: int | None = None) -> None:
    """Admins decide any name; a focal point the names its own organisation's returns write (or it marked)."""
    if actor.role == "admin" or (actor.role == "focal_point" and marked_by is not None and actor.user_id == marked_by):
        return
    writers = _writers(conn, key)
    if actor.org_id in writers:
        return
    org_id, org_name = next(iter(writers.items()), (-1, "the organisations that write it"))
    require_org(actor, org_id, org_name, f"decide whether “{name}” is a programme")


def mark_not_programme(engine: Engine, actor: Actor, name: str) -> bool:
    """Mark a name returns write as not a programme, so it leaves the names queue (admin, or a focal point whose
    organisation writes it); audited. False when it was marked already; refused when no return writes it."""
    name = " ".join(str(name or "").split())
    key = name_key(name)
    if not key:
        raise StoreError("Give the name the returns use.")
    t = m.not_programme_names
    with transaction(engine) as conn:
        if conn.execute(select(t.c.id).where(t.c.name_key == key[:300])).first() is not None:
            return False
        if not _writers(conn, key):
            raise StoreError(f"No return writes a programme called “{name}”.",
                             hint="The Programmes page lists the names the returns write.",
                             cli_hint="python -m mapping programmes names lists them.")
        p = m.programmes
        for rec in conn.execute(select(p.c.name, p.c.aliases)):
            if key in {name_key(n) for n in [rec.name, *(rec.aliases or [])]}:
                raise StoreError(f"“{name}” names the programme {rec.name}, so it is a programme.",
                                 hint="A name learned for the wrong programme is changed in the programme list.")
        _may_decide(conn, actor, name, key)
        mid = conn.execute(insert(t).values(name=name, name_key=key[:300], user_id=actor.user_id,
                                            user_email=actor.email, created_at=utcnow())).inserted_primary_key[0]
        audit(conn, actor, "programme_name.not_programme", "programme_name", mid, {"name": name})
    return True


def unmark_not_programme(engine: Engine, actor: Actor, name: str) -> bool:
    """Undo the mark: the name waits in the queue again (admin, the writer's focal point, or whoever marked it);
    audited with who marked it. False when it was not marked."""
    key = name_key(name)
    t = m.not_programme_names
    with transaction(engine) as conn:
        row = conn.execute(select(t).where(t.c.name_key == key[:300])).first()
        if row is None:
            return False
        _may_decide(conn, actor, row.name, key, marked_by=row.user_id)
        conn.execute(delete(t).where(t.c.id == row.id))
        audit(conn, actor, "programme_name.programme_again", "programme_name", row.id,
              {"name": row.name, "marked_by": row.user_email, "marked_at": jsonable(row.created_at)})
    return True


def not_programme_names(engine: Engine) -> list[dict]:
    """Names marked as not a programme, by name: name, who marked it (e-mail) and when."""
    t = m.not_programme_names
    with transaction(engine, write=False) as conn:
        return [{"name": r.name, "by": r.user_email, "at": r.created_at}
                for r in conn.execute(select(t).order_by(t.c.name_key))]
