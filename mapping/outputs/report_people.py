"""The PDF snapshot's "People in two programmes" section: only suppressed figures, with the rule stated.

Takes `analysis.people_overlap.OverlapTable`s (never lists or exact counts), so whatever reaches paper is
what the screen shows, written by the same rule (`people_overlap.figure`): hidden cells read "<10" or
"suppressed".
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from reportlab.lib import colors
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from mapping.analysis.people_overlap import ELSEWHERE, OverlapTable, figure, share_text
from mapping.outputs import fonts

HEADER_BG = colors.HexColor("#e8eef6")
GRID = colors.HexColor("#c8d0da")


def people_section(st: dict, tables: Sequence[OverlapTable], units: pd.DataFrame, frame_w: float) -> list:
    """One table per compared pair: total, then districts with people in either list, then 'different districts'."""
    esc = fonts.markup
    names = dict(zip(units["adm2_pcode"], units["adm2_name"], strict=False)) if len(units) else {}
    provinces = dict(zip(units["adm2_pcode"], units["adm1_name"], strict=False)) if len(units) else {}
    f = fonts.register()
    out: list = [Paragraph("People in two programmes", st["h1"]),
                 Paragraph("How many people two programmes both reach, counted from lists pseudonymised by the "
                           "programmes themselves with a key Stocktake never sees, and compared only with both "
                           "owners' consent. A district counts people both programmes list there; people in both "
                           "lists but listed in different districts are one row.", st["small"])]
    for t in tables:
        a, b = t.programmes
        head = ["District", "Province", "In both", f"Only in {a}", f"Only in {b}", "Share in both"]
        rows = [["Total", "", *(figure(t.total[c]) for c in ("in_both", "only_a", "only_b")), ""]]
        for r in t.by_district:
            if r["adm2_pcode"] is None:
                rows.append([f"In both, {ELSEWHERE}", "", figure(r["in_both"]), "", "", ""])
                continue
            if not any(r[c] not in (0, None) for c in ("in_both", "only_a", "only_b")):
                continue
            rows.append([names.get(r["adm2_pcode"], r["adm2_pcode"]), provinces.get(r["adm2_pcode"], ""),
                         *(figure(r[c]) for c in ("in_both", "only_a", "only_b")), share_text(r.get("share"))])
        widths = [0.2, 0.16, 0.12, 0.19, 0.19, 0.14]
        data = [[Paragraph(esc(h), st["small"]) for h in head]] + [[esc(c) for c in row] for row in rows]
        table = Table(data, colWidths=[w * frame_w for w in widths], repeatRows=1)
        table.setStyle(TableStyle([
            ("FONT", (0, 1), (-1, -1), f["sans"], 7.5), ("FONT", (0, 1), (-1, 1), f["bold"], 7.5),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG), ("GRID", (0, 0), (-1, -1), 0.25, GRID),
            ("ALIGN", (2, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        out += [Spacer(1, 4), KeepTogether([
            Paragraph(f"{esc(a)} and {esc(b)}" + (f" — round {esc(t.round_name)}" if t.round_name else ""), st["h2"]),
            Paragraph(esc(t.rule), st["small"])]), table]
    return out
