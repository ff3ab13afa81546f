"""The forum's questions on a small, fully known list: coverage, the matrix, pairs, portability, headlines."""

from __future__ import annotations

import pytest

from mapping.analysis import programmes as an
from tests.factories.programmes import frame, record, units

U = units()  # XY01 Northland: XY0101-03; XY02 Southmark: XY0201-03
PLW, ELD = "Pregnant and lactating women", "Elderly"


def programmes():
    return frame(
        record("North Mothers", "North Authority", provinces=["XY01"], target_groups=[PLW],
               programme_type="Conditional cash transfers", districts=["XY0101", "XY0102"], beneficiaries=500),
        record("National Mothers", "Federal Agency", target_groups=[PLW, "Children under 2"]),  # whole country
        record("North Pension", "North Authority", provinces=["XY01"], target_groups=[ELD],
               programme_type="Social pensions"),  # every district of its province
        record("North Mothers Top-up", "North Authority", provinces=["XY01"], target_groups=[PLW],
               districts=["XY0102"]),
        record("South Pension", "South Welfare", provinces=["XY02"], target_groups=[ELD], districts=["XY0203"]),
    )


def test_coverage_rule_lists_province_and_whole_country():
    cov = an.coverage(programmes(), U).drop_duplicates(["programme", "adm2_pcode"])
    where = cov.groupby("programme")["adm2_pcode"].apply(sorted).to_dict()
    assert where["North Mothers"] == ["XY0101", "XY0102"]
    assert where["North Pension"] == ["XY0101", "XY0102", "XY0103"]
    assert where["National Mothers"] == ["XY0101", "XY0102", "XY0103", "XY0201", "XY0202", "XY0203"]


def test_programme_by_province_matrix_counts_districts_with_totals():
    m = an.programme_province_matrix(programmes(), U)
    assert m.loc["National Mothers", "Northland"] == 3 and m.loc["National Mothers", "Southmark"] == 3
    assert m.loc["North Mothers", "Southmark"] == 0 and m.loc["North Mothers", "Total"] == 2
    assert m.loc["Total", "Northland"] == 2 + 3 + 3 + 1
    assert list(m.index)[-1] == "Total"


def test_programmes_per_district_for_a_group():
    per = an.programmes_per_district(programmes(), U, group=PLW)
    assert per.to_dict() == {"XY0101": 2, "XY0102": 3, "XY0103": 1, "XY0201": 1, "XY0202": 1, "XY0203": 1}
    assert an.programmes_per_district(programmes(), U, group=ELD)["XY0202"] == 0


def test_same_group_pairs_are_between_owners_unless_asked():
    pairs = an.same_group_pairs(programmes(), U, group=PLW)
    assert [(p["programme_a"], p["programme_b"], p["shared_districts"]) for p in pairs.to_dict("records")] == [
        ("National Mothers", "North Mothers", 2), ("National Mothers", "North Mothers Top-up", 1)]
    assert pairs.iloc[0]["owner_a"] == "Federal Agency" and pairs.iloc[0]["districts"] == "Ashford, Brookvale"
    within = an.same_group_pairs(programmes(), U, group=PLW, same_owner=True)
    assert ("North Mothers", "North Mothers Top-up") in set(zip(within["programme_a"], within["programme_b"]))
    assert an.same_group_pairs(programmes(), U, group=ELD).empty  # the pensions never share a district


def test_two_programmes_sharing_two_groups_are_one_pair():
    both = [PLW, "Children under 2"]
    progs = frame(record("North Mothers", "North Authority", provinces=["XY01"], target_groups=both,
                         districts=["XY0101", "XY0102"]),
                  record("National Mothers", "Federal Agency", target_groups=both),
                  record("South Infants", "South Welfare", provinces=["XY02"], target_groups=["Children under 2"]))
    pairs = an.same_group_pairs(progs, U)
    assert [(p["programme_a"], p["programme_b"], p["target_groups"], p["shared_districts"])
            for p in pairs.to_dict("records")] == [
        ("National Mothers", "South Infants", "Children under 2", 3),
        ("National Mothers", "North Mothers", "Pregnant and lactating women, Children under 2", 2)]
    assert an.headlines(progs, U)[1].startswith("2 pairs of programmes of different owners serve the same group")
    only = an.same_group_pairs(progs, U, group=PLW)
    assert list(only["target_groups"]) == [PLW] and list(only["shared_districts"]) == [2]


def test_portability_lists_home_and_every_other_province():
    port = an.portability(programmes(), U, group=ELD, origin="XY0102")
    rows = [(r["where"], r["province"], r["programme"], r["districts_covered"]) for r in port.to_dict("records")]
    assert rows == [("Brookvale (home district)", "Northland", "North Pension", 1),
                    ("other province", "Southmark", "South Pension", 1)]
    assert port.iloc[1]["districts_in_province"] == 3
    none = an.portability(programmes(), U, group="Persons with disabilities", origin="XY0201")
    assert list(none["programme"]) == [None] and none.iloc[0]["province"] == "Northland"
    with pytest.raises(KeyError):
        an.portability(programmes(), U, group=ELD, origin="XY9999")


def test_filters_and_headlines_agree_with_the_tables():
    f = an.filter_programmes(programmes(), U, provinces=["Southmark"])
    assert sorted(f["name"]) == ["National Mothers", "South Pension"]
    assert sorted(an.filter_programmes(programmes(), U, groups=[ELD])["name"]) == ["North Pension", "South Pension"]
    assert list(an.filter_programmes(programmes(), U, types=["Social pensions"])["name"]) == ["North Pension"]
    lines = an.headlines(programmes(), U, group=PLW)
    assert lines[0] == "5 programmes of 3 owners are recorded."
    assert "2 pairs of programmes of different owners" in lines[1] and "National Mothers and North Mothers" in lines[1]
    assert lines[2] == "0 of 6 districts have no programme for pregnant and lactating women."
    tab = an.table(programmes(), U).set_index("programme")
    assert tab.loc["National Mothers", "districts"] == 6 and tab.loc["North Mothers", "beneficiaries"] == 500
    assert tab.loc["National Mothers", "provinces"] == "Whole country"
    assert tab.loc["North Mothers", "provinces"] == "Northland"


def test_programme_names_in_returns_link_exactly_or_are_suggested():
    import pandas as pd

    progs = programmes()
    progs.loc[progs["name"] == "North Pension", "aliases"] = pd.Series([["NP scheme"]], index=progs.index[
        progs["name"] == "North Pension"])
    acts = pd.DataFrame([{"org_name": "North Authority", "project": "north  MOTHERS"},
                         {"org_name": "North Authority", "project": "NP scheme"},
                         {"org_name": "Other NGO", "project": "Nort Mothers"},
                         {"org_name": "Other NGO", "project": "Something else"},
                         {"org_name": "Other NGO", "project": None}])
    links = an.link_activities(acts, progs).set_index("project")
    assert links.loc["north  MOTHERS", "programme"] == "North Mothers"
    assert links.loc["NP scheme", "programme"] == "North Pension"
    assert links.loc["Nort Mothers", "programme"] is None and links.loc["Nort Mothers", "suggestion"] == "North Mothers"
    assert links.loc["Something else", "suggestion"] is None and len(links) == 4


def test_a_name_marked_not_a_programme_leaves_the_queue_without_a_suggestion_and_comes_last():
    import pandas as pd

    progs = frame(record("North Mothers", "North Authority"))
    acts = pd.DataFrame([{"org_name": "Other NGO", "project": "Nort Mothers"},
                         {"org_name": "Other NGO", "project": "Staff  TRAINING"},
                         {"org_name": "Other NGO", "project": "Staff training"},
                         {"org_name": "Other NGO", "project": "Well repairs"},
                         {"org_name": "North Authority", "project": "North Mothers"}])
    # marks are compared as names are (case and spacing aside); a mark never unlinks a recorded programme's name
    links = an.link_activities(acts, progs, ["staff training", "NORTH MOTHERS", "Nort   mothers"])
    assert [(r["project"], r["programme"], r["suggestion"], r["not_programme"]) for r in links.to_dict("records")] == [
        ("Well repairs", None, None, False), ("North Mothers", "North Mothers", None, False),
        ("Nort Mothers", None, None, True), ("Staff  TRAINING", None, None, True), ("Staff training", None, None, True)]
    unmarked = an.link_activities(acts, progs).set_index("project")
    assert unmarked.loc["Nort Mothers", "suggestion"] == "North Mothers" and not unmarked["not_programme"].any()


def test_a_suggestion_needs_every_differing_word_close_and_the_queue_puts_them_first():
    import pandas as pd

    progs = frame(record("FSPA Social programme 2", "Federal Agency"), record("North Mothers", "North Authority"))
    acts = pd.DataFrame([{"org_name": "Other NGO", "project": "DWPO Social programme 2"},  # another owner's
                         {"org_name": "Other NGO", "project": "DWPO Social programme 2"},
                         {"org_name": "Federal Agency", "project": "FSPA Social programme 1"},  # another number
                         {"org_name": "Federal Agency", "project": "FSPA Social programe 2"},  # a misspelling
                         {"org_name": "North Authority", "project": "North Mothers"}])
    links = an.link_activities(acts, progs)
    assert [(r["project"], r["programme"], r["suggestion"]) for r in links.to_dict("records")] == [
        ("FSPA Social programe 2", None, "FSPA Social programme 2"),
        ("DWPO Social programme 2", None, None), ("FSPA Social programme 1", None, None),
        ("North Mothers", "North Mothers", None)]
