"""Budgets in one reporting currency at the deployment's rate table (issue 20, defect 11)."""

from __future__ import annotations

import pytest

from mapping.analysis import currency
from mapping.analysis import matrices as an
from tests.factories.activities import SECTORS, activity, frame, units_frame

U = units_frame()
RATES = (b"currency,rate,reporting_currency,as_of,source\n"
         b"USD,1,USD,2026-11-01,reporting\nPKR,0.004,USD,2026-11-01,test rate\n")


@pytest.fixture
def rates(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_DATA_DIR", str(tmp_path / "data"))
    return currency.save_rates(RATES, "rates.csv")


def test_budgets_in_several_currencies_are_converted_not_added_up(rates):
    acts = frame([activity(org_name="Org A", budget=1000.0, currency="USD"),
                  activity(org_name="Org B", budget=250_000.0, currency="PKR"),
                  activity(org_name="Org C", budget=500.0, currency=None),
                  activity(org_name="Org D", budget=700.0, currency="JPY")])
    m = an.matrix(acts, U, rows="partner", cols="sector", measure="budget", sectors=SECTORS)
    assert m.loc["Org B", "Health"] == pytest.approx(1000.0)  # 250,000 PKR at 0.004
    assert m.loc["Total", "Total"] == pytest.approx(2000.0)  # the rows without a usable currency are left out
    note = currency.budget_note(acts)
    assert note.startswith("Budgets in USD at the rates of 1 Nov 2026 (PKR 1 = USD 0.004), from ")
    assert "1 row with a budget but no currency is left out." in note
    assert "Budgets in JPY are left out: the rate table has no rate for them." in note


@pytest.mark.parametrize(("text", "words"), [
    (b"currency,rate,reporting_currency,as_of\nPKR,abc,USD,2026-11-01\n",
     "r.csv, line 2, column rate: 'abc' is not a positive number."),
    (b"currency,rate,reporting_currency,as_of\nRupees,0.004,USD,2026-11-01\n",
     "r.csv, line 2, column currency: 'Rupees' is not a currency code."),
    (b"currency,rate,reporting_currency,as_of\nPKR,0.004,USD,01/11/2026\n",
     "r.csv, line 2, column as_of: '01/11/2026' is not a date."),
    (b"currency,rate,reporting_currency,as_of\nPKR,0.004,USD,2026-11-01\nEUR,300,PKR,2026-11-01\n",
     "r.csv converts to more than one currency (PKR, USD)."),
    (b"currency,rate\nPKR,0.004\n", "r.csv needs the columns currency, rate, reporting_currency, as_of, source"),
])
def test_a_wrong_rate_table_is_refused_with_line_and_column(text, words):
    with pytest.raises(currency.RatesError) as err:
        currency.read_rates(text, "r.csv")
    assert str(err.value).startswith(words) and err.value.hint


def test_rates_set_command_keeps_the_table_and_says_which_rates(rates, tmp_path, monkeypatch, capsys):
    from mapping.cli import main

    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    (tmp_path / "new.csv").write_bytes(RATES.replace(b"0.004", b"0.0035"))
    assert main(["rates", "set", str(tmp_path / "new.csv")]) == 0
    assert "2 rates saved. Budgets in USD at the rates of 1 Nov 2026 (PKR 1 = USD 0.0035)" in capsys.readouterr().out
    assert currency.load_rates().rate["PKR"] == 0.0035
    (tmp_path / "bad.csv").write_bytes(b"currency,rate\n")
    assert main(["rates", "set", str(tmp_path / "bad.csv")]) != 0
    assert "bad.csv needs the columns" in capsys.readouterr().err
    assert currency.load_rates().rate["PKR"] == 0.0035  # the refused file changed nothing
