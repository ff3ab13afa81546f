"""Page logic with Streamlit's AppTest: every page renders for every role, and roles stay in their lane.

One small deployment (real boundaries from ../shared/boundaries, three organisations and their returns, built
through the normal upload path by tests/factories/app.py) is prepared per module; each test points the app at
it through the environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping import config, workflow
from mapping.store import auth, db, picture, registry, submissions
from tests.factories.app import PASSWORD, USERS, module_deployment, return_bytes
from tests.factories.returns import xlsx

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = {
    "overview": ("pages/overview.py", config.title()),
    "map": ("pages/map.py", "Map"),
    "matrices": ("pages/matrices.py", "Matrices"),
    "gaps": ("pages/gaps.py", "Gaps & overlaps"),
    "export": ("pages/export.py", "Export"),
    "submit": ("pages/submit.py", "Submit a return"),
    "admin": ("pages/admin.py", "Admin"),
}
ROLE_PAGES = {
    "public": ("overview", "map", "matrices", "gaps", "export"),
    "viewer": ("overview", "map", "matrices", "gaps", "export"),
    "focal_point": ("overview", "map", "matrices", "gaps", "export", "submit"),
    "admin": ("overview", "map", "matrices", "gaps", "export", "submit", "admin"),
}
IRP, KCT = "Indus Relief Partners", "Khyber *Care* <b>Trust</b>"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    return module_deployment(tmp_path_factory.mktemp("app"), shared_boundaries, admin_email="secretariat@app.test",
                             admin_password="app-test-admin")


@pytest.fixture
def app_env(_isolated_dirs, deployment, monkeypatch):
    for k, v in deployment["env"].items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("STOCKTAKE_PUBLIC_VIEW", raising=False)
    return deployment


def actor_for(role: str) -> db.Actor | None:
    if role == "public":
        return None
    return auth.authenticate(db.connect(), USERS[role][0], PASSWORD)


def start(actor: db.Actor | None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if actor is not None:
        at.session_state["actor"] = actor
    at.run()
    if page:
        at.switch_page(PAGES[page][0])
        at.run()
    return at


def return_box(at: AppTest):
    """The Submit page's box for the return itself (the IATI box may come first)."""
    return at.file_uploader(key="upload_0")


def problems(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def texts(at: AppTest) -> str:
    parts = [*at.markdown, *at.caption, *at.subheader, *at.success, *at.info, *at.warning]
    return "\n".join(str(p.value) for p in parts)


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_page_renders_for_each_role(app_env, role):
    at = start(actor_for(role))
    assert problems(at) == []
    assert at.title[0].value == config.title()
    for name in ROLE_PAGES[role][1:]:
        path, title = PAGES[name]
        at.switch_page(path)
        at.run()
        assert problems(at) == [], f"{role} on {name}: {problems(at)}"
        assert at.title[0].value == title, f"{role} on {name} shows {at.title[0].value!r}"


@pytest.mark.parametrize("role,page", [("public", "submit"), ("public", "admin"), ("viewer", "submit"),
                                       ("viewer", "admin"), ("focal_point", "admin")])
def test_pages_outside_the_role_cannot_be_reached(app_env, role, page):
    at = start(actor_for(role))
    # the page is not in this role's menu at all: navigation refuses it
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGES[page][0])


@pytest.mark.parametrize("page", ["submit", "admin"])
def test_page_guards_itself_even_if_reached(app_env, page):
    """Defence behind the menu: run the page script directly as a viewer (e.g. a stale link)."""
    at = AppTest.from_file(str(ROOT / PAGES[page][0]), default_timeout=90)
    at.session_state["actor"] = actor_for("viewer")
    at.run()
    assert not at.exception
    assert PAGES[page][1] not in [t.value for t in at.title]
    assert not at.tabs and not at.file_uploader
    assert [e.value for e in at.error] == [
        "This page is not available to your account. Sign in with an account that has access ("
        + ("Focal point, Secretariat (admin)" if page == "submit" else "Secretariat (admin)") + ")."]


def test_overview_figures_match_the_picture(app_env):
    viewer = actor_for("viewer")
    acts = picture.current_activities(db.connect(), viewer)
    at = start(viewer)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Partners"] == "2"
    assert metrics["Activities"] == str(len(acts)) == "5"
    # D.G Khan (both partners), Nawabshah, Lahore; the province-wide activity covers no district
    assert metrics["Districts covered"] == "3 of 160"
    assert "2 of 3 organisations have reported in" in texts(at) and "1 has sent nothing" in texts(at)
    fresh = next(d.value for d in at.dataframe if "Organisation" in d.value.columns)
    assert list(fresh.columns) == ["Organisation", "Standing"]  # the name first, where the narrow panel has room
    assert fresh.set_index("Organisation").loc["Sindh Futures Fund", "Standing"] == "not yet"


def test_markup_in_an_organisation_name_is_shown_as_text(app_env):
    at = start(actor_for("viewer"))
    shown = texts(at)
    assert "<b>Trust</b>" not in shown.replace("\\<b\\>", "")
    assert "Khyber \\*Care\\* \\<b\\>Trust\\</b\\>" in shown or KCT in str(at.dataframe[0].value.to_string())


def test_filters_come_from_the_link_and_go_back_into_it(app_env):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["sec"] = "Health"
    at.run()
    assert problems(at) == []
    assert at.multiselect(key="flt_sectors").value == ["Health"]
    assert {m.label: m.value for m in at.metric}["Activities"] == "3"
    at.multiselect(key="flt_sectors").set_value(["Health", "Education"]).run()
    assert at.query_params["sec"] in (["Health,Education"], "Health,Education")
    assert {m.label: m.value for m in at.metric}["Activities"] == "4"
    assert "Sectors: Health, Education" in texts(at)
    # the same filters follow the user to the next page
    at.switch_page(PAGES["matrices"][0])
    at.run()
    assert at.multiselect(key="flt_sectors").value == ["Health", "Education"]
    assert "Sectors: Health, Education" in texts(at)


def test_map_page_opens_a_district_profile(app_env):
    at = start(actor_for("viewer"), "map")
    # before a district is picked: the busiest districts as a numbered list, and the province-wide activity in
    # words under the map; no data grid on this page, whose script would hold up the map's first paint
    assert "1. **Dera Ghazi Khan** (Punjab): 2 partners, 2 activities" in texts(at)
    assert "- **Indus Relief Partners** — Health: Province-wide training (planned) — Sindh" in texts(at)
    assert not at.dataframe
    at.selectbox(key="map_district").set_value("PK607").run()  # Dera Ghazi Khan
    assert problems(at) == []
    assert [s.value for s in at.subheader] == ["Dera Ghazi Khan"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Partners"] == "2" and metrics["Activities"] == "2"
    # one readable line per partner (long names wrap in markdown); the hostile name is shown as written
    assert f"- **{IRP}** · 1 activity · Health · since Feb 2026" in texts(at)
    assert "- **Khyber \\*Care\\* \\<b\\>Trust\\</b\\>** · 1 activity" in texts(at)
    assert "**Donors:** Sindh Futures Fund" in texts(at)
    # each activity reads in full in the narrow panel: partner, sector, what, status, dates, people, donor
    activities = next(e for e in at.expander if e.label == "Activities (2)")
    lines = "\n".join(str(m.value) for m in activities.markdown)
    assert f"- **{IRP}** — Health" in lines and "ongoing" in lines and "targeted" in lines, lines
    # the province-wide activity is listed apart, never drawn on a district
    assert any("Province-wide and national activities (1)" in e.label for e in at.expander)


def test_an_overlap_lists_whom_to_put_in_touch_within_the_screen(app_env):
    at = start(actor_for("viewer"), "gaps")
    assert problems(at) == []
    overlaps = next(d.value for d in at.dataframe if "Partners to put in touch" in d.value.columns)
    # where, what and whom first: the partners were the fifth column and cut off after a name or two
    assert list(overlaps.columns[:4]) == ["District", "Province", "Sub-sector", "Partners to put in touch"]
    dgk = overlaps.set_index("District").loc["Dera Ghazi Khan"]
    assert dgk["Sub-sector"] == "Primary health care" and IRP in dgk["Partners to put in touch"]


def test_gaps_with_a_province_chosen_list_only_that_provinces_districts(app_env):
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["actor"] = actor_for("viewer")
    at.query_params["prov"] = "Sindh"  # a shared link with the province filter
    at.run()
    at.switch_page(PAGES["gaps"][0])
    at.run()
    assert problems(at) == []
    listed = next(d.value for d in at.dataframe if "Sectors missing" in d.value.columns)
    assert set(listed["Province"]) == {"Sindh"}  # not every district of the map as "no partner at all"
    caption = next(c.value for c in at.caption if "district × sector gaps in" in c.value)
    assert f"gaps in {len(listed)} districts; {len(listed) - 1} districts have no partner at all" in caption


def test_filters_that_leave_nothing_say_so_and_what_to_do_on_every_page(app_env):
    from mapping.analysis.filters import NOTHING_IN_VIEW

    def opened(page: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        at.session_state["actor"] = actor_for("viewer")
        at.query_params["sec"] = "WASH"  # nobody here works on WASH
        at.run()
        at.switch_page(PAGES[page][0])
        return at.run()

    overview = opened("overview")
    assert problems(overview) == [] and f"- {NOTHING_IN_VIEW}" in texts(overview)
    map_page = opened("map")  # not "No activity reported yet": five are, none in this view
    assert NOTHING_IN_VIEW in texts(map_page) and "No activity reported yet" not in texts(map_page)
    matrices = opened("matrices")
    assert [i.value for i in matrices.info] == [NOTHING_IN_VIEW]
    assert not matrices.dataframe and not matrices.get("download_button")  # no blank grid to download


def test_an_ended_session_signs_out_and_says_so(app_env):
    from views import core

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["actor"] = actor_for("viewer")
    at.session_state[core.SESSION_KEY] = 987654  # a session signed out in another tab
    at.run()
    assert problems(at) == [] and any("Your session has ended" in w.value for w in at.warning)
    assert "actor" not in at.session_state and any(b.label == "Dismiss" for b in at.button)
    # that the note stays across reruns and pages until dismissed is seen in the browser (test_e2e_sessions):
    # AppTest runs a page's later runs without app.py


def sign_in_form(email: str, password: str) -> AppTest:
    """The sign-in page, filled in and sent."""
    at = start(None)
    at.switch_page("pages/signin.py")
    at.run()
    at.text_input(key="signin_email").set_value(email)
    at.text_input(key="signin_password").set_value(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


def test_wrong_password_is_a_message_not_a_traceback(app_env):
    at = sign_in_form("viewer@app.test", "not-the-password")
    assert not at.exception
    assert [e.value for e in at.error] == ["Wrong e-mail or password."]


def test_a_signed_in_person_changes_their_password_on_the_account_page(app_env):
    engine = db.connect()
    auth.add_user(engine, workflow.SYSTEM, email="pw@app.test", role="viewer", password="first-pass-1")
    at = start(auth.authenticate(engine, "pw@app.test", "first-pass-1"))
    at.switch_page("pages/signin.py")
    at.run()
    assert at.title[0].value == "Your account"

    def change(current: str, new: str, again: str) -> None:
        at.text_input(key="pw_current").set_value(current)
        at.text_input(key="pw_new").set_value(new)
        at.text_input(key="pw_again").set_value(again)
        next(b for b in at.button if b.label == "Change password").click().run()
        assert not at.exception

    change("first-pass-1", "second-pass-2", "second-pass-X")
    assert [e.value for e in at.error] == ["The two new passwords differ; nothing was changed."]
    change("wrong-pass", "second-pass-2", "second-pass-2")
    assert [e.value for e in at.error] == ["Your current password was not accepted. Wrong e-mail or password. Type "
                                           "the password you signed in with."]
    change("first-pass-1", "second-pass-2", "second-pass-2")
    assert at.error == [] and [s.value for s in at.success] == [
        "Your password was changed. Use the new one next time you sign in."]
    assert auth.authenticate(engine, "pw@app.test", "second-pass-2").email == "pw@app.test"


def test_signing_in_with_a_one_time_password_asks_for_a_new_one(app_env):
    """After an admin's reset the person signs in with the one-time password and is asked for their own (issue
    13). That the menu then holds nothing else is seen in the browser (test_e2e_sessions): AppTest runs page
    files without app.py, which builds the menu."""
    from mapping.store import accounts

    engine = db.connect()
    auth.add_user(engine, workflow.SYSTEM, email="reset@app.test", role="focal_point", org=IRP, password="forgotten-1")
    one_time = accounts.reset_password(engine, db.CLI_ADMIN, "reset@app.test").password
    at = sign_in_form("reset@app.test", one_time)
    assert problems(at) == []
    assert [t.value for t in at.title] == ["Your account"]
    assert [w.value for w in at.warning] == ["You signed in with a one-time password. Choose your own password to "
                                             "continue."]

    def choose(first: str, again: str) -> None:
        next(t for t in at.text_input if t.label == "New password").set_value(first)
        next(t for t in at.text_input if t.label == "New password again").set_value(again)
        next(b for b in at.button if b.label == "Save my new password").click().run()

    choose("my-own-pass-1", "my-own-pass-2")
    assert [e.value for e in at.error] == ["The two passwords differ; type the same one twice."]
    assert auth.must_change_password(engine, "reset@app.test")
    choose("my-own-pass-1", "my-own-pass-1")
    assert problems(at) == [] and at.warning == [] and not at.session_state["must_change_password"]
    assert not auth.must_change_password(engine, "reset@app.test")
    assert auth.authenticate(engine, "reset@app.test", "my-own-pass-1").org_name == IRP
    with pytest.raises(auth.AuthError):
        auth.authenticate(engine, "reset@app.test", one_time)


def test_signing_in_changes_the_menu_to_the_role(app_env):
    at = sign_in_form("focal@irp.test", PASSWORD)
    assert problems(at) == []
    assert at.session_state["actor"].org_name == IRP
    assert "Focal point" in texts(at)
    at.switch_page(PAGES["submit"][0])
    at.run()
    assert at.title[0].value == "Submit a return"


def test_private_deployment_shows_only_sign_in(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'private.db'}")
    workflow.setup(demo=False)
    at = start(None)
    assert problems(at) == []
    assert [t.value for t in at.title] == [config.title()]
    assert at.text_input(key="signin_email").label == "E-mail"
    assert not at.metric, "no figures for an anonymous visitor of a private deployment"
    assert "visible to signed-in members of the group only" in texts(at)


def test_focal_point_submits_only_for_its_own_organisation(app_env):
    focal = actor_for("focal_point")
    at = start(focal, "submit")
    assert problems(at) == []
    assert not [s for s in at.selectbox if s.label.startswith("Organisation")], "no organisation picker"
    assert f"Returns for **{IRP}**" in texts(at)
    # a return written for another organisation is refused row by row, and cannot be confirmed
    row = {"org_name": "KCT", "sector": "Health", "activity": "Clinics", "adm1_name": "Punjab",
           "adm2_name": "Lahore", "status": "ongoing"}
    return_box(at).set_value(("other.xlsx", return_bytes([row]), "application/octet-stream")).run()
    assert not at.exception
    assert any("must be fixed" in e.value for e in at.error)
    confirm = [b for b in at.button if b.label.startswith("Confirm and submit")]
    assert confirm and confirm[0].disabled
    # and the engine refuses it too, whatever the page does
    with pytest.raises(db.PermissionDenied):
        workflow.submit_file(db.connect(), focal, return_bytes([row]), "other.xlsx", org=KCT)


def test_the_upload_box_states_and_applies_the_returns_own_size_limit(app_env):
    import math

    at = start(actor_for("focal_point"), "submit")
    box = return_box(at)
    limit = math.ceil(config.upload_limit(False) / (1024 * 1024))
    assert f"up to {limit} MB" in box.label
    assert box.label.startswith("Excel return (.xlsx, .xlsm, .xls, .ods or .csv;")
    assert [f".{k}" for k in ("xlsx", "xlsm", "xls", "ods", "csv")] == list(box.proto.type)  # what the label says
    assert box.proto.max_upload_size_mb == limit  # the browser refuses a bigger file, as the label says


def test_validation_report_lists_row_column_value_and_message(app_env):
    at = start(actor_for("focal_point"), "submit")
    rows = [{"org_name": "IRP", "sector": "Health", "activity": "Clinics", "adm1_name": "Punjab",
             "adm2_name": "Nowhereville", "status": "ongoing"}]
    return_box(at).set_value(("mistakes.xlsx", return_bytes(rows), "application/octet-stream")).run()
    assert not at.exception
    report = next(d.value for d in at.dataframe if "Message" in d.value.columns)  # the column panel comes first
    assert list(report.columns) == ["Row", "Column", "Value", "Severity", "Message", "Suggestion"]
    bad = report[report["Value"] == "Nowhereville"]
    assert len(bad) >= 1 and int(bad.iloc[0]["Row"]) == 2 and bad.iloc[0]["Severity"] == "error"
    assert {m.label: m.value for m in at.metric}["Errors"] != "0"
    assert any(b.label == "Download the annotated workbook" for b in at.get("download_button"))


def test_the_annotated_workbook_is_built_once_per_upload_and_a_refusal_is_said_once(app_env, monkeypatch):
    """Rebuilt on every rerun, a large return's annotated workbook cost the server minutes (issue 13, row 4)."""
    from mapping.returns import annotate
    from mapping.returns.readers import ReturnError

    real, calls = annotate.annotate_workbook, []

    def counted(data, filename, result):
        calls.append(filename)
        return real(data, filename, result)

    monkeypatch.setattr(annotate, "annotate_workbook", counted)
    at = start(actor_for("focal_point"), "submit")
    calls.clear()  # the page may have reopened an earlier test's unconfirmed upload
    rows = [{"org_name": "IRP", "sector": "Health", "activity": "Clinics annotated once", "adm1_name": "Punjab",
             "adm2_name": "Nowhereville", "status": "ongoing"}]
    return_box(at).set_value(("mistakes.xlsx", return_bytes(rows), "application/octet-stream")).run()
    at.run()
    at.run()
    assert not at.exception and calls == ["mistakes.xlsx"]
    assert any(b.label == "Download the annotated workbook" for b in at.get("download_button"))

    def refuse(data, filename, result):
        calls.append(filename)
        raise ReturnError(f"The annotated copy of {filename} could not be prepared: it needed more than the 600 MB "
                          "or the time one upload may use (the reader stopped (SIGKILL)).")

    monkeypatch.setattr(annotate, "annotate_workbook", refuse)
    rows[0]["adm2_name"] = "Elsewhereville"
    return_box(at).set_value(("big.xlsx", return_bytes(rows), "application/octet-stream")).run()
    at.run()
    assert not at.exception and calls == ["mistakes.xlsx", "big.xlsx"]
    said = [e.value for e in at.error if "annotated copy" in e.value]
    assert said == ["Preparing the annotated workbook: The annotated copy of big.xlsx could not be prepared: it needed "
                    "more than the 600 MB or the time one upload may use (the reader stopped (SIGKILL))."]
    assert not any(b.label == "Download the annotated workbook" for b in at.get("download_button"))
    assert "4. Confirm" in texts(at)  # the rest of the page carries on


def test_a_return_on_the_template_opens_on_its_report_not_on_the_column_choices(app_env):
    at = start(actor_for("focal_point"), "submit")
    rows = [{"org_name": "IRP", "sector": "Health", "activity": "Clinics", "adm1_name": "Punjab",
             "adm2_name": "Lahore", "status": "maybe"}]
    return_box(at).set_value(("template.xlsx", return_bytes(rows), "application/octet-stream")).run()
    assert problems(at) == []
    panel = next(e for e in at.expander if e.label.startswith("How the columns were read"))
    assert not panel.proto.expanded  # every header is the template's own: nothing to confirm, the report comes next
    offlist = next(d.value for d in at.dataframe if "Confidence" in d.value.columns)
    assert list(offlist["List"]) == ["Status"]  # the list by its name, not the field's
    # a column Stocktake cannot name opens the panel: there is something to choose
    odd = xlsx([["Organisation", "Sector", "Activity", "Province", "District", "Status", "Colour of the van"],
                ["IRP", "Health", "Clinics", "Punjab", "Lahore", "ongoing", "blue"]])
    at = start(actor_for("focal_point"), "submit")
    return_box(at).set_value(("odd.xlsx", odd, "application/octet-stream")).run()
    assert problems(at) == []
    panel = next(e for e in at.expander if e.label.startswith("How the columns were read"))
    assert panel.label.startswith("How the columns were read (6 read, 1 not read)") and panel.proto.expanded


def test_focal_point_confirms_a_clean_return_and_sees_it_in_history(app_env):
    focal = actor_for("focal_point")
    engine = db.connect()
    before = len(submissions.history(engine, focal, IRP))
    rows = [{"org_name": IRP, "sector": "Health", "activity": "Mobile clinics", "adm1_name": "Punjab",
             "adm2_name": "Lahore", "status": "ongoing", "start_date": "01/02/2026", "targeted": 1200},
            {"org_name": IRP, "sector": "Education", "activity": "School kits", "adm1_name": "Sindh",
             "adm2_name": "Hyderabad", "status": "planned"}]
    at = start(focal, "submit")
    return_box(at).set_value(("clean.xlsx", return_bytes(rows), "application/octet-stream")).run()
    assert problems(at) == []
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Rows accepted"], metrics["Errors"]) == ("2", "2", "0")
    next(b for b in at.button if b.label == f"Confirm and submit 2 activities for {IRP}").click().run()
    assert problems(at) == []
    assert any("now show it" in s.value for s in at.success)
    hist = submissions.history(engine, focal, IRP)
    assert len(hist) == before + 1 and hist[0]["status"] == "accepted"
    mine = picture.current_activities(engine, focal)
    assert sorted(mine.loc[mine["org_name"] == IRP, "activity"]) == ["Mobile clinics", "School kits"]


def test_export_page_builds_the_pdf_and_offers_the_data(app_env):
    viewer = actor_for("viewer")
    acts = picture.current_activities(db.connect(), viewer)
    at = start(viewer, "export")
    assert problems(at) == []
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Activities (Excel)", "Activities (CSV)", "District coverage (GeoJSON)"]
    assert f"**{len(acts):,} activities** in this view" in texts(at)
    assert picture.CONTACT_SENTENCES["none"] in texts(at)  # a viewer's files carry no contact details
    assert not set(picture.CONTACT_FIELDS) & set(acts.columns)
    next(b for b in at.button if b.label == "Build the PDF snapshot").click().run()
    assert problems(at) == []
    assert at.session_state["_pdf"][:5] == b"%PDF-"
    assert [b.label for b in at.get("download_button")][0] == "Download the PDF snapshot"


def test_public_export_leaves_contacts_out(app_env):
    at = start(None, "export")
    assert problems(at) == []
    assert picture.CONTACT_SENTENCES["none"] in texts(at)


def test_admin_learns_an_unmatched_place_name_once(app_env):
    engine = db.connect()
    row = {"org_name": "SFF", "sector": "Health", "activity": "Clinic support", "adm1_name": "Punjab",
           "adm2_name": "Dera Ghazi Khan Sadar", "status": "ongoing"}
    outcome = workflow.submit_file(engine, workflow.SYSTEM, return_bytes([row]), "sff.xlsx",
                                   org="Sindh Futures Fund", reject_whole=True)  # else the row waits for review
    assert outcome.status == "rejected"
    at = start(actor_for("admin"), "admin")
    assert problems(at) == []
    at.button_group(key="admin_section").set_value("Review place names").run()
    assert "Dera Ghazi Khan Sadar" in at.selectbox(key="review_name").options
    at.selectbox(key="review_name").set_value("Dera Ghazi Khan Sadar")
    at.selectbox(key="review_pcode").set_value("PK607")
    next(b for b in at.button if b.label == "Learn").click().run()
    assert problems(at) == []
    assert any("Learned: “Dera Ghazi Khan Sadar” is Dera Ghazi Khan, Punjab (PK607)" in s.value for s in at.success)
    # the next return with that spelling matches without help, and the queue no longer lists it
    result = workflow.validate_upload(engine, return_bytes([row]), "sff.xlsx", org="Sindh Futures Fund")
    assert result.errors == [] and result.records[0]["adm2_pcode"] == "PK607"
    at.run()
    assert "review_name" not in [s.key for s in at.selectbox]
    assert any("Nothing to review" in s.value for s in at.success)


def test_matrix_partner_by_sector_uses_acronyms_and_engine_numbers(app_env):
    viewer = actor_for("viewer")
    at = start(viewer, "matrices")
    at.radio(key="mx_kind").set_value("Partner × sector").run()
    assert problems(at) == []
    shown = at.dataframe[0].value
    assert "IRP" in list(shown.index) and "KCT" in list(shown.index)
    from mapping.analysis import matrices as analysis
    from mapping.geo import boundaries

    acts = picture.current_activities(db.connect(), viewer)
    units = boundaries.units(boundaries.load_set(registry.active_boundary_version(db.connect())))
    expected = analysis.matrix(acts, units, rows="partner", cols="sector", measure="activities",
                               filters=analysis.Filters(round_name=workflow.ensure_round(db.connect())))
    assert int(shown.loc["IRP", "Total"]) == int(expected.loc[IRP, "Total"])
    assert int(shown.loc["Total", "Total"]) == len(acts)
    assert any("**IRP** — Indus Relief Partners" in m.value for m in at.markdown)
    assert [b.label for b in at.get("download_button")] == ["Download Excel (coloured)", "Download CSV"]


def test_demo_sign_in_lists_its_accounts_without_a_command(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    workflow.setup(demo=False)
    engine = db.connect()
    auth.add_user(engine, workflow.SYSTEM, email="viewer@demo.stocktake", role="viewer", password="demo-viewer")
    auth.add_user(engine, workflow.SYSTEM, email="someone@real.org", role="viewer", password="real-password-1")
    at = start(None)
    at.switch_page("pages/signin.py")
    at.run()
    assert problems(at) == [] and "python -m" not in texts(at) and not any(e.label.startswith("All ") for e in
                                                                             at.expander)  # not a demo yet
    db.set_setting(engine, workflow.SYSTEM, "demo", "1")
    at.run()
    assert problems(at) == [] and "python -m" not in texts(at)
    table = next(d.value for d in at.dataframe if "Password" in d.value.columns)
    assert table.to_dict("records") == [{"E-mail": "viewer@demo.stocktake", "Role": "Group member (viewer)",
                                         "Organisation": "", "Password": "demo-viewer"}]


def test_matrix_leaves_empty_cells_blank_and_its_legend_uses_the_cell_colours(app_env):
    from mapping.outputs import export, palette
    at = start(actor_for("viewer"), "matrices")  # partner × district: most cells are empty
    assert problems(at) == []
    shown = at.dataframe[0].value
    assert list(shown.columns)[0] == "Total"  # the total is visible without scrolling
    from streamlit import dataframe_util

    styler = at.dataframe[0].proto.arrow_data.styler
    html = styler.styles
    display = dataframe_util.convert_arrow_bytes_to_pandas_df(styler.display_values)
    display.index, display.columns = shown.index, shown.columns
    row = next(ix for ix in shown.index if not export.is_total_label(ix) and (shown.loc[ix] == 0).any())
    zero = [c for c in shown.columns if shown.loc[row, c] == 0]
    # a zero is a faint dot with no fill (the total still counts); a value shows its number
    assert all(display.loc[row, c] == "·" for c in zero)
    assert display.loc[row, "Total"] == f"{int(shown.loc[row, 'Total']):,}"
    assert "#eeeeee" not in html
    classes = palette.value_classes(export.matrix_vmax(shown))
    legend = next(h.body for h in at.get("html") if "per cell" in h.body)
    assert "Activities per cell:" in legend and "none" in legend
    for c in classes:  # every range has its swatch and label: a value between two listed ones has a stated colour
        assert c.colour in legend and c.label in legend
    for value in {v for v in shown.drop(columns=["Total"]).to_numpy().ravel() if v > 0}:
        colour = palette.class_colour_of(value, classes)
        assert colour in {c.colour for c in classes} and f"{colour};" in html


def test_unreadable_uploads_are_messages_not_tracebacks(app_env):
    at = start(actor_for("focal_point"), "submit")
    cases = [("fake.xlsx", b"this is not a spreadsheet", "not a spreadsheet Stocktake can read"),
             ("empty.xlsx", b"", "is empty"),
             ("noheader.csv", b"1,2,3\n4,5,6\n", "has no header Stocktake recognises")]
    for name, data, words in cases:
        return_box(at).set_value((name, data, "application/octet-stream")).run()
        assert not at.exception, name
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and words in errors[0], (name, errors)
        assert errors[0].count(name) == 1, errors[0]  # the file is named once, not "x.xlsx: x.xlsx is …"
    # an unreadable file is not kept for later: the next visit starts clean, with no error to get stuck on
    again = start(actor_for("focal_point"), "submit")
    assert not again.error and "not confirmed yet" not in "\n".join(str(i.value) for i in again.info)


def test_a_need_figure_ranks_gaps_and_unlocks_need_vs_presence(app_env):
    at = start(actor_for("viewer"), "map")
    assert "Need vs presence" not in at.radio(key="map_measure").options
    csv = b"adm2_pcode,people_in_need\nPK101,90000\nPK607,50000\nPK617,1000\n"
    at.file_uploader(key="need_upload").set_value(("need.csv", csv, "text/csv")).run()
    assert problems(at) == []
    assert "Using “people\\_in\\_need” for 3 districts." in texts(at)
    assert "Need vs presence" in at.radio(key="map_measure").options
    at.switch_page(PAGES["gaps"][0])
    at.run()
    assert problems(at) == []
    top = at.dataframe[0].value
    assert list(top["District"][:2]) == ["Bagh", "Dera Ghazi Khan"]  # highest need first
    assert list(top["Need"][:2]) == [90000, 50000]


def test_admin_imports_a_consolidated_file_split_by_organisation(app_env):
    engine = db.connect()
    rows = [{"org_name": "Lahore Light Trust", "sector": "Education", "activity": "Evening classes",
             "adm1_name": "Punjab", "adm2_name": "Lahore", "status": "ongoing"},
            {"org_name": "Sindh Futures Fund", "sector": "Health", "activity": "Clinic grants", "adm1_name": "Sindh",
             "adm2_name": "Hyderabad", "status": "planned"}]
    at = start(actor_for("admin"), "submit")
    at.toggle(key="submit_consolidated").set_value(True).run()
    assert not [s for s in at.selectbox if s.key == "submit_org"], "no single organisation for a consolidated file"
    return_box(at).set_value(("3w_2025.xlsx", return_bytes(rows), "application/octet-stream")).run()
    assert problems(at) == []
    next(b for b in at.button if b.label.startswith("Confirm and submit 2 activities for the organisations")).click()
    at.run()
    assert problems(at) == []
    assert any("Lahore Light Trust" in s.value and "now show it" in s.value for s in at.success)
    acts = picture.current_activities(engine, workflow.SYSTEM)
    assert sorted(acts.loc[acts["org_name"].isin(["Lahore Light Trust", "Sindh Futures Fund"]), "activity"]) == [
        "Clinic grants", "Evening classes"]


@pytest.mark.parametrize(("role", "shown"), [("admin", "all"), ("focal_point", "own"), ("viewer", "none")])
def test_export_page_says_whose_contact_details_the_files_carry(app_env, role, shown):
    at = start(actor_for(role), "export")
    assert problems(at) == []
    assert picture.CONTACT_SENTENCES[shown] in texts(at)
    others = set(picture.CONTACT_SENTENCES.values()) - {picture.CONTACT_SENTENCES[shown]}
    assert not any(sentence in texts(at) for sentence in others)


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_public_view_switched_on_in_words_or_digits_serves_visitors(app_env, monkeypatch, tmp_path, value):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'private.db'}")
    workflow.setup(demo=False)
    monkeypatch.setenv("STOCKTAKE_PUBLIC_VIEW", value)
    at = start(None, "overview")
    assert problems(at) == []  # the menu and the engine agree: no "public view is switched off" under a public menu
    assert "visible to signed-in members of the group only" not in texts(at)


@pytest.mark.parametrize("value", ["0", "false"])
def test_public_view_switched_off_beats_the_databases_setting(app_env, monkeypatch, value):
    assert db.public_view_enabled(db.connect())  # this deployment's database says public
    monkeypatch.setenv("STOCKTAKE_PUBLIC_VIEW", value)
    at = start(None)
    assert problems(at) == []
    assert at.text_input(key="signin_email").label == "E-mail"
    assert not at.metric and "visible to signed-in members of the group only" in texts(at)


def test_the_data_export_gives_rows_as_reported_while_the_figures_count_them_prepared(app_env, monkeypatch, tmp_path):
    """The pages count a blank sub-sector as '(not given)' and a budget in the reporting currency; the exported
    rows stay as the partner wrote them, so the file re-imports as a return. A page that handed the export the
    counting frame would write '(not given)' and 900 (USD) here."""
    import csv
    import io

    from mapping.returns import schema
    from tests.factories.app import build_deployment, offered_downloads

    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'export.db'}")
    build_deployment(public=True)
    grant = {"org_name": "SFF", "sector": "Health", "activity": "Clinic grants", "adm1_name": "Sindh",
             "adm2_name": "Hyderabad", "status": "ongoing", "budget": 250000, "currency": "PKR"}
    outcome = workflow.submit_file(db.connect(), workflow.SYSTEM, return_bytes([grant]), "sff.xlsx",
                                   org="Sindh Futures Fund")
    assert outcome.status == "stored", outcome.message
    offered = offered_downloads(monkeypatch)
    at = start(actor_for("viewer"), "matrices")
    at.radio(key="mx_measure").set_value("budget").run()
    assert problems(at) == []
    assert "Budgets in USD at the rates of" in texts(at)  # the figures: converted
    at.switch_page(PAGES["export"][0]).run()
    assert problems(at) == []
    header = {f.name: f.header for f in schema.FIELDS}
    rows = list(csv.DictReader(io.StringIO(offered["dl_csv"].decode("utf-8-sig"))))[1:]  # after the HXL row
    row = next(r for r in rows if r[header["activity"]] == "Clinic grants")
    assert (row[header["subsector"]], row[header["budget"]], row[header["currency"]]) == ("", "250000", "PKR")


def test_the_picture_is_prepared_once_for_every_page_and_filter_of_a_data_version(app_env, monkeypatch):
    """Preparing 200,000 rows takes seconds, so the pages share one prepared frame per data version (the same
    object on every run); a new filter only filters it. Before, every view prepared the picture again."""
    from mapping.analysis import frame
    from views import core

    core._prepared.clear()  # another test may have prepared this data version already
    prepared: list[int] = []
    real = frame.prepare

    def counting(acts, units=None):
        out = real(acts, units)
        if out is not acts:
            prepared.append(len(acts))
        return out

    monkeypatch.setattr(frame, "prepare", counting)
    given: list = []
    frames = core.frames
    monkeypatch.setattr(core, "frames", lambda *a, **kw: given.append(frames(*a, **kw)) or given[-1])
    viewer = actor_for("viewer")
    at = start(viewer)
    for page in ("map", "matrices", "gaps", "overview"):
        at.switch_page(PAGES[page][0]).run()
        assert problems(at) == []
    at.multiselect(key="flt_sectors").set_value(["Health"]).run()
    assert problems(at) == [] and "Sector: Health" in texts(at)
    assert prepared == [len(picture.current_activities(db.connect(), viewer))]  # all the viewer's activities, once
    assert len(given) == 6 and all(g.prepared is given[0].prepared for g in given)
