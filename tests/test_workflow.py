"""The thin slice end to end: real boundaries in, one return validated, matched, stored, on the picture."""

from __future__ import annotations

import pytest

from mapping import workflow
from mapping.store import auth, db, picture, registry
from tests.factories.returns import template_return


def _return_bytes(rows: list[dict]) -> bytes:
    return template_return(rows)


@pytest.fixture
def engine(db_url, shared_boundaries, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(shared_boundaries))
    monkeypatch.setenv("STOCKTAKE_ADMIN_EMAIL", "admin@example.org")
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "s3cret-admin")
    info = workflow.setup(url=db_url)
    assert info["boundaries"]
    return db.connect(db_url)


def test_one_return_in_matched_stored_and_on_the_picture(engine):
    admin = auth.authenticate(engine, "admin@example.org", "s3cret-admin")
    registry.add_org(engine, admin, "Indus Relief Partners", acronym="IRP", org_type="National NGO")
    data = _return_bytes([
        {"org_name": "IRP", "sector": "Health", "subsector": "Primary health care", "activity": "Mobile clinics",
         "adm1_name": "Punjab", "adm2_name": "D.G Khan", "status": "ongoing", "start_date": "01/02/2025",
         "targeted": "12,500"},
        {"org_name": "IRP", "sector": "Nutrition", "activity": "OTP sites", "adm1_name": "Sindh",
         "adm2_name": "Nawabshah", "status": "planned"},
    ])
    report = workflow.submit_file(engine, admin, data, "irp.xlsx", org="Indus Relief Partners")
    result, outcome = report.result, report.outcomes[0]
    assert [i.message for i in result.issues if i.severity == "error"] == []
    assert outcome.status == "stored"
    acts = picture.current_activities(engine, admin)
    assert sorted(acts["adm2_pcode"]) == ["PK607", "PK719"]
    assert set(acts["org_name"]) == {"Indus Relief Partners"}
    assert acts.loc[acts["adm2_pcode"] == "PK607", "targeted"].iloc[0] == 12500

    report = workflow.submit_file(engine, admin, data, "irp.xlsx", org="Indus Relief Partners")
    outcome2 = report.outcomes[0]
    assert outcome2.status == "duplicate"
    assert "already received" in outcome2.message
