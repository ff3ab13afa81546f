"""Programme sheets as a secretariat keeps them: places matched, groups canonical, every bad cell named."""

from __future__ import annotations

import datetime as dt

import pytest

from mapping.errors import StocktakeError
from mapping.geo.gazetteer import Gazetteer
from mapping.returns.programmes import read_programmes
from mapping.returns.schema import load_vocabularies
from tests.factories.programmes import sheet, units

U = units()
GAZ = Gazetteer.from_units(U, country="XY")


def read(data: bytes):
    name = "programmes.csv" if not data.startswith(b"PK") else "programmes.xlsx"
    return read_programmes(data, name, units=U, gazetteer=GAZ, vocab=load_vocabularies())


def test_a_sheet_with_title_header_and_hxl_rows_becomes_records():
    data = sheet([
        {"Programme": "North Mothers", "Owner": "North Authority", "Provinces": "Northland",
         "Type": "conditional cash transfers", "Target groups": "PLW; children under two",
         "Benefit": "Cash", "Benefit amount": "2,000", "Currency": "pkr", "Frequency": "monthly",
         "Districts": "Ashford; XY0102", "Beneficiaries": 182000, "Beneficiaries as of": dt.datetime(2026, 6, 30),
         "Source of the figure": "Programme MIS", "Start year": 2022, "Other names": "NM; Mothers North",
         "Eligibility": "Registered mothers  of children under two", "Link": "https://example.org/north-mothers"},
        {"Programme": "Federal Stipend", "Owner": "Federal Agency", "Target groups": "Out-of-school children",
         "Benefit": "In-kind: school kit", "Frequency": "yearly"},
    ], title="Social protection programmes, Northland and Southmark (illustrative)")
    parsed = read(data)
    assert parsed.issues == []
    north, federal = parsed.records
    assert north.provinces == ["XY01"] and north.districts == ["XY0101", "XY0102"]
    assert north.programme_type == "Conditional cash transfers"
    assert north.target_groups == ["Pregnant and lactating women", "Children under 2"]
    assert (north.benefit_amount, north.benefit_currency, north.benefit_frequency) == (2000.0, "PKR", "monthly")
    assert north.beneficiaries == 182000 and north.beneficiaries_date == dt.date(2026, 6, 30)
    assert north.start_year == 2022 and north.aliases == ["NM", "Mothers North"]
    assert north.eligibility == "Registered mothers of children under two"
    assert north.link == "https://example.org/north-mothers"
    assert (federal.provinces, federal.districts) == ([], [])
    assert (federal.benefit, federal.benefit_amount, federal.benefit_frequency) == ("In-kind: school kit", None,
                                                                                     "yearly")


def test_every_unusable_cell_is_named_with_row_column_and_a_fix():
    parsed = read(sheet([
        {"Programme": "A", "Owner": "North Authority", "Provinces": "Atlantis", "Districts": "Nowhere",
         "Target groups": "Martians", "Type": "Space travel", "Beneficiaries": "lots"},
        {"Programme": "A", "Owner": "North Authority"},
        {"Programme": "No owner"},
    ]))
    got = {(i.row, i.column, i.value, i.severity) for i in parsed.issues}
    assert (3, "Provinces (C)", "Atlantis", "error") in got
    assert (3, "Districts (K)", "Nowhere", "error") in got
    assert (3, "Target groups (E)", "Martians", "warning") in got
    assert (3, "Type (D)", "Space travel", "warning") in got
    assert (3, "Beneficiaries (L)", "lots", "error") in got
    assert (5, "Owner (B)", None, "error") in got
    assert any(i.message == "'A' appears twice." for i in parsed.issues)
    assert all(i.suggestion for i in parsed.issues if i.severity == "error" and i.value)


def test_a_sheet_without_programme_and_owner_columns_is_refused():
    with pytest.raises(StocktakeError, match="no sheet has a 'Programme' and an 'Owner' column"):
        read(b"Name of the scheme,Run by\nNorth Mothers,North Authority\n".replace(b"Name of the scheme", b"Scheme"))


def test_a_sheet_over_the_return_size_limit_is_refused_before_it_is_read():
    data = sheet([{"Programme": "North Mothers", "Owner": "North Authority"}])
    with pytest.raises(StocktakeError, match=r"MB, over the \d+ MB limit"):
        read_programmes(data, "programmes.xlsx", units=U, gazetteer=GAZ, vocab=load_vocabularies(),
                        max_bytes=len(data) - 1)
    assert len(read_programmes(data, "programmes.xlsx", units=U, gazetteer=GAZ, vocab=load_vocabularies(),
                               max_bytes=len(data)).records) == 1
