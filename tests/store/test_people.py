"""Programmes, hashed lists, consent, retention and audit on SQLite and PostgreSQL (issue 16)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mapping import workflow
from mapping.cli import main
from mapping.returns.pseudonymise import PseudonymiseError
from mapping.store import auth, db, registry
from mapping.store import people as sp
from tests.factories.people import KEY_B, random_pair, write_hashed
from tests.factories.store import ORG_A, ORG_B, fast_hashing, world

PCODES = ["PK601", "PK602", "PK603", "PK604"]
CASH, MOTHERS, OTHER = "Cash for Families (fictional)", "Mother and Child (fictional)", "School Meals (fictional)"


@pytest.fixture
def w(db_url, monkeypatch):
    fast_hashing(monkeypatch)
    w = world(db_url)
    registry.add_org(w.engine, db.CLI_ADMIN, "Charlie Care", acronym="CHC")
    auth.add_user(w.engine, db.CLI_ADMIN, email="focal@charlie.example", role="focal_point", org="Charlie Care",
                  password="charlie-pass-1")
    w.focal_c = auth.user_for_email(w.engine, "focal@charlie.example")
    sp.add_programme(w.engine, w.focal_a, CASH, owner_org=ORG_A)
    sp.add_programme(w.engine, w.admin, MOTHERS, owner_org=ORG_B)
    sp.add_programme(w.engine, w.focal_c, OTHER, owner_org="Charlie Care")
    return w


def _upload(w, actor, programme, people, tmp_path, key=None, **kw):
    path = write_hashed(tmp_path / f"{programme[:4]}.csv", people, *([key] if key else []))
    return workflow.people_upload(w.engine, actor, path.read_bytes(), path.name, programme=programme,
                                  round_name="2026 H1", **kw)


def _stored(w) -> int:
    from sqlalchemy import func, select

    from mapping.store import models

    with w.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(models.people_lists)).scalar_one()


def _pair(w, tmp_path, n_a=3000, n_b=2500, n_both=900):
    a, b = random_pair(n_a, n_b, n_both, PCODES, seed=11)
    _upload(w, w.focal_a, CASH, a, tmp_path)
    _upload(w, w.focal_b, MOTHERS, b, tmp_path)
    return a, b


def test_comparison_needs_both_consents_then_counts_exactly(w, tmp_path):
    a, b = _pair(w, tmp_path)
    with pytest.raises(db.PermissionDenied, match="missing: .*Cash.* and .*Mother"):
        workflow.people_overlap(w.engine, w.admin, CASH, MOTHERS)
    sp.set_consent(w.engine, w.focal_a, CASH, MOTHERS)
    with pytest.raises(db.PermissionDenied, match=r"missing: Mother and Child \(fictional\)\.$"):
        workflow.people_overlap(w.engine, w.focal_a, CASH, MOTHERS)
    with pytest.raises(db.PermissionDenied, match="cannot consent on an owner's behalf"):
        sp.set_consent(w.engine, w.admin, MOTHERS, CASH)
    sp.set_consent(w.engine, w.focal_b, MOTHERS, CASH)
    table = workflow.people_overlap(w.engine, w.focal_b, CASH, MOTHERS)
    da, dbb = dict(a), dict(b)
    both = set(da) & set(dbb)
    assert table.total == {"in_both": 900, "only_a": 2100, "only_b": 1600}
    assert table.round_name == "2026 H1" and table.threshold == 10
    for row in table.by_district[:-1]:
        p = row["adm2_pcode"]
        assert row["in_both"] == sum(da[n] == dbb[n] == p for n in both)
        assert row["only_a"] == sum(d == p for n, d in a if n not in dbb)
    assert table.by_district[-1]["in_both"] == sum(da[n] != dbb[n] for n in both)
    sp.set_consent(w.engine, w.focal_b, MOTHERS, CASH, given=False)
    with pytest.raises(db.PermissionDenied, match="missing: Mother"):
        workflow.people_overlap(w.engine, w.admin, CASH, MOTHERS)


def test_a_changed_key_gives_no_overlap(w, db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    a, _ = random_pair(300, 300, 300, PCODES)
    _upload(w, w.focal_a, CASH, a, tmp_path)
    _upload(w, w.focal_b, MOTHERS, a, tmp_path, key=KEY_B)  # the very same people, hashed with another key
    sp.set_consent(w.engine, w.focal_a, CASH, MOTHERS)
    sp.set_consent(w.engine, w.focal_b, MOTHERS, CASH)
    assert workflow.people_overlap(w.engine, w.admin, CASH, MOTHERS).total == \
        {"in_both": 0, "only_a": 300, "only_b": 300}
    assert main(["people", "overlap", CASH, MOTHERS]) == 0
    assert "check that both programmes hashed with the same key" in capsys.readouterr().out


def test_only_the_owners_and_admins_see_lists_and_no_one_gets_a_hash(w, tmp_path):
    _pair(w, tmp_path, 200, 200, 50)
    with pytest.raises(db.PermissionDenied, match="cannot upload beneficiary lists of Cash"):
        _upload(w, w.focal_b, CASH, [(1, "PK601")], tmp_path)
    with pytest.raises(db.PermissionDenied):
        _upload(w, w.viewer, CASH, [(1, "PK601")], tmp_path)
    for reader in (w.viewer, db.PUBLIC):
        with pytest.raises(db.PermissionDenied, match="cannot see beneficiary lists"):
            sp.uploads(w.engine, reader)
        with pytest.raises(db.PermissionDenied):
            workflow.people_overlap(w.engine, reader, CASH, MOTHERS)
    assert [r["programme"] for r in sp.uploads(w.engine, w.focal_a)] == [CASH]
    assert [r["programme"] for r in sp.uploads(w.engine, w.focal_b)] == [MOTHERS]
    assert sp.uploads(w.engine, w.focal_c) == []
    assert sorted(r["programme"] for r in sp.uploads(w.engine, w.admin)) == [CASH, MOTHERS]
    assert not any(isinstance(v, bytes | bytearray | memoryview) for r in sp.uploads(w.engine, w.admin)
                   for v in r.values())
    sp.set_consent(w.engine, w.focal_a, CASH, MOTHERS)
    sp.set_consent(w.engine, w.focal_b, MOTHERS, CASH)
    with pytest.raises(db.PermissionDenied, match="focal@charlie.example is not a focal point"):
        workflow.people_overlap(w.engine, w.focal_c, CASH, MOTHERS)
    with pytest.raises(db.PermissionDenied):
        sp.delete_lists(w.engine, w.focal_c, CASH)
    text = json.dumps(workflow.people_overlap(w.engine, w.focal_a, CASH, MOTHERS).to_json())
    hashes = (tmp_path / "Cash.csv").read_text().splitlines()[1]
    assert hashes.split(",")[0][:32] not in text and "hash" not in text
    assert _upload(w, w.admin, CASH, [(1, "PK601")], tmp_path).replaced  # an admin may upload for a programme


def test_retention_job_and_deletion_on_request_are_audited(w, tmp_path):
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=91)
    path = write_hashed(tmp_path / "old.csv", [(1, "PK601"), (2, "PK602")])
    from mapping.returns.pseudonymise import read_hashed

    sp.upload(w.engine, w.focal_a, CASH, read_hashed(path.read_bytes(), "old.csv"), filename="old.csv",
              round_name="2026 H1", now=old)
    assert sp.purge_expired(w.engine) == 1
    assert sp.purge_expired(w.engine) == 0
    outcome = _upload(w, w.focal_b, MOTHERS, [(1, "PK601")], tmp_path)
    assert (outcome.expires_at - dt.datetime.now(dt.UTC).replace(tzinfo=None)).days in (89, 90)
    assert [r["programme"] for r in sp.uploads(w.engine, w.admin)] == [MOTHERS]
    assert sp.delete_lists(w.engine, w.focal_b, MOTHERS) == 1
    assert sp.uploads(w.engine, w.admin) == []
    actions = [e["action"] for e in db.audit_log(w.engine, w.admin, limit=50) if e["action"].startswith("people.")]
    assert actions == ["people.delete", "people.upload", "people.purge", "people.upload"]
    purge = next(e for e in db.audit_log(w.engine, w.admin, action="people.purge"))
    assert purge["detail"]["reason"] == "retention ended" and purge["email"] == "system"


def test_the_retention_job_deletes_expired_lists_on_its_own_and_survives_an_unreachable_database(w, tmp_path):
    import threading

    from mapping.returns.pseudonymise import read_hashed

    _upload(w, w.focal_b, MOTHERS, [(1, "PK601")], tmp_path)  # fresh: kept
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=91)
    path = write_hashed(tmp_path / "old.csv", [(1, "PK601"), (2, "PK602")])
    sp.upload(w.engine, w.focal_a, CASH, read_hashed(path.read_bytes(), "old.csv"), filename="old.csv",
              round_name="2026 H1", now=old)
    assert _stored(w) == 2  # read straight from the table: every people operation would purge first
    stop, calls = threading.Event(), []

    def connect():  # the first turn finds the database down; the job waits for its next turn
        calls.append(1)
        if len(calls) == 1:
            raise db.DatabaseUnavailable("The database cannot be reached (test).")
        stop.set()
        return w.engine

    job = threading.Thread(target=sp.retention_job, args=(connect, stop), kwargs={"every": 0.05})
    job.start()
    job.join(timeout=30)
    assert not job.is_alive() and len(calls) == 2 and _stored(w) == 1
    assert [r["programme"] for r in sp.uploads(w.engine, w.admin)] == [MOTHERS]
    purge = db.audit_log(w.engine, w.admin, action="people.purge")
    assert [(e["email"], e["detail"]["programme"], e["detail"]["reason"]) for e in purge] == [
        ("system", CASH, "retention ended")]


def test_expired_lists_go_before_any_people_operation(w, tmp_path, monkeypatch):
    _upload(w, w.focal_a, CASH, [(1, "PK601")], tmp_path)
    monkeypatch.setenv("STOCKTAKE_PEOPLE_RETENTION_DAYS", "30")
    assert len(sp.uploads(w.engine, w.admin)) == 1  # uploaded today: within even a shorter retention
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=31)
    assert sp.purge_expired(w.engine, now=later) == 1


def test_consent_and_comparison_are_audited(w, tmp_path):
    _pair(w, tmp_path, 100, 100, 20)
    sp.set_consent(w.engine, w.focal_a, CASH, MOTHERS)
    sp.set_consent(w.engine, w.focal_b, MOTHERS, CASH)
    workflow.people_overlap(w.engine, w.focal_a, CASH, MOTHERS)
    log = db.audit_log(w.engine, w.admin, limit=10)
    assert [(e["action"], e["email"]) for e in log[:3]] == [
        ("people.compare", "focal@alpha.example"), ("people.consent", "focal@bravo.example"),
        ("people.consent", "focal@alpha.example")]
    assert log[0]["detail"]["programmes"] == [CASH, MOTHERS]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert all(abs(e["at"] - now) < dt.timedelta(minutes=5) for e in log[:3])  # and when
    pairs = sp.consents(w.engine, w.focal_c)
    assert pairs == []
    assert all(p["both"] for p in sp.consents(w.engine, w.focal_a))
    assert sp.consented_pairs(w.engine, w.focal_a) == [(CASH, MOTHERS)]
    assert sp.consented_pairs(w.engine, w.focal_c) == sp.consented_pairs(w.engine, w.viewer) == []


def test_a_raw_list_or_a_bad_file_is_refused_whole(w, tmp_path):
    raw = b"Name,CNIC,District\nAmina,90000-0000001-1,Lahore\n"
    with pytest.raises(PseudonymiseError, match="raw.csv, row 1 .*header must be exactly 'hash,adm2_pcode'"):
        workflow.people_upload(w.engine, w.focal_a, raw, "raw.csv", programme=CASH)
    bad = b"hash,adm2_pcode\n" + b"ab" * 32 + b",PK601\n" + b"zz" * 32 + b",PK601\n"
    with pytest.raises(PseudonymiseError, match="bad.csv, row 3, column hash .*0-9 and a-f"):
        workflow.people_upload(w.engine, w.focal_a, bad, "bad.csv", programme=CASH)
    dup = b"hash,adm2_pcode\n" + (b"ab" * 32 + b",PK601\n") * 2
    with pytest.raises(PseudonymiseError, match="1 people appear twice"):
        workflow.people_upload(w.engine, w.focal_a, dup, "dup.csv", programme=CASH)
    assert sp.uploads(w.engine, w.admin) == []


def test_commands(w, db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    a, b = random_pair(400, 300, 120, PCODES[:2], seed=5)
    fa, fb = write_hashed(tmp_path / "a.csv", a), write_hashed(tmp_path / "b.csv", b)
    assert main(["people", "upload", str(fa), "--programme", CASH, "--user", "focal@alpha.example"]) == 0
    assert "400 people in 2 districts stored" in capsys.readouterr().out
    assert main(["people", "upload", str(fb), "--programme", MOTHERS, "--user", "focal@bravo.example"]) == 0
    assert main(["people", "overlap", CASH, MOTHERS, "--json"]) == 2
    assert "needs both owners' consent" in capsys.readouterr().err
    for prog, other, user in ((CASH, MOTHERS, "focal@alpha.example"), (MOTHERS, CASH, "focal@bravo.example")):
        assert main(["people", "consent", "--programme", prog, "--with", other, "--user", user]) == 0
    capsys.readouterr()
    assert main(["people", "overlap", CASH, MOTHERS, "--by", "district", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["programmes"] == [CASH, MOTHERS]
    assert (out["in_both"], out["only_a"], out["only_b"]) == (120, 280, 180)
    assert [r["adm2_pcode"] for r in out["by_district"]] == ["PK601", "PK602", None]
    assert main(["people", "overlap", CASH, MOTHERS, "--user", "viewer@example.org"]) == 2
    assert "A viewer cannot compare programmes" in capsys.readouterr().err
    assert main(["people", "delete", "--programme", CASH, "--user", "focal@alpha.example"]) == 0
    assert main(["people", "purge"]) == 0
    assert "past the 90-day retention deleted" in capsys.readouterr().out
    assert main(["people", "overlap", CASH, MOTHERS]) == 2
    assert "No hashed list of Cash for Families (fictional)" in capsys.readouterr().err


def test_overlap_json_from_the_command_hides_small_cells_and_follows_the_threshold_setting(w, db_url, tmp_path,
                                                                                          monkeypatch, capsys):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    # PK601: 200 in both, 100 only in Cash, 100 only in Mothers; PK602: 4 in both, 46 only in Cash
    a = [(n, "PK601") for n in range(300)] + [(n, "PK602") for n in range(1000, 1050)]
    b = [(n, "PK601") for n in range(200)] + [(n, "PK602") for n in range(1000, 1004)] + \
        [(n, "PK601") for n in range(5000, 5100)]
    _upload(w, w.focal_a, CASH, a, tmp_path)
    _upload(w, w.focal_b, MOTHERS, b, tmp_path)
    sp.set_consent(w.engine, w.focal_a, CASH, MOTHERS)
    sp.set_consent(w.engine, w.focal_b, MOTHERS, CASH)

    def overlap(*flags):
        capsys.readouterr()
        assert main(["people", "overlap", CASH, MOTHERS, *flags, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    out = overlap()
    assert {k: out[k] for k in ("programmes", "in_both", "only_a", "only_b", "by_district")} == {
        "programmes": [CASH, MOTHERS], "in_both": 204, "only_a": 146, "only_b": 100, "by_district": []}
    rows = [(r["adm2_pcode"], r["in_both"], r["only_a"], r["only_b"]) for r in overlap("--by", "district")
            ["by_district"]]
    # 4 is "<10"; its row is hidden with it (Cash knows its 50 there), and PK601 too, or 204 - 200 gives 4 away
    assert rows == [("PK601", "suppressed", "suppressed", "suppressed"), ("PK602", "<10", "suppressed", "suppressed"),
                    (None, 0, None, None)]
    monkeypatch.setenv("STOCKTAKE_PEOPLE_MIN_CELL", "3")
    out = overlap("--by", "district")
    assert out["threshold"] == 3 and '"<3"' in out["suppression"]
    assert [(r["adm2_pcode"], r["in_both"], r["only_a"], r["only_b"]) for r in out["by_district"]] == [
        ("PK601", 200, 100, 100), ("PK602", 4, 46, 0), (None, 0, None, None)]


def test_programmes_are_named_records_added_by_their_owner_from_the_command_line(w, db_url, tmp_path, monkeypatch,
                                                                                 capsys):
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    name = "Nutrition Vouchers (fictional)"
    assert main(["programmes", "add", name, "--org", ORG_B, "--user", "focal@alpha.example"]) == 2
    assert "cannot add a programme" in capsys.readouterr().err
    assert main(["programmes", "add", name, "--org", ORG_A, "--user", "focal@alpha.example"]) == 0
    assert main(["programmes", "add", name.upper(), "--org", ORG_A]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["programmes", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"name": name, "owner": ORG_A} in listed and len(listed) == 4
    _upload(w, w.focal_a, name, [(1, "PK601"), (2, "PK602")], tmp_path)
    assert main(["people", "lists", "--user", "focal@alpha.example"]) == 0
    out = capsys.readouterr().out
    assert f"{name}, round 2026 H1: 2 people, uploaded by focal@alpha.example" in out
    assert main(["people", "lists", "--user", "focal@bravo.example"]) == 0
    assert capsys.readouterr().out.strip() == "(no hashed lists)"
