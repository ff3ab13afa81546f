"""Keeping the programme list and the strategy framework from the app (AppTest): the Admin page's "Programmes and
strategy" section, and a focal point starting the list on an empty Programmes page."""

from __future__ import annotations

import pytest

from mapping import workflow
from mapping.returns.strategy import load_framework
from mapping.store import auth, db
from tests.factories.app import PASSWORD, USERS
from tests.factories.programmes import STRATEGY_CSV, sheet
from tests.views.test_admin_page import admin, admin_env, deployment, flash, open_admin, problems, start_as, tab

__all__ = ["admin_env", "deployment"]
IRP = "Indus Relief Partners"
FRAMEWORK = STRATEGY_CSV + b"B.1.x,action,B.1,Dynamic registration\n"


@pytest.fixture
def own_data(admin_env, monkeypatch, tmp_path):
    """A data folder of this test's own: replacing the framework must not reach the module's other tests."""
    monkeypatch.setenv("STOCKTAKE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def names() -> list[str]:
    frame, _ = workflow.programmes_data(db.connect())
    return sorted(frame["name"])


def test_a_focal_point_starts_the_list_on_the_empty_programmes_page(own_data):
    viewer = start_as(auth.authenticate(db.connect(), USERS["viewer"][0], PASSWORD))
    viewer.switch_page("pages/programmes.py")
    viewer.run()
    assert any("No programme is recorded yet" in i.value for i in viewer.info)
    assert not viewer.get("file_uploader"), "a viewer reads; it does not add"
    at = start_as(auth.authenticate(db.connect(), USERS["focal_point"][0], PASSWORD))
    at.switch_page("pages/programmes.py")
    at.run()
    data = sheet([{"Programme": "Lahore Mothers (fictional)", "Owner": IRP, "Provinces": "Punjab",
                   "Target groups": "PLW", "Districts": "Lahore", "Beneficiaries": 800}])
    at.file_uploader(key="prog_upload_0").set_value(("programmes.xlsx", data, "application/octet-stream")).run()
    next(b for b in at.button if b.key == "prog_save").click().run()
    assert problems(at) == [] and "Programmes: 1 added, 0 updated, 0 unchanged." in flash(at)
    assert names() == ["Lahore Mothers (fictional)"]
    assert any(s.value == "Programmes (1)" for s in at.subheader), "the page now shows the list"


def test_the_secretariat_keeps_programmes_and_the_strategy_framework_on_the_admin_page(own_data):
    at = tab(open_admin(admin()), "Programmes and strategy")
    assert problems(at) == []
    said = " ".join(m.value for m in at.markdown)
    assert "**Current framework:** 4 pillars, 8 objectives, 19 policy actions." in said  # the shipped illustration
    bad = sheet([{"Programme": "Broken", "Owner": IRP, "Provinces": "Atlantis"}])
    at.file_uploader(key="prog_upload_0").set_value(("bad.xlsx", bad, "application/octet-stream")).run()
    assert any("1 error(s)" in e.value for e in at.error) and not [b for b in at.button if b.key == "prog_save"]
    good = sheet([{"Programme": "Sindh Elderly (fictional)", "Owner": "Sindh Futures Fund", "Provinces": "Sindh",
                   "Target groups": "Elderly"},
                  {"Programme": "Punjab Mothers (fictional)", "Owner": IRP, "Target groups": "PLW"}])
    at.file_uploader(key="prog_upload_0").set_value(("good.xlsx", good, "application/octet-stream")).run()
    next(b for b in at.button if b.key == "prog_save").click().run()
    assert problems(at) == [] and "Programmes: 2 added, 0 updated, 0 unchanged." in flash(at)
    assert names() == ["Punjab Mothers (fictional)", "Sindh Elderly (fictional)"]
    assert at.button_group(key="admin_section").value == "Programmes and strategy"
    assert not at.file_uploader(key="prog_upload_1").value, "the box is empty again: no second save by mistake"

    at.file_uploader(key="strategy_upload_0").set_value(("strategy.csv", b"code,level,parent,name\nA.1,objective,,"
                                                         b"Orphan\n", "text/csv")).run()
    next(b for b in at.button if b.key == "strategy_set").click().run()
    assert any("must be a pillar listed above it" in e.value for e in at.error)
    assert len(load_framework().of_level("pillar")) == 4  # refused: nothing changed
    at.file_uploader(key="strategy_upload_0").set_value(("strategy.csv", FRAMEWORK, "text/csv")).run()
    next(b for b in at.button if b.key == "strategy_set").click().run()
    assert problems(at) == []
    assert "Strategy framework replaced: 2 pillars, 2 objectives, 2 policy actions." in flash(at)
    assert [p.code for p in load_framework().of_level("pillar")] == ["A", "B"]
    assert (own_data / "strategy.csv").read_bytes() == FRAMEWORK
    assert "**Current framework:** 2 pillars, 2 objectives, 2 policy actions." in " ".join(m.value for m in at.markdown)
    entry = db.audit_log(db.connect(), admin(), action="strategy.set")[0]
    assert (entry["email"], entry["detail"]["pillars"]) == (USERS["admin"][0], 2)
