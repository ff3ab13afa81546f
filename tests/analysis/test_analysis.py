"""Analysis on hand-built data where every right answer can be checked by eye (see tests/factories/activities.py).

Toy country: Alpha (PA) = Amber A1, Birch A2, Cedar A3; Beta (PB) = Delta B1, Elm B2, Fir B3.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from mapping.analysis import changes, profiles
from mapping.analysis import matrices as an
from mapping.analysis.filters import NOTHING_IN_VIEW
from mapping.analysis.headlines import headlines
from mapping.analysis.matrices import TOTAL, Filters
from mapping.errors import InvalidRequest
from tests.factories.activities import SECTORS, activity, frame, units_frame

U = units_frame()


def _cell(df: pd.DataFrame, row, col):
    return df.loc[row, col]


# ------------------------------------------------------------------------------------------------ filters
def test_filters_round_trip_through_url_params_exactly():
    f = Filters(period_start=date(2025, 1, 1), period_end=date(2025, 12, 31), round_name="2025 Q2",
                provinces=("Sindh", "PK6"), sectors=("Health",), orgs=("Save the Children, Pakistan", "100% Aid"),
                donors=("ECHO",), statuses=("ongoing", "planned"), partner_role="implementing")
    params = f.to_params()
    assert params == {"from": "2025-01-01", "to": "2025-12-31", "round": "2025 Q2", "prov": "Sindh,PK6",
                      "sec": "Health", "org": "Save the Children%2C Pakistan,100%25 Aid", "donor": "ECHO",
                      "status": "ongoing,planned", "role": "implementing"}
    assert Filters.from_params(params) == f
    assert Filters.from_params({}) == Filters()
    assert Filters().to_params() == {}


def test_filters_describe_in_plain_words():
    f = Filters(sectors=("Health",), provinces=("Sindh",), period_start="2025-01-01", period_end="2025-12-31")
    assert f.describe() == "Sector: Health; Province: Sindh; period 2025-01-01 to 2025-12-31"
    assert Filters(provinces=("Sindh", "Punjab")).describe() == "Provinces: Sindh, Punjab"
    assert Filters(period_start="2025-03-01").describe() == "period from 2025-03-01"
    assert Filters().describe() == "All activities"
    with pytest.raises(ValueError, match="starts .* after it ends"):
        Filters(period_start="2025-02-01", period_end="2025-01-01")


def test_period_rule_counts_activities_whose_dates_overlap_the_period():
    acts = frame([
        activity(activity="whole year", start_date="2025-01-01", end_date="2025-12-31"),
        activity(activity="ends on first day", start_date="2024-01-01", end_date="2025-03-01"),
        activity(activity="starts on last day, open-ended", start_date="2025-03-31", end_date=None),
        activity(activity="no dates at all", start_date=None, end_date=None),
        activity(activity="no start, ends later", start_date=None, end_date="2025-06-01"),
        activity(activity="ended before", start_date="2024-01-01", end_date="2025-02-28"),
        activity(activity="starts after", start_date="2025-04-01", end_date=None),
    ])
    kept = an.apply_filters(acts, Filters(period_start="2025-03-01", period_end="2025-03-31"))
    assert list(kept["activity"]) == ["whole year", "ends on first day", "starts on last day, open-ended",
                                      "no dates at all", "no start, ends later"]


def test_round_filter_keeps_returns_carried_forward_into_that_round():
    acts = pd.concat([frame([activity(org_name="Org A")], round_name="2026"),
                      frame([activity(org_name="Org B")], round_name="2025").assign(carried_forward=True),
                      frame([activity(org_name="Org C")], round_name="2025")], ignore_index=True)
    assert list(an.apply_filters(acts, Filters(round_name="2026"))["org_name"]) == ["Org A", "Org B"]


def test_filters_by_province_name_or_code_org_donor_and_role():
    acts = frame([
        activity(org_name="Org A", district="A1", org_funder="ECHO; FCDO"),
        activity(org_name="Org B", district="B1", org_impl="Local Partner", org_funder="FCDO Pakistan"),
        activity(org_name="Org C", scope="national"),
    ])
    assert list(an.apply_filters(acts, Filters(provinces=("beta",)))["org_name"]) == ["Org B"]
    assert list(an.apply_filters(acts, Filters(provinces=("PA",)))["org_name"]) == ["Org A"]
    assert list(an.apply_filters(acts, Filters(donors=("FCDO",)))["org_name"]) == ["Org A"]
    impl = an.apply_filters(acts, Filters(partner_role="implementing"))
    assert list(impl["partner"]) == ["Org A", "Local Partner", "Org C"]
    assert list(an.apply_filters(acts, Filters(orgs=("Local Partner",), partner_role="implementing"))["org_name"]) \
        == ["Org B"]


# ------------------------------------------------------------------------------------------------ matrices
def _mixed():
    return frame([
        activity(org_name="Org A", district="A1", targeted=100),
        activity(org_name="Org B", district="A1", targeted=300),
        activity(org_name="Org B", district="A1", targeted=50, activity="second"),
        activity(org_name="Org B", district="B2", sector="Nutrition", subsector="Infant feeding", targeted=70),
        activity(org_name="Org C", scope="province", province="PB", targeted=1000),
        activity(org_name="Org D", scope="national", sector="Social protection", subsector="Cash", targeted=10),
    ])


def test_district_by_sector_lists_every_district_with_wide_rows_apart_and_distinct_totals():
    m = an.matrix(_mixed(), U, rows="district", cols="sector", measure="partners", sectors=SECTORS)
    assert list(m.columns) == ["Health", "Nutrition", "Social protection", TOTAL]
    assert list(m.index) == [("Alpha", "Amber"), ("Alpha", "Birch"), ("Alpha", "Cedar"), ("Beta", "Delta"),
                             ("Beta", "Elm"), ("Beta", "Fir"), ("Beta", "Province-wide"), ("National", "National"),
                             (TOTAL, TOTAL)]
    assert m.loc[("Alpha", "Amber")].tolist() == [2, 0, 0, 2]
    assert m.loc[("Alpha", "Birch")].tolist() == [0, 0, 0, 0]
    assert m.loc[("Beta", "Elm")].tolist() == [0, 1, 0, 1]
    assert m.loc[("Beta", "Province-wide")].tolist() == [1, 0, 0, 1]
    assert m.loc[("National", "National")].tolist() == [0, 0, 1, 1]
    # Org B works in two cells but is one partner: totals are distinct counts, not sums of cells.
    assert m.loc[(TOTAL, TOTAL)].tolist() == [3, 1, 1, 4]
    assert "not the sum of the cells" in m.attrs["rule"]


def test_include_wide_counts_province_and_national_rows_in_every_district_they_cover():
    m = an.matrix(_mixed(), U, rows="district", cols="sector", measure="partners", sectors=SECTORS,
                  include_wide=True)
    assert ("Beta", "Province-wide") not in m.index
    assert m.loc[("Beta", "Delta")].tolist() == [1, 0, 1, 2]  # Org C province-wide + Org D national
    assert m.loc[("Beta", "Elm")].tolist() == [1, 1, 1, 3]
    assert m.loc[("Alpha", "Birch")].tolist() == [0, 0, 1, 1]
    assert m.loc[(TOTAL, TOTAL)].tolist() == [3, 1, 1, 4]
    acts_m = an.matrix(_mixed(), U, rows="district", cols="sector", measure="activities", include_wide=True,
                       sectors=SECTORS)
    assert acts_m.loc[(TOTAL, TOTAL), TOTAL] == 6  # each activity once, however many districts it covers
    assert acts_m.loc[(TOTAL, TOTAL), "Health"] == 4


def test_beneficiaries_default_to_highest_single_partner_per_district_and_sum_on_request():
    acts = _mixed()
    mx = an.matrix(acts, U, rows="district", cols="sector", measure="targeted", sectors=SECTORS)
    # Amber: Org A 100 vs Org B 300+50 -> 350 (a partner's own activities add up; partners do not).
    assert mx.loc[("Alpha", "Amber"), "Health"] == 350
    assert mx.loc[(TOTAL, TOTAL), TOTAL] == 350 + 70 + 1000 + 10
    assert "highest single partner" in mx.attrs["rule"]
    sm = an.matrix(acts, U, rows="district", cols="sector", measure="targeted", sectors=SECTORS, beneficiaries="sum")
    assert sm.loc[("Alpha", "Amber"), "Health"] == 450
    assert sm.loc[(TOTAL, TOTAL), TOTAL] == 450 + 70 + 1000 + 10
    assert "counted twice" in sm.attrs["rule"]
    assert any("highest single partner" in r for r in an.COUNTING_RULES)


def test_partner_rows_sorted_by_activity_count_then_name_and_district_columns_by_name():
    m = an.matrix(_mixed(), U, rows="partner", cols="district", measure="activities")
    assert list(m.index) == ["Org B", "Org A", "Org C", "Org D", TOTAL]
    assert list(m.columns) == ["Amber", "Birch", "Cedar", "Delta", "Elm", "Fir", "Province-wide: Beta", "National",
                               TOTAL]
    assert m.loc["Org B"].tolist() == [2, 0, 0, 0, 1, 0, 0, 0, 3]
    assert m.loc[TOTAL, TOTAL] == 6


def test_province_filter_keeps_only_its_districts_and_budget_sums():
    m = an.matrix(_mixed(), U, rows="district", cols="partner", measure="budget", filters=Filters(provinces=("PB",)))
    assert list(m.index) == [("Beta", "Delta"), ("Beta", "Elm"), ("Beta", "Fir"), ("Beta", "Province-wide"),
                             (TOTAL, TOTAL)]
    assert list(m.columns) == ["Org B", "Org C", TOTAL]
    assert m.loc[(TOTAL, TOTAL), TOTAL] == 2000.0


def test_matrix_refuses_unknown_axes_and_measures():
    with pytest.raises(ValueError, match="two different axes"):
        an.matrix(_mixed(), U, rows="district", cols="district", measure="partners")
    with pytest.raises(ValueError, match="measure must be one of"):
        an.matrix(_mixed(), U, rows="district", cols="sector", measure="money")


def test_prepared_input_gives_the_same_numbers_and_filters_do_not_leak_between_calls():
    acts = _mixed()
    prepared = an.prepare(acts, U)
    for f in (Filters(), Filters(provinces=("PA",)), Filters()):
        raw = an.matrix(acts, U, rows="partner", cols="sector", measure="targeted", filters=f)
        fast = an.matrix(prepared, U, rows="partner", cols="sector", measure="targeted", filters=f)
        pd.testing.assert_frame_equal(raw, fast)
    assert an.matrix(prepared, U, rows="partner", cols="sector", measure="activities",
                     filters=Filters(provinces=("PA",))).loc[TOTAL, TOTAL] == 3


def test_province_axis_and_implementing_role():
    acts = frame([activity(org_name="Org A", org_impl="Local NGO", district="A1"),
                  activity(org_name="Org A", district="B1"),
                  activity(org_name="Org D", scope="national", sector="Social protection")])
    m = an.matrix(acts, U, rows="partner", cols="province", measure="activities",
                  filters=Filters(partner_role="implementing"))
    assert m.to_dict("index") == {"Local NGO": {"Alpha": 1, "Beta": 0, "National": 0, TOTAL: 1},
                                  "Org A": {"Alpha": 0, "Beta": 1, "National": 0, TOTAL: 1},
                                  "Org D": {"Alpha": 0, "Beta": 0, "National": 1, TOTAL: 1},
                                  TOTAL: {"Alpha": 1, "Beta": 1, "National": 1, TOTAL: 3}}
    wide = an.matrix(acts, U, rows="sector", cols="province", measure="partners", include_wide=True,
                     sectors=SECTORS)
    assert wide.loc["Social protection"].tolist() == [1, 1, 1]  # national partner counted in each province
    assert list(wide.columns) == ["Alpha", "Beta", TOTAL]


def test_an_empty_picture_gives_zeros_and_plain_messages_not_errors():
    empty = frame([])
    m = an.matrix(empty, U, rows="district", cols="sector", measure="targeted", sectors=SECTORS)
    assert m.shape == (7, 4) and float(m.to_numpy().sum()) == 0.0
    assert len(an.gaps(empty, U, SECTORS)) == 18
    assert an.overlaps(empty).empty and an.programme_overlaps(empty).empty and changes.round_changes(empty, empty).empty
    assert an.district_summary(empty, U, sectors=SECTORS)["gap_sectors"].tolist() == [3] * 6
    assert headlines(empty, U, SECTORS) == [NOTHING_IN_VIEW]
    assert "widen them, or clear them" in NOTHING_IN_VIEW  # says what to do, not only what happened


# ------------------------------------------------------------------------------------------------ summary, gaps
def test_district_summary_has_every_district_and_agrees_with_the_matrix():
    acts = _mixed()
    s = an.district_summary(acts, U, sectors=SECTORS).set_index("adm2_pcode")
    assert list(s.index) == ["A1", "A2", "A3", "B1", "B2", "B3"]
    amber = s.loc["A1"]
    assert (amber["partners"], amber["activities"], amber["targeted"], amber["budget"]) == (2, 3, 350.0, 3000.0)
    assert amber["sectors"] == "Health" and amber["partner_names"] == "Org A; Org B"
    assert amber["gap_sectors"] == 2 and amber["gap_sector_names"] == "Nutrition; Social protection"
    assert s.loc["A2", "gap_sectors"] == 3 and s.loc["A2", "partners"] == 0
    m = an.matrix(acts, U, rows="district", cols="sector", measure="partners", sectors=SECTORS)
    assert s.loc["B2", "partners"] == m.loc[("Beta", "Elm"), TOTAL] == 1


NEED = pd.DataFrame({"adm2_pcode": ["A1", "A2", "A3", "B1", "B2", "B3"], "poverty": [10, 60, 30, 50, 20, 40]})


def test_gaps_rank_high_need_without_partner_first():
    acts = frame([activity(org_name="Org A", district="A2", sector="Nutrition"),
                  activity(org_name="Org B", district="B1", sector="Nutrition"),
                  activity(org_name="Org C", scope="province", province="PA", sector="Nutrition")])
    g = an.gaps(acts, U, ["Nutrition"], need=NEED)
    assert list(g["district"]) == ["Fir", "Cedar", "Elm", "Amber"]
    assert list(g["need"]) == [40, 30, 20, 10]
    assert list(g["need_rank"]) == [3, 4, 5, 6]
    assert list(g["need_quintile"]) == [3, 4, 5, 5]
    assert list(g["wide_partners"]) == [0, 1, 0, 1]  # Org C's province-wide work is context, never a fill
    assert g.attrs["need_label"] == "poverty"
    assert len(an.gaps(acts, U, ["Nutrition"], filters=Filters(provinces=("Alpha",)))) == 2


def test_thin_coverage_names_the_single_partner():
    acts = frame([activity(org_name="Org A", district="A1"), activity(org_name="Org B", district="A1"),
                  activity(org_name="Org C", district="B3")])
    t = an.thin_coverage(acts, U, ["Health"])
    assert t[["district", "sector", "partner"]].values.tolist() == [["Fir", "Health", "Org C"]]


def test_read_need_csv(tmp_path):
    path = tmp_path / "need.csv"
    path.write_text("pcode,Population\nA1,1200\nA2,\n", encoding="utf-8")
    need = an.read_need(path)
    assert need["adm2_pcode"].tolist() == ["A1", "A2"] and need.attrs["label"] == "Population"
    assert need["Population"].iloc[0] == 1200


# ------------------------------------------------------------------------------------------------ overlaps
def _overlapping():
    return frame([
        # Amber, primary health care: A and B overlap in June only; C starts the day after B ends.
        activity(org_name="Org A", district="A1", start_date="2025-01-01", end_date="2025-06-30", targeted=100),
        activity(org_name="Org B", district="A1", start_date="2025-06-01", end_date="2025-08-31", targeted=300),
        activity(org_name="Org C", district="A1", start_date="2025-09-01", end_date=None, targeted=50),
        # Birch: the same partner twice never makes an overlap on its own.
        activity(org_name="Org A", district="A2", start_date="2025-01-01", end_date="2025-12-31"),
        activity(org_name="Org A", district="A2", start_date="2025-03-01", end_date="2025-04-30"),
        # Elm: three partners, one with no dates (since ever, ongoing), all running in May 2025.
        activity(org_name="Org A", district="B2", subsector="Cash", start_date="2025-05-01", end_date="2025-05-31"),
        activity(org_name="Org B", district="B2", subsector="Cash", start_date=None, end_date=None),
        activity(org_name="Org C", district="B2", subsector="Cash", start_date="2025-05-31", end_date="2026-01-31"),
        # Fir: two partners, different sub-sectors: no overlap.
        activity(org_name="Org A", district="B3", subsector="Cash"),
        activity(org_name="Org B", district="B3", subsector="Primary health care"),
    ])


def test_overlaps_need_n_partners_running_on_a_same_day():
    ov = an.overlaps(_overlapping())
    assert ov[["district", "subsector", "partners", "peak_partners", "partner_names"]].values.tolist() == [
        ["Elm", "Cash", 3, 3, "Org A; Org B; Org C"],
        ["Amber", "Primary health care", 2, 2, "Org A; Org B"],
    ]
    amber = ov.set_index("district").loc["Amber"]
    assert amber["overlap_from"] == pd.Timestamp("2025-06-01") and amber["overlap_to"] == pd.Timestamp("2025-06-30")
    assert amber["targeted"] == 300  # highest single partner among the overlapping ones
    detailed = an.overlaps(_overlapping(), details=True).set_index("district")
    assert detailed.loc["Amber", "details"] == ("Org A: Mobile clinics (2025-01-01 to 2025-06-30, 100 targeted); "
                                                "Org B: Mobile clinics (2025-06-01 to 2025-08-31, 300 targeted)")
    assert detailed.loc["Elm", "details"].startswith("Org A: Mobile clinics (2025-05-01 to 2025-05-31, 100 targeted); "
                                                     "Org B: Mobile clinics (no start date to ongoing")
    three = an.overlaps(_overlapping(), min_partners=3)
    assert three["district"].tolist() == ["Elm"]
    assert three.iloc[0]["overlap_from"] == pd.Timestamp("2025-05-31")
    assert three.iloc[0]["overlap_to"] == pd.Timestamp("2025-05-31")
    assert an.overlaps(_overlapping(), min_partners=4).empty
    assert "at least 3 different partners" in three.attrs["rule"]
    with pytest.raises(ValueError, match="at least 2 partners"):
        an.overlaps(_overlapping(), min_partners=1)


def test_overlap_activities_list_who_does_what_when():
    rows = an.overlap_activities(_overlapping())
    amber = rows[rows["district"] == "Amber"]
    assert amber["partner"].tolist() == ["Org A", "Org B"]  # Org C starts after the overlap ends
    assert amber["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-01", "2025-06-01"]
    assert len(rows) == 5


def test_overlaps_take_units_and_filters_by_name_and_respect_filters():
    with pytest.raises(TypeError):  # units and filters are easy to swap by position: the signature names them
        an.overlaps(_overlapping(), U, Filters(provinces=("Beta",)))
    ov = an.overlaps(_overlapping(), units=U, filters=Filters(provinces=("Beta",)))
    assert ov["district"].tolist() == ["Elm"]
    late = an.overlaps(_overlapping(), filters=Filters(period_start="2025-10-01"))
    assert late[["district", "partner_names"]].values.tolist() == [["Elm", "Org B; Org C"]]
    assert an.overlaps(_overlapping(), filters=Filters(period_start="2026-02-01")).empty


def test_programme_overlaps_show_two_programmes_serving_the_same_group_in_common_districts():
    acts = frame([
        activity(org_name="Province SP", project="Maternal cash", beneficiary_group="Pregnant women", district=d,
                 subsector="Cash") for d in ("A1", "A2", "A3")
    ] + [
        activity(org_name="Federal Nutrition", project="Nutrition support", beneficiary_group="Pregnant women",
                 district=d, sector="Nutrition", subsector="Infant feeding") for d in ("A2", "A3", "B1")
    ])
    po = an.programme_overlaps(acts)
    assert po.values.tolist() == [["Maternal cash", "Province SP", "Nutrition support", "Federal Nutrition",
                                   "beneficiary group", "Pregnant women", 2, "Birch; Cedar"]]
    assert an.programme_overlaps(acts, min_districts=3).empty


def test_province_comparison_gives_coverage_share_per_province():
    acts = frame([activity(org_name="Org A", district="A1", project="P1"),
                  activity(org_name="Org B", district="A2", project="P2"),
                  activity(org_name="Org B", district="B1", project="P2"),
                  activity(org_name="Org C", scope="province", province="PB", project="P3")])
    pc = an.province_comparison(acts, U)
    assert pc[["province", "programmes", "partners", "districts_reached", "districts_total", "coverage",
               "province_wide_activities"]].values.tolist() == [["Alpha", 2, 2, 2, 3, 0.667, 0],
                                                                 ["Beta", 2, 2, 1, 3, 0.333, 1]]


# ------------------------------------------------------------------------------------------------ profiles, rounds
def test_district_profile_tells_who_is_there_since_when_with_which_donors():
    acts = frame([activity(org_name="Org A", district="A1", start_date="2024-03-01", org_funder="ECHO; FCDO"),
                  activity(org_name="Org B", district="A1", sector="Nutrition", start_date="2025-01-01",
                           org_funder="USAID"),
                  activity(org_name="Org C", scope="province", province="PA"),
                  activity(org_name="Org D", scope="province", province="PB")])
    p = profiles.district_profile(acts, U, "A1", sectors=SECTORS)
    assert (p["adm2_name"], p["adm1_name"], p["partners"], p["activities"]) == ("Amber", "Alpha", 2, 2)
    assert p["since"] == pd.Timestamp("2024-03-01")
    assert p["donors"] == ["ECHO", "FCDO", "USAID"]
    assert p["gap_sectors"] == ["Social protection"]
    assert [w["partner"] for w in p["wide_activities"]] == ["Org C"]
    assert [(b["partner"], b["sectors"]) for b in p["by_partner"]] == [("Org A", "Health"), ("Org B", "Nutrition")]
    with pytest.raises(InvalidRequest, match="not in the boundary set"):
        profiles.district_profile(acts, U, "ZZ9")


def test_partner_profile_shows_footprint_change_since_previous_round():
    before = frame([activity(org_name="Org A", district="A1"), activity(org_name="Org A", district="A2")])
    now = frame([activity(org_name="Org A", district="A2"), activity(org_name="Org A", district="B1",
                                                                       sector="Nutrition")], round_name="2026")
    p = profiles.partner_profile(now, "org a", previous=before)
    assert [d["adm2_name"] for d in p["districts"]] == ["Birch", "Delta"]
    assert (p["districts_added"], p["districts_dropped"]) == (["B1"], ["A1"])
    assert (p["sectors_added"], p["sectors_dropped"]) == (["Nutrition"], [])
    assert p["activities_before"] == 2


def test_round_changes_new_changed_ended_by_id_or_fallback_key():
    before = frame([activity(activity_id="X1", reached=10), activity(org_name="Org B", district="A2"),
                    activity(org_name="Org C", district="B1")])
    now = frame([activity(activity_id="X1", reached=80, district="A1", status="completed"),
                 activity(org_name="Org B", district="A2"),
                 activity(org_name="Org D", district="B2")])
    ch = changes.round_changes(before, now)
    assert ch[["change", "org_name", "district", "fields"]].values.tolist() == [
        ["new", "Org D", "Elm", ""], ["changed", "Org A", "Amber", "status, reached"], ["ended", "Org C", "Delta", ""]]


def test_coverage_changes_find_districts_that_gained_or_lost_all_partners():
    before = frame([activity(org_name="Org A", district="A1"), activity(org_name="Org B", district="A2")])
    now = frame([activity(org_name="Org A", district="A2"), activity(org_name="Org C", district="B3")])
    cc = changes.coverage_changes(before, now, U, sectors=["Health"])
    assert cc[["change", "district", "sector", "partners_before", "partners_after"]].values.tolist() == [
        ["lost", "Amber", "Health", 1, 0], ["gained", "Fir", "Health", 0, 1]]


# ------------------------------------------------------------------------------------------------ headlines
def _country():
    rows = [activity(org_name=f"Org {x}", district=d, subsector="Cash", sector="Social protection")
            for x, d in (("A", "A1"), ("B", "A1"), ("C", "A1"), ("A", "B1"), ("B", "B1"), ("C", "B1"), ("A", "B2"))]
    rows += [activity(org_name="Org D", district="A2", sector="Health"),
             activity(org_name="Org D", scope="national", sector="Nutrition", subsector="Infant feeding")]
    return frame(rows)


def test_headlines_are_plain_sentences_with_exact_numbers():
    lines = headlines(_country(), U, SECTORS, need=NEED)
    assert lines == [
        "4 partners report 9 activities in 4 of 6 districts.",
        "1 of these activities is province-wide or national.",
        "No partner works on Nutrition in 6 districts, 1 of them in the top fifth by need.",
        "In 2 districts three or more partners run cash at the same time.",
        "They target 500 people and have reached 250 (counting only the highest single partner's figure in "
        "each district).",
    ]
    one = headlines(frame([activity()]), U, SECTORS)
    assert one[0] == "1 partner reports 1 activity in 1 of 6 districts."
    assert one[2] == "No two partners run the same sub-sector in the same district at the same time."
    assert headlines(_country(), U, SECTORS, filters=Filters(orgs=("Nobody",))) == [NOTHING_IN_VIEW]


def test_headline_numbers_agree_with_the_matrices_they_summarise():
    acts = _country()
    f = Filters(provinces=("Alpha", "Beta"))
    lines = headlines(acts, U, SECTORS, filters=f)
    first = re.match(r"(\d+) partners report (\d+) activities in (\d+) of (\d+) districts\.", lines[0])
    pm = an.matrix(acts, U, rows="partner", cols="district", measure="partners", filters=f)
    am = an.matrix(acts, U, rows="partner", cols="district", measure="activities", filters=f)
    pres = an.presence(acts, U, filters=f, sectors=SECTORS)
    districts = pres.drop(index=[(TOTAL, TOTAL)]).loc[["Alpha", "Beta"]]
    districts = districts[districts.index.get_level_values(1) != "Province-wide"]
    assert int(first.group(1)) == pm.loc[TOTAL, TOTAL]
    assert int(first.group(2)) == am.loc[TOTAL, TOTAL]
    assert int(first.group(3)) == int((districts[TOTAL] > 0).sum())
    assert int(first.group(4)) == len(districts)
    assert len(lines) == 4  # the national activity is outside the provinces, so no province-wide sentence
    gap = re.match(r"No partner works on (.+) in (\d+) districts", lines[1])
    assert int(gap.group(2)) == int((districts[gap.group(1)] == 0).sum())
    ov = re.match(r"In (\d+) districts three or more partners run (.+) at the same time\.", lines[2])
    over = an.overlaps(acts, filters=f, min_partners=3)
    assert int(ov.group(1)) == over["adm2_pcode"].nunique()
    tgt = an.matrix(acts, U, rows="district", cols="sector", measure="targeted", filters=f)
    assert f"They target {tgt.loc[(TOTAL, TOTAL), TOTAL]:,.0f} people" in lines[3]


# ------------------------------------------------------------------------------------------------ command line
@pytest.fixture
def cli(monkeypatch):
    """Run `python -m mapping …` on a hand-built picture (the store and boundaries are tested in their modules)."""
    from mapping import cli as cli_mod
    from mapping.commands import analysis as cmd

    data = {"acts": _mixed()}
    monkeypatch.setattr(cmd, "_load", lambda args: (data["acts"], U))
    monkeypatch.setattr(cmd, "_sectors", lambda: SECTORS)

    def run(*argv: str) -> int:
        return cli_mod.main(list(argv))

    run.data = data
    return run


def test_cli_matrix_csv_has_row_label_columns_total_and_district_names(cli, tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert cli("matrix", "--rows", "district", "--cols", "sector", "--measure", "partners", "--out", str(out)) == 0
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert lines == ["District,Health,Nutrition,Social protection,Total", "Amber,2,0,0,2", "Birch,0,0,0,0",
                     "Cedar,0,0,0,0", "Delta,0,0,0,0", "Elm,0,1,0,1", "Fir,0,0,0,0", "Province-wide: Beta,1,0,0,1",
                     "National,0,0,1,1", "Total,3,1,1,4"]
    assert "Wrote" in capsys.readouterr().out


def test_cli_matrix_filters_xlsx_and_formula_guard(cli, tmp_path):
    from openpyxl import load_workbook

    cli.data["acts"] = frame([activity(org_name="=HYPERLINK(\"http://x\")", district="A1"),
                              activity(org_name="Org B", district="B1")])
    out = tmp_path / "m.csv"
    assert cli("matrix", "--rows", "partner", "--cols", "province", "--measure", "activities", "--province", "PA",
               "--out", str(out)) == 0
    assert out.read_bytes().decode("utf-8-sig").splitlines() == [
        "Partner,Alpha,Total", '"\'=HYPERLINK(""http://x"")",1,1', "Total,1,1"]
    xlsx = tmp_path / "m.xlsx"
    assert cli("matrix", "--rows", "partner", "--cols", "province", "--measure", "activities",
               "--out", str(xlsx)) == 0
    values = [c for row in load_workbook(xlsx).active.iter_rows(values_only=True) for c in row if c is not None]
    assert "Org B" in values and "Total" in values


def test_cli_refuses_bad_output_and_explains_unreadable_data(cli, tmp_path, capsys, monkeypatch):
    assert cli("matrix", "--rows", "partner", "--cols", "sector", "--out", str(tmp_path / "m.pdf")) == 1
    assert "--out must end in .csv or .xlsx" in capsys.readouterr().err
    assert cli("gaps", "--from", "2025-02-01", "--to", "2025-01-01") == 1
    assert "after it ends" in capsys.readouterr().err
    from mapping.commands import analysis as cmd
    from mapping.store.db import StoreError

    def unreachable(args):
        raise StoreError("Cannot open the database x (connection refused).", hint="Check STOCKTAKE_DATABASE_URL.")

    monkeypatch.setattr(cmd, "_load", unreachable)
    assert cli("summary") == 2
    assert capsys.readouterr().err == "Cannot open the database x (connection refused). Check STOCKTAKE_DATABASE_URL.\n"

    def defect(args):
        raise KeyError("row 7: Jane Doe, +92 300 1234567")  # a bug's text may quote personal data

    monkeypatch.setattr(cmd, "_load", defect)
    assert cli("summary") == 1
    err = capsys.readouterr().err
    assert err.startswith("Internal error in Stocktake (KeyError at test_analysis.py:") and "Jane" not in err


def test_cli_gaps_overlaps_summary_and_profile(cli, tmp_path, capsys):
    import json

    cli.data["acts"] = _overlapping()
    need = tmp_path / "need.csv"
    NEED.to_csv(need, index=False)
    assert cli("gaps", "--sector", "Nutrition", "--need", str(need), "--json") == 0
    cells = json.loads(capsys.readouterr().out)["cells"]
    assert [c["district"] for c in cells] == ["Birch", "Delta", "Fir", "Cedar", "Elm", "Amber"]
    assert cells[0]["need_rank"] == 1
    assert cli("overlaps", "--min-partners", "3") == 0
    out = capsys.readouterr().out
    assert "1 overlap (3+ partners at once)" in out and "Beta / Elm: Cash — 3 partners: Org A; Org B; Org C" in out
    assert cli("overlaps", "--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["cells"]) == 2 and len(payload["activities"]) == 5
    assert cli("summary") == 0
    assert "3 partners report 10 activities in 4 of 6 districts." in capsys.readouterr().out
    assert cli("profile", "district", "Elm") == 0
    assert capsys.readouterr().out.startswith("Elm (Beta): 3 partners, 3 activities")
    assert cli("profile", "partner", "Nobody") == 1


def test_cli_end_to_end_on_the_real_store_and_boundaries(db_url, shared_boundaries, monkeypatch, tmp_path, capsys):
    """A real return stored in SQLite and PostgreSQL, then `matrix` and `summary` read it like a user would."""
    import io

    import openpyxl

    from mapping import cli as cli_mod
    from mapping import workflow
    from mapping.returns import schema
    from mapping.store import auth, db, registry

    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(shared_boundaries))
    monkeypatch.setenv("STOCKTAKE_ADMIN_EMAIL", "admin@example.org")
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "s3cret-admin")
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", db_url)
    workflow.setup(url=db_url)
    engine = db.connect(db_url)
    admin = auth.authenticate(engine, "admin@example.org", "s3cret-admin")
    registry.add_org(engine, admin, "Indus Relief Partners", acronym="IRP", org_type="National NGO")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Activities"
    ws.append([f.header for f in schema.FIELDS])
    for district, sector in (("Lahore", "Health"), ("Lahore", "Nutrition"), ("Multan", "Health")):
        row = {"org_name": "IRP", "sector": sector, "activity": "Clinics", "adm1_name": "Punjab",
               "adm2_name": district, "status": "ongoing", "targeted": 100}
        ws.append([row.get(f.name) for f in schema.FIELDS])
    buf = io.BytesIO()
    wb.save(buf)
    outcome = workflow.submit_file(engine, admin, buf.getvalue(), "irp.xlsx", org="Indus Relief Partners")
    assert outcome.status == "stored"
    out = tmp_path / "m.csv"
    assert cli_mod.main(["matrix", "--rows", "district", "--cols", "sector", "--province", "Punjab",
                         "--sector", "Health", "--sector", "Nutrition", "--out", str(out)]) == 0
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0] == "District,Health,Nutrition,Total"
    assert "Lahore,1,1,1" in lines and "Multan,1,0,1" in lines and lines[-1] == "Total,1,1,1"
    assert len(lines) == 2 + 36  # header, Punjab's 36 districts (zeros show the gaps), Total
    capsys.readouterr()
    assert cli_mod.main(["summary", "--province", "Punjab"]) == 0
    assert "1 partner reports 3 activities in 2 of 36 districts." in capsys.readouterr().out


def test_partner_acronyms_only_where_they_cannot_merge_two_rows():
    orgs = [{"name": "Indus Relief Partners", "acronym": "IRP"}, {"name": "Iqra Rural Project", "acronym": "IRP"},
            {"name": "Sindh Futures Fund", "acronym": "SFF"}, {"name": "KCT", "acronym": None},
            {"name": "Khyber Care Trust", "acronym": "KCT"}, {"name": "No Acronym Aid"}]
    assert an.partner_acronyms(orgs) == {"Sindh Futures Fund": "SFF"}
