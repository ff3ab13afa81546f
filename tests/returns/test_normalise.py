"""Reading what people type into a return: the values a focal point writes are read as they meant them."""

from __future__ import annotations

import datetime as dt

from mapping.returns.normalise import field_for_header, parse_date, read_number


def test_dates_as_people_write_them():
    assert parse_date("03/04/2025") == (dt.date(2025, 4, 3), None)  # day first by default
    assert parse_date("03/04/2025", order="mdy") == (dt.date(2025, 3, 4), None)
    assert parse_date("2025-07-01") == (dt.date(2025, 7, 1), None)
    assert parse_date(45658) == (dt.date(2025, 1, 1), None)  # an Excel serial number
    assert parse_date(2025, end=True) == (dt.date(2025, 12, 31), None)  # a year alone ends on 31 December
    assert parse_date("") == (None, None)
    date, reason = parse_date("next spring")
    assert date is None and reason


def test_numbers_with_grouping_currency_and_lakh():
    assert read_number("12,500").value == 12500
    assert read_number("1,25,000").value == 125000  # lakh grouping
    usd = read_number("USD 3,000")
    assert (usd.value, usd.currency) == (3000, "USD")
    ambiguous = read_number("1.500")  # thousands or decimals? never guessed
    assert ambiguous.value is None and ambiguous.problem
    assert read_number(float("inf")).problem == "is not a number"


def test_headers_map_to_fields():
    assert field_for_header("District")[0] == "adm2_name"
    assert field_for_header("% reached")[0] is None  # a share is never a count
