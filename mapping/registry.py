"""Reference lists the secretariat keeps: organisations, reporting rounds, boundary sets, learned place names.

Each is small, changes rarely and is read by ingest (organisation directory, learned aliases) or by the
picture (round order, carry-forward). Writes are admin-only and audited like every other change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from mapping import models as m
from mapping.db import Actor, StoreError, audit, jsonable, require_admin, transaction, utcnow

# --------------------------------------------------------------------------- organisations

def _norm(s: str | None) -> str:
    return " ".join(str(s or "").lower().split())


def _org_dict(row) -> dict:
    return {"id": row.id, "name": row.name, "acronym": row.acronym, "type": row.type,
            "aliases": list(row.aliases or [])}


def find_org(conn: Connection, name: str | int) -> Any:
    """An organisation by id, name, acronym or alias (case and spacing ignored); StoreError when unknown."""
    t = m.organisations
    if isinstance(name, int) or (isinstance(name, str) and name.isdigit()):
        row = conn.execute(select(t).where(t.c.id == int(name))).first()
        if row:
            return row
    key = _norm(str(name))
    rows = conn.execute(select(t)).all()
    for attr in ("name", "acronym"):
        for row in rows:
            if _norm(getattr(row, attr)) == key:
                return row
    for row in rows:
        if key in {_norm(a) for a in (row.aliases or [])}:
            return row
    raise StoreError(f"No organisation called {name!r}. An admin can add it: python -m mapping orgs add "
                     f"\"{name}\" --acronym ABC --type \"National NGO\".")


def add_org(engine: Engine, actor: Actor, name: str, *, acronym: str | None = None, org_type: str | None = None,
            aliases: list[str] | tuple[str, ...] = ()) -> int:
    """Register a partner; the names it may appear under in returns go in `aliases`."""
    require_admin(actor, "add organisations")
    name = " ".join((name or "").split())
    if not name:
        raise StoreError("An organisation needs a name.")
    with transaction(engine) as conn:
        if conn.execute(select(m.organisations.c.id).where(func.lower(m.organisations.c.name) == name.lower())).first():
            raise StoreError(f"The organisation {name!r} already exists.")
        oid = conn.execute(insert(m.organisations).values(
            name=name, acronym=(acronym or None), type=(org_type or None),
            aliases=[a.strip() for a in aliases if a and a.strip()], created_at=utcnow())).inserted_primary_key[0]
        audit(conn, actor, "org.add", "organisation", oid, {"name": name, "acronym": acronym, "type": org_type,
                                                            "aliases": list(aliases)})
    return int(oid)


def update_org(engine: Engine, actor: Actor, name: str, *, acronym: str | None = None,
               org_type: str | None = None, aliases: list[str] | None = None) -> None:
    """Correct an organisation's acronym, type or aliases (the name is the stable key)."""
    require_admin(actor, "edit organisations")
    with transaction(engine) as conn:
        row = find_org(conn, name)
        values: dict[str, Any] = {}
        if acronym is not None:
            values["acronym"] = acronym or None
        if org_type is not None:
            values["type"] = org_type or None
        if aliases is not None:
            values["aliases"] = [a.strip() for a in aliases if a.strip()]
        if values:
            conn.execute(update(m.organisations).where(m.organisations.c.id == row.id).values(**values))
            audit(conn, actor, "org.update", "organisation", row.id, values)


def list_orgs(engine: Engine) -> list[dict]:
    """Organisations with how many accepted submissions each has, by name."""
    o, s = m.organisations, m.submissions
    counts = (select(s.c.org_id, func.count().label("n")).where(s.c.status == "accepted")
              .group_by(s.c.org_id).subquery())
    stmt = select(o, func.coalesce(counts.c.n, 0).label("submissions")).outerjoin(
        counts, counts.c.org_id == o.c.id).order_by(o.c.name)
    with transaction(engine, write=False) as conn:
        return [_org_dict(r) | {"submissions": int(r.submissions)} for r in conn.execute(stmt)]


def org_directory(engine: Engine) -> list[dict]:
    """What ingest needs to recognise an organisation however a return spells it."""
    return [{k: d[k] for k in ("name", "acronym", "type", "aliases")} for d in list_orgs(engine)]


# --------------------------------------------------------------------------- boundary sets and learned aliases

def register_boundary_set(engine: Engine, actor: Actor, meta: dict, activate: bool = True) -> str:
    """Record a boundary set (its files live in shapefiles/); submissions name the version they matched against."""
    require_admin(actor, "register boundary sets")
    version = str(meta.get("version") or "").strip()
    if not version:
        raise StoreError("A boundary set needs a version.")
    b = m.boundary_sets
    with transaction(engine) as conn:
        existing = conn.execute(select(b.c.id).where(b.c.version == version)).scalar()
        if existing is None:
            conn.execute(insert(b).values(version=version, meta=jsonable(meta), active=False, imported_at=utcnow()))
        else:
            conn.execute(update(b).where(b.c.id == existing).values(meta=jsonable(meta)))
        if activate:
            conn.execute(update(b).values(active=(b.c.version == version)))
        audit(conn, actor, "boundaries.register", "boundary_set", version, {"activate": activate})
    return version


def active_boundary_version(engine: Engine) -> str | None:
    b = m.boundary_sets
    with transaction(engine, write=False) as conn:
        return conn.execute(select(b.c.version).where(b.c.active.is_(True)).order_by(b.c.id.desc())).scalar()


def list_boundary_sets(engine: Engine) -> list[dict]:
    b = m.boundary_sets
    with transaction(engine, write=False) as conn:
        return [{"version": r.version, "meta": r.meta or {}, "active": bool(r.active), "imported_at": r.imported_at}
                for r in conn.execute(select(b).order_by(b.c.id))]


def learn_alias(engine: Engine, actor: Actor, alias: str, adm1_pcode: str | None, adm2_pcode: str | None) -> None:
    """Remember a reviewed place-name match so the next round matches it without help."""
    require_admin(actor, "teach the gazetteer a place name")
    key = _norm(alias)
    if not key:
        raise StoreError("An alias needs some text.")
    t = m.learned_aliases
    with transaction(engine) as conn:
        where = (t.c.alias_key == key) & (t.c.adm1_pcode == (adm1_pcode or ""))
        if conn.execute(select(t.c.id).where(where)).scalar() is None:
            conn.execute(insert(t).values(alias=alias.strip(), alias_key=key, adm1_pcode=adm1_pcode or "",
                                          adm2_pcode=adm2_pcode, user_id=actor.user_id, created_at=utcnow()))
        else:
            conn.execute(update(t).where(where).values(alias=alias.strip(), adm2_pcode=adm2_pcode,
                                                       user_id=actor.user_id))
        audit(conn, actor, "alias.learn", "alias", key, {"alias": alias, "adm1_pcode": adm1_pcode,
                                                         "adm2_pcode": adm2_pcode})


def learned_aliases(engine: Engine) -> list[dict]:
    t = m.learned_aliases
    with transaction(engine, write=False) as conn:
        return [{"alias": r.alias, "adm1_pcode": r.adm1_pcode or None, "adm2_pcode": r.adm2_pcode}
                for r in conn.execute(select(t).order_by(t.c.id))]


# --------------------------------------------------------------------------- rounds

def _as_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise StoreError(f"{what} {value!r} is not a date; write it as YYYY-MM-DD.") from None


def add_round(engine: Engine, actor: Actor, name: str, start: Any, end: Any, *, carry_forward: bool = True) -> int:
    """Open a reporting round; with carry_forward, partners that do not report keep their last return (marked)."""
    require_admin(actor, "open reporting rounds")
    name = " ".join((name or "").split())
    start_d, end_d = _as_date(start, "Start date"), _as_date(end, "End date")
    if not name:
        raise StoreError("A round needs a name, e.g. \"2026 H2\".")
    if end_d < start_d:
        raise StoreError(f"The round ends ({end_d}) before it starts ({start_d}).")
    r = m.rounds
    with transaction(engine) as conn:
        if conn.execute(select(r.c.id).where(func.lower(r.c.name) == name.lower())).first():
            raise StoreError(f"A round called {name!r} already exists.")
        rid = conn.execute(insert(r).values(name=name, period_start=start_d, period_end=end_d, locked=False,
                                            carry_forward=carry_forward, created_at=utcnow())).inserted_primary_key[0]
        audit(conn, actor, "round.add", "round", rid, {"name": name, "start": start_d, "end": end_d,
                                                       "carry_forward": carry_forward})
    return int(rid)


def find_round(conn: Connection, name: str) -> Any:
    r = m.rounds
    row = conn.execute(select(r).where(func.lower(r.c.name) == " ".join(str(name).split()).lower())).first()
    if row is None:
        known = [x.name for x in conn.execute(select(r.c.name).order_by(r.c.period_start, r.c.id))]
        raise StoreError(f"No reporting round called {name!r}. Rounds: {', '.join(known) or 'none yet'}.")
    return row


def lock_round(engine: Engine, actor: Actor, name: str, *, locked: bool = True) -> None:
    """Lock a round once its returns are validated (uploads are then refused); locked=False reopens it."""
    require_admin(actor, "lock or reopen rounds")
    with transaction(engine) as conn:
        row = find_round(conn, name)
        conn.execute(update(m.rounds).where(m.rounds.c.id == row.id).values(locked=locked))
        audit(conn, actor, "round.lock" if locked else "round.unlock", "round", row.id, {"name": row.name})


def ordered_rounds(conn: Connection) -> list[Any]:
    """Rounds oldest first: by period start, then by creation."""
    return list(conn.execute(select(m.rounds).order_by(m.rounds.c.period_start, m.rounds.c.id)))


def list_rounds(engine: Engine) -> list[dict]:
    """Rounds oldest first, with how many organisations have an accepted return in each."""
    s = m.submissions
    with transaction(engine, write=False) as conn:
        counts = dict(conn.execute(select(s.c.round_id, func.count(func.distinct(s.c.org_id)))
                                   .where(s.c.status == "accepted").group_by(s.c.round_id)).all())
        return [{"id": r.id, "name": r.name, "period_start": r.period_start, "period_end": r.period_end,
                 "locked": bool(r.locked), "carry_forward": bool(r.carry_forward), "orgs_reported": counts.get(r.id, 0)}
                for r in ordered_rounds(conn)]


def resolve_round(conn: Connection, round_name: str | None, today: dt.date | None = None) -> Any:
    """The named round, else the open round covering today, else the latest open round."""
    if round_name:
        return find_round(conn, round_name)
    today = today or dt.date.today()
    open_rounds = [r for r in ordered_rounds(conn) if not r.locked]
    covering = [r for r in open_rounds if r.period_start <= today <= r.period_end]
    if covering or open_rounds:
        return (covering or open_rounds)[-1]
    raise StoreError("No reporting round is open. An admin must open one: "
                     "python -m mapping rounds add \"2026 H2\" --start 2026-07-01 --end 2026-12-31.")
