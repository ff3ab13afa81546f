"""Read a focal point's return, map its columns, normalise and check every row, match places to p-codes.

The output is what the focal point needs to fix the file without help: every problem names the Excel row,
the column as written, the value, what is wrong and how to fix it. Nothing is dropped without an issue;
only an entirely blank row is skipped silently. Files that cannot be read at all raise `ReturnError`.
What each field's value means is decided in `checks` (one function per field); this module reads the sheet,
runs those checks once per distinct value and ties their findings to rows.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Mapping, Sequence
from itertools import compress
from operator import itemgetter
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from mapping import config
from mapping.returns import checks
from mapping.returns import layouts as column_layouts
from mapping.returns.checks import NOTHING, Context, Finding, Outcome
from mapping.returns.normalise import VocabIndex, is_empty, read_number, text_of
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
from mapping.returns.vocabulary import VOCAB_FIELDS

if TYPE_CHECKING:  # pragma: no cover
    from mapping.geo.gazetteer import Gazetteer

__all__ = ["IngestResult", "ReturnError", "read_return"]

# Fields whose presence makes a row an activity (a row with only remarks or an ID is not one).
SUBSTANTIVE = ("project", "sector", "subsector", "activity", "modality", "adm1_name", "adm1_pcode", "adm2_name",
               "adm2_pcode", "status", "start_date", "end_date", "targeted", "reached", "budget", "org_impl",
               "org_funder", "beneficiary_group", "scope", "org_lead", "targeted_hh", "reached_hh")
# Problems a row can wait with in the review queue (the secretariat settles them by value: a place, a date, a
# listed value). Any other error keeps the return out, as before: another organisation's row, a row that is no
# activity, and numbers, which only the focal point can read right (is '1.500' fifteen hundred or one and a half?).
QUEUEABLE = frozenset({"adm1_name", "adm2_name", "adm2_pcode", "scope", "start_date", "end_date", "sector",
                       "subsector", "status", "org_type", "modality"})
NUMBER_FIELDS = ("targeted", "reached", "targeted_hh", "reached_hh", "budget")
READ_SHARE = 0.5  # of the progress bar: reading the file (in the reader process) against checking its rows


def _per_value(values: list | tuple, fn: Callable[[Any], Any]) -> tuple[list, dict]:
    """`fn` once per distinct value (returns repeat the same names and words thousands of times);
    returns the outcome per row and the distinct outcomes."""
    try:
        distinct = set(values)
        if bool in set(map(type, distinct)):  # TRUE shares its key with 1 (and FALSE with 0)
            raise TypeError
    except TypeError:  # an unhashable cell value, or a boolean
        out = [fn(v) for v in values]
        return out, dict(enumerate(out))
    outcome = {v: fn(v) for v in distinct}
    return list(map(outcome.__getitem__, values)), outcome


def _texts(column: tuple, cache: dict) -> list[str | None]:
    """A column Stocktake has no field for, as the text of each cell (None for every kind of empty), each
    distinct value converted once."""
    texts, _ = _per_value(column, lambda v: None if _blank(v, cache) else text_of(v))
    return texts


def _column(columns: list[tuple], index: int, cache: dict) -> list:
    """One column's values, with every kind of empty ('', spaces, 'N/A', '-') as None."""
    values = list(columns[index])
    try:
        blanks = dict.fromkeys(v for v in set(values) if v is not None and _blank(v, cache))
    except TypeError:
        return [None if _blank(v, cache) else v for v in values]
    return list(map(blanks.get, values, values)) if blanks else values  # a blank maps to None, the rest to itself


Progress = Callable[[float, str], None]  # (fraction done, what is being done): for a progress bar


class _Checker:
    """Runs the checks of one sheet column by column: each distinct value (or combination, for places and
    organisations) is understood once by its check, then the outcome is applied to every row holding it."""

    def __init__(self, filename: str, layout: Layout, *, gazetteer: Gazetteer, orgs: list[dict] | None,
                 vocab: Vocabularies, org: str | None, date_order: str, today: dt.date,
                 period: tuple[dt.date, dt.date] | None = None, reporting_org: str | None = None,
                 confirmed: dict[str, dict[str, str]] | None = None, strict: bool = False):
        self.file, self.layout = filename, layout
        self.sheet = layout.sheet.name
        self.by_field: dict[str, Column] = {c.field: c for c in layout.columns if c.field}
        org_index = OrgIndex(_with_confirmed_names(orgs, (confirmed or {}).get("org_name")),
                             gazetteer.place_names() if gazetteer is not None else ())
        self.ctx = Context(gazetteer, vocab, VocabIndex(vocab, confirmed), org_index, have_orgs=orgs is not None,
                           own=_own_org(org_index, org), date_order=date_order, today=today, strict=strict,
                           pcode_column="adm2_pcode" in self.by_field)
        self.issues: list[Issue] = []
        self.repeats: dict[str, list[int]] = {}  # message said once per value -> the later rows that carry it
        self.records: list[dict] = []  # rows free of errors
        self.queued: list[dict] = []  # rows with errors that can wait for review: record + "_queue" problems
        self.row_errors: dict[int, list[tuple]] = {}  # row index -> (field, value as written, message) of each error
        self.excel_rows: list[int] = []
        self.row_records: list[dict] = []  # one record per activity row, errors or not
        self.has_error: list[bool] = []
        self.columns: dict[str, list] = {}  # field -> the kept rows' values as written (blanks as None)
        self.skipped = 0
        self.period, self.reporting_org = period, reporting_org
        self.defaults: list[dict] = []  # each stated default once: {"field", "rule", "rows"}

    @property
    def own(self) -> dict | None:
        return self.ctx.own

    # ------------------------------------------------------------------ findings to issues
    def add(self, k: int, finding: Finding) -> None:
        """Tie a finding to the k-th activity row: an issue on its Excel row, in the column it names. A warning
        said once per value becomes one issue, at its first row; later rows are only listed (see _once_per_value)."""
        if finding.severity == "warning" and (finding.message in self.ctx.offlist or finding.message in self.ctx.once):
            later = self.repeats.get(finding.message)
            if later is not None:
                later.append(self.excel_rows[k])
                return
            self.repeats[finding.message] = []
        fname = finding.field
        col = self.by_field.get(fname) if fname else None
        if col is None and fname == "adm2_name":
            col = self.by_field.get("adm1_name")
        value = finding.value
        self.issues.append(Issue(self.file, self.sheet, self.excel_rows[k], col.label if col else None,
                                 None if value is None or value == "" else text_of(value),
                                 finding.severity, finding.message, finding.suggestion, fname))
        if finding.severity == "error":
            self.has_error[k] = True
            self.row_errors.setdefault(k, []).append((fname, None if value is None else text_of(value),
                                                      finding.message))

    def apply(self, values: list, check: Callable[[Any], Outcome]) -> None:
        """Understand each distinct value with `check`, then give every row its outcome."""
        outcomes, distinct = _per_value(values, check)
        for rec, outcome in zip(self.row_records, outcomes, strict=True):
            if outcome is not NOTHING and outcome.update:
                rec.update(outcome.update)
        if any(o.findings for o in distinct.values()):
            for k, outcome in enumerate(outcomes):
                for finding in outcome.findings:
                    self.add(k, finding)

    def set_column(self, fname: str, values: list) -> None:
        """A plain text column: no checks, the value as written (spaces tidied)."""
        texts, _ = _per_value(values, lambda v: None if v is None else text_of(v))
        for rec, text in zip(self.row_records, texts, strict=True):
            if text is not None:
                rec[fname] = text

    def column(self, fname: str) -> list:
        return self.columns.get(fname) or [None] * len(self.row_records)

    # ------------------------------------------------------------------ all rows
    def run(self, rows: list[tuple[int, list]], progress: Progress | None = None) -> None:
        """The steps, in order: read the columns, keep the activity rows, check field by field, then whole rows.

        `rows` is consumed (emptied once its columns are read: a national file's cells are then held once), and
        `progress(fraction, what)` hears of each step, for a progress bar."""
        steps: list[tuple[str, Callable[[], None]]] = [
            ("organisations", self._organisations), ("text fields", self._plain_fields), ("sectors", self._sectors),
            ("statuses and modalities", self._terms), ("places", self._places), ("dates", self._dates),
            ("numbers", self._numbers), ("other columns", self._extra_columns),
            ("repeated rows", self._duplicates), ("values said once", self._once_per_value)]
        report = progress or (lambda fraction, what: None)
        report(0.0, "Reading the columns")
        self._activity_rows(rows)
        rows.clear()
        for done, (what, step) in enumerate(steps, start=1):
            report(done / (len(steps) + 1), f"Checking {what}")
            step()
        report(1.0, "Checked")

    def _sectors(self) -> None:
        self.apply(list(zip(self.column("sector"), self.column("subsector"), strict=True)),
                   lambda key: checks.check_sector(self.ctx, key))

    def _terms(self) -> None:
        for fname in ("status", "org_type", "modality"):
            if fname in self.columns:
                self.apply(self.columns[fname], lambda v, fname=fname: checks.check_term(self.ctx, fname, v))

    def _places(self) -> None:
        places = list(zip(*map(self.column, ("adm1_name", "adm2_name", "adm2_pcode", "adm1_pcode", "scope")),
                          strict=True))
        self.apply(places, lambda key: checks.check_location(self.ctx, key))

    def _activity_rows(self, rows: list[tuple[int, list]]) -> None:
        """The mapped columns of the rows that hold an activity, and the other columns' text; a row with only
        remarks or an ID is an error, one with only spaces or 'N/A' is skipped."""
        mapped = [(c.field, c.index) for c in self.layout.columns if c.field]
        extras = [(c.header, c.index) for c in self.layout.columns if not c.field]
        clean: dict = {}
        n_all = len(rows)
        grid = list(zip(*map(itemgetter(1), rows))) if rows else []
        raw = {f: _column(grid, i, clean) if rows else [] for f, i in mapped}
        extra_texts = [_texts(grid[i], clean) if rows else [] for _, i in extras]
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
            extra_texts = [list(compress(texts, keep)) for texts in extra_texts]
        self.excel_rows = [r for r, _ in kept]
        self.has_error = [False] * len(kept)
        self.row_records = [{"_row": r} for r in self.excel_rows]
        self.columns = raw
        # the other columns as text, each distinct value converted once (a national 5W has dozens of them)
        self.extra_headers = [h for h, _ in extras]
        self.extra_texts = extra_texts

    def _organisations(self) -> None:
        """The reporting organisation (with its acronym) and the partners, each matched to the list."""
        self.apply(list(zip(self.column("org_name"), self.column("org_acronym"), strict=True)),
                   lambda key: checks.check_org(self.ctx, key))
        for fname in ("org_impl", "org_funder", "org_lead"):
            if fname in self.columns:
                self.apply(self.columns[fname], lambda v, fname=fname: checks.check_partner(self.ctx, fname, v))

    def _plain_fields(self) -> None:
        """Text fields: as written, or checked for their shape (an e-mail address, a currency, a p-code)."""
        for f in FIELDS:
            if f.kind in ("text", "email", "pcode") and f.name in self.columns and not f.name.startswith(("org_", "adm")):
                if f.kind == "text" and f.name != "currency":
                    self.set_column(f.name, self.columns[f.name])
                else:
                    self.apply(self.columns[f.name], lambda v, f=f: checks.check_text(f.name, f.kind, v))

    def _extra_columns(self) -> None:
        """Columns Stocktake has no field for are kept with each row, as written."""
        if not self.extra_headers:
            return
        headers = self.extra_headers
        for rec, texts in zip(self.row_records, zip(*self.extra_texts), strict=True):
            extra = {h: t for h, t in zip(headers, texts) if t is not None} if None in texts else dict(zip(headers, texts))
            if extra:
                rec["extra"] = extra | rec.get("extra", {})
        self.extra_texts = []

    def _once_per_value(self) -> None:
        """A value missing from a list (an organisation, a sector ...), or read by close spelling, is said once,
        at its first row, with the other rows and their count, not on every row: thousands of rows may carry it."""
        offlist, more = self.ctx.offlist, self.repeats
        first = {i.message: i for i in self.issues if i.message in more and i.severity == "warning"}
        for message, rows in more.items():
            if message not in offlist:
                if rows:
                    listed = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
                    what = self.ctx.once_noun.get(message, "value")
                    first[message].message = f"{message} The same {what} is on {len(rows):,} more row(s): {listed}."
                continue
            entry = offlist[message]
            entry["rows"], entry["first_row"] = len(rows) + 1, first[message].row
            if rows:
                noun = "name" if entry["field"] == "org_name" else "value"
                listed = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
                first[message].message = f"{message} The same {noun} is on rows {listed}."

    def offlist_values(self) -> list[dict]:
        """Each off-list value once: field, value, rows, first_row, suggestion, confidence, how."""
        return sorted((e for e in self.ctx.offlist.values() if "rows" in e),
                      key=lambda e: (VOCAB_FIELDS.index(e["field"]), -e["rows"], e["value"]))

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
        ref = min(self.ctx.today, self.period[1]) if self.period else self.ctx.today
        counts = {"planned": 0, "ongoing": 0, "completed": 0, "undated": 0}
        for rec in self.row_records:
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
                else f"today ({self.ctx.today:%d/%m/%Y})")
        split = ", ".join(f"{v} {k}" for k, v in counts.items() if v and k != "undated")
        self.defaults.append({"field": "status", "rows": len(self.row_records), "rule": (
            f"No Status column: each status is derived from the dates against {when}"
            + (f" ({split})" if split else "") + "."
            + (f" {counts['undated']} row(s) without dates are read as ongoing." if counts["undated"] else "")
            + " Derived statuses are marked as such in the stored data.")})

    # ------------------------------------------------------------------ dates and numbers
    def _dates(self) -> None:
        for fname in ("start_date", "end_date"):
            self.apply(self.column(fname), lambda v, fname=fname: checks.check_date(self.ctx, fname, v))
        ends = self.column("end_date")
        for k, rec in enumerate(self.row_records):
            finding = checks.check_dates_in_order(rec, ends[k])
            if finding:
                self.add(k, finding)
        if "status" not in self.columns:
            self._derive_status()

    def _numbers(self) -> None:
        for fname in NUMBER_FIELDS:
            if fname in self.by_field:
                self.apply(self.column(fname), lambda v, fname=fname: checks.check_number(self.ctx, fname, v))
        reached = self.column("reached")
        for k, rec in enumerate(self.row_records):
            if "_currency" in rec:
                cur = rec.pop("_currency")
                rec.setdefault("currency", cur)
            unclear = rec.pop("_currency_unclear", None)
            if unclear is not None and not rec.get("currency"):  # a Currency column already says which
                self.add(k, unclear)
            finding = checks.check_reached(rec, reached[k])
            if finding:
                self.add(k, finding)

    # ------------------------------------------------------------------ whole rows
    def _duplicates(self) -> None:
        """Rows with errors wait in the review queue (when every error can) or stay out; an exact repeat of an
        earlier row, or a reused activity ID, is a warning."""
        seen: dict[int, list[int]] = {}  # hash of a row's content -> the rows first holding content of that hash
        ids: dict[str, int] = {}
        provinces = self.columns.get("adm1_name")
        for k, rec in enumerate(self.row_records):
            if self.has_error[k]:
                problems = self.row_errors.get(k, [])
                if problems and all(f in QUEUEABLE for f, _, _ in problems):
                    province = provinces[k] if provinces else None
                    self.queued.append(rec | {"_queue": [list(p) for p in problems],
                                              "_province": None if province is None else text_of(province)})
                continue
            row = rec["_row"]
            key = _content(rec)
            firsts = seen.setdefault(hash(key), [])
            first = next((self.row_records[j]["_row"] for j in firsts if _content(self.row_records[j]) == key), None)
            if first is None:
                firsts.append(k)
                first = row
            if first != row:
                self.add(k, Finding(None, None, "warning", f"Row {row} repeats row {first} exactly; it would be "
                                    "counted twice.", "Delete one of the two rows, or tell them apart (district, "
                                    "activity or dates)."))
            aid = rec.get("activity_id")
            if aid:
                prev = ids.setdefault(aid, row)
                if prev != row and first == row:
                    self.add(k, Finding("activity_id", aid, "warning",
                                        f"Activity ID {aid} is also used on row {prev}; each activity needs its own ID.",
                                        "Leave the ID empty on new activities; Stocktake assigns one."))
            self.records.append(rec)


def _content(rec: dict) -> tuple:
    """What makes two rows the same activity: every field and every other column, as read (rebuilt when needed
    rather than kept for each of 91,000 rows)."""
    extra = rec.get("extra")
    return (*map(rec.get, FIELD_NAMES), tuple(extra), tuple(extra.values())) if extra else tuple(map(rec.get, FIELD_NAMES))


def _own_org(orgs: OrgIndex, org: str | None) -> dict | None:
    """The submitting organisation as the list knows it (or as named, when the list does not)."""
    if not org:
        return None
    return orgs.find(org) or {"name": org, "acronym": None, "type": None, "aliases": []}

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
                saved_layouts: Sequence[column_layouts.SavedLayout] = (), max_cells: int | None = None,
                progress: Progress | None = None) -> IngestResult:
    """Read, map, normalise, validate and match one return. `ReturnError` when the file cannot be read at all.

    `column_map` (source header -> canonical field, None for a column not to read, or a saved layout) overrides
    how the columns were recognised; without it, the first of `saved_layouts` whose headers are the file's is
    applied (see `returns.layouts`).

    `period` is the round's (start, end), against which a missing status is derived; `reporting_org` names the
    partner column ("org_lead" or "org_impl") that stands for the reporting organisation in a consolidated file
    without one. `confirmed` holds the vocabulary aliases people confirmed (field -> value -> canonical); `strict`
    (default: STOCKTAKE_STRICT_VOCABULARY) makes an off-list sector or status an error instead of a warning.
    `max_cells` is the cell cap of an admin's consolidated file; `progress(fraction, what)` hears how far the
    reading and checking have come (a national file takes seconds)."""
    gc_was_on = gc.isenabled()
    gc.disable()  # a big return is hundreds of thousands of small objects and no cycles: the collector only costs
    try:
        return _read_return(data, filename, gazetteer=gazetteer, orgs=orgs, vocab=vocab, org=org, sheet=sheet,
                            date_order=date_order, max_bytes=max_bytes, today=today, period=period,
                            reporting_org=reporting_org, confirmed=confirmed,
                            strict=config.strict_vocabulary() if strict is None else strict,
                            column_map=column_map, saved_layouts=saved_layouts, max_cells=max_cells,
                            progress=progress)
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
                 strict: bool, column_map: Any = None, saved_layouts: Sequence = (),
                 max_cells: int | None = None, progress: Progress | None = None) -> IngestResult:
    name = PurePath(filename or "return").name
    report = progress or (lambda fraction, what: None)
    report(0.0, f"Reading {name}")
    book = read_book(data, name, max_bytes=max_bytes, max_cells=max_cells)
    report(READ_SHARE, "Finding the header")
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
    n_read = len(rows)
    head = layout.sheet.rows[layout.data_start:layout.data_start + 200]  # each column's sample values
    del layout.sheet.rows[layout.data_start:]  # the checker holds the data rows from here on, and lets them go
    checker.run(rows, lambda fraction, what: report(READ_SHARE + (1 - READ_SHARE) * fraction, what))
    if absent:
        checker.issues.append(Issue(name, layout.sheet.name, None, None, None, "warning",
                                    f"The layout names column(s) this file does not have: {', '.join(absent)}.",
                                    "Check the file's header row, or save a layout for this file."))
    reader_issues = _reader_issues(name, book, layout)
    if reader_issues:
        blocked = {i.row for i in reader_issues if i.severity == "error"}
        checker.records = [r for r in checker.records if r["_row"] not in blocked]
        checker.issues.extend(reader_issues)
    n_rows = n_read - checker.skipped
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
                        layout=used_layout, reader_peak_mb=book.peak_mb, reader_cpu_seconds=book.cpu_seconds)
