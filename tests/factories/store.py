"""Builders for store tests: ingest results, real .xlsx bytes, and a database with people in it.

`result` builds a real `IngestResult` from records and counted issues, so the store is tested on its own
(without reading a file) through the same type ingest hands it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mapping.returns.readers import column_letter
from mapping.returns.result import IngestResult
from mapping.returns.schema import FIELDS, Issue
from mapping.store import auth, db, registry, submissions
from tests.factories.returns import template_return


def fast_hashing(monkeypatch) -> None:
    """Argon2 with production cost takes ~0.1 s per hash; tests create many accounts. Still argon2id."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_HASHER", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("not-a-real-password"))


def activity(n: int, org: str = "Alpha Relief", **overrides) -> dict:
    """A plausible matched record; `n` varies the place, numbers and ID."""
    slug = org.split()[0].lower()
    rec = {
        "org_name": org, "sector": "Health", "subsector": "Primary health care", "activity": f"Mobile clinic {n}",
        "adm1_name": "Punjab", "adm1_pcode": "PK6", "adm2_name": f"District {n}", "adm2_pcode": f"PK6{n:02d}",
        "scope": "district", "status": "ongoing", "start_date": dt.date(2026, 1, n % 28 + 1),
        "end_date": dt.date(2026, 12, 31), "targeted": 100 * n, "reached": 50 * n, "budget": 1000.0 * n,
        "currency": "USD", "contact_name": f"Focal {slug.title()}", "contact_email": f"focal@{slug}.example",
        "contact_phone": "+92 300 0000000", "activity_id": f"{slug.upper()[:3]}-{n}", "_row": n + 2,
        "match_method": "exact", "match_score": 100.0,
    }
    rec.update(overrides)
    return rec


def ingest_result(records: list[dict], issues: list[Issue] | None = None, *, file: str = "return.xlsx",
                  sheet: str | None = "Activities") -> IngestResult:
    """What ingest returns for a template return (header row 1, HXL row 2) holding `records` (error-free rows)
    and `issues`; the rows read are the records' and every other row an error names."""
    issues = list(issues or [])
    rows = len({r["_row"] for r in records} | {i.row for i in issues if i.severity == "error" and i.row is not None})
    columns = [{"header": f.header, "letter": column_letter(k), "field": f.name} for k, f in enumerate(FIELDS)]
    return IngestResult(file=file, sheet=sheet, columns=columns, rows=rows, records=list(records), issues=issues,
                        unknown_columns=[], header_row=2)


def result(*records: dict, errors: int = 0, warnings: int = 0) -> IngestResult:
    """`errors` district errors and `warnings` budget warnings on rows 3, 4 …"""
    issues = [Issue("return.xlsx", "Activities", 3 + i, "District (G)", "Nowhere", "error",
                    "District 'Nowhere' is not in Punjab.", "Did you mean Narowal (PK628)?", "adm2_name")
              for i in range(errors)]
    issues += [Issue("return.xlsx", "Activities", 3 + i, "Budget (V)", "12k", "warning",
                     "Budget '12k' read as 12000.", None, "budget") for i in range(warnings)]
    return ingest_result(list(records), issues)


def xlsx_bytes(records: list[dict]) -> bytes:
    """A real return written by openpyxl: headers, HXL row, one row per record."""
    return template_return(records)


@dataclass
class World:
    engine: object
    admin: db.Actor
    focal_a: db.Actor
    focal_b: db.Actor
    viewer: db.Actor


ORG_A, ORG_B = "Alpha Relief", "Bravo Aid"


def world(url: str, *, rounds: tuple[tuple[str, str, str], ...] = (("2026 H1", "2026-01-01", "2026-06-30"),)
          ) -> World:
    """Two organisations, an admin, a focal point for each, a viewer and the given rounds."""
    engine = db.connect(url)
    op = db.CLI_ADMIN
    registry.add_org(engine, op, ORG_A, acronym="ALR", org_type="National NGO")
    registry.add_org(engine, op, ORG_B, acronym="BRA", org_type="INGO", aliases=["Bravo"])
    for name, start, end in rounds:
        registry.add_round(engine, op, name, start, end)
    auth.add_user(engine, op, email="admin@example.org", role="admin", password="admin-pass-1")
    auth.add_user(engine, op, email="focal@alpha.example", role="focal_point", org=ORG_A, password="alpha-pass-1")
    auth.add_user(engine, op, email="focal@bravo.example", role="focal_point", org="BRA", password="bravo-pass-1")
    auth.add_user(engine, op, email="viewer@example.org", role="viewer", password="viewer-pass-1")
    get = auth.user_for_email
    return World(engine, get(engine, "admin@example.org"), get(engine, "focal@alpha.example"),
                 get(engine, "focal@bravo.example"), get(engine, "viewer@example.org"))


def submit(w: World, actor: db.Actor, org: str, res: IngestResult, *, data: bytes | None = None,
           filename: str = "return.xlsx", round_name: str | None = "2026 H1") -> submissions.SubmitOutcome:
    data = data if data is not None else xlsx_bytes(res.records)
    return submissions.submit(w.engine, actor, org=org, filename=filename, data=data, result=res,
                        boundary_version="pak-test-1", round_name=round_name)
