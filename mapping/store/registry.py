"""Reference lists the secretariat keeps: organisations, reporting rounds, boundary sets, learned place names.

Each is small, changes rarely and is read by ingest (organisation directory, learned aliases) or by the
picture (round order, carry-forward). Writes are admin-only and audited like every other change.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, jsonable, require_admin, transaction, utcnow

# --------------------------------------------------------------------------- organisations

def _norm(s: str | None) -> str:
    return " ".join(str(s or "").lower().split())


def _org_dict(row) -> dict:
    return {"id": row.id, "name": row.name, "acronym": row.acronym, "type": row.type,
            "aliases": list(row.aliases or []), "iati_id": row.iati_id, "merged_into": row.merged_into,
            "reporting": bool(row.reporting)}


def canonical(rows: list[Any]) -> dict[int, Any]:
    """Each organisation id → the record it counts as: itself, or the end of its chain of merges."""
    by_id = {r.id: r for r in rows}
    out: dict[int, Any] = {}
    for r in rows:
        seen, cur = {r.id}, r
        while cur.merged_into is not None and cur.merged_into in by_id and cur.merged_into not in seen:
            seen.add(cur.merged_into)
            cur = by_id[cur.merged_into]
        out[r.id] = cur
    return out


def canonical_orgs(conn: Connection) -> dict[int, Any]:
    return canonical(list(conn.execute(select(m.organisations))))


def find_org(conn: Connection, name: str | int, *, follow: bool = True) -> Any:
    """An organisation by id, name, acronym or alias (case and spacing ignored); StoreError when unknown.
    A record merged into another gives that one (`follow=False`: the record itself, to undo the merge)."""
    rows = conn.execute(select(m.organisations)).all()
    found = None
    if isinstance(name, int) or (isinstance(name, str) and name.isdigit()):
        found = next((r for r in rows if r.id == int(name)), None)
    key = _norm(str(name))
    for attr in ("name", "acronym"):
        found = found or next((r for r in rows if _norm(getattr(r, attr)) == key), None)
    found = found or next((r for r in rows if key in {_norm(a) for a in (r.aliases or [])}), None)
    if found is None:
        raise StoreError(f"No organisation called {name!r}.", hint="An admin can add it (Admin page, Organisations).",
                         cli_hint=f"Add it: python -m mapping orgs add \"{name}\" --acronym ABC "
                                  "--type \"National NGO\".")
    return canonical(rows)[found.id] if follow else found


def add_org(engine: Engine, actor: Actor, name: str, *, acronym: str | None = None, org_type: str | None = None,
            aliases: list[str] | tuple[str, ...] = (), iati_id: str | None = None) -> int:
    """Register a partner; the names it may appear under in returns go in `aliases`. Adding one that is on
    the reference list enlists it (it is now expected to report) instead of creating a second record."""
    require_admin(actor, "add organisations")
    name = " ".join((name or "").split())
    if not name:
        raise StoreError("An organisation needs a name.")
    t = m.organisations
    values: dict[str, Any] = {"acronym": acronym or None, "type": org_type or None,
                              "iati_id": (iati_id or "").strip() or None,
                              "aliases": [a.strip() for a in aliases if a and a.strip()]}
    with transaction(engine) as conn:
        row = conn.execute(select(t).where(func.lower(t.c.name) == name.lower())).first()
        if row is not None and (row.reporting or row.merged_into is not None):
            raise StoreError(f"The organisation {name!r} already exists.")
        if row is not None:  # on the reference list: enlist it, keeping what the list knew
            kept = {k: v for k, v in values.items() if v}
            kept["aliases"] = list(dict.fromkeys([*(row.aliases or []), *values["aliases"]]))
            conn.execute(update(t).where(t.c.id == row.id).values(reporting=True, **kept))
            audit(conn, actor, "org.enlist", "organisation", row.id, {"name": row.name, **kept})
            return int(row.id)
        oid = conn.execute(insert(t).values(name=name, created_at=utcnow(), reporting=True, **values)
                           ).inserted_primary_key[0]
        audit(conn, actor, "org.add", "organisation", oid, {"name": name, **values})
    return int(oid)


def update_org(engine: Engine, actor: Actor, name: str, *, acronym: str | None = None,
               org_type: str | None = None, aliases: list[str] | None = None, iati_id: str | None = None) -> None:
    """Correct an organisation's acronym, type, aliases or IATI identifier (the name is the stable key)."""
    require_admin(actor, "edit organisations")
    with transaction(engine) as conn:
        row = find_org(conn, name, follow=False)
        values: dict[str, Any] = {}
        if acronym is not None:
            values["acronym"] = acronym or None
        if org_type is not None:
            values["type"] = org_type or None
        if aliases is not None:
            values["aliases"] = [a.strip() for a in aliases if a.strip()]
        if iati_id is not None:
            values["iati_id"] = iati_id.strip() or None
        if values:
            conn.execute(update(m.organisations).where(m.organisations.c.id == row.id).values(**values))
            audit(conn, actor, "org.update", "organisation", row.id, values)


def list_orgs(engine: Engine, *, reference: bool = False, merged: bool = False) -> list[dict]:
    """The organisations expected to report (or that have reported), by name, each with its accepted
    submissions (those of records merged into it included). `reference` adds the rest of the starter
    list; `merged` adds the records merged into others (`merged_into_name` says into which)."""
    o, s = m.organisations, m.submissions
    with transaction(engine, write=False) as conn:
        rows = list(conn.execute(select(o).order_by(o.c.name)))
        counts = dict(conn.execute(select(s.c.org_id, func.count()).where(s.c.status == "accepted")
                                   .group_by(s.c.org_id)).all())
    canon = canonical(rows)
    total: dict[int, int] = {}
    for oid, n in counts.items():
        if oid in canon:
            total[canon[oid].id] = total.get(canon[oid].id, 0) + int(n)
    out = []
    for r in rows:
        is_merged = canon[r.id].id != r.id
        if is_merged and not merged:
            continue
        if not is_merged and not reference and not r.reporting and not total.get(r.id):
            continue
        out.append(_org_dict(r) | {"submissions": 0 if is_merged else total.get(r.id, 0),
                                   "merged_into_name": canon[r.id].name if is_merged else None})
    return out


def org_directory(engine: Engine) -> list[dict]:
    """What ingest needs to recognise an organisation however a return spells it: every record that counts
    (reference list included), with the names of the records merged into it as aliases."""
    with transaction(engine, write=False) as conn:
        rows = list(conn.execute(select(m.organisations).order_by(m.organisations.c.name)))
    canon = canonical(rows)
    extra: dict[int, list[str]] = {}
    for r in rows:
        target = canon[r.id]
        if target.id != r.id:
            extra.setdefault(target.id, []).extend(x for x in (r.name, r.acronym, *(r.aliases or [])) if x)
    return [{"id": r.id, "name": r.name, "acronym": r.acronym, "type": r.type, "iati_id": r.iati_id,
             "aliases": list(dict.fromkeys([*(r.aliases or []), *extra.get(r.id, [])]))}
            for r in rows if canon[r.id].id == r.id]


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

def parse_date(value: Any, what: str) -> dt.date:
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
    start_d, end_d = parse_date(start, "Start date"), parse_date(end, "End date")
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
        canon = canonical_orgs(conn)
        reported: dict[int, set[int]] = {}
        for round_id, org_id in conn.execute(select(s.c.round_id, s.c.org_id).where(s.c.status == "accepted")
                                             .distinct()):
            reported.setdefault(round_id, set()).add(canon[org_id].id if org_id in canon else org_id)
        counts = {k: len(v) for k, v in reported.items()}  # merged records count once, as the one they became
        return [{"id": r.id, "name": r.name, "period_start": r.period_start, "period_end": r.period_end,
                 "locked": bool(r.locked), "carry_forward": bool(r.carry_forward), "orgs_reported": counts.get(r.id, 0),
                 "deadline": getattr(r, "deadline", None)}
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
    raise StoreError("No reporting round is open.", hint="An admin must open one (Admin page, Rounds).",
                     cli_hint="Open one: python -m mapping rounds add \"2026 H2\" --start 2026-07-01 "
                              "--end 2026-12-31.")


# --------------------------------------------------------------------------- need indicator

NEED_LABEL_MAX = 200


def _need_frame(values: Any) -> tuple[list[list], int]:
    """(p-code, number) pairs from a DataFrame shaped like `analysis.read_need`'s, checked for the obvious."""
    import pandas as pd

    if not isinstance(values, pd.DataFrame) or len(values.columns) < 2:
        raise StoreError("A need indicator is a table of district p-codes and one number per district.")
    key = "adm2_pcode" if "adm2_pcode" in values.columns else values.columns[0]
    others = [c for c in values.columns if c != key]
    col = "value" if "value" in others else next(
        (c for c in others if pd.api.types.is_numeric_dtype(values[c])), others[0])
    codes = values[key].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v).strip())
    nums = pd.to_numeric(values[col], errors="coerce")
    keep = codes != ""
    codes, nums = codes[keep], nums[keep]
    dupes = sorted(set(codes[codes.duplicated()]))
    if dupes:
        raise StoreError(f"The need indicator lists {', '.join(dupes[:5])}{' …' if len(dupes) > 5 else ''} more "
                         "than once; keep one row per district p-code.")
    pairs = [[c, None if pd.isna(n) or n in (float("inf"), float("-inf")) else float(n)]
             for c, n in zip(codes, nums, strict=True)]
    districts = sum(1 for _, n in pairs if n is not None)
    if not districts:
        raise StoreError("The need indicator has no number in it: give one number per district p-code.")
    return pairs, districts


def set_need(engine: Engine, actor: Actor, *, label: str, values: Any, source_filename: str | None = None) -> dict:
    """Keep one need figure for the whole deployment (population, poverty rate …) so every viewer, the PDF and
    the command line rank gaps by the same numbers. Replaces the previous one, which stays as history.

    `values` is a DataFrame of adm2_pcode and value (or `analysis.read_need`'s shape). P-codes are stored as
    given: a figure may cover districts of another boundary set, and analysis simply ignores unknown codes.
    """
    import hashlib
    import json

    require_admin(actor, "set the need indicator")
    label = " ".join(str(label or "").split())
    if not label:
        raise StoreError("The need indicator needs a label that says what the number is, e.g. \"People in need\".")
    if len(label) > NEED_LABEL_MAX:
        raise StoreError(f"The label is {len(label)} characters long; keep it under {NEED_LABEL_MAX}.")
    pairs, districts = _need_frame(values)
    sha = hashlib.sha256(json.dumps([label, pairs]).encode()).hexdigest()
    t = m.need_indicators
    with transaction(engine) as conn:
        conn.execute(update(t).where(t.c.active.is_(True)).values(active=False))
        nid = conn.execute(insert(t).values(
            label=label, source_filename=(str(source_filename)[:500] if source_filename else None), sha256=sha,
            figures=pairs, districts=districts, active=True, user_id=actor.user_id, user_email=actor.email,
            created_at=utcnow())).inserted_primary_key[0]
        audit(conn, actor, "need.set", "need_indicator", nid, {"label": label, "source_filename": source_filename,
                                                                "rows": len(pairs), "districts": districts,
                                                                "sha256": sha})
    return need_info(engine) or {}


def clear_need(engine: Engine, actor: Actor) -> bool:
    """Stop ranking by need (the stored figures stay as history); False when none was set."""
    require_admin(actor, "remove the need indicator")
    t = m.need_indicators
    with transaction(engine) as conn:
        ids = list(conn.execute(select(t.c.id).where(t.c.active.is_(True))).scalars())
        if not ids:
            return False
        conn.execute(update(t).where(t.c.id.in_(ids)).values(active=False))
        audit(conn, actor, "need.clear", "need_indicator", ids[-1], {})
    return True


def _active_need(conn: Connection, *columns) -> Any:
    t = m.need_indicators
    return conn.execute(select(*(columns or (t,))).where(t.c.active.is_(True)).order_by(t.c.id.desc())).first()


def need_info(engine: Engine) -> dict | None:
    """What the active need figure is (label, file, districts, who set it when, version), without its values."""
    t = m.need_indicators
    with transaction(engine, write=False) as conn:
        row = _active_need(conn, t.c.id, t.c.label, t.c.source_filename, t.c.sha256, t.c.districts, t.c.user_email,
                           t.c.created_at)
    if row is None:
        return None
    return {"id": row.id, "label": row.label, "source_filename": row.source_filename, "districts": row.districts,
            "set_by": row.user_email, "set_at": row.created_at, "version": row.sha256[:16]}


def need(engine: Engine) -> Any:
    """The active need figure in `analysis.read_need`'s shape (adm2_pcode + one column named by the label,
    `.attrs["label"]`), or None when the secretariat has not set one."""
    import pandas as pd

    with transaction(engine, write=False) as conn:
        row = _active_need(conn)
    if row is None:
        return None
    pairs = list(row.figures or [])
    frame = pd.DataFrame({"adm2_pcode": pd.Series([p[0] for p in pairs], dtype=object),
                          row.label: pd.Series([p[1] for p in pairs], dtype="float64")})
    frame.attrs.update({"label": row.label, "source_filename": row.source_filename, "version": row.sha256[:16],
                        "set_by": row.user_email, "set_at": row.created_at})
    return frame


# --------------------------------------------------------------------------- review queue of place names

LOCATION_FIELDS = ("adm2_name", "adm2_pcode")


def _learned_covers(learned: dict[str, set[str]], district: str, province: str | None,
                    provinces: dict[str, str] | None) -> bool:
    """Would the gazetteer now match (province, district) through a learned alias? Mirrors its lookup:
    the alias learned for that province or for any province; without a province, any alias of that name."""
    adm1s = learned.get(_norm(district))
    if not adm1s:
        return False
    if province and provinces is None:
        return True  # without the boundary set's provinces, a learned name counts as reviewed
    code = provinces.get(_norm(province)) if province and provinces is not None else None
    if code is None:  # no province, or one the boundary set does not know: the gazetteer ignores it
        return "" in adm1s or len(adm1s) == 1
    return code in adm1s or "" in adm1s


def unmatched_locations(engine: Engine, actor: Actor, *, provinces: dict[str, str] | None = None,
                        limit: int = 200) -> list[dict]:
    """Place names returns used that matched no single district and are not learned yet, most frequent first.

    Built from the stored validation reports (errors on the district column with a value: unmatched or
    ambiguous), grouped by (province, district) as written. The admin picks the district once; the alias is
    learned and matches from then on. Each item: province, district, count (rows), orgs, latest_submission_id,
    suggestions. `provinces` (lower-case province name or p-code -> adm1_pcode, from the active boundary set)
    makes "already learned" exact: an alias learned for Punjab does not settle the same name written in Sindh.
    """
    require_admin(actor, "review unmatched place names")
    vi, s, o = m.validation_issues, m.submissions, m.organisations
    stmt = (select(vi.c.value, vi.c.province, vi.c.suggestion, vi.c.submission_id, o.c.name.label("org"))
            .join(s, s.c.id == vi.c.submission_id).join(o, o.c.id == s.c.org_id)
            .where(vi.c.field.in_(LOCATION_FIELDS) & (vi.c.severity == "error") & vi.c.value.is_not(None))
            .order_by(vi.c.submission_id.desc(), vi.c.id))
    learned: dict[str, set[str]] = {}
    with transaction(engine, write=False) as conn:
        rows = conn.execute(stmt).all()
        for r in conn.execute(select(m.learned_aliases.c.alias_key, m.learned_aliases.c.adm1_pcode)):
            learned.setdefault(r.alias_key, set()).add(r.adm1_pcode or "")
    provinces = {_norm(k): v for k, v in provinces.items()} if provinces is not None else None
    groups: dict[tuple[str, str], dict] = {}
    for r in rows:
        district = " ".join(str(r.value).split())
        province = " ".join(str(r.province or "").split()) or None
        if not district or _learned_covers(learned, district, province, provinces):
            continue
        item = groups.setdefault((_norm(province), _norm(district)), {
            "province": province, "district": district, "count": 0, "orgs": [], "latest_submission_id": None,
            "suggestions": []})
        item["count"] += 1
        if r.org not in item["orgs"]:
            item["orgs"].append(r.org)
        item["latest_submission_id"] = max(item["latest_submission_id"] or 0, int(r.submission_id))
        if r.suggestion and r.suggestion not in item["suggestions"]:
            item["suggestions"].append(r.suggestion)
    items = sorted(groups.values(), key=lambda d: (-d["count"], _norm(d["district"]), _norm(d["province"])))
    for item in items:
        item["orgs"] = sorted(item["orgs"])
        item["suggested_pcodes"] = suggested_pcodes(item["suggestions"])
    return items[:limit]


def suggested_pcodes(suggestions: list[str]) -> list[str]:
    """The p-codes named in "Did you mean Nowshera (PK217) or Swat (PK218)?", best first.

    The review queue pre-selects the first one, so one click on Learn saves what the gazetteer suggested, never
    whatever district happens to sort first.
    """
    out: list[str] = []
    for text in suggestions:
        for code in re.findall(r"\(([^()\s]+)\)", str(text)):
            if code not in out:
                out.append(code)
    return out
