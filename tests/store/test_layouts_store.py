"""Column layouts in the store, on SQLite and PostgreSQL: an organisation's or the deployment's, who may save and
delete them, the audit log, and which layouts a later file is tried with."""

from __future__ import annotations

import pytest

from mapping.errors import StocktakeError
from mapping.returns.layouts import header_signature
from mapping.store import db
from mapping.store import layouts as store_layouts
from tests.factories.store import ORG_A, ORG_B, world

HEADERS = ["Nom complet de l'organisation", "Partenaire (sigle)", "Secteur", "District", "Statut"]
MAP = {"Nom complet de l'organisation": "org_name", "Partenaire (sigle)": "org_acronym"}


@pytest.fixture
def w(db_url):
    return world(db_url)


def test_a_focal_point_saves_its_own_layout_and_a_later_file_of_its_organisation_finds_it(w):
    saved = store_layouts.save(w.engine, w.focal_a, "3W mensuel", MAP, HEADERS, org=ORG_A)
    assert (saved.name, saved.org, saved.saved_by) == ("3W mensuel", ORG_A, "focal@alpha.example")
    assert saved.signature == header_signature(HEADERS)
    [found] = store_layouts.candidates(w.engine, ORG_A)
    assert (found.name, dict(found.mapping), found.headers) == ("3W mensuel", MAP, tuple(HEADERS))
    assert found.saved_at is not None
    assert store_layouts.candidates(w.engine, ORG_B) == []  # another organisation's layout is not tried
    assert store_layouts.candidates(w.engine, None) == []
    assert store_layouts.get(w.engine, "3w MENSUEL", org=ORG_A).name == "3W mensuel"
    log = [e for e in db.audit_log(w.engine, w.admin) if e["action"] == "layout.save"]
    assert log[0]["email"] == "focal@alpha.example" and log[0]["detail"]["mapping"] == MAP


def test_who_may_save_and_delete(w):
    with pytest.raises(db.PermissionDenied):
        store_layouts.save(w.engine, w.focal_a, "Theirs", MAP, HEADERS, org=ORG_B)
    with pytest.raises(db.PermissionDenied):
        store_layouts.save(w.engine, w.focal_a, "Everyone", MAP, HEADERS)  # the deployment's: admins only
    with pytest.raises(db.PermissionDenied):
        store_layouts.save(w.engine, w.viewer, "Mine", MAP, HEADERS, org=ORG_A)
    store_layouts.save(w.engine, w.admin, "Everyone", MAP, HEADERS)
    with pytest.raises(db.PermissionDenied):
        store_layouts.delete_layout(w.engine, w.focal_a, "Everyone")
    store_layouts.save(w.engine, w.focal_b, "Bravo sheet", {"Secteur": "sector"}, HEADERS, org=ORG_B)
    with pytest.raises(db.PermissionDenied):
        store_layouts.delete_layout(w.engine, w.focal_a, "Bravo sheet", org=ORG_B)
    gone = store_layouts.delete_layout(w.engine, w.admin, "Everyone")
    assert gone.name == "Everyone"
    assert [e["detail"]["name"] for e in db.audit_log(w.engine, w.admin) if e["action"] == "layout.delete"] == [
        "Everyone"]
    with pytest.raises(db.StoreError, match="No column layout called 'Everyone'. Saved layouts: Bravo sheet."):
        store_layouts.get(w.engine, "Everyone")


def test_saving_a_name_again_replaces_it_and_the_organisations_own_comes_before_the_deployments(w):
    store_layouts.save(w.engine, w.admin, "Cluster 3W", {"Secteur": "sector"}, HEADERS)
    store_layouts.save(w.engine, w.focal_a, "Ours", {"Secteur": "sector"}, HEADERS, org=ORG_A)
    store_layouts.save(w.engine, w.focal_a, "ours", MAP, HEADERS, org=ORG_A)
    tried = store_layouts.candidates(w.engine, ORG_A)
    assert [(s.name, s.org) for s in tried] == [("ours", ORG_A), ("Cluster 3W", None)]
    assert dict(tried[0].mapping) == MAP
    assert [s.name for s in store_layouts.list_layouts(w.engine)] == ["ours", "Cluster 3W"]
    assert [s.name for s in store_layouts.candidates(w.engine, None)] == ["Cluster 3W"]
    log = [e for e in db.audit_log(w.engine, w.admin) if e["action"] == "layout.save"]
    assert log[0]["detail"]["was"] == {"Secteur": "sector"}


def test_an_unknown_field_is_refused_before_anything_is_saved(w):
    with pytest.raises(StocktakeError, match="'short_name' .* is not a field Stocktake reads"):
        store_layouts.save(w.engine, w.admin, "Bad", {"Partenaire (sigle)": "short_name"}, HEADERS, org=ORG_A)
    assert store_layouts.list_layouts(w.engine) == []
