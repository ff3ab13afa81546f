"""The Admin page keeps the secretariat where it acted (issue 20, defect 6).

After an action the page reruns; with tabs it opened Submissions again, showed an error under the tab the user
had left and emptied the form. One section at a time, kept in the session, fixes all three.
Also what some sections do end to end (reporting, rates, vocabularies): the page's action, then what the engine holds.
"""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from mapping import workflow
from mapping.returns import schema
from mapping.store import auth, db, lists, registry
from tests.factories.app import PASSWORD, USERS, return_bytes
from tests.views.test_admin_page import (
    APP,
    ROOT,
    admin,
    admin_env,
    button,
    deployment,
    flash,
    open_admin,
    problems,
    start_as,
    tab,
)

__all__ = ["admin_env", "deployment"]  # fixtures shared with the Admin page tests


def test_a_refused_form_keeps_its_section_its_values_and_shows_the_error_there(admin_env):
    at = open_admin(admin())
    tab(at, "Accounts")
    at.text_input(key="user_new_email").input("new.focal@twa.test")
    at.selectbox(key="user_new_role").set_value("viewer")
    at.text_input(key="user_new_password").input("short")
    next(b for b in at.button if b.label == "Add account").click().run()
    assert at.exception == []
    assert at.button_group(key="admin_section").value == "Accounts"
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "The password is too short" in errors[0]
    assert at.text_input(key="user_new_email").value == "new.focal@twa.test"  # nothing to type again
    assert auth.user_for_email(db.connect(), "new.focal@twa.test") is None


def test_an_action_that_works_stays_in_its_section_and_empties_the_form(admin_env):
    at = open_admin(admin())
    tab(at, "Organisations")
    at.text_input(key="org_new_name").input("Thar Water Alliance")
    at.text_input(key="org_new_acronym").input("TWA")
    next(b for b in at.button if b.label == "Add organisation").click().run()
    assert problems(at) == []
    assert at.button_group(key="admin_section").value == "Organisations"
    assert flash(at) == ["Added Thar Water Alliance."]
    assert at.text_input(key="org_new_name").value == ""
    assert "Thar Water Alliance" in [o["name"] for o in registry.list_orgs(db.connect())]
    at.run()  # a later rerun (any click) still shows the same section
    assert at.button_group(key="admin_section").value == "Organisations"


def test_a_focal_point_account_without_organisation_is_told_in_page_words(admin_env):
    at = open_admin(admin())
    tab(at, "Accounts")
    at.text_input(key="user_new_email").input("lost@twa.test")
    next(b for b in at.button if b.label == "Add account").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "choose the organisation" in errors[0] and "--org" not in errors[0]


def _open_new_round(engine) -> None:
    registry.add_round(engine, db.CLI_ADMIN, "2027 H1", "2027-01-01", "2027-06-30")
    for r in registry.list_rounds(engine):
        if r["name"] != "2027 H1":
            registry.lock_round(engine, db.CLI_ADMIN, r["name"])


def test_a_new_round_says_carried_forward_not_reported_and_shows_rejections(admin_env):
    from tests.factories.app import RETURNS

    engine = db.connect()
    _open_new_round(engine)
    bad = [RETURNS["Indus Relief Partners"][0] | {"adm2_name": "Atlantis"}]
    outcome = workflow.submit_file(engine, workflow.SYSTEM, return_bytes(bad), "irp.xlsx",
                                   org="Indus Relief Partners", round_name="2027 H1", reject_whole=True)
    assert outcome.status == "rejected"
    at = open_admin(admin())
    at.switch_page("pages/overview.py")
    at.run()
    assert problems(at) == []
    said = "\n".join(str(m.value) for m in [*at.markdown, *at.warning, *at.success])
    assert "carried forward from" in said and "not reported in this round yet" in said
    assert " organisations have reported in 2027 H1; 2 are carried forward from " in said
    assert "0 of " in said
    table = at.dataframe[0].value.set_index("Organisation")
    assert table.loc["Khyber *Care* <b>Trust</b>", "Standing"].startswith("carried forward from ")
    irp = table.loc["Indus Relief Partners", "Standing"]
    assert irp.startswith("carried forward from ") and "rejected on " in irp and irp.endswith("— 1 errors")
    assert table.loc["Sindh Futures Fund", "Standing"] == "not yet"


def test_the_secretariat_lists_who_is_missing_and_reminds_them_by_email(admin_env, monkeypatch):
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Keep(Message):
        messages: list = []

        def handle_message(self, message):
            self.messages.append(message)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        engine = db.connect()
        _open_new_round(engine)
        auth.add_user(engine, db.CLI_ADMIN, email="focal@sff.test", role="focal_point", org="Sindh Futures Fund",
                      password="sff-pass-123")
        at = open_admin(admin())
        tab(at, "Reporting")
        assert problems(at) == []
        # no mail server yet: the page says which setting is missing and offers the addresses to copy
        assert any("STOCKTAKE\\_SMTP\\_HOST" in c.value for c in at.caption)
        assert "focal@irp.test" in at.code[0].value and "focal@sff.test" in at.code[0].value
        assert [b.label for b in at.get("download_button")][0] == "Download the list (CSV)"
        at.date_input(key="rep_deadline_2027 H1").set_value(dt.date(2027, 2, 15)).run()
        next(b for b in at.button if b.label == "Save deadline").click().run()
        assert flash(at) == ["Returns for 2027 H1 are due by 15 Feb 2027."]
        for k, v in {"STOCKTAKE_SMTP_HOST": "127.0.0.1", "STOCKTAKE_SMTP_PORT": str(port),
                     "STOCKTAKE_SMTP_SECURITY": "none", "STOCKTAKE_SMTP_FROM": "secretariat@3w.test"}.items():
            monkeypatch.setenv(k, v)
        at.run()
        box = next(c for c in at.checkbox if c.label.startswith("E-mail a reminder"))
        box.check().run()
        next(b for b in at.button if b.label == "Send reminders").click().run()
        assert problems(at) == []
        assert at.button_group(key="admin_section").value == "Reporting"
        sent = flash(at)[0]
        assert sent.startswith("Sent 3 reminders (") and "Sindh Futures Fund" in sent
        to = sorted(m["To"] for m in Keep.messages)
        assert to == ["focal@irp.test", "focal@kct.test", "focal@sff.test"]
        assert all(m["Subject"].endswith("your return for 2027 H1 is due by 15 Feb 2027") for m in Keep.messages)
        # the focal point sees the deadline where it submits
        focal = auth.authenticate(db.connect(), "focal@sff.test", "sff-pass-123")
        page = AppTest.from_file(APP, default_timeout=90)
        page.session_state["actor"] = focal
        page.run()
        page.switch_page("pages/submit.py")
        page.run()
        assert any("Returns for 2027 H1 are due by **15 Feb 2027**" in i.value for i in [*page.info, *page.warning])
    finally:
        controller.stop()


def test_an_organisations_timeline_on_the_admin_page(admin_env):
    at = open_admin(admin())
    tab(at, "Reporting")
    at.selectbox(key="rep_timeline_org").set_value("Indus Relief Partners").run()
    assert problems(at) == []
    shown = at.dataframe[-1].value
    assert list(shown["What happened"]) == ["accepted (current): 3 activities (3 new, 0 changed, 0 ended)"]
    assert list(shown["Submitted by"]) == ["system"]


def test_the_secretariat_sets_the_exchange_rates_and_the_budget_matrix_states_them(admin_env, monkeypatch, tmp_path):
    from mapping.analysis import currency

    monkeypatch.setenv("STOCKTAKE_DATA_DIR", str(tmp_path / "data"))
    at = open_admin(admin())
    tab(at, "Exchange rates")
    assert problems(at) == []
    bad = b"currency,rate,reporting_currency,as_of\nPKR,lots,USD,2026-11-01\n"
    at.file_uploader(key="rates_upload").set_value(("rates.csv", bad, "text/csv")).run()
    next(b for b in at.button if b.label == "Use these rates").click().run()
    assert [e.value for e in at.error][0].startswith("Reading rates.csv: rates.csv, line 2, column rate: 'lots'")
    good = b"currency,rate,reporting_currency,as_of,source\nPKR,0.0035,USD,2026-11-15,SBP\n"
    at.file_uploader(key="rates_upload").set_value(("rates.csv", good, "text/csv")).run()
    next(b for b in at.button if b.label == "Use these rates").click().run()
    assert problems(at) == []
    assert flash(at) == ["2 rates saved. Budgets in USD at the rates of 15 Nov 2026 (PKR 1 = USD 0.0035), from "
                         "rates.csv."]
    assert currency.load_rates().rate == {"PKR": 0.0035, "USD": 1.0}
    at.switch_page("pages/matrices.py")
    at.run()
    at.radio(key="mx_measure").set_value("budget").run()
    assert problems(at) == []
    assert any(c.value.startswith("Budgets in USD") for c in at.caption)
    assert any("Budget (USD) per cell" in h.body for h in at.get("html"))


def _status_issues(engine) -> tuple[list, list[dict]]:
    """Check a return whose status is written "called off": (the issues on its Status column, its records)."""
    row = {"org_name": "IRP", "sector": "Health", "activity": "Clinics", "adm1_name": "Punjab", "adm2_name": "Lahore",
           "status": "called off", "start_date": "01/01/2026"}
    result = workflow.validate_upload(engine, return_bytes([row]), "irp.xlsx", org="Indus Relief Partners")
    return [i for i in result.issues if i.field == "status"], result.records


def test_an_admin_adds_a_status_with_its_alias_and_the_next_return_is_read_with_it(admin_env, monkeypatch, tmp_path):
    monkeypatch.setenv("STOCKTAKE_DATA_DIR", str(tmp_path / "data"))  # the edited list is this test's own copy
    schema.load_vocabularies.cache_clear()
    engine = db.connect()
    try:
        before, _ = _status_issues(engine)
        assert [(i.severity, i.value) for i in before] == [("warning", "called off")]  # off the list: kept, warned

        at = open_admin(admin())
        tab(at, "Vocabularies")
        at.selectbox(key="vocab_which").set_value("Statuses").run()
        editor = at.data_editor(key="vocab_status")
        assert "suspended" in list(editor.value["status"]) and "cancelled" not in list(editor.value["status"])
        at.session_state["vocab_status"] = {"edited_rows": {}, "deleted_rows": [],
                                            "added_rows": [{"status": "cancelled", "aliases": "called off|dropped"}]}
        at.run()
        button(at, "Save the list").click().run()
        assert problems(at) == []
        assert at.button_group(key="admin_section").value == "Vocabularies"
        assert flash(at) == ["Saved 5 rows to statuses.csv."]

        # saved through the engine: the deployment's copy of the list, and who did it in the audit log
        assert {"status": "cancelled", "aliases": "called off|dropped"} in lists.read_list("status")[1]
        [entry] = db.audit_log(engine, db.CLI_ADMIN, action="vocabulary.save")
        assert entry["email"] == USERS["admin"][0] and entry["detail"]["added"] == ["cancelled"]
        # and the next return is read with it: "called off" is the new status, no warning any more
        after, records = _status_issues(engine)
        assert after == [] and [r["status"] for r in records] == ["cancelled"]
    finally:
        schema.load_vocabularies.cache_clear()  # later tests read the shipped lists again


def test_a_focal_point_cannot_reach_the_vocabularies(admin_env):
    engine = db.connect()
    focal = auth.authenticate(engine, USERS["focal_point"][0], PASSWORD)
    at = start_as(focal)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a focal point's menu
        at.switch_page("pages/admin.py")
    direct = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=90)  # nor by its own script
    direct.session_state["actor"] = focal
    direct.session_state["admin_section"] = "Vocabularies"
    direct.run()
    assert not direct.data_editor and [e.value for e in direct.error] == [
        "This page is not available to your account. Sign in with an account that has access (Secretariat (admin))."]
    with pytest.raises(db.PermissionDenied):  # the engine refuses too
        lists.add_value(engine, focal, "status", "cancelled")
    assert "cancelled" not in [r["status"] for r in lists.read_list("status")[1]]


def test_values_a_focal_point_wrote_wait_for_the_secretariat_who_maps_them_once_on_the_admin_page(admin_env):
    """A focal point cannot map values: 'Saúde' and 'Em andamento' are stored as written and wait on the Admin
    page, each once with its rows and suggestion; applying the suggestions makes the stored rows count as Health
    and ongoing, and removing a mapping shows the value as written again."""
    from mapping.store import picture, vocabulary

    engine = db.connect()
    focal = auth.authenticate(engine, USERS["focal_point"][0], PASSWORD)
    rows = [{"org_name": "IRP", "sector": "Saúde", "activity": f"Clinics {i}", "adm1_name": "Punjab",
             "adm2_name": "Lahore", "status": "Em andamento", "start_date": "01/01/2026"} for i in range(3)]
    assert workflow.submit_file(engine, focal, return_bytes(rows), "irp_pt.xlsx",
                                org="Indus Relief Partners").status == "stored"

    matrices = start_as(admin())
    matrices.switch_page("pages/matrices.py").run()
    sectors = matrices.multiselect(key="flt_sectors").options  # the filter says what is not one of the list's
    assert "Saúde (not on the list)" in sectors and "Health" in sectors and "Saúde" not in sectors
    assert "Em andamento (not on the list)" in matrices.multiselect(key="flt_statuses").options

    at = open_admin(admin())
    tab(at, "Vocabularies")
    waiting = next(d.value for d in at.dataframe if "Suggestion" in d.value.columns)
    assert waiting[["List", "Value", "Rows", "Suggestion", "Confidence", "Organisations"]].values.tolist() == [
        ["Sector", "Saúde", 3, "Health", "95%", "Indus Relief Partners"],
        ["Status", "Em andamento", 3, "ongoing", "95%", "Indus Relief Partners"]]
    assert at.selectbox(key="waiting_map_0_sector_Saúde").value == "Health"  # the suggestion is preselected
    button(at, "Apply all suggestions (≥ 90% sure)").click().run()
    assert problems(at) == [] and at.button_group(key="admin_section").value == "Vocabularies"
    assert flash(at) == ["Saved: the stored rows now count under the values they were mapped to."]
    mine = picture.current_activities(engine, db.CLI_ADMIN).query("activity.str.startswith('Clinics ')")
    assert set(mine["sector"]) == {"Health"} and set(mine["status"]) == {"ongoing"}
    assert [c.value for c in at.caption if str(c.value).startswith("No value waits for a mapping")]

    confirmed = next(d.value for d in at.dataframe if "Reads as" in d.value.columns)
    assert confirmed[["List", "As written", "Reads as", "By"]].values.tolist() == [
        ["Sector", "Saúde", "Health", USERS["admin"][0]], ["Status", "Em andamento", "ongoing", USERS["admin"][0]]]
    at.selectbox(key="unmap_pick").set_value("Sector: 'Saúde' → Health").run()
    button(at, "Remove this mapping").click().run()
    assert flash(at) == ["'Saúde' is no longer mapped; its rows show it as written again."]
    assert [a["alias"] for a in vocabulary.aliases(engine)] == ["Em andamento"]
    mine = picture.current_activities(engine, db.CLI_ADMIN).query("activity.str.startswith('Clinics ')")
    assert set(mine["sector"]) == {"Saúde"}
    waiting = next(d.value for d in at.dataframe if "Suggestion" in d.value.columns)
    assert waiting["Value"].tolist() == ["Saúde"]
