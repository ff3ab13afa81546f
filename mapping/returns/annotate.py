"""The focal point's own workbook, marked up: problem cells filled red (error) or amber (warning) with a comment
saying what is wrong and how to fix it, plus a sheet listing every issue.

Fixing the file they know is quicker than cross-referencing a report, and uploading it again just works:
the data cells are left exactly as they were.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from mapping.returns.readers import check_zip, read_book
from mapping.returns.result import IngestResult
from mapping.returns.schema import Issue

# --------------------------------------------------------------------------- the annotated workbook

FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}
_LETTER_RE = re.compile(r"\(([A-Z]{1,3})\)$")


def _neutral(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _workbook_from_book(data: bytes, filename: str):
    """An openpyxl workbook holding the return's values, whatever format it came in."""
    import openpyxl

    if data.startswith(b"PK\x03\x04"):
        extents = check_zip(data, filename)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            is_xlsx = "xl/workbook.xml" in zf.namelist()
        # a sheet claiming far more cells than it holds would cost openpyxl one object per phantom cell:
        # rebuild such a workbook from the values read over the data range instead
        if is_xlsx and not any(e.too_big for e in extents):
            return openpyxl.load_workbook(io.BytesIO(data))
    book = read_book(data, filename)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sh in book.sheets:
        ws = wb.create_sheet(sh.name[:31])
        for row in sh.rows:
            ws.append([None if v == "" else v for v in row])
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # text like "=SUM(...)" stays text
                    cell.data_type = "s"
    return wb


def annotate_workbook(data: bytes, filename: str, result: IngestResult) -> bytes:
    """The focal point's own workbook (as .xlsx) with problem cells filled and commented, plus an issues sheet.

    The data itself is untouched, so the focal point fixes the marked cells in the file they know and
    uploads it again.
    """
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = _workbook_from_book(data, filename)
    ws = wb[result.sheet] if result.sheet in wb.sheetnames else wb.worksheets[0]
    notes: dict[tuple[int, str], list[Issue]] = {}
    for issue in result.issues:
        if not issue.row:
            continue
        m = _LETTER_RE.search(issue.column or "")
        notes.setdefault((issue.row, m.group(1) if m else "A"), []).append(issue)
    for (row, letter), items in notes.items():
        cell = ws[f"{letter}{row}"]
        severity = "error" if any(i.severity == "error" for i in items) else "warning"
        cell.fill = PatternFill("solid", start_color=FILLS[severity], end_color=FILLS[severity])
        text = "\n".join(f"{i.severity.upper()}: {i.message}" + (f"\n{i.suggestion}" if i.suggestion else "")
                         for i in items)
        comment = Comment(text[:30000], "Stocktake")
        comment.width, comment.height = 360, min(60 + 40 * len(items), 400)
        cell.comment = comment
    title = "Stocktake issues"
    n = 2
    while title in wb.sheetnames:
        title, n = f"Stocktake issues {n}", n + 1
    out = wb.create_sheet(title)
    out.append([f"{result.file}, sheet '{result.sheet}': {result.rows} rows read, {result.accepted} without errors, "
                f"{len(result.errors)} error(s), {len(result.warnings)} warning(s). Red cells are errors (the "
                "return cannot be stored until they are fixed), amber cells are warnings."])
    out["A1"].font = Font(bold=True)
    out.append([])
    out.append(["Row", "Column", "Value", "Severity", "Message", "Suggestion"])
    for c in out[3]:
        c.font = Font(bold=True)
    fills = {sev: PatternFill("solid", start_color=color, end_color=color) for sev, color in FILLS.items()}
    for n_row, issue in enumerate(result.issues, start=4):  # counted here: openpyxl's max_row rescans every cell
        out.append([issue.row, _neutral(issue.column), _neutral(issue.value), issue.severity,
                    _neutral(issue.message), _neutral(issue.suggestion)])
        out.cell(n_row, 4).fill = fills[issue.severity]
    for letter, width in zip("ABCDEF", (7, 26, 24, 10, 70, 50), strict=True):
        out.column_dimensions[letter].width = width
    for row in out.iter_rows(min_row=4):
        for c in row[4:6]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    out.freeze_panes = "A4"
    if result.issues:
        out.auto_filter.ref = f"A3:F{len(result.issues) + 3}"
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = False
    wb.active = wb.sheetnames.index(ws.title)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
