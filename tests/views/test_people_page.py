"""The People in two programmes page with AppTest: who reaches it, upload, consent, compare, the offline tool."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping import workflow
from mapping.store import auth, db
from mapping.store import people as sp
from tests.factories.app import PASSWORD, USERS, deployment_settings, module_deployment
from tests.factories.people import write_hashed

ROOT = Path(__file__).resolve().parents[2]
APP, PAGE = str(ROOT / "app.py"), "pages/people.py"
IRP, KCT = "Indus Relief Partners", "Khyber *Care* <b>Trust</b>"
CASH, MCH = "Cash for Families (fictional)", "Mother *and* Child (fictional)"
# Cash lists 300 people in Lahore (200 also in MCH there) and 20 in Quetta (3 also in MCH there)
CASH_PEOPLE = [(n, "PK617") for n in range(300)] + [(n, "PK226") for n in range(1000, 1020)]
MCH_PEOPLE = [(n, "PK617") for n in range(200)] + [(n, "PK617") for n in range(5000, 5100)] + \
             [(n, "PK226") for n in range(1000, 1003)]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    built = module_deployment(tmp_path_factory.mktemp("people_app"), shared_boundaries,
                              admin_email="secretariat@people.test", admin_password="people-test-admin")
    with deployment_settings(built):
        engine = db.connect()
        sp.add_programme(engine, workflow.SYSTEM, CASH, owner_org=IRP)
        sp.add_programme(engine, workflow.SYSTEM, MCH, owner_org=KCT)
        path = write_hashed(built["base"] / "mch.csv", MCH_PEOPLE)
        workflow.people_upload(engine, actor("focal_point_2"), path.read_bytes(), "mch.csv", programme=MCH)
    built["cash_file"] = write_hashed(built["base"] / "cash.csv", CASH_PEOPLE)
    return built


@pytest.fixture
def app_env(_isolated_dirs, deployment, monkeypatch):
    for k, v in deployment["env"].items():
        monkeypatch.setenv(k, v)
    return deployment


def actor(role: str) -> db.Actor:
    return auth.authenticate(db.connect(), USERS[role][0], PASSWORD)


def start(who: db.Actor | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if who is not None:
        at.session_state["actor"] = who
    at.run()
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("role", ["viewer", "public"])
def test_viewers_and_the_public_cannot_reach_the_page(app_env, role):
    db.set_setting(db.connect(), workflow.SYSTEM, "public_view", "1")
    at = start(None if role == "public" else actor(role))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    direct = AppTest.from_file(str(ROOT / PAGE), default_timeout=120)
    if role == "viewer":
        direct.session_state["actor"] = actor(role)
    direct.run()
    assert not direct.exception and not direct.tabs and not direct.dataframe
    assert any("not available to your account" in e.value for e in direct.error)


def test_focal_points_upload_consent_and_compare_with_small_counts_hidden(app_env):
    irp = actor("focal_point")
    at = start(irp)
    at.switch_page(PAGE).run()
    assert not at.exception and at.title[0].value == "People in two programmes"
    assert any('Counts from 1 to 9 are shown as "<10"' in i.value for i in at.info)
    # the other programme's list exists but is not listed for this focal point
    assert not at.dataframe and any("No hashed lists you may see" in c.value for c in at.caption)
    at.file_uploader(key="people_up_file").set_value(
        ("cash.csv", app_env["cash_file"].read_bytes(), "text/csv")).run()
    button(at, "Upload").click().run()
    assert any("320 people in 2 districts stored" in s.value for s in at.success), [e.value for e in at.error]
    at.run()
    listed = at.dataframe[0].value
    assert list(listed["Programme"]) == [CASH] and list(listed["People"]) == [320]
    at.selectbox(key="people_a").set_value(CASH).run()
    at.selectbox(key="people_b").set_value(MCH).run()
    button(at, "Compare").click().run()
    assert any("needs both owners' consent" in e.value for e in at.error)
    at.selectbox(key="people_consent_other").set_value(MCH).run()
    button(at, "Agree to compare").click().run()
    sp.set_consent(db.connect(), actor("focal_point_2"), MCH, CASH)
    button(at, "Compare").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"People in both": "203", f"Only in {CASH}": "117", f"Only in {MCH}": "100"}
    table = next(d.value for d in at.dataframe if "In both" in d.value.columns)
    rows = {r["District"]: r for r in table.to_dict("records")}
    assert rows["Quetta"]["In both"] == "<10" and rows["Quetta"]["Only in " + CASH] == "suppressed"
    assert rows["Lahore"]["In both"] == "suppressed"  # secondary: the total would give Quetta away
    assert "1000" not in table.to_string()
    # deletion on request, from the page: the list is gone at once and the comparison says so
    at.selectbox(key="people_delete_prog").set_value(CASH).run()
    button(at, "Delete its hashed lists").click().run()
    assert any(f"1 hashed list of {CASH} deleted" in s.value for s in at.success), [e.value for e in at.error]
    at.run()
    assert not [d for d in at.dataframe if "Programme" in d.value.columns]
    assert any("No hashed lists you may see" in c.value for c in at.caption)
    button(at, "Compare").click().run()
    assert any(f"No hashed list of {CASH}" in e.value for e in at.error)
    assert not at.metric


def test_offline_tool_is_offered_with_this_deployments_districts(app_env):
    at = start(actor("admin"))
    at.switch_page(PAGE).run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    # the one thing to download is the tool: no list, hash or per-person result, even for an admin who sees a list
    assert labels == ["Download the offline pseudonymisation page (.html)"]
    assert any(MCH in str(d.value) for d in at.dataframe)
    assert any("pseudonymise hash LIST.csv" in c.value for c in at.code)


def test_export_page_puts_a_consenting_pair_in_the_pdf(app_env):
    import io

    from pypdf import PdfReader

    engine = db.connect()
    irp, kct = actor("focal_point"), actor("focal_point_2")
    workflow.people_upload(engine, irp, app_env["cash_file"].read_bytes(), "cash.csv", programme=CASH)
    sp.set_consent(engine, irp, CASH, MCH)
    sp.set_consent(engine, kct, MCH, CASH)
    viewer = start(actor("viewer"))
    viewer.switch_page("pages/export.py").run()
    assert not [m for m in viewer.multiselect if m.key == "pdf_people"]  # viewers are never offered the pair
    at = start(irp)
    at.switch_page("pages/export.py").run()
    at.multiselect(key="pdf_people").set_value([(CASH, MCH)]).run()
    button(at, "Build the PDF snapshot").click().run()
    assert not at.exception and not at.error
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(at.session_state["_pdf"])).pages)
    assert "People in two programmes" in text and "<10" in text and "Quetta" in text


def _consenting_pair(deployment: dict) -> None:
    engine = db.connect()
    irp, kct = actor("focal_point"), actor("focal_point_2")
    workflow.people_upload(engine, irp, deployment["cash_file"].read_bytes(), "cash.csv", programme=CASH)
    sp.set_consent(engine, irp, CASH, MCH)
    sp.set_consent(engine, kct, MCH, CASH)


@pytest.mark.parametrize("role", ["viewer", "public"])
def test_the_overlap_page_has_no_people_section_for_viewers_and_the_public(app_env, role):
    _consenting_pair(app_env)
    db.set_setting(db.connect(), workflow.SYSTEM, "public_view", "1")
    at = start(None if role == "public" else actor(role))
    at.switch_page("pages/gaps.py").run()
    assert not at.exception and at.title[0].value == "Gaps & overlaps"
    assert not any("People in two programmes" in m.value for m in at.markdown)
    assert not [s for s in at.selectbox if s.key == "gaps_people_pair"] and not at.metric


def test_the_overlap_page_gains_people_in_two_programmes_with_the_rule_stated(app_env):
    _consenting_pair(app_env)
    at = start(actor("focal_point"))
    at.switch_page("pages/gaps.py").run()
    assert not at.exception
    assert any(m.value == "**People in two programmes**" for m in at.markdown)
    assert at.selectbox(key="gaps_people_pair").value == (CASH, MCH)
    assert not at.metric  # counted only on request: every comparison is audited
    button(at, "Count the people in both").click().run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric} == {"People in both": "203", f"Only in {CASH}": "117",
                                                      f"Only in {MCH}": "100"}
    assert any('Counts from 1 to 9 are shown as "<10"' in c.value for c in at.caption)
    table = next(d.value for d in at.dataframe if "In both" in d.value.columns)
    rows = {r["District"]: r for r in table.to_dict("records")}
    assert (rows["Quetta"]["In both"], rows["Lahore"]["In both"]) == ("<10", "suppressed")
    log = db.audit_log(db.connect(), workflow.SYSTEM, action="people.compare", limit=1)
    assert log[0]["email"] == USERS["focal_point"][0]


def test_the_report_command_adds_a_consenting_pair_to_the_pdf(app_env, tmp_path, capsys):
    import io

    from pypdf import PdfReader

    from mapping import cli

    _consenting_pair(app_env)
    pdf = tmp_path / "snapshot.pdf"
    sp.set_consent(db.connect(), actor("focal_point_2"), MCH, CASH, given=False)
    assert cli.main(["report", "--out", str(pdf), "--people", CASH, MCH]) == 1
    assert "needs both owners' consent; missing: " + MCH in capsys.readouterr().err and not pdf.exists()
    sp.set_consent(db.connect(), actor("focal_point_2"), MCH, CASH)
    assert cli.main(["report", "--out", str(pdf), "--people", CASH, MCH]) == 0
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "People in two programmes" in text and 'Counts from 1 to 9 are shown as "<10"' in text
    assert "Quetta" in text and "<10" in text and "suppressed" in text
