"""The store: every number on the map traced to a return, a person and a date; no partner overwrites another.

A submission is immutable: a newer return supersedes it, a rollback marks it, nothing is deleted. Every
function that changes data takes the acting user (`Actor`) right after the engine, refuses what the role
does not allow (`PermissionDenied`), and writes its audit row in the same transaction as the change.

Rejected returns (validation errors) are kept as `rejected` submissions with their raw file and issues so
an upload is never lost, but they never hold activities and never count in the picture.

Shared plumbing is in `store.db`, reference lists in `store.registry`, accounts in `store.auth`.
The current picture (see `store.picture`) is, for each organisation, its latest accepted submission in a
round; rounds may carry forward the last return of organisations that did not report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from mapping import config
from mapping.returns.readers import ReturnError, read_book
from mapping.returns.result import IngestResult
from mapping.returns.schema import FIELD_BY_NAME, FIELD_NAMES, Issue
from mapping.store import models as m
from mapping.store.db import (
    ROLE_LABELS,
    Actor,
    PermissionDenied,
    StoreError,
    audit,
    jsonable,
    require_admin,
    require_org,
    transaction,
    utcnow,
)
from mapping.store.registry import (
    find_org,
    find_round,
    resolve_round,
)


@dataclass
class SubmitOutcome:
    status: str  # stored | duplicate | rejected
    submission_id: int | None
    message: str
    org: str | None = None
    round_name: str | None = None
    rows: int = 0
    queued: int = 0  # rows kept with the submission, waiting in the review queue
    replaced: dict | None = None  # what the stored return replaced (picture.Replacement.to_json), when known


# --------------------------------------------------------------------------- submissions

def _severities(issues: list[Issue]) -> tuple[int, int]:
    """(errors, warnings) among `issues`: a consolidated file's organisations are counted on their own rows."""
    errors = sum(1 for i in issues if i.severity == "error")
    return errors, sum(1 for i in issues if i.severity == "warning")


def _clean_text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def clean_number(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(str(v).replace(",", "")) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def clean_date(v: Any) -> dt.date | None:
    if v is None:
        return None
    if hasattr(v, "to_pydatetime"):  # pandas Timestamp (NaT included)
        try:
            v = v.to_pydatetime()
        except ValueError:
            return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v).strip()[:10])
    except ValueError:
        return None


_KNOWN_KEYS = set(FIELD_NAMES) | {"_row", "match_method", "match_score", "extra"}


def activity_row(rec: dict, org: Any, submission_id: int) -> dict:
    """One record of an ingest result as an `activities` row; the organisation is the submission's."""
    row: dict[str, Any] = {"submission_id": submission_id, "row": clean_number(rec.get("_row"))}
    row["row"] = int(row["row"]) if row["row"] is not None else None
    extra = dict(rec.get("extra") or {})
    for name in FIELD_NAMES:
        kind = FIELD_BY_NAME[name].kind
        value = rec.get(name)
        if kind == "date":
            row[name] = clean_date(value)
            if row[name] is None and _clean_text(value):
                extra[f"{name}_as_written"] = _clean_text(value)
        elif kind in ("int", "number"):
            row[name] = clean_number(value)
        else:
            row[name] = _clean_text(value)
    row["org_name"] = org.name  # a return speaks for its own organisation only
    row["org_acronym"] = row["org_acronym"] or org.acronym
    row["match_method"] = _clean_text(rec.get("match_method"))
    row["match_score"] = clean_number(rec.get("match_score"))
    for key, value in rec.items():
        if key not in _KNOWN_KEYS and not str(key).startswith("_"):
            extra[key] = value
    row["extra"] = jsonable(extra) if extra else None
    return row


def queued_row(rec: dict, org: Any, submission_id: int) -> dict:
    """A row kept with its submission to wait for review: what could be read, and what is wrong (first problem
    in the queue columns, every problem in extra["queue"]); it counts nowhere until resolved."""
    problems = [list(p) for p in rec.get("_queue") or []]
    extra = dict(rec.get("extra") or {}) | {"queue": problems}
    if rec.get("_province"):
        extra["province_as_written"] = rec["_province"]
    row = activity_row({k: v for k, v in rec.items() if k not in ("_queue", "_province")} | {"extra": extra}, org,
                       submission_id)
    field, value, message = (problems[0] + [None, None, None])[:3] if problems else (None, None, None)
    return row | {"queued": True, "queue_field": field, "queue_value": value, "queue_reason": message}


def _waiting(result: IngestResult, reject_whole: bool) -> tuple[list[dict], int]:
    """(rows that wait in the review queue, errors that still block the return). Strict deployments
    (STOCKTAKE_STRICT_VOCABULARY) and an uploader who chose "reject the whole return" queue nothing."""
    if reject_whole or config.strict_vocabulary():
        return [], len(result.errors)
    return [dict(r) for r in result.queued], len(result.blocking)


def issue_row(issue: Issue, submission_id: int, provinces: dict | None = None) -> dict:
    """`provinces`: row -> province as written, kept with the district issues of that row (review queue)."""
    place = issue.field in ("adm2_name", "adm2_pcode")
    return {"submission_id": submission_id, "province": (provinces or {}).get(issue.row) if place else None,
            "file": _clean_text(issue.file), "sheet": _clean_text(issue.sheet), "row": issue.row,
            "column": _clean_text(issue.column), "value": _clean_text(issue.value),
            "severity": issue.severity or "error", "message": str(issue.message or ""),
            "suggestion": _clean_text(issue.suggestion), "field": _clean_text(issue.field)}


def _column_index(letter: str) -> int | None:
    n = 0
    for ch in str(letter or "").strip().upper():
        if not "A" <= ch <= "Z":
            return None
        n = n * 26 + ord(ch) - 64
    return n - 1 if n else None


def _row_provinces(data: bytes, filename: str, issues: list[Issue], columns: list[dict]) -> dict[int, str]:
    """Province as written on each row whose district did not match, read back from the upload.

    Ingest reports the district cell only; the review queue needs the pair (a name can be unknown in one
    province and fine in another), and the raw file has it. Best effort: an unreadable file gives nothing.
    """
    rows = {i.row for i in issues if i.field in ("adm2_name", "adm2_pcode")
            and i.severity == "error" and _clean_text(i.value) and i.row}
    by_field = {c.get("field"): c.get("letter") for c in columns if c.get("field")}
    letter = by_field.get("adm1_name") or by_field.get("adm1_pcode")
    index = _column_index(letter) if letter else None
    if not rows or index is None:
        return {}
    sheet_name = next((i.sheet for i in issues if i.row in rows), None)
    try:
        book = read_book(data, filename)
    except ReturnError:  # the queue then shows the district without its province
        return {}
    sheet = next((sh for sh in book.sheets if sh.name == sheet_name), book.sheets[0] if book.sheets else None)
    out: dict[int, str] = {}
    for r in rows:
        cells = sheet.rows[r - 1] if sheet is not None and 0 < r <= len(sheet.rows) else []
        value = _clean_text(cells[index]) if index < len(cells) else None
        if value:
            out[r] = value
    return out


def _lock_org(conn: Connection, org_id: int) -> None:
    """Serialise submissions of one organisation (SQLite already holds the database write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(m.organisations.c.id).where(m.organisations.c.id == org_id).with_for_update())


def _duplicate_message(filename: str, row: Any) -> str:
    state = {"accepted": "current", "superseded": "since superseded", "rolled_back": "rolled back by an admin"}
    return (f"{filename} was already received on {row.submitted_at:%Y-%m-%d %H:%M} UTC (submission #{row.id}, "
            f"{state.get(row.status, row.status)}); nothing new was stored.")


def _store_submission(conn: Connection, actor: Actor, org: Any, rnd: Any, *, filename: str, data: bytes,
                      sha: str, records: list[dict], issues: list[Issue], rows: int, errors: int, warnings: int,
                      boundary_version: str | None, source_sha: str | None = None,
                      provinces: dict | None = None, queued: list[dict] | None = None,
                      blocking: int | None = None) -> SubmitOutcome:
    """The one place a submission is written; the caller owns the transaction (all or nothing)."""
    s = m.submissions
    if rnd.locked:
        return SubmitOutcome("rejected", None, f"The round {rnd.name!r} is locked, so returns are no longer "
                             "accepted for it. Ask the secretariat to open a new round (or reopen this one).",
                             org.name, rnd.name)
    same = (s.c.org_id == org.id) & (s.c.round_id == rnd.id) & (s.c.sha256 == sha)
    dup = conn.execute(select(s.c.id, s.c.submitted_at, s.c.status).where(same & (s.c.status != "rejected"))
                       .order_by(s.c.id)).first()
    if dup is not None:
        return SubmitOutcome("duplicate", dup.id, _duplicate_message(filename, dup), org.name, rnd.name)
    queued = queued or []
    status = "rejected" if (errors if blocking is None else blocking) else "accepted"
    if status == "rejected":
        again = conn.execute(select(s.c.id, s.c.submitted_at).where(same & (s.c.status == "rejected"))).first()
        if again is not None:
            return SubmitOutcome("rejected", again.id, f"{filename} was not stored: it still has {errors} error(s) "
                                 f"(same file as rejected submission #{again.id} on {again.submitted_at:%Y-%m-%d %H:%M} "
                                 "UTC). Fix the rows listed in the report and upload it again.",
                                 org.name, rnd.name)
    if status == "accepted":
        conn.execute(update(s).where((s.c.org_id == org.id) & (s.c.round_id == rnd.id) & (s.c.status == "accepted"))
                     .values(status="superseded"))
    sid = int(conn.execute(insert(s).values(
        org_id=org.id, round_id=rnd.id, user_id=actor.user_id, user_email=actor.email, submitted_at=utcnow(),
        filename=filename, sha256=sha, raw=data, boundary_version=boundary_version, status=status,
        rows=rows, errors=errors, warnings=warnings, source_file_sha256=source_sha)).inserted_primary_key[0])
    if status == "accepted" and records:
        conn.execute(insert(m.activities), [activity_row(rec, org, sid) for rec in records])
    if status == "accepted" and queued:
        conn.execute(insert(m.activities), [queued_row(rec, org, sid) for rec in queued])
    if issues:
        conn.execute(insert(m.validation_issues), [issue_row(i, sid, provinces) for i in issues])
    audit(conn, actor, "submission.store" if status == "accepted" else "submission.reject", "submission", sid,
          {"org": org.name, "round": rnd.name, "filename": filename, "sha256": sha, "activities": len(records),
           "queued": len(queued) if status == "accepted" else 0, "errors": errors, "warnings": warnings,
           "source_file_sha256": source_sha})
    if status == "rejected":
        return SubmitOutcome("rejected", sid, f"{filename} was not stored: {errors} error(s) must be fixed first "
                             f"(see the row-by-row report). The upload is kept as submission #{sid} for the record.",
                             org.name, rnd.name)
    wait = (f"; {len(queued)} row(s) wait in the review queue until the secretariat settles them" if queued else "")
    return SubmitOutcome("stored", sid, f"{filename} stored for {org.name} in round {rnd.name}: {len(records)} "
                         f"activities, {warnings} warning(s){wait} (submission #{sid}).", org.name, rnd.name,
                         len(records), len(queued))


def _check_size(filename: str, data: bytes, *, consolidated: bool = False) -> None:
    """The database keeps every upload, so the upload cap also guards the store."""
    limit = config.upload_limit(consolidated)
    if len(data) > limit:
        what, setting = (("consolidated file", "STOCKTAKE_MAX_CONSOLIDATED_MB") if consolidated
                         else ("return", "STOCKTAKE_MAX_UPLOAD_MB"))
        raise StoreError(f"{filename} is {len(data) / 1048576:.1f} MB; the largest {what} accepted is "
                         f"{limit / 1048576:g} MB ({setting}).")


def submit(engine: Engine, actor: Actor, *, org: str, filename: str, data: bytes, result: IngestResult,
           boundary_version: str | None, round_name: str | None = None, reject_whole: bool = False) -> SubmitOutcome:
    """Store one organisation's complete return for a round, whole or not at all.

    Same file again for the same organisation and round: "duplicate", nothing stored. A return with errors:
    "rejected", kept with its issues but without activities -- unless every error is on a row that can wait in
    the review queue: those rows are kept with the submission (not counted) and the rest is stored, unless the
    uploader chose `reject_whole`.
    """
    _check_size(filename, data)
    sha = hashlib.sha256(data).hexdigest()
    records = [dict(r) for r in result.records]
    issues = list(result.issues)
    errors, warnings = _severities(issues)
    queued, blocking = _waiting(result, reject_whole)
    rows = result.rows or len(records)
    # read outside the transaction: parsing a file must not hold the database's write lock
    provinces = _row_provinces(data, filename, issues, list(result.columns)) if errors else {}
    try:
        with transaction(engine) as conn:
            org_row = find_org(conn, org)
            require_org(actor, org_row.id, org_row.name, "submit a return")
            _lock_org(conn, org_row.id)
            rnd = resolve_round(conn, round_name)
            return _store_submission(conn, actor, org_row, rnd, filename=filename, data=data, sha=sha,
                                     records=records, issues=issues, rows=rows, errors=errors, warnings=warnings,
                                     boundary_version=boundary_version, provinces=provinces, queued=queued,
                                     blocking=blocking)
    except IntegrityError:  # a concurrent upload of the same file won the race
        with transaction(engine, write=False) as conn:
            org_row, rnd = find_org(conn, org), resolve_round(conn, round_name)
            s = m.submissions
            dup = conn.execute(select(s.c.id, s.c.submitted_at, s.c.status).where(
                (s.c.org_id == org_row.id) & (s.c.round_id == rnd.id) & (s.c.sha256 == sha)
                & (s.c.status != "rejected"))).first()
        if dup is None:
            raise
        return SubmitOutcome("duplicate", dup.id, _duplicate_message(filename, dup), org_row.name, rnd.name)


def import_consolidated(engine: Engine, actor: Actor, *, filename: str, data: bytes, result: IngestResult,
                        boundary_version: str | None, round_name: str | None = None,
                        create_orgs: bool = True, reject_whole: bool = False) -> list[SubmitOutcome]:
    """Split a file holding many organisations (last year's 3W, an OCHA export) into one submission each.

    Each submission keeps the whole file and its SHA-256 in `source_file_sha256`, so every activity traces
    back to it. All organisations are stored in one transaction; a file with errors stores nothing.
    """
    require_admin(actor, "import a consolidated file")
    _check_size(filename, data, consolidated=True)
    sha = hashlib.sha256(data).hexdigest()
    records = [dict(r) for r in result.records]
    issues = list(result.issues)
    queued, blocking = _waiting(result, reject_whole)
    if blocking:
        return [SubmitOutcome("rejected", None, f"{filename} was not imported: {blocking} error(s) must be fixed "
                              "first (see the row-by-row report). Nothing was stored.")]
    groups: dict[str, list[dict]] = {}
    for rec in records:
        groups.setdefault(_clean_text(rec.get("org_name")) or "", []).append(rec)
    waiting: dict[str, list[dict]] = {}
    for rec in queued:  # a queued row without an organisation waits with no one: it is reported, not stored
        waiting.setdefault(_clean_text(rec.get("org_name")) or "", []).append(rec)
    for name in waiting:
        if name:
            groups.setdefault(name, [])
    if "" in groups:
        rows = ", ".join(str(r.get("_row")) for r in groups[""][:10])
        return [SubmitOutcome("rejected", None, f"{filename} was not imported: rows {rows} name no organisation. "
                              "Fill in the Organisation column.")]
    outcomes: list[SubmitOutcome] = []
    with transaction(engine) as conn:
        rnd = resolve_round(conn, round_name)
        for name, recs in sorted(groups.items()):  # a fixed lock order: concurrent imports cannot deadlock
            try:
                org_row = find_org(conn, name)
            except StoreError:
                if not create_orgs:
                    raise
                add = insert(m.organisations).values(name=name, acronym=_clean_text(recs[0].get("org_acronym")),
                                                     type=_clean_text(recs[0].get("org_type")), aliases=[],
                                                     created_at=utcnow())
                oid = conn.execute(add).inserted_primary_key[0]
                audit(conn, actor, "org.add", "organisation", oid, {"name": name, "from_file": filename})
                org_row = find_org(conn, int(oid))
            _lock_org(conn, org_row.id)
            mine = waiting.get(name, [])
            rows_of_org = {r.get("_row") for r in recs + mine}
            org_issues = [i for i in issues if i.row in rows_of_org]
            org_errors, org_warnings = _severities(org_issues)
            outcomes.append(_store_submission(
                conn, actor, org_row, rnd, filename=filename, data=data, sha=sha, records=recs, issues=org_issues,
                rows=len(recs) + len(mine), errors=org_errors, warnings=org_warnings,
                boundary_version=boundary_version, source_sha=sha, queued=mine, blocking=0))
    return outcomes


def _submission(conn: Connection, submission_id: int) -> Any:
    s, o, r = m.submissions, m.organisations, m.rounds
    row = conn.execute(select(s, o.c.name.label("org_name"), r.c.name.label("round_name"))
                       .join(o, o.c.id == s.c.org_id).join(r, r.c.id == s.c.round_id)
                       .where(s.c.id == submission_id)).first()
    if row is None:
        raise StoreError(f"There is no submission #{submission_id}.")
    return row


def rollback(engine: Engine, actor: Actor, submission_id: int, *, reason: str | None = None) -> None:
    """Withdraw a submission (admin): the previous accepted return of that organisation and round becomes
    current again. Nothing is deleted; the rolled-back return stays in the history."""
    require_admin(actor, "roll back a submission")
    s = m.submissions
    with transaction(engine) as conn:
        sub = _submission(conn, submission_id)
        _lock_org(conn, sub.org_id)
        if sub.status in ("rolled_back", "rejected"):
            raise StoreError(f"Submission #{submission_id} is {sub.status.replace('_', ' ')}; there is nothing to "
                             "roll back.")
        conn.execute(update(s).where(s.c.id == sub.id).values(status="rolled_back"))
        restored = None
        if sub.status == "accepted":
            restored = conn.execute(select(s.c.id).where(
                (s.c.org_id == sub.org_id) & (s.c.round_id == sub.round_id) & (s.c.status == "superseded"))
                .order_by(s.c.submitted_at.desc(), s.c.id.desc())).scalar()
            if restored is not None:
                conn.execute(update(s).where(s.c.id == restored).values(status="accepted"))
        audit(conn, actor, "submission.rollback", "submission", sub.id,
              {"org": sub.org_name, "round": sub.round_name, "was": sub.status, "restored": restored,
               "reason": reason})


def _submission_dict(r: Any) -> dict:
    return {"id": r.id, "org": r.org_name, "round": r.round_name, "status": r.status, "sha256": r.sha256,
            "submitted_at": r.submitted_at.isoformat(timespec="seconds"), "user": r.user_email, "rows": r.rows,
            "errors": r.errors, "warnings": r.warnings, "filename": r.filename,
            "boundary_version": r.boundary_version, "source_file_sha256": r.source_file_sha256}


def list_submissions(engine: Engine, actor: Actor, *, org: str | None = None, round_name: str | None = None,
                     status: str | None = None, limit: int = 1000) -> list[dict]:
    """Submissions newest first: all of them for an admin, the own organisation's for a focal point."""
    s, o, r = m.submissions, m.organisations, m.rounds
    stmt = (select(*[c for c in s.c if c.name != "raw"], o.c.name.label("org_name"), r.c.name.label("round_name"))
            .join(o, o.c.id == s.c.org_id).join(r, r.c.id == s.c.round_id)
            .order_by(s.c.submitted_at.desc(), s.c.id.desc()).limit(limit))
    with transaction(engine, write=False) as conn:
        if org is not None:
            org_row = find_org(conn, org)
            require_org(actor, org_row.id, org_row.name, "see the submission history")
            stmt = stmt.where(s.c.org_id == org_row.id)
        elif actor.role != "admin":
            if actor.role != "focal_point" or actor.org_id is None:
                raise PermissionDenied(f"A {ROLE_LABELS.get(actor.role, actor.role)} cannot see submissions.")
            stmt = stmt.where(s.c.org_id == actor.org_id)
        if round_name:
            stmt = stmt.where(s.c.round_id == find_round(conn, round_name).id)
        if status:
            stmt = stmt.where(s.c.status == status)
        return [_submission_dict(row) for row in conn.execute(stmt)]


def history(engine: Engine, actor: Actor, org: str) -> list[dict]:
    """Every submission of one organisation, newest first (id, round, status, sha256, submitted_at, user, rows)."""
    return list_submissions(engine, actor, org=org)


def raw_file(engine: Engine, actor: Actor, submission_id: int) -> tuple[str, bytes]:
    """The uploaded file exactly as received, for its organisation's focal point or an admin."""
    with transaction(engine, write=False) as conn:
        sub = _submission(conn, submission_id)
        require_org(actor, sub.org_id, sub.org_name, "download returns")
        return sub.filename, bytes(sub.raw)


def validation_issues(engine: Engine, actor: Actor, submission_id: int) -> list[dict]:
    """The row-by-row report stored with a submission."""
    t = m.validation_issues
    with transaction(engine, write=False) as conn:
        sub = _submission(conn, submission_id)
        require_org(actor, sub.org_id, sub.org_name, "read validation reports")
        rows = conn.execute(select(t).where(t.c.submission_id == submission_id).order_by(t.c.id))
        return [{k: v for k, v in r._mapping.items() if k not in ("id", "submission_id")} for r in rows]
