"""Currency symbols as returns write them → ISO codes, for the deployment's country only.

"Rs 5,000" is rupees of Pakistan, India, Sri Lanka, Nepal or Mauritius: a budget read in the wrong one is off
by a factor of three or more once converted, so a symbol is read as a currency only where it names exactly one
(`data/currencies.csv`: the currencies, their symbols and the countries whose own currency each is). Elsewhere
the amount is kept and the currency left for the focal point to write, with the codes the symbol stands for.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mapping import config
from mapping.errors import StocktakeError
from mapping.geo.countries import iso3

__all__ = ["CURRENCIES", "Currency", "Symbols", "currency_codes", "load_currencies", "symbols_for"]

CURRENCIES = config.PROJECT_ROOT / "data" / "currencies.csv"
EVERYWHERE = "*"  # in the countries column: a currency partners report in whatever the country


@dataclass(frozen=True)
class Currency:
    code: str                    # ISO 4217
    symbols: tuple[str, ...]     # as written before or after an amount
    countries: frozenset[str]    # ISO 3166 alpha-3 codes whose own currency it is, or {"*"}


@dataclass(frozen=True)
class Symbols:
    """What each currency symbol means in one country's returns."""

    country: str | None
    here: dict[str, tuple[str, ...]]      # casefolded symbol -> the currencies it may be in this country
    written: dict[str, tuple[str, ...]]   # casefolded symbol -> every currency written so, anywhere
    pattern: str                          # a regex alternative matching any listed symbol, longest first

    def read(self, symbol: str) -> tuple[str | None, tuple[str, ...]]:
        """(the currency, ()) when the symbol names one here, else (None, the currencies it could be)."""
        key = symbol.casefold()
        here = self.here.get(key, ())
        if len(here) == 1:
            return here[0], ()
        return None, here or self.written.get(key, ())


@lru_cache(maxsize=4)
def load_currencies(path: Path = CURRENCIES) -> tuple[Currency, ...]:
    """The table, checked: a wrong code would make a symbol mean a currency no rate table knows."""
    lines = [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if not line.startswith("#")]
    out = []
    for (line_no, _), r in zip(lines[1:], csv.DictReader(line for _, line in lines), strict=False):
        code = (r.get("currency") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise StocktakeError(f"Line {line_no} of {path.name}: '{r.get('currency') or ''}' is not a three-letter "
                                 "ISO 4217 currency code.", hint="Write the code in the currency column, e.g. KES.")
        symbols = tuple(s.strip() for s in (r.get("symbols") or "").split(";") if s.strip())
        countries = frozenset(c for c in (iso3(x) for x in (r.get("countries") or "").split(";")) if c)
        out.append(Currency(code, symbols, countries))
    return tuple(out)


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    """Every listed code, lower-case: a header may carry one ("Budget (KES)") without it changing the field."""
    return frozenset(c.code.lower() for c in load_currencies())


@lru_cache(maxsize=64)
def symbols_for(country: str | None, path: Path = CURRENCIES) -> Symbols:
    """The symbols of the country's own currencies and of those read everywhere; None: only the latter. A
    symbol two of them share ("$" where the country has its own dollar) names neither."""
    country = iso3(country)
    here: dict[str, list[str]] = {}
    written: dict[str, list[str]] = {}
    table = load_currencies(path)
    for cur in table:
        for sym in cur.symbols:
            written.setdefault(sym.casefold(), []).append(cur.code)
            if EVERYWHERE in cur.countries or (country and country in cur.countries):
                here.setdefault(sym.casefold(), []).append(cur.code)
    every = sorted({s for c in table for s in c.symbols}, key=len, reverse=True)
    return Symbols(country, {k: tuple(dict.fromkeys(v)) for k, v in here.items()},
                   {k: tuple(dict.fromkeys(v)) for k, v in written.items()}, "|".join(map(re.escape, every)))
