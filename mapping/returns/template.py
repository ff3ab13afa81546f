"""The Excel return template: the easiest way to send a return Stocktake reads without a single warning.

Dropdowns come from the deployment's vocabularies and boundary set, so a focal point picks values instead of
typing them; the district list follows the chosen province (and the sub-sector list the chosen sector)
through named ranges. With an organisation's current activities the template is pre-filled, each row with
its activity ID, so last round's return is edited rather than retyped.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.compat import safe_string
from openpyxl.compat.numbers import NUMERIC_TYPES
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from mapping.returns.schema import FIELDS, REPLACEMENT_RULE, Vocabularies, load_vocabularies
from mapping.returns.strategy import load_framework

ACTIVITIES = "Activities"
LISTS = "Lists"
FIRST_DATA_ROW = 3
BLANK_ROWS = 500
SCOPE_CHOICES = ("district", "province-wide", "national")
FIXED_TIME = dt.datetime(2024, 1, 1)
WIDTHS = {"text": 22, "vocab": 20, "date": 12, "int": 14, "number": 14, "email": 26, "pcode": 11}
WIDE = {"org_name": 30, "activity": 40, "project": 28, "remarks": 30, "subsector": 30, "sector": 26, "strategy": 40}
HEADER_FILL = PatternFill("solid", start_color="1F4E79", end_color="1F4E79")
HXL_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
REQUIRED_FILL = PatternFill("solid", start_color="C00000", end_color="C00000")
DATE_FORMAT, NUMBER_FORMAT = "DD/MM/YYYY", "#,##0"


def defined_name(prefix: str, text: str, index: int) -> str:
    """A valid, unique Excel defined name for a list ('Khyber Pakhtunkhwa' -> 'D_03_Khyber_Pakhtunkhwa').

    The index keeps names unique after sanitising; the prefix keeps them from looking like cell references.
    """
    slug = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_")[:40] or "x"
    return f"{prefix}_{index:02d}_{slug}"


def _col(field: str) -> str:
    return get_column_letter([f.name for f in FIELDS].index(field) + 1)


def _add_name(wb: Workbook, name: str, sheet: str, col: int, first: int, last: int) -> None:
    letter = get_column_letter(col)
    ref = f"{quote_sheetname(sheet)}!${letter}${first}:${letter}${max(first, last)}"
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


def _lists_sheet(wb: Workbook, vocab: Vocabularies, units: pd.DataFrame | None) -> dict[str, str]:
    """Hidden sheet of every dropdown's values; returns the defined names of the main lists."""
    ws = wb.create_sheet(LISTS)
    ws.sheet_state = "hidden"
    names: dict[str, str] = {}
    simple = [("Sectors", vocab.sector_names), ("OrgTypes", list(vocab.org_types)),
              ("Statuses", list(vocab.statuses)), ("Modalities", list(vocab.modalities)),
              ("Scopes", list(SCOPE_CHOICES))]
    framework = load_framework()
    if framework is not None:
        simple.append(("Strategy", framework.dropdown()))
    provinces: list[str] = []
    by_province: dict[str, list[str]] = {}
    if units is not None and len(units):
        u = units.dropna(subset=["adm1_name", "adm2_name"]).sort_values(["adm1_name", "adm2_name"])
        provinces = list(dict.fromkeys(u["adm1_name"].astype(str)))
        for prov, group in u.groupby("adm1_name", sort=True):
            by_province[str(prov)] = list(dict.fromkeys(group["adm2_name"].astype(str)))
        simple.append(("Provinces", provinces))
    col = 1
    for name, values in simple:
        ws.cell(1, col, name)
        for i, v in enumerate(values, start=2):
            ws.cell(i, col, v)
        _add_name(wb, name, LISTS, col, 2, len(values) + 1)
        names[name] = name
        col += 1
    # key tables: list value -> defined name of its dependent list (INDIRECT(VLOOKUP(...)))
    for key_name, prefix, groups in (
        ("SectorKeys", "S", {s: vocab.subsectors_of(s) for s in vocab.sector_names}),
        ("ProvinceKeys", "D", by_province),
    ):
        if not groups:
            continue
        ws.cell(1, col, key_name)
        ws.cell(1, col + 1, "list name")
        for i, (value, _) in enumerate(groups.items(), start=1):
            ws.cell(i + 1, col, value)
            ws.cell(i + 1, col + 1, defined_name(prefix, value, i))
        first, last = get_column_letter(col), get_column_letter(col + 1)
        ref = f"{quote_sheetname(LISTS)}!${first}$2:${last}${len(groups) + 1}"
        wb.defined_names[key_name] = DefinedName(key_name, attr_text=ref)
        names[key_name] = key_name
        col += 2
        for i, (value, members) in enumerate(groups.items(), start=1):
            ws.cell(1, col, value)
            for j, member in enumerate(members or [""], start=2):
                ws.cell(j, col, member)
            _add_name(wb, defined_name(prefix, value, i), LISTS, col, 2, len(members or [""]) + 1)
            col += 1
    return names


@dataclass(frozen=True)
class SheetRows:
    """Rows written as XML straight into a sheet's file, below the rows openpyxl holds (see `stable_xlsx`)."""

    xml: str
    last_row: int
    last_col: int


@cache
def _letters() -> tuple[str, ...]:
    return tuple(get_column_letter(c) for c in range(1, 16385))


def _style_id(wb: Workbook, number_format: str) -> int:
    """The workbook's style index of a plain cell with this number format (registered if new)."""
    probe = wb.create_sheet("_probe")
    cell = probe.cell(1, 1)
    cell.number_format = number_format
    style = cell.style_id
    wb.remove(probe)
    return style


def _cell_xml(value: Any, style: int, date_style: Callable[[str], int]) -> str:
    """What follows `<c r="A1"` for one value: the style, the type and the value, as openpyxl writes them."""
    value = _cell_value(value)
    s = f' s="{style}"' if style else ""
    if value is None:
        return f"{s}/>" if style else ""
    if isinstance(value, str):
        if not value:
            return f'{s} t="inlineStr"/>'
        if value in ERROR_CODES:
            return f'{s} t="e"><v>{value}</v></c>'
        text = ILLEGAL_CHARACTERS_RE.sub("", value[:32767])
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'{s} t="inlineStr"><is><t{space}>{escape(text).replace(chr(13), "&#13;")}</t></is></c>'
    if isinstance(value, bool):
        return f'{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, NUMERIC_TYPES):
        return f'{s} t="n"><v>{safe_string(value)}</v></c>'
    if isinstance(value, dt.date):
        if not style:  # openpyxl's own format for a date in a column without one
            style = date_style("yyyy-mm-dd h:mm:ss" if isinstance(value, dt.datetime) else "yyyy-mm-dd")
        return f' s="{style}" t="n"><v>{safe_string(to_excel(value))}</v></c>'
    return _cell_xml(str(value), style, date_style)


def _column_xml(values: Sequence[Any], style: int, date_style: Callable[[str], int]) -> list[str]:
    """Each value's `_cell_xml`, worked out once per distinct value (a draft repeats most of its values)."""
    empty = _cell_xml(None, style, date_style)
    seen: dict[Any, str] = {}
    out = []
    for v in values:
        if v is None or v != v:  # NaN, NaT
            out.append(empty)
            continue
        key = v if type(v) is str else (type(v), v)  # 1, 1.0 and True are equal keys but not equal cells
        try:
            tail = seen.get(key)
        except TypeError:  # an unhashable value
            tail = _cell_xml(v, style, date_style)
        if tail is None:
            tail = seen[key] = _cell_xml(v, style, date_style)
        out.append(tail)
    return out


def sheet_rows(wb: Workbook, columns: Sequence[Sequence[Any]], *, first_row: int,
               number_formats: Sequence[str | None] = (), last_row: int | None = None) -> SheetRows:
    """Columns of cell values as sheet XML, as openpyxl would write them, at a fraction of the cost per cell.

    Text is always text (never a formula), as with `data_type = "s"`; a control character a cell cannot
    hold is left out. A column with a number format has it on every row up to `last_row`, blank or not,
    so what a focal point types into the blank rows below is formatted too.
    """
    styles: dict[str, int] = {}

    def style_of(fmt: str) -> int:
        if fmt not in styles:
            styles[fmt] = _style_id(wb, fmt)
        return styles[fmt]

    col_styles = [style_of(fmt) if fmt else 0 for fmt in number_formats]
    col_styles += [0] * (len(columns) - len(col_styles))
    n = max((len(v) for v in columns), default=0)
    last = max(first_row + n - 1, last_row or 0)
    rows = range(first_row, first_row + n)
    letters = _letters()
    cells, width = [], 0
    for c, (values, style) in enumerate(zip(columns, col_styles, strict=False)):
        tails = _column_xml(values, style, style_of)
        if any(tails):
            width, letter = c + 1, letters[c]
            cells.append([f'<c r="{letter}{r}"{t}' if t else "" for r, t in zip(rows, tails, strict=True)])
    out = [f'<row r="{r}">{"".join(row)}</row>' for r, row in zip(rows, zip(*cells, strict=True), strict=True)]
    blank = "".join(f'<c r="{letters[c]}{{0}}" s="{s}"/>' for c, s in enumerate(col_styles) if s)
    if blank:
        out.extend(f'<row r="{r}">{blank.format(r)}</row>' for r in range(first_row + n, last + 1))
        width = max(width, max(c + 1 for c, s in enumerate(col_styles) if s))
    return SheetRows("".join(out), last, width)


def _validation(formula: str, *, strict: bool, prompt: str) -> DataValidation:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False)
    dv.error = prompt
    dv.errorTitle = "Not on the list"
    dv.errorStyle = "stop" if strict else "warning"
    dv.showErrorMessage = True
    return dv


def _cell_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    return value


def _activity_columns(activities: pd.DataFrame) -> list[list[Any]]:
    """The frame's columns in template order (a column the frame lacks stays empty)."""
    blank = [None] * len(activities)
    columns = [activities[f.name].tolist() if f.name in activities.columns else blank for f in FIELDS]
    scope = [f.name for f in FIELDS].index("scope")
    columns[scope] = ["province-wide" if v == "province" else v for v in columns[scope]]
    return columns


def _activities_sheet(wb: Workbook, names: dict[str, str], activities: pd.DataFrame | None) -> SheetRows:
    """Headers, widths, dropdowns and comments through openpyxl; the rows below as XML (`sheet_rows`).

    A draft from a large IATI file has some 16,000 rows: one openpyxl cell object per value and per
    formatted blank cell took about 20 s to build and save, writing the same cells as text takes well
    under one.
    """
    ws = wb.create_sheet(ACTIVITIES, 0)
    for c, f in enumerate(FIELDS, start=1):
        head = ws.cell(1, c, f.header)
        head.font = Font(bold=True, color="FFFFFF")
        head.fill = REQUIRED_FILL if f.required else HEADER_FILL
        head.alignment = Alignment(wrap_text=True, vertical="center")
        head.comment = Comment(f.description + (" Required." if f.required else ""), "Stocktake")
        tag = ws.cell(2, c, f.hxl)
        tag.fill, tag.font = HXL_FILL, Font(italic=True, color="44546A", size=9)
        ws.column_dimensions[get_column_letter(c)].width = WIDE.get(f.name, WIDTHS.get(f.kind, 16))
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "B3"
    n = len(activities) if activities is not None else 0
    last = FIRST_DATA_ROW + n + BLANK_ROWS - 1
    formats = [DATE_FORMAT if f.kind == "date" else NUMBER_FORMAT if f.kind in ("int", "number") else None
               for f in FIELDS]
    rows = sheet_rows(wb, _activity_columns(activities) if n else [], first_row=FIRST_DATA_ROW,
                      number_formats=formats, last_row=last)
    rng = lambda field: f"{_col(field)}{FIRST_DATA_ROW}:{_col(field)}{last}"  # noqa: E731
    checks = [("sector", "=Sectors", True, "Choose a sector from the list."),
              ("org_type", "=OrgTypes", False, "Choose an organisation type from the list."),
              ("status", "=Statuses", True, "Choose planned, ongoing, completed or suspended."),
              ("modality", "=Modalities", False, "Choose a modality from the list."),
              ("scope", "=Scopes", True, "Choose district, province-wide or national.")]
    if "SectorKeys" in names:
        s = f"{_col('sector')}{FIRST_DATA_ROW}"
        checks.append(("subsector", f"=INDIRECT(VLOOKUP({s},SectorKeys,2,FALSE))", False,
                       "Choose a sub-sector of the chosen sector."))
    if "Strategy" in names:
        checks.append(("strategy", "=Strategy", False, "Choose the objective or policy action of the strategy "
                                                       "this activity supports."))
    if "Provinces" in names:
        checks.append(("adm1_name", "=Provinces", True, "Choose a province from the list."))
    if "ProvinceKeys" in names:
        p = f"{_col('adm1_name')}{FIRST_DATA_ROW}"
        checks.append(("adm2_name", f"=INDIRECT(VLOOKUP({p},ProvinceKeys,2,FALSE))", False,
                       "Choose a district of the chosen province (pick the province first)."))
    for field, formula, strict, prompt in checks:
        dv = _validation(formula, strict=strict, prompt=prompt)
        ws.add_data_validation(dv)
        dv.add(rng(field))
    num = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    num.error, num.errorTitle, num.showErrorMessage = "Write a number of 0 or more.", "Not a number", True
    ws.add_data_validation(num)
    for field in ("targeted", "reached", "budget"):
        num.add(rng(field))
    date = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
    date.error, date.errorTitle, date.showErrorMessage = "Write a date, e.g. 31/12/2025.", "Not a date", True
    date.errorStyle = "warning"
    ws.add_data_validation(date)
    for field in ("start_date", "end_date"):
        date.add(rng(field))
    return rows


def _example(vocab: Vocabularies, units: pd.DataFrame | None) -> dict[str, Any]:
    sector = vocab.sector_names[0] if vocab.sectors else "Health"
    subs = vocab.subsectors_of(sector)
    prov = dist = None
    if units is not None and len(units):
        row = units.sort_values(["adm1_name", "adm2_name"]).iloc[0]
        prov, dist = str(row["adm1_name"]), str(row["adm2_name"])
    return {"org_name": "Your organisation", "org_acronym": "ABC", "org_type": (vocab.org_types or ("",))[0],
            "project": "Programme name", "sector": sector, "subsector": subs[0] if subs else None,
            "activity": "What is done, in a few words", "modality": (vocab.modalities or ("",))[0],
            "adm1_name": prov or "Province", "adm2_name": dist or "District", "scope": "district",
            "status": "ongoing", "start_date": dt.date(2025, 1, 1), "end_date": dt.date(2025, 12, 31),
            "targeted": 12500, "reached": 4000, "beneficiary_group": "Women-headed households",
            "budget": 250000, "currency": "USD", "remarks": "Anything else worth knowing"}


def _instructions(wb: Workbook, vocab: Vocabularies, units: pd.DataFrame | None, org: str | None,
                  prefilled: int, title: str | None) -> None:
    ws = wb.create_sheet("Instructions", 0)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 90
    ws["A1"] = title or "Stocktake return: who does what where"
    ws["A1"].font = Font(bold=True, size=14)
    lines = [
        "One row per activity per district, in the Activities sheet. Do not change the first two rows "
        "(column names and HXL tags).",
        "Pick sector, sub-sector, status, province and district from the dropdowns; choose the province "
        "before the district.",
        "An activity covering a whole province: leave District empty and choose 'province-wide' in Location "
        "scope; for the whole country choose 'national'.",
        "Dates as day/month/year. Numbers without text (12500, not '12.5k people').",
        "Keep the Activity ID of existing activities; leave it empty for new ones.",
        REPLACEMENT_RULE,
        "Upload the file in Stocktake: you get a row-by-row report at once and can download this workbook with "
        "the problem cells marked.",
    ]
    if org:
        lines.insert(0, f"Return of {org}" + (f": pre-filled with your {prefilled} current activities. Edit them "
                                              "and add new rows." if prefilled else "."))
    for i, text in enumerate(lines, start=3):
        ws.cell(i, 1, f"{i - 2}. {text}" if not (org and i == 3) else text)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=4)
        ws.cell(i, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = 30
    r = len(lines) + 4
    ws.cell(r, 1, "Example row").font = Font(bold=True)
    example = _example(vocab, units)
    for c, f in enumerate(FIELDS, start=1):
        ws.cell(r + 1, c, f.header).font = Font(bold=True)
        value = example.get(f.name)
        cell = ws.cell(r + 2, c, value)
        if f.kind == "date" and value is not None:
            cell.number_format = "DD/MM/YYYY"
    r += 4
    for c, text in enumerate(("Column", "HXL tag", "Required", "What it means"), start=1):
        ws.cell(r, c, text).font = Font(bold=True)
    for i, f in enumerate(FIELDS, start=r + 1):
        ws.cell(i, 1, f.header)
        ws.cell(i, 2, f.hxl)
        ws.cell(i, 3, "yes" if f.required else ("" if f.name != "adm2_name" else "yes*"))
        ws.cell(i, 4, f.description + (" Shown to signed-in users only." if f.personal else ""))
    ws.cell(r + len(FIELDS) + 2, 1, "* District is required unless Location scope is province-wide or national.")


def build_template(*, vocab: Vocabularies | None = None, units: pd.DataFrame | None = None, org: str | None = None,
                   activities: pd.DataFrame | None = None, title: str | None = None,
                   add_sheets: Callable[[Workbook], dict[str, SheetRows] | None] | None = None) -> bytes:
    """The template as .xlsx bytes (same inputs give the same bytes).

    `add_sheets` may add sheets of its own, and return rows to write into them fast (`sheet_rows`).
    """
    vocab = vocab or load_vocabularies()
    wb = Workbook()
    wb.remove(wb.active)
    names = _lists_sheet(wb, vocab, units)
    bulk = {ACTIVITIES: _activities_sheet(wb, names, activities)}
    _instructions(wb, vocab, units, org, len(activities) if activities is not None else 0, title)
    if add_sheets is not None:
        bulk |= add_sheets(wb) or {}
    wb.active = wb.sheetnames.index(ACTIVITIES)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == ACTIVITIES
    wb.properties.creator = "Stocktake"
    wb.properties.title = title or "Stocktake return template"
    return stable_xlsx(wb, bulk)


def stable_xlsx(wb: Workbook, rows: Mapping[str, SheetRows] | None = None) -> bytes:
    """Save with fixed timestamps (zip entries and document properties) so equal content gives equal bytes.

    `rows` (sheet title -> `sheet_rows`) are written into those sheets below what openpyxl holds.
    """
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.properties.creator = "Stocktake"
    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    buf = io.BytesIO()
    with _StableZip(buf, wb, rows or {}) as archive:
        ExcelWriter(wb, archive).write_data()
    return buf.getvalue()


class _StableZip(zipfile.ZipFile):
    """The archive openpyxl writes into: every entry stamped FIXED_TIME, bulk rows spliced into their sheets.

    Writing the entries once, as they come, replaces re-reading and re-compressing the saved file.
    """

    def __init__(self, buf: io.BytesIO, wb: Workbook, rows: Mapping[str, SheetRows]) -> None:
        super().__init__(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._sheets = [(wb[title], body) for title, body in rows.items()]

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None) -> None:  # noqa: ANN001
        self.writestr(arcname or str(filename), Path(filename).read_bytes())

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None) -> None:  # noqa: ANN001
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        if isinstance(data, str):
            data = data.encode("utf-8")
        for ws, body in self._sheets:
            if ws.path.lstrip("/") == name:
                data = _splice(data, ws, body)
        info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(info, data)


def _splice(xml: bytes, ws, body: SheetRows) -> bytes:  # noqa: ANN001
    """The sheet's XML with the bulk rows after its own and the dimension covering them."""
    head, end, tail = xml.partition(b"</sheetData>")
    if not end:  # a sheet without cells of its own
        head, end, tail = xml.partition(b"<sheetData/>")
        head, end = head + b"<sheetData>", b"</sheetData>"
    ref = f"A1:{get_column_letter(max(ws.max_column, body.last_col))}{max(ws.max_row, body.last_row)}"
    head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), head, count=1)
    return head + body.xml.encode("utf-8") + end + tail
