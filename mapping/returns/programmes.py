"""Programme records from a spreadsheet: the forum's list of social protection programmes, one row each.

The inter-provincial forum compares *programmes* (who runs it, for whom, what it gives, where, how many
people), not activities. A deployment keeps them as records; this module reads a programmes sheet (.xlsx,
.csv, .ods — the same safe readers as returns) into `ProgrammeRecord`s, matching provinces and districts
through the gazetteer and target groups through `data/target_groups.csv`, with an `Issue` for every cell it
cannot use. Nothing here is country-specific: names, groups and types are data.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from mapping.returns.readers import ReturnError, read_book
from mapping.returns.schema import Issue, Vocabularies, vocabulary_path

__all__ = ["COLUMNS", "ProgrammeFile", "ProgrammeRecord", "TargetGroups", "load_target_groups", "name_key",
           "read_programmes", "split_list"]


@dataclass
class ProgrammeRecord:
    """One programme as the forum compares it; places are p-codes, groups are canonical names."""

    name: str
    owner: str
    provinces: list[str] = field(default_factory=list)     # adm1 p-codes
    programme_type: str | None = None                      # a sub-sector of the deployment's sector list
    target_groups: list[str] = field(default_factory=list)
    benefit: str | None = None                             # in words: "cash", "in-kind food basket" …
    benefit_amount: float | None = None
    benefit_currency: str | None = None
    benefit_frequency: str | None = None                   # monthly, quarterly, one-off …
    eligibility: str | None = None
    districts: list[str] = field(default_factory=list)     # adm2 p-codes; empty = the whole of its provinces
    beneficiaries: int | None = None
    beneficiaries_date: dt.date | None = None
    beneficiaries_source: str | None = None
    start_year: int | None = None
    link: str | None = None
    aliases: list[str] = field(default_factory=list)       # other names returns use for it


# header (as written in the sheet) → (field, HXL tag); the export writes the same headers and tags back
COLUMNS: dict[str, tuple[str, str]] = {
    "Programme": ("name", "#programme+name"),
    "Owner": ("owner", "#org+name"),
    "Provinces": ("provinces", "#adm1+name"),
    "Type": ("programme_type", "#subsector"),
    "Target groups": ("target_groups", "#beneficiary+type"),
    "Benefit": ("benefit", "#modality"),
    "Benefit amount": ("benefit_amount", "#value+benefit"),
    "Currency": ("benefit_currency", "#currency"),
    "Frequency": ("benefit_frequency", "#frequency"),
    "Eligibility": ("eligibility", "#description+eligibility"),
    "Districts": ("districts", "#adm2+name"),
    "Beneficiaries": ("beneficiaries", "#reached+ind"),
    "Beneficiaries as of": ("beneficiaries_date", "#date+reported"),
    "Source of the figure": ("beneficiaries_source", "#meta+source"),
    "Start year": ("start_year", "#date+year+start"),
    "Link": ("link", "#meta+url"),
    "Other names": ("aliases", "#programme+alias"),
}
HEADER_ALIASES = {"programme name": "name", "program": "name", "program name": "name", "name": "name",
                  "owner organisation": "owner", "owner organization": "owner", "run by": "owner",
                  "province": "provinces", "province(s)": "provinces", "programme type": "programme_type",
                  "target group": "target_groups", "beneficiary group": "target_groups",
                  "cash amount": "benefit_amount", "amount": "benefit_amount", "districts covered": "districts",
                  "district": "districts", "beneficiaries (latest)": "beneficiaries", "people": "beneficiaries",
                  "date of figure": "beneficiaries_date", "source": "beneficiaries_source", "url": "link",
                  "website": "link", "aliases": "aliases"}
LIST_SPLIT = re.compile(r"\s*[;|\n]\s*")


@dataclass(frozen=True)
class TargetGroups:
    names: tuple[str, ...]
    aliases: dict[str, str]  # lower-cased alias or name → canonical

    def canonical(self, value: str) -> str | None:
        return self.aliases.get(" ".join(str(value).split()).lower())


def load_target_groups(data_dir: str | None = None) -> TargetGroups:
    """The deployment's target-group vocabulary (`target_groups.csv` in its data folder, else the shipped one).

    Read again whenever the file changes (an admin edits it on the Admin page or with `vocab`), in every process.
    """
    path = vocabulary_path("target_groups.csv", Path(data_dir) if data_dir else None)
    return _target_groups(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _target_groups(path: str, mtime: int) -> TargetGroups:
    names: list[str] = []
    table: dict[str, str] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("target_group") or "").strip()
            if not name:
                continue
            names.append(name)
            table[name.lower()] = name
            for alias in (row.get("aliases") or "").split("|"):
                if alias.strip():
                    table.setdefault(alias.strip().lower(), name)
    return TargetGroups(tuple(names), table)


def name_key(text: Any) -> str:
    """How two spellings of one programme name are compared (case and spacing aside, nothing else): the store
    keeps its marks by this key and the analysis matches returns by it, so "is this the same name" has one answer."""
    return " ".join(str(text or "").casefold().split())


def split_list(value: Any) -> list[str]:
    """'North; South' / 'a|b' / one per line → items (commas are kept: names contain them)."""
    if value is None:
        return []
    return [v for v in (x.strip() for x in LIST_SPLIT.split(str(value))) if v]


@dataclass
class ProgrammeFile:
    records: list[ProgrammeRecord]
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


def _field_for(header: Any) -> str | None:
    text = " ".join(str(header or "").split())
    for head, (name, tag) in COLUMNS.items():
        if text.lower() == head.lower() or text.lower() == tag:
            return name
    return HEADER_ALIASES.get(text.lower())


def read_programmes(data: bytes, filename: str, *, units, gazetteer, vocab: Vocabularies,
                    groups: TargetGroups | None = None, max_bytes: int | None = None) -> ProgrammeFile:
    """Every programme row of the first sheet that has a Programme and an Owner column (`max_bytes`: a return's
    size limit; the sheet is read by the same sandboxed reader)."""
    groups = groups or load_target_groups()
    book = read_book(data, filename, max_bytes=max_bytes)
    for sheet in book.sheets:
        for h, row in enumerate(sheet.rows[:6]):
            fields = [_field_for(c) for c in row]
            if "name" in fields and "owner" in fields:
                return _read_rows(sheet.rows, h, fields, filename, sheet.name, units, gazetteer, vocab, groups)
    raise ReturnError(f"{filename}: no sheet has a 'Programme' and an 'Owner' column.",
                      hint="Download the programmes template and fill it.",
                      cli_hint="python -m mapping programmes template --out FILE.xlsx writes it.")


def _letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _read_rows(rows, header: int, fields, filename, sheet, units, gazetteer, vocab, groups) -> ProgrammeFile:
    provinces = {str(r.adm1_pcode): str(r.adm1_name) for r in units[["adm1_pcode", "adm1_name"]]
                 .drop_duplicates().itertuples(index=False)}
    district_codes = set(units["adm2_pcode"].astype(str))
    types = {sub.lower(): sub for _, sub, _ in vocab.sectors if sub}
    records: list[ProgrammeRecord] = []
    issues: list[Issue] = []
    # skip an HXL row right under the header
    start = header + 1
    if start < len(rows) and any(str(c or "").startswith("#") for c in rows[start]):
        start += 1
    for r in range(start, len(rows)):
        row = rows[r]
        values = {f: row[i] for i, f in enumerate(fields) if f and i < len(row) and str(row[i] or "").strip()}
        if not values:
            continue
        excel_row = r + 1

        def issue(f: str, value: Any, message: str, suggestion: str | None = None, severity: str = "error",
                  _row: int = excel_row) -> None:
            col = next((i for i, x in enumerate(fields) if x == f), None)
            head = next((h for h, (n, _) in COLUMNS.items() if n == f), f)
            issues.append(Issue(file=filename, sheet=sheet, row=_row,
                                column=f"{head} ({_letter(col)})" if col is not None else head,
                                value=None if value is None else str(value), severity=severity, message=message,
                                suggestion=suggestion, field=f))

        name = " ".join(str(values.get("name") or "").split())
        owner = " ".join(str(values.get("owner") or "").split())
        if not name or not owner:
            issue("name" if not name else "owner", None, "A programme needs its name and its owner organisation.")
            continue
        rec = ProgrammeRecord(name=name, owner=owner)
        for p in split_list(values.get("provinces")):
            code = p.upper() if p.upper() in provinces else None
            if code is None and gazetteer is not None:
                m = gazetteer.match(p, None)
                code = m.adm1_pcode if m.status == "matched" else None
            if code is None:
                issue("provinces", p, f"'{p}' is not a province of the boundary set.",
                      "Write the province as on the map, e.g. " + ", ".join(list(provinces.values())[:3]) + ".")
            elif code not in rec.provinces:
                rec.provinces.append(code)
        for d in split_list(values.get("districts")):
            if d.upper() in district_codes:
                code = d.upper()
            else:
                code = None
                candidates = [provinces[p] for p in rec.provinces] or [None]
                for prov in candidates:
                    m = gazetteer.match(prov, d) if gazetteer is not None else None
                    if m is not None and m.status == "matched" and m.adm2_pcode:
                        code = m.adm2_pcode
                        break
                if code is None:
                    hint = (m.suggestion if m is not None else None) or "Write the district as on the map."
                    issue("districts", d, f"'{d}' is not a district Stocktake can place.", hint)
                    continue
            if code not in rec.districts:
                rec.districts.append(code)
        if rec.districts and not rec.provinces:
            rec.provinces = sorted({str(p) for p in units.loc[units["adm2_pcode"].isin(rec.districts), "adm1_pcode"]})
        kind = values.get("programme_type")
        if kind is not None:
            rec.programme_type = types.get(" ".join(str(kind).split()).lower())
            if rec.programme_type is None:
                issue("programme_type", kind, f"'{kind}' is not a programme type of the sector list.",
                      "Use a sub-sector of data/sectors.csv, e.g. " + ", ".join(list(types.values())[:3]) + ".",
                      severity="warning")
        for g in split_list(values.get("target_groups")):
            canon = groups.canonical(g)
            if canon is None:
                issue("target_groups", g, f"'{g}' is not a target group of the list.",
                      "Use one of: " + ", ".join(groups.names[:6]) + " … (data/target_groups.csv).",
                      severity="warning")
            elif canon not in rec.target_groups:
                rec.target_groups.append(canon)
        for f in ("benefit", "benefit_frequency", "eligibility", "beneficiaries_source", "link"):
            if f in values:
                setattr(rec, f, " ".join(str(values[f]).split()))
        if "benefit_currency" in values:
            rec.benefit_currency = str(values["benefit_currency"]).strip().upper()[:10]
        rec.aliases = split_list(values.get("aliases"))
        for f, kind_ in (("benefit_amount", float), ("beneficiaries", int), ("start_year", int)):
            if f in values:
                try:
                    number = float(str(values[f]).replace(",", "").strip())
                    if number < 0 or number != number or number > 1e12:
                        raise ValueError
                    setattr(rec, f, kind_(number))
                except ValueError:
                    issue(f, values[f], "Not a number.", "Write digits only, e.g. 12500.")
        if "beneficiaries_date" in values:
            raw = values["beneficiaries_date"]
            day = raw if isinstance(raw, dt.date) else None
            if isinstance(raw, dt.datetime):
                day = raw.date()
            if day is None:
                try:
                    day = dt.date.fromisoformat(str(raw).strip()[:10])
                except ValueError:
                    issue("beneficiaries_date", raw, "Not a date.", "Write it as 2026-06-30.")
            rec.beneficiaries_date = day
        records.append(rec)
    seen: dict[str, int] = {}
    for i, rec in enumerate(records):
        if rec.name.lower() in seen:
            issues.append(Issue(file=filename, sheet=sheet, row=None, column="Programme", value=rec.name,
                                severity="error", message=f"'{rec.name}' appears twice.",
                                suggestion="Keep one row per programme.", field="name"))
        seen[rec.name.lower()] = i
    return ProgrammeFile(records, issues)
