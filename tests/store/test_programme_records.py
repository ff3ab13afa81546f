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
