"""Budgets in one reporting currency, at the rate table the deployment keeps.

Partners report budgets in their own currencies; adding PKR to USD gives a number that means nothing. Every
analysis converts the budget column once (in `prepare`) at `exchange_rates.csv` (the deployment's copy in the
data folder, else the project's default), so the matrices, the map, the PDF and the commands add up the same
converted figures and can say at which rates. A row without a currency, or in a currency the table lacks, is
left out of budget totals, and counted, rather than guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from mapping import config
from mapping.errors import StocktakeError

FILE = "exchange_rates.csv"
COLUMNS = ("currency", "rate", "reporting_currency", "as_of", "source")


class RatesError(StocktakeError):
    """The rate table cannot be used as written."""


@dataclass(frozen=True)
class Rates:
    reporting: str                       # the currency every budget is converted to
    rate: dict[str, float]               # one unit of the currency is worth this much of `reporting`
    as_of: dict[str, dt.date]
    source: str                          # the file's name, for the statement

    def statement(self, used: list[str] | None = None) -> str:
        """The rates behind a converted total, in words: "USD at the rates of 1 Nov 2026 (PKR 1 = USD 0.0036)"."""
        shown = [c for c in (used if used is not None else self.rate) if c in self.rate and c != self.reporting]
        dates = sorted({self.as_of[c] for c in shown} or set(self.as_of.values()))
        when = ", ".join(d.strftime("%d %b %Y").lstrip("0") for d in dates)
        pairs = "; ".join(f"{c} 1 = {self.reporting} {self.rate[c]:g}" for c in shown)
        return (f"Budgets in {self.reporting}" + (f" at the rates of {when} ({pairs})" if shown else "")
                + f", from {self.source}.")


def path() -> Path:
    """The deployment's table (data folder), else the project's default."""
    own = config.data_dir() / FILE
    return own if own.exists() else config.PROJECT_ROOT / "data" / FILE


def read_rates(data: bytes, filename: str = FILE) -> Rates:
    """Check and read a rate table; a wrong row is refused with its line, value and what to write instead."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RatesError(f"{filename} is not a UTF-8 text file.", hint="Save it as CSV (UTF-8).") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = [h.strip().lower() for h in (rows[0].keys() if rows else [])]
    missing = [c for c in COLUMNS[:4] if c not in header]
    if missing or not rows:
        raise RatesError(f"{filename} needs the columns {', '.join(COLUMNS)} and at least one row "
                         f"(missing: {', '.join(missing) or 'rows'}).",
                         hint="Example row: PKR,0.0036,USD,2026-11-01,State Bank of Pakistan")
    rate, as_of, reporting = {}, {}, set()
    for line, raw in enumerate(rows, start=2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        cur = row["currency"].upper()
        if len(cur) != 3 or not cur.isalpha():
            raise RatesError(f"{filename}, line {line}, column currency: {row['currency']!r} is not a currency "
                             "code.", hint="Write the three-letter ISO code, e.g. PKR.")
        try:
            value = float(row["rate"])
            if not value > 0 or not np.isfinite(value):
                raise ValueError
        except ValueError:
            raise RatesError(f"{filename}, line {line}, column rate: {row['rate']!r} is not a positive number.",
                             hint=f"Write what one {cur} is worth in the reporting currency, e.g. 0.0036.") from None
        try:
            day = dt.date.fromisoformat(row["as_of"])
        except ValueError:
            raise RatesError(f"{filename}, line {line}, column as_of: {row['as_of']!r} is not a date.",
                             hint="Write it as YYYY-MM-DD.") from None
        reporting.add(row["reporting_currency"].upper())
        rate[cur], as_of[cur] = value, day
    if len(reporting) != 1:
        raise RatesError(f"{filename} converts to more than one currency ({', '.join(sorted(reporting))}).",
                         hint="Give every row the same reporting_currency.")
    target = reporting.pop()
    rate.setdefault(target, 1.0)
    as_of.setdefault(target, max(as_of.values()))
    if abs(rate[target] - 1.0) > 1e-12:
        raise RatesError(f"{filename}: the reporting currency {target} must have the rate 1, not {rate[target]:g}.")
    return Rates(target, rate, as_of, filename)


@lru_cache(maxsize=4)
def _cached(where: str, mtime: float) -> Rates:
    p = Path(where)
    return read_rates(p.read_bytes(), p.name)


def load_rates() -> Rates | None:
    """The table in force, or None when there is none (budgets are then left as reported)."""
    p = path()
    if not p.exists():
        return None
    return _cached(str(p), p.stat().st_mtime)


def save_rates(data: bytes, filename: str = FILE) -> Rates:
    """Check an uploaded table and make it the deployment's (data folder); returns what was saved."""
    rates = read_rates(data, filename)
    target = config.data_dir() / FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return rates


def convert(budget: pd.Series, currency: pd.Series, rates: Rates | None) -> tuple[pd.Series, dict]:
    """(budgets in the reporting currency, what happened): rows without a usable currency become NaN."""
    if rates is None:
        return budget, {}
    cur = currency.astype(str).str.strip().str.upper().replace({"NAN": "", "NONE": ""})
    factor = cur.map(rates.rate)
    out = budget * factor
    has_budget = budget.notna() & (budget != 0)
    no_currency = int((has_budget & (cur == "")).sum())
    unknown = sorted(set(cur[has_budget & (cur != "") & factor.isna()]))
    used = sorted(set(cur[has_budget & factor.notna()]))
    return out, {"no_currency": no_currency, "unknown": unknown, "used": used}


def budget_note(acts: pd.DataFrame) -> str:
    """The sentence that goes with any converted budget total: rates, date, and what was left out."""
    rates = load_rates()
    if rates is None:
        return "Budgets are added up as reported (no rate table)."
    info = acts.attrs.get("budget_conversion")
    if info is None and "budget" in acts.columns and "currency" in acts.columns:
        raw = pd.to_numeric(acts["budget"], errors="coerce")
        info = convert(raw, acts["currency"].fillna("").astype(str), rates)[1]
    info = info or {}
    text = rates.statement(info.get("used"))
    if n := info.get("no_currency"):
        text += f" {n} row{'s' * (n != 1)} with a budget but no currency {'are' if n != 1 else 'is'} left out."
    if unknown := info.get("unknown"):
        text += f" Budgets in {', '.join(unknown)} are left out: the rate table has no rate for them."
    return text
