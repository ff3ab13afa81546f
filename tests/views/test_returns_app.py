"""The Submit page with a real-world layout (AppTest): values not on the lists are listed once, mapped once by the
secretariat in the app, and next month's file in the same layout is accepted with no question asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.store import auth, db, picture, submissions
from mapping.store import vocabulary as store_vocabulary
from tests.factories.app import PASSWORD, USERS, module_deployment
from tests.factories.returns import xlsx

APP = str(Path(__file__).resolve().parents[2] / "app.py")
IRP = "Indus Relief Partners"
HEADER = [["Matriz de resposta (ilustrativa)"],
          ["Organização", "Sector", "Província", "Distrito", "Estado", "Beneficiários", None],
          [None, None, None, None, None, "Agregados alcançados", "Pessoas alcançadas"],
          ["#org+name", "#sector", "#adm1+name", "#adm2+name", "#status", "#reached+hh", "#reached+ind+num"]]


def matrix(rows: list[list]) -> bytes:
    return xlsx(HEADER + rows, merges=["F2:G2"])


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    return module_deployment(tmp_path_factory.mktemp("returns_app"), shared_boundaries,
                             admin_email="secretariat@returns.test", admin_password="returns-test-admin")


@pytest.fixture
def app_env(_isolated_dirs, deployment, monkeypatch):
    for k, v in deployment["env"].items():
        monkeypatch.setenv(k, v)
    return deployment


def submit_page(actor: db.Actor) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["actor"] = actor
    at.run()
    at.switch_page("pages/submit.py")
    return at.run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.selectbox(key="submit_org").set_value(IRP).run()
    return at.file_uploader(key="upload_0").set_value((name, data, "application/octet-stream")).run()


def problems(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def test_values_mapped_once_in_the_app_and_next_month_needs_no_question(app_env):
    engine = db.connect()
    admin = auth.authenticate(engine, USERS["admin"][0], PASSWORD)
    october = matrix([["IRP", "Saúde", "Punjab", "Lahore", "Em andamento", 40, 210],
                      ["IRP", "Saúde", "Sindh", "Badin", "Em andamento", 12, 65],
                      ["IRP", "Educação", "Sindh", "Sukkur", "Concluído", 8, 30]])
    at = upload(submit_page(admin), "matriz_outubro.xlsx", october)
    assert problems(at) == []
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Rows accepted"], metrics["Errors"]) == ("3", "3", "0")
    tables = [d.value for d in at.dataframe if "Confidence" in d.value.columns]
    assert len(tables) == 1
    assert tables[0][["List", "Value", "Rows", "Suggestion", "Confidence"]].values.tolist() == [
        ["Sector", "Saúde", 2, "Health", "95%"], ["Sector", "Educação", 1, "Education", "95%"],
        ["Status", "Em andamento", 2, "ongoing", "95%"], ["Status", "Concluído", 1, "completed", "95%"]]
    # the secretariat maps two values by hand (one against the suggestion) and leaves the others
    picks = {s.label: s for s in at.selectbox if s.key and s.key.startswith("vocab_map_")}
    assert picks["Sector 'Saúde' means"].value == "Health"
    picks["Sector 'Educação' means"].set_value("Education")
    picks["Status 'Concluído' means"].set_value("suspended")
    picks["Sector 'Saúde' means"].set_value("(leave as written)")
    picks["Status 'Em andamento' means"].set_value("ongoing")
    at.button(key="vocab_save").click().run()
    assert problems(at) == []
    assert [(a["field"], a["alias"], a["canonical"], a["by"]) for a in store_vocabulary.aliases(engine)] == [
        ("sector", "Educação", "Education", admin.email), ("status", "Concluído", "suspended", admin.email),
        ("status", "Em andamento", "ongoing", admin.email)]
    tables = [d.value for d in at.dataframe if "Confidence" in d.value.columns]
    assert tables[0][["Value", "Rows"]].values.tolist() == [["Saúde", 2]]
    # then takes every remaining suggestion at once
    at.button(key="vocab_apply_all").click().run()
    assert not [d for d in at.dataframe if "Confidence" in d.value.columns]
    next(b for b in at.button if b.label == f"Confirm and submit 3 activities for {IRP}").click().run()
    assert problems(at) == []
    acts = picture.current_activities(engine, admin)
    mine = acts[acts["org_name"] == IRP].sort_values("reached")
    assert mine[["sector", "status", "reached", "reached_hh"]].values.tolist() == [
        ["Education", "suspended", 30.0, 8.0], ["Health", "ongoing", 65.0, 12.0], ["Health", "ongoing", 210.0, 40.0]]

    november = matrix([["IRP", "Saúde", "Punjab", "Multan", "Em andamento", 22, 90],
                       ["IRP", "Educação", "Sindh", "Sukkur", "Concluído", 9, 31]])
    at = upload(submit_page(admin), "matriz_novembro.xlsx", november)
    assert problems(at) == []
    assert [w.value for w in at.warning] == [  # only what the new return replaces; nothing about the values
        f"This replaces the 3 current activities of {IRP}: 1 kept or changed, 1 new, 2 will disappear (Health in "
        "Lahore, Health in Badin)."]
    assert not [d for d in at.dataframe if "Confidence" in d.value.columns]  # no question asked
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows accepted"], metrics["Errors"], metrics["Warnings"]) == ("2", "0", "0")
    next(b for b in at.button if b.label == f"Confirm and submit 2 activities for {IRP}").click().run()
    assert submissions.history(engine, admin, IRP)[0]["filename"] == "matriz_novembro.xlsx"


def test_rows_with_an_unknown_district_wait_and_the_secretariat_settles_them_in_the_app(app_env):
    engine = db.connect()
    admin = auth.authenticate(engine, USERS["admin"][0], PASSWORD)
    data = matrix([["IRP", "Health", "Punjab", "Lahore", "ongoing", 4, 20],
                   ["IRP", "Health", "Punjab", "Newtown Valley", "ongoing", 5, 25],
                   ["IRP", "Nutrition", "Punjab", "newtown valley", "ongoing", 6, 30]])
    at = upload(submit_page(admin), "matriz_dezembro.xlsx", data)
    assert problems(at) == [t for t in problems(at) if "must be fixed" not in t] == []
    assert any("2 row(s) will wait in the review queue" in i.value for i in at.info)
    at.checkbox(key="reject_whole").check().run()
    assert any("2 error(s) must be fixed" in e.value for e in at.error)  # the uploader's choice: nothing stored
    at.checkbox(key="reject_whole").uncheck().run()
    confirm = next(b for b in at.button if b.label == f"Confirm and submit 1 activity for {IRP}")
    assert not confirm.disabled
    confirm.click().run()
    assert problems(at) == []
    counted = picture.current_activities(engine, admin)
    assert counted.loc[counted["org_name"] == IRP, "reached"].tolist() == [20.0]

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["actor"] = admin
    at.run()
    at.switch_page("pages/admin.py")
    at.run()
    at.button_group(key="admin_section").set_value("Waiting rows").run()
    assert problems(at) == []
    # the column as the return names it, not the stored field's name
    assert at.selectbox(key="waiting_pick").value == "District 'Newtown Valley' (2 rows)"
    waiting = next(d.value for d in at.dataframe if "Value as written" in d.value.columns)
    assert waiting[["Column", "Value as written", "Rows"]].values.tolist() == [["District", "Newtown Valley", 2]]
    at.text_input(key="waiting_to").input("PK601").run()
    at.button(key="waiting_settle").click().run()
    assert problems(at) == []
    assert any("2 row(s) settled as PK601" in s.value for s in at.success)
    counted = picture.current_activities(engine, admin)
    mine = counted[counted["org_name"] == IRP].sort_values("reached")
    assert mine[["adm2_name", "reached"]].values.tolist() == [["Lahore", 20.0], ["Attock", 25.0], ["Attock", 30.0]]
    assert any("No row is waiting" in s.value for s in at.success)
