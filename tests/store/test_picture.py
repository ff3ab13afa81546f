"""The current picture: which return counts for each organisation, carried forward when it did not report, and
whose contact details each person sees. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from mapping.store import db, picture, registry
from tests.factories.store import ORG_A, ORG_B, activity, result, submit, world


def test_the_latest_return_counts_and_a_silent_partner_is_carried_forward_marked(db_url):
    w = world(db_url)
    submit(w, w.focal_a, ORG_A, result(activity(1)))
    submit(w, w.focal_b, ORG_B, result(activity(2, ORG_B)))
    newer = submit(w, w.focal_a, ORG_A, result(activity(3), activity(4)))
    pic = picture.current_activities(w.engine, w.viewer)
    assert sorted(pic["activity"]) == ["Mobile clinic 2", "Mobile clinic 3", "Mobile clinic 4"]
    assert set(pic.loc[pic["org_name"] == ORG_A, "submission_id"]) == {newer.submission_id}
    registry.add_round(w.engine, w.admin, "2026 H2", "2026-07-01", "2026-12-31")
    submit(w, w.focal_b, ORG_B, result(activity(5, ORG_B)), round_name="2026 H2")
    h2 = picture.current_activities(w.engine, w.viewer, round_name="2026 H2")
    carried = h2.set_index("activity")["carried_forward"].to_dict()
    assert carried == {"Mobile clinic 3": True, "Mobile clinic 4": True, "Mobile clinic 5": False}
    assert h2.loc[h2["org_name"] == ORG_A, "round_name"].unique().tolist() == ["2026 H1"]


def test_contacts_follow_the_one_rule(db_url):
    w = world(db_url)
    submit(w, w.focal_a, ORG_A, result(activity(1)))
    submit(w, w.focal_b, ORG_B, result(activity(2, ORG_B)))
    assert [picture.contacts_shown(a) for a in (w.admin, w.focal_a, w.viewer, db.PUBLIC, None)] == [
        "all", "own", "none", "none", "none"]
    own = picture.current_activities(w.engine, w.focal_a).set_index("org_name")["contact_email"]
    assert own[ORG_A] == "focal@alpha.example" and own.isna()[ORG_B]
    assert "contact_email" not in picture.current_activities(w.engine, w.viewer).columns


def test_the_public_sees_nothing_while_the_public_view_is_off(db_url, monkeypatch):
    monkeypatch.delenv("STOCKTAKE_PUBLIC_VIEW", raising=False)
    w = world(db_url)
    submit(w, w.focal_a, ORG_A, result(activity(1)))
    with pytest.raises(db.PermissionDenied, match="The public view is switched off"):
        picture.current_activities(w.engine, db.PUBLIC)


def test_the_data_version_changes_with_every_change_to_the_picture(db_url):
    w = world(db_url)
    before = picture.data_version(w.engine, w.viewer)
    submit(w, w.focal_a, ORG_A, result(activity(1)))
    after = picture.data_version(w.engine, w.viewer)
    assert before != after and after == picture.data_version(w.engine, w.viewer)
    assert picture.data_version(w.engine, w.admin) != after  # per role: one person's view is never another's
