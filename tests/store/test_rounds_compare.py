"""`rounds compare` counts every activity: one activity ID used on two rows is two activities, reported."""

from __future__ import annotations

from mapping.cli import main
from mapping.store import picture
from tests.factories.store import ORG_A, activity, result, submit, world

ROUNDS = (("2026 H1", "2026-01-01", "2026-06-30"), ("2026 H2", "2026-07-01", "2026-12-31"))


def test_duplicate_activity_ids_are_not_collapsed(db_url, monkeypatch, capsys):
    w = world(db_url, rounds=ROUNDS)
    first = [activity(1), activity(2, activity_id="ALP-2"), activity(3, activity_id="ALP-2"), activity(4)]
    second = [activity(1), activity(2, activity_id="ALP-2", targeted=999),
              activity(3, activity_id="ALP-2"), activity(5, activity_id="ALP-2"), activity(6)]
    assert submit(w, w.focal_a, ORG_A, result(*first), round_name="2026 H1").status == "stored"
    assert submit(w, w.focal_a, ORG_A, result(*second), round_name="2026 H2").status == "stored"
    diff = picture.compare_rounds(w.engine, "2026 H1", "2026 H2")
    assert len(diff["new"]) + len(diff["changed"]) + diff["unchanged"] == len(second) == 5
    assert len(diff["ended"]) + len(diff["changed"]) + diff["unchanged"] == len(first) == 4
    assert [(d["activity_id"], d["previous"], d["current"]) for d in diff["duplicates"]] == [("ALP-2", 2, 3)]
    assert {c["activity_id"] for c in diff["new"]} == {"ALP-2", "ALP-6"}
    assert len(diff["ended"]) == 1 and diff["ended"][0]["activity_id"] == "ALP-4"
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    assert main(["rounds", "compare"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("From 2026 H1 to 2026 H2: 2 new, 1 changed, 1 ended, 2 unchanged activities")
    assert ("Note: Alpha Relief uses activity ALP-2 for 3 activities now (2 before); they are compared in file "
            "order. Give each activity its own ID.") in out
