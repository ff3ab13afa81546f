"""The current picture: which return counts for each organisation, and its activities as one DataFrame.

For a round R (default: the latest round anyone has reported in), an organisation's return is its latest
accepted submission in R. When R carries forward, an organisation that has not reported in R keeps its
latest accepted return from an earlier round, flagged `carried_forward` so every view can say so.
Contact details are personal data: admins see all, a focal point only its own organisation's, others none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from mapping.errors import StocktakeError
from mapping.returns.schema import CONTACT_FIELDS, FIELD_BY_NAME, FIELD_NAMES, REPLACEMENT_RULE, load_vocabularies
from mapping.store import models as m
from mapping.store import vocabulary
from mapping.store.db import ROLE_LABELS, Actor, PermissionDenied, public_view_enabled, transaction
from mapping.store.registry import canonical_orgs, find_org, find_round, ordered_rounds, resolve_round

__all__ = ["REPLACEMENT_RULE", "Replacement", "compare_rounds", "current_activities", "data_version", "load",
           "replacement", "selection"]

EXTRA_COLUMNS: tuple[str, ...] = ("match_method", "match_score", "source_row", "org_id", "submission_id",
                                  "round_name", "submitted_at", "carried_forward")
DATE_FIELDS = tuple(n for n in FIELD_NAMES if FIELD_BY_NAME[n].kind == "date")
NUMBER_FIELDS = tuple(n for n in FIELD_NAMES if FIELD_BY_NAME[n].kind in ("int", "number"))


def selection(conn: Connection, round_name: str | None = None) -> tuple[Any, dict[int, bool]]:
    """(the round shown, {submission id: carried forward?}) for the picture of `round_name`."""
    rounds = ordered_rounds(conn)
    if not rounds:
        return None, {}
    index = {r.id: i for i, r in enumerate(rounds)}
    s = m.submissions
    subs = conn.execute(select(s.c.id, s.c.org_id, s.c.round_id, s.c.submitted_at)
                        .where(s.c.status == "accepted")).all()
    if round_name:
        target = find_round(conn, round_name)
    else:
        reported = {x.round_id for x in subs}
        target = ([r for r in rounds if r.id in reported] or rounds)[-1]
    t = index[target.id]
    best: dict[int, tuple[tuple, int, bool]] = {}
    for x in subs:
        i = index[x.round_id]
        if i == t:
            key, carried = (1, i, x.submitted_at, x.id), False
        elif i < t and target.carry_forward:
            key, carried = (0, i, x.submitted_at, x.id), True
        else:
            continue
        if x.org_id not in best or key > best[x.org_id][0]:
            best[x.org_id] = (key, x.id, carried)
    return target, {sid: carried for _, sid, carried in best.values()}


CONTACT_SENTENCES = {
    "all": "Focal points' contact details are included (personal data: share with care).",
    "own": "Contact details are included for your own organisation's activities only; other organisations' are "
           "left out.",
    "none": "Contact details are left out: only the secretariat, and each organisation's focal point for its own "
            "activities, can export them.",
}


def contacts_shown(actor: Actor | None) -> str:
    """Whose contact details this person's picture and exports carry: all, own (organisation) or none.

    The one rule behind `current_activities` and what the Export page says about it."""
    if actor is None:
        return "none"
    return {"admin": "all", "focal_point": "own"}.get(actor.role, "none")


def _contact_policy(engine: Engine, actor: Actor) -> str:
    if actor.role in ("admin", "focal_point", "viewer"):
        return contacts_shown(actor)
    if actor.role == "public" and public_view_enabled(engine):
        return "none"
    if actor.role == "public":
        raise PermissionDenied("The public view is switched off: sign in to see the consolidated picture.")
    raise PermissionDenied(f"Unknown role {ROLE_LABELS.get(actor.role, actor.role)!r}.")


def empty_picture(contacts: bool = True) -> pd.DataFrame:
    fields = [n for n in FIELD_NAMES if contacts or n not in CONTACT_FIELDS]
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in [*fields, *EXTRA_COLUMNS]})
    return _types(df)


def _types(df: pd.DataFrame) -> pd.DataFrame:
    for c in DATE_FIELDS:
        if c in df:
            df[c] = pd.to_datetime(df[c], errors="coerce", format="ISO8601")
    for c in (*NUMBER_FIELDS, "match_score"):
        if c in df:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float).replace([float("inf"), float("-inf")],
                                                                                float("nan"))
    df["submitted_at"] = pd.to_datetime(df["submitted_at"], errors="coerce", format="ISO8601")
    df["carried_forward"] = df["carried_forward"].astype(bool)
    return df


def load(conn: Connection, chosen: dict[int, bool], *, contacts: bool) -> pd.DataFrame:
    """The activities of the chosen submissions, typed for analysis (dates datetime64, numbers float)."""
    if not chosen:
        return empty_picture(contacts)
    a, s, o, r = m.activities, m.submissions, m.organisations, m.rounds
    fields = [n for n in FIELD_NAMES if contacts or n not in CONTACT_FIELDS]
    stmt = (select(*[a.c[n] for n in fields], a.c.match_method, a.c.match_score, a.c.row.label("source_row"),
                   s.c.org_id, a.c.submission_id, r.c.name.label("round_name"), s.c.submitted_at,
                   o.c.type.label("_org_type"))
            .join(s, s.c.id == a.c.submission_id).join(o, o.c.id == s.c.org_id).join(r, r.c.id == s.c.round_id)
            .where(a.c.submission_id.in_(sorted(chosen)) & a.c.queued.is_(False)).order_by(o.c.name, a.c.id))
    df = _frame(conn, stmt)
    _by_identity(conn, df)
    _through_confirmed_values(conn, df)
    blank = df["org_type"].isna() | (df["org_type"].astype(str).str.strip() == "")
    df.loc[blank, "org_type"] = df.loc[blank, "_org_type"]
    df = df.drop(columns=["_org_type"])
    df["carried_forward"] = df["submission_id"].map(chosen).fillna(False)
    return _types(df)


def _by_identity(conn: Connection, df: pd.DataFrame) -> None:
    """Every activity counts for the organisation its return's record *is*: a record merged into another
    reports under that one's id and name, so one organisation spelled three ways is one partner."""
    if not len(df):
        return
    canon = canonical_orgs(conn)
    ids = df["org_id"]
    df["org_id"] = ids.map({i: c.id for i, c in canon.items()}).fillna(ids).astype(ids.dtype)
    df["org_name"] = ids.map({i: c.name for i, c in canon.items()}).fillna(df["org_name"])
    df["_org_type"] = ids.map({i: c.type for i, c in canon.items()})
    # an implementing partner, donor or lead stored under a merged record's name is the surviving one too
    renamed = {name: canon[i].name for i, name in _names(conn).items() if canon[i].name != name}
    for column in ("org_impl", "org_funder", "org_lead"):
        if renamed and column in df.columns:
            df[column] = df[column].replace(renamed)


def _through_confirmed_values(conn: Connection, df: pd.DataFrame) -> None:
    """A value kept as written because it was not on a list ('Saúde', 'Em andamento') reads as what a person
    later confirmed it means (a vocabulary alias): the row stays stored as written, and a mapping made after the
    upload, or removed again, shows in the picture at once instead of leaving the rows 'not on the list'."""
    if not len(df):
        return
    confirmed = vocabulary.by_key(conn)
    if not confirmed:
        return
    vocab = load_vocabularies()
    for field in ("sector", "status", "org_type", "modality"):
        table, listed = confirmed.get(field), vocab.listed(field)
        if not table or field not in df.columns:
            continue
        mapped = {v: table[key] for v in df[field].dropna().unique()
                  if isinstance(v, str) and v.lower() not in listed and (key := vocabulary.alias_key(v)) in table}
        if mapped:
            df[field] = [mapped.get(v, v) if isinstance(v, str) else v for v in df[field]]
    table = confirmed.get("subsector")
    if table and "subsector" in df.columns:
        own = {sector: set(vocab.subsectors_of(sector)) for sector in vocab.sector_names}
        pairs = df[["sector", "subsector"]].dropna().drop_duplicates().itertuples(index=False)
        mapped_sub = {(sector, sub): target for sector, sub in pairs
                      if isinstance(sub, str) and sub not in own.get(sector, ())
                      and (target := table.get(vocabulary.alias_key(sub))) in own.get(sector, ())}
        if mapped_sub:
            df["subsector"] = [mapped_sub.get((sector, sub), sub)
                               for sector, sub in zip(df["sector"], df["subsector"], strict=True)]


def _names(conn: Connection) -> dict[int, str]:
    o = m.organisations
    return dict(conn.execute(select(o.c.id, o.c.name)).all())


_CHUNK = 20_000  # rows fetched and condensed at a time


def _frame(conn: Connection, stmt) -> pd.DataFrame:
    """Run a select straight on the driver's cursor: for 200k rows, SQLAlchemy's per-row processing (date
    parsing on SQLite, Row objects) costs more than the query; pandas converts whole columns at once.

    The driver makes a new string for every cell, so 200,000 rows saying "Health" hold 200,000 copies of it (a
    quarter of a gigabyte for the picture, which the server keeps per role and organisation). Rows are read a chunk
    at a time and each text column keeps one copy of each distinct value (`_shared`) before the next chunk is read,
    so the copies never pile up.
    """
    # The only parameters are submission ids (integers), so rendering them inline is safe.
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    names = [c.name for c in stmt.selected_columns]
    cursor = conn.connection.dbapi_connection.cursor()
    chunks: list[dict[str, pd.Series]] = []
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(_CHUNK):
            part = pd.DataFrame.from_records(rows, columns=names, coerce_float=False)
            del rows
            chunks.append({c: _shared(part[c]) for c in names})  # new columns: the chunk's block goes
            del part
    finally:
        cursor.close()
    if len(chunks) < 2:
        return pd.DataFrame(chunks[0]) if chunks else pd.DataFrame.from_records([], columns=names, coerce_float=False)
    columns = {}
    for c in names:  # column by column: a frame's concat inspects every cell of an object column for blanks
        pieces = [chunk.pop(c) for chunk in chunks]
        if len({p.dtype for p in pieces}) == 1:
            columns[c] = pd.concat(pieces, ignore_index=True)
        else:  # a chunk of blanks reads as object beside another's numbers: the type all rows give together
            columns[c] = pd.concat([p.astype(object) for p in pieces], ignore_index=True).infer_objects()
    return pd.DataFrame(columns)


def _shared(column: pd.Series) -> pd.Series:
    """A text column holding one object per distinct value (equal strings are interchangeable), as a new array.
    A column of mostly distinct values (IDs) or of values other than text (equal numbers of different types would
    merge: 1 and 1.0) is copied as it is; a typed column (numbers) is already compact."""
    if column.dtype != object:
        return column
    codes, uniques = pd.factorize(column.to_numpy(), use_na_sentinel=True)
    if len(uniques) * 2 > len(column) or pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        return column.copy()
    return pd.Series(np.append(uniques.astype(object), None)[codes], index=column.index, name=column.name)


def current_activities(engine: Engine, actor: Actor, *, round_name: str | None = None) -> pd.DataFrame:
    """The consolidated picture the map, matrices and exports are built from, with contacts only if allowed."""
    policy = _contact_policy(engine, actor)
    with transaction(engine, write=False) as conn:
        _, chosen = selection(conn, round_name)
        df = load(conn, chosen, contacts=policy != "none")
        canon = canonical_orgs(conn) if policy == "own" else {}
    if policy == "own" and len(df):
        own = canon[actor.org_id].id if actor.org_id in canon else actor.org_id
        others = df["org_id"] != own
        for c in CONTACT_FIELDS:
            df[c] = df[c].astype(object)
            df.loc[others, c] = None
    return df


def data_version(engine: Engine, actor: Actor | None = None, round_name: str | None = None) -> str:
    """A short key that changes whenever the picture could change (cache key for pages and exports)."""
    with transaction(engine, write=False) as conn:
        target, chosen = selection(conn, round_name)
        last_change = conn.execute(select(func.max(m.audit_log.c.id))).scalar() or 0
    key = f"{target.name if target is not None else ''}|{sorted(chosen.items())}|{last_change}|" \
          f"{actor.role if actor else ''}|{actor.org_id if actor else ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


# what the organisation says about itself (acronym, type) is filled in by the store, not part of an activity
_COMPARED = tuple(n for n in FIELD_NAMES if n not in CONTACT_FIELDS
                  and n not in ("activity_id", "org_name", "org_acronym", "org_type"))


def _key(row: dict) -> str:
    org = str(row.get("org_name") or "").strip().lower()
    if row.get("activity_id"):
        return f"{org}|id:{str(row['activity_id']).strip()}"
    place = row.get("adm2_pcode") or row.get("adm1_pcode") or ""
    return "|".join([org, *(str(row.get(k) or "").strip().lower() for k in ("sector", "activity")), place])


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, dt.date):  # a return's dates (date objects) compare with the stored ones (timestamps)
        return v.isoformat()
    if isinstance(v, str):
        return v.strip() or None
    return v


def _summary(row: dict) -> dict:
    return {k: _plain(row.get(k)) for k in ("activity_id", "org_name", "sector", "activity", "adm1_pcode",
                                            "adm1_name", "adm2_pcode", "adm2_name", "status")}


def _keyed(rows: list[dict]) -> tuple[dict[tuple[str, int], dict], dict[str, int]]:
    """Rows by (key, occurrence): two activities sharing an ID stay two activities, paired in file order."""
    seen: dict[str, int] = {}
    out: dict[tuple[str, int], dict] = {}
    for row in rows:
        k = _key(row)
        n = seen.get(k, 0)
        seen[k] = n + 1
        out[(k, n)] = row
    return out, seen


def diff_rows(before: list[dict], after: list[dict]) -> dict:
    """Rows of `after` against rows of `before`, matched by activity ID, else by org, sector, activity and place.

    A key used by several activities (one ID on two rows) is not collapsed: its rows are paired in order, so
    new + changed + unchanged is every current activity, and the repeated keys are listed in `duplicates`."""
    old, old_counts = _keyed(before)
    new, new_counts = _keyed(after)
    out: dict[str, Any] = {"new": [], "changed": [], "ended": [], "unchanged": 0, "duplicates": []}
    for k, row in new.items():
        if k not in old:
            out["new"].append(_summary(row))
            continue
        changes = {f: [_plain(old[k].get(f)), _plain(row.get(f))] for f in _COMPARED
                   if _plain(old[k].get(f)) != _plain(row.get(f))}
        if changes:
            out["changed"].append(_summary(row) | {"changes": changes})
        else:
            out["unchanged"] += 1
    out["ended"] = [_summary(row) for k, row in old.items() if k not in new]
    for key in sorted(k for k in set(old_counts) | set(new_counts)
                      if old_counts.get(k, 0) > 1 or new_counts.get(k, 0) > 1):
        row = new.get((key, 0)) or old[(key, 0)]
        out["duplicates"].append(_summary(row) | {"previous": old_counts.get(key, 0),
                                                  "current": new_counts.get(key, 0)})
    return out


def compare_rounds(engine: Engine, a: str, b: str, *, actor: Actor | None = None) -> dict:
    """What changed from round `a` to round `b`, matched by activity ID (or by org, sector, activity, place).

    Returns {"previous", "current", "new": [...], "changed": [{..., "changes": {field: [before, after]}}],
    "ended": [...], "unchanged": n}. Carried-forward returns count as reported in `b`.
    """
    with transaction(engine, write=False) as conn:
        ra, rb = find_round(conn, a), find_round(conn, b)
        before = load(conn, selection(conn, ra.name)[1], contacts=False)
        after = load(conn, selection(conn, rb.name)[1], contacts=False)
    return {"previous": ra.name, "current": rb.name} | diff_rows(before.to_dict("records"), after.to_dict("records"))


# --------------------------------------------------------------------------- what a new return replaces



@dataclass(frozen=True)
class Replacement:
    """What confirming a return would do to the organisation's activities in the picture."""

    org: str
    round_name: str | None
    current: int                 # activities the organisation has in the picture now
    carried_from: str | None     # the earlier round they are carried forward from, if they are
    unchanged: int
    changed: list[dict]
    new: list[dict]
    disappearing: list[dict]     # current activities the return leaves out

    @property
    def kept(self) -> int:
        """Current activities the return keeps, changed or not."""
        return self.unchanged + len(self.changed)

    def sentence(self) -> str:
        """One plain sentence for the confirm step: how many stay, how many come, which ones go."""
        adding = f"{len(self.new)} new" if self.new else "none new"
        if not self.current:
            return f"{self.org} has no activities in the picture yet: this return adds {len(self.new)}."
        source = f" (carried forward from {self.carried_from})" if self.carried_from else ""
        text = (f"This replaces the {self.current} current activit{'y' if self.current == 1 else 'ies'} of "
                f"{self.org}{source}: {self.kept} kept or changed, {adding}")
        if not self.disappearing:
            return text + ", none will disappear."
        gone = [_where(d) for d in self.disappearing]
        listed = ", ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
        return text + f", {len(self.disappearing)} will disappear ({listed})."

    def to_json(self) -> dict:
        return {"org": self.org, "round": self.round_name, "current": self.current,
                "carried_from": self.carried_from, "kept": self.kept, "unchanged": self.unchanged,
                "changed": self.changed, "new": self.new, "disappearing": self.disappearing,
                "sentence": self.sentence()}


def _where(row: dict) -> str:
    place = row.get("adm2_name") or row.get("adm1_name") or row.get("adm2_pcode") or row.get("adm1_pcode")
    what = row.get("activity") or row.get("sector") or "activity"
    return f"{what} in {place}" if place else str(what)


def replacement(engine: Engine, actor: Actor, org: str, records: list[dict], *,
                round_name: str | None = None) -> Replacement:
    """What storing `records` as `org`'s return would replace, before the focal point confirms.

    A return replaces the organisation's whole list (the store keeps one current return per organisation and
    round), so an activity left out of the file disappears. Shown before confirming, and printed by the
    `validate` and `submit` commands, so nobody loses activities without being told which.
    """
    _contact_policy(engine, actor)  # may this actor read the picture at all
    o = m.organisations
    with transaction(engine, write=False) as conn:
        found = find_org(conn, org)
        try:
            rnd = resolve_round(conn, round_name)
        except StocktakeError:  # no open round: the store will refuse the return and say so
            rnd = None
        target, chosen = selection(conn, rnd.name if rnd is not None else round_name)
        s = m.submissions
        own = set(conn.execute(select(s.c.id).where((s.c.org_id == found.id) & s.c.id.in_(sorted(chosen))))
                  .scalars()) if chosen else set()
        mine = {sid: carried for sid, carried in chosen.items() if sid in own}
        before = load(conn, mine, contacts=False) if mine else empty_picture(contacts=False)
        carried_from = None
        if len(before) and bool(before["carried_forward"].any()):
            carried_from = str(before["round_name"].iloc[0])
        name = conn.execute(select(o.c.name).where(o.c.id == found.id)).scalar()
    rows = [{k: v for k, v in r.items() if not str(k).startswith("_")} | {"org_name": name} for r in records]
    old = [r | {"org_name": name} for r in before.to_dict("records")]
    d = diff_rows(old, rows)
    return Replacement(org=name, round_name=(rnd.name if rnd is not None else getattr(target, "name", None)),
                       current=len(old), carried_from=carried_from, unchanged=d["unchanged"],
                       changed=d["changed"], new=d["new"], disappearing=d["ended"])
