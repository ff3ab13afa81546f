"""Organisation names as returns write them → one organisation of the list, with no wrong guess."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pytest

from mapping.geo.gazetteer import Gazetteer
from mapping.returns.organisations import STARTER_LIST, OrgIndex, name_key, place_keys, read_org_list

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "organisations.csv"


@pytest.fixture(scope="module")
def pakistan(shared_boundaries) -> tuple[str, ...]:
    """The place names of a Pakistan deployment: the real boundary set's with the country files' (the corpus
    was collected from Pakistan's returns: "UNICEF Sindh", "WFP Quetta", "UNHCR Sub-Office Quetta")."""
    units = gpd.read_file(shared_boundaries / "pak_adm2.geojson").drop(columns="geometry")
    return Gazetteer.from_units(units, country="PAK").place_names()


def starter() -> list[dict]:
    return [o | {"id": i} for i, o in enumerate(read_org_list(STARTER_LIST.read_text(encoding="utf-8")), start=1)]


def corpus() -> list[dict]:
    with CORPUS.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def test_the_collected_variants_are_matched_without_a_wrong_organisation(pakistan):
    idx = OrgIndex(starter(), pakistan)
    rows = corpus()
    names = {o["name"] for o in starter()}
    assert len(rows) >= 200 and all(r["truth"] in names for r in rows if r["truth"])
    wrong, right, with_truth = [], 0, 0
    for r in rows:
        m = idx.match(r["organisation"])
        with_truth += bool(r["truth"])
        if m.status == "matched":
            if m.org_name == r["truth"]:
                right += 1
            else:
                wrong.append((r["organisation"], r["truth"], m.org_name, m.method))
    assert wrong == []
    assert right / with_truth >= 0.95, f"{right} of {with_truth}"


def test_each_method_in_turn(pakistan):
    idx = OrgIndex(starter(), pakistan)
    cases = {"United Nations Children's Fund": "exact", "UN Refugee Agency": "alias", "unicef": "acronym",
             "UNICEF Pakistan Country Office": "normalised", "The U.N. Children's Fund": "normalised",
             "FAO of the UN": "normalised", "International Labor Organisation": "normalised"}
    assert {t: idx.match(t).method for t in cases} == cases
    m = idx.match("UNICEF Sindh")
    assert (m.status, m.org_name, m.org_id) == ("matched", "United Nations Children's Fund", 1)


def test_a_close_spelling_is_only_a_suggestion_for_review():
    idx = OrgIndex(starter())
    m = idx.match("World Food Programm")
    assert (m.status, m.method, m.org) == ("ambiguous", "fuzzy", None)
    assert m.suggestion == "Did you mean World Food Programme (WFP)?"
    assert idx.find("World Food Programm") is None
    # an acronym one letter off is another organisation, not a slip
    assert idx.match("UNICF").status == "unmatched" and idx.match("UNICF").candidates == ()
    other = idx.match("International Medical Corps")  # not on the list; Mercy Corps is
    assert other.status != "matched"


def test_a_name_two_organisations_share_matches_neither(pakistan):
    idx = OrgIndex([{"id": 1, "name": "Indus Relief Partners", "acronym": "IRP"},
                    {"id": 2, "name": "International Rescue Programme", "acronym": "IRP"},
                    {"id": 3, "name": "Zeta Aid"}], pakistan)
    m = idx.match("IRP")
    assert (m.status, m.org) == ("ambiguous", None)
    assert [c["name"] for c in m.candidates] == ["Indus Relief Partners", "International Rescue Programme"]
    assert idx.match("Indus Relief Partners Punjab").org_name == "Indus Relief Partners"
    assert idx.match("Zeta Aid Karachi Office").org_name == "Zeta Aid"


def test_merged_names_arrive_as_aliases_of_the_one_that_counts(pakistan):
    idx = OrgIndex([{"id": 7, "name": "Zeta Aid", "aliases": ["Zeta Aid Foundation", "ZAF"]}], pakistan)
    assert idx.match("ZAF").org_id == 7 and idx.match("Zeta Aid Foundation Pakistan").org_id == 7


def test_name_key_rules():
    pakistan = place_keys(["Pakistan"])
    assert name_key("The United Nations Children's Fund - Pakistan Country Office", pakistan) == (
        "united nations childrens fund")
    assert name_key("U.N.I.C.E.F") == "unicef"
    assert name_key("International Organisation for Migration") == name_key("International Organization for Migration")
    assert name_key("Pakistan Red Crescent Society", pakistan) == "pakistan red crescent society"  # a leading one stays
    assert name_key("Save the Children") == "save the children"
