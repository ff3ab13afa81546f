"""The Admin page keeps the secretariat where it acted (issue 20, defect 6).

After an action the page reruns; with tabs it opened Submissions again, showed an error under the tab the user
had left and emptied the form. One section at a time, kept in the session, fixes all three.
"""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from mapping.store import auth, db, registry
from tests.views.test_admin_page import APP, admin, admin_env, deployment, flash, open_admin, problems, tab

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
    from tests.factories.app import RETURNS, return_bytes

    engine = db.connect()
    _open_new_round(engine)
    from mapping import workflow

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
