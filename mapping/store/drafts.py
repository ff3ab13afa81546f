"""Uploads checked but not yet confirmed: kept so that a reload of the Submit page does not lose the report.

One draft per person and organisation (or per person for a consolidated file); a new upload replaces it,
confirming or discarding removes it. Only the person who uploaded it sees it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from mapping.store import models as m
from mapping.store.db import Actor, StoreError, transaction, utcnow

CONSOLIDATED = "*"


@dataclass(frozen=True)
class Draft:
    filename: str
    data: bytes
    sha256: str


def _key(org: str | None) -> str:
    return org if org else CONSOLIDATED


def save(engine: Engine, actor: Actor, *, org: str | None, filename: str, data: bytes) -> None:
    """Keep this upload as the person's draft for the organisation, replacing any earlier one."""
    if actor.user_id is None:
        raise StoreError("Only a signed-in account can keep an upload for later.")
    t = m.upload_drafts
    sha = hashlib.sha256(data).hexdigest()
    with transaction(engine) as conn:
        conn.execute(delete(t).where(t.c.user_id == actor.user_id).where(t.c.org_key == _key(org)))
        conn.execute(insert(t).values(user_id=actor.user_id, org_key=_key(org), filename=filename[:500], sha256=sha,
                                      raw=data, created_at=utcnow()))


def latest(engine: Engine, actor: Actor, *, org: str | None) -> Draft | None:
    if actor.user_id is None:
        return None
    t = m.upload_drafts
    with transaction(engine, write=False) as conn:
        row = conn.execute(select(t.c.filename, t.c.raw, t.c.sha256).where(t.c.user_id == actor.user_id)
                           .where(t.c.org_key == _key(org))).first()
    return Draft(row.filename, bytes(row.raw), row.sha256) if row else None


def discard(engine: Engine, actor: Actor, *, org: str | None) -> None:
    if actor.user_id is None:
        return
    t = m.upload_drafts
    with transaction(engine) as conn:
        conn.execute(delete(t).where(t.c.user_id == actor.user_id).where(t.c.org_key == _key(org)))
