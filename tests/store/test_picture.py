"""The current picture: which return counts for each organisation, carried forward when it did not report, and
whose contact details each person sees. On SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
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


def test_a_picture_read_in_chunks_is_the_picture_read_at_once_with_one_copy_of_each_name(db_url, monkeypatch):
    """A large picture is read a chunk of rows at a time, each text column keeping one copy of each distinct value
    (200,000 rows saying "Health" would otherwise hold 200,000 strings). It reads exactly as one piece would,
    also when a chunk's numbers are all blank (it reads as text beside a chunk of numbers)."""
    w = world(db_url)
    rows = [activity(n, targeted=None, reached=None) if n <= 2 else activity(n) for n in range(1, 8)]
    submit(w, w.focal_a, ORG_A, result(*rows))
    submit(w, w.focal_b, ORG_B, result(activity(9, ORG_B)))
    whole = picture.current_activities(w.engine, w.admin)
    monkeypatch.setattr(picture, "_CHUNK", 2)
    chunked = picture.current_activities(w.engine, w.admin)
    pd.testing.assert_frame_equal(chunked, whole)
    assert chunked["targeted"].dtype == float and chunked["targeted"].iloc[:2].isna().all()
    for column in ("sector", "subsector", "status", "currency"):
        assert len({id(v) for v in chunked[column][:2]}) == 1, column  # one object for the same name in a chunk
