"""Each country's identity-number format is data (data/identity_numbers.csv), read and checked before use."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapping.errors import StocktakeError
from mapping.returns.identity_numbers import id_format, load_formats

HEADER = "iso3,name,pattern,characters,length,example,min_space_note\n"
ANY_ROW = '*,identity number,"[0-9A-Z]{5,20}",digits and letters,5 to 20,AB12345,few enough to try\n'


def test_every_listed_format_accepts_its_own_example_and_names_its_number():
    formats = load_formats()
    assert {"PAK", "KEN", "BGD", "*"} <= set(formats)
    for code, fmt in formats.items():
        assert fmt.normalise(fmt.example), code
        assert fmt.problem("").startswith(f"no {fmt.name} given"), code
    assert id_format("PAK").normalise(" 35202-1234567-1 ") == "3520212345671"
    assert id_format("PK").name == "CNIC" and id_format("KEN").name == "national ID number of Kenya"
    assert [id_format("BGD").normalise(n) for n in ("1234567890", "1234567890123", "12345678901234567",
                                                    "12345678901")] == ["1234567890", "1234567890123",
                                                                        "12345678901234567", None]


def test_a_country_without_a_row_gets_the_loose_rule_marked_unchecked():
    fmt = id_format("XY")
    assert (fmt.checked, fmt.name, fmt.a_name) == (False, "identity number", "an identity number")
    assert fmt.normalise("ab-12 cd") == "AB12CD" and fmt.normalise("abç123") is None
    assert fmt.unchecked_note().startswith("No identity-number format is on file for XY (data/identity_numbers.csv)")
    assert id_format("PAK").unchecked_note() is None


@pytest.mark.parametrize(("row", "message"), [
    ("KEN,ID,\\d{8},digits,8,12345678,x\n", "the pattern '\\d{8}' may use only"),
    ("KEN,ID,[a-z]{8},letters,8,abcdefgh,x\n", "the pattern '[a-z]{8}' may use only"),
    ("KEN,ID,([0-9]{8},digits,8,12345678,x\n", "is not a regular expression"),
    ("KENYA,ID,[0-9]{8},digits,8,12345678,x\n", "is not a three-letter ISO country code"),
    ("KEN,ID,[0-9]*,digits,any,1,x\n", "that an empty value does not match"),
])
def test_a_row_the_page_would_read_differently_is_refused_with_its_line(tmp_path: Path, row, message):
    path = tmp_path / "identity_numbers.csv"
    path.write_text("# comment\n" + HEADER + ANY_ROW + row, encoding="utf-8")
    with pytest.raises(StocktakeError) as err:
        load_formats(path)
    assert err.value.message.startswith("Line 4 of identity_numbers.csv: ") and message in err.value.message


def test_the_loose_rule_must_be_there(tmp_path: Path):
    path = tmp_path / "identity_numbers.csv"
    path.write_text(HEADER + "KEN,ID,[0-9]{8},digits,8,12345678,x\n", encoding="utf-8")
    with pytest.raises(StocktakeError, match=r"has no \* row"):
        load_formats(path)
