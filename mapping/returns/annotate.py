"""The focal point's own workbook, marked up: problem cells filled red (error) or amber (warning) with a comment
saying what is wrong and how to fix it, plus a sheet listing every issue.

Fixing the file they know is quicker than cross-referencing a report, and uploading it again just works:
the data cells are left exactly as they were.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from mapping.returns import sandbox
from mapping.returns.readers import ReturnError, check_zip, read_book
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


@dataclass(frozen=True)
class _Marks:
    """What the annotation needs from a check: its summary counts and the issues (the records stay behind, so
    they are not copied to the process that builds the workbook)."""

    file: str
    sheet: str | None
    rows: int
    accepted: int
    errors: int
    warnings: int
    issues: list[Issue]


# openpyxl holds a loaded workbook at about 400 bytes per cell: a larger file is rebuilt from its values, streamed
FULL_LOAD_CELLS = 250_000


def annotate_workbook(data: bytes, filename: str, result: IngestResult, *, isolated: bool = True) -> bytes:
    """The focal point's own workbook (as .xlsx) with problem cells filled and commented, plus an issues sheet.

    The data itself is untouched, so the focal point fixes the marked cells in the file they know and
    uploads it again. The workbook is built in the memory-capped reader process (see `sandbox`), never in the
    server: loaded whole by openpyxl, a 60,000-row return took 800 MB and a minute of CPU there. A small .xlsx
    is loaded whole, keeping its formatting and dropdowns; anything else (other formats, a sheet claiming more
    than it holds, a large return) is rebuilt from its values, row by row. `isolated=False` builds it here.
    """
    marks = _Marks(result.file, result.sheet, result.rows, result.accepted, len(result.errors),
                   len(result.warnings), list(result.issues))
    if not isolated:
        return _annotated(data, filename, marks)
    try:
        outcome = sandbox.run(_annotated, data, filename, marks, memory_mb=sandbox.MEMORY_MB)
    except sandbox.Crashed as exc:
        raise ReturnError(f"The annotated copy of {filename} could not be prepared: it needed more than the "
                          f"{sandbox.MEMORY_MB} MB or the time one upload may use ({exc}). Every problem is listed "
                          "in the report; fix them in your file and upload it again.") from None
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def _by_cell(issues: list[Issue]) -> dict[tuple[int, int], list[Issue]]:
    """The issues of each marked cell, keyed by (Excel row, 1-based column)."""
    from openpyxl.utils import column_index_from_string

    out: dict[tuple[int, int], list[Issue]] = {}
    for issue in issues:
        if issue.row:
            m = _LETTER_RE.search(issue.column or "")
            out.setdefault((issue.row, column_index_from_string(m.group(1)) if m else 1), []).append(issue)
    return out


def _mark(cell, items: list[Issue]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    severity = "error" if any(i.severity == "error" for i in items) else "warning"
    cell.fill = PatternFill("solid", start_color=FILLS[severity], end_color=FILLS[severity])
    text = "\n".join(f"{i.severity.upper()}: {i.message}" + (f"\n{i.suggestion}" if i.suggestion else "")
                     for i in items)
    comment = Comment(text[:30000], "Stocktake")
    comment.width, comment.height = 360, min(60 + 40 * len(items), 400)
    cell.comment = comment


def _loads_whole(data: bytes, filename: str) -> bool:
    """An .xlsx small enough for openpyxl to load whole, with no sheet claiming more than it holds."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    extents = check_zip(data, filename)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if "xl/workbook.xml" not in zf.namelist():
            return False
    return not any(e.too_big for e in extents) and sum(e.claimed for e in extents) <= FULL_LOAD_CELLS


def _annotated(data: bytes, filename: str, result: _Marks) -> bytes:
    import openpyxl

    marks = _by_cell(result.issues)
    if _loads_whole(data, filename):
        wb = openpyxl.load_workbook(io.BytesIO(data))
        ws = wb[result.sheet] if result.sheet in wb.sheetnames else wb.worksheets[0]
        for (row, col), items in marks.items():
            _mark(ws.cell(row, col), items)
        for sheet in wb.worksheets:
            sheet.sheet_view.tabSelected = False
        wb.active = wb.sheetnames.index(ws.title)
    else:
        wb = _rebuilt(data, filename, result.sheet, marks)
    _issues_sheet(wb, result)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rebuilt(data: bytes, filename: str, sheet: str | None, marks: dict[tuple[int, int], list[Issue]]):
    """A write-only workbook of the return's values, streamed row by row, the checked sheet's cells marked.

    Text like "=SUM(...)" stays text."""
    import openpyxl

    book = read_book(data, filename, isolated=False)  # this runs in the reader process already
    names = [sh.name for sh in book.sheets]
    checked = names.index(sheet) if sheet in names else 0
    wb = openpyxl.Workbook(write_only=True)
    for index, sh in enumerate(book.sheets):
        ws = wb.create_sheet(sh.name[:31])
        ws.sheet_view.tabSelected = False
        by_row: dict[int, dict[int, list[Issue]]] = {}
        for (row, col), items in marks.items() if index == checked else ():
            by_row.setdefault(row, {})[col] = items
        last = max([len(sh.rows), *by_row])  # an issue can point below the data (a missing row's cells)
        for n in range(1, last + 1):
            ws.append(_row_cells(ws, sh.rows[n - 1] if n <= len(sh.rows) else [], by_row.get(n, {})))
    wb.active = checked
    return wb


def _row_cells(ws, values: list[Any], marks: dict[int, list[Issue]]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = [None if v == "" else v for v in values]
    out += [None] * (max(marks, default=0) - len(out))
    for i, v in enumerate(out):
        if isinstance(v, str) and v.startswith("="):
            out[i] = WriteOnlyCell(ws, v)
            out[i].data_type = "s"
    for col, items in marks.items():
        cell = out[col - 1] if hasattr(out[col - 1], "data_type") else WriteOnlyCell(ws, out[col - 1])
        _mark(cell, items)
        out[col - 1] = cell
    return out


def _issues_sheet(wb, result: _Marks) -> None:
    """The sheet listing every issue, appended row by row (openpyxl's max_row rescans every cell)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    title, n = "Stocktake issues", 2
    while title in wb.sheetnames:
        title, n = f"Stocktake issues {n}", n + 1
    out = wb.create_sheet(title)
    out.sheet_view.tabSelected = False
    for letter, width in zip("ABCDEF", (7, 26, 24, 10, 70, 50), strict=True):
        out.column_dimensions[letter].width = width
    out.freeze_panes = "A4"
    if result.issues:
        out.auto_filter.ref = f"A3:F{len(result.issues) + 3}"

    def cell(value: Any, **style) -> Any:
        c = WriteOnlyCell(out, value)
        for name, v in style.items():
            setattr(c, name, v)
        return c

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    out.append([cell(f"{result.file}, sheet '{result.sheet}': {result.rows} rows read, {result.accepted} without "
                     f"errors, {result.errors} error(s), {result.warnings} warning(s). Red cells are errors (the "
                     "return cannot be stored until they are fixed), amber cells are warnings.", font=bold)])
    out.append([])
    out.append([cell(h, font=bold) for h in ("Row", "Column", "Value", "Severity", "Message", "Suggestion")])
    fills = {sev: PatternFill("solid", start_color=color, end_color=color) for sev, color in FILLS.items()}
    for issue in result.issues:
        out.append([issue.row, _neutral(issue.column), _neutral(issue.value), cell(issue.severity, fill=fills[issue.severity]),
                    cell(_neutral(issue.message), alignment=wrap), cell(_neutral(issue.suggestion), alignment=wrap)])
