"""The store on SQLite and PostgreSQL: whole-or-nothing submissions, roles, rounds, rollback, audit."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading

import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from mapping.cli import main
from mapping.errors import StocktakeError
from mapping.store import auth, db, picture, registry, submissions
from mapping.store import models as m
from tests.factories.store import ORG_A, ORG_B, activity, fast_hashing, result, submit, world, xlsx_bytes


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    fast_hashing(monkeypatch)


@pytest.fixture
def w(db_url):
    return world(db_url)


def test_focal_point_cannot_act_for_another_organisation(w):
    own = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2)))
    other = submit(w, w.focal_b, ORG_B, result(activity(3, ORG_B)))
    assert (own.status, other.status) == ("stored", "stored")

    with pytest.raises(db.PermissionDenied, match="focal point of Alpha Relief and cannot submit a return for "
                                                     "Bravo Aid"):
        submit(w, w.focal_a, ORG_B, result(activity(9, ORG_B)))
    with pytest.raises(db.PermissionDenied, match="Only an admin can roll back"):
        submissions.rollback(w.engine, w.focal_a, other.submission_id)
    with pytest.raises(db.PermissionDenied, match="cannot download returns for Bravo Aid"):
        submissions.raw_file(w.engine, w.focal_a, other.submission_id)
    with pytest.raises(db.PermissionDenied, match="cannot see the submission history for Bravo Aid"):
        submissions.history(w.engine, w.focal_a, ORG_B)
    with pytest.raises(db.PermissionDenied):
        submissions.validation_issues(w.engine, w.focal_a, other.submission_id)
    with pytest.raises(db.PermissionDenied, match="Only an admin can import"):
        submissions.import_consolidated(w.engine, w.focal_a, filename="all.xlsx", data=b"x", result=result(activity(1)),
                                  boundary_version=None)
    for call in (lambda: registry.add_org(w.engine, w.focal_a, "Charlie"),
                 lambda: registry.lock_round(w.engine, w.focal_a, "2026 H1"),
                 lambda: registry.learn_alias(w.engine, w.focal_a, "DG Khan", "PK6", "PK607"),
                 lambda: auth.add_user(w.engine, w.focal_a, email="x@y.org", role="admin", password="12345678")):
        with pytest.raises(db.PermissionDenied):
            call()
    with pytest.raises(db.PermissionDenied, match="A viewer cannot submit"):
        submit(w, w.viewer, ORG_A, result(activity(1)))
    # nothing above changed the database: still the two stored submissions
    assert _count(w.engine, m.submissions) == 2
    assert [h["id"] for h in submissions.history(w.engine, w.focal_a, ORG_A)] == [own.submission_id]
    assert [s["org"] for s in submissions.list_submissions(w.engine, w.focal_a)] == [ORG_A]
    assert [s["org"] for s in submissions.list_submissions(w.engine, w.admin)] == [ORG_B, ORG_A]
    with pytest.raises(db.PermissionDenied, match="A viewer cannot see submissions"):
        submissions.list_submissions(w.engine, w.viewer)

    # everyone sees all activities; contacts only for the own organisation (focal) or all (admin) or none (viewer)
    mine = picture.current_activities(w.engine, w.focal_a)
    assert len(mine) == 3
    assert sorted(mine["contact_email"].dropna()) == ["focal@alpha.example", "focal@alpha.example"]
    assert mine.loc[mine["org_name"] == ORG_B, ["contact_name", "contact_email", "contact_phone"]].isna().all().all()
    viewer = picture.current_activities(w.engine, w.viewer)
    assert len(viewer) == 3 and not {"contact_name", "contact_email", "contact_phone"} & set(viewer.columns)
    admin = picture.current_activities(w.engine, w.admin)
    assert sorted(admin["contact_email"]) == ["focal@alpha.example", "focal@alpha.example", "focal@bravo.example"]


def test_public_view_is_off_unless_configured(w, monkeypatch):
    submit(w, w.admin, ORG_A, result(activity(1)))
    with pytest.raises(db.PermissionDenied, match="public view is switched off"):
        picture.current_activities(w.engine, db.PUBLIC)
    monkeypatch.setenv("STOCKTAKE_PUBLIC_VIEW", "1")
    df = picture.current_activities(w.engine, db.PUBLIC)
    assert list(df["org_name"]) == [ORG_A] and "contact_email" not in df.columns


def test_a_return_with_errors_stores_no_activity_but_keeps_the_upload(w):
    data = xlsx_bytes([activity(1), activity(2)])
    out = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2), errors=2, warnings=1), data=data,
                 filename="alpha.xlsx")
    assert out.status == "rejected"
    assert out.message.startswith("alpha.xlsx was not stored: 2 error(s) must be fixed first")
    assert _count(w.engine, m.activities) == 0
    assert picture.current_activities(w.engine, w.admin).empty
    assert submissions.raw_file(w.engine, w.focal_a, out.submission_id) == ("alpha.xlsx", data)
    issues = submissions.validation_issues(w.engine, w.focal_a, out.submission_id)
    assert [(i["row"], i["severity"], i["message"]) for i in issues] == [
        (3, "error", "District 'Nowhere' is not in Punjab."), (4, "error", "District 'Nowhere' is not in Punjab."),
        (3, "warning", "Budget '12k' read as 12000.")]
    assert issues[0]["suggestion"] == "Did you mean Narowal (PK628)?"
    [h] = submissions.history(w.engine, w.admin, ORG_A)
    assert (h["status"], h["errors"], h["warnings"]) == ("rejected", 2, 1)
    # the same broken file again is not stored a second time; a fixed file is accepted
    again = submit(w, w.focal_a, ORG_A, result(activity(1), errors=2), data=data, filename="alpha.xlsx")
    assert again.status == "rejected" and f"rejected submission #{out.submission_id}" in again.message
    fixed = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2)), filename="alpha-fixed.xlsx")
    assert fixed.status == "stored" and len(picture.current_activities(w.engine, w.admin)) == 2


def test_a_fault_mid_submission_leaves_no_row_behind(w, monkeypatch):
    """The database fails after the submission row is written: the previous return stays current, untouched."""
    first = submit(w, w.admin, ORG_A, result(activity(1)))
    before = (_count(w.engine, m.submissions), _count(w.engine, m.activities), _count(w.engine, m.audit_log))
    real = submissions.activity_row

    def failing(rec, org, sid):
        if rec["_row"] == 5:
            raise RuntimeError("disk full")
        return real(rec, org, sid)

    monkeypatch.setattr(submissions, "activity_row", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        submit(w, w.admin, ORG_A, result(activity(2), activity(3), activity(4)))
    assert (_count(w.engine, m.submissions), _count(w.engine, m.activities), _count(w.engine, m.audit_log)) == before
    assert [(h["id"], h["status"]) for h in submissions.history(w.engine, w.admin, ORG_A)] == [
        (first.submission_id, "accepted")]


def test_an_upload_over_the_size_cap_is_refused(w, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_MAX_UPLOAD_MB", "0.5")
    with pytest.raises(db.StoreError, match=r"big\.xlsx is 0\.6 MB; the largest return accepted is 0\.5 MB"):
        submit(w, w.focal_a, ORG_A, result(activity(1)), data=b"x" * 600_000, filename="big.xlsx")
    assert _count(w.engine, m.submissions) == 0


def test_resubmitting_the_same_file_is_a_no_op(w):
    data = xlsx_bytes([activity(1)])
    first = submit(w, w.focal_a, ORG_A, result(activity(1)), data=data, filename="alpha.xlsx")
    second = submit(w, w.focal_a, ORG_A, result(activity(1)), data=data, filename="alpha.xlsx")
    assert second.status == "duplicate" and second.submission_id == first.submission_id
    assert re.fullmatch(rf"alpha\.xlsx was already received on \d{{4}}-\d\d-\d\d \d\d:\d\d UTC \(submission "
                        rf"#{first.submission_id}, current\); nothing new was stored\.", second.message)
    assert _count(w.engine, m.submissions) == 1 and _count(w.engine, m.activities) == 1
    assert [e["action"] for e in db.audit_log(w.engine, w.admin, object_type="submission")] == ["submission.store"]


def test_a_newer_return_supersedes_and_stays_in_history(w):
    first = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2)))
    second = submit(w, w.focal_a, ORG_A, result(activity(3)))
    hist = submissions.history(w.engine, w.focal_a, ORG_A)
    assert [(h["id"], h["status"], h["rows"]) for h in hist] == [(second.submission_id, "accepted", 1),
                                                                (first.submission_id, "superseded", 2)]
    assert set(hist[0]) >= {"id", "round", "status", "sha256", "submitted_at", "user", "rows"}
    assert hist[0]["user"] == "focal@alpha.example" and hist[0]["round"] == "2026 H1"
    assert list(picture.current_activities(w.engine, w.admin)["activity_id"]) == ["ALP-3"]


def test_twenty_concurrent_submissions_end_with_the_right_picture(w):
    """Five organisations, each: the same file twice (a double click) and two different files, all at once."""
    orgs = [ORG_A, ORG_B] + [f"Org {c}" for c in "CDE"]
    for name in orgs[2:]:
        registry.add_org(w.engine, w.admin, name)
    jobs = []
    for org in orgs:
        x = result(*[activity(i, org) for i in range(1, 4)])
        y = result(*[activity(i, org) for i in range(10, 15)])
        xb, yb = f"{org}-x".encode() * 50, f"{org}-y".encode() * 50
        jobs += [(org, x, xb), (org, x, xb), (org, y, yb), (org, y, yb)]
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)
    errors: list = []

    def run(i, org, res, data):
        try:
            barrier.wait()
            outcomes[i] = submit(w, w.admin, org, res, data=data)
        except (StocktakeError, SQLAlchemyError, threading.BrokenBarrierError) as exc:  # asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(o.status for o in outcomes) == ["duplicate"] * 10 + ["stored"] * 10
    pic = picture.current_activities(w.engine, w.admin)
    with w.engine.connect() as conn:
        statuses = conn.execute(text("SELECT org_id, status, count(*) FROM submissions GROUP BY org_id, status "
                                     "ORDER BY org_id, status")).all()
    assert [(s, n) for _, s, n in statuses] == [("accepted", 1), ("superseded", 1)] * 5
    for org in orgs:
        [current] = [h for h in submissions.history(w.engine, w.admin, org) if h["status"] == "accepted"]
        rows = pic[pic["org_name"] == org]
        assert len(rows) == current["rows"] and set(rows["submission_id"]) == {current["id"]}
    assert len(pic) == sum(h["rows"] for o in orgs for h in submissions.history(w.engine, w.admin, o)
                               if h["status"] == "accepted")


def test_rollback_restores_the_earlier_picture_exactly(w):
    submit(w, w.focal_b, ORG_B, result(activity(7, ORG_B)))
    first = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2)))
    before = picture.current_activities(w.engine, w.admin)
    second = submit(w, w.focal_a, ORG_A, result(activity(3), activity(4), activity(5)))
    changed = picture.current_activities(w.engine, w.admin)
    assert len(changed) == 4 and not changed.equals(before)
    version = picture.data_version(w.engine, w.admin)

    submissions.rollback(w.engine, w.admin, second.submission_id, reason="wrong file")
    pd.testing.assert_frame_equal(picture.current_activities(w.engine, w.admin), before)
    assert picture.data_version(w.engine, w.admin) != version
    assert [(h["id"], h["status"]) for h in submissions.history(w.engine, w.admin, ORG_A)] == [
        (second.submission_id, "rolled_back"), (first.submission_id, "accepted")]
    assert _count(w.engine, m.activities) == 6  # nothing deleted
    with pytest.raises(db.StoreError, match=f"Submission #{second.submission_id} is rolled back"):
        submissions.rollback(w.engine, w.admin, second.submission_id)
    [entry] = db.audit_log(w.engine, w.admin, action="submission.rollback")
    assert entry["email"] == "admin@example.org" and entry["object_id"] == str(second.submission_id)
    assert entry["detail"]["restored"] == first.submission_id and entry["detail"]["reason"] == "wrong file"
    # rolling back the only return of an organisation removes it from the picture
    submissions.rollback(w.engine, w.admin, first.submission_id)
    assert set(picture.current_activities(w.engine, w.admin)["org_name"]) == {ORG_B}


def test_the_audit_log_records_each_change_and_cannot_be_edited(w):
    out = submit(w, w.focal_a, ORG_A, result(activity(1)))
    submissions.rollback(w.engine, w.admin, out.submission_id)
    registry.lock_round(w.engine, w.admin, "2026 H1")
    registry.register_boundary_set(w.engine, w.admin, {"version": "pak-1", "country": "PAK"})
    registry.learn_alias(w.engine, w.admin, "D.G. Khan", "PK6", "PK607")
    entries = list(reversed(db.audit_log(w.engine, w.admin)))
    assert [(e["email"], e["action"]) for e in entries] == [
        ("cli", "org.add"), ("cli", "org.add"), ("cli", "round.add"), ("cli", "user.add"), ("cli", "user.add"),
        ("cli", "user.add"), ("cli", "user.add"), ("focal@alpha.example", "submission.store"),
        ("admin@example.org", "submission.rollback"), ("admin@example.org", "round.lock"),
        ("admin@example.org", "boundaries.register"), ("admin@example.org", "alias.learn")]
    assert entries[7]["object_id"] == str(out.submission_id) and entries[7]["detail"]["activities"] == 1
    with pytest.raises(db.PermissionDenied, match="Only an admin can read the audit log"):
        db.audit_log(w.engine, w.focal_a)
    for sql in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):  # noqa: B017 - driver error classes differ
            with w.engine.begin() as conn:
                conn.execute(text(sql))
    assert len(db.audit_log(w.engine, w.admin)) == 12


def test_raw_upload_comes_back_byte_for_byte(w):
    data = xlsx_bytes([activity(1), activity(2)])
    out = submit(w, w.focal_a, ORG_A, result(activity(1), activity(2)), data=data, filename="Alpha return v2.xlsx")
    assert submissions.raw_file(w.engine, w.focal_a, out.submission_id) == ("Alpha return v2.xlsx", data)
    assert submissions.raw_file(w.engine, w.admin, out.submission_id)[1] == data
    assert submissions.history(w.engine, w.admin, ORG_A)[0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_locked_round_refuses_uploads(w):
    registry.lock_round(w.engine, w.admin, "2026 H1")
    out = submit(w, w.focal_a, ORG_A, result(activity(1)))
    assert out.status == "rejected" and out.submission_id is None
    assert out.message == ("The round '2026 H1' is locked, so returns are no longer accepted for it. Ask the "
                           "secretariat to open a new round (or reopen this one).")
    assert _count(w.engine, m.submissions) == 0
    registry.lock_round(w.engine, w.admin, "2026 H1", locked=False)
    assert submit(w, w.focal_a, ORG_A, result(activity(1))).status == "stored"


def test_round_is_chosen_from_today_and_missing_rounds_are_explained(db_url):
    w = world(db_url, rounds=())
    with pytest.raises(db.StoreError, match="No reporting round is open."):
        submit(w, w.admin, ORG_A, result(activity(1)), round_name=None)
    registry.add_round(w.engine, w.admin, "Old", "2020-01-01", "2020-12-31")
    registry.add_round(w.engine, w.admin, "Now", "2000-01-01", "2100-12-31")
    registry.add_round(w.engine, w.admin, "Later", "2099-01-01", "2099-12-31")
    assert submit(w, w.admin, ORG_A, result(activity(1)), round_name=None).round_name == "Now"
    with pytest.raises(db.StoreError, match="No reporting round called 'Nope'. Rounds: Now, Old, Later"):
        submit(w, w.admin, ORG_A, result(activity(1)), round_name="Nope")
    with pytest.raises(db.StoreError, match="ends .2020-01-01. before it starts"):
        registry.add_round(w.engine, w.admin, "Bad", "2020-02-01", "2020-01-01")


def test_carry_forward_marks_returns_of_organisations_that_did_not_report(db_url):
    w = world(db_url, rounds=(("R1", "2025-01-01", "2025-06-30"),))
    submit(w, w.admin, ORG_A, result(activity(1), activity(2)), round_name="R1")
    submit(w, w.admin, ORG_B, result(activity(3, ORG_B)), round_name="R1")
    registry.add_round(w.engine, w.admin, "R2", "2025-07-01", "2025-12-31")
    submit(w, w.admin, ORG_A, result(activity(1)), round_name="R2")
    df = picture.current_activities(w.engine, w.viewer)
    got = sorted(zip(df["org_name"], df["round_name"], df["carried_forward"], strict=True))
    assert got == [(ORG_A, "R2", False), (ORG_B, "R1", True)]
    assert list(picture.current_activities(w.engine, w.viewer, round_name="R1")["carried_forward"]) == [False] * 3
    registry.add_round(w.engine, w.admin, "R3", "2026-01-01", "2026-06-30", carry_forward=False)
    submit(w, w.admin, ORG_A, result(activity(5)), round_name="R3")
    df3 = picture.current_activities(w.engine, w.viewer)
    assert list(df3["activity_id"]) == ["ALP-5"] and not df3["carried_forward"].any()
    assert df3["org_type"].tolist() == ["National NGO"]  # from the organisation list when the record has none
    assert str(df3["start_date"].dtype).startswith("datetime64") and df3["targeted"].dtype == float
    assert (df3["start_date"].iloc[0], df3["end_date"].iloc[0]) == (pd.Timestamp("2026-01-06"),
                                                                    pd.Timestamp("2026-12-31"))
    assert (df3["targeted"].iloc[0], df3["budget"].iloc[0], df3["source_row"].iloc[0]) == (500.0, 5000.0, 7)
    assert df3["submitted_at"].notna().all()


def test_compare_rounds_finds_new_changed_and_ended(db_url):
    w = world(db_url, rounds=(("R1", "2025-01-01", "2025-06-30"), ("R2", "2025-07-01", "2025-12-31")))
    submit(w, w.admin, ORG_A, result(activity(1), activity(2), activity(3)), round_name="R1")
    submit(w, w.admin, ORG_A, result(activity(1), activity(2, reached=999, status="completed"), activity(4)),
           round_name="R2")
    diff = picture.compare_rounds(w.engine, "R1", "R2")
    assert [d["activity_id"] for d in diff["new"]] == ["ALP-4"]
    assert [d["activity_id"] for d in diff["ended"]] == ["ALP-3"]
    [changed] = diff["changed"]
    assert changed["activity_id"] == "ALP-2"
    assert changed["changes"] == {"status": ["ongoing", "completed"], "reached": [100.0, 999.0]}
    assert diff["unchanged"] == 1


def test_consolidated_file_is_split_into_one_traceable_submission_per_organisation(w):
    data = xlsx_bytes([activity(1), activity(2, "Bravo"), activity(3, "Delta Care")])
    res = result(activity(1), activity(2, "Bravo"), activity(3, "Delta Care"))
    outs = submissions.import_consolidated(w.engine, w.admin, filename="3w-2025.xlsx", data=data, result=res,
                                     boundary_version="pak-1", round_name="2026 H1")
    assert [(o.status, o.org, o.rows) for o in outs] == [("stored", ORG_A, 1), ("stored", ORG_B, 1),
                                                          ("stored", "Delta Care", 1)]
    sha = hashlib.sha256(data).hexdigest()
    for org in (ORG_A, ORG_B, "Delta Care"):
        [h] = submissions.history(w.engine, w.admin, org)
        assert (h["filename"], h["source_file_sha256"]) == ("3w-2025.xlsx", sha)
    assert submissions.raw_file(w.engine, w.admin, outs[2].submission_id)[1] == data
    again = submissions.import_consolidated(w.engine, w.admin, filename="3w-2025.xlsx", data=data, result=res,
                                      boundary_version="pak-1", round_name="2026 H1")
    assert [o.status for o in again] == ["duplicate"] * 3
    bad = submissions.import_consolidated(w.engine, w.admin, filename="bad.xlsx", data=b"b", result=result(
        activity(1), errors=1), boundary_version=None, round_name="2026 H1")
    assert [o.status for o in bad] == ["rejected"] and "Nothing was stored" in bad[0].message


def test_reference_lists_round_trip(w):
    assert [o["name"] for o in registry.org_directory(w.engine)] == [ORG_A, ORG_B]
    bravo = registry.org_directory(w.engine)[1]
    assert {k: bravo[k] for k in ("name", "acronym", "type", "aliases", "iati_id")} == {
        "name": ORG_B, "acronym": "BRA", "type": "INGO", "aliases": ["Bravo"], "iati_id": None}
    with pytest.raises(db.StoreError, match="already exists"):
        registry.add_org(w.engine, w.admin, "alpha relief")
    registry.register_boundary_set(w.engine, w.admin, {"version": "v1"})
    registry.register_boundary_set(w.engine, w.admin, {"version": "v2"})
    assert registry.active_boundary_version(w.engine) == "v2"
    assert [b["active"] for b in registry.list_boundary_sets(w.engine)] == [False, True]
    registry.learn_alias(w.engine, w.admin, "DG  Khan", "PK6", "PK607")
    registry.learn_alias(w.engine, w.admin, "dg khan", "PK6", "PK608")  # same alias, corrected
    assert registry.learned_aliases(w.engine) == [{"alias": "dg khan", "adm1_pcode": "PK6", "adm2_pcode": "PK608"}]
    db.set_setting(w.engine, w.admin, "demo", "1")
    assert db.get_setting(w.engine, "demo") == "1" and db.public_view_enabled(w.engine)


def test_two_processes_migrating_at_once_both_succeed(db_url):
    code = "import sys; from mapping.store import db, registry; e = db.connect(sys.argv[1]); print(registry.list_rounds(e))"
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    assert [o[0].strip() for o in outs] == ["[]", "[]"]
    with db.connect(db_url).connect() as conn:
        # the newest revision of the single chain (revision numbers land out of order, so ask Alembic)
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == db._head()


# ------------------------------------------------------------------ commands

def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_commands_manage_orgs_users_rounds_history_and_rollback(db_url, monkeypatch, capsys):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    assert _cli(capsys, "orgs", "add", ORG_A, "--acronym", "ALR", "--type", "National NGO")[0] == 0
    code, _, err = _cli(capsys, "orgs", "add", ORG_A)
    assert code == 2 and err == "The organisation 'Alpha Relief' already exists.\n"
    assert _cli(capsys, "rounds", "add", "2026 H1", "--start", "2026-01-01", "--end", "2026-06-30")[0] == 0
    code, _, err = _cli(capsys, "rounds", "add", "Bad", "--start", "2026-13-01", "--end", "2026-06-30")
    assert code == 2 and "Start date '2026-13-01' is not a date; write it as YYYY-MM-DD." in err
    code, out, _ = _cli(capsys, "users", "add", "--email", "Focal@Alpha.example", "--role", "focal_point",
                        "--org", "ALR")
    assert code == 0 and "focal@alpha.example (focal_point, ALR)" in out
    one_time = re.search(r"One-time password: (\S+)", out).group(1)
    engine = db.connect(db_url)
    assert auth.authenticate(engine, "focal@alpha.example", one_time).org_name == ORG_A
    assert _cli(capsys, "users", "add", "--email", "boss@example.org", "--role", "admin", "--password",
                "boss-pass-1")[0] == 0
    code, _, err = _cli(capsys, "users", "add", "--email", "x@example.org", "--role", "focal_point")
    assert code == 2 and err == "A focal point belongs to an organisation: choose the organisation. Give it with --org NAME.\n"

    focal = auth.user_for_email(engine, "focal@alpha.example")
    data = xlsx_bytes([activity(1)])
    first = submissions.submit(engine, focal, org=ORG_A, filename="a1.xlsx", data=data, result=result(activity(1)),
                         boundary_version=None, round_name="2026 H1")
    second = submissions.submit(engine, focal, org=ORG_A, filename="a2.xlsx", data=b"v2", result=result(activity(2)),
                          boundary_version=None, round_name="2026 H1")
    code, out, _ = _cli(capsys, "history", "--org", "ALR", "--json")
    items = json.loads(out)
    assert code == 0 and [(i["id"], i["status"], i["user"], i["rows"], i["round"]) for i in items] == [
        (second.submission_id, "accepted", "focal@alpha.example", 1, "2026 H1"),
        (first.submission_id, "superseded", "focal@alpha.example", 1, "2026 H1")]
    assert items[1]["sha256"] == hashlib.sha256(data).hexdigest()

    code, _, err = _cli(capsys, "rollback", str(second.submission_id), "--user", "focal@alpha.example")
    assert code == 2 and "Only an admin can roll back a submission" in err
    code, _, err = _cli(capsys, "rollback", "1", "--user", "nobody@example.org")
    assert code == 2 and "No active account for nobody@example.org" in err
    code, out, _ = _cli(capsys, "rollback", str(second.submission_id), "--user", "boss@example.org")
    assert code == 0 and out == (f"Submission #{second.submission_id} rolled back; submission "
                                 f"#{first.submission_id} is current again.\n")
    code, out, _ = _cli(capsys, "rounds", "lock", "2026 H1")
    assert code == 0 and "locked" in out
    code, out, _ = _cli(capsys, "rounds", "list", "--json")
    assert [(r["name"], r["locked"], r["orgs_reported"]) for r in json.loads(out)] == [("2026 H1", True, 1)]
    code, out, _ = _cli(capsys, "audit", "--json")
    actions = [e["action"] for e in json.loads(out)]
    assert actions[:4] == ["round.lock", "submission.rollback", "submission.store", "submission.store"]
    code, out, _ = _cli(capsys, "orgs", "list")
    assert code == 0 and "Alpha Relief" in out and "ALR" in out


def test_submit_command_uses_the_workflow_and_reports_outcomes(db_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    w = world(db_url)
    path = tmp_path / "alpha.xlsx"
    path.write_bytes(xlsx_bytes([activity(1)]))
    calls = []

    from mapping import workflow

    def submit_file(engine, actor, data, filename, *, org, round_name=None, consolidated=False, **kw):
        calls.append((actor.email, filename, org, round_name, data == path.read_bytes()))
        res = result(activity(1), errors=1 if "bad" in filename else 0)
        return workflow.SubmitReport(res, [submissions.submit(engine, actor, org=org, filename=filename, data=data,
                                                              result=res, boundary_version=None,
                                                              round_name=round_name)])

    monkeypatch.setattr(workflow, "submit_file", submit_file)  # the store's side of the command, without ingest
    code, out, _ = _cli(capsys, "submit", str(path), "--org", "ALR", "--user", "focal@alpha.example",
                        "--round", "2026 H1")
    assert code == 0 and out.startswith("alpha.xlsx stored for Alpha Relief in round 2026 H1: 1 activities")
    assert calls == [("focal@alpha.example", "alpha.xlsx", "ALR", "2026 H1", True)]
    code, out, _ = _cli(capsys, "submit", str(path), "--org", "ALR", "--user", "focal@alpha.example",
                        "--round", "2026 H1")
    assert code == 0 and "already received on" in out
    code, _, err = _cli(capsys, "submit", str(path), "--org", ORG_B, "--user", "focal@alpha.example")
    assert code == 2 and "cannot submit a return for Bravo Aid" in err
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"broken")
    code, _, err = _cli(capsys, "submit", str(bad), "--org", "ALR", "--user", "focal@alpha.example",
                        "--round", "2026 H1")
    assert code == 1 and "1 error(s) must be fixed first" in err
    assert "row 3, column District (G): District 'Nowhere' is not in Punjab. Did you mean Narowal (PK628)?" in err
    code, _, err = _cli(capsys, "submit", str(tmp_path / "missing.xlsx"), "--org", "ALR", "--user",
                        "focal@alpha.example")
    assert code == 2 and "Cannot read" in err
    assert len(submissions.history(w.engine, w.admin, ORG_A)) == 2


def test_migrations_build_exactly_the_tables_the_models_declare(db_url):
    """A change to mapping/models.py without a new Alembic revision fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = db.connect(db_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), m.metadata) == []
        tables = set(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table'" if engine.dialect.name == "sqlite" else
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert tables >= {"organisations", "users", "rounds", "boundary_sets", "submissions", "activities",
                      "validation_issues", "learned_aliases", "audit_log", "settings", "alembic_version"}
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_default_database_is_a_sqlite_file_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("STOCKTAKE_DATABASE_URL")
    monkeypatch.setenv("STOCKTAKE_DATA_DIR", str(tmp_path / "fresh" / "data"))
    engine = db.connect()
    registry.add_org(engine, db.CLI_ADMIN, "Alpha Relief")
    assert (tmp_path / "fresh" / "data" / "stocktake.db").exists()
    assert db.connect() is engine and [o["name"] for o in registry.list_orgs(engine)] == ["Alpha Relief"]


def test_submit_command_end_to_end_with_real_boundaries(db_url, shared_boundaries, monkeypatch, capsys, tmp_path):
    from mapping import workflow

    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(shared_boundaries))
    monkeypatch.setenv("STOCKTAKE_ADMIN_EMAIL", "admin@example.org")
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "admin-pass-1")
    info = workflow.setup(url=db_url)
    assert _cli(capsys, "orgs", "add", "Indus Relief Partners", "--acronym", "IRP")[0] == 0
    assert _cli(capsys, "users", "add", "--email", "f@irp.example", "--role", "focal_point", "--org", "IRP",
                "--password", "focal-pass-1")[0] == 0
    good = {"org_name": "IRP", "sector": "Health", "activity": "Mobile clinics", "adm1_name": "Punjab",
            "adm2_name": "D.G Khan", "status": "ongoing", "start_date": "01/02/2025", "targeted": "12,500"}
    bad = good | {"adm1_name": "Sindh", "adm2_name": "Atlantis"}
    (tmp_path / "bad.xlsx").write_bytes(xlsx_bytes([good, bad]))
    (tmp_path / "good.xlsx").write_bytes(xlsx_bytes([good]))
    code, _, err = _cli(capsys, "submit", str(tmp_path / "bad.xlsx"), "--org", "IRP", "--user", "f@irp.example",
                        "--reject-whole")  # the uploader's choice; by default the Atlantis row would wait for review
    assert code == 1 and "bad.xlsx was not stored: 1 error(s)" in err and "row 4" in err and "Atlantis" in err
    code, out, _ = _cli(capsys, "submit", str(tmp_path / "good.xlsx"), "--org", "IRP", "--user", "f@irp.example")
    assert code == 0 and out.startswith(f"good.xlsx stored for Indus Relief Partners in round {info['round']}: 1 ")
    engine = db.connect(db_url)
    acts = picture.current_activities(engine, auth.user_for_email(engine, "f@irp.example"))
    assert (list(acts["adm2_pcode"]), list(acts["targeted"])) == (["PK607"], [12500.0])
    code, out, _ = _cli(capsys, "history", "--org", "IRP", "--json")
    assert [(h["status"], h["filename"]) for h in json.loads(out)] == [("accepted", "good.xlsx"),
                                                                       ("rejected", "bad.xlsx")]
    assert json.loads(out)[0]["boundary_version"] == info["boundaries"]


# ------------------------------------------------------------------ review queue of unmatched place names

def _units_provinces() -> dict[str, str]:
    from mapping.geo import boundaries

    u = boundaries.units(boundaries.load_set())
    return {**dict(zip(u["adm1_name"].str.lower(), u["adm1_pcode"], strict=False)),
            **{c.lower(): c for c in u["adm1_pcode"]}}


def test_review_queue_lists_unmatched_places_with_their_province_until_learned(db_url, shared_boundaries,
                                                                               monkeypatch):
    from mapping import workflow

    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(shared_boundaries))
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "admin-pass-1")
    info = workflow.setup(url=db_url)
    engine, op = db.connect(db_url), db.CLI_ADMIN
    registry.add_org(engine, op, "Indus Relief Partners", acronym="IRP")
    registry.add_org(engine, op, "Khyber Care Trust", acronym="KCT")
    good = {"sector": "Health", "activity": "Mobile clinics", "adm1_name": "Punjab", "adm2_name": "D.G Khan",
            "status": "ongoing"}
    irp = [good, good | {"adm1_name": "Sindh", "adm2_name": "Atlantis"},
           good | {"adm1_name": "Sindh", "adm2_name": " atlantis "}, good | {"adm2_name": "Atlantis"},
           good | {"adm1_name": None, "adm2_name": "Narnia"}]
    kct = [good | {"adm1_name": "Sindh", "adm2_name": "ATLANTIS"}]
    workflow.submit_file(engine, op, xlsx_bytes([r | {"org_name": "IRP"} for r in irp]), "irp.xlsx", org="IRP",
                         reject_whole=True)
    out = workflow.submit_file(engine, op, xlsx_bytes([r | {"org_name": "KCT"} for r in kct]), "kct.xlsx",
                               org="KCT", reject_whole=True)
    assert out.status == "rejected"
    provinces = _units_provinces()
    queue = registry.unmatched_locations(engine, op, provinces=provinces)
    assert [(q["province"], q["district"], q["count"], q["orgs"]) for q in queue] == [
        ("Sindh", "ATLANTIS", 3, ["Indus Relief Partners", "Khyber Care Trust"]),
        ("Punjab", "Atlantis", 1, ["Indus Relief Partners"]),
        (None, "Narnia", 1, ["Indus Relief Partners"])]
    assert queue[0]["latest_submission_id"] == out.outcomes[0].submission_id
    assert all(q["suggestions"] and all(isinstance(s, str) and s for s in q["suggestions"]) for q in queue)
    with pytest.raises(db.PermissionDenied, match="Only an admin can review unmatched place names"):
        registry.unmatched_locations(engine, db.Actor(None, "v@x.example", "viewer", None, None))
    # learning "Atlantis" for Sindh settles the Sindh rows only; the Punjab one still needs a decision
    registry.learn_alias(engine, op, "Atlantis", provinces["sindh"], "PK607")
    queue = registry.unmatched_locations(engine, op, provinces=provinces)
    assert [(q["province"], q["district"]) for q in queue] == [("Punjab", "Atlantis"), (None, "Narnia")]
    # and the gazetteer agrees: the same file now matches the Sindh rows
    res = workflow.validate_upload(engine, xlsx_bytes([r | {"org_name": "KCT"} for r in kct]), "kct.xlsx", org="KCT")
    assert res.ok and res.records[0]["adm2_pcode"] == "PK607" and info["round"]
    registry.learn_alias(engine, op, "Narnia", None, "PK101")
    assert [q["district"] for q in registry.unmatched_locations(engine, op, provinces=provinces)] == ["Atlantis"]
