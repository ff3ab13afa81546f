"""IATI activity files → draft rows of the canonical return, so partners who publish to IATI don't retype.

Most development partners already publish their projects to the International Aid Transparency Initiative
(standard 2.01–2.03). This module reads such a file for one recipient country and writes what it can as
canonical rows — organisation roles, DAC sectors mapped to the deployment's sectors through
`data/dac_sectors.csv`, places from administrative codes, names or coordinates, status, dates, the budget
that falls in the round's period — and a `Note` for everything it could not map, so nothing is dropped
silently. The focal point reviews the draft (a pre-filled template) and uploads it as a normal return.

The parser is hardened: no DTD, no entities, no network; a file that declares a DOCTYPE is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from mapping import config
from mapping.returns.readers import ReturnError
from mapping.returns.schema import Issue, Vocabularies

__all__ = ["ACTIVITY_STATUS", "DacTable", "IatiDraft", "Note", "draft_ids", "load_dac_table", "published_identifiers",
           "read_iati", "second_opinion"]

# IATI ActivityStatus codelist → the deployment's statuses (None: no row; the activity is listed as a note).
ACTIVITY_STATUS: dict[str, str | None] = {"1": "planned", "2": "ongoing", "3": "completed", "4": "completed",
                                          "5": None, "6": "suspended"}
STATUS_WORDS = {"1": "pipeline/identification", "2": "implementation", "3": "finalisation", "4": "closed",
                "5": "cancelled", "6": "suspended"}
ROLE_FUNDER, ROLE_IMPLEMENTING = "1", "4"
# ActivityDateType: 1 planned start, 2 actual start, 3 planned end, 4 actual end (actual wins)
START_TYPES, END_TYPES = ("2", "1"), ("4", "3")
DAC5, DAC3 = "1", "2"  # SectorVocabulary codes
MAX_BYTES = 200 * 1024 * 1024
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Note:
    """One thing in the IATI file that did not become (part of) a row, or was changed on the way."""

    activity: str  # iati-identifier ("" for the file itself)
    what: str      # sector | location | status | budget | currency | country | hierarchy | file …
    value: str
    message: str


@dataclass
class IatiDraft:
    """Draft rows in canonical field names, plus the notes a focal point must read before uploading."""

    file: str
    rows: list[dict]
    notes: list[Note] = field(default_factory=list)
    activities_read: int = 0
    activities_drafted: int = 0
    identifiers: list[str] = field(default_factory=list)

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows)


@dataclass(frozen=True)
class DacTable:
    """DAC purpose codes (5-digit) and categories (3-digit) → (sector, subsector) of this deployment."""

    codes: dict[str, tuple[str, str]]

    def lookup(self, code: str) -> tuple[str, str] | None:
        code = code.strip()
        if code in self.codes:
            return self.codes[code]
        if len(code) == 5 and code[:3] in self.codes:
            sector, _ = self.codes[code[:3]]
            return sector, ""
        return None


def load_dac_table(vocab: Vocabularies, path: Path | None = None) -> DacTable:
    """`data/dac_sectors.csv` (the deployment's copy first), keeping only sectors this deployment lists."""
    path = path or config.data_dir() / "dac_sectors.csv"
    if not path.exists():
        path = config.PROJECT_ROOT / "data" / "dac_sectors.csv"
    known = {(s, sub) for s, sub, _ in vocab.sectors} | {(s, "") for s in vocab.sector_names}
    codes: dict[str, tuple[str, str]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            pair = ((row.get("sector") or "").strip(), (row.get("subsector") or "").strip())
            if pair in known:
                codes[(row.get("code") or "").strip()] = pair
            elif (pair[0], "") in known:
                codes[(row.get("code") or "").strip()] = (pair[0], "")
    return DacTable(codes)


# --------------------------------------------------------------------------- parsing

def _parse(data: bytes, filename: str) -> etree._Element:
    if len(data) > MAX_BYTES:
        raise ReturnError(f"{filename}: the IATI file is {len(data) / 1e6:.0f} MB; the limit is "
                          f"{MAX_BYTES / 1e6:.0f} MB.", hint="Export only the activities of this country.")
    head = data[:65536].lstrip()
    if re.search(rb"<!DOCTYPE|<!ENTITY", data):
        raise ReturnError(f"{filename}: the file declares a DOCTYPE or entities, which IATI files never need "
                          "and which can be used to attack the server; it was not read.",
                          hint="Download the file again from your IATI publisher or the IATI registry.")
    if not head.startswith(b"<"):
        raise ReturnError(f"{filename}: this is not an XML file.",
                          hint="Upload the IATI activity file (.xml) your organisation publishes.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ReturnError(f"{filename}: the XML cannot be read ({exc.msg}, line {exc.lineno}).",
                          hint="Check that the file was downloaded completely.") from None
    if root.tag == "iati-activity":
        return root.getparent() if root.getparent() is not None else _wrap(root)
    if root.tag != "iati-activities":
        raise ReturnError(f"{filename}: the XML is not an IATI activity file (its root is <{root.tag}>, "
                          "expected <iati-activities>).",
                          hint="An IATI organisation file holds budgets only; upload the activity file.")
    return root


def _wrap(activity: etree._Element) -> etree._Element:
    root = etree.Element("iati-activities")
    root.append(activity)
    return root


def _text(el: etree._Element | None, lang: str = "en") -> str:
    """The narrative in `lang` if there is one, else the first narrative, else the element's own text."""
    if el is None:
        return ""
    narratives = el.findall("narrative")
    if narratives:
        for n in narratives:
            if (n.get(XML_LANG) or "").lower().startswith(lang):
                return " ".join((n.text or "").split())
        return " ".join((narratives[0].text or "").split())
    return " ".join((el.text or "").split())


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip().replace(",", ""))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _pct(el: etree._Element) -> float | None:
    return _number(el.get("percentage"))


# --------------------------------------------------------------------------- one activity

@dataclass(frozen=True)
class _Place:
    scope: str  # district | province | national
    adm1_pcode: str | None = None
    adm1_name: str | None = None
    adm2_pcode: str | None = None
    adm2_name: str | None = None


Locate = Callable[[Sequence[float], Sequence[float]], list]


def _sectors(act: etree._Element, ident: str, dac: DacTable, notes: list[Note]) -> list[tuple[str, str, float]]:
    """(sector, subsector, share 0–1) for the activity; shares of unmapped codes are reported."""
    out: dict[tuple[str, str], float] = {}
    els = act.findall("sector")
    if not els:  # IATI 2.x also allows sectors on transactions only
        els = act.findall("transaction/sector")
    given = [_pct(e) for e in els]
    even = 100.0 / len(els) if els else 0.0
    for el, pct in zip(els, given):
        vocabulary = el.get("vocabulary") or DAC5
        code = (el.get("code") or "").strip()
        share = (pct if pct is not None else even) / 100.0
        if vocabulary not in (DAC5, DAC3):
            notes.append(Note(ident, "sector", f"{code} (vocabulary {vocabulary})",
                              f"Sector code from vocabulary {vocabulary} ({_text(el) or 'no name'}) is not a DAC "
                              f"code; {share:.0%} of the activity has no sector in the draft. Pick one by hand."))
            continue
        hit = dac.lookup(code)
        if hit is None:
            notes.append(Note(ident, "sector", code,
                              f"DAC code {code} ({_text(el) or 'no name'}) has no sector in data/dac_sectors.csv; "
                              f"{share:.0%} of the activity has no sector in the draft. Pick one by hand or add "
                              "the code to the table."))
            continue
        out[hit] = out.get(hit, 0.0) + share
    if not els:
        notes.append(Note(ident, "sector", "", "The activity names no sector; pick one by hand."))
    return [(s, sub, share) for (s, sub), share in out.items()]


def _budget(act: etree._Element, ident: str, currency: str, period: tuple[dt.date, dt.date] | None,
            notes: list[Note]) -> tuple[float | None, str | None]:
    """The budget falling in the round's period (pro rata by days), else the total commitments."""
    values: dict[str, float] = {}
    budgets = act.findall("budget")
    revised = [b for b in budgets if b.get("type") == "2"]
    use = revised or budgets  # a revised budget replaces the original for the same activity
    for b in use:
        value_el = b.find("value")
        amount = _number(value_el.text if value_el is not None else None)
        start_el, end_el = b.find("period-start"), b.find("period-end")
        start = _date(start_el.get("iso-date")) if start_el is not None else None
        end = _date(end_el.get("iso-date")) if end_el is not None else None
        if amount is None:
            continue
        ccy = (value_el.get("currency") or currency or "").upper()
        if period is not None and start and end and end >= start:
            lo, hi = max(start, period[0]), min(end, period[1])
            if hi < lo:
                continue
            amount *= ((hi - lo).days + 1) / ((end - start).days + 1)
        values[ccy] = values.get(ccy, 0.0) + amount
    source = "budget"
    if not values:
        for t in act.findall("transaction"):
            type_el = t.find("transaction-type")
            if type_el is None or type_el.get("code") not in ("2", "C"):
                continue
            value_el = t.find("value")
            amount = _number(value_el.text if value_el is not None else None)
            if amount is None:
                continue
            ccy = (value_el.get("currency") or currency or "").upper()
            values[ccy] = values.get(ccy, 0.0) + amount
        source = "commitments"
    if not values:
        notes.append(Note(ident, "budget", "", "No budget or commitment in the IATI data; the draft's budget "
                                               "is empty."))
        return None, None
    ccy = max(values, key=lambda c: values[c])
    for other, amount in values.items():
        if other != ccy:
            notes.append(Note(ident, "currency", f"{amount:,.0f} {other or '(no currency)'}",
                              f"The activity's {source} are in more than one currency; the draft keeps "
                              f"{values[ccy]:,.0f} {ccy or '(no currency)'} and leaves out {amount:,.0f} "
                              f"{other or '(no currency)'}. Convert and add it by hand if it belongs here."))
    if not ccy:
        notes.append(Note(ident, "currency", "", "The budget has no currency (no default-currency either); "
                                                 "fill in the Currency column."))
    if source == "commitments":
        notes.append(Note(ident, "budget", f"{values[ccy]:,.0f}", "No budget lines: the draft uses the total of "
                                                                  "commitments instead."))
    return values[ccy], ccy or None


def _country_share(act: etree._Element, iso2: str) -> tuple[bool, float | None, list[str]]:
    """Whether the activity is in the country, its percentage there, and the other countries."""
    codes = [(c.get("code") or "").upper() for c in act.findall("recipient-country")]
    if iso2 not in codes:
        return False, None, codes
    el = act.findall("recipient-country")[codes.index(iso2)]
    return True, _pct(el), [c for c in codes if c != iso2]


def _places(act: etree._Element, ident: str, gazetteer, pcodes: dict[str, _Place], notes: list[Note],
            pending_points: list[tuple[int, float, float]], index: int) -> list[_Place]:
    out: list[_Place] = []
    for loc in act.findall("location"):
        place = None
        for adm in loc.findall("administrative"):
            code = (adm.get("code") or "").strip().upper()
            if code in pcodes:
                place = pcodes[code]
                break
        name = _text(loc.find("name"))
        if place is None and name and gazetteer is not None:
            m = gazetteer.match(None, name)
            if m.status == "matched" and m.adm2_pcode:
                place = _Place("district", m.adm1_pcode, m.adm1_name, m.adm2_pcode, m.adm2_name)
            else:
                p = gazetteer.match(name, None)
                if p.status == "matched" and p.adm1_pcode and not p.adm2_pcode:
                    place = _Place("province", p.adm1_pcode, p.adm1_name)
        if place is None:
            pos = (loc.findtext("point/pos") or "").split()
            if len(pos) == 2 and _number(pos[0]) is not None and _number(pos[1]) is not None:
                pending_points.append((index, float(pos[0]), float(pos[1])))  # IATI writes "lat lon"
                continue
            notes.append(Note(ident, "location", name or ", ".join(a.get("code") or "" for a in
                                                                    loc.findall("administrative")),
                              "This location is neither a p-code nor a place name Stocktake knows, and has no "
                              "coordinates; it is not in the draft. Add its district by hand."))
            continue
        if place not in out:
            out.append(place)
    return out


def read_iati(data: bytes, filename: str, *, country: str, vocab: Vocabularies, dac: DacTable | None = None,
              gazetteer=None, units=None, locate: Locate | None = None, org: str | None = None,
              period: tuple[dt.date, dt.date] | None = None) -> IatiDraft:
    """Draft rows for the activities of one recipient country (ISO 3166-1 alpha-2, e.g. PK).

    `units` (adm1/adm2 p-codes and names) lets administrative codes that are p-codes match; `gazetteer`
    matches place names; `locate(lons, lats)` places coordinates in districts (see `geo.points`).
    `org` replaces the reporting organisation's name with the one this deployment knows it by.
    """
    iso2 = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", iso2):
        raise ReturnError(f"'{country}' is not a two-letter ISO country code.", hint="For Pakistan write PK.")
    root = _parse(data, filename)
    dac = dac or load_dac_table(vocab)
    pcodes = _pcode_index(units)
    activities = root.findall("iati-activity")
    draft = IatiDraft(file=filename, rows=[], activities_read=len(activities))
    notes = draft.notes
    if not activities:
        notes.append(Note("", "file", filename, "The file holds no <iati-activity>."))
    parents_with_children = _parents_with_children(activities)
    staged: list[tuple[dict, list[tuple[str, str, float]], list[_Place], float | None]] = []
    pending: list[tuple[int, float, float]] = []
    for act in activities:
        ident = (act.findtext("iati-identifier") or "").strip()
        if ident in parents_with_children:
            notes.append(Note(ident, "hierarchy", ident, "A parent activity whose child activities are in this "
                                                         "file: the children are drafted instead, so nothing "
                                                         "counts twice."))
            continue
        inside, share, others = _country_share(act, iso2)
        if not inside:
            if not act.findall("recipient-country") and act.findall("recipient-region"):
                notes.append(Note(ident, "country", ", ".join(r.get("code") or "" for r in
                                                               act.findall("recipient-region")),
                                  f"The activity names a region, not {iso2}; it is not in the draft."))
            else:
                notes.append(Note(ident, "country", ", ".join(others) or "(none)",
                                  f"Not an activity in {iso2}; left out."))
            continue
        status_code = (act.find("activity-status").get("code") if act.find("activity-status") is not None
                       else "")
        status = ACTIVITY_STATUS.get(status_code or "")
        if status_code == "5":
            notes.append(Note(ident, "status", "5", "Cancelled in IATI: left out of the draft."))
            continue
        if status is None:
            notes.append(Note(ident, "status", status_code or "", "No activity status in IATI; the draft says "
                                                                  "'ongoing' — check it."))
            status = "ongoing"
        record = _record(act, ident, org, status)
        budget, ccy = _budget(act, ident, act.get("default-currency") or "", period, notes)
        if budget is not None and share is not None and share < 100:
            notes.append(Note(ident, "budget", f"{share:g}%", f"{share:g}% of the activity is in {iso2} "
                                                              f"(also {', '.join(others)}); the draft's budget "
                                                              "is that share."))
            budget = budget * share / 100.0
        record["currency"] = ccy
        sectors = _sectors(act, ident, dac, notes)
        index = len(staged)
        places = _places(act, ident, gazetteer, pcodes, notes, pending, index)
        staged.append((record, sectors, places, budget))
        draft.identifiers.append(ident)
    if pending:
        _place_points(pending, staged, locate, notes)
    for record, sectors, places, budget in staged:
        draft.rows.extend(_rows(record, sectors, places, budget))
    draft.activities_drafted = len(staged)
    _remember(_content_key(data, iso2), draft.identifiers)
    return draft


# The identifiers each IATI file publishes for a country, by content: the second opinion asks on every
# validation of a return, and reading a large publisher's file takes seconds.
_PUBLISHED: OrderedDict[tuple[str, str], tuple[str, ...]] = OrderedDict()
_PUBLISHED_LOCK = threading.Lock()
PUBLISHED_KEPT = 16


def _content_key(data: bytes, iso2: str) -> tuple[str, str]:
    return hashlib.sha256(data).hexdigest(), iso2


def _remember(key: tuple[str, str], identifiers: Sequence[str]) -> None:
    with _PUBLISHED_LOCK:
        _PUBLISHED[key] = tuple(identifiers)
        _PUBLISHED.move_to_end(key)
        while len(_PUBLISHED) > PUBLISHED_KEPT:
            _PUBLISHED.popitem(last=False)


def published_identifiers(data: bytes, filename: str, *, country: str, vocab: Vocabularies) -> tuple[str, ...]:
    """The iati-identifiers of the activities a file would draft for the country, read once per content.

    A file this process has drafted or compared before (under any name) is not parsed again.
    """
    key = _content_key(data, (country or "").strip().upper())
    with _PUBLISHED_LOCK:
        known = _PUBLISHED.get(key)
        if known is not None:
            _PUBLISHED.move_to_end(key)
            return known
    return tuple(read_iati(data, filename, country=country, vocab=vocab).identifiers)


def _pcode_index(units) -> dict[str, _Place]:
    out: dict[str, _Place] = {}
    if units is None or not len(units):
        return out
    for r in units[["adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name"]].astype(str).itertuples(index=False):
        out[r.adm2_pcode.upper()] = _Place("district", r.adm1_pcode, r.adm1_name, r.adm2_pcode, r.adm2_name)
        out.setdefault(r.adm1_pcode.upper(), _Place("province", r.adm1_pcode, r.adm1_name))
    return out


def _parents_with_children(activities: Iterable[etree._Element]) -> set[str]:
    present = {(a.findtext("iati-identifier") or "").strip() for a in activities}
    parents: set[str] = set()
    for a in activities:
        ident = (a.findtext("iati-identifier") or "").strip()
        for rel in a.findall("related-activity"):
            ref = (rel.get("ref") or "").strip()
            if rel.get("type") == "2" and ref in present:  # this activity names a child that is in the file
                parents.add(ident)
            if rel.get("type") == "1" and ref in present:  # a child naming its parent
                parents.add(ref)
    return parents


def _record(act: etree._Element, ident: str, org: str | None, status: str) -> dict:
    reporting = act.find("reporting-org")
    funders, implementers = [], []
    for p in act.findall("participating-org"):
        name = _text(p) or (p.get("ref") or "")
        if not name:
            continue
        if p.get("role") == ROLE_FUNDER and name not in funders:
            funders.append(name)
        elif p.get("role") == ROLE_IMPLEMENTING and name not in implementers:
            implementers.append(name)
    dates = {d.get("type"): _date(d.get("iso-date")) for d in act.findall("activity-date")}
    start = next((dates[t] for t in START_TYPES if dates.get(t)), None)
    end = next((dates[t] for t in END_TYPES if dates.get(t)), None)
    title = _text(act.find("title"))
    reporter = org or _text(reporting) or (reporting.get("ref") if reporting is not None else "") or ""
    return {
        "org_name": reporter,
        "org_funder": "; ".join(funders) or None,
        "org_impl": "; ".join(i for i in implementers if i != reporter) or None,
        "project": title or None,
        "activity": (title or _text(act.find("description")))[:250] or None,
        "status": status,
        "start_date": start,
        "end_date": end,
        "activity_id": ident,
    }


def _place_points(pending, staged, locate: Locate | None, notes: list[Note]) -> None:
    if locate is None:
        for index, _, _ in pending:
            notes.append(Note(staged[index][0]["activity_id"], "location", "coordinates",
                              "Coordinates given but no boundary set is loaded to place them; add the district "
                              "by hand."))
        return
    found = locate([lon for _, _, lon in pending], [lat for _, lat, _ in pending])
    for (index, lat, lon), place in zip(pending, found):
        places = staged[index][2]
        if place is None:
            notes.append(Note(staged[index][0]["activity_id"], "location", f"{lat:g} {lon:g}",
                              "These coordinates are outside every district of the boundary set; the point is "
                              "not in the draft."))
            continue
        p = _Place("district", place.adm1_pcode, place.adm1_name, place.adm2_pcode, place.adm2_name)
        if p not in places:
            places.append(p)


def _rows(record: dict, sectors: list[tuple[str, str, float]], places: list[_Place],
          budget: float | None) -> list[dict]:
    """One row per (sector, place); the budget split by sector share and evenly over places."""
    places = places or [_Place("national")]
    sectors = sectors or [("", "", 1.0)]
    total_share = sum(s for _, _, s in sectors) or 1.0
    rows = []
    for sector, subsector, share in sectors:
        for place in places:
            row = dict(record)
            row.update(sector=sector or None, subsector=subsector or None, scope=place.scope,
                       adm1_pcode=place.adm1_pcode, adm1_name=place.adm1_name, adm2_pcode=place.adm2_pcode,
                       adm2_name=place.adm2_name)
            if budget is not None:
                row["budget"] = round(budget * share / total_share / len(places), 2) if total_share else None
            row["remarks"] = "Pre-filled from IATI " + record["activity_id"] + (
                f" (budget: {share:.0%} sector share" + (f", 1/{len(places)} of its places)" if len(places) > 1
                                                          else ")") if budget is not None and
                (len(sectors) > 1 or len(places) > 1) else "")
            if len(sectors) > 1 or len(places) > 1:
                row["activity_id"] = f"{record['activity_id']}|{place.adm2_pcode or place.adm1_pcode or 'national'}" \
                                     f"|{subsector or sector}"
            rows.append(row)
    return rows


def draft_ids(activity_ids: Iterable) -> set[str]:
    """The IATI identifiers behind a return's activity IDs (a draft splits one activity as 'ID|place|sector')."""
    out = set()
    for v in activity_ids:
        if v is None or v != v:
            continue
        text = str(v).strip()
        if text:
            out.add(text.split("|", 1)[0])
    return out


def second_opinion(records: Iterable[dict], published: IatiDraft | Iterable[str], *, filename: str) -> list[Issue]:
    """Warnings for activities in IATI but not in the return, and activity IDs in the return not in IATI.

    `published` is a draft or its identifiers (`published_identifiers`).
    """
    in_return = draft_ids(r.get("activity_id") for r in records)
    published = set(published.identifiers if isinstance(published, IatiDraft) else published)
    issues: list[Issue] = []
    for ident in sorted(published - in_return):
        issues.append(Issue(file=filename, sheet=None, row=None, column=None, value=ident, severity="warning",
                            message=f"Activity {ident} is in your IATI data for this country but not in this "
                                    "return.",
                            suggestion="Add it, or say in Remarks why it is not part of this stocktake."))
    looks_iati = re.compile(r"^[A-Z]{2}(-[A-Z0-9]+)+-")
    for ident in sorted(in_return - published):
        if looks_iati.match(ident):
            issues.append(Issue(file=filename, sheet=None, row=None, column=None, value=ident, severity="warning",
                                message=f"Activity ID {ident} looks like an IATI identifier but is not in your "
                                        "IATI data.",
                                suggestion="Check the ID, or publish the activity to IATI."))
    return issues


# --------------------------------------------------------------------------- the pre-filled template

NOTE_COLUMNS = ("IATI activity", "What", "Value", "Note")
NOTES_SHEET = "IATI notes"


def draft_workbook(draft: IatiDraft, *, vocab: Vocabularies, units=None, org: str | None = None,
                   title: str | None = None) -> bytes:
    """The organisation's template pre-filled from IATI, with an 'IATI notes' sheet of what was not mapped."""
    from openpyxl.styles import Font

    from mapping.returns.template import SheetRows, build_template, sheet_rows

    def notes_sheet(wb) -> dict[str, SheetRows]:
        ws = wb.create_sheet(NOTES_SHEET)
        ws.append([f"Pre-filled from {draft.file}: {draft.activities_drafted} of {draft.activities_read} IATI "
                   f"activities became {len(draft.rows)} rows. Read these notes, fix the rows, then upload."])
        ws["A1"].font = Font(bold=True)
        ws.append(list(NOTE_COLUMNS))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for col, width in zip("ABCD", (34, 12, 24, 110)):
            ws.column_dimensions[col].width = width
        notes = draft.notes
        columns = [[n.activity for n in notes], [n.what for n in notes], [n.value for n in notes],
                   [n.message for n in notes]]
        return {NOTES_SHEET: sheet_rows(wb, columns, first_row=3)}  # text stays text, never a formula

    frame = draft.frame()
    heading = (title or "Stocktake return") + f" — DRAFT pre-filled from IATI ({draft.file}): review every row"
    return build_template(vocab=vocab, units=units, org=org, activities=frame if len(frame) else None,
                          title=heading, add_sheets=notes_sheet)


# --------------------------------------------------------------------------- the IATI Datastore

def fetch_publisher(publisher: str, *, country: str, base_url: str, api_key: str | None = None,
                    rows: int = 1000, max_activities: int = 20000, timeout: float = 60.0) -> bytes:
    """One publisher's activities in a country from the IATI Datastore API, as one IATI XML file.

    Pages through `{base_url}/activity/iati?q=reporting_org_ref:"REF" AND recipient_country_code:"CC"`
    and joins the pages' <iati-activity> elements under one <iati-activities>.
    """
    import urllib.error
    import urllib.parse
    import urllib.request

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{1,80}", publisher or ""):
        raise ReturnError(f"'{publisher}' is not an IATI organisation identifier.",
                          hint="Write it as published, e.g. XM-DAC-41122.")
    out = etree.Element("iati-activities", version="2.03")
    start = 0
    while start < max_activities:
        query = urllib.parse.urlencode({"q": f'reporting_org_ref:"{publisher}" AND '
                                             f'recipient_country_code:"{country.upper()}"',
                                        "rows": rows, "start": start})
        req = urllib.request.Request(f"{base_url.rstrip('/')}/activity/iati?{query}",
                                     headers={"Accept": "application/xml"})
        if api_key:
            req.add_header("Ocp-Apim-Subscription-Key", api_key)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured https endpoint
                page = resp.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise ReturnError(f"The IATI Datastore answered {exc.code} ({exc.reason}).",
                              hint="Check STOCKTAKE_IATI_API_KEY and the publisher identifier.") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ReturnError(f"The IATI Datastore could not be reached ({getattr(exc, 'reason', exc)}).",
                              hint="Download your IATI file and upload it instead.") from None
        got = _parse(page, "IATI Datastore answer").findall("iati-activity")
        for act in got:
            out.append(act)
        if len(got) < rows:
            break
        start += rows
    return etree.tostring(out, xml_declaration=True, encoding="utf-8")
