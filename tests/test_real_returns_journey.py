"""Issue 12's 'done when', as a secretariat lives it from the command line: last half-year's consolidated matrix
(Portuguese, two header rows and HXL, households beside people, cluster codes, no reporting-organisation
column) is loaded, a handful of one-time questions are answered, at least 90 % of its rows count in the picture
and the rest wait in the review queue with a reason; next month's file in the same layout asks nothing."""

from __future__ import annotations

import json

import pytest

from mapping.cli import main
from mapping.geo import boundaries
from mapping.store import db, picture
from tests.factories.returns import portuguese_matrix


def _json(capsys, argv: list[str], code: int = 0) -> dict:
    capsys.readouterr()
    assert main([*argv, "--json"]) == code
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def deployment(db_url, shared_boundaries, monkeypatch, capsys):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    boundaries.import_path(shared_boundaries)
    for name, acronym in (("Indus Relief Partners", "IRP"), ("Northern Alliance for Child Welfare", "NACW")):
        assert main(["orgs", "add", name, "--acronym", acronym]) == 0
    assert main(["rounds", "add", "2025 H1", "--start", "2025-01-01", "--end", "2025-06-30"]) == 0
    assert main(["users", "add", "--email", "admin@example.org", "--role", "admin", "--password", "admin-pass-1"]) == 0
    capsys.readouterr()


def test_a_real_consolidated_matrix_keeps_its_rows_asks_once_and_next_month_asks_nothing(deployment, tmp_path,
                                                                                         capsys):
    first = tmp_path / "matriz_junho.xlsx"
    first.write_bytes(portuguese_matrix(300, seed=1))
    report = _json(capsys, ["validate", str(first), "--consolidated"], code=1)  # 20 rows have errors
    assert (report["rows"], report["accepted"], report["queued"]) == (300, 280, 20)
    columns = {c["header"]: c["field"] for c in report["columns"]}
    assert columns["Famílias alvo"] == "targeted_hh" and columns["Pessoas alvo"] == "targeted"
    assert columns["Famílias alcançadas"] == "reached_hh" and columns["Pessoas alcançadas"] == "reached"
    assert [d["field"] for d in report["defaults"]] == ["org_name"]  # the lead agency reports, said once
    # each value outside the lists is one question, whatever its row count ("NUT" is a known cluster code)
    questions = {(e["field"], e["value"]): (e["suggestion"], e["confidence"]) for e in report["offlist"]}
    assert questions == {
        ("sector", "Saúde"): ("Health", 95), ("sector", "Educação"): ("Education", 95),
        ("sector", "Segurança alimentar"): ("Agriculture and food security", 95),
        ("sector", "Água, saneamento e higiene"): ("WASH", 95), ("sector", "SHL"): (None, 0),
        ("status", "Em andamento"): ("ongoing", 95), ("status", "Concluído"): ("completed", 95),
        ("status", "Planeado"): ("planned", 95)}
    problems = {(i["column"], i["value"]): i["count"] for i in report["issues"] if i["severity"] == "error"}
    assert problems == {("Distrito (D)", "Keamari"): 12, ("Data de início (H)", "31/02/2025"): 8}

    # the secretariat stores it first and answers the questions afterwards: the rows count from the start
    assert main(["submit", str(first), "--consolidated", "--org", "IRP", "--user", "admin@example.org",
                 "--round", "2025 H1"]) == 0
    engine = db.connect()
    acts = picture.current_activities(engine, db.CLI_ADMIN)
    assert len(acts) == 280 and len(acts) / 300 >= 0.9
    assert acts["targeted"].sum() == 6 * acts["targeted_hh"].sum()  # households never counted as people
    assert acts["reached"].sum() == 6 * acts["reached_hh"].sum() + 3 * (acts["targeted_hh"] % 2).sum()
    assert set(acts["org_name"]) == {"Indus Relief Partners", "Northern Alliance for Child Welfare"}
    waiting = _json(capsys, ["review", "list"])
    assert [(q["field"], q["value"], q["rows"]) for q in waiting] == [("adm2_name", "Keamari", 12),
                                                                      ("start_date", "31/02/2025", 8)]
    assert "created after this boundary set" in waiting[0]["reason"]

    # the stored values on no list wait once each, with their rows and a suggestion
    unmapped = _json(capsys, ["vocab", "waiting"])
    assert {(e["field"], e["value"]): (e["suggestion"], e["confidence"]) for e in unmapped} == questions
    assert sum(e["rows"] for e in unmapped if e["field"] == "status") == 280
    # a handful of one-time answers: every suggestion at 90 % or more, one pick, one district
    capsys.readouterr()
    assert main(["vocab", "waiting", "--apply-suggestions"]) == 0
    assert "7 suggestion(s) at or above 90% confidence applied." in capsys.readouterr().err
    assert main(["vocab", "map", "sector", "SHL", "--to", "Social protection"]) == 0
    assert main(["review", "resolve", "adm2_name", "Keamari", "--to", "PK729"]) == 0
    acts = picture.current_activities(engine, db.CLI_ADMIN)
    assert len(acts) == 292 and set(acts["status"]) == {"ongoing", "completed", "planned"}
    assert set(acts["sector"]) <= {"Health", "Education", "Agriculture and food security", "WASH",
                                   "Social protection", "Nutrition"}
    assert (acts["adm2_pcode"] == "PK729").sum() == 12  # Keamari's rows count in West Karachi, which holds it
    assert [q["value"] for q in _json(capsys, ["review", "list"])] == ["31/02/2025"]  # only the focal point knows
    assert _json(capsys, ["vocab", "waiting"]) == []

    # next month, same layout: no question, no queue, not even for the district settled once
    second = tmp_path / "matriz_julho.xlsx"
    second.write_bytes(portuguese_matrix(310, seed=2))
    report = _json(capsys, ["validate", str(second), "--consolidated"], code=1)
    assert report["offlist"] == []
    assert {(i["value"], i["count"]) for i in report["issues"]} == {("31/02/2025", 8)}
    assert (report["rows"], report["accepted"], report["queued"]) == (310, 302, 8)
