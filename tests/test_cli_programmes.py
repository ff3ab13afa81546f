"""The command twins of the Programmes page and of the strategy pages: the same numbers and sentences as the
engine's tables, on a deployment with three fictional programmes and returns that name programmes and strategy."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from mapping import workflow
from mapping.analysis import programmes as an
from mapping.analysis import strategy as strategy_an
from mapping.cli import main
from mapping.returns.programmes import COLUMNS
from mapping.returns.strategy import load_framework
from mapping.store import db, picture
from tests.factories.app import RETURNS, USERS, deployment_settings, module_deployment, return_bytes, use_deployment
from tests.factories.programmes import sheet

IRP, SFF = "Indus Relief Partners", "Sindh Futures Fund"
PLW = "Pregnant and lactating women"
PROGRAMMES = [
    {"Programme": "Punjab Mothers (fictional)", "Owner": IRP, "Provinces": "Punjab", "Target groups": PLW,
     "Districts": "Lahore; Kasur; Okara", "Beneficiaries": 12000},
    {"Programme": "National Mothers (fictional)", "Owner": SFF, "Target groups": "PLW; Children under 2",
     "Beneficiaries": 90000},
    {"Programme": "Sindh Elderly (fictional)", "Owner": SFF, "Provinces": "Sindh", "Target groups": "Elderly",
     "Districts": "Hyderabad; Karachi East"},
]
RETURN = [
    {"org_name": SFF, "sector": "Social protection", "activity": "Cash for mothers", "adm1_name": "Punjab",
     "adm2_name": "Lahore", "status": "ongoing", "project": "Punjab Mothers fictional", "strategy": "P2.1.a"},
    {"org_name": SFF, "sector": "Social protection", "activity": "Pensions", "adm1_name": "Sindh",
     "adm2_name": "Hyderabad", "status": "ongoing", "project": "Sindh Elderly (fictional)", "strategy": "P1.1.a"},
    {"org_name": SFF, "sector": "Social protection", "activity": "Registry drive", "adm1_name": "Sindh",
     "adm2_name": "Karachi East", "status": "ongoing", "strategy": "P4.1.a"},
]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    built = module_deployment(tmp_path_factory.mktemp("cli_programmes"), shared_boundaries,
                              admin_email="sec@cli-prog.test", admin_password="cli-prog-admin")
    with deployment_settings(built):
        engine = db.connect()
        workflow.programmes_import(engine, workflow.SYSTEM, sheet(PROGRAMMES), "programmes.xlsx")
        report = workflow.submit_file(engine, workflow.SYSTEM, return_bytes(RETURN), "sff.xlsx", org=SFF)
        assert report.outcomes[0].status == "stored", report.outcomes[0].message
    return built


@pytest.fixture
def env(_isolated_dirs, deployment, monkeypatch):
    return use_deployment(deployment, monkeypatch)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_programmes_show_matrix_pairs_and_portability_say_what_the_page_says(env, capsys, tmp_path):
    frame, units = workflow.programmes_data(db.connect())
    code, out, _ = run(capsys, "programmes", "show", "--group", PLW)
    assert code == 0
    plw = an.filter_programmes(frame, units, groups=[PLW])
    assert out.splitlines()[:3] == an.headlines(plw, units, group=PLW)
    assert "- Punjab Mothers (fictional) (Indus Relief Partners): Punjab; Pregnant and lactating women; " \
           "benefit not given; 3 districts; 12,000 people" in out
    assert run(capsys, "programmes", "matrix", "--out", str(tmp_path / "m.csv"))[0] == 0
    written = pd.read_csv(tmp_path / "m.csv", index_col=0)
    assert written.to_dict() == an.programme_province_matrix(frame, units).to_dict()
    code, out, _ = run(capsys, "programmes", "pairs", "--json")
    assert json.loads(out) == [{"target_groups": PLW, "programme_a": "National Mothers (fictional)", "owner_a": SFF,
                                "programme_b": "Punjab Mothers (fictional)", "owner_b": IRP, "shared_districts": 3,
                                "districts": "Kasur, Lahore, Okara"}]
    code, out, _ = run(capsys, "programmes", "portability", "--group", "older people", "--from", "Lahore")
    assert code == 0 and out.splitlines()[0] == "A family of 'Elderly' from Lahore:"
    assert "  Sindh (other province): Sindh Elderly (fictional) (Sindh Futures Fund), 2 of 29 districts" in out
    assert "  Balochistan: no programme for this group" in out
    code, _, err = run(capsys, "programmes", "portability", "--group", "Martians", "--from", "Lahore")
    assert code == 2 and "'Martians' is not a target group." in err


def test_programmes_names_and_link_queue_then_learn_a_name(env, capsys, tmp_path):
    code, out, _ = run(capsys, "programmes", "names")
    assert code == 0
    assert "Punjab Mothers fictional (1 activities; Sindh Futures Fund): not recorded — did they mean " \
           "Punjab Mothers (fictional)?" in out
    assert "Sindh Elderly (fictional) (1 activities; Sindh Futures Fund): Sindh Elderly (fictional)" in out
    assert run(capsys, "programmes", "link", "Punjab Mothers fictional", "--to", "Punjab Mothers (fictional)")[0] == 0
    code, out, _ = run(capsys, "programmes", "names", "--json")
    rows = {r["project"]: r["programme"] for r in json.loads(out)}
    assert rows == {"Punjab Mothers fictional": "Punjab Mothers (fictional)",
                    "Sindh Elderly (fictional)": "Sindh Elderly (fictional)"}
    assert run(capsys, "programmes", "template", "--out", str(tmp_path / "t.csv"))[0] == 0
    head = list(csv.reader((tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert head == [list(COLUMNS), [tag for _, tag in COLUMNS.values()]]


def test_strategy_show_matrix_and_gaps_say_what_the_pages_say(env, capsys, tmp_path):
    fw = load_framework()
    acts = picture.current_activities(db.connect(), workflow.SYSTEM)
    code, out, _ = run(capsys, "strategy", "show")
    assert code == 0 and out.splitlines()[:3] == [
        "P1  Protecting the poorest households (illustrative)",
        "  P1.1  Reach the poorest households with regular cash support",
        "    P1.1.a  Expand unconditional cash transfers to every district"]
    assert run(capsys, "strategy", "matrix", "--rows", "province", "--out", str(tmp_path / "s.csv"))[0] == 0
    written = pd.read_csv(tmp_path / "s.csv", index_col=0)
    expected = strategy_an.pillar_matrix(acts, fw, rows="province")
    assert written.to_dict() == expected.to_dict()
    assert written.loc["P4 Systems that deliver (illustrative)", "Sindh"] == 1
    code, out, _ = run(capsys, "strategy", "gaps")
    assert code == 0
    for sentence in strategy_an.headlines(acts, fw):
        assert sentence in out
    assert "No partner reports support to 4 of the 5 policy actions under pillar P1 (Protecting the poorest " \
           "households (illustrative))." in out
    assert "  P1.1.b  Index transfer amounts to inflation every year  (P1 Protecting the poorest households " \
           "(illustrative))" in out
    assert "P1.1.a  Expand" not in out.split("Policy actions with no partner support:")[1]


def test_programmes_not_programme_takes_a_name_out_of_the_names_queue_and_undo_puts_it_back(env, capsys):
    kct = USERS["focal_point_2"][1]
    rows = [dict(r, project="Staff training") if i == 0 else r for i, r in enumerate(RETURNS[kct])]
    report = workflow.submit_file(db.connect(), workflow.SYSTEM, return_bytes(rows), "kct.xlsx", org=kct)
    assert report.outcomes[0].status == "stored", report.outcomes[0].message
    line = f"Staff training (1 activities; {kct}): "
    assert line + "not recorded" in run(capsys, "programmes", "names")[1]
    code, _, err = run(capsys, "programmes", "not-programme", "Staff training", "--user", USERS["focal_point"][0])
    assert code == 2 and "cannot decide whether “Staff training” is a programme" in err  # not IRP's name
    code, _, err = run(capsys, "programmes", "not-programme", "Sindh Elderly (fictional)")
    assert code == 2 and "names the programme Sindh Elderly (fictional)" in err
    code, out, _ = run(capsys, "programmes", "not-programme", "staff training", "--user", USERS["focal_point_2"][0])
    assert (code, out) == (0, "'staff training' is marked as not a programme and leaves the names queue.\n")
    assert line + "not a programme (marked)" in run(capsys, "programmes", "names")[1]
    rows = {r["project"]: r for r in json.loads(run(capsys, "programmes", "names", "--json")[1])}
    assert rows["Staff training"]["not_programme"] is True and rows["Staff training"]["suggestion"] is None
    assert rows["Sindh Elderly (fictional)"]["not_programme"] is False
    code, out, _ = run(capsys, "programmes", "not-programme", "Staff training", "--undo")
    assert (code, out) == (0, "'Staff training' waits in the programme names queue again.\n")
    assert line + "not recorded" in run(capsys, "programmes", "names")[1]
    code, out, _ = run(capsys, "programmes", "not-programme", "Staff training", "--undo")
    assert (code, out) == (0, "'Staff training' was not marked as not a programme; nothing changed.\n")
    log = db.audit_log(db.connect(), db.CLI_ADMIN, object_type="programme_name")
    assert [(e["action"], e["email"]) for e in log] == [("programme_name.programme_again", "cli"),
                                                        ("programme_name.not_programme", USERS["focal_point_2"][0])]
