"""The one filter: what a user picks is what every table counts, and a shared link restores it exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from mapping.analysis.filters import Filters, apply_filters, clean_text
from mapping.errors import InvalidRequest
from tests.factories.activities import activity, frame


def test_a_link_restores_the_filter_exactly_even_with_commas_in_names():
    f = Filters(provinces=("Alpha",), orgs=("Relief, Inc.", "Org B"), sectors=("Health",),
                period_start=dt.date(2025, 1, 1), period_end="2025-06-30", partner_role="implementing")
    params = f.to_params()
    assert params["from"] == "2025-01-01" and params["to"] == "2025-06-30"
    assert Filters.from_params(params) == f
    assert Filters.from_params({}) == Filters() and Filters().is_empty


def test_the_filter_in_plain_words():
    text = Filters(round_name="2025 H1", sectors=("Health", "Nutrition"), period_start=dt.date(2025, 1, 1)).describe()
    assert "Round: 2025 H1" in text and "Health, Nutrition" in text and "2025-01-01" in text


def test_impossible_filters_are_refused_in_plain_words():
    with pytest.raises(InvalidRequest, match=r"The period starts \(2025-07-01\) after it ends \(2025-01-01\)"):
        Filters(period_start="2025-07-01", period_end="2025-01-01")
    with pytest.raises(InvalidRequest, match="partner_role must be one of reporting, implementing"):
        Filters(partner_role="donor")


def test_period_rule_missing_dates_mean_since_ever_and_ongoing():
    acts = frame([activity(activity="2024 only", start_date="2024-01-01", end_date="2024-12-31"),
                  activity(activity="no end", start_date="2024-06-01", end_date=None),
                  activity(activity="no start", start_date=None, end_date="2025-03-01"),
                  activity(activity="other sector", sector="Nutrition")])
    kept = apply_filters(acts, Filters(period_start="2025-01-01", period_end="2025-12-31", sectors=("health",)))
    assert sorted(kept["activity"].astype(str)) == ["no end", "no start"]


def test_names_match_whatever_spaces_surround_them_and_ids_keep_how_they_were_written():
    """Texts are cleaned once per distinct value: a padded name, a missing one and a number in a text column each
    come out as they would row by row (1 and 1.0 stay two IDs; a missing name is blank, not 'None')."""
    acts = frame([activity(org_name="  Relief Org ", activity_id=1), activity(org_name="Relief Org", activity_id=1.0),
                  activity(org_name=None, activity_id=None), activity(org_name="Other\t", activity_id="7 ")])
    kept = apply_filters(acts, Filters(orgs=("relief org",)))
    assert list(kept["partner"]) == ["Relief Org", "Relief Org"]
    everyone = apply_filters(acts, Filters())
    assert list(everyone["partner"]) == ["Relief Org", "Relief Org", "", "Other"]
    assert list(clean_text(acts["activity_id"])) == ["1", "1.0", "", "7"]
