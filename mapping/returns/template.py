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
from collections.abc import Callable
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

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


def _activities_sheet(wb: Workbook, names: dict[str, str], activities: pd.DataFrame | None) -> int:
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
    n = 0
    if activities is not None and len(activities):
        cols = [f.name for f in FIELDS]
        for n, rec in enumerate(activities.to_dict("records"), start=1):
            for c, name in enumerate(cols, start=1):
                value = _cell_value(rec.get(name))
                if name == "scope" and value == "province":
                    value = "province-wide"
                if value is None:
                    continue
                cell = ws.cell(FIRST_DATA_ROW + n - 1, c, value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text, never a formula
    last = FIRST_DATA_ROW + n + BLANK_ROWS - 1
    for f in FIELDS:
        col = _col(f.name)
        for r in range(FIRST_DATA_ROW, last + 1):
            if f.kind == "date":
                ws[f"{col}{r}"].number_format = "DD/MM/YYYY"
            elif f.kind in ("int", "number"):
                ws[f"{col}{r}"].number_format = "#,##0"
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
    return n


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
                   add_sheets: Callable[[Workbook], None] | None = None) -> bytes:
    """The template as .xlsx bytes (same inputs give the same bytes); `add_sheets` may add sheets of its own."""
    vocab = vocab or load_vocabularies()
    wb = Workbook()
    wb.remove(wb.active)
    names = _lists_sheet(wb, vocab, units)
    prefilled = _activities_sheet(wb, names, activities)
    _instructions(wb, vocab, units, org, prefilled, title)
    if add_sheets is not None:
        add_sheets(wb)
    wb.active = wb.sheetnames.index(ACTIVITIES)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == ACTIVITIES
    wb.properties.creator = "Stocktake"
    wb.properties.title = title or "Stocktake return template"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    return stable_xlsx(wb)


def stable_xlsx(wb: Workbook) -> bytes:
    """Save with fixed timestamps (zip entries and document properties) so equal content gives equal bytes."""
    wb.properties.created = FIXED_TIME
    wb.properties.creator = "Stocktake"
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6]), data,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
