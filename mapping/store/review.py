"""The review queue: rows kept with their submission but not yet counted, settled by the secretariat by value.

A return with an unknown district or an unreadable date on a few rows is not thrown away: those rows wait here,
grouped by the problem ("'Dera Gazi' is not a district of Punjab", 14 rows in 3 returns), and one answer settles
every row with that value. Only rows of current (accepted) submissions are listed. A row with two problems waits
until both are settled; each answer is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from mapping.returns.normalise import fold
from mapping.returns.schema import FIELD_BY_NAME
from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, jsonable, require_admin, transaction
from mapping.store.submissions import clean_date, clean_number

__all__ = ["DROPPED", "queue", "resolve"]

DROPPED = "dropped"  # queue_field of a row the secretariat chose not to count; kept for the record


def _key(value: Any) -> str:
    return fold(value) if value not in (None, "") else ""


def queue(engine: Engine, actor: Actor, *, limit: int = 500) -> list[dict]:
    """Waiting rows grouped by (field, value as written), most rows first: field, value, reason, rows, orgs,
    provinces (as written, for districts), submissions."""
    require_admin(actor, "review queued rows")
    a, s, o = m.activities, m.submissions, m.organisations
    stmt = (select(a.c.queue_field, a.c.queue_value, a.c.queue_reason, a.c.extra, a.c.submission_id,
                   o.c.name.label("org"))
            .join(s, s.c.id == a.c.submission_id).join(o, o.c.id == s.c.org_id)
            .where(a.c.queued.is_(True) & (s.c.status == "accepted") & (a.c.queue_field != DROPPED))
            .order_by(a.c.id))
    groups: dict[tuple[str, str], dict] = {}
    with transaction(engine, write=False) as conn:
        for r in conn.execute(stmt):
            item = groups.setdefault((r.queue_field or "", _key(r.queue_value)), {
                "field": r.queue_field, "value": r.queue_value, "reason": r.queue_reason, "rows": 0, "orgs": [],
                "provinces": [], "submissions": []})
            item["rows"] += 1
            province = (r.extra or {}).get("province_as_written")
            for key, v in (("orgs", r.org), ("provinces", province), ("submissions", r.submission_id)):
                if v is not None and v not in item[key]:
                    item[key].append(v)
    items = sorted(groups.values(), key=lambda d: (-d["rows"], d["field"] or "", _key(d["value"])))
    return items[:limit]


def resolve(engine: Engine, actor: Actor, field: str, value: str | None, *, updates: dict | None = None,
            drop: bool = False) -> int:
    """Settle every waiting row whose problem is `field` = `value` (as written, case and accents aside): apply
    `updates` (column -> value) and clear that problem; a row with no problem left joins the picture. `drop`
    keeps the rows out for good (they stay stored, marked). Returns how many rows were settled."""
    require_admin(actor, "settle queued rows")
    if not drop and not updates:
        raise StoreError("Say what the value stands for (--to) or drop the rows (--drop).")
    a, s = m.activities, m.submissions
    want = _key(value)
    kinds = {k: FIELD_BY_NAME[k].kind if k in FIELD_BY_NAME else "text" for k in updates or {}}
    updates = {k: clean_date(v) if kinds[k] == "date" else clean_number(v) if kinds[k] in ("int", "number") else v
               for k, v in (updates or {}).items()}
    settled = 0
    with transaction(engine) as conn:
        rows = conn.execute(select(a.c.id, a.c.extra, a.c.queue_value).join(s, s.c.id == a.c.submission_id)
                            .where(a.c.queued.is_(True) & (s.c.status == "accepted") & (a.c.queue_field == field)))
        for r in rows.all():
            if _key(r.queue_value) != want:
                continue
            extra = dict(r.extra or {})
            left = [p for p in extra.get("queue") or [] if not (p[0] == field and _key(p[1]) == want)]
            if drop:
                values = {"queue_field": DROPPED, "queue_reason": f"Dropped in review ({field} '{value}')"}
            else:
                extra["queue"] = left
                nxt = (left[0] + [None, None, None])[:3] if left else (None, None, None)
                values = dict(updates or {}) | {"queued": bool(left), "queue_field": nxt[0], "queue_value": nxt[1],
                                                "queue_reason": nxt[2], "extra": jsonable(extra)}
            conn.execute(update(a).where(a.c.id == r.id).values(**values))
            settled += 1
        if not settled:
            raise StoreError(f"No row waits in the review queue with {field} '{value}'.",
                             hint="The Admin page's review queue lists what waits.",
                             cli_hint="See python -m mapping review list.")
        audit(conn, actor, "review.drop" if drop else "review.resolve", "activities", field,
              {"field": field, "value": value, "rows": settled, "updates": jsonable(updates or {})})
    return settled
