"""Country codes and names come from one file (data/countries.csv); STOCKTAKE_COUNTRY is read through it."""

from __future__ import annotations

import pytest

from mapping.geo import countries
from mapping.returns.currencies import load_currencies


def test_a_country_is_found_by_either_code_or_by_any_of_its_names():
    written = ["KEN", "ke", "Kenya", " kenya ", "DRC", "DR Congo", "Cote d'Ivoire", "Côte d’Ivoire", "Burma", "gha"]
    assert [countries.resolve(w) for w in written] == ["KEN", "KEN", "KEN", "KEN", "COD", "COD", "CIV", "CIV", "MMR",
                                                       "GHA"]
    assert countries.resolve("") is None and countries.resolve(None) is None
    assert (countries.name("KE"), countries.name("GHA"), countries.name(None)) == ("Kenya", "GHA", None)


def test_a_name_stocktake_does_not_know_is_refused_saying_what_to_write():
    with pytest.raises(countries.CountryError) as err:
        countries.resolve("Narnia")
    assert err.value.message == "'Narnia' is neither a three-letter ISO country code nor a country name Stocktake knows."
    assert err.value.hint.startswith("Write the country's ISO 3166 alpha-3 code, e.g. KEN for Kenya")


def test_the_setting_is_read_as_a_code_and_a_bad_one_names_the_setting(monkeypatch):
    assert countries.configured() is None
    monkeypatch.setenv("STOCKTAKE_COUNTRY", "Bangladesh")
    assert countries.configured() == "BGD"
    monkeypatch.setenv("STOCKTAKE_COUNTRY", "Northland")
    with pytest.raises(countries.CountryError, match="^STOCKTAKE_COUNTRY: 'Northland' is neither"):
        countries.configured()


def test_every_country_a_currency_names_is_in_the_country_table():
    listed = set(countries.ISO2_TO_ISO3.values())
    named = {c for cur in load_currencies() for c in cur.countries if c != "*"}
    assert named - listed == set()
    assert countries.from_pcode("PK0607") == "PAK" and countries.from_pcode("XY0101") == "XY"
