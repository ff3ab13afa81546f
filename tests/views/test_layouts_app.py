"""The Submit page (AppTest): a real French 3W whose organisation columns Stocktake cannot name; the focal point maps
them in the app and saves the layout; next month's file with the same headers is read with it, the page says so
and asks nothing."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from mapping.store import auth, db, submissions
from mapping.store import layouts as store_layouts
from tests.factories.app import PASSWORD, USERS, module_deployment, open_page, use_deployment
from tests.factories.returns import xlsx

IRP = "Indus Relief Partners"
HEADERS = ["Nom complet de l'organisation", "Partenaire (sigle)", "Nom du partenaire de mise en oeuvre", "Secteur",
           "Province", "District", "Statut", "Bénéficiaires ciblés"]


def french_3w(month: str, rows: list[list]) -> bytes:
    return xlsx([[f"3W – {month} (illustratif)"], HEADERS, *rows], sheet="3W")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, shared_boundaries):
    return module_deployment(tmp_path_factory.mktemp("layouts_app"), shared_boundaries,
                             admin_email="secretariat@layouts.test", admin_password="layouts-test-admin")


@pytest.fixture
def app_env(_isolated_dirs, deployment, monkeypatch):
    return use_deployment(deployment, monkeypatch)


def submit_page(actor: db.Actor) -> AppTest:
    return open_page(actor, "pages/submit.py")


def problems(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def columns_table(at: AppTest):
    return next(d.value for d in at.dataframe if "Read as" in d.value.columns)


def column_picks(at: AppTest) -> dict[str, object]:
    return {s.label.replace("\\", ""): s for s in at.selectbox if s.key and s.key.startswith("layout_col_")}


def test_a_column_mapped_once_in_the_app_reads_next_months_file_with_no_question(app_env):
    engine = db.connect()
    focal = auth.authenticate(engine, USERS["focal_point"][0], PASSWORD)
    october = french_3w("octobre", [
        [IRP, "IRP", "Croissant-Rouge", "Health", "Punjab", "Lahore", "En cours", 1500],
        [IRP, "IRP", None, "Nutrition", "Sindh", "Badin", "Terminé", 300]])
    at = submit_page(focal)
    at.file_uploader(key="upload_0").set_value(("3w_octobre.xlsx", october, "application/octet-stream")).run()
    assert problems(at) == []
    table = columns_table(at)
    read = dict(zip(table["Column"], zip(table["Read as"], table["Why"], table["Sample"], strict=True), strict=True))
    assert read["Nom complet de l'organisation (A)"] == ("(not read)", "not recognised", IRP)
    assert read["Partenaire (sigle) (B)"] == ("(not read)", "not recognised", "IRP")
    assert read["Secteur (D)"][:2] == ("Sector (sector)", "the header is a known name of this field")
    assert not [s for s in at.success if "layout" in s.value]  # no saved layout yet
    picks = column_picks(at)
    assert picks["Nom complet de l'organisation (A)"].value is None
    picks["Nom complet de l'organisation (A)"].set_value("org_name")
    picks["Partenaire (sigle) (B)"].set_value("org_acronym")
    at.text_input(key=next(t.key for t in at.text_input if t.key.startswith("layout_name_"))).input("3W mensuel")
    at.button(key="layout_save").click().run()
    assert problems(at) == []
    [saved] = store_layouts.list_layouts(engine, org=IRP)
    assert (saved.name, saved.org, saved.saved_by) == ("3W mensuel", IRP, focal.email)
    assert saved.mapping["Nom complet de l'organisation"] == "org_name"
    assert saved.mapping["Partenaire (sigle)"] == "org_acronym"
    assert [e["action"] for e in db.audit_log(engine, workflow_admin(engine)) if e["object_type"] == "column_layout"
            ] == ["layout.save"]
    # checked again at once with the layout just saved
    assert any('(layout "3W mensuel")' in s.value for s in at.success)
    read = dict(zip(columns_table(at)["Column"], columns_table(at)["Read as"], strict=True))
    assert read["Nom complet de l'organisation (A)"] == "Organisation (org_name)"
    next(b for b in at.button if b.label == f"Confirm and submit 2 activities for {IRP}").click().run()
    assert problems(at) == []

    november = french_3w("novembre", [
        [IRP, "IRP", None, "Health", "Punjab", "Multan", "En cours", 900],
        [IRP, "IRP", "Croissant-Rouge", "Education", "Sindh", "Sukkur", "En cours", 120],
        [IRP, "IRP", None, "Nutrition", "Sindh", "Badin", "Terminé", 310]])
    at = submit_page(focal)
    at.file_uploader(key="upload_0").set_value(("3w_novembre.xlsx", november, "application/octet-stream")).run()
    assert problems(at) == []
    [note] = [s.value for s in at.success if "layout" in s.value]
    assert note.replace("\\", "").startswith("Same layout as your return of ")
    assert note.replace("\\", "").endswith('(layout "3W mensuel"): columns read as saved, nothing to confirm.')
    read = dict(zip(columns_table(at)["Column"], columns_table(at)["Read as"], strict=True))
    assert read["Partenaire (sigle) (B)"] == "Acronym (org_acronym)"
    assert not [e for e in at.expander if e.proto.expanded]  # nothing to confirm: the panel stays closed
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows accepted"], metrics["Errors"]) == ("3", "0")
    next(b for b in at.button if b.label == f"Confirm and submit 3 activities for {IRP}").click().run()
    assert problems(at) == []
    assert submissions.history(engine, focal, IRP)[0]["filename"] == "3w_novembre.xlsx"


def workflow_admin(engine) -> db.Actor:
    return auth.authenticate(engine, USERS["admin"][0], PASSWORD)


ES_HEADERS = ["Nombre completo de la organización", "Sigla", "Sector", "Provincia", "Distrito", "Beneficiarios"]


def spanish_3w(org: str, acronym: str, rows: list[list]) -> bytes:
    return xlsx([["3W regional (ilustrativo)"], ES_HEADERS, *[[org, acronym, *r] for r in rows]], sheet="3W")


def test_the_secretariat_saves_a_layout_for_every_organisation_and_another_partner_s_file_uses_it(app_env):
    engine = db.connect()
    admin = workflow_admin(engine)
    sff = "Sindh Futures Fund"
    at = submit_page(admin)
    at.selectbox(key="submit_org").set_value(sff).run()
    at.file_uploader(key="upload_0").set_value(("3w_regional.xlsx", spanish_3w(sff, "SFF", [
        ["Health", "Sindh", "Badin", 400]]), "application/octet-stream")).run()
    assert problems(at) == []
    read = dict(zip(columns_table(at)["Column"], columns_table(at)["Read as"], strict=True))
    assert read["Distrito (E)"] == "District (adm2_name)"  # Spanish and Portuguese 3Ws name admin 2 so
    picks = column_picks(at)
    picks["Nombre completo de la organización (A)"].set_value("org_name")
    picks["Sigla (B)"].set_value("org_acronym")
    at.checkbox(key="layout_everyone").check()
    at.text_input(key=next(t.key for t in at.text_input if t.key.startswith("layout_name_"))).input("3W regional")
    at.button(key="layout_save").click().run()
    assert problems(at) == []
    [saved] = [lay for lay in store_layouts.list_layouts(engine) if lay.name == "3W regional"]
    assert (saved.org, saved.saved_by) == (None, admin.email)  # the deployment's, not SFF's

    # another partner's focal point, who never saw the question, sends a file with the same headers
    kct_name = USERS["focal_point_2"][1]
    kct = auth.authenticate(engine, USERS["focal_point_2"][0], PASSWORD)
    at = submit_page(kct)
    assert not [c for c in at.checkbox if c.key == "layout_everyone"]  # only the secretariat decides for everyone
    at.file_uploader(key="upload_0").set_value(("3w_kct.xlsx", spanish_3w(kct_name, "KCT", [
        ["Education", "Punjab", "Lahore", 250], ["Health", "Sindh", "Badin", 90]]), "application/octet-stream")).run()
    assert problems(at) == []
    assert any('(layout "3W regional")' in s.value.replace("\\", "") for s in at.success), [s.value for s in at.success]
    read = dict(zip(columns_table(at)["Column"], columns_table(at)["Read as"], strict=True))
    assert read["Nombre completo de la organización (A)"] == "Organisation (org_name)"
    assert read["Sigla (B)"] == "Acronym (org_acronym)"
    metrics = {m.label: m.value for m in at.metric}
    issues = [d.value for d in at.dataframe if "Message" in d.value.columns]
    assert (metrics["Rows accepted"], metrics["Errors"]) == ("2", "0"), issues[0].to_dict("records") if issues else None
