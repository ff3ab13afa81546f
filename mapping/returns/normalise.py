"""Read what people type into a return: headers, dates, numbers, vocabulary words and organisation names.

Each parser returns a value *and* what went wrong, never raises, so ingest can turn the problem into an
issue with the cell's address. Parsers are pure and cheap to memoise per distinct cell value, which is
what keeps a 20,000-row return fast.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

from mapping.returns.currencies import Symbols, currency_codes, symbols_for
from mapping.returns.schema import FIELDS, NOT_DISTRICT_HEADERS, Vocabularies

EMPTY_TOKENS = frozenset({"", "n/a", "na", "n.a", "n.a.", "-", "--", "---", "—", "–", "none", "nil", "null", "nan",
                          "#n/a", "not applicable", "s/o", "nd"})
SCOPE_WORDS = {
    "district": "district", "district level": "district", "district-level": "district",
    "province": "province", "province wide": "province", "province-wide": "province", "provincewide": "province",
    "provincial": "province", "all districts": "province", "all": "province", "entire province": "province",
    "whole province": "province", "all province": "province",
    "national": "national", "nationwide": "national", "nation wide": "national", "nation-wide": "national",
    "countrywide": "national", "country wide": "national", "country-wide": "national", "federal": "national",
    "all provinces": "national", "whole country": "national", "national level": "national",
}


@lru_cache(maxsize=65536)
def fold(text: Any) -> str:
    """Case, accents and punctuation folded away: how two spellings of one header or name are compared."""
    s = unicodedata.normalize("NFKD", str(text)).casefold()
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("'", "").replace("’", "")
    s = re.sub(r"[^\w#]+|_", " ", s)  # letters of any script survive: Urdu names must not fold to nothing
    return " ".join(s.split())


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    if isinstance(value, str):
        return value.strip().casefold() in EMPTY_TOKENS
    return False


def text_of(value: Any) -> str:
    """A cell as the focal point sees it (dates as ISO, whole floats without .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


# --------------------------------------------------------------------------- headers

def parse_hxl(tag: str) -> tuple[str, frozenset[str]] | None:
    """'#org +Impl+name' -> ('org', {'impl', 'name'}); None when the cell is not an HXL hashtag."""
    s = "".join(str(tag).split()).lower()
    if not re.fullmatch(r"#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*", s):
        return None
    parts = s[1:].split("+")
    return parts[0], frozenset(parts[1:])


_HXL_FIELDS: list[tuple[str, str, frozenset[str]]] = []
for _f in FIELDS:
    for _tag in (_f.hxl, *[a for a in _f.aliases if a.startswith("#")]):
        _p = parse_hxl(_tag)
        if _p:
            _HXL_FIELDS.append((_f.name, _p[0], _p[1]))
_HXL_SYNONYMS = {"implementing": "impl", "funding": "funder", "donor": "funder", "cluster": "", "total": "",
                 "description": "", "ind": "", "num": "", "people": "", "pers": "", "individuals": "",
                 "households": "hh", "programme": "prog", "program": "prog", "reporting": ""}
# Sex and age attributes: a column carrying one is a part of a people count, never the total itself.
HXL_SEX = frozenset({"f", "m", "women", "men", "girls", "boys"})
HXL_AGE = frozenset({"children", "adults", "elderly", "infants", "i", "adolescents", "youth", "girls", "boys",
                     "women", "men"})
PEOPLE_FIELDS = ("targeted", "reached")


def _is_age(attr: str) -> bool:
    return attr in HXL_AGE or bool(re.fullmatch(r"age\d+(_\d+|plus)?", attr))


def hxl_people_part(tag: str) -> tuple[str, frozenset[str], frozenset[str]] | None:
    """('targeted', sex attrs, age attrs) for a sex/age breakdown of people ('#reached+f+children');
    None for anything else, households included (+hh columns are their own field, never people)."""
    parsed = parse_hxl(tag)
    if not parsed or parsed[0] not in PEOPLE_FIELDS:
        return None
    attrs = frozenset(_HXL_SYNONYMS.get(a, a) for a in parsed[1]) - {""}
    if "hh" in attrs:
        return None
    sex = frozenset(a for a in attrs if a in HXL_SEX)
    age = frozenset(a for a in attrs if _is_age(a))
    if not sex and not age:
        return None
    return parsed[0], sex, age


@lru_cache(maxsize=4096)
def field_for_hxl(tag: str) -> tuple[str | None, int]:
    """The canonical field an HXL hashtag stands for, and how well (higher is better; 0 none).

    Attributes may come in any order; a field's attributes must all be present. Role attributes (+impl,
    +funder) beat the generic +name, and every attribute the field does not know costs a little, so
    '#targeted+total' wins over '#targeted+f' when both are present.
    """
    parsed = parse_hxl(tag)
    if not parsed:
        return None, 0
    base, attrs = parsed
    attrs = frozenset(_HXL_SYNONYMS.get(a, a) for a in attrs) - {""}
    if hxl_people_part(tag):
        return None, 0  # a breakdown (women, children ...): summed into the total only when there is none
    best: tuple[int, str | None] = (0, None)
    for name, ftag, fattrs in _HXL_FIELDS:
        if ftag != base or not fattrs <= attrs:
            continue
        if "hh" in attrs and "hh" not in fattrs and base in PEOPLE_FIELDS:
            continue  # households are never read as people
        score = 100 + sum(2 if a != "name" else 1 for a in fattrs) * 10 - len(attrs - fattrs)
        if name == "org_name" and attrs & {"impl", "funder", "acronym", "type", "lead", "prog", "code"}:
            continue
        best = max(best, (score, name), key=lambda t: t[0])
    if best[1] is None and not ("hh" in attrs and base in PEOPLE_FIELDS):  # unexpected attributes: plainest field
        for name, ftag, fattrs in _HXL_FIELDS:
            if ftag == base and fattrs <= {"name"}:
                return name, 50
    return best[1], best[0]


_ALIASES: dict[str, str] = {}
for _f in FIELDS:
    for _a in (_f.header, _f.name.replace("_", " "), *_f.aliases):
        if not _a.startswith("#"):
            _ALIASES.setdefault(fold(_a), _f.name)
_ALIAS_KEYS = [k for k in _ALIASES if len(k) >= 5]
_NOT_DISTRICT = tuple(fold(h) for h in NOT_DISTRICT_HEADERS)


def is_not_district(header: str) -> bool:
    """'Tehsil', 'UC', 'Village' ... name a place below the district: never the district column."""
    words = f" {fold(header)} "
    return any(f" {h} " in words for h in _NOT_DISTRICT)


@lru_cache(maxsize=1)
def _header_filler() -> re.Pattern[str]:
    """Words a header may carry around a field's name: "Total budget in KES" is the budget (any listed code)."""
    return re.compile(rf"\b({'|'.join(sorted(currency_codes()))}|in|of|the|no|number|total|#)\b")


@lru_cache(maxsize=4096)
def field_for_header(header: str) -> tuple[str | None, str | None, int]:
    """(field, method, quality) for a human header: exact alias first, then close spelling."""
    key = fold(header)
    if not key or is_not_district(header):
        return None, None, 0
    if "%" in str(header) or {"percent", "percentage", "rate"} & set(key.split()):
        return None, None, 0  # a share is never a count or a name
    if key in _ALIASES:
        return _ALIASES[key], "alias", 90
    stripped = " ".join(_header_filler().sub(" ", key).split())
    if stripped in _ALIASES:
        return _ALIASES[stripped], "alias", 85
    people = people_header(key)
    if people:
        return people, "words", 80
    if len(key) >= 5:
        hit = process.extractOne(key, _ALIAS_KEYS, scorer=fuzz.ratio, score_cutoff=88)
        if hit:
            return _ALIASES[hit[0]], "fuzzy", int(hit[1]) - 30
    return None, None, 0


_REACHED_WORDS = frozenset({"reached", "achieved", "served", "assisted", "atteints", "atteintes", "atteint",
                            "alcanzados", "alcanzadas", "alcancados", "alcancadas", "atingidos", "atingidas",
                            "atendidos", "atendidas", "beneficiados"})
_TARGETED_WORDS = frozenset({"targeted", "target", "targets", "planned", "cibles", "ciblees", "cible", "ciblee",
                             "previstos", "previstas", "meta", "metas", "alvo", "objetivo"})
_HH_WORDS = frozenset({"household", "households", "hh", "hhs", "menages", "menage", "hogares", "hogar",
                       "familias", "familles", "agregados", "families"})
_PEOPLE_WORDS = frozenset({"people", "persons", "individuals", "individual", "ind", "personnes", "individus",
                           "personas", "pessoas", "beneficiaries", "beneficiary", "beneficiaires", "beneficiarios",
                           "pax", "population"})
_NOT_A_COUNT = frozenset({"percent", "percentage", "rate", "ratio", "group", "type", "category", "date", "month",
                          "groupe", "grupo", "tipo", "name", "nom", "description"})


def people_header(key: str) -> str | None:
    """A long count header ('Total people reached (individuals)', 'No. of HHs targeted') as its field.

    Households and people are told apart by the words, so a household count can never become a people count;
    a header naming neither, or naming a rate or a group, is left alone."""
    words = set(key.replace("#", " ").split())
    if words & _NOT_A_COUNT or "%" in key:
        return None
    measure = ("reached" if words & _REACHED_WORDS else None) or ("targeted" if words & _TARGETED_WORDS else None)
    if measure is None or (words & _REACHED_WORDS and words & _TARGETED_WORDS):
        return None
    if words & _HH_WORDS:
        return f"{measure}_hh"
    return measure if words & _PEOPLE_WORDS else None


# --------------------------------------------------------------------------- values

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS.update({"sept": 9, "janvier": 1, "fevrier": 2, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
                "juillet": 7, "aout": 8, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11,
                "decembre": 12, "décembre": 12, "janv": 1, "fevr": 2, "févr": 2, "avr": 4, "juil": 7})
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 100 else n


def parse_date(value: Any, *, order: str = "dmy", end: bool = False) -> tuple[dt.date | None, str | None]:
    """A cell as a date. Month-only or year-only text means the first day (last day for an end date).

    Returns (date, None), (None, None) for empty, or (None, reason) when it cannot be read.
    """
    if is_empty(value):
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            if 1900 <= value <= 2200:
                return (dt.date(int(value), 12, 31) if end else dt.date(int(value), 1, 1)), None
            return EXCEL_EPOCH + dt.timedelta(days=int(value)), None
        return None, "is not a date"
    s = " ".join(str(value).strip().lower().replace(",", " ").split())
    s = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", s)
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", s)
    if m:
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        return (d, None) if d else (None, "is not a real date")
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?", s)
    if m:
        a, b, y = int(m[1]), int(m[2]), _year(m[3])
        day, month = (a, b) if order == "dmy" else (b, a)
        if month > 12 and day <= 12:
            day, month = month, day
        d = _safe_date(y, month, day)
        return (d, None) if d else (None, "is not a real date")
    m = re.fullmatch(rf"(\d{{1,2}})[ -]?({_MONTH_RE})\.?[ -]?(\d{{2}}|\d{{4}})", s)
    if m:
        d = _safe_date(_year(m[3]), _MONTHS[m[2]], int(m[1]))
        return (d, None) if d else (None, "is not a real date")
    m = re.fullmatch(rf"({_MONTH_RE})\.? (\d{{1,2}}) (\d{{4}})", s)
    if m:
        d = _safe_date(int(m[3]), _MONTHS[m[1]], int(m[2]))
        return (d, None) if d else (None, "is not a real date")
    m = re.fullmatch(rf"({_MONTH_RE})\.?[ /-]?('?\d{{2}}|\d{{4}})", s) or re.fullmatch(r"(\d{4})[-/](\d{1,2})", s)
    if m:
        if m[1].isdigit():
            y, mo = int(m[1]), int(m[2])
        else:
            y, mo = _year(m[2].lstrip("'")), _MONTHS[m[1]]
        if not 1 <= mo <= 12:
            return None, "is not a real date"
        return dt.date(y, mo, calendar.monthrange(y, mo)[1] if end else 1), None
    m = re.fullmatch(r"(\d{4})", s)
    if m and 1900 <= int(s) <= 2200:
        return (dt.date(int(s), 12, 31) if end else dt.date(int(s), 1, 1)), None
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return parse_date(float(s), order=order, end=end)
    return None, "is not a date Stocktake can read"


@lru_cache(maxsize=8)
def _currency_re(symbols: str) -> re.Pattern[str]:
    """A code or a listed symbol before the amount, or after it: "USD 3,000", "Rs 5,000", "5 000 FCFA"."""
    sym = rf"(?:{symbols})(?![^\W\d_])" if symbols else r"(?!)"
    return re.compile(rf"^(?:({sym})\s*|([A-Za-z]{{3}})\s*)?(.*?)(?:\s*(?:(?<![^\W\d_])({sym})|([A-Za-z]{{3}})))?$",
                      re.IGNORECASE)


class NumberReading(NamedTuple):
    """A cell read as a number: the value, a currency written with it, why it cannot be read (then value is
    None) with how to fix it, or a note on how it was read when that is worth saying (lakh grouping).
    `symbol` is a currency symbol written with it that names no one currency in this country ("Rs" outside
    the countries of the rupee); `could_be` the currencies it is written for."""

    value: float | None
    currency: str | None = None
    problem: str | None = None
    hint: str | None = None
    note: str | None = None
    symbol: str | None = None
    could_be: tuple[str, ...] = ()


_DIGITS_HINT = "Write digits only, e.g. 12500 (12,500 and 1,25,000 are read too)."


def read_number(value: Any, symbols: Symbols | None = None) -> NumberReading:
    """'12,500', '1 200', 'USD 3,000', '1,25,000' (lakh), '1.200.000' and '1.234,56' (European).

    A single dot or comma that could separate thousands or decimals ('1.500', '2,50') is never guessed:
    the reading is refused with both meanings, so the focal point says which one they meant. A currency symbol
    is read with `symbols`, the deployment country's (`symbols_for`); without them only the symbols of the
    currencies read everywhere ($, €, £) name a currency."""
    if is_empty(value):
        return NumberReading(None)
    if isinstance(value, bool):
        return NumberReading(None, None, "is not a number", _DIGITS_HINT)
    if isinstance(value, (int, float)):
        n = float(value)
        if not math.isfinite(n):
            return NumberReading(None, None, "is not a number", _DIGITS_HINT)
        return NumberReading(n)
    s = str(value).strip().replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    currency, symbol, could_be = None, None, ()
    symbols = symbols or symbols_for(None)
    m = _currency_re(symbols.pattern).match(s)
    if m and (m[1] or m[2] or m[4] or m[5]) and re.search(r"\d", m[3] or ""):
        s = m[3]
        if m[1] or m[4]:
            symbol = m[1] or m[4]
            currency, could_be = symbols.read(symbol)
            symbol = None if currency else symbol
        else:
            currency = (m[2] or m[5]).upper()
    s = s.replace(" ", "").replace("'", "")
    negative = s.startswith("(") and s.endswith(")")
    s = s.strip("()")
    note = None
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"[-+]?\d{1,2}(,\d{2})+,\d{3}(\.\d+)?", s):  # 1,25,000: Indian/Pakistani lakh grouping
        plain = s.replace(",", "")
        note = f"read as {float(plain):,.0f} (lakh grouping: {s} in the Indian system)"
        s = plain
    elif re.fullmatch(r"[-+]?\d{1,3}(\.\d{3}){2,}(,\d+)?", s) or re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+,\d+", s):
        s = s.replace(".", "").replace(",", ".")  # 1.200.000 and 1.234,56: European thousands dots
    elif re.fullmatch(r"[-+]?[1-9]\d{0,2}\.\d{3}", s):  # 1.500: 1500 with a thousands dot, or one and a half?
        whole, frac = s.split(".")
        return NumberReading(None, currency, f"is ambiguous: it could be {whole}{frac} (a dot between thousands) or "
                             f"{whole}.{frac.rstrip('0') or '0'} (a decimal point)",
                             f"Write {whole}{frac} for {int(whole + frac):,}, or {whole}.{frac.rstrip('0') or '0'} "
                             "if you meant a fraction.")
    elif re.fullmatch(r"[-+]?\d+,\d{1,2}", s):  # 2,50: a decimal comma, or a slip for 250?
        whole, frac = s.split(",")
        return NumberReading(None, currency, f"is ambiguous: the comma could be a decimal comma ({whole}.{frac}) or "
                             f"a typing slip ({whole}{frac})",
                             f"Write {whole}.{frac} with a decimal point, or {whole}{frac} without the comma.")
    try:
        n = float(s)
    except ValueError:
        return NumberReading(None, None, "is not a number", _DIGITS_HINT)
    if not math.isfinite(n):
        return NumberReading(None, None, "is not a number", _DIGITS_HINT)
    return NumberReading(-n if negative else n, currency, None, None, note, symbol, could_be)


def parse_number(value: Any, symbols: Symbols | None = None) -> tuple[float | None, str | None, str | None]:
    """(number, currency, problem): `read_number` without the hint and note."""
    reading = read_number(value, symbols)
    return reading.value, reading.currency, reading.problem


def parse_scope(value: Any) -> str | None:
    """'Province-wide', 'All districts' -> province; 'National', 'Countrywide' -> national; else None."""
    if is_empty(value):
        return None
    return SCOPE_WORDS.get(fold(value)) or SCOPE_WORDS.get(str(value).strip().lower())


# --------------------------------------------------------------------------- vocabularies

@dataclass
class VocabMatch:
    value: str | None
    how: str  # exact | alias | code | fuzzy | unknown | empty
    hint: str | None = None  # best guesses for a suggestion


class VocabIndex:
    """Case/accents-insensitive lookups into the deployment's vocabularies, built once per return."""

    def __init__(self, vocab: Vocabularies, confirmed: dict[str, dict[str, str]] | None = None):
        self.vocab = vocab
        # values a person mapped once (vocabulary aliases in the store): field -> folded value -> canonical
        self.confirmed = {f: {fold(k): v for k, v in t.items()} for f, t in (confirmed or {}).items()}
        self.tables: dict[str, dict[str, str]] = {}
        for name, values in (("status", vocab.statuses), ("org_type", vocab.org_types), ("modality", vocab.modalities)):
            table = {fold(v): v for v in values}
            for alias, canonical in (vocab.aliases.get(name) or {}).items():
                table.setdefault(fold(alias), canonical)
            for alias, canonical in self.confirmed.get(name, {}).items():
                table.setdefault(alias, canonical)
            self.tables[name] = table
        self.sectors: dict[str, str] = {}
        self.codes: dict[str, tuple[str, str]] = {}
        self.subsectors: dict[str, dict[str, str]] = {}
        self.sub_parent: dict[str, tuple[str, str]] = {}
        for sector, sub, code in vocab.sectors:
            self.sectors[fold(sector)] = sector
            if code:
                self.codes[fold(code)] = (sector, sub)
                self.codes.setdefault(fold(code.split("-")[0]), (sector, ""))
            if sub:
                self.subsectors.setdefault(sector, {})[fold(sub)] = sub
                self.sub_parent.setdefault(fold(sub), (sector, sub))

    def term(self, name: str, value: Any) -> VocabMatch:
        if is_empty(value):
            return VocabMatch(None, "empty")
        table = self.tables[name]
        key = fold(value)
        if key in table:
            return VocabMatch(table[key], "exact" if fold(table[key]) == key else "alias")
        hit = process.extractOne(key, list(table), scorer=fuzz.ratio, score_cutoff=85) if len(key) >= 4 else None
        if hit:
            return VocabMatch(table[hit[0]], "fuzzy")
        return VocabMatch(None, "unknown", ", ".join(dict.fromkeys(table.values())))

    def sector(self, value: Any) -> tuple[VocabMatch, str | None]:
        """(sector match, sub-sector implied by a code or by a sub-sector written as the sector)."""
        if is_empty(value):
            return VocabMatch(None, "empty"), None
        key = fold(value)
        if key in self.sectors:
            return VocabMatch(self.sectors[key], "exact"), None
        if key in self.confirmed.get("sector", {}):
            return VocabMatch(self.confirmed["sector"][key], "alias"), None
        for sep in (" - ", " – ", " — ", ": ", " / ", " > "):  # "Social protection - Cash": sector and sub-sector
            head, _, tail = str(value).partition(sep)
            if tail.strip() and fold(head) in self.sectors:
                return VocabMatch(self.sectors[fold(head)], "split"), " ".join(tail.split())
        if key in self.codes:
            sector, sub = self.codes[key]
            return VocabMatch(sector, "code"), sub or None
        if key in self.sub_parent:
            sector, sub = self.sub_parent[key]
            return VocabMatch(sector, "subsector"), sub
        hit = process.extractOne(key, list(self.sectors), scorer=fuzz.ratio, score_cutoff=85) if len(key) >= 4 else None
        if hit:
            return VocabMatch(self.sectors[hit[0]], "fuzzy"), None
        close = process.extract(key, list(self.sectors), scorer=fuzz.ratio, limit=2, score_cutoff=60)
        hint = " or ".join(self.sectors[c[0]] for c in close) if close else None
        return VocabMatch(None, "unknown", hint), None

    def subsector(self, sector: str | None, value: Any) -> VocabMatch:
        if is_empty(value):
            return VocabMatch(None, "empty")
        key = fold(value)
        own = self.subsectors.get(sector or "", {})
        if key in own:
            return VocabMatch(own[key], "exact")
        if fold(self.confirmed.get("subsector", {}).get(key, "")) in own:
            return VocabMatch(own[fold(self.confirmed["subsector"][key])], "alias")
        if own:
            hit = process.extractOne(key, list(own), scorer=fuzz.ratio, score_cutoff=85) if len(key) >= 4 else None
            if hit:
                return VocabMatch(own[hit[0]], "fuzzy")
        if key in self.sub_parent and self.sub_parent[key][0] != sector:
            return VocabMatch(None, "other-sector", self.sub_parent[key][0])
        hint = ", ".join(own.values()) if own else None
        return VocabMatch(None, "unknown", hint)
