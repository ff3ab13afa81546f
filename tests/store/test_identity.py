"""One organisation, one record: the starter list, merging duplicates (and undoing it), extra names."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mapping.store import db, identity, picture, registry
from mapping.store.db import PermissionDenied, StoreError, transaction
from tests.factories.store import ORG_A, activity, result, submit, world

UNICEF = "United Nations Children's Fund"


def _partners(w) -> set[str]:
    return set(picture.current_activities(w.engine, w.admin)["org_name"])


def test_starter_list_is_a_reference_that_is_recognised_but_not_expected_to_report(db_url):
    w = world(db_url)
    added = identity.load_org_list(w.engine, w.admin)
    assert added >= 50 and identity.load_org_list(w.engine, w.admin) == 0  # once; edits are kept
    assert [o["name"] for o in registry.list_orgs(w.engine)] == ["Alpha Relief", "Bravo Aid"]
    ref = {o["name"]: o for o in registry.list_orgs(w.engine, reference=True)}
    assert (ref[UNICEF]["acronym"], ref[UNICEF]["iati_id"], ref[UNICEF]["reporting"]) == ("UNICEF", "XM-DAC-41122",
                                                                                           False)
    assert "UNICEF" in {d["acronym"] for d in registry.org_directory(w.engine)}  # ingest recognises it
    oid = registry.add_org(w.engine, w.admin, UNICEF, org_type="UN agency")  # enlisting, not a second record
    assert oid == ref[UNICEF]["id"]
    assert UNICEF in [o["name"] for o in registry.list_orgs(w.engine)]
    with pytest.raises(StoreError, match="already exists"):
        registry.add_org(w.engine, w.admin, UNICEF)


def test_merge_moves_every_past_activity_and_unmerge_gives_them_back(db_url):
    w = world(db_url)
    identity.load_org_list(w.engine, w.admin)
    registry.add_org(w.engine, w.admin, "Unicef Pakistan")         # two duplicates an admin once typed in
    registry.add_org(w.engine, w.admin, "UNICEF Sindh Office", acronym="UNICEF-S")
    submit(w, w.admin, "UNICEF", result(activity(1, UNICEF), activity(2, UNICEF)))
    submit(w, w.admin, "Unicef Pakistan", result(activity(3, "Unicef Pakistan")))
    submit(w, w.admin, "UNICEF Sindh Office", result(activity(4, "UNICEF Sindh Office")))
    submit(w, w.admin, ORG_A, result(activity(5, ORG_A, org_impl="Unicef Pakistan")))
    assert _partners(w) == {UNICEF, "Unicef Pakistan", "UNICEF Sindh Office", ORG_A}

    out = identity.merge_orgs(w.engine, w.admin, "UNICEF", "Unicef Pakistan")
    assert (out.kept, out.other, out.submissions) == (UNICEF, "Unicef Pakistan", 1)
    identity.merge_orgs(w.engine, w.admin, UNICEF, "UNICEF-S")
    acts = picture.current_activities(w.engine, w.admin)
    assert set(acts["org_name"]) == {UNICEF, ORG_A} and len(acts) == 5
    assert acts.loc[acts["org_name"] == UNICEF, "org_id"].nunique() == 1
    assert acts.loc[acts["org_name"] == ORG_A, "org_impl"].tolist() == [UNICEF]  # as implementing partner too
    listed = {o["name"]: o["submissions"] for o in registry.list_orgs(w.engine)}
    assert listed[UNICEF] == 3 and "Unicef Pakistan" not in listed
    assert registry.list_rounds(w.engine)[0]["orgs_reported"] == 2
    assert "Unicef Pakistan" in next(d for d in registry.org_directory(w.engine) if d["name"] == UNICEF)["aliases"]
    with transaction(w.engine, write=False) as conn:
        assert registry.find_org(conn, "Unicef Pakistan").name == UNICEF
        assert registry.find_org(conn, "Unicef Pakistan", follow=False).name == "Unicef Pakistan"
    log = db.audit_log(w.engine, w.admin, action="org.merge")
    assert [e["detail"]["merged"] for e in log] == ["UNICEF Sindh Office", "Unicef Pakistan"]

    back = identity.unmerge_org(w.engine, w.admin, "Unicef Pakistan")
    assert "counts as itself again" in back.message
    assert _partners(w) == {UNICEF, "Unicef Pakistan", ORG_A}
    acts = picture.current_activities(w.engine, w.admin)
    assert acts.loc[acts["org_name"] == ORG_A, "org_impl"].tolist() == ["Unicef Pakistan"]
    assert db.audit_log(w.engine, w.admin, action="org.unmerge")[0]["detail"]["unmerged"] == "Unicef Pakistan"


def test_merging_refuses_what_makes_no_sense(db_url):
    w = world(db_url)
    registry.add_org(w.engine, w.admin, "Alpha Relief Pakistan")
    with pytest.raises(StoreError, match="same organisation"):
        identity.merge_orgs(w.engine, w.admin, ORG_A, "ALR")
    identity.merge_orgs(w.engine, w.admin, ORG_A, "Alpha Relief Pakistan")
    with pytest.raises(StoreError, match="already merged") as exc:
        identity.merge_orgs(w.engine, w.admin, "Bravo Aid", "Alpha Relief Pakistan")
    assert exc.value.hint == "Undo that merge first." and "orgs unmerge" in exc.value.cli_hint
    with pytest.raises(StoreError, match="is not merged"):
        identity.unmerge_org(w.engine, w.admin, ORG_A)
    with pytest.raises(PermissionDenied):
        identity.merge_orgs(w.engine, w.focal_a, ORG_A, "Bravo Aid")


def test_alias_add_teaches_a_name_unless_it_already_means_another(db_url):
    w = world(db_url)
    assert identity.add_org_alias(w.engine, w.admin, "ALR", "Alpha Relief Trust") == ORG_A
    assert "Alpha Relief Trust" in registry.list_orgs(w.engine)[0]["aliases"]
    with pytest.raises(StoreError, match="already names Bravo Aid"):
        identity.add_org_alias(w.engine, w.admin, ORG_A, "bravo")
    m = identity.match_names(w.engine, ["Alpha Relief Trust", "Bravo Aid Pakistan", "Charlie"], places=["Pakistan"])
    assert [(x.org_name, x.method, x.status) for x in m] == [
        (ORG_A, "alias", "matched"), ("Bravo Aid", "normalised", "matched"), (None, None, "unmatched")]
    # without the deployment's places "Pakistan" is part of the name written: no organisation is called that
    assert identity.match_names(w.engine, ["Bravo Aid Pakistan"])[0].status != "matched"


def test_orgs_commands_merge_unmerge_alias_match_and_load(tmp_path, monkeypatch, capsys):
    from mapping.cli import main

    url = f"sqlite:///{tmp_path / 'o.db'}"
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", url)
    assert main(["orgs", "load"]) == 0
    assert "organisation(s) added to the reference list" in capsys.readouterr().out
    assert main(["orgs", "add", "Unicef Pakistan"]) == 0
    assert main(["orgs", "add", "Zeta Aid (fictional)", "--acronym", "ZA", "--iati", "XM-EXAMPLE-1"]) == 0
    capsys.readouterr()
    assert main(["orgs", "merge", "UNICEF", "Unicef Pakistan"]) == 0
    assert capsys.readouterr().out.startswith(f"Unicef Pakistan is now counted as {UNICEF}; 0 accepted return(s)")
    assert main(["orgs", "merge", "UNICEF", "Unicef Pakistan"]) == 2
    assert "Unicef Pakistan is already merged" in capsys.readouterr().err
    assert main(["orgs", "alias", "add", "ZA", "Zeta Relief"]) == 0
    assert capsys.readouterr().out == "'Zeta Relief' is now a name of Zeta Aid (fictional).\n"
    src = tmp_path / "names.csv"
    src.write_text("organisation,note\nUnicef Pakistan,a\nZeta Relief,b\nWorld Food Programm,c\n=cmd(),d\n",
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["orgs", "match", str(src), "--out", str(out)]) == 0
    assert "4 rows: 2 matched, 1 ambiguous, 1 unmatched" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["organisation", "note", "org_id", "org_name", "method", "score", "status", "suggestion"]
    assert [(r["org_name"], r["method"], r["status"]) for r in rows] == [
        (UNICEF, "alias", "matched"), ("Zeta Aid (fictional)", "alias", "matched"), ("", "fuzzy", "ambiguous"),
        ("", "", "unmatched")]
    assert rows[2]["suggestion"] == "Did you mean World Food Programme (WFP)?"
    assert rows[3]["organisation"] == "'=cmd()"
    assert main(["orgs", "list", "--all", "--json"]) == 0
    listed = {o["name"]: o for o in json.loads(capsys.readouterr().out)}
    assert listed["Unicef Pakistan"]["merged_into_name"] == UNICEF
    assert listed["Zeta Aid (fictional)"]["iati_id"] == "XM-EXAMPLE-1"
    assert main(["orgs", "unmerge", "Unicef Pakistan"]) == 0
    assert main(["orgs", "match", str(tmp_path / "missing.csv")]) == 2
