"""Who has reported in a round: reported, carried forward, rejected or nothing yet; and the round's deadline.

The secretariat's first question in a round is who is still missing and how to reach them; a focal point's is
by when. A carried-forward return is data, not a report: it is said apart ("carried forward from 2026 H1"),
and a rejected return is not silence ("rejected on 30 Nov — 4 errors"). Focal points' e-mails are personal
data: only an admin gets them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, require_admin, transaction
from mapping.store.picture import selection
from mapping.store.registry import find_round, ordered_rounds, parse_date, resolve_round

STATE_WORDS = {"reported": "reported", "carried": "carried forward", "rejected": "rejected", "none": "not yet"}


def day(value: dt.date | dt.datetime | None) -> str:
    """The one date format people read on screen and in messages: 30 Nov 2026."""
    if value is None:
        return ""
    return value.strftime("%d %b %Y").lstrip("0")


@dataclass(frozen=True)
class OrgReport:
    """One organisation's standing in a round."""

    org: str
    org_id: int
    state: str                              # reported | carried | rejected | none
    last_return: dt.datetime | None = None  # the accepted return shown (its own date, also when carried)
    carried_from: str | None = None
    rejected_at: dt.datetime | None = None  # the latest rejected upload in the round, if no accepted one
    rejected_errors: int = 0
    focal_points: tuple[str, ...] = ()      # e-mails: only for an admin

    def label(self) -> str:
        """What the Data freshness table and the Organisations tab say."""
        if self.state == "reported":
            return f"reported {day(self.last_return)}"
        if self.state == "carried":
            text = f"carried forward from {self.carried_from}"
            if self.rejected_at is not None:
                text += f"; rejected on {day(self.rejected_at)} — {self.rejected_errors} errors"
            return text
        if self.state == "rejected":
            return f"rejected on {day(self.rejected_at)} — {self.rejected_errors} error{'s' * (self.rejected_errors != 1)}"
        return "not yet"


@dataclass(frozen=True)
class RoundStatus:
    round_name: str | None
    deadline: dt.date | None
    orgs: list[OrgReport] = field(default_factory=list)

    def of(self, state: str) -> list[OrgReport]:
        return [o for o in self.orgs if o.state == state]

    @property
    def missing(self) -> list[OrgReport]:
        """Organisations with no accepted return in the round itself (carried, rejected or nothing)."""
        return [o for o in self.orgs if o.state != "reported"]

    def sentence(self) -> str:
        """One line for the top of the Data freshness panel."""
        if not self.orgs:
            return "No organisations registered yet."
        name = self.round_name or "this round"
        done = len(self.of("reported"))
        parts = [f"{done} of {len(self.orgs)} organisations have reported in {name}"]
        if carried := self.of("carried"):
            rounds = sorted({o.carried_from for o in carried if o.carried_from})
            parts.append(f"{len(carried)} {'is' if len(carried) == 1 else 'are'} carried forward from "
                         f"{', '.join(rounds)}")
        if rejected := self.of("rejected"):
            parts.append(f"{len(rejected)} had their return rejected")
        if none := self.of("none"):
            parts.append(f"{len(none)} {'has' if len(none) == 1 else 'have'} sent nothing")
        text = "; ".join(parts) + "."
        if self.deadline is not None:
            text += f" Deadline: {day(self.deadline)}."
        return text

    def to_json(self) -> dict:
        return {"round": self.round_name, "deadline": self.deadline, "sentence": self.sentence(),
                "orgs": [{"org": o.org, "state": o.state, "label": o.label(), "last_return": o.last_return,
                          "carried_from": o.carried_from, "rejected_at": o.rejected_at,
                          "rejected_errors": o.rejected_errors, "focal_points": list(o.focal_points)}
                         for o in self.orgs]}


def round_status(engine: Engine, actor: Actor, round_name: str | None = None) -> RoundStatus:
    """Every registered organisation's standing in the round (default: the open round, else the latest)."""
    s, o, u = m.submissions, m.organisations, m.users
    with transaction(engine, write=False) as conn:
        rnd = _round(conn, round_name)
        if rnd is None:
            return RoundStatus(None, None, [])
        _, chosen = selection(conn, rnd.name)
        subs = conn.execute(select(s.c.id, s.c.org_id, s.c.round_id, s.c.status, s.c.submitted_at, s.c.errors)).all()
        # expected to report: not merged into another record, and not only on the reference (starter) list
        # unless it has sent something
        sent = {x.org_id for x in subs}
        orgs = [x for x in conn.execute(select(*[c for c in (o.c.id, o.c.name, o.c.get("reporting"),
                                                               o.c.get("merged_into")) if c is not None])
                                       .order_by(o.c.name)).all()
                if getattr(x, "merged_into", None) is None and (getattr(x, "reporting", True) or x.id in sent)]
        names = {r.id: r.name for r in ordered_rounds(conn)}
        emails: dict[int, list[str]] = {}
        if actor.role == "admin":
            for row in conn.execute(select(u.c.org_id, u.c.email).where(
                    (u.c.role == "focal_point") & (u.c.active.is_(True))).order_by(u.c.email)):
                emails.setdefault(row.org_id, []).append(row.email)
    by_id = {x.id: x for x in subs}
    shown = {by_id[sid].org_id: (by_id[sid], carried) for sid, carried in chosen.items() if sid in by_id}
    out = []
    for org in orgs:
        rejected = [x for x in subs if x.org_id == org.id and x.round_id == rnd.id and x.status == "rejected"]
        last_rejected = max(rejected, key=lambda x: (x.submitted_at, x.id)) if rejected else None
        sub, carried = shown.get(org.id, (None, False))
        kw: dict[str, Any] = {"focal_points": tuple(emails.get(org.id, ()))}
        if last_rejected is not None and (sub is None or carried):
            kw |= {"rejected_at": last_rejected.submitted_at, "rejected_errors": int(last_rejected.errors or 0)}
        if sub is not None and not carried:
            state = "reported"
        elif sub is not None:
            state, kw["carried_from"] = "carried", names.get(sub.round_id)
        else:
            state = "rejected" if last_rejected is not None else "none"
        out.append(OrgReport(org.name, org.id, state, last_return=sub.submitted_at if sub is not None else None,
                             **kw))
    return RoundStatus(rnd.name, rnd.deadline, out)


def _round(conn, round_name: str | None):
    if round_name:
        return find_round(conn, round_name)
    try:
        return resolve_round(conn, None)
    except StoreError:  # every round locked: the latest one
        rounds = ordered_rounds(conn)
        return rounds[-1] if rounds else None


def set_deadline(engine: Engine, actor: Actor, round_name: str, deadline: Any) -> dt.date | None:
    """Set (or, with None, clear) the day returns for a round are due."""
    require_admin(actor, "set round deadlines")
    when = None if deadline in (None, "") else parse_date(deadline, "The deadline")
    with transaction(engine) as conn:
        rnd = find_round(conn, round_name)
        conn.execute(update(m.rounds).where(m.rounds.c.id == rnd.id).values(deadline=when))
        audit(conn, actor, "round.deadline", "round", rnd.id, {"name": rnd.name, "deadline": when})
    return when


def deadline(engine: Engine, round_name: str | None = None) -> tuple[str, dt.date] | None:
    """(round, deadline) for the round a return would go to, when it has one."""
    with transaction(engine, write=False) as conn:
        rnd = _round(conn, round_name)
    if rnd is None or rnd.deadline is None:
        return None
    return rnd.name, rnd.deadline



# --------------------------------------------------------------------------- an organisation's timeline

STATUS_WORDS = {"accepted": "accepted (current)", "superseded": "accepted, later replaced", "rejected": "rejected",
                "rolled_back": "rolled back"}


@dataclass(frozen=True)
class TimelineEntry:
    """One return of an organisation, and what it changed against the return before it."""

    submission_id: int
    round_name: str
    submitted_at: dt.datetime
    submitted_by: str | None
    filename: str
    status: str                       # accepted | superseded | rejected | rolled_back
    rows: int
    errors: int
    new: int = 0
    changed: int = 0
    ended: int = 0
    rolled_back_by: str | None = None
    rolled_back_at: dt.datetime | None = None

    def what(self) -> str:
        """The status and the change in words: "accepted (current): 2 new, 1 changed, 3 ended"."""
        text = STATUS_WORDS.get(self.status, self.status)
        if self.status == "rejected":
            return f"{text}: {self.errors} error{'s' * (self.errors != 1)}, nothing stored"
        change = f"{self.new} new, {self.changed} changed, {self.ended} ended"
        if self.rolled_back_at is not None:
            text += f" by {self.rolled_back_by} on {day(self.rolled_back_at)}"
        return f"{text}: {self.rows} activities ({change})"

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"what": self.what()}


def timeline(engine: Engine, actor: Actor, org: str) -> list[TimelineEntry]:
    """Every return of one organisation, oldest first: who, when, its fate, and what it changed.

    A stored return is compared with the organisation's previous stored return (any round), matched by activity
    ID or by sector, activity and place as the round comparison does; a rejected one changed nothing.
    """
    from mapping.store.picture import diff_rows, load
    from mapping.store.registry import find_org

    require_admin(actor, "see an organisation's timeline")
    s, r, a = m.submissions, m.rounds, m.audit_log
    with transaction(engine, write=False) as conn:
        found = find_org(conn, org)
        subs = conn.execute(select(s.c.id, s.c.status, s.c.submitted_at, s.c.user_email, s.c.filename, s.c.rows,
                                   s.c.errors, r.c.name.label("round_name"))
                            .join(r, r.c.id == s.c.round_id).where(s.c.org_id == found.id)
                            .order_by(s.c.submitted_at, s.c.id)).all()
        rollbacks = {row.object_id: row for row in conn.execute(
            select(a.c.object_id, a.c.email, a.c.at).where((a.c.action == "submission.rollback")
                                                           & (a.c.object_type == "submission")))}
        frames = {x.id: load(conn, {x.id: False}, contacts=False).to_dict("records")
                  for x in subs if x.status != "rejected"}
    out, before = [], []
    for x in subs:
        kw: dict[str, Any] = {}
        if x.id in frames:
            d = diff_rows(before, frames[x.id])
            kw = {"new": len(d["new"]), "changed": len(d["changed"]), "ended": len(d["ended"])}
            if x.status != "rolled_back":
                before = frames[x.id]
        if (rb := rollbacks.get(str(x.id))) is not None:
            kw |= {"rolled_back_by": rb.email, "rolled_back_at": rb.at}
        out.append(TimelineEntry(x.id, x.round_name, x.submitted_at, x.user_email, x.filename, x.status,
                                 int(x.rows or 0), int(x.errors or 0), **kw))
    return out
