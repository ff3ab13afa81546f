"""One check per field of a return: what one value (or one combination of values) means, and what is wrong with it.

Returns repeat the same names and words thousands of times, so ingest calls each check once per distinct value
and gives every row holding that value the same outcome. A check therefore never sees a row: it returns the
record fields the value sets and its findings, and ingest ties the findings to rows. Checks that need more than
the value (the lists, the gazetteer, the submitting organisation, the settings of this read) get a `Context`.
Row-level checks (an end date before the start, more reached than targeted) take the row's record.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from mapping import config
from mapping.returns.currencies import Symbols, symbols_for
from mapping.returns.normalise import VocabIndex, fold, parse_date, parse_scope, read_number, text_of
from mapping.returns.organisations import OrgIndex
from mapping.returns.schema import FIELD_BY_NAME, Vocabularies
from mapping.returns.vocabulary import suggest

if TYPE_CHECKING:  # pragma: no cover
    from mapping.geo.gazetteer import Gazetteer, Match

__all__ = ["NOTHING", "Context", "Finding", "Outcome", "check_date", "check_dates_in_order", "check_location",
           "check_number", "check_org", "check_partner", "check_reached", "check_sector", "check_term", "check_text",
           "off_list"]

EARLIEST_YEAR = 2000
FUTURE_YEARS = 5
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Finding(NamedTuple):
    """One problem with a value: the field it is in, the value as written, how bad, what and how to fix it.
    `row` is the Excel row once ingest has tied the finding to one (a check itself never knows it)."""

    field: str | None
    value: Any
    severity: str  # error | warning
    message: str
    suggestion: str | None = None
    row: int | None = None


class Outcome(NamedTuple):
    """What a value means for its rows: the record fields it sets (None: nothing) and its findings."""

    update: dict[str, Any] | None = None
    findings: tuple[Finding, ...] = ()


NOTHING = Outcome()


@dataclass
class Context:
    """What the checks consult: the lists, places and organisations, who submits, and how this file is read.

    `offlist` collects each value not on a list (message -> field, value, suggestion, confidence, how) and
    `once` the messages said once, however many rows carry them (a close-spelling reading, a currency symbol
    that names no one currency: `once_noun` says "symbol" then)."""

    gazetteer: Gazetteer
    vocab: Vocabularies
    vocab_index: VocabIndex
    orgs: OrgIndex
    have_orgs: bool  # an organisation list was given (without one, any name is taken as written)
    own: dict | None  # the submitting organisation; None for an admin's consolidated file
    date_order: str = "dmy"
    today: dt.date = field(default_factory=dt.date.today)
    strict: bool = False
    pcode_column: bool = False  # the file has a district p-code column (findings on a p-code name that column)
    offlist: dict[str, dict] = field(default_factory=dict)
    once: set[str] = field(default_factory=set)
    once_noun: dict[str, str] = field(default_factory=dict)  # what repeats, for a `once` message not about a value

    @property
    def currencies(self) -> Symbols:
        """The currency symbols of the boundary set's country ("Rs" is PKR in Pakistan, nothing in Kenya)."""
        return symbols_for(self.gazetteer.country if self.gazetteer is not None else None)

    def match(self, province: Any, district: Any) -> Match:
        return self.gazetteer.match(None if province is None else text_of(province),
                                    None if district is None else text_of(district))


def off_list(ctx: Context, fname: str, value: Any, label: str, choices: list[str] | tuple[str, ...],
             message: str | None = None) -> Finding:
    """The one warning for a value not on a list: kept as written, with the likeliest mapping."""
    text = text_of(value)
    message = message or (f"'{text}' is not on the {label} list; it is kept as written and shown as not on the "
                          "list until it is mapped.")
    hint = suggest(fname, value, choices)
    if hint:
        tip = (f"Suggested: {hint.canonical} ({hint.how}, {hint.confidence}% sure). Confirm it once: "
               f"python -m mapping vocab map {fname} \"{text}\" --to \"{hint.canonical}\".")
    else:
        shown = ", ".join(list(choices)[:12]) + (" ..." if len(choices) > 12 else "")
        tip = f"Choose one of: {shown}."
    ctx.offlist[message] = {"field": fname, "value": text, "suggestion": hint.canonical if hint else None,
                            "confidence": hint.confidence if hint else 0, "how": hint.how if hint else None}
    return Finding(fname, value, "warning", message, tip)


def _close_reading(ctx: Context, fname: str, value: Any, message: str, suggestion: str | None = None) -> Finding:
    """A value read by close spelling: worth a look, but said once per value, not on each of its rows."""
    ctx.once.add(message)
    return Finding(fname, value, "warning", message, suggestion)


# --------------------------------------------------------------------------- organisations
def check_org(ctx: Context, key: tuple[Any, Any]) -> Outcome:
    """(organisation, acronym) -> the organisation of the list; another organisation than the submitter's is an
    error, a name not on the list a warning (the secretariat adds it)."""
    value, acronym = key
    if value is None and acronym is not None:
        value = acronym
    acro = None if acronym is None else text_of(acronym)
    own = ctx.own
    if value is None:
        if own is None:
            return Outcome(None, (Finding("org_name", None, "error", "Organisation is empty; every activity needs one.",
                                          "Write your organisation's name or acronym."),))
        found = own
    else:
        found = ctx.orgs.find(value)
        if own and (found is None or found["name"] != own["name"]) and \
                fold(value) not in (fold(own["name"]), fold(own.get("acronym") or "")):
            return Outcome(None, (Finding(
                "org_name", value, "error",
                f"This return is for {own['name']}, but this row names '{text_of(value)}'. A return may only hold "
                "your own organisation's activities.", "Remove the row, or send it to that organisation's focal point."),))
        if own and found is None:
            found = own
        if found is None:
            upd = {"org_name": text_of(value), "org_acronym": acro}
            if not ctx.have_orgs and own is not None:
                return Outcome(upd)
            names = [o["name"] for o in ctx.orgs.orgs if o.get("name")]
            finding = off_list(ctx, "org_name", value, "organisation", names,
                               f"'{text_of(value)}' is not on the organisation list; the secretariat will add it.")
            if finding.suggestion.startswith("Choose one of"):
                finding = finding._replace(
                    suggestion="If it is listed under another name, ask the secretariat to add this spelling.")
            return Outcome(upd, (finding,))
    upd = {"org_name": found["name"], "org_acronym": acro or found.get("acronym")}
    if found.get("type"):
        upd["org_type"] = found["type"]
    return Outcome(upd)


def check_partner(ctx: Context, fname: str, value: Any) -> Outcome:
    """An implementing, funding or lead partner: the listed name when known, else as written (never an error)."""
    if value is None:
        return NOTHING
    hit = ctx.orgs.find(value)
    return Outcome({fname: hit["name"] if hit else text_of(value)})


def check_text(fname: str, kind: str, value: Any) -> Outcome:
    """A free-text field that has a shape: an e-mail address, a currency code, a p-code."""
    if value is None:
        return NOTHING
    text = text_of(value)
    if fname == "currency":
        text = text.upper()
    if kind == "email" and not EMAIL_RE.match(text):
        return Outcome({fname: text}, (Finding(fname, value, "warning", f"'{text}' does not look like an e-mail address.",
                                               "Write it as name@organisation.org."),))
    return Outcome({fname: text})


# --------------------------------------------------------------------------- vocabularies
def check_sector(ctx: Context, key: tuple[Any, Any]) -> Outcome:
    """(sector, sub-sector) against the sector list; 'Sector - Sub-sector' in one cell is split."""
    value, sub = key
    vocab = ctx.vocab
    m, implied_sub = ctx.vocab_index.sector(value)
    if m.how == "empty":
        return Outcome(None, (Finding("sector", None, "error", "Sector is empty; every activity needs one.",
                                      f"Choose a sector from the list: {', '.join(vocab.sector_names)}."),))
    if m.how == "unknown":
        if ctx.strict:
            return Outcome(None, (Finding("sector", value, "error", f"'{text_of(value)}' is not a sector on the list.",
                                          f"Did you mean {m.hint}?" if m.hint else
                                          f"Choose a sector from the list: {', '.join(vocab.sector_names)}."),))
        upd = {"sector": text_of(value)} | ({"subsector": text_of(sub)} if sub is not None else {})
        return Outcome(upd, (off_list(ctx, "sector", value, "sector", vocab.sector_names),))
    findings: list[Finding] = []
    if m.how == "fuzzy":
        findings.append(_close_reading(ctx, "sector", value, f"Read '{text_of(value)}' as {m.value}; check it."))
    upd = {"sector": m.value}
    if sub is None and m.how == "split":
        sub = implied_sub  # "Social protection - Cash": the part after the sector is checked as the sub-sector
    if sub is None:
        if implied_sub:
            upd["subsector"] = implied_sub
        return Outcome(upd, tuple(findings))
    sm = ctx.vocab_index.subsector(m.value, sub)
    if sm.value:
        upd["subsector"] = sm.value
        if sm.how == "fuzzy":
            findings.append(_close_reading(ctx, "subsector", sub, f"Read '{text_of(sub)}' as {sm.value}; check it."))
        return Outcome(upd, tuple(findings))
    upd["subsector"] = text_of(sub)
    if sm.how == "other-sector":
        findings.append(Finding("subsector", sub, "warning",
                                f"'{text_of(sub)}' is a sub-sector of {sm.hint}, not of {m.value}; it is kept as written.",
                                f"Check the sector: should it be {sm.hint}?"))
    else:
        findings.append(off_list(ctx, "subsector", sub, f"{m.value} sub-sector", vocab.subsectors_of(m.value),
                                 f"'{text_of(sub)}' is not a sub-sector of {m.value} on the list; it is kept "
                                 "as written."))
    return Outcome(upd, tuple(findings))


_TERM_LABELS = {"status": "status", "org_type": "organisation type", "modality": "modality"}


def check_term(ctx: Context, fname: str, value: Any) -> Outcome:
    """A status, organisation type or modality against its list. Only an empty status is an error (and, in
    strict mode, an unknown one); an unknown value is kept as written until it is mapped."""
    vocab = ctx.vocab
    m = ctx.vocab_index.term(fname, value)
    if m.how == "empty":
        if fname == "status":
            return Outcome(None, (Finding("status", None, "error", "Status is empty; every activity needs one.",
                                          f"Choose one of: {', '.join(vocab.statuses)}."),))
        return NOTHING
    if m.how == "unknown":
        if fname == "status" and ctx.strict:
            return Outcome(None, (Finding(fname, value, "error", f"'{text_of(value)}' is not a status Stocktake knows.",
                                          f"Choose one of: {', '.join(vocab.statuses)}."),))
        choices = {"status": vocab.statuses, "org_type": vocab.org_types, "modality": vocab.modalities}[fname]
        return Outcome({fname: text_of(value)}, (off_list(ctx, fname, value, _TERM_LABELS[fname], choices),))
    if m.how == "fuzzy":
        return Outcome({fname: m.value},
                       (_close_reading(ctx, fname, value, f"Read '{text_of(value)}' as {m.value}; check it."),))
    return Outcome({fname: m.value})


# --------------------------------------------------------------------------- places
def check_location(ctx: Context, key: tuple[Any, Any, Any, Any, Any]) -> Outcome:
    """(province, district, district p-code, province p-code, scope) -> the unit of the boundary set: a district,
    a whole province or the country. An unknown or ambiguous district is an error with the likeliest match."""
    prov, dist, code2, code1, scope_raw = key
    findings: list[Finding] = []
    scope = parse_scope(scope_raw)
    if scope_raw is not None and scope is None:
        findings.append(Finding("scope", scope_raw, "warning",
                                f"'{text_of(scope_raw)}' is not a location scope; the activity is read as district level.",
                                "Write district, province-wide or national."))
    if dist is not None and parse_scope(dist):
        scope, dist = parse_scope(dist), None
    if prov is not None and parse_scope(prov) == "national":
        scope, prov = "national", None
    if dist is None and code2 is not None:
        dist = code2
    elif code2 is not None and ctx.match(prov, code2).status == "matched":
        dist = code2
    if prov is None and code1 is not None:
        prov = code1
    if dist is not None and scope in ("province", "national") and scope_raw is not None:
        findings.append(Finding("scope", scope_raw, "warning",
                                f"Location scope says {text_of(scope_raw)} but a district is named; the district is used.",
                                "Leave the district empty for a province-wide or national activity."))
        scope = "district"
    if scope == "national":
        return Outcome({"scope": "national"}, tuple(findings))
    if dist is None and scope != "province":
        findings.append(Finding("adm2_name", None, "error", "District is empty; every district-level activity needs one.",
                                "Name the district, or write 'Province-wide' (or 'National') in Location scope when the "
                                "activity covers a whole province (or the country)."))
        return Outcome(None, tuple(findings))
    if scope == "province" and dist is None:
        return _province_wide(ctx, prov, findings)
    m = ctx.match(prov, dist)
    fname = "adm2_pcode" if dist is code2 and ctx.pcode_column else "adm2_name"
    where = f" in {text_of(prov)}" if prov is not None else ""
    if m.status != "matched":
        default = (f"'{text_of(dist)}'{where} matches more than one district" if m.status == "ambiguous"
                   else f"'{text_of(dist)}' is not a district{where} in the boundary set")
        note = (m.note or default).rstrip(".")
        findings.append(Finding(fname, dist, "error", note[0].upper() + note[1:] + ".",
                                m.suggestion or ("Add the province, or use the district p-code." if m.status == "ambiguous"
                                                 else "Check the spelling against the district list in the template.")))
        return Outcome(None, tuple(findings))
    if m.method == "fuzzy":
        findings.append(_close_reading(
            ctx, fname, dist, f"Matched '{text_of(dist)}' to {m.adm2_name} ({m.adm2_pcode}) by close spelling; check it.",
            m.suggestion))
    if m.note and "province" in m.note.lower() and prov is not None:
        findings.append(Finding("adm1_name", prov, "warning",
                                f"{m.adm2_name} ({m.adm2_pcode}) is in {m.adm1_name}, not in '{text_of(prov)}'; "
                                f"Stocktake used {m.adm1_name}.", "Check the province."))
    upd = {"scope": "district", "adm1_name": m.adm1_name, "adm1_pcode": m.adm1_pcode, "adm2_name": m.adm2_name,
           "adm2_pcode": m.adm2_pcode, "match_method": m.method, "match_score": m.score}
    if text_of(dist) != m.adm2_name and dist is not code2:
        upd["extra"] = {"adm2_as_written": text_of(dist)}
    return Outcome(upd, tuple(findings))


def _province_wide(ctx: Context, prov: Any, findings: list[Finding]) -> Outcome:
    if prov is None:
        findings.append(Finding("adm1_name", None, "error", "Province is empty; a province-wide activity needs its "
                                "province.", "Name the province."))
        return Outcome(None, tuple(findings))
    m = ctx.match(prov, None)
    if m.status != "matched" or not m.adm1_pcode:
        findings.append(Finding("adm1_name", prov, "error", f"'{text_of(prov)}' is not a province of the boundary set.",
                                m.suggestion or "Check the spelling against the province list in the template."))
        return Outcome(None, tuple(findings))
    return Outcome({"scope": "province", "adm1_name": m.adm1_name, "adm1_pcode": m.adm1_pcode, "adm2_name": None,
                    "adm2_pcode": None, "match_method": m.method, "match_score": m.score}, tuple(findings))


# --------------------------------------------------------------------------- dates and numbers
def check_date(ctx: Context, fname: str, value: Any) -> Outcome:
    """A start or end date: read in the deployment's day/month order; a year far off is worth a look."""
    if value is None:
        return NOTHING
    d, problem = parse_date(value, order=ctx.date_order, end=fname == "end_date")
    if problem:
        hint = "day/month/year, e.g. 31/12/2025" if ctx.date_order == "dmy" else "month/day/year, e.g. 12/31/2025"
        return Outcome(None, (Finding(fname, value, "error", f"'{text_of(value)}' {problem}.",
                                      f"Write the date as {hint}, or as an Excel date."),))
    if d is None:
        return NOTHING
    label = FIELD_BY_NAME[fname].header
    today = ctx.today
    if d.year < EARLIEST_YEAR:
        return Outcome({fname: d}, (Finding(fname, value, "warning",
                                            f"{label} {d:%d/%m/%Y} is before {EARLIEST_YEAR}; check the year."),))
    if d > today.replace(year=today.year + FUTURE_YEARS, day=min(today.day, 28)):
        return Outcome({fname: d}, (Finding(fname, value, "warning",
                                            f"{label} {d:%d/%m/%Y} is more than {FUTURE_YEARS} years ahead; check the "
                                            "year."),))
    return Outcome({fname: d})


def check_number(ctx: Context, fname: str, value: Any) -> Outcome:
    """People, households or a budget: never guessed when the separators are ambiguous, never negative, never
    beyond what one activity can believably hold. A budget's currency symbol is read in the country's terms;
    one that names no single currency there leaves the currency to the focal point (`_currency_unclear`:
    ingest says so only when the row's Currency column is empty too)."""
    if value is None:
        return NOTHING
    reading = read_number(value, ctx.currencies)
    if reading.problem:
        return Outcome(None, (Finding(fname, value, "error", f"'{text_of(value)}' {reading.problem}.", reading.hint),))
    n = reading.value
    if n is None:
        return NOTHING
    header = FIELD_BY_NAME[fname].header
    if n < 0:
        return Outcome(None, (Finding(fname, value, "error", f"{header} cannot be negative ({text_of(value)}).",
                                      "Write the number without a minus sign, or leave it empty when unknown."),))
    bound, setting = ((config.max_budget(), "STOCKTAKE_MAX_BUDGET") if fname == "budget"
                      else (config.max_people(), "STOCKTAKE_MAX_PEOPLE"))
    if n > bound:
        return Outcome(None, (Finding(fname, value, "error", f"{header} {text_of(value)} is more than {bound:,.0f}, the "
                                      "largest number Stocktake believes for one activity.",
                                      "Check the number (a slip of the keyboard?). If it is right, the secretariat can "
                                      f"raise the limit ({setting})."),))
    if FIELD_BY_NAME[fname].kind == "int":
        n = int(round(n))
    upd: dict[str, Any] = {fname: n}
    if reading.currency and fname == "budget":
        upd["_currency"] = reading.currency
    if reading.symbol and fname == "budget":
        upd["_currency_unclear"] = _unclear_currency(ctx, value, reading.symbol, reading.could_be, n)
    if reading.note:
        return Outcome(upd, (Finding(fname, value, "warning", f"'{text_of(value)}' was {reading.note}.",
                                     f"Nothing to do if that is right; write it as {n:.0f} to avoid this note."),))
    return Outcome(upd)


def _unclear_currency(ctx: Context, value: Any, symbol: str, could_be: tuple[str, ...], n: float) -> Finding:
    """'Rs 5,000' where 'Rs' names no one currency: the amount is kept, the currency left empty, the codes
    named. Said once per symbol, however many budgets carry it."""
    codes = " or ".join(could_be) if len(could_be) <= 2 else ", ".join(could_be[:-1]) + " or " + could_be[-1]
    country = (ctx.gazetteer.country if ctx.gazetteer is not None else None) or "this deployment"
    message = (f"'{symbol}' names no one currency of {country} (it is written for {codes}): the budget was kept "
               "as a number without a currency.")
    ctx.once.add(message)
    ctx.once_noun[message] = "symbol"
    example = f", e.g. {could_be[0]} {_fmt_num(n)}" if could_be else ""
    return Finding("budget", value, "warning", message, "Write the currency's three-letter code in the Currency "
                   f"column, or with the amount instead of '{symbol}'{example}.")


# --------------------------------------------------------------------------- one row's record
def _fmt_num(n: float) -> str:
    return f"{int(n):,}" if float(n).is_integer() else f"{n:,.2f}"


def check_dates_in_order(rec: dict, end_as_written: Any) -> Finding | None:
    """An activity cannot end before it starts."""
    start, end = rec.get("start_date"), rec.get("end_date")
    if start and end and end < start:
        return Finding("end_date", end_as_written, "error",
                       f"End date {end:%d/%m/%Y} is before start date {start:%d/%m/%Y}.",
                       "Swap the two dates or correct the year.")
    return None


def check_reached(rec: dict, reached_as_written: Any) -> Finding | None:
    """More people reached than targeted is possible, but more often a slip."""
    t, r = rec.get("targeted"), rec.get("reached")
    if t is not None and r is not None and r > t:
        return Finding("reached", reached_as_written, "warning",
                       f"Beneficiaries reached ({_fmt_num(r)}) is more than targeted ({_fmt_num(t)}); "
                       "check both numbers.")
    return None
