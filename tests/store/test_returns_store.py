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
