"""What a new return replaces, said before the focal point confirms (issue 20, defect 2)."""

from __future__ import annotations

import pytest

from mapping.store import picture, registry
from tests.factories.store import ORG_A, activity, fast_hashing, result, submit, world


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


def test_a_partial_return_names_the_activities_it_would_drop(db_url):
    w = world(db_url)
    current = [activity(n, adm2_name=f"District {n}") for n in range(1, 10)]
    current[8]["adm2_name"] = "Chiniot"
    assert submit(w, w.focal_a, ORG_A, result(*current)).status == "stored"
    # the focal point fills a blank template with 5 rows: 3 unchanged, 1 changed, 1 new (no activity ID)
    rows = [current[0], current[1], current[2], current[3] | {"status": "completed"},
            activity(20, activity_id=None, activity="Water trucking", adm2_name="Lahore", adm2_pcode="PK620")]
    rep = picture.replacement(w.engine, w.focal_a, ORG_A, rows, round_name="2026 H1")
    assert (rep.current, rep.unchanged, len(rep.changed), len(rep.new), len(rep.disappearing)) == (9, 3, 1, 1, 5)
    assert rep.changed[0]["activity_id"] == "ALP-4"
    assert sorted(d["activity_id"] for d in rep.disappearing) == [f"ALP-{n}" for n in range(5, 10)]
    text = rep.sentence()
    assert text.startswith("This replaces the 9 current activities of Alpha Relief: 4 kept or changed, 1 new, "
                           "5 will disappear (")
    assert "Mobile clinic 5 in District 5" in text and "and 2 more" in text
    # a return that keeps every row: nothing disappears
    same = picture.replacement(w.engine, w.focal_a, ORG_A, current, round_name="2026 H1")
    assert (same.unchanged, same.disappearing) == (9, [])
    assert same.sentence().endswith("none new, none will disappear.")


def test_the_first_return_replaces_nothing_and_a_carried_return_says_where_it_comes_from(db_url):
    w = world(db_url)
    first = picture.replacement(w.engine, w.focal_a, ORG_A, [activity(1)], round_name="2026 H1")
    assert (first.current, len(first.new)) == (0, 1)
    assert first.sentence() == "Alpha Relief has no activities in the picture yet: this return adds 1."
    assert submit(w, w.focal_a, ORG_A, result(activity(1), activity(2))).status == "stored"
    registry.add_round(w.engine, w.admin, "2026 H2", "2026-07-01", "2026-12-31")
    carried = picture.replacement(w.engine, w.focal_a, ORG_A, [activity(1)], round_name="2026 H2")
    assert (carried.current, carried.carried_from, len(carried.disappearing)) == (2, "2026 H1", 1)
    assert "(carried forward from 2026 H1)" in carried.sentence()


def test_validate_and_submit_commands_say_what_a_return_replaces(db_url, shared_boundaries, monkeypatch, capsys,
                                                                 tmp_path):
    from mapping import workflow
    from mapping.cli import main
    from tests.factories.store import xlsx_bytes

    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(shared_boundaries))
    monkeypatch.setenv("STOCKTAKE_ADMIN_EMAIL", "admin@example.org")
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "admin-pass-1")
    workflow.setup(url=db_url)
    registry.add_org(workflow.db.connect(db_url), workflow.SYSTEM, "Indus Relief Partners", acronym="IRP")
    clinics = {"org_name": "IRP", "sector": "Health", "activity": "Mobile clinics", "adm1_name": "Punjab",
               "adm2_name": "D.G Khan", "status": "ongoing"}
    kits = clinics | {"sector": "Education", "activity": "School kits", "adm2_name": "Chiniot"}
    (tmp_path / "both.xlsx").write_bytes(xlsx_bytes([clinics, kits]))
    (tmp_path / "one.xlsx").write_bytes(xlsx_bytes([clinics | {"status": "completed"}]))
    assert main(["submit", str(tmp_path / "both.xlsx"), "--org", "IRP", "--user", "admin@example.org"]) == 0
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "one.xlsx"), "--org", "IRP"]) == 0
    out = capsys.readouterr().out
    assert ("This replaces the 2 current activities of Indus Relief Partners: 1 kept or changed, none new, "
            "1 will disappear (School kits in Chiniot).") in out
    assert main(["submit", str(tmp_path / "one.xlsx"), "--org", "IRP", "--user", "admin@example.org"]) == 0
    out = capsys.readouterr().out
    assert "It replaced the 2 current activities of Indus Relief Partners: 1 kept or changed, none new, " \
           "1 disappeared (School kits in Chiniot)." in out
