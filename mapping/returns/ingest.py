"""Read a focal point's return, map its columns, normalise and check every row, match places to p-codes.

The output is what the focal point needs to fix the file without help: every problem names the Excel row,
the column as written, the value, what is wrong and how to fix it. Nothing is dropped without an issue;
only an entirely blank row is skipped silently. Files that cannot be read at all raise `ReturnError`.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Mapping, Sequence
from operator import itemgetter
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from mapping import config
from mapping.returns import layouts as column_layouts
from mapping.returns.normalise import (
    VocabIndex,
    fold,
    is_empty,
    parse_date,
    parse_scope,
    read_number,
    text_of,
)
from mapping.returns.organisations import OrgIndex
from mapping.returns.readers import (
    Column,
    Layout,
    ReturnError,
    choose_layout,
    column_letter,
    other_activity_sheets,
    read_book,
)
from mapping.returns.result import IngestResult
from mapping.returns.schema import FIELD_BY_NAME, FIELD_NAMES, FIELDS, Issue, Vocabularies, load_vocabularies
from mapping.returns.vocabulary import VOCAB_FIELDS, suggest

if TYPE_CHECKING:  # pragma: no cover
    from mapping.geo.gazetteer import Gazetteer

__all__ = ["IngestResult", "ReturnError", "read_return"]

EARLIEST_YEAR = 2000
FUTURE_YEARS = 5
# Fields whose presence makes a row an activity (a row with only remarks or an ID is not one).
SUBSTANTIVE = ("project", "sector", "subsector", "activity", "modality", "adm1_name", "adm1_pcode", "adm2_name",
               "adm2_pcode", "status", "start_date", "end_date", "targeted", "reached", "budget", "org_impl",
               "org_funder", "beneficiary_group", "scope", "org_lead", "targeted_hh", "reached_hh")
# Problems a row can wait with in the review queue (the secretariat settles them by value: a place, a date, a
# listed value). Any other error keeps the return out, as before: another organisation's row, a row that is no
# activity, and numbers, which only the focal point can read right (is '1.500' fifteen hundred or one and a half?).
QUEUEABLE = frozenset({"adm1_name", "adm2_name", "adm2_pcode", "scope", "start_date", "end_date", "sector",
                       "subsector", "status", "org_type", "modality"})
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _fmt_num(n: float) -> str:
    return f"{int(n):,}" if float(n).is_integer() else f"{n:,.2f}"


Spec = tuple  # (field, value, severity, message, suggestion): one issue before it is tied to a row
Outcome = tuple  # (record updates or None, tuple of Specs)
NONE: Outcome = (None, ())


def _per_value(values: list | tuple, fn) -> tuple[list, dict]:
    """`fn` once per distinct value (returns repeat the same names and words thousands of times);
    returns the outcome per row and the distinct outcomes."""
    try:
        outcome = {v: fn(v) for v in set(values)}
    except TypeError:  # an unhashable cell value
        out = [fn(v) for v in values]
        return out, dict(enumerate(out))
    return list(map(outcome.__getitem__, values)), outcome


def _column(columns: list[tuple], index: int, cache: dict) -> list:
    """One column's values, with every kind of empty ('', spaces, 'N/A', '-') as None."""
    values = list(columns[index])
    try:
        blanks = {v for v in set(values) if v is not None and _blank(v, cache)}
    except TypeError:
        return [None if _blank(v, cache) else v for v in values]
    return [None if v in blanks else v for v in values] if blanks else values


class _Checker:
    """Checks one sheet's rows column by column: each distinct value (or combination, for places and
    organisations) is understood once, then the outcome is applied to every row holding it."""

    def __init__(self, filename: str, layout: Layout, *, gazetteer: Gazetteer, orgs: list[dict] | None,
                 vocab: Vocabularies, org: str | None, date_order: str, today: dt.date,
                 period: tuple[dt.date, dt.date] | None = None, reporting_org: str | None = None,
                 confirmed: dict[str, dict[str, str]] | None = None, strict: bool = False):
        self.file, self.layout, self.gaz = filename, layout, gazetteer
        self.sheet = layout.sheet.name
        self.vocab, self.vidx = vocab, VocabIndex(vocab, confirmed)
        self.strict = strict
        self.offlist: dict[str, dict] = {}  # message -> {"field", "value", "suggestion", "confidence", "how"}
        country = getattr(gazetteer, "country", None)
        self.orgidx = OrgIndex(_with_confirmed_names(orgs, (confirmed or {}).get("org_name")),
                               (country,) if isinstance(country, str) else ())
        self.have_orgs = orgs is not None
        self.order, self.today = date_order, today
        self.by_field: dict[str, Column] = {c.field: c for c in layout.columns if c.field}
        self.own = self._own_org(org)
        self.issues: list[Issue] = []
        self.records: list[dict] = []
        self.queued: list[dict] = []  # rows with errors that can wait for review: record + "_queue" problems
        self.row_errors: dict[int, list[tuple]] = {}
        self.excel_rows: list[int] = []
        self.recs: list[dict] = []
        self.bad: list[bool] = []
        self.skipped = 0
        self.period, self.reporting_org = period, reporting_org
        self.defaults: list[dict] = []  # each stated default once: {"field", "rule", "rows"}

    def _own_org(self, org: str | None) -> dict | None:
        if not org:
            return None
        found = self.orgidx.find(org)
        return found or {"name": org, "acronym": None, "type": None, "aliases": []}

    # ------------------------------------------------------------------ issues
    def add(self, k: int, fname: str | None, value: Any, severity: str, message: str,
            suggestion: str | None = None) -> None:
        col = self.by_field.get(fname) if fname else None
        if col is None and fname == "adm2_name":
            col = self.by_field.get("adm1_name")
        self.issues.append(Issue(self.file, self.sheet, self.excel_rows[k], col.label if col else None,
                                 None if value is None or value == "" else text_of(value),
                                 severity, message, suggestion, fname))
        if severity == "error":
            self.bad[k] = True
            self.row_errors.setdefault(k, []).append((fname, None if value is None else text_of(value), message))

    def apply(self, values: list, fn) -> None:
        """Understand each distinct value with `fn`, then give every row its outcome."""
        outcomes, distinct = _per_value(values, fn)
        for rec, outcome in zip(self.recs, outcomes, strict=True):
            if outcome is not NONE and outcome[0]:
                rec.update(outcome[0])
        if any(o[1] for o in distinct.values()):
            for k, (_, specs) in enumerate(outcomes):
                for spec in specs:
                    self.add(k, *spec)

    def set_column(self, fname: str, values: list) -> None:
        """A plain text column: no checks, the value as written (spaces tidied)."""
        texts, _ = _per_value(values, lambda v: None if v is None else text_of(v))
        for rec, text in zip(self.recs, texts, strict=True):
            if text is not None:
                rec[fname] = text

    # ------------------------------------------------------------------ all rows
    def run(self, rows: list[tuple[int, list]]) -> None:
        mapped = [(c.field, c.index) for c in self.layout.columns if c.field]
        extras = [(c.header, c.index) for c in self.layout.columns if not c.field]
        clean: dict = {}
        n_all = len(rows)
        grid = list(zip(*map(itemgetter(1), rows))) if rows else []
        raw = {f: _column(grid, i, clean) if rows else [] for f, i in mapped}
        self._people_totals(raw, grid, clean)
        self._reporting_org_column(raw)
        subs = [raw[f] for f in SUBSTANTIVE if f in raw]
        keep = [t.count(None) < len(t) for t in zip(*subs, strict=True)] if subs else [False] * n_all
        kept: list[tuple[int, list]] = []
        for k, (excel_row, cells) in enumerate(rows):
            if keep[k]:
                kept.append((excel_row, cells))
                continue
            width = len(cells)
            present = [self.by_field[f].header for f, i in mapped if raw[f][k] is not None]
            present += [h for h, i in extras if i < width and not _blank(cells[i], clean)]
            if not present:
                self.skipped += 1  # only spaces or "N/A": as good as blank
                continue
            self.issues.append(Issue(
                self.file, self.sheet, excel_row, None, None, "error",
                f"Row {excel_row} has only {', '.join(present)} and no activity details (sector, district, status "
                "...); it was not read as an activity.", "Fill in the activity or delete the row."))
        if len(kept) < n_all:
            raw = {f: [v for v, k in zip(values, keep, strict=True) if k] for f, values in raw.items()}
        self.excel_rows = [r for r, _ in kept]
        n = len(kept)
        self.bad = [False] * n
        self.recs = [{"_row": r} for r in self.excel_rows]
        cols = self.cols = raw
        empty = [None] * n
        col = lambda f: cols.get(f, empty)  # noqa: E731
        self.apply(list(zip(col("org_name"), col("org_acronym"), strict=True)), self._org)
        for fname in ("org_impl", "org_funder", "org_lead"):
            if fname in cols:
                self.apply(cols[fname], lambda v, fname=fname: self._partner(fname, v))
        for f in FIELDS:
            if f.kind in ("text", "email", "pcode") and f.name in cols and not f.name.startswith(("org_", "adm")):
                if f.kind == "text" and f.name != "currency":
                    self.set_column(f.name, cols[f.name])
                else:
                    self.apply(cols[f.name], lambda v, f=f: self._text(f.name, f.kind, v))
        self.apply(list(zip(col("sector"), col("subsector"), strict=True)), self._sector)
        for fname in ("status", "org_type", "modality"):
            if fname in cols:
                self.apply(col(fname), lambda v, fname=fname: self._term(fname, v))
        places = list(zip(col("adm1_name"), col("adm2_name"), col("adm2_pcode"), col("adm1_pcode"), col("scope"),
                          strict=True))
        self.apply(places, self._location)
        self._dates(col)
        if "status" not in cols:
            self._derive_status()
        self._numbers(col)
        if extras:
            grid = list(zip(*map(itemgetter(1), kept))) if kept else []
            extra_cols = [(h, _column(grid, i, clean)) for h, i in extras]
            for k, rec in enumerate(self.recs):
                extra = {h: text_of(values[k]) for h, values in extra_cols if values[k] is not None}
                if extra:
                    rec["extra"] = extra | rec.get("extra", {})
        self._duplicates()
        self._once_per_value()

    def _once_per_value(self) -> None:
        """A value missing from a list (an organisation, a sector ...) is said once, at its first row, with the
        other rows and their count, not on every row: thousands of rows may carry one unmapped value."""
        first: dict[str, Issue] = {}
        more: dict[str, list[int]] = {}
        kept: list[Issue] = []
        for issue in self.issues:
            if issue.message in self.offlist and issue.severity == "warning":
                if issue.message in first:
                    more[issue.message].append(issue.row or 0)
                    continue
                first[issue.message], more[issue.message] = issue, []
            kept.append(issue)
        for message, rows in more.items():
            entry = self.offlist[message]
            entry["rows"], entry["first_row"] = len(rows) + 1, first[message].row
            if rows:
                noun = "name" if entry["field"] == "org_name" else "value"
                listed = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
                first[message].message = f"{message} The same {noun} is on rows {listed}."
        self.issues = kept

    def offlist_values(self) -> list[dict]:
        """Each off-list value once: field, value, rows, first_row, suggestion, confidence, how."""
        return sorted((e for e in self.offlist.values() if "rows" in e),
                      key=lambda e: (VOCAB_FIELDS.index(e["field"]), -e["rows"], e["value"]))

    def _off_list(self, fname: str, value: Any, label: str, choices: list[str] | tuple[str, ...],
                  message: str | None = None) -> Spec:
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
        self.offlist[message] = {"field": fname, "value": text, "suggestion": hint.canonical if hint else None,
                                 "confidence": hint.confidence if hint else 0, "how": hint.how if hint else None}
        return (fname, value, "warning", message, tip)

    # ------------------------------------------------------------------ stated defaults
    def _people_totals(self, raw: dict, grid: list, clean: dict) -> None:
        """No total column but a sex/age breakdown (HXL +f/+m, +children/+adults): the total is their sum.

        Sex-by-age cells are disjoint and are summed when present; otherwise the sex columns, otherwise the age
        columns; never both families, which would count every person twice. The rule is stated in the report."""
        for measure in ("targeted", "reached"):
            if measure in raw:
                continue
            parts = [c for c in self.layout.columns if c.part and c.part[0] == measure and not c.field]
            both = [c for c in parts if c.part[1] and c.part[2]]
            sex = [c for c in parts if c.part[1] and not c.part[2]]
            age = [c for c in parts if c.part[2] and not c.part[1]]
            chosen = both if len(both) >= 2 else sex if len(sex) >= 2 else age if len(age) >= 2 else []
            if not chosen:
                continue
            values = [_column(grid, c.index, clean) if grid else [] for c in chosen]
            raw[measure] = [_sum_cells(cells) for cells in zip(*values, strict=True)] if values[0] else []
            label = FIELD_BY_NAME[measure].header
            names = " + ".join(c.label for c in chosen)
            left = [c.label for c in parts if c not in chosen]
            self.by_field[measure] = Column(chosen[0].index, " + ".join(c.header for c in chosen), measure, "sum")
            self.defaults.append({"field": measure, "rows": sum(v is not None for v in raw[measure]),
                                  "rule": f"No total column for {label}: each row's figure is the sum of {names}."
                                  + (f" {', '.join(left)} are not added: they break down the same people."
                                     if left else "")})

    def _reporting_org_column(self, raw: dict) -> None:
        """A file without a reporting-organisation column: the submitting organisation, or a partner column."""
        if "org_name" in raw or "org_acronym" in raw:
            return
        n = len(next(iter(raw.values()), []))
        if self.own is not None:
            self.defaults.append({"field": "org_name", "rows": n, "rule": (
                f"No Organisation column: every row is reported by {self.own['name']}, the submitting "
                "organisation.")})
            return
        choices = [f for f in (self.reporting_org, "org_lead", "org_impl") if f in raw]
        if not choices:
            return
        source = choices[0]
        other = next((f for f in ("org_lead", "org_impl") if f in raw and f != source), None)
        raw["org_name"] = raw[source]
        col = self.by_field[source]
        self.by_field["org_name"] = col
        self.defaults.append({"field": "org_name", "rows": sum(v is not None for v in raw[source]), "rule": (
            f"No reporting-organisation column: each row's {FIELD_BY_NAME[source].header} ({col.label}) is taken "
            "as its reporting organisation." + (
                f" To use {FIELD_BY_NAME[other].header} instead, choose it as the reporting organisation "
                f"(--reporting-org {other})." if other else ""))})

    def _derive_status(self) -> None:
        """No Status column: planned / ongoing / completed from the dates against the round (or today)."""
        ref = min(self.today, self.period[1]) if self.period else self.today
        counts = {"planned": 0, "ongoing": 0, "completed": 0, "undated": 0}
        for rec in self.recs:
            start, end = rec.get("start_date"), rec.get("end_date")
            if start is None and end is None:
                status, how = "ongoing", "no dates: ongoing for the round"
                counts["undated"] += 1
            else:
                status = "planned" if start and start > ref else "completed" if end and end < ref else "ongoing"
                how = "derived from the dates"
                counts[status] += 1
            rec["status"] = status
            rec.setdefault("extra", {})["status_derived"] = how
        when = (f"the round ({self.period[0]:%d/%m/%Y} to {self.period[1]:%d/%m/%Y})" if self.period
                else f"today ({self.today:%d/%m/%Y})")
        split = ", ".join(f"{v} {k}" for k, v in counts.items() if v and k != "undated")
        self.defaults.append({"field": "status", "rows": len(self.recs), "rule": (
            f"No Status column: each status is derived from the dates against {when}"
            + (f" ({split})" if split else "") + "."
            + (f" {counts['undated']} row(s) without dates are read as ongoing." if counts["undated"] else "")
            + " Derived statuses are marked as such in the stored data.")})

    # ------------------------------------------------------------------ organisations
    def _org(self, key: tuple) -> Outcome:
        value, acronym = key
        if value is None and acronym is not None:
            value = acronym
        acro = None if acronym is None else text_of(acronym)
        if value is None:
            if self.own is None:
                return None, (("org_name", None, "error", "Organisation is empty; every activity needs one.",
                               "Write your organisation's name or acronym."),)
            found = self.own
        else:
            found = self.orgidx.find(value)
            if self.own and (found is None or found["name"] != self.own["name"]) and \
                    fold(value) not in (fold(self.own["name"]), fold(self.own.get("acronym") or "")):
                return None, (("org_name", value, "error",
                               f"This return is for {self.own['name']}, but this row names '{text_of(value)}'. A "
                               "return may only hold your own organisation's activities.",
                               "Remove the row, or send it to that organisation's focal point."),)
            if self.own and found is None:
                found = self.own
            if found is None:
                upd = {"org_name": text_of(value), "org_acronym": acro}
                if not self.have_orgs and self.own is not None:
                    return upd, ()
                names = [o["name"] for o in self.orgidx.orgs if o.get("name")]
                spec = self._off_list("org_name", value, "organisation", names,
                                      f"'{text_of(value)}' is not on the organisation list; the secretariat will add it.")
                if spec[4].startswith("Choose one of"):
                    spec = spec[:4] + ("If it is listed under another name, ask the secretariat to add this spelling.",)
                return upd, (spec,)
        upd = {"org_name": found["name"], "org_acronym": acro or found.get("acronym")}
        if found.get("type"):
            upd["org_type"] = found["type"]
        return upd, ()

    def _partner(self, fname: str, value: Any) -> Outcome:
        if value is None:
            return NONE
        hit = self.orgidx.find(value)
        return {fname: hit["name"] if hit else text_of(value)}, ()

    def _text(self, fname: str, kind: str, value: Any) -> Outcome:
        if value is None:
            return NONE
        text = text_of(value)
        if fname == "currency":
            text = text.upper()
        if kind == "email" and not EMAIL_RE.match(text):
            return {fname: text}, ((fname, value, "warning", f"'{text}' does not look like an e-mail address.",
                                    "Write it as name@organisation.org."),)
        return {fname: text}, ()

    # ------------------------------------------------------------------ vocabularies
    def _sector(self, key: tuple) -> Outcome:
        value, sub = key
        m, implied_sub = self.vidx.sector(value)
        if m.how == "empty":
            return None, (("sector", None, "error", "Sector is empty; every activity needs one.",
                           f"Choose a sector from the list: {', '.join(self.vocab.sector_names)}."),)
        if m.how == "unknown":
            if self.strict:
                return None, (("sector", value, "error", f"'{text_of(value)}' is not a sector on the list.",
                               f"Did you mean {m.hint}?" if m.hint else
                               f"Choose a sector from the list: {', '.join(self.vocab.sector_names)}."),)
            upd = {"sector": text_of(value)} | ({"subsector": text_of(sub)} if sub is not None else {})
            return upd, (self._off_list("sector", value, "sector", self.vocab.sector_names),)
        specs: list[Spec] = []
        if m.how == "fuzzy":
            specs.append(("sector", value, "warning", f"Read '{text_of(value)}' as {m.value}; check it.", None))
        upd = {"sector": m.value}
        if sub is None and m.how == "split":
            sub = implied_sub  # "Social protection - Cash": the part after the sector is checked as the sub-sector
        if sub is None:
            if implied_sub:
                upd["subsector"] = implied_sub
            return upd, tuple(specs)
        sm = self.vidx.subsector(m.value, sub)
        if sm.value:
            upd["subsector"] = sm.value
            if sm.how == "fuzzy":
                specs.append(("subsector", sub, "warning", f"Read '{text_of(sub)}' as {sm.value}; check it.", None))
            return upd, tuple(specs)
        upd["subsector"] = text_of(sub)
        if sm.how == "other-sector":
            specs.append(("subsector", sub, "warning",
                          f"'{text_of(sub)}' is a sub-sector of {sm.hint}, not of {m.value}; it is kept as written.",
                          f"Check the sector: should it be {sm.hint}?"))
        else:
            specs.append(self._off_list("subsector", sub, f"{m.value} sub-sector", self.vocab.subsectors_of(m.value),
                                        f"'{text_of(sub)}' is not a sub-sector of {m.value} on the list; it is kept "
                                        "as written."))
        return upd, tuple(specs)

    def _term(self, fname: str, value: Any) -> Outcome:
        label = {"status": "status", "org_type": "organisation type", "modality": "modality"}[fname]
        m = self.vidx.term(fname, value)
        if m.how == "empty":
            if fname == "status":
                return None, (("status", None, "error", "Status is empty; every activity needs one.",
                               f"Choose one of: {', '.join(self.vocab.statuses)}."),)
            return NONE
        if m.how == "unknown":
            if fname == "status" and self.strict:
                return None, ((fname, value, "error", f"'{text_of(value)}' is not a status Stocktake knows.",
                               f"Choose one of: {', '.join(self.vocab.statuses)}."),)
            choices = {"status": self.vocab.statuses, "org_type": self.vocab.org_types,
                       "modality": self.vocab.modalities}[fname]
            return {fname: text_of(value)}, (self._off_list(fname, value, label, choices),)
        if m.how == "fuzzy":
            return {fname: m.value}, ((fname, value, "warning", f"Read '{text_of(value)}' as {m.value}; check it.",
                                       None),)
        return {fname: m.value}, ()

    # ------------------------------------------------------------------ places
    def _location(self, key: tuple) -> Outcome:
        prov, dist, code2, code1, scope_raw = key
        specs: list[Spec] = []
        scope = parse_scope(scope_raw)
        if scope_raw is not None and scope is None:
            specs.append(("scope", scope_raw, "warning",
                          f"'{text_of(scope_raw)}' is not a location scope; the activity is read as district level.",
                          "Write district, province-wide or national."))
        if dist is not None and parse_scope(dist):
            scope, dist = parse_scope(dist), None
        if prov is not None and parse_scope(prov) == "national":
            scope, prov = "national", None
        if dist is None and code2 is not None:
            dist = code2
        elif code2 is not None and self._match(prov, code2).status == "matched":
            dist = code2
        if prov is None and code1 is not None:
            prov = code1
        if dist is not None and scope in ("province", "national") and scope_raw is not None:
            specs.append(("scope", scope_raw, "warning",
                          f"Location scope says {text_of(scope_raw)} but a district is named; the district is used.",
                          "Leave the district empty for a province-wide or national activity."))
            scope = "district"
        if scope == "national":
            return {"scope": "national"}, tuple(specs)
        if dist is None and scope != "province":
            specs.append(("adm2_name", None, "error", "District is empty; every district-level activity needs one.",
                          "Name the district, or write 'Province-wide' (or 'National') in Location scope when the "
                          "activity covers a whole province (or the country)."))
            return None, tuple(specs)
        if scope == "province" and dist is None:
            if prov is None:
                specs.append(("adm1_name", None, "error", "Province is empty; a province-wide activity needs its "
                              "province.", "Name the province."))
                return None, tuple(specs)
            m = self._match(prov, None)
            if m.status != "matched" or not m.adm1_pcode:
                specs.append(("adm1_name", prov, "error", f"'{text_of(prov)}' is not a province of the boundary set.",
                              m.suggestion or "Check the spelling against the province list in the template."))
                return None, tuple(specs)
            return {"scope": "province", "adm1_name": m.adm1_name, "adm1_pcode": m.adm1_pcode, "adm2_name": None,
                    "adm2_pcode": None, "match_method": m.method, "match_score": m.score}, tuple(specs)
        m = self._match(prov, dist)
        fname = "adm2_pcode" if dist is code2 and "adm2_pcode" in self.by_field else "adm2_name"
        where = f" in {text_of(prov)}" if prov is not None else ""
        if m.status != "matched":
            default = (f"'{text_of(dist)}'{where} matches more than one district" if m.status == "ambiguous"
                       else f"'{text_of(dist)}' is not a district{where} in the boundary set")
            note = (m.note or default).rstrip(".")
            specs.append((fname, dist, "error", note[0].upper() + note[1:] + ".",
                          m.suggestion or ("Add the province, or use the district p-code." if m.status == "ambiguous"
                                           else "Check the spelling against the district list in the template.")))
            return None, tuple(specs)
        if m.method == "fuzzy":
            specs.append((fname, dist, "warning",
                          f"Matched '{text_of(dist)}' to {m.adm2_name} ({m.adm2_pcode}) by close spelling; check it.",
                          m.suggestion))
        if m.note and "province" in m.note.lower() and prov is not None:
            specs.append(("adm1_name", prov, "warning",
                          f"{m.adm2_name} ({m.adm2_pcode}) is in {m.adm1_name}, not in '{text_of(prov)}'; "
                          f"Stocktake used {m.adm1_name}.", "Check the province."))
        upd = {"scope": "district", "adm1_name": m.adm1_name, "adm1_pcode": m.adm1_pcode, "adm2_name": m.adm2_name,
               "adm2_pcode": m.adm2_pcode, "match_method": m.method, "match_score": m.score}
        if text_of(dist) != m.adm2_name and dist is not code2:
            upd["extra"] = {"adm2_as_written": text_of(dist)}
        return upd, tuple(specs)

    def _match(self, prov: Any, dist: Any):
        return self.gaz.match(None if prov is None else text_of(prov), None if dist is None else text_of(dist))

    # ------------------------------------------------------------------ dates and numbers
    def _date(self, fname: str, value: Any) -> Outcome:
        if value is None:
            return NONE
        d, problem = parse_date(value, order=self.order, end=fname == "end_date")
        if problem:
            hint = "day/month/year, e.g. 31/12/2025" if self.order == "dmy" else "month/day/year, e.g. 12/31/2025"
            return None, ((fname, value, "error", f"'{text_of(value)}' {problem}.",
                           f"Write the date as {hint}, or as an Excel date."),)
        if d is None:
            return NONE
        label = FIELD_BY_NAME[fname].header
        if d.year < EARLIEST_YEAR:
            return {fname: d}, ((fname, value, "warning",
                                 f"{label} {d:%d/%m/%Y} is before {EARLIEST_YEAR}; check the year.", None),)
        if d > self.today.replace(year=self.today.year + FUTURE_YEARS, day=min(self.today.day, 28)):
            return {fname: d}, ((fname, value, "warning",
                                 f"{label} {d:%d/%m/%Y} is more than {FUTURE_YEARS} years ahead; check the year.",
                                 None),)
        return {fname: d}, ()

    def _dates(self, col) -> None:
        for fname in ("start_date", "end_date"):
            self.apply(col(fname), lambda v, fname=fname: self._date(fname, v))
        ends = col("end_date")
        for k, rec in enumerate(self.recs):
            start, end = rec.get("start_date"), rec.get("end_date")
            if start and end and end < start:
                self.add(k, "end_date", ends[k], "error",
                         f"End date {end:%d/%m/%Y} is before start date {start:%d/%m/%Y}.",
                         "Swap the two dates or correct the year.")

    def _number(self, fname: str, value: Any) -> Outcome:
        if value is None:
            return NONE
        reading = read_number(value)
        if reading.problem:
            return None, ((fname, value, "error", f"'{text_of(value)}' {reading.problem}.", reading.hint),)
        n = reading.value
        if n is None:
            return NONE
        if n < 0:
            return None, ((fname, value, "error", f"{FIELD_BY_NAME[fname].header} cannot be negative "
                           f"({text_of(value)}).", "Write the number without a minus sign, or leave it empty when "
                           "unknown."),)
        bound, setting = ((config.max_budget(), "STOCKTAKE_MAX_BUDGET") if fname == "budget"
                          else (config.max_people(), "STOCKTAKE_MAX_PEOPLE"))
        if n > bound:
            return None, ((fname, value, "error", f"{FIELD_BY_NAME[fname].header} {text_of(value)} is more than "
                           f"{bound:,.0f}, the largest number Stocktake believes for one activity.",
                           "Check the number (a slip of the keyboard?). If it is right, the secretariat can raise "
                           f"the limit ({setting})."),)
        if FIELD_BY_NAME[fname].kind == "int":
            n = int(round(n))
        upd: dict[str, Any] = {fname: n}
        if reading.currency and fname == "budget":
            upd["_currency"] = reading.currency
        if reading.note:
            return upd, ((fname, value, "warning", f"'{text_of(value)}' was {reading.note}.",
                          f"Nothing to do if that is right; write it as {n:.0f} to avoid this note."),)
        return upd, ()

    def _numbers(self, col) -> None:
        for fname in ("targeted", "reached", "targeted_hh", "reached_hh", "budget"):
            if fname in self.by_field:
                self.apply(col(fname), lambda v, fname=fname: self._number(fname, v))
        reached = col("reached")
        for k, rec in enumerate(self.recs):
            if "_currency" in rec:
                cur = rec.pop("_currency")
                rec.setdefault("currency", cur)
            t, r = rec.get("targeted"), rec.get("reached")
            if t is not None and r is not None and r > t:
                self.add(k, "reached", reached[k], "warning",
                         f"Beneficiaries reached ({_fmt_num(r)}) is more than targeted ({_fmt_num(t)}); "
                         "check both numbers.")

    # ------------------------------------------------------------------ whole rows
    def _duplicates(self) -> None:
        seen: dict[tuple, int] = {}
        ids: dict[str, int] = {}
        for k, rec in enumerate(self.recs):
            if self.bad[k]:
                problems = self.row_errors.get(k, [])
                if problems and all(f in QUEUEABLE for f, _, _ in problems):
                    province = self.cols.get("adm1_name", [None] * (k + 1))[k]
                    self.queued.append(rec | {"_queue": [list(p) for p in problems],
                                              "_province": None if province is None else text_of(province)})
                continue
            row = rec["_row"]
            key = tuple(map(rec.get, FIELD_NAMES))
            if "extra" in rec:
                key += tuple(rec["extra"].items())
            first = seen.setdefault(key, row)
            if first != row:
                self.add(k, None, None, "warning", f"Row {row} repeats row {first} exactly; it would be counted twice.",
                         "Delete one of the two rows, or tell them apart (district, activity or dates).")
            aid = rec.get("activity_id")
            if aid:
                prev = ids.setdefault(aid, row)
                if prev != row and first == row:
                    self.add(k, "activity_id", aid, "warning",
                             f"Activity ID {aid} is also used on row {prev}; each activity needs its own ID.",
                             "Leave the ID empty on new activities; Stocktake assigns one.")
            self.records.append(rec)


def _with_confirmed_names(orgs: list[dict] | None, names: dict[str, str] | None) -> list[dict] | None:
    """The organisation list with the spellings a person confirmed once ('Unicef Pak' is UNICEF) as aliases."""
    if not orgs or not names:
        return orgs
    by_name = {o["name"]: {**o, "aliases": list(o.get("aliases") or [])} for o in orgs}
    for alias, canonical in names.items():
        if canonical in by_name:
            by_name[canonical]["aliases"].append(alias)
    return list(by_name.values())


def _sum_cells(cells: tuple) -> Any:
    """The sum of a row's breakdown cells; an unreadable cell is passed on as it is, so it is reported."""
    total, seen = 0.0, False
    for v in cells:
        if v is None:
            continue
        n, _, problem = read_number(v)[:3]
        if problem:
            return v
        if n is not None:
            total, seen = total + n, True
    return total if seen else None


def _blank(value: Any, cache: dict) -> bool:
    """None, '', spaces and the usual 'nothing here' words ('N/A', '-', 'n.a.')."""
    if value is None:
        return True
    if isinstance(value, str):
        try:
            return cache[value]
        except KeyError:
            cache[value] = is_empty(value)
            return cache[value]
    return is_empty(value)


def read_return(data: bytes, filename: str, *, gazetteer: Gazetteer, orgs: list[dict] | None = None,
                vocab: Vocabularies | None = None, org: str | None = None, sheet: str | None = None,
                date_order: str = "dmy", max_bytes: int | None = None, today: dt.date | None = None,
                period: tuple[dt.date, dt.date] | None = None, reporting_org: str | None = None,
                confirmed: dict[str, dict[str, str]] | None = None, strict: bool | None = None,
                column_map: Mapping[str, str | None] | column_layouts.SavedLayout | None = None,
                saved_layouts: Sequence[column_layouts.SavedLayout] = ()) -> IngestResult:
    """Read, map, normalise, validate and match one return. `ReturnError` when the file cannot be read at all.

    `column_map` (source header -> canonical field, None for a column not to read, or a saved layout) overrides
    how the columns were recognised; without it, the first of `saved_layouts` whose headers are the file's is
    applied (see `returns.layouts`).

    `period` is the round's (start, end), against which a missing status is derived; `reporting_org` names the
    partner column ("org_lead" or "org_impl") that stands for the reporting organisation in a consolidated file
    without one. `confirmed` holds the vocabulary aliases people confirmed (field -> value -> canonical); `strict`
    (default: STOCKTAKE_STRICT_VOCABULARY) makes an off-list sector or status an error instead of a warning."""
    gc_was_on = gc.isenabled()
    gc.disable()  # a big return is hundreds of thousands of small objects and no cycles: the collector only costs
    try:
        return _read_return(data, filename, gazetteer=gazetteer, orgs=orgs, vocab=vocab, org=org, sheet=sheet,
                            date_order=date_order, max_bytes=max_bytes, today=today, period=period,
                            reporting_org=reporting_org, confirmed=confirmed,
                            strict=config.strict_vocabulary() if strict is None else strict,
                            column_map=column_map, saved_layouts=saved_layouts)
    finally:
        if gc_was_on:
            gc.enable()


def _reader_issues(name: str, book, layout: Layout) -> list[Issue]:
    """What the reader found about the file itself: a sheet read only over its data range, the encoding a CSV
    was decoded with, formulas saved without a result (read as empty, so the row would lose a value)."""
    sheet = layout.sheet
    out = [Issue(name, sheet.name, None, None, None, "warning", note, None) for note in sheet.notes]
    labels = {c.index: c.label for c in layout.columns}
    for row0, col0 in sheet.uncalculated:
        if row0 < layout.data_start:
            continue
        label = labels.get(col0, column_letter(col0))
        out.append(Issue(name, sheet.name, row0 + 1, label, None, "error",
                         f"Row {row0 + 1}, column {label}: this cell holds a formula Excel has not calculated, so "
                         "it has no value to read.",
                         "Open and save the file in Excel (or LibreOffice) so that it stores the result, then upload "
                         "it again; or replace the formula by its value."))
    return out


def _read_return(data: bytes, filename: str, *, gazetteer: Gazetteer, orgs: list[dict] | None,
                 vocab: Vocabularies | None, org: str | None, sheet: str | None, date_order: str,
                 max_bytes: int | None, today: dt.date | None, period: tuple[dt.date, dt.date] | None,
                 reporting_org: str | None, confirmed: dict[str, dict[str, str]] | None,
                 strict: bool, column_map: Any = None, saved_layouts: Sequence = ()) -> IngestResult:
    name = PurePath(filename or "return").name
    book = read_book(data, name, max_bytes=max_bytes)
    layout = choose_layout(book, sheet)
    proposed = {c.index: (c.field, c.method) for c in layout.columns}
    used_layout, absent = column_layouts.settle(layout, column_map, saved_layouts)
    vocab = vocab or load_vocabularies()
    checker = _Checker(name, layout, gazetteer=gazetteer, orgs=orgs, vocab=vocab, org=org,
                       date_order=date_order if date_order in ("dmy", "mdy") else "dmy", today=today or dt.date.today(),
                       period=period, reporting_org=reporting_org, confirmed=confirmed, strict=strict)
    width = max((c.index for c in layout.columns), default=0) + 1
    rows = [(r, cells if len(cells) >= width else cells + [None] * (width - len(cells)))
            for r, cells in enumerate(layout.sheet.rows[layout.data_start:], start=layout.data_start + 1)
            if any(cells) or cells.count(None) + cells.count("") < len(cells)]  # skip entirely blank rows
    checker.run(rows)
    if absent:
        checker.issues.append(Issue(name, layout.sheet.name, None, None, None, "warning",
                                    f"The layout names column(s) this file does not have: {', '.join(absent)}.",
                                    "Check the file's header row, or save a layout for this file."))
    reader_issues = _reader_issues(name, book, layout)
    if reader_issues:
        blocked = {i.row for i in reader_issues if i.severity == "error"}
        checker.records = [r for r in checker.records if r["_row"] not in blocked]
        checker.issues.extend(reader_issues)
    n_rows = len(rows) - checker.skipped
    if n_rows == 0:
        checker.issues.append(Issue(name, layout.sheet.name, layout.data_start + 1, None, None, "error",
                                    f"Sheet {layout.sheet.name!r} has a header but no activity rows below it.",
                                    "Add one row per activity under the header row."))
    if not sheet:
        for other, count in other_activity_sheets(book, layout):
            checker.issues.append(Issue(
                name, other, None, None, None, "warning",
                f"Sheet {other!r} also has {count} row(s) that look like activities, but only sheet "
                f"{layout.sheet.name!r} was read.",
                "Put all activities on one sheet, or upload each sheet as its own return."))
    order = {c.label: c.index for c in layout.columns}
    checker.issues.sort(key=lambda i: (i.row or 0, order.get(i.column or "", -1)))
    head = layout.sheet.rows[layout.data_start:layout.data_start + 200]
    columns = [{"header": c.header, "letter": c.letter, "field": c.field, "method": c.method, "hxl": c.hxl,
                "key": column_layouts.column_key(layout.columns, c), "sample": column_layouts.samples(head, c.index),
                "proposed": proposed.get(c.index, (None, None))[0]} for c in layout.columns]
    for c in columns:
        c["why"] = column_layouts.why(c)
    unknown = [c.header for c in layout.columns if not c.field]
    return IngestResult(name, layout.sheet.name, columns, n_rows, checker.records, checker.issues, unknown,
                        header_row=max(layout.header_rows) + 1, defaults=checker.defaults,
                        offlist=checker.offlist_values(), queued=checker.queued,
                        signature=column_layouts.header_signature(c.header for c in layout.columns),
                        layout=used_layout)
