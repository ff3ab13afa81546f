"""Editing the controlled lists: admins only, every change in the audit log, the same rules from page and command."""

from __future__ import annotations

import json

import pytest

from mapping.cli import main
from mapping.returns import schema
from mapping.store import db, lists
from tests.factories.store import world


@pytest.fixture
def own_lists(tmp_path, monkeypatch):
    """A deployment data folder of its own, so edits never touch the shipped lists."""
    monkeypatch.setenv("STOCKTAKE_DATA_DIR", str(tmp_path / "data"))
    schema.load_vocabularies.cache_clear()
    yield tmp_path / "data"
    schema.load_vocabularies.cache_clear()


def test_an_admin_adds_and_removes_values_and_returns_are_checked_against_them(own_lists, db_url):
    w = world(db_url)
    assert "Shelter" not in schema.load_vocabularies().sector_names
    change = lists.add_value(w.engine, w.admin, "sector", "Shelter", subsector="Transitional shelter",
                                  code="SH-TS")
    assert change.added == ("Shelter / Transitional shelter",) and change.removed == ()
    assert (own_lists / "sectors.csv").read_text(encoding="utf-8").endswith("Shelter,Transitional shelter,SH-TS\n")
    vocab = schema.load_vocabularies()
    assert vocab.subsectors_of("Shelter") == ["Transitional shelter"]
    lists.add_value(w.engine, w.admin, "status", "cancelled")
    assert "cancelled" in schema.load_vocabularies().statuses
    removed = lists.remove_value(w.engine, w.admin, "status", "Cancelled")
    assert removed.removed == ("cancelled",) and "cancelled" not in schema.load_vocabularies().statuses
    entries = db.audit_log(w.engine, w.admin, action="vocabulary.save")
    assert [(e["email"], e["object_id"], e["detail"]["added"], e["detail"]["removed"]) for e in entries] == [
        ("admin@example.org", "status", [], ["cancelled"]), ("admin@example.org", "status", ["cancelled"], []),
        ("admin@example.org", "sector", ["Shelter / Transitional shelter"], [])]


def test_lists_are_refused_empty_duplicated_or_by_others(own_lists, db_url):
    w = world(db_url)
    before = (schema.vocabulary_path("statuses.csv")).read_bytes()
    with pytest.raises(db.PermissionDenied, match="Only an admin can change the controlled lists"):
        lists.add_value(w.engine, w.focal_a, "status", "cancelled")
    with pytest.raises(db.StoreError, match="'Ongoing' is already on the status list"):
        lists.add_value(w.engine, w.admin, "status", "Ongoing")
    with pytest.raises(db.StoreError, match="The list would be empty"):
        lists.save_list(w.engine, w.admin, "status", [{"status": " ", "aliases": "x"}])
    columns, rows = lists.read_list("modality")
    with pytest.raises(db.StoreError, match="Duplicate rows: Cash"):
        lists.save_list(w.engine, w.admin, "modality", rows + [rows[0]])
    with pytest.raises(db.StoreError, match="There is no list called 'colour'"):
        lists.read_list("colour")
    assert schema.vocabulary_path("statuses.csv").read_bytes() == before
    assert not own_lists.exists() and db.audit_log(w.engine, w.admin, action="vocabulary.save") == []


def test_vocab_command_lists_adds_and_removes(own_lists, db_url, monkeypatch, capsys):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    world(db_url)
    assert main(["vocab", "list", "modality", "--json"]) == 0
    assert [r["modality"] for r in json.loads(capsys.readouterr().out)][:3] == ["Cash", "Voucher", "In-kind"]
    assert main(["vocab", "add", "modality", "Microfinance"]) == 0
    assert capsys.readouterr().out == ("The modality list now has 8 rows (added Microfinance); saved to "
                                       "modalities.csv.\n")
    assert main(["vocab", "add", "modality", "Loans", "--user", "viewer@example.org"]) == 2
    assert capsys.readouterr().err.startswith("Only an admin can change the controlled lists")
    assert main(["vocab", "remove", "modality", "Nothing"]) == 2
    assert capsys.readouterr().err == "'Nothing' is not on the modality list. Check the spelling against the list.\n"
    assert main(["vocab", "remove", "modality", "microfinance"]) == 0
    assert "removed Microfinance" in capsys.readouterr().out
    assert main(["vocab", "list", "modality"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["modality", "aliases"]


def test_the_programmes_target_groups_are_a_list_the_deployment_edits(own_lists, db_url, monkeypatch, capsys):
    """A group added with `vocab add target_group` is read in the next programmes sheet, in the same process."""
    from mapping.geo.gazetteer import Gazetteer
    from mapping.returns.programmes import load_target_groups, read_programmes
    from tests.factories.programmes import sheet, units

    w = world(db_url)
    u = units()

    def groups_read() -> tuple[list[str], list[str]]:
        parsed = read_programmes(sheet([{"Programme": "Lean Season Cash", "Owner": "North Authority",
                                         "Target groups": "Seasonal migrants; Elderly"}]), "p.xlsx", units=u,
                                 gazetteer=Gazetteer.from_units(u, country="XY"), vocab=schema.load_vocabularies())
        return parsed.records[0].target_groups, [i.value for i in parsed.issues]

    assert groups_read() == (["Elderly"], ["Seasonal migrants"])  # off the list: a warning naming it
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    assert main(["vocab", "add", "target_group", "Seasonal migrants"]) == 0
    assert "Seasonal migrants" in load_target_groups().names
    assert groups_read() == (["Seasonal migrants", "Elderly"], [])
    assert (own_lists / "target_groups.csv").exists()
    entry = db.audit_log(w.engine, w.admin, action="vocabulary.save")[0]
    assert (entry["object_id"], entry["detail"]["added"]) == ("target_group", ["Seasonal migrants"])
