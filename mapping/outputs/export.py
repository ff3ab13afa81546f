"""Files a partnership group shares outside Stocktake: the dataset (.csv/.xlsx with HXL), matrices, coverage GeoJSON.

Every exported text cell goes through `safe_cell`, because a shared 3W sheet is opened in Excel by people
who never saw the return it came from: a cell such as `=HYPERLINK(...)` typed by a focal point must stay text.
CSV is written as UTF-8 with a byte-order mark so Excel shows Urdu names instead of mojibake. The dataset
keeps a HXL hashtag row under the headers so it can go straight to HDX and come back into Stocktake.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from mapping.analysis.filters import NOT_GIVEN
from mapping.outputs.palette import class_colour_of, text_colour, value_classes
from mapping.returns import schema

# Cells a spreadsheet would read as a formula or a DDE command (OWASP "CSV injection").
_DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_KINDS = ("int", "number")
_DATE_KINDS = ("date",)
TOTAL = "Total"


def safe_cell(value: Any) -> Any:
    """Neutralise a text value a spreadsheet would execute, by prefixing a single quote; numbers pass through."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_FIRST):
        return "'" + value
    return value


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict, set)) else False
    except (TypeError, ValueError):
        return False


def _plain(value: Any, kind: str = "text") -> Any:
    """A cell value as a spreadsheet should hold it: int for whole counts, date for dates, safe text otherwise."""
    if _is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if kind in _DATE_KINDS:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return safe_cell(str(value))
    if kind in _NUMBER_KINDS or isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            f = float(value)
        except (TypeError, ValueError):
            return safe_cell(str(value))
        if not math.isfinite(f):
            return None  # Infinity/NaN are not numbers a spreadsheet or JSON reader accepts
        return int(f) if f.is_integer() else f
    if isinstance(value, (list, tuple, set)):
        return safe_cell("; ".join(str(v) for v in value))
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        return _plain(value.item(), kind)
    return safe_cell(str(value))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def dataset_fields(acts: pd.DataFrame, *, include_contacts: bool = False) -> list[schema.Field]:
    """The schema fields an export carries, in schema order; personal contact fields only when allowed."""
    out = []
    for f in schema.FIELDS:
        if f.personal and (not include_contacts or f.name not in acts.columns):
            continue
        out.append(f)
    return out


REPORTED_IN = ("Reported in", "#meta+reported_in")


def reported_in(acts: pd.DataFrame) -> list[str] | None:
    """Per row: the round it was reported in, or "carried forward from 2026 H1" (None without round data).

    A carried-forward row is last round's data standing in for a partner that has not reported yet; an export
    that dropped the difference would present it as news.
    """
    if "round_name" not in acts.columns:
        return None
    rounds = acts["round_name"].astype(object).where(acts["round_name"].notna(), "").astype(str).tolist()
    carried = (acts["carried_forward"].fillna(False).astype(bool).tolist() if "carried_forward" in acts.columns
               else [False] * len(acts))
    return [f"carried forward from {r}" if c else r for r, c in zip(rounds, carried, strict=True)]


NOT_ON_LIST = ("Not on the list", "#meta+offlist")


def not_on_list(acts: pd.DataFrame) -> list[str] | None:
    """Per row: the fields whose value was kept as written, not on the deployment's lists ("Sector, Status"), or
    None when every value is listed. A reader of the shared sheet must not take "Seguridad alimentaria" for one of
    the lists' sectors."""
    vocab = schema.load_vocabularies()
    marks = [""] * len(acts)
    for name in schema.LISTED_FIELDS:
        if name not in acts.columns:
            continue
        values = acts[name].astype(object)
        text = values.where(values.notna(), "").astype(str).str.strip()
        off = ((text != "") & (text != NOT_GIVEN) & ~text.str.lower().isin(vocab.listed(name))).to_numpy()
        label = schema.FIELD_BY_NAME[name].header
        for i in off.nonzero()[0]:
            marks[i] = f"{marks[i]}, {label}" if marks[i] else label
    return marks if any(marks) else None


def _extra_columns(acts: pd.DataFrame) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """The columns after the schema's: the round each row was reported in, and which values are not on the list."""
    heads, values = [], []
    for head, column in ((REPORTED_IN, reported_in(acts)), (NOT_ON_LIST, not_on_list(acts))):
        if column is not None:
            heads.append(head)
            values.append(column)
    return heads, values


def _dataset_rows(acts: pd.DataFrame, fields: Sequence[schema.Field],
                  extra: Sequence[list[str]] = ()) -> Iterable[list[Any]]:
    cols = {f.name: (acts[f.name].tolist() if f.name in acts.columns else [None] * len(acts)) for f in fields}
    for i in range(len(acts)):
        yield [_plain(cols[f.name][i], f.kind) for f in fields] + [safe_cell(column[i]) for column in extra]


def dataset_csv(acts: pd.DataFrame, *, include_contacts: bool = False) -> bytes:
    """The consolidated dataset as CSV: header row, HXL hashtag row, one row per activity."""
    fields = dataset_fields(acts, include_contacts=include_contacts)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    extra, extra_values = _extra_columns(acts)
    writer.writerow([f.header for f in fields] + [e[0] for e in extra])
    writer.writerow([f.hxl for f in fields] + [e[1] for e in extra])
    for row in _dataset_rows(acts, fields, extra_values):
        writer.writerow([_text(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def dataset_xlsx(acts: pd.DataFrame, *, include_contacts: bool = False, title: str | None = None,
                 data_version: str | None = None, notes: Sequence[str] = ()) -> bytes:
    """The consolidated dataset as .xlsx: first sheet is the data (headers, HXL row, rows) so it re-imports as a
    return; a second sheet says where it came from."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    fields = dataset_fields(acts, include_contacts=include_contacts)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Activities")
    ws.freeze_panes = "A3"
    for i, f in enumerate(fields):
        width = 14 if f.kind in ("date", "int", "number", "pcode") else 22
        ws.column_dimensions[_letter(i + 1)].width = width
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DCE6F1")
    hxl_font = Font(italic=True, color="555555")
    extra, extra_values = _extra_columns(acts)
    header = []
    for text in [f.header for f in fields] + [e[0] for e in extra]:
        c = WriteOnlyCell(ws, value=text)
        c.font, c.fill = bold, head_fill
        header.append(c)
    ws.append(header)
    hxl = []
    for text in [f.hxl for f in fields] + [e[1] for e in extra]:
        c = WriteOnlyCell(ws, value=text)
        c.font = hxl_font
        hxl.append(c)
    ws.append(hxl)
    date_cols = {i for i, f in enumerate(fields) if f.kind in _DATE_KINDS}
    for row in _dataset_rows(acts, fields, extra_values):
        if date_cols:
            cells: list[Any] = []
            for i, v in enumerate(row):
                if i in date_cols and v is not None and isinstance(v, date):
                    c = WriteOnlyCell(ws, value=v)
                    c.number_format = "yyyy-mm-dd"
                    cells.append(c)
                else:
                    cells.append(v)
            ws.append(cells)
        else:
            ws.append(row)
    about = wb.create_sheet("About")
    about.append([safe_cell(title or "Stocktake dataset")])
    about.append(["Activities", len(acts)])
    if data_version:
        about.append(["Data version", safe_cell(data_version)])
    about.append(["Contacts included", "yes" if any(f.personal for f in fields) else "no (personal data)"])
    for note in notes:
        about.append([safe_cell(note)])
    about.append(["Row 2 of the Activities sheet holds HXL hashtags (https://hxlstandard.org)."])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


# ----------------------------------------------------------------------------------------------- matrices
def matrix_vmax(df: pd.DataFrame) -> float:
    """Largest value of a matrix outside its Total row and column: the top of the colour scale."""
    body = df.drop(index=[TOTAL], errors="ignore").drop(columns=[TOTAL], errors="ignore")
    if isinstance(df.index, pd.MultiIndex):
        mask = [TOTAL not in tuple(str(x) for x in ix) for ix in body.index]
        body = body[mask]
    values = pd.to_numeric(pd.Series(body.to_numpy().ravel()), errors="coerce")
    return float(values.max()) if len(values) and not math.isnan(values.max()) else 0.0


def _is_total_label(label: Any) -> bool:
    if isinstance(label, tuple):
        return any(str(x) == TOTAL for x in label)
    return str(label) == TOTAL


is_total_label = _is_total_label  # public name for views that style Total rows/columns like the exports


def flat_labels(df: pd.DataFrame) -> pd.DataFrame:
    """The matrix with its (province, district) row labels as one text each, "Lahore (Punjab)".

    Swapping rows and columns puts the districts across the top, where a two-level header would be unreadable
    on screen and in a CSV; the Total row becomes a plain "Total" column, so it is found like any other total.
    """
    if not isinstance(df.index, pd.MultiIndex):
        return df

    def label(ix: tuple) -> str:
        parts = [str(x) for x in ix if x is not None and str(x) != ""]
        if any(p == TOTAL for p in parts):
            return TOTAL
        return f"{parts[-1]} ({', '.join(parts[:-1])})" if len(parts) > 1 else (parts[0] if parts else "")

    out = df.copy()
    out.index = pd.Index([label(ix) for ix in df.index], name=df.index.names[-1])
    return out


def _index_names(df: pd.DataFrame) -> list[str]:
    names = list(df.index.names)
    return [str(n) if n is not None else "" for n in names]


def matrix_csv(df: pd.DataFrame) -> bytes:
    """A matrix as CSV: row label column(s), one column per column label (Total last), the Total row last."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_cell(n) for n in _index_names(df)] + [safe_cell(str(c)) for c in df.columns])
    for label, row in zip(df.index, df.itertuples(index=False)):
        labels = list(label) if isinstance(label, tuple) else [label]
        writer.writerow([_text(_plain(x)) for x in labels] + [_text(_plain(v, "number")) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def matrices_xlsx(named: Mapping[str, pd.DataFrame], *, title: str | None = None,
                  notes: Sequence[str] = ()) -> bytes:
    """Several matrices, one sheet each, heat-coloured exactly like the screen and the PDF; totals bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    used: set[str] = set()
    for name, df in named.items():
        sheet = _sheet_name(name, used)
        ws = wb.create_sheet(sheet)
        r = 1
        if title:
            ws.cell(r, 1, safe_cell(title)).font = Font(bold=True, size=13)
            r += 1
        ws.cell(r, 1, safe_cell(name)).font = Font(bold=True)
        r += 1
        for note in notes:
            ws.cell(r, 1, safe_cell(note)).font = Font(italic=True, color="555555")
            r += 1
        classes = value_classes(matrix_vmax(df))  # the same key as on screen and in the PDF
        if classes:
            ws.cell(r, 1, "Colour key (per cell)").font = Font(italic=True, color="555555")
            for j, c in enumerate(classes):
                key = ws.cell(r, 2 + j, c.label)
                key.fill = PatternFill("solid", fgColor=c.colour.lstrip("#").upper())
                key.font = Font(color=text_colour(c.colour).lstrip("#").upper())
                key.alignment = Alignment(horizontal="center")
            r += 1
        r += 1
        n_idx = df.index.nlevels
        head_row = r
        for j, n in enumerate(_index_names(df)):
            ws.cell(r, j + 1, safe_cell(n)).font = bold
        for j, c in enumerate(df.columns):
            cell = ws.cell(r, n_idx + j + 1, _plain(str(c)))
            cell.font = bold
            cell.alignment = Alignment(text_rotation=0, wrap_text=True, vertical="bottom", horizontal="center")
        for label, row in zip(df.index, df.itertuples(index=False)):
            r += 1
            labels = list(label) if isinstance(label, tuple) else [label]
            row_total = _is_total_label(label)
            for j, x in enumerate(labels):
                cell = ws.cell(r, j + 1, _plain(x))
                if row_total:
                    cell.font = bold
            for j, (col, v) in enumerate(zip(df.columns, row)):
                value = _plain(v, "number")
                cell = ws.cell(r, n_idx + j + 1, value)
                if row_total or _is_total_label(col):
                    cell.font = bold
                    continue
                if isinstance(value, (int, float)):
                    bg = class_colour_of(value, classes)
                    cell.fill = PatternFill("solid", fgColor=bg.lstrip("#").upper())
                    cell.font = Font(color=text_colour(bg).lstrip("#").upper())
                    if isinstance(value, float):
                        cell.number_format = "#,##0.##"
                    elif value >= 1000:
                        cell.number_format = "#,##0"
        ws.freeze_panes = ws.cell(head_row + 1, n_idx + 1)
        for j in range(n_idx):
            ws.column_dimensions[_letter(j + 1)].width = 24
        for j in range(len(df.columns)):
            ws.column_dimensions[_letter(n_idx + j + 1)].width = 12
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def matrix_xlsx(df: pd.DataFrame, *, title: str | None = None, sheet: str = "Matrix",
                notes: Sequence[str] = ()) -> bytes:
    """One matrix as .xlsx (see `matrices_xlsx`)."""
    return matrices_xlsx({sheet: df}, title=title, notes=notes)


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in str(name)).strip("'") or "Sheet"
    clean = clean[:31]
    base, n = clean, 2
    while clean.lower() in used:
        suffix = f" ({n})"
        clean = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(clean.lower())
    return clean


# ----------------------------------------------------------------------------------------------- GeoJSON
def coverage_geojson(bset: Any, summary_df: pd.DataFrame, *, simplify_tolerance: float | None = None) -> bytes:
    """District polygons with the district summary's numbers, for QGIS or HDX; carries the boundary attribution.

    Districts without any activity keep their row (zeros), because a gap is information too.
    """
    gdf = bset.adm2[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name", "geometry"]].copy()
    summary = summary_df.copy()
    if "adm2_pcode" not in summary.columns:
        summary = summary.reset_index()
    extra = [c for c in summary.columns if c not in ("adm2_name", "adm1_pcode", "adm1_name", "geometry")]
    summary = summary[extra]
    for col in summary.columns:
        if summary[col].dtype == object:
            summary[col] = summary[col].map(
                lambda v: "; ".join(str(x) for x in v) if isinstance(v, (list, tuple, set)) else v)
    merged = gdf.merge(summary, on="adm2_pcode", how="left")
    if simplify_tolerance:
        merged["geometry"] = _coverage_simplify(merged.geometry, simplify_tolerance)
    floats = merged.select_dtypes("floating").columns  # Infinity is not JSON: an unknown figure is null
    merged[floats] = merged[floats].where(lambda d: d.abs() != float("inf"))
    data = json.loads(merged.to_json(drop_id=True, na="null"))
    meta = getattr(bset, "meta", {}) or {}
    data["name"] = "district coverage"
    if meta.get("attribution"):
        data["attribution"] = meta["attribution"]
    if meta.get("disclaimer"):
        data["disclaimer"] = meta["disclaimer"]
    if getattr(bset, "version", None):
        data["boundary_version"] = bset.version
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _coverage_simplify(geoms: Any, tolerance: float) -> Any:
    import shapely
    import shapely.errors

    try:
        return shapely.coverage_simplify(geoms.values, tolerance)
    except (shapely.errors.ShapelyError, ValueError):  # an invalid coverage still simplifies polygon by polygon
        return geoms.simplify(tolerance, preserve_topology=True).values
