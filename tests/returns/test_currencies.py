"""What a currency symbol written with an amount stands for, in the deployment's country only."""

from __future__ import annotations

import pytest

from mapping.errors import StocktakeError
from mapping.returns.currencies import load_currencies, symbols_for
from mapping.returns.normalise import field_for_header, read_number


def test_a_symbol_is_the_currency_of_the_country_it_is_written_in():
    assert read_number("5 000 FCFA", symbols_for("MLI"))[:2] == (5000, "XOF")  # West African franc
    assert read_number("5 000 FCFA", symbols_for("TCD"))[:2] == (5000, "XAF")  # Central African franc
    assert read_number("KSh 1,500", symbols_for("KE"))[:2] == (1500, "KES")  # a two-letter code works too
    assert read_number("Rs. 2,00,000", symbols_for("NPL"))[:2] == (200000, "NPR")
    in_pakistan = read_number("₹ 2,00,000", symbols_for("PAK"))  # India's rupee sign, in Pakistan
    assert (in_pakistan.value, in_pakistan.currency, in_pakistan.symbol, in_pakistan.could_be) == (
        200000, None, "₹", ("INR",))
    assert read_number("RSD 700")[:2] == (700, "RSD")  # a code that starts like "Rs" stays the code
    assert read_number("700 usd")[:2] == (700, "USD")


def test_a_symbol_the_countrys_own_currency_shares_with_a_donors_names_neither(tmp_path):
    table = tmp_path / "currencies.csv"
    table.write_text("# a country with its own dollar\ncurrency,symbols,countries,note\nUSD,$,*,\nLRD,$;L$,LBR,\n",
                     encoding="utf-8")
    assert symbols_for("LBR", table).read("$") == (None, ("USD", "LRD"))
    assert symbols_for("LBR", table).read("L$") == ("LRD", ())
    assert symbols_for("KEN", table).read("$") == ("USD", ())


def test_a_wrong_code_in_the_table_is_refused_with_its_line(tmp_path):
    table = tmp_path / "currencies.csv"
    table.write_text("# notes\n# more notes\ncurrency,symbols,countries,note\nUSD,$,*,\nrupee,Rs,PAK,\n", encoding="utf-8")
    with pytest.raises(StocktakeError, match=r"Line 5 of currencies.csv: 'rupee' is not a three-letter ISO 4217"):
        load_currencies(table)


def test_any_listed_code_in_a_header_leaves_the_field():
    assert [field_for_header(h)[0] for h in ("Budget (KES)", "Total budget in XOF", "Budget (PKR)")] == ["budget"] * 3
