"""Programmes, their keyed-hash beneficiary lists, consents per pair, retention: the store side of issue 16.

Who may do what:
- a programme is owned by an organisation; its focal points (or an admin) upload and delete its lists;
- only the owner's focal points can consent to comparing with another programme (an admin cannot consent
  for them), and a comparison needs the consent of both owners;
- list metadata and comparisons are for admins and the two owners' focal points; viewers and the public see
  neither, and nothing here returns a hash to a caller outside the engine (`comparison_lists` hands the two
  lists to the comparison and is audited);
- lists are deleted when their retention ends (`purge_expired`: hourly in the app server's `retention_job`,
  before every people operation, and by `people purge`), on request (`delete_lists`), and every upload,
  consent, comparison and deletion is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection, Engine

from mapping import config
from mapping.errors import StocktakeError
from mapping.returns.pseudonymise import HashedList
from mapping.store import models as m
from mapping.store.db import (
    ROLE_LABELS,
    Actor,
    PermissionDenied,
    StoreError,
    audit,
    require_org,
    transaction,
    utcnow,
)
from mapping.store.registry import find_org, ordered_rounds, resolve_round

SYSTEM = Actor(user_id=None, email="system", role="admin", org_id=None, org_name=None)


@dataclass(frozen=True)
class UploadOutcome:
    """What the uploader is told: how many people, until when the list is kept, whether it replaced one."""

    programme: str
    round_name: str
    people: int
    districts: int
    expires_at: dt.datetime
    replaced: bool

    @property
    def message(self) -> str:
        return (f"{self.programme}, round {self.round_name}: {self.people:,} people in {self.districts} districts "
                f"stored{' (replacing the earlier list)' if self.replaced else ''}. The list is deleted on "
                f"{self.expires_at:%Y-%m-%d} or earlier on request; only counts can be seen, never the list.")


# --------------------------------------------------------------------------- programmes

def find_programme(conn: Connection, name: str) -> Any:
    p = m.programmes
    row = conn.execute(select(p).where(func.lower(p.c.name) == " ".join(str(name).split()).lower())).first()
    if row is None:
        known = [r.name for r in conn.execute(select(p.c.name).order_by(p.c.name))]
        raise StoreError(f"No programme called {name!r}. Programmes: {', '.join(known) or 'none yet'}.",
                         hint="Its organisation's focal point or an admin adds it on the People page.",
                         cli_hint=f"Add it: python -m mapping programmes add \"{name}\" --org ORGANISATION.")
    return row


def add_programme(engine: Engine, actor: Actor, name: str, *, owner_org: str) -> int:
    """Register a programme of an organisation (its focal point or an admin)."""
    name = " ".join(str(name or "").split())
    if not name:
        raise StoreError("A programme needs a name.")
    with transaction(engine) as conn:
        org = find_org(conn, owner_org)
        require_org(actor, org.id, org.name, "add a programme")
        exists = conn.execute(select(m.programmes.c.id)
                              .where(func.lower(m.programmes.c.name) == name.lower())).first()
        if exists:
            raise StoreError(f"A programme called {name!r} already exists.")
        pid = conn.execute(insert(m.programmes).values(name=name, owner_org_id=org.id, created_at=utcnow(),
                                                       created_by=actor.email)).inserted_primary_key[0]
        audit(conn, actor, "programme.add", "programme", pid, {"name": name, "owner": org.name})
    return int(pid)


def list_programmes(engine: Engine) -> list[dict]:
    """Programme names and owners (no people data: the names are what consent and comparison refer to)."""
    p, o = m.programmes, m.organisations
    with transaction(engine, write=False) as conn:
        rows = conn.execute(select(p.c.id, p.c.name, p.c.owner_org_id, o.c.name.label("owner"))
                            .join(o, o.c.id == p.c.owner_org_id).order_by(p.c.name))
        return [dict(r._mapping) for r in rows]


def _owner_actor(actor: Actor, owner_org_id: int) -> bool:
    return actor.role == "focal_point" and actor.org_id is not None and actor.org_id == owner_org_id


def _require_people_reader(actor: Actor, what: str) -> None:
    if actor.role not in ("admin", "focal_point"):
        raise PermissionDenied(f"A {ROLE_LABELS.get(actor.role, actor.role)} cannot {what}: beneficiary overlaps "
                               "are for the secretariat and the programmes' own focal points.")


# --------------------------------------------------------------------------- lists

def retention_days() -> int:
    return config.people_retention_days()


def upload(engine: Engine, actor: Actor, programme: str, people: HashedList, *, filename: str | None = None,
           round_name: str | None = None, now: dt.datetime | None = None) -> UploadOutcome:
    """Store a programme's hashed list for a round (replacing an earlier one for that round)."""
    now = now or utcnow()
    purge_expired(engine, now=now)
    if not len(people):
        raise StoreError(f"{filename or 'The list'} holds no people; nothing was stored.")
    hashes, districts = people.to_bytes()
    expires = now + dt.timedelta(days=retention_days())
    with transaction(engine) as conn:
        prog = find_programme(conn, programme)
        owner = conn.execute(select(m.organisations).where(m.organisations.c.id == prog.owner_org_id)).first()
        require_org(actor, owner.id, owner.name, f"upload beneficiary lists of {prog.name}")
        rnd = resolve_round(conn, round_name)
        t = m.people_lists
        replaced = conn.execute(delete(t).where(t.c.programme_id == prog.id, t.c.round_id == rnd.id)).rowcount > 0
        n_districts = len(np.unique(people.districts))
        conn.execute(insert(t).values(programme_id=prog.id, round_id=rnd.id, people=len(people),
                                      pcodes=list(people.pcodes), hashes=hashes, districts=districts,
                                      filename=filename, user_id=actor.user_id, user_email=actor.email,
                                      uploaded_at=now, expires_at=expires))
        audit(conn, actor, "people.upload", "programme", prog.id,
              {"programme": prog.name, "round": rnd.name, "people": len(people), "districts": n_districts,
               "filename": filename, "replaced": replaced, "expires_at": expires})
    return UploadOutcome(prog.name, rnd.name, len(people), n_districts, expires, replaced)


def uploads(engine: Engine, actor: Actor) -> list[dict]:
    """The lists the actor may know about (admin: all; a focal point: its organisation's), without contents."""
    _require_people_reader(actor, "see beneficiary lists")
    purge_expired(engine)
    t, p, r = m.people_lists, m.programmes, m.rounds
    stmt = (select(t.c.id, p.c.name.label("programme"), p.c.owner_org_id, r.c.name.label("round"), t.c.people,
                   t.c.filename, t.c.user_email.label("uploaded_by"), t.c.uploaded_at, t.c.expires_at)
            .join(p, p.c.id == t.c.programme_id).join(r, r.c.id == t.c.round_id)
            .order_by(p.c.name, r.c.period_start))
    if actor.role != "admin":
        stmt = stmt.where(p.c.owner_org_id == actor.org_id)
    with transaction(engine, write=False) as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def delete_lists(engine: Engine, actor: Actor, programme: str, *, round_name: str | None = None) -> int:
    """Delete a programme's lists on request (one round, or all); returns how many were deleted."""
    with transaction(engine) as conn:
        prog = find_programme(conn, programme)
        owner = conn.execute(select(m.organisations).where(m.organisations.c.id == prog.owner_org_id)).first()
        require_org(actor, owner.id, owner.name, f"delete beneficiary lists of {prog.name}")
        t = m.people_lists
        stmt = delete(t).where(t.c.programme_id == prog.id)
        rnd = None
        if round_name:
            rnd = resolve_round(conn, round_name)
            stmt = stmt.where(t.c.round_id == rnd.id)
        n = conn.execute(stmt).rowcount
        audit(conn, actor, "people.delete", "programme", prog.id,
              {"programme": prog.name, "round": rnd.name if rnd else "all", "lists": n, "reason": "on request"})
    return int(n)


def purge_expired(engine: Engine, actor: Actor = SYSTEM, *, now: dt.datetime | None = None) -> int:
    """Delete every list past its retention (its own expiry, or the current setting if that is shorter)."""
    now = now or utcnow()
    t, p = m.people_lists, m.programmes
    cutoff = now - dt.timedelta(days=retention_days())
    expired = (t.c.expires_at <= now) | (t.c.uploaded_at <= cutoff)
    with transaction(engine) as conn:
        rows = conn.execute(select(t.c.id, t.c.programme_id, p.c.name, t.c.uploaded_at)
                            .join(p, p.c.id == t.c.programme_id).where(expired)).all()
        if not rows:
            return 0
        conn.execute(delete(t).where(t.c.id.in_([r.id for r in rows])))
        for r in rows:
            audit(conn, actor, "people.purge", "programme", r.programme_id,
                  {"programme": r.name, "uploaded_at": r.uploaded_at, "reason": "retention ended"})
    return len(rows)


PURGE_EVERY_SECONDS = 3600.0


def retention_job(connect: Callable[[], Engine], stop: threading.Event, *,
                  every: float = PURGE_EVERY_SECONDS) -> None:
    """Delete expired lists now, then every `every` seconds, until `stop` is set.

    The app server runs this in a background thread (app.py), so retention is automatic with no cron to set up:
    a list past its retention goes within the hour even when nobody opens a people page or runs a command. A
    database that cannot be reached (or is not set up yet) is tried again at the next turn, and said in the log.
    """
    while True:
        try:
            purge_expired(connect())
        except StocktakeError as exc:
            print(f"Retention of hashed lists: {exc.message} (tried again in {every:.0f} s)", file=sys.stderr,
                  flush=True)
        if stop.wait(every):
            return


# --------------------------------------------------------------------------- consent

def set_consent(engine: Engine, actor: Actor, programme: str, other: str, *, given: bool = True) -> None:
    """The owner of `programme` agrees (or no longer agrees) to compare its list with `other`'s."""
    with transaction(engine) as conn:
        prog, oth = find_programme(conn, programme), find_programme(conn, other)
        if prog.id == oth.id:
            raise StoreError("A programme is compared with another programme, not with itself.")
        if not _owner_actor(actor, prog.owner_org_id):
            owner = conn.execute(select(m.organisations.c.name)
                                 .where(m.organisations.c.id == prog.owner_org_id)).scalar()
            raise PermissionDenied(f"Only a focal point of {owner}, which owns {prog.name}, can agree to compare its "
                                   f"list; {actor.email} cannot (an admin cannot consent on an owner's behalf).")
        c = m.people_consents
        conn.execute(delete(c).where(c.c.programme_id == prog.id, c.c.other_id == oth.id))
        if given:
            conn.execute(insert(c).values(programme_id=prog.id, other_id=oth.id, user_id=actor.user_id,
                                          user_email=actor.email, given_at=utcnow()))
        audit(conn, actor, "people.consent" if given else "people.consent_withdrawn", "programme", prog.id,
              {"programme": prog.name, "with": oth.name})


def consents(engine: Engine, actor: Actor) -> list[dict]:
    """Pairs with at least one consent, and whether both agreed (admin: all; focal point: its programmes')."""
    _require_people_reader(actor, "see consents")
    c, p = m.people_consents, m.programmes
    with transaction(engine, write=False) as conn:
        progs = {r.id: r for r in conn.execute(select(p))}
        given = {(r.programme_id, r.other_id): r for r in conn.execute(select(c))}
    out = []
    for (a, b), row in sorted(given.items()):
        if actor.role != "admin" and actor.org_id not in (progs[a].owner_org_id, progs[b].owner_org_id):
            continue
        out.append({"programme": progs[a].name, "with": progs[b].name, "by": row.user_email, "at": row.given_at,
                    "both": (b, a) in given})
    return out


def consented_pairs(engine: Engine, actor: Actor) -> list[tuple[str, str]]:
    """Pairs (sorted names) both owners agreed to compare that this person may see; [] for viewers and the public."""
    if actor is None or actor.role not in ("admin", "focal_point"):
        return []
    return sorted({tuple(sorted((c["programme"], c["with"]))) for c in consents(engine, actor) if c["both"]})


# --------------------------------------------------------------------------- comparison inputs

def comparison_lists(engine: Engine, actor: Actor, a: str, b: str, *, round_name: str | None = None
                     ) -> tuple[str, str, str, HashedList, HashedList]:
    """The two lists for counting, once both owners agreed: (name a, name b, round, list a, list b).

    For the comparison only (`workflow.people_overlap`): it never reaches a page or a file. Audited.
    """
    _require_people_reader(actor, "compare programmes")
    purge_expired(engine)
    with transaction(engine) as conn:
        pa, pb = find_programme(conn, a), find_programme(conn, b)
        if pa.id == pb.id:
            raise StoreError("Choose two different programmes.")
        if actor.role != "admin" and actor.org_id not in (pa.owner_org_id, pb.owner_org_id):
            raise PermissionDenied(f"{actor.email} is not a focal point of the organisations owning {pa.name} or "
                                   f"{pb.name}, so cannot see their overlap.")
        c = m.people_consents
        agreed = {(r.programme_id, r.other_id) for r in conn.execute(
            select(c.c.programme_id, c.c.other_id).where(c.c.programme_id.in_([pa.id, pb.id])))}
        missing = [x.name for x, y in ((pa, pb), (pb, pa)) if (x.id, y.id) not in agreed]
        if missing:
            raise PermissionDenied(
                f"The comparison of {pa.name} and {pb.name} needs both owners' consent; missing: "
                f"{' and '.join(missing)}.",
                hint="Each owner's focal point agrees on the People page.",
                cli_hint="Or with: python -m mapping people consent --programme A --with B --user EMAIL.")
        t = m.people_lists
        have = {(r.programme_id, r.round_id) for r in conn.execute(
            select(t.c.programme_id, t.c.round_id).where(t.c.programme_id.in_([pa.id, pb.id])))}
        if round_name:
            rnd = resolve_round(conn, round_name)
        else:
            both = [r for r in ordered_rounds(conn) if (pa.id, r.id) in have and (pb.id, r.id) in have]
            rnd = both[-1] if both else None
        lacking = [x.name for x in (pa, pb) if rnd is None or (x.id, rnd.id) not in have]
        if lacking:
            where = f"round {rnd.name}" if rnd is not None else "a common round"
            raise StoreError(f"No hashed list of {' or '.join(lacking)} for {where} (lists are deleted after "
                             f"{retention_days()} days).",
                             hint="The programme's focal point uploads its hashed list on the People page.",
                             cli_hint="Or: python -m mapping people upload HASHED.csv --programme NAME --user EMAIL.")
        lists = {}
        for x in (pa, pb):
            row = conn.execute(select(t.c.hashes, t.c.districts, t.c.pcodes)
                               .where(t.c.programme_id == x.id, t.c.round_id == rnd.id)).one()
            lists[x.id] = HashedList.from_bytes(row.hashes, row.districts, row.pcodes)
        audit(conn, actor, "people.compare", "programme", f"{pa.id},{pb.id}",
              {"programmes": [pa.name, pb.name], "round": rnd.name})
    return pa.name, pb.name, rnd.name, lists[pa.id], lists[pb.id]


__all__ = ["SYSTEM", "UploadOutcome", "add_programme", "comparison_lists", "consented_pairs", "consents",
           "delete_lists", "find_programme", "list_programmes", "purge_expired", "retention_days", "retention_job",
           "set_consent", "upload", "uploads"]
