"""STOCKTAKE_PUBLIC_VIEW: every way of saying yes or no is honoured, and the explicit setting beats the
database's own (a demo database's public view can be switched off)."""

from __future__ import annotations

import pytest

from mapping import workflow
from mapping.store import db, picture


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("TRUE", True), ("yes", True),
                                                  ("on", True), ("0", False), ("false", False), ("no", False),
                                                  ("off", False)])
@pytest.mark.parametrize("stored", ["private", "demo"])
def test_explicit_setting_wins_over_the_database(db_url, monkeypatch, value, expected, stored):
    engine = db.connect(db_url)
    if stored == "demo":
        db.set_setting(engine, workflow.SYSTEM, "demo", "1")
    monkeypatch.setenv("STOCKTAKE_PUBLIC_VIEW", value)
    assert db.public_view_enabled(engine) is expected
    if expected:
        assert picture.current_activities(engine, db.PUBLIC).empty
    else:
        with pytest.raises(db.PermissionDenied, match="The public view is switched off"):
            picture.current_activities(engine, db.PUBLIC)


def test_unset_leaves_it_to_the_database(db_url, monkeypatch):
    engine = db.connect(db_url)
    monkeypatch.delenv("STOCKTAKE_PUBLIC_VIEW", raising=False)
    assert db.public_view_enabled(engine) is False
    db.set_setting(engine, workflow.SYSTEM, "demo", "1")
    assert db.public_view_enabled(engine) is True


@pytest.mark.parametrize(("role", "shown"), [("admin", "all"), ("focal_point", "own"), ("viewer", "none"),
                                             ("public", "none")])
def test_whose_contacts_each_role_exports(role, shown):
    actor = db.Actor(user_id=1, email="x@example.org", role=role, org_id=1, org_name="Alpha")
    assert picture.contacts_shown(actor) == shown
    assert picture.CONTACT_SENTENCES[shown]
