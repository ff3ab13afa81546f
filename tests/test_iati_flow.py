"""From an IATI file to an accepted return without typing an activity: the engine path and the commands."""

from __future__ import annotations

import pytest

from mapping import cli, workflow
from mapping.store import db, picture, registry
from tests.factories.app import module_deployment, use_deployment
from tests.factories.iati import activity, iati_file

ORG = "Indus Relief Partners"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    return module_deployment(tmp_path_factory.mktemp("iati"), shared_boundaries, admin_email="sec@iati.test",
                             admin_password="iati-test-admin")


@pytest.fixture
def env(_isolated_dirs, deployment, monkeypatch):
    return use_deployment(deployment, monkeypatch)


def published() -> bytes:
    """Three activities as a publisher writes them: by p-code, by coordinates only, and country-wide."""
    return iati_file(
        activity("XM-FICT-9-001", reporting=("XM-FICT-9", "Indus Relief Partners Pakistan"),
                 sectors=(("1", "12220", 75), ("1", "12240", 25)), locations=({"code": "PK607"},),
                 budgets=(("2026-07-01", "2026-12-31", 80000, None, "1"),)),
        activity("XM-FICT-9-002", reporting=("XM-FICT-9", "Indus Relief Partners Pakistan"),
                 sectors=(("1", "11220", None),), locations=({"pos": "31.55 74.34"}, {"pos": "30.19 67.01"}),
                 budgets=(("2026-07-01", "2026-12-31", 24000000, "PKR", "1"),), status="1"),
        activity("XM-FICT-9-003", reporting=("XM-FICT-9", "Indus Relief Partners Pakistan"),
                 sectors=(("1", "16010", None),), commitments=((500000, "USD"),)),
    )


def test_iati_draft_uploads_as_an_accepted_return_with_the_fixture_s_places_sectors_and_budgets(env):
    engine = db.connect()
    round_name = registry.list_rounds(engine)[-1]["name"]
    draft, book = workflow.iati_draft(engine, published(), "irp-iati.xml", org=ORG, round_name=round_name)
    assert draft.notes and {n.what for n in draft.notes} == {"budget"}  # only: commitments used for 003
    result = workflow.validate_upload(engine, book, "irp_draft.xlsx", org=ORG)
    assert [i.message for i in result.errors] == []
    outcome = workflow.submit_file(engine, workflow.SYSTEM, book, "irp_draft.xlsx", org=ORG,
                                      round_name=round_name)
    assert outcome.status == "stored", outcome.message
    acts = picture.current_activities(engine, workflow.SYSTEM)
    mine = acts[acts["org_name"] == ORG]
    got = sorted((r.activity_id.split("|")[0], r.scope, r.adm2_pcode if isinstance(r.adm2_pcode, str) else None,
                  r.sector, r.budget, r.currency) for r in mine.itertuples())
    assert got == [
        ("XM-FICT-9-001", "district", "PK607", "Health", 60000.0, "USD"),
        ("XM-FICT-9-001", "district", "PK607", "Nutrition", 20000.0, "USD"),
        ("XM-FICT-9-002", "district", "PK226", "Education", 12000000.0, "PKR"),
        ("XM-FICT-9-002", "district", "PK617", "Education", 12000000.0, "PKR"),
        ("XM-FICT-9-003", "national", None, "Social protection", 500000.0, "USD"),
    ]
    assert set(mine["status"]) == {"ongoing", "planned"}


def test_the_validation_report_notes_activities_missing_on_either_side(env):
    engine = db.connect()
    _, book = workflow.iati_draft(engine, published(), "irp-iati.xml", org=ORG)
    result = workflow.validate_upload(engine, book, "irp_draft.xlsx", org=ORG)
    assert workflow.iati_second_opinion(engine, result, published(), "irp-iati.xml", org=ORG) == []
    more = iati_file(activity("XM-FICT-9-004", locations=({"code": "PK617"},)))
    missing, *extra = workflow.iati_second_opinion(engine, result, more, "newer.xml", org=ORG)
    assert missing.value == "XM-FICT-9-004" and "not in this return" in missing.message
    assert [i.value for i in extra] == ["XM-FICT-9-001", "XM-FICT-9-002", "XM-FICT-9-003"]
    assert all("not in your IATI data" in i.message for i in extra)


def test_commands_draft_and_check(env, tmp_path, capsys):
    src = tmp_path / "irp-iati.xml"
    src.write_bytes(published())
    out = tmp_path / "draft.xlsx"
    assert cli.main(["iati", "draft", str(src), "--org", ORG, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 of 3 IATI activities became 5 rows" in printed and out.exists()
    assert cli.main(["iati", "check", str(out), "--iati", str(src), "--org", ORG]) == 0
    assert "Every activity in the IATI file is in the return" in capsys.readouterr().out
    hostile = tmp_path / "evil.xml"
    hostile.write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><iati-activities>&e;'
                        b"</iati-activities>")
    code = cli.main(["iati", "draft", str(hostile), "--org", ORG, "--out", str(tmp_path / "x.xlsx")])
    captured = capsys.readouterr()
    assert code == 2 and "DOCTYPE or entities" in captured.err and not (tmp_path / "x.xlsx").exists()
