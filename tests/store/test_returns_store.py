"""What issue 12 keeps in the store, on SQLite and PostgreSQL: household counts beside people, the lead agency,
confirmed vocabulary aliases, and rows queued for review that stay out of the picture until resolved."""

from __future__ import annotations

import pytest

from mapping.store import picture
from tests.factories.store import ORG_A, activity, result, submit, world


@pytest.fixture
def w(db_url):
    return world(db_url)


def test_households_and_lead_organisation_are_stored_apart_from_people(w):
    recs = [activity(1, ORG_A, targeted=500, reached=None, targeted_hh=90, reached_hh=40, org_lead="UNICEF"),
            activity(2, ORG_A, targeted=None, reached=None, targeted_hh=10)]
    assert submit(w, w.focal_a, ORG_A, result(*recs)).status == "stored"
    acts = picture.current_activities(w.engine, w.admin).sort_values("activity_id")
    assert acts["targeted"].tolist()[0] == 500 and acts["targeted"].isna().tolist() == [False, True]
    assert acts["targeted_hh"].tolist() == [90, 10] and acts["reached_hh"].fillna(-1).tolist() == [40, -1]
    assert acts["org_lead"].tolist() == ["UNICEF", None]
    assert acts["targeted"].sum() == 500  # households never add to people


def test_a_confirmed_mapping_is_kept_with_who_and_when_and_only_an_admin_makes_it(w):
    from mapping.store import db, vocabulary

    with pytest.raises(db.PermissionDenied):
        vocabulary.map_value(w.engine, w.focal_a, "sector", "Saúde", "Health")
    with pytest.raises(db.StoreError, match="'Healthcare' is not a sector on the list"):
        vocabulary.map_value(w.engine, w.admin, "sector", "Saúde", "Healthcare")
    assert vocabulary.map_value(w.engine, w.admin, "sector", " Saúde ", "health")["canonical"] == "Health"
    vocabulary.map_value(w.engine, w.admin, "status", "Em andamento", "ongoing")
    vocabulary.map_value(w.engine, w.admin, "org_name", "Alpha R.", "ALR")  # an acronym names the organisation
    vocabulary.map_value(w.engine, w.admin, "status", "Em andamento", "suspended")  # a second answer replaces the first
    listed = vocabulary.aliases(w.engine)
    assert [(a["field"], a["alias"], a["canonical"], a["by"]) for a in listed] == [
        ("org_name", "Alpha R.", "Alpha Relief", "admin@example.org"), ("sector", "Saúde", "Health", "admin@example.org"),
        ("status", "Em andamento", "suspended", "admin@example.org")]
    assert all(a["at"] is not None for a in listed)
    assert vocabulary.confirmed(w.engine) == {"org_name": {"Alpha R.": "Alpha Relief"}, "sector": {"Saúde": "Health"},
                                              "status": {"Em andamento": "suspended"}}
    log = [e for e in db.audit_log(w.engine, w.admin) if e["action"] == "vocab.map"]
    assert [e["detail"]["was"] for e in log if e["detail"]["alias"] == "Em andamento"] == ["ongoing", None]
    assert vocabulary.remove_alias(w.engine, w.admin, "sector", "SAUDE") is True
    assert vocabulary.remove_alias(w.engine, w.admin, "sector", "Saúde") is False
    assert [a["field"] for a in vocabulary.aliases(w.engine, "sector")] == []
