"""Country codes and names: the one table (`data/countries.csv`) every module uses to turn "PK" into "PAK".

Boundary files, alias files (`data/aliases/<ISO3>.csv`) and division files (`data/divisions/<ISO3>.csv`)
are keyed by the three-letter code, while p-codes and some sources carry the two-letter one. Keeping one
table avoids the bug of two lists that disagree about which countries exist. The table is data, like every
other fact about a country: a deployment adds its country by adding a row.

Which country a deployment serves is the active boundary set's when that names one, else the
`STOCKTAKE_COUNTRY` setting (`configured`); nothing falls back to a country the code happens to know.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from mapping import config
from mapping.errors import StocktakeError

__all__ = ["COUNTRIES", "CountryError", "ISO2_TO_ISO3", "configured", "from_pcode", "iso2", "iso3", "name",
           "resolve"]

COUNTRIES = config.PROJECT_ROOT / "data" / "countries.csv"


class CountryError(StocktakeError, ValueError):
    """A country written so that Stocktake cannot tell which one it is."""


@lru_cache(maxsize=2)
def _table(path: Path = COUNTRIES) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(iso2 → iso3, iso3 → English name, every code and name casefolded → iso3), checked on reading."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    two_to_three: dict[str, str] = {}
    names: dict[str, str] = {}
    known: dict[str, str] = {}
    for r in rows:
        three, two = (r.get("iso3") or "").strip().upper(), (r.get("iso2") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", three) or not re.fullmatch(r"[A-Z]{2}", two):
            raise CountryError(f"{path.name}: '{three}' / '{two}' are not ISO 3166 alpha-3 / alpha-2 codes.",
                               hint="Each row needs the three-letter and the two-letter code, e.g. KEN,KE.")
        two_to_three[two] = three
        names[three] = (r.get("name") or "").strip() or three
        for written in (three, two, names[three], *(r.get("other_names") or "").split(";")):
            if written.strip():
                known[_key(written)] = three
    return two_to_three, names, known


def _key(text: str) -> str:
    return " ".join(str(text).replace("’", "'").casefold().split())


ISO2_TO_ISO3: dict[str, str] = dict(_table()[0])


def iso3(code: str | None) -> str | None:
    """The three-letter code for a two- or three-letter one (unknown codes come back upper-cased)."""
    if code is None or not str(code).strip():
        return None
    code = str(code).strip().upper()
    return ISO2_TO_ISO3.get(code, code)


def iso2(code: str | None) -> str | None:
    """The two-letter code IATI and p-codes use, for a three- or two-letter one (None when unknown)."""
    if code is None or not str(code).strip():
        return None
    code = str(code).strip().upper()
    if len(code) == 2:
        return code
    return next((two for two, three in ISO2_TO_ISO3.items() if three == code), None)


def name(code: str | None) -> str | None:
    """The English name for messages ("Kenya"); an unlisted code is its own name; None for no code."""
    three = iso3(code)
    return _table()[1].get(three, three) if three else None


def resolve(text: str | None) -> str | None:
    """The ISO3 code a person meant: a listed code or name ("KE", "kenya", "DRC"), or any three letters (a
    country not in the table, e.g. GHA). None for nothing written; CountryError for anything else."""
    if text is None or not str(text).strip():
        return None
    written = str(text).strip()
    found = _table()[2].get(_key(written))
    if found:
        return found
    if re.fullmatch(r"[A-Za-z]{3}", written):
        return written.upper()
    raise CountryError(f"'{written}' is neither a three-letter ISO country code nor a country name Stocktake knows.",
                       hint="Write the country's ISO 3166 alpha-3 code, e.g. KEN for Kenya (the names Stocktake "
                            "knows are in data/countries.csv).")


def configured() -> str | None:
    """The deployment's country as set in STOCKTAKE_COUNTRY (ISO3 or name), as ISO3; None when unset."""
    try:
        return resolve(config.env("STOCKTAKE_COUNTRY"))
    except CountryError as exc:
        raise CountryError(f"STOCKTAKE_COUNTRY: {exc.message}", hint=exc.hint) from None


def from_pcode(pcode: str | None) -> str | None:
    """The country a p-code's letters name ("PK607" → PAK), as ISO3 when listed; None without letters."""
    m = re.match(r"[A-Za-z]+", str(pcode or ""))
    return iso3(m.group(0)) if m else None
