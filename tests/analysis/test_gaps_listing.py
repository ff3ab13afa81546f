"""How the Gaps page orders and pairs things (issue 20, defect 10): an order a reader can explain."""

from __future__ import annotations

import pandas as pd
import pytest

from mapping.analysis import matrices as an
from tests.factories.activities import SECTORS, activity, frame, units_frame

U = units_frame()


def test_programmes_pair_between_organisations_by_default_and_within_one_on_request():
    acts = frame([activity(org_name="Org A", project=p, beneficiary_group="Children", district="A1")
                  for p in ("Programme 1", "Programme 3")]
                 + [activity(org_name="Org B", project="School meals", beneficiary_group="Children", district="A1")])
    def pairs(po):
        return sorted(po.loc[po["shared_on"] == "beneficiary group", ["project_a", "orgs_a", "project_b", "orgs_b"]]
                      .values.tolist())

    between = an.programme_overlaps(acts)
    assert pairs(between) == [["Programme 1", "Org A", "School meals", "Org B"],
                              ["Programme 3", "Org A", "School meals", "Org B"]]
    assert between.attrs["pairs"] == "between organisations"
    within = an.programme_overlaps(acts, pairs="within")
    assert pairs(within) == [["Programme 1", "Org A", "Programme 3", "Org A"]]
    assert len(pairs(an.programme_overlaps(acts, pairs="all"))) == 3
    with pytest.raises(ValueError, match="pairs must be one of between, within, all"):
        an.programme_overlaps(acts, pairs="self")


def test_gap_districts_are_listed_by_province_without_need_and_by_need_with_it():
    acts = frame([activity(org_name="Org A", district="A3", sector="Health"),
                  activity(org_name="Org A", district="B1", sector="Health")])
    by_province = an.gap_districts(an.district_summary(acts, U, sectors=SECTORS))
    # Alpha before Beta; in each, the districts nobody works in first
    assert list(by_province["adm2_name"]) == ["Amber", "Birch", "Cedar", "Elm", "Fir", "Delta"]
    assert by_province.attrs["order"].startswith("Listed by province")
    assert by_province.loc[0, "gap_sector_names"] == "every sector (no partner at all)"
    need = pd.DataFrame({"adm2_pcode": ["A1", "A2", "A3", "B1", "B2", "B3"], "poverty": [10, 60, 30, 50, 20, 40]})
    by_need = an.gap_districts(an.district_summary(acts, U, sectors=SECTORS, need=need))
    assert list(by_need["adm2_name"]) == ["Birch", "Delta", "Fir", "Cedar", "Elm", "Amber"]
    assert list(by_need["need"]) == [60, 50, 40, 30, 20, 10]
    assert by_need.attrs["order"].startswith("Ranked by need (“poverty”), highest first")


def test_gap_districts_are_only_those_the_province_or_district_filter_covers():
    from mapping.analysis.filters import Filters

    acts = frame([activity(org_name="Org A", district="A3", sector="Health"),
                  activity(org_name="Org A", district="B1", sector="Health")])
    alpha = Filters(provinces=["Alpha"])
    listed = an.gap_districts(an.district_summary(acts, U, alpha, sectors=SECTORS), alpha)
    # Beta's districts are outside the view: they must not read as "no partner at all"
    assert list(listed["adm2_name"]) == ["Amber", "Birch", "Cedar"] and set(listed["adm1_name"]) == {"Alpha"}
    assert len(an.gaps(acts, U, sectors=SECTORS, filters=alpha)) == listed["gap_sectors"].sum()
    one = Filters(districts=["B1"])
    assert list(an.gap_districts(an.district_summary(acts, U, one, sectors=SECTORS), one)["adm2_name"]) == ["Delta"]
    everything = an.gap_districts(an.district_summary(acts, U, sectors=SECTORS), Filters())
    assert len(everything) == 6
