"""Programme records in the store, on SQLite and PostgreSQL: created, updated with an audit trail, owned."""

from __future__ import annotations

import pytest

from mapping.errors import StocktakeError
from mapping.returns.programmes import ProgrammeRecord
from mapping.store import auth, db, programmes, registry


@pytest.fixture
def engine(db_url):
    e = db.connect(db_url)
    admin = db.CLI_ADMIN
    registry.add_org(e, admin, "North Authority", acronym="NA", org_type="Government")
    registry.add_org(e, admin, "Federal Agency", acronym="FA", org_type="Government")
    auth.add_user(e, admin, email="fp@na.test", role="focal_point", org="North Authority", password="pw-123456789")
    return e


def test_save_creates_then_updates_by_name_and_audits_what_changed(engine):
    admin = db.CLI_ADMIN
    rec = ProgrammeRecord("North Mothers", "North Authority", provinces=["PK6"], target_groups=["Elderly"],
                          beneficiaries=100)
    first = programmes.save_programmes(engine, admin, [rec])
    assert (first.created, first.updated) == (["North Mothers"], [])
    again = programmes.save_programmes(engine, admin, [rec])
    assert again.unchanged == ["North Mothers"]
    rec.beneficiaries = 250
    third = programmes.save_programmes(engine, admin, [rec])
    assert third.updated == ["North Mothers"] and third.sentence() == "Programmes: 0 added, 1 updated, 0 unchanged."
    frame = programmes.programme_frame(engine)
    row = frame.set_index("name").loc["North Mothers"]
    assert row["beneficiaries"] == 250 and row["owner"] == "North Authority" and row["owner_type"] == "Government"
    assert row["provinces"] == ["PK6"] and row["target_groups"] == ["Elderly"] and row["districts"] == []
    log = db.audit_log(engine, admin, object_type="programme")
    assert [e["action"] for e in log][:2] == ["programme.update", "programme.add"]
    assert log[0]["detail"]["beneficiaries"] == {"from": 100, "to": 250}


def test_a_focal_point_changes_only_its_own_organisation_s_programmes(engine):
    focal = auth.authenticate(engine, "fp@na.test", "pw-123456789")
    programmes.save_programmes(engine, focal, [ProgrammeRecord("North Pension", "North Authority")])
    with pytest.raises(StocktakeError):
        programmes.save_programmes(engine, focal, [ProgrammeRecord("Federal Stipend", "Federal Agency")])
    programmes.save_programmes(engine, db.CLI_ADMIN, [ProgrammeRecord("Federal Stipend", "Federal Agency")])
    with pytest.raises(StocktakeError):  # moving another owner's programme to itself is refused too
        programmes.save_programmes(engine, focal, [ProgrammeRecord("Federal Stipend", "North Authority")])
    assert sorted(programmes.programme_frame(engine)["name"]) == ["Federal Stipend", "North Pension"]
    with pytest.raises(StocktakeError):
        programmes.save_programmes(engine, db.CLI_ADMIN, [ProgrammeRecord("X", "Nobody Known")])


def test_a_name_returns_use_is_learned_once_and_audited(engine):
    programmes.save_programmes(engine, db.CLI_ADMIN, [ProgrammeRecord("North Pension", "North Authority")])
    focal = auth.authenticate(engine, "fp@na.test", "pw-123456789")
    programmes.add_alias(engine, focal, "north pension", "NP scheme")
    programmes.add_alias(engine, focal, "North Pension", "np scheme")  # once is enough
    assert programmes.programme_frame(engine).set_index("name").loc["North Pension", "aliases"] == ["NP scheme"]
    assert [e["action"] for e in db.audit_log(engine, db.CLI_ADMIN, object_type="programme")][0] == "programme.alias"
    programmes.save_programmes(engine, db.CLI_ADMIN, [ProgrammeRecord("Federal Stipend", "Federal Agency")])
    with pytest.raises(StocktakeError):
        programmes.add_alias(engine, focal, "Federal Stipend", "FS")


def test_a_name_that_is_not_a_programme_is_marked_by_its_writers_then_put_back_and_both_are_audited(db_url):
    from sqlalchemy import func, select

    from mapping.store import models as m
    from tests.factories.store import ORG_A, activity, result, submit, world

    w = world(db_url)
    submit(w, w.focal_a, ORG_A, result(activity(1, project="Staff training"), activity(2, project="Well repairs")))
    with pytest.raises(StocktakeError, match="focal point of Bravo Aid"):  # Alpha's returns write it, not Bravo's
        programmes.mark_not_programme(w.engine, w.focal_b, "Staff training")
    with pytest.raises(StocktakeError, match="viewer cannot"):
        programmes.mark_not_programme(w.engine, w.viewer, "Staff training")
    with pytest.raises(StocktakeError, match="No return writes a programme called “Staf training”"):
        programmes.mark_not_programme(w.engine, w.admin, "Staf training")  # a typo marks nothing
    programmes.save_programmes(w.engine, w.admin, [ProgrammeRecord("Well Repairs", ORG_A)])
    with pytest.raises(StocktakeError, match="names the programme Well Repairs"):
        programmes.mark_not_programme(w.engine, w.admin, "well repairs")
    assert programmes.mark_not_programme(w.engine, w.focal_a, "  staff   TRAINING ") is True
    assert programmes.mark_not_programme(w.engine, w.admin, "Staff training") is False  # once is enough
    marks = programmes.not_programme_names(w.engine)
    assert [(r["name"], r["by"]) for r in marks] == [("staff TRAINING", "focal@alpha.example")]
    with pytest.raises(StocktakeError):  # Bravo cannot take Alpha's decision back either
        programmes.unmark_not_programme(w.engine, w.focal_b, "Staff training")
    assert programmes.unmark_not_programme(w.engine, w.admin, "Staff Training") is True
    assert programmes.not_programme_names(w.engine) == []
    assert programmes.unmark_not_programme(w.engine, w.admin, "Staff training") is False
    log = db.audit_log(w.engine, w.admin, object_type="programme_name")
    assert [(e["action"], e["email"], e["detail"]["name"]) for e in log] == [
        ("programme_name.programme_again", "admin@example.org", "staff TRAINING"),
        ("programme_name.not_programme", "focal@alpha.example", "staff TRAINING")]
    assert log[0]["detail"]["marked_by"] == "focal@alpha.example"
    with db.transaction(w.engine, write=False) as conn:  # the returns themselves are untouched
        assert conn.execute(select(func.count()).select_from(m.activities)).scalar() == 2
