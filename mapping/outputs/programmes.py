"""The programme list as people take it away: xlsx/CSV with an HXL row (re-importable), and PDF flowables.

The spreadsheet uses the same headers and HXL tags `returns.programmes` reads, so the forum's list can be
exported, edited in Excel and imported again; every text cell goes through the formula-injection guard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pandas as pd

from mapping.analysis import programmes as an
from mapping.outputs.export import matrix_xlsx, safe_cell
from mapping.returns.programmes import COLUMNS

__all__ = ["programmes_csv", "programmes_rows", "programmes_section", "programmes_xlsx"]


def programmes_rows(frame: pd.DataFrame, units: pd.DataFrame) -> list[list[Any]]:
    """One list per programme in COLUMNS order: places by name, lists joined with '; '."""
    d_name = dict(zip(units["adm2_pcode"], units["adm2_name"]))
    p_name = dict(zip(units["adm1_pcode"], units["adm1_name"]))
    out = []
    for rec in frame.to_dict("records"):
        row = []
        for _, (f, _) in COLUMNS.items():
            value = rec.get(f)
            if f == "provinces":
                value = "; ".join(p_name.get(p, p) for p in value or [])
            elif f == "districts":
                value = "; ".join(d_name.get(d, d) for d in value or [])
            elif isinstance(value, list):
                value = "; ".join(value)
            if value is None or (isinstance(value, float) and value != value) or value == "":
                value = None
            elif isinstance(value, float) and value.is_integer():
                value = int(value)  # a column with a blank is float in pandas: 182000, not 182000.0, in the CSV
            row.append(safe_cell(value))
        out.append(row)
    return out


def programmes_csv(frame: pd.DataFrame, units: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(list(COLUMNS))
    w.writerow([tag for _, tag in COLUMNS.values()])
    for row in programmes_rows(frame, units):
        w.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def programmes_xlsx(frame: pd.DataFrame, units: pd.DataFrame, *, title: str | None = None,
                    notes: Sequence[str] = ()) -> bytes:
    """Programmes (headers, HXL row, rows), the programme × province matrix, and an About sheet."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font, PatternFill

    matrix = an.programme_province_matrix(frame, units)
    data = matrix_xlsx(matrix if len(matrix) else pd.DataFrame({"Total": []}), title=title,
                       sheet="Programme x province")
    wb = load_workbook(io.BytesIO(data))
    ws = wb.create_sheet("Programmes", 0)
    ws.append(list(COLUMNS))
    ws.append([tag for _, tag in COLUMNS.values()])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    for cell in ws[2]:
        cell.font = Font(italic=True, color="555555")
    for row in programmes_rows(frame, units):
        ws.append(row)
    ws.freeze_panes = "B3"
    for i, head in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 34 if head in ("Programme", "Eligibility",
                                                                                   "Districts") else 18
    about = wb.create_sheet("About")
    about.append([safe_cell(title or "Stocktake programmes")])
    about.append(["Programmes", len(frame)])
    about.append([an.COVERAGE_RULE])
    for note in notes:
        about.append([safe_cell(note)])
    about.append(["Row 2 of the Programmes sheet holds HXL hashtags (https://hxlstandard.org); the sheet "
                  "imports back with `python -m mapping programmes import`."])
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text_table(records: list[dict], cols: Sequence[tuple[str, str, float]], st: dict, frame_w: float):
    """A table of wrapped text cells (key, header, share of the frame width), its header repeated on each page."""
    from reportlab.platypus import Paragraph, Table, TableStyle

    from mapping.outputs.report import esc
    from mapping.outputs.report_tables import header_cell

    widths = [frame_w * w for _, _, w in cols]
    data = [[header_cell(label, w, st) for (_, label, _), w in zip(cols, widths, strict=True)]]
    for rec in records:
        data.append([Paragraph(esc("" if rec.get(key) is None or rec.get(key) != rec.get(key) else rec[key]),
                               st["cell"]) for key, _, _ in cols])
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def programmes_section(frame: pd.DataFrame, units: pd.DataFrame, st: dict, frame_w: float, *,
                       group: str | None = None) -> list:
    """PDF flowables: the programme table, the programme × province matrix, same-group pairs, the rule.

    Each heading is kept on the page of what it introduces (a heading alone at the foot of a page was seen on the
    demo's snapshot).
    """
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table

    from mapping.outputs.report import esc
    from mapping.outputs.report_tables import matrix_tables

    out: list = [Paragraph("Programmes", st["h1"])]
    for sentence in an.headlines(frame, units, group=group):
        out.append(Paragraph(esc(sentence), st["base"]))
    out.append(Paragraph(esc(an.COVERAGE_RULE), st["small"]))
    out.append(Spacer(1, 3))
    tab = an.table(frame, units)
    tab["beneficiaries"] = tab["beneficiaries"].map(lambda v: f"{int(v):,}" if v is not None and v == v else "")
    out += [_text_table(tab.to_dict("records"), [
        ("programme", "Programme", 0.22), ("owner", "Owner", 0.18), ("provinces", "Provinces", 0.14),
        ("target_groups", "Target groups", 0.16), ("benefit", "Benefit", 0.14), ("districts", "Districts", 0.08),
        ("beneficiaries", "People", 0.08)], st, frame_w), Spacer(1, 6)]
    matrix = an.programme_province_matrix(frame, units)
    if len(matrix):
        tables = matrix_tables(matrix, st, frame_w, first_label="Programme")
        cut = [i for i, f in enumerate(tables) if isinstance(f, Table)][:2][-1] + 1  # the colour key, the first part
        out += [KeepTogether([Paragraph("Districts covered, programme × province", st["h2"]), *tables[:cut]]),
                *tables[cut:]]
    pairs = an.same_group_pairs(frame, units, group=group)
    heading = Paragraph("Same group, same district (programmes of different owners)", st["h2"])
    if pairs.empty:
        out.append(KeepTogether([heading, Paragraph("No two programmes of different owners serve the same group "
                                                    "in the same district.", st["base"])]))
        return out
    shown = pairs.head(40)
    intro = Paragraph(esc(f"{len(pairs)} pair{'s' if len(pairs) != 1 else ''} of programmes serve the same target "
                          "group in the same districts" + (f"; the first {len(shown)} are listed." if len(shown) <
                                                           len(pairs) else ".")), st["small"])
    out.append(KeepTogether([heading, intro, _text_table(shown.to_dict("records"), [
        ("target_groups", "Target groups", 0.14), ("programme_a", "Programme", 0.16), ("owner_a", "Owner", 0.15),
        ("programme_b", "and programme", 0.16), ("owner_b", "Owner", 0.15), ("shared_districts", "Districts", 0.08),
        ("districts", "Which", 0.16)], st, frame_w)]))
    return out
