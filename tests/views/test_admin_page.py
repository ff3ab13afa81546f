"""The Admin page's actions with Streamlit's AppTest: what the secretariat sees, and what the engine then holds.

One small deployment (real boundaries from ../shared/boundaries, three organisations and their returns, built by
tests/factories/app.py) is prepared per module; every test works on its own copy of that database, so rolling
back, opening rounds or adding accounts in one test never shows up in another. The boundary test also gets its
own shapefiles folder.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping import workflow
from mapping.store import auth, db, picture, registry, submissions
from tests.factories import boundaries as fb
from tests.factories.app import PASSWORD, USERS, module_deployment, return_bytes

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
ADMIN_PAGE = "pages/admin.py"
IRP = "Indus Relief Partners"
KCT = "Khyber *Care* <b>Trust</b>"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    return module_deployment(tmp_path_factory.mktemp("admin_page"), shared_boundaries, admin_email="secretariat@admin-page.test",
                             admin_password="admin-page-pass")


@pytest.fixture
def admin_env(_isolated_dirs, deployment, monkeypatch, tmp_path):
    """The module's deployment, on a private copy of its database (SQLite's backup API copies the WAL too)."""
    for k, v in deployment["env"].items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("STOCKTAKE_PUBLIC_VIEW", raising=False)
    copy = tmp_path / "copy.db"
    src, dst = sqlite3.connect(deployment["base"] / "stocktake.db"), sqlite3.connect(copy)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{copy}")
    return deployment


def admin() -> db.Actor:
    return auth.authenticate(db.connect(), USERS["admin"][0], PASSWORD)


def start_as(actor: db.Actor) -> AppTest:
    """The app as this account sees it after signing in (its own menu)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["actor"] = actor
    at.run()
    return at


def open_admin(actor: db.Actor) -> AppTest:
    at = start_as(actor)
    at.switch_page(ADMIN_PAGE)
    at.run()
    assert problems(at) == []
    assert at.title[0].value == "Admin"
    return at


def tab(at: AppTest, label: str):
    """Open a section of the page (it stays open across the reruns an action causes)."""
    picker = at.button_group(key="admin_section")
    if picker.value != label:
        picker.set_value(label).run()
    return at


def button(where, label: str):
    return next(b for b in where.button if b.label == label)


def problems(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def unescape(markdown: str) -> str:
    """The text a reader sees in a markdown message (the page escapes user strings with backslashes)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def flash(at: AppTest) -> list[str]:
    """The page's confirmation messages (above the tabs; the review tab has its own "nothing to review")."""
    return [unescape(str(s.value)) for s in at.success if not str(s.value).startswith("Nothing to review")]


# ---------------------------------------------------------------- submissions


def test_rolling_back_a_submission_brings_the_previous_return_back(admin_env):
    engine, actor = db.connect(), admin()
    first = admin_env["outcomes"][IRP].submission_id
    newer = [{"org_name": "IRP", "sector": "Education", "activity": "Cash for school fees", "adm1_name": "Punjab",
              "adm2_name": "Lahore", "status": "ongoing", "start_date": "01/04/2026"}]
    outcome = workflow.submit_file(engine, actor, return_bytes(newer), "irp_april.xlsx", org=IRP)
    assert outcome.status == "stored"
    acts = picture.current_activities(engine, actor)
    assert sorted(acts.loc[acts["org_name"] == IRP, "activity"]) == ["Cash for school fees"]

    at = open_admin(actor)
    subs = tab(at, "Submissions")
    # the newest submission is offered first; the button stays disabled until the box is ticked
    assert subs.selectbox(key="subs_pick").value == outcome.outcomes[0].submission_id
    assert button(subs, "Roll back").disabled
    subs.checkbox(key="subs_sure_0").check().run()
    assert not button(tab(at, "Submissions"), "Roll back").disabled
    button(tab(at, "Submissions"), "Roll back").click().run()

    assert problems(at) == []
    assert flash(at) == [f"Submission #{outcome.outcomes[0].submission_id} rolled back; the organisation's previous "
                             "return is current again."]
    shown = tab(at, "Submissions").dataframe[0].value.set_index("Id")
    assert shown.loc[outcome.outcomes[0].submission_id, "Status"] == "rolled back"
    assert shown.loc[first, "Status"] == "accepted"
    # a fresh box (new key): the browser cannot send the ticked one back for the next submission
    assert at.checkbox(key="subs_sure_1").value is False, "the confirmation does not stay ticked for the next one"
    assert "subs_sure_0" not in [c.key for c in at.checkbox]
    # the engine agrees: the April return is withdrawn, the first return is current again
    hist = {h["id"]: h["status"] for h in submissions.history(engine, actor, IRP)}
    assert hist == {outcome.outcomes[0].submission_id: "rolled_back", first: "accepted"}
    acts = picture.current_activities(engine, actor)
    assert sorted(acts.loc[acts["org_name"] == IRP, "activity"]) == ["Mobile clinics", "OTP sites",
                                                                    "Province-wide training"]


# ---------------------------------------------------------------- rounds


def test_opening_and_locking_a_round(admin_env):
    engine, actor = db.connect(), admin()
    before = [r["name"] for r in registry.list_rounds(engine)]
    at = open_admin(actor)
    rounds = tab(at, "Rounds")
    form = [w for w in rounds.text_input if w.form_id == "add_round"]
    assert [w.label for w in form] == ["Name"]
    form[0].input("2027 H1")
    start, end = [d for d in rounds.date_input if d.form_id == "add_round"]
    start.set_value(dt.date(2027, 1, 1))
    end.set_value(dt.date(2027, 6, 30))
    button(rounds, "Open round").click().run()

    assert problems(at) == []
    assert flash(at) == ["Opened 2027 H1."]
    listed = {r["name"]: r for r in registry.list_rounds(engine)}
    assert list(listed) == [*before, "2027 H1"]
    new = listed["2027 H1"]
    assert (new["period_start"], new["period_end"], new["locked"]) == (dt.date(2027, 1, 1), dt.date(2027, 6, 30),
                                                                       False)
    table = tab(at, "Rounds").dataframe[0].value.set_index("Name")
    assert table.loc["2027 H1", "Returns"] == "open for returns"

    # lock it: the page says so, the table shows it, and uploads for it are refused with a reason
    rounds = tab(at, "Rounds")
    rounds.selectbox(key="round_pick").set_value("2027 H1")
    at.run()
    assert at.button(key="round_lock").label == "Lock"
    at.button(key="round_lock").click().run()
    assert problems(at) == []
    assert flash(at) == ["2027 H1 is now locked."]
    assert {r["name"]: r["locked"] for r in registry.list_rounds(engine)}["2027 H1"] is True
    assert tab(at, "Rounds").dataframe[0].value.set_index("Name").loc["2027 H1", "Returns"] == "locked"
    assert at.button(key="round_lock").label == "Reopen"

    row = [{"org_name": "IRP", "sector": "Health", "activity": "Mobile clinics", "adm1_name": "Punjab",
            "adm2_name": "Lahore", "status": "ongoing"}]
    outcome = workflow.submit_file(engine, actor, return_bytes(row), "late.xlsx", org=IRP, round_name="2027 H1")
    assert outcome.status == "rejected" and outcome.outcomes[0].submission_id is None
    assert outcome.message == ("The round '2027 H1' is locked, so returns are no longer accepted for it. Ask the "
                               "secretariat to open a new round (or reopen this one).")
    assert "2027 H1" not in {s["round"] for s in submissions.history(engine, actor, IRP)}


# ---------------------------------------------------------------- organisations and accounts


def test_adding_an_organisation_and_its_focal_point(admin_env):
    engine, actor = db.connect(), admin()
    at = open_admin(actor)
    orgs = tab(at, "Organisations")
    name, acronym, aliases = (next(w for w in orgs.text_input if w.label == label)
                              for label in ("Name", "Acronym", "Other names it goes by (comma-separated)"))
    name.input("Thar Water Alliance")
    acronym.input("TWA")
    orgs.selectbox[0].set_value("International NGO")
    aliases.input("Thar Water, TWA Pakistan")
    next(w for w in orgs.text_input if w.label == "IATI identifier (optional)").input("XM-EXAMPLE-TWA")
    button(orgs, "Add organisation").click().run()

    assert problems(at) == []
    assert flash(at) == ["Added Thar Water Alliance."]
    directory = {o["name"]: o for o in registry.org_directory(engine)}
    assert {k: directory["Thar Water Alliance"][k] for k in ("name", "acronym", "type", "aliases", "iati_id")} == {
        "name": "Thar Water Alliance", "acronym": "TWA", "type": "International NGO",
        "aliases": ["Thar Water", "TWA Pakistan"], "iati_id": "XM-EXAMPLE-TWA"}
    shown = tab(at, "Organisations").dataframe[0].value.set_index("Name")
    assert shown.loc["Thar Water Alliance", "Acronym"] == "TWA"

    # the new organisation is offered at once for a focal point's account
    accounts = tab(at, "Accounts")
    org_box = next(s for s in accounts.selectbox if s.label == "Organisation (focal points)")
    assert "Thar Water Alliance" in org_box.options
    fields = {w.label: w for w in accounts.text_input}
    fields["E-mail"].input("Focal@TWA.test")
    fields["Name"].input("Sana Baloch")
    fields["Initial password (leave empty for sign-in through the identity provider)"].input("twa-first-pass")
    next(s for s in accounts.selectbox if s.label == "Role").set_value("focal_point")
    org_box.set_value("Thar Water Alliance")
    button(accounts, "Add account").click().run()

    assert problems(at) == []
    assert flash(at) == ["Added Focal@TWA.test as Focal point."]
    users = {u["email"]: u for u in auth.list_users(engine, actor)}
    assert {k: users["focal@twa.test"][k] for k in ("name", "role", "org", "active", "has_password")} == {
        "name": "Sana Baloch", "role": "focal_point", "org": "Thar Water Alliance", "active": True,
        "has_password": True}
    assert "focal@twa.test" in list(tab(at, "Accounts").dataframe[0].value["Email"])
    signed = auth.authenticate(engine, "focal@twa.test", "twa-first-pass")
    assert (signed.role, signed.org_name) == ("focal_point", "Thar Water Alliance")


def test_the_admin_tables_read_in_words_with_nothing_where_a_value_is_missing(admin_env):
    at = open_admin(admin())
    orgs = tab(at, "Organisations").dataframe[0].value
    assert {"Name", "Acronym", "Type", "IATI identifier", "Other names", "Accepted returns"} <= set(orgs.columns)
    assert "Iati id" not in orgs.columns and "Aliases" not in orgs.columns
    assert set(orgs["IATI identifier"]) == {""}  # no organisation here has one: blank, not "None"
    accounts = tab(at, "Accounts").dataframe[0].value.set_index("Email")
    assert list(accounts.columns) == ["Name", "Role", "Organisation", "Active", "Password set", "Locked until"]
    assert accounts.loc[USERS["admin"][0], "Organisation"] == "" and set(accounts["Locked until"]) == {""}
    shown = accounts.astype(str).to_numpy().ravel().tolist()
    assert not {"None", "nan", "NaT"} & set(shown)


def test_merging_two_records_of_one_organisation_and_undoing_it(admin_env):
    engine, actor = db.connect(), admin()
    partners = set(picture.current_activities(engine, actor)["org_name"])
    assert {IRP, KCT} <= partners  # KCT's name holds markdown and HTML: shown as written
    at = open_admin(actor)
    orgs = tab(at, "Organisations")
    orgs.selectbox(key="merge_keep").set_value(IRP)
    orgs.selectbox(key="merge_other").set_value(KCT)
    button(orgs, "Merge").click().run()
    assert problems(at) == []
    assert flash(at)[0].startswith(f"{KCT} is now counted as {IRP}; ")
    after = set(picture.current_activities(engine, actor)["org_name"])
    assert after == partners - {KCT}
    shown = tab(at, "Organisations").dataframe[0].value
    assert KCT not in list(shown["Name"])

    orgs = tab(at, "Organisations")
    orgs.selectbox(key="alias_org").set_value(IRP)
    orgs.text_input(key="alias_text").input("Indus Relief <Sindh>")
    button(orgs, "Add the name").click().run()
    assert flash(at) == [f"'Indus Relief <Sindh>' is now a name of {IRP}."]
    assert "<Sindh>" not in str(at.success[0].value)  # the page escapes what the admin typed

    undo = next(s for s in tab(at, "Organisations").selectbox if s.label == "Undo a merge")
    undo.set_value(KCT)
    button(at, "Unmerge").click().run()
    assert problems(at) == []
    assert flash(at)[0].startswith(f"{KCT} counts as itself again")
    assert set(picture.current_activities(engine, actor)["org_name"]) == partners
    assert [e["action"] for e in db.audit_log(engine, actor, object_type="organisation")][:3] == [
        "org.unmerge", "org.alias", "org.merge"]


# ---------------------------------------------------------------- boundaries


@pytest.fixture
def own_deployment(admin_env, monkeypatch, tmp_path):
    """A deployment with its own shapefiles folder too, so switching the active set touches nothing else."""
    shapes = tmp_path / "own_shapefiles"
    shutil.copytree(admin_env["env"]["STOCKTAKE_SHAPEFILES_DIR"], shapes)
    monkeypatch.setenv("STOCKTAKE_SHAPEFILES_DIR", str(shapes))
    return shapes


def test_uploading_boundaries_switches_the_active_set_and_refuses_bad_files(own_deployment, tmp_path):
    engine, actor = db.connect(), admin()
    pakistan = registry.active_boundary_version(engine)
    assert pakistan and pakistan.startswith("pak-")
    at = open_admin(actor)
    bounds = tab(at, "Boundaries")
    assert f"**Active:** `{pakistan}`" in [m.value for m in bounds.markdown][0]

    duplicate = fb.ocha_adm2_shapefile(tmp_path / "dup", duplicate=True)
    broken = tmp_path / "districts.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [oops', encoding="utf-8")
    cases = [(duplicate, "Importing xy_adm2_shp.zip: xy_admbnda_adm2_20240501.shp: p-code XY0201 is used by 2 "
                         "features (Dunmore, Eastwick). P-codes must be unique. Fix the file, or name the field that "
                         "holds the p-codes (the p-code field option)."),
             (broken, "Importing districts.geojson: No polygon layer found in districts.geojson (looked for .shp, "
                      ".geojson, .topojson, .gpkg, .zip).")]
    for path, message in cases:
        at.file_uploader(key="bset_upload").set_value((path.name, path.read_bytes(), "application/octet-stream"))
        at.run()
        button(tab(at, "Boundaries"), "Import the uploaded boundaries").click().run()
        assert not at.exception, path.name
        assert [unescape(e.value) for e in at.error] == [message]
        assert flash(at) == []
        assert registry.active_boundary_version(engine) == pakistan
        assert [s["version"] for s in registry.list_boundary_sets(engine)] == [pakistan]
        assert tab(at, "Boundaries").markdown[0].value.startswith(f"**Active:** `{pakistan}`")

    good = fb.ocha_adm2_shapefile(tmp_path / "good")
    at.file_uploader(key="bset_upload").set_value((good.name, good.read_bytes(), "application/zip"))
    at.run()
    button(tab(at, "Boundaries"), "Import the uploaded boundaries").click().run()
    assert problems(at) == []
    tiny = registry.active_boundary_version(engine)
    assert tiny != pakistan and tiny.startswith("xy-")
    assert flash(at) == [f"Imported and activated {tiny}."]
    bounds = tab(at, "Boundaries")
    assert bounds.markdown[0].value.startswith(f"**Active:** `{tiny}`")
    sets = bounds.dataframe[0].value.set_index("Version")
    assert sets.loc[tiny, "Active"] == "yes" and sets.loc[pakistan, "Active"] == ""
    assert int(sets.loc[tiny, "Districts"]) == 6
    # the previous set can be made active again from the same tab
    assert bounds.selectbox(key="bset_activate").options == [pakistan]


def test_a_failed_download_says_what_to_do_on_the_page(admin_env, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in the test")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    engine = db.connect()
    before = registry.active_boundary_version(engine)
    at = open_admin(admin())
    button(tab(at, "Boundaries"), "Fetch").click().run()
    assert not at.exception
    [error] = [unescape(e.value) for e in at.error]
    assert error.startswith("Downloading boundaries: Could not reach https://")
    assert error.endswith("(no network in the test). Check the network connection. Or download the files by hand "
                          "and upload them on the Admin page (Boundaries tab).")
    assert "python -m" not in error and "--from" not in error  # the command line's advice stays there
    assert registry.active_boundary_version(engine) == before


# ---------------------------------------------------------------- account administration


def test_admin_disables_resets_changes_role_and_ends_sessions(admin_env):
    from mapping.store import sessions

    engine, actor = db.connect(), admin()
    focal = USERS["focal_point"][0]
    opened = sessions.open_session(engine, auth.authenticate(engine, focal, PASSWORD), user_agent="Firefox/140.0 (X11; Linux)")
    sessions.claim(engine, opened.code)
    at = open_admin(actor)
    accounts = tab(at, "Accounts")
    shown = accounts.dataframe[-1].value
    assert focal in list(shown["Email"]) and "Firefox on Linux" in list(shown["Browser"])

    at.selectbox(key="acct_pick").set_value(focal).run()
    at.button(key="acct_disable").click().run()
    assert problems(at) == []
    assert flash(at) == [f"{focal} is disabled. 1 open session ended."]
    assert sessions.check(engine, opened.session_id) is None
    assert {u["email"]: u for u in auth.list_users(engine, actor)}[focal]["active"] is False
    assert at.button(key="acct_enable").label == "Enable account"  # the same account stays picked
    at.button(key="acct_enable").click().run()
    assert flash(at) == [f"{focal} can sign in again."]

    at.button(key="acct_reset").click().run()
    [message] = flash(at)
    one_time = message.split("One-time password: ")[1].split(" ")[0]
    assert auth.authenticate(engine, focal, one_time).email == focal
    assert auth.must_change_password(engine, focal)

    at.selectbox(key=f"acct_role_{focal}").set_value("viewer")
    at.selectbox(key=f"acct_org_{focal}").set_value("")
    next(b for b in at.button if b.label == "Change role").click().run()
    assert problems(at) == []
    assert flash(at) == [f"{focal} is now viewer."]
    assert auth.user_for_email(engine, focal).role == "viewer"
    actions = [e["action"] for e in db.audit_log(engine, actor, object_type="user")][:4]
    assert actions == ["user.role", "user.reset_password", "user.enable", "user.disable"]
    assert all(e["email"] == actor.email for e in db.audit_log(engine, actor, object_type="user")[:4])


def test_a_disabled_or_downgraded_account_loses_its_rights_at_its_next_page_run(admin_env):
    from mapping.store import accounts

    engine = db.connect()
    focal = auth.authenticate(engine, USERS["focal_point"][0], PASSWORD)
    at = start_as(focal)
    at.switch_page("pages/submit.py")
    at.run()
    assert problems(at) == [] and [t.value for t in at.title] == ["Submit a return"]
    accounts.change_role(engine, admin(), focal.email, role="viewer")
    at.run()  # the tab's next action: the Submit page refuses the downgraded account
    assert any("not available to your account" in p for p in problems(at))
    assert at.session_state["actor"].role == "viewer"
    assert not any("Upload your return" in str(m.value) for m in at.markdown)
    accounts.disable(engine, admin(), focal.email)
    at.run()
    assert "actor" not in at.session_state
    assert any("not available to your account" in p for p in problems(at))
