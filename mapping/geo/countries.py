"""Country codes: the one ISO 3166 table every module uses to turn "PK" into "PAK".

Boundary files, alias files (`data/aliases/<ISO3>.csv`) and division files (`data/divisions/<ISO3>.csv`)
are keyed by the three-letter code, while p-codes and some sources carry the two-letter one. Keeping one
table avoids the bug of two lists that disagree about which countries exist.
"""

from __future__ import annotations

__all__ = ["ISO2_TO_ISO3", "iso2", "iso3"]

ISO2_TO_ISO3: dict[str, str] = {
    "AF": "AFG", "BD": "BGD", "CD": "COD", "ET": "ETH", "HT": "HTI", "IN": "IND", "IQ": "IRQ", "KE": "KEN",
    "LK": "LKA", "ML": "MLI", "MM": "MMR", "MZ": "MOZ", "NE": "NER", "NG": "NGA", "NP": "NPL", "PH": "PHL",
    "PK": "PAK", "SD": "SDN", "SO": "SOM", "SS": "SSD", "SY": "SYR", "TD": "TCD", "UA": "UKR", "YE": "YEM",
}


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
