"""What issue 12 keeps in the store, on SQLite and PostgreSQL: household counts beside people, the lead agency,
confirmed vocabulary aliases, and rows queued for review that stay out of the picture until resolved."""

from __future__ import annotations

import pytest

from mapping.store import picture
from tests.factories.store import ORG_A, activity, result, submit, world


@pytest.fixture
def w(db_url):
    return world(db_url)


def test_households_and_lead_organisation_are_stored_apart_from_people(w):
    recs = [activity(1, ORG_A, targeted=500, reached=None, targeted_hh=90, reached_hh=40, org_lead="UNICEF"),
            activity(2, ORG_A, targeted=None, reached=None, targeted_hh=10)]
    assert submit(w, w.focal_a, ORG_A, result(*recs)).status == "stored"
    acts = picture.current_activities(w.engine, w.admin).sort_values("activity_id")
    assert acts["targeted"].tolist()[0] == 500 and acts["targeted"].isna().tolist() == [False, True]
    assert acts["targeted_hh"].tolist() == [90, 10] and acts["reached_hh"].fillna(-1).tolist() == [40, -1]
    assert acts["org_lead"].tolist() == ["UNICEF", None]
    assert acts["targeted"].sum() == 500  # households never add to people


def test_a_confirmed_mapping_is_kept_with_who_and_when_and_only_an_admin_makes_it(w):
    from mapping.store import db, vocabulary

    with pytest.raises(db.PermissionDenied):
        vocabulary.map_value(w.engine, w.focal_a, "sector", "Saúde", "Health")
    with pytest.raises(db.StoreError, match="'Healthcare' is not a sector on the list"):
        vocabulary.map_value(w.engine, w.admin, "sector", "Saúde", "Healthcare")
    assert vocabulary.map_value(w.engine, w.admin, "sector", " Saúde ", "health")["canonical"] == "Health"
    vocabulary.map_value(w.engine, w.admin, "status", "Em andamento", "ongoing")
    vocabulary.map_value(w.engine, w.admin, "org_name", "Alpha R.", "ALR")  # an acronym names the organisation
    vocabulary.map_value(w.engine, w.admin, "status", "Em andamento", "suspended")  # a second answer replaces the first
    listed = vocabulary.aliases(w.engine)
    assert [(a["field"], a["alias"], a["canonical"], a["by"]) for a in listed] == [
        ("org_name", "Alpha R.", "Alpha Relief", "admin@example.org"), ("sector", "Saúde", "Health", "admin@example.org"),
        ("status", "Em andamento", "suspended", "admin@example.org")]
    assert all(a["at"] is not None for a in listed)
    assert vocabulary.confirmed(w.engine) == {"org_name": {"Alpha R.": "Alpha Relief"}, "sector": {"Saúde": "Health"},
                                              "status": {"Em andamento": "suspended"}}
    log = [e for e in db.audit_log(w.engine, w.admin) if e["action"] == "vocab.map"]
    assert [e["detail"]["was"] for e in log if e["detail"]["alias"] == "Em andamento"] == ["ongoing", None]
    assert vocabulary.remove_alias(w.engine, w.admin, "sector", "SAUDE") is True
    assert vocabulary.remove_alias(w.engine, w.admin, "sector", "Saúde") is False
    assert [a["field"] for a in vocabulary.aliases(w.engine, "sector")] == []


def _real_result(rows):
    """A real return checked by ingest (the store test needs its queued rows, not a stand-in)."""
    from mapping.returns.ingest import read_return
    from tests.factories.returns import pak_gazetteer, row, template_return

    orgs = [{"name": ORG_A, "acronym": "ALR", "type": "National NGO", "aliases": []}]
    data = template_return([row(**({"org_name": "ALR", "start_date": "01/02/2026", "end_date": "30/06/2026"} | r))
                            for r in rows])
    return data, read_return(data, "alpha.xlsx", gazetteer=pak_gazetteer(), orgs=orgs, org=ORG_A)


def test_rows_with_an_unknown_district_or_date_wait_in_the_queue_and_count_once_settled(w):
    from mapping.store import review, submissions

    _, numbers = _real_result([{"adm2_name": "Lahore", "reached": "lots"}])
    assert numbers.queued == [] and len(numbers.blocking) == 1  # only the focal point can read its numbers right
    data, res = _real_result([{"adm2_name": "Lahore", "activity": "Clinics"},
                              {"adm2_name": "Newtown", "activity": "Kits"},
                              {"adm2_name": "newtown", "activity": "Wells", "end_date": "31/13/2026"},
                              {"adm2_name": "Multan", "activity": "Food", "start_date": "31/02/2026"}])
    assert (res.accepted, len(res.queued), len(res.errors), len(res.blocking)) == (1, 3, 4, 0)
    refused = submissions.submit(w.engine, w.focal_a, org=ORG_A, filename="alpha.xlsx", data=data, result=res,
                                 boundary_version="pak-test-1", round_name="2026 H1", reject_whole=True)
    assert refused.status == "rejected"
    out = submissions.submit(w.engine, w.focal_a, org=ORG_A, filename="alpha.xlsx", data=data, result=res,
                             boundary_version="pak-test-1", round_name="2026 H1")
    assert out.status == "stored" and out.queued == 3
    assert "1 activities, 0 warning(s); 3 row(s) wait in the review queue" in out.message
    assert picture.current_activities(w.engine, w.admin)["activity"].tolist() == ["Clinics"]
    with pytest.raises(Exception, match="cannot|admin"):
        review.queue(w.engine, w.focal_a)
    assert [(q["field"], q["value"], q["rows"], q["provinces"]) for q in review.queue(w.engine, w.admin)] == [
        ("adm2_name", "Newtown", 2, ["Punjab"]), ("start_date", "31/02/2026", 1, ["Punjab"])]
    settled = review.resolve(w.engine, w.admin, "adm2_name", "NEWTOWN", updates={
        "scope": "district", "adm1_name": "Punjab", "adm1_pcode": "PK6", "adm2_name": "Attock", "adm2_pcode": "PK601"})
    assert settled == 2
    acts = picture.current_activities(w.engine, w.admin)
    assert sorted(acts["activity"]) == ["Clinics", "Kits"]  # "Wells" still waits: its end date is unreadable
    assert acts.loc[acts["activity"] == "Kits", "adm2_pcode"].tolist() == ["PK601"]
    assert [(q["field"], q["value"], q["rows"]) for q in review.queue(w.engine, w.admin)] == [
        ("end_date", "31/13/2026", 1), ("start_date", "31/02/2026", 1)]
    assert review.resolve(w.engine, w.admin, "end_date", "31/13/2026", drop=True) == 1
    assert review.resolve(w.engine, w.admin, "start_date", "31/02/2026", updates={"start_date": "2026-02-28"}) == 1
    assert review.queue(w.engine, w.admin) == []
    assert sorted(picture.current_activities(w.engine, w.admin)["activity"]) == ["Clinics", "Food", "Kits"]
    with pytest.raises(Exception, match="No row waits in the review queue"):
        review.resolve(w.engine, w.admin, "adm2_name", "Newtown", updates={"adm2_pcode": "PK601"})


def test_a_consolidated_import_has_its_own_larger_size_limit(w, monkeypatch):
    from mapping.store import db, submissions

    data, res = _real_result([{"adm2_name": "Lahore", "activity": "Clinics"}])
    monkeypatch.setenv("STOCKTAKE_MAX_UPLOAD_MB", str(len(data) / 2 / 1048576))  # the file is twice a return's limit
    with pytest.raises(db.StoreError, match=r"largest return accepted is .* MB \(STOCKTAKE_MAX_UPLOAD_MB\)"):
        submissions.submit(w.engine, w.admin, org=ORG_A, filename="alpha.xlsx", data=data, result=res,
                           boundary_version=None, round_name="2026 H1")
    outcomes = submissions.import_consolidated(w.engine, w.admin, filename="national.xlsx", data=data, result=res,
                                               boundary_version=None, round_name="2026 H1")
    assert [o.status for o in outcomes] == ["stored"]
    monkeypatch.setenv("STOCKTAKE_MAX_CONSOLIDATED_MB", str(len(data) / 2 / 1048576))
    with pytest.raises(db.StoreError, match=r"largest consolidated file accepted .*STOCKTAKE_MAX_CONSOLIDATED_MB"):
        submissions.import_consolidated(w.engine, w.admin, filename="national2.xlsx", data=data, result=res,
                                        boundary_version=None, round_name="2026 H1")


def test_a_value_mapped_after_the_upload_reads_mapped_in_the_picture_and_unmapped_again_when_removed(w):
    """The secretariat often confirms 'Saúde' is Health after the returns are in: the stored rows (kept as written)
    then count as Health at once, in every matrix and export, and removing the mapping shows them as written."""
    from mapping.store import vocabulary

    data, res = _real_result([{"adm2_name": "Lahore", "activity": "Clinics", "sector": "Saúde", "subsector": None,
                               "status": "Em andamento"},
                              {"adm2_name": "Multan", "activity": "Transfers", "sector": "Social protection",
                               "subsector": "Transferências incondicionais", "status": "ongoing"}])
    assert [(e["field"], e["value"]) for e in res.offlist] == [
        ("sector", "Saúde"), ("subsector", "Transferências incondicionais"), ("status", "Em andamento")]
    assert submit(w, w.focal_a, ORG_A, res).status == "stored"
    before = picture.data_version(w.engine, w.admin)
    as_written = picture.current_activities(w.engine, w.admin).sort_values("activity")
    assert as_written[["sector", "subsector", "status"]].values.tolist() == [
        ["Saúde", None, "Em andamento"], ["Social protection", "Transferências incondicionais", "ongoing"]]

    vocabulary.map_value(w.engine, w.admin, "sector", "SAÚDE", "Health")
    vocabulary.map_value(w.engine, w.admin, "status", "em andamento", "ongoing")
    vocabulary.map_value(w.engine, w.admin, "subsector", "Transferências incondicionais",
                         "Unconditional cash transfers")
    assert picture.data_version(w.engine, w.admin) != before  # pages and exports build the picture again
    mapped = picture.current_activities(w.engine, w.admin).sort_values("activity")
    assert mapped[["sector", "subsector", "status"]].values.tolist() == [
        ["Health", None, "ongoing"], ["Social protection", "Unconditional cash transfers", "ongoing"]]

    assert vocabulary.remove_alias(w.engine, w.admin, "sector", "Saúde") is True
    again = picture.current_activities(w.engine, w.admin).sort_values("activity")
    assert again["sector"].tolist() == ["Saúde", "Social protection"]
