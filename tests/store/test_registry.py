"""Reference lists the secretariat keeps (organisations, rounds, boundary sets, learned place names), on SQLite
and PostgreSQL: refusals say what is wrong in words a secretariat officer understands."""

from __future__ import annotations

import datetime as dt

import pytest

from mapping.store import db, registry
from tests.factories.store import ORG_A, world


def test_organisations_are_found_by_name_acronym_or_alias_and_never_twice(db_url):
    w = world(db_url)
    with w.engine.connect() as conn:
        assert registry.find_org(conn, "alr").name == ORG_A
        assert registry.find_org(conn, "Bravo").acronym == "BRA"
        with pytest.raises(db.StoreError, match="No organisation called 'Charlie Care'"):
            registry.find_org(conn, "Charlie Care")
    with pytest.raises(db.StoreError, match="already exists"):
        registry.add_org(w.engine, w.admin, ORG_A)
    with pytest.raises(db.PermissionDenied, match="Only an admin"):
        registry.add_org(w.engine, w.focal_a, "Delta Aid")
    assert [o["name"] for o in registry.list_orgs(w.engine)] == ["Alpha Relief", "Bravo Aid"]


def test_rounds_are_dated_checked_and_the_open_one_found(db_url):
    w = world(db_url)
    with pytest.raises(db.StoreError, match="Start date '1 July' is not a date; write it as YYYY-MM-DD"):
        registry.add_round(w.engine, w.admin, "2026 H2", "1 July", "2026-12-31")
    registry.add_round(w.engine, w.admin, "2026 H2", "2026-07-01", "2026-12-31")
    with w.engine.connect() as conn:
        assert registry.resolve_round(conn, None, today=dt.date(2026, 8, 1)).name == "2026 H2"
    registry.lock_round(w.engine, w.admin, "2026 H1")
    assert [(r["name"], r["locked"]) for r in registry.list_rounds(w.engine)] == [("2026 H1", True),
                                                                               ("2026 H2", False)]


def test_the_active_boundary_set_and_learned_place_names(db_url):
    w = world(db_url)
    assert registry.active_boundary_version(w.engine) is None
    registry.register_boundary_set(w.engine, w.admin, {"version": "xy-1", "country": "XY"})
    registry.register_boundary_set(w.engine, w.admin, {"version": "xy-2", "country": "XY"})
    assert registry.active_boundary_version(w.engine) == "xy-2"
    assert [(s["version"], s["active"]) for s in registry.list_boundary_sets(w.engine)] == [("xy-1", False),
                                                                                          ("xy-2", True)]
    registry.learn_alias(w.engine, w.admin, "DG Khan Sadar", "PK6", "PK607")
    assert [(a["alias"], a["adm2_pcode"]) for a in registry.learned_aliases(w.engine)] == [("DG Khan Sadar", "PK607")]
