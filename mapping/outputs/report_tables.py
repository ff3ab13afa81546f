"""Tables of the PDF snapshot: heat-coloured matrices that break across pages with their header row repeated.

Kept apart from `report.py` (document assembly) because table layout is where most of the fiddly rules
live: wide matrices are cut into column chunks that fit the page, districts are grouped under province
rows, zero is a dash on grey (a gap), and every label passes through `fonts.markup` (XML-escaped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, PageBreak, Paragraph, Spacer, Table, TableStyle

from mapping.outputs import fonts, palette

TOTAL = "Total"
MAX_COLS = 14  # value columns per table chunk on A4 landscape
HEADER_BG = colors.HexColor("#dce6f1")
GROUP_BG = colors.HexColor("#f2f2f2")
GRID = colors.HexColor("#c8c8c8")


def esc(text: Any) -> str:
    return fonts.markup(text)


def fmt_number(value: Any) -> str:
    """Counts as integers with thousands separators; 0 and empty as a dash (nothing there)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return esc(value) if value is not None else ""
    if v != v:  # NaN
        return ""
    if v == 0:
        return "–"
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.1f}"


def _is_total(label: Any) -> bool:
    if isinstance(label, tuple):
        return any(str(x) == TOTAL for x in label)
    return str(label) == TOTAL


def _vmax(df: pd.DataFrame) -> float:
    mask = [not _is_total(ix) for ix in df.index]
    cols = [c for c in df.columns if not _is_total(c)]
    body = df.loc[mask, cols] if cols else df.loc[mask]
    vals = pd.to_numeric(pd.Series(body.to_numpy().ravel()), errors="coerce").dropna()
    return float(vals.max()) if len(vals) else 0.0


def _heat_styles(values: list[list[Any]], col_offset: int, row_offset: int, vmax: float,
                 skip_cols: set[int], skip_rows: set[int]) -> list[tuple]:
    classes = palette.value_classes(vmax)  # the same ranges and colours as the screen's and Excel's key
    cmds: list[tuple] = []
    for r, row in enumerate(values):
        if r in skip_rows:
            continue
        for c, v in enumerate(row):
            if c in skip_cols:
                continue
            try:
                fv = float(v)
            except (TypeError, ValueError):
                continue
            if fv != fv:
                continue
            bg = palette.class_colour_of(fv, classes)
            cell = (c + col_offset, r + row_offset)
            cmds.append(("BACKGROUND", cell, cell, colors.HexColor(bg)))
            if palette.text_colour(bg) == "#ffffff":
                cmds.append(("TEXTCOLOR", cell, cell, colors.white))
    return cmds


def _chunks(columns: list[Any]) -> list[list[Any]]:
    """Column groups that fit the page; the Total column stays with the last chunk."""
    body = [c for c in columns if not _is_total(c)]
    total = [c for c in columns if _is_total(c)]
    if len(body) + len(total) <= MAX_COLS:
        return [body + total]
    size = MAX_COLS - 1
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    parts[-1] += total
    return parts


def _base_style(n_label_cols: int) -> list[tuple]:
    f = fonts.register()
    return [
        ("FONT", (0, 0), (-1, -1), f["sans"], 7.2),
        ("FONT", (0, 0), (-1, 0), f["bold"], 7.2),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("GRID", (0, 0), (-1, -1), 0.25, GRID),
        ("ALIGN", (n_label_cols, 1), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]


def header_cell(text: Any, width: float, st: dict) -> Paragraph:
    """A column header that does not split a word: the font shrinks (down to 4.4 pt, still legible on paper) until
    the longest word fits; at 5.2 pt "Peacebuilding (not on the list)" printed as "Peacebuildin / g"."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth

    f = fonts.register()
    label = str(text)
    longest = max(label.split() or [""], key=lambda w: stringWidth(w, f["bold"], 7.2))
    size = 7.2
    while size > 4.4 and stringWidth(longest, f["bold"], size) > width - 6:
        size -= 0.4
    style = ParagraphStyle(f"head{size:.1f}", parent=st["head"], fontSize=size, leading=size + 1.4)
    return Paragraph(esc(label), style)


def _value_widths(n: int, available: float, max_w: float = 26 * mm) -> list[float]:
    w = min(max_w, available / max(n, 1))
    return [w] * n


def _continued(i: int, chunks: list[list[Any]], st: dict, new_page: bool) -> list:
    """Before the 2nd, 3rd … column chunk of a wide matrix: (a page break and) a line saying which columns follow."""
    if i == 0:
        return []
    first, last = (str(c) for c in (chunks[i][0], [c for c in chunks[i] if not _is_total(c)][-1]))
    note = Paragraph(f"Continued: columns {esc(first)} to {esc(last)}.", st["small"])
    return [PageBreak(), note, Spacer(1, 2 * mm)] if new_page else [note, Spacer(1, 1 * mm)]


def colour_key(vmax: float, st: dict) -> list:
    """The cells' ranges and colours in one line above a matrix, as on screen, so every value has its colour."""
    classes = palette.value_classes(vmax)
    if not classes:
        return []
    f = fonts.register()
    cells = ["Per cell:", "– none", *(c.label for c in classes)]  # plain strings: TEXTCOLOR applies to them
    widths = [16 * mm, 12 * mm] + [max(12 * mm, (len(c.label) * 1.6 + 4) * mm) for c in classes]
    t = Table([cells], colWidths=widths, hAlign="LEFT")
    cmds: list[tuple] = [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOX", (1, 0), (1, 0), 0.4, colors.HexColor("#cccccc")),
                         ("FONT", (0, 0), (-1, -1), f["sans"], 7), ("FONT", (0, 0), (0, 0), f["bold"], 7),
                         ("ALIGN", (1, 0), (-1, 0), "CENTER"),
                         ("BACKGROUND", (1, 0), (1, 0), colors.HexColor(palette.ZERO_COLOUR)),
                         ("LEFTPADDING", (0, 0), (-1, -1), 3), ("TOPPADDING", (0, 0), (-1, -1), 1),
                         ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    for i, c in enumerate(classes):
        cell = (i + 2, 0)
        cmds.append(("BACKGROUND", cell, cell, colors.HexColor(c.colour)))
        cmds.append(("TEXTCOLOR", cell, cell, colors.HexColor(palette.text_colour(c.colour))))
    t.setStyle(TableStyle(cmds))
    return [t, Spacer(1, 1.5 * mm)]


def matrix_tables(df: pd.DataFrame, st: dict, frame_w: float, *, first_label: str = "") -> list:
    """A plain matrix (one label column) as one or more tables, heat-coloured, Total row and column bold."""
    if df is None or df.empty:
        return [Paragraph("Nothing to show for these filters.", st["base"])]
    vmax = _vmax(df)
    out: list = colour_key(vmax, st)
    f = fonts.register()
    label_w = 62 * mm
    labels = [" / ".join(str(x) for x in ix) if isinstance(ix, tuple) else ix for ix in df.index]
    chunks = _chunks(list(df.columns))
    for n_part, part in enumerate(chunks):
        widths = [label_w] + _value_widths(len(part), frame_w - label_w)
        header = [Paragraph(esc(first_label or (df.index.name or "")), st["cellb"])]
        header += [header_cell(c, w, st) for c, w in zip(part, widths[1:])]
        rows, values = [header], []
        for label, (_, row) in zip(labels, df[part].iterrows()):
            vals = list(row.to_numpy())
            values.append(vals)
            style = st["cellb"] if _is_total(label) else st["cell"]
            rows.append([Paragraph(esc(label), style)] + [fmt_number(v) for v in vals])
        t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        total_cols = {i for i, c in enumerate(part) if _is_total(c)}
        total_rows = {i for i, lab in enumerate(labels) if _is_total(lab)}
        cmds = _base_style(1) + _heat_styles(values, 1, 1, vmax, total_cols, total_rows)
        for c in total_cols:
            cmds.append(("FONT", (c + 1, 1), (c + 1, -1), f["bold"], 7.2))
        for r in total_rows:
            cmds += [("FONT", (1, r + 1), (-1, r + 1), f["bold"], 7.2),
                     ("LINEABOVE", (0, r + 1), (-1, r + 1), 0.8, colors.black)]
        t.setStyle(TableStyle(cmds))
        out += [*_continued(n_part, chunks, st, False), t, Spacer(1, 4 * mm)]
    return out


def _district_rows(df: pd.DataFrame, units: pd.DataFrame) -> list[tuple[str, str, Any]]:
    """(province, district label, index key) for each row of a district matrix, whatever its index holds."""
    by_code = units.set_index("adm2_pcode")
    name_to_prov: dict[str, str] = {}
    for r in units.itertuples(index=False):
        name_to_prov.setdefault(str(r.adm2_name), str(r.adm1_name))
    prov_order = list(dict.fromkeys(units.sort_values(["adm1_name", "adm2_name"])["adm1_name"]))
    rows = []
    for ix in df.index:
        if isinstance(ix, tuple):
            prov, dist = (str(ix[0]), str(ix[-1])) if len(ix) > 1 else ("", str(ix[0]))
            if dist in by_code.index:
                dist = str(by_code.loc[dist, "adm2_name"])
        elif str(ix) in by_code.index:
            prov, dist = str(by_code.loc[str(ix), "adm1_name"]), str(by_code.loc[str(ix), "adm2_name"])
        else:
            dist = str(ix)
            prov = name_to_prov.get(dist, "")
        rows.append((prov, dist, ix))
    order = {p: i for i, p in enumerate(prov_order)}
    wide = {"province-wide", "national"}  # analysis' own rows for activities not tied to one district: last
    keyed = [(1 if _is_total(ix) else 0, order.get(p, len(order)), p, d.casefold() in wide, d.casefold(), p, d, ix)
             for p, d, ix in rows]
    keyed.sort(key=lambda k: k[:5])
    return [(p, d, ix) for *_, p, d, ix in keyed]


def grouped_matrix_tables(df: pd.DataFrame, units: pd.DataFrame, st: dict, frame_w: float) -> list:
    """District × sector matrix with a shaded row naming each province above its districts."""
    if df is None or df.empty:
        return [Paragraph("Nothing to show for these filters.", st["base"])]
    f = fonts.register()
    vmax = _vmax(df)
    ordered = _district_rows(df, units)
    label_w = 48 * mm
    out: list = colour_key(vmax, st)
    chunks = _chunks(list(df.columns))
    for n_part, part in enumerate(chunks):
        widths = [label_w] + _value_widths(len(part), frame_w - label_w)
        header = [Paragraph("District", st["cellb"])] + [header_cell(c, w, st) for c, w in zip(part, widths[1:])]
        rows: list[list[Any]] = [header]
        values: list[list[Any]] = []
        group_rows: list[int] = []
        total_rows: list[int] = []
        current = None
        for prov, dist, ix in ordered:
            is_total = _is_total(ix) or dist == TOTAL
            if not is_total and prov != current:
                current = prov
                rows.append([Paragraph(f"<b>{esc(prov or 'Province not known')}</b>", st["cell"])]
                            + [""] * len(part))
                values.append([None] * len(part))
                group_rows.append(len(rows) - 1)
            vals = list(df.loc[ix, part].to_numpy()) if not isinstance(df.loc[ix, part], pd.DataFrame) \
                else list(df.loc[ix, part].iloc[0].to_numpy())
            values.append(vals)
            label = TOTAL if is_total else dist
            rows.append([Paragraph(esc(label), st["cellb"] if is_total else st["cell"])]
                        + [fmt_number(v) for v in vals])
            if is_total:
                total_rows.append(len(rows) - 1)
        t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        total_cols = {i for i, c in enumerate(part) if _is_total(c)}
        skip_rows = {r - 1 for r in group_rows + total_rows}
        cmds = _base_style(1) + _heat_styles(values, 1, 1, vmax, total_cols, skip_rows)
        for r in group_rows:
            cmds += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), GROUP_BG)]
        for c in total_cols:
            cmds.append(("FONT", (c + 1, 1), (c + 1, -1), f["bold"], 7.2))
        for r in total_rows:
            cmds += [("FONT", (1, r), (-1, r), f["bold"], 7.2), ("LINEABOVE", (0, r), (-1, r), 0.8, colors.black)]
        t.setStyle(TableStyle(cmds))
        out += [*_continued(n_part, chunks, st, True), t, Spacer(1, 4 * mm)]
    return out


def _col(df: pd.DataFrame, *names: str) -> str | None:
    for n in names:
        if n in df.columns:
            return n
    return None


def _join(value: Any) -> str:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def gaps_table(gaps: pd.DataFrame, st: dict, frame_w: float, *, ranked_by_need: bool,
               sectors: Sequence[str] = ()) -> list:
    """One row per district: the sectors in scope with no partner there, highest need first when known."""
    if gaps is None or len(gaps) == 0:
        return [Paragraph("No gaps: every district in scope has at least one partner in every sector in scope.",
                          st["base"])]
    g = gaps.reset_index() if _col(gaps, "adm2_pcode", "adm2_name", "district") is None else gaps
    dcol = _col(g, "adm2_name", "district")
    pcol = _col(g, "adm1_name", "province")
    scol = _col(g, "sector")
    ncol = _col(g, "need", "need_value", "need_score")
    keys = [c for c in ("adm2_pcode", dcol, pcol) if c]
    order = {str(x): i for i, x in enumerate(sectors)}
    agg: dict[str, Any] = {scol: lambda s: sorted(set(map(str, s)), key=lambda x: (order.get(x, len(order)), x))} \
        if scol else {}
    if ncol:
        agg[ncol] = "max"
    grouped = g.groupby(keys, dropna=False, sort=False).agg(agg).reset_index() if agg else g[keys].drop_duplicates()
    if ncol and grouped[ncol].notna().any():
        grouped = grouped.sort_values([ncol, pcol or keys[0], dcol or keys[0]], ascending=[False, True, True])
    else:
        grouped = grouped.sort_values([c for c in (pcol, dcol) if c])
    n_cells = len(g)
    intro = (f"{n_cells:,} district–sector cell{'s' if n_cells != 1 else ''} in scope have no partner, in "
             f"{len(grouped):,} district{'s' if len(grouped) != 1 else ''}. ")  # 1,589 as the Gaps page writes
    intro += ("Districts are ranked by the need indicator, highest first: high need and no partner comes first."
              if ranked_by_need and ncol else
              "No need indicator was loaded, so districts are listed by province; load one to rank them by need.")
    need_label = str(gaps.attrs.get("need_label") or "Need").capitalize()
    header = ["#", "District", "Province"] + ([need_label] if ncol else []) + ["Sectors with no partner", "Gaps"]
    rows: list[list[Any]] = [[Paragraph(h, st["cellb"]) for h in header]]
    for i, r in enumerate(grouped.itertuples(index=False), start=1):
        d = r._asdict()
        missing = d.get(scol, []) if scol else []
        if sectors and len(missing) >= len(sectors) > 2:
            what = f"<i>All {len(sectors)} sectors: no partner at all</i>"
        elif sectors and len(missing) > len(sectors) / 2 and len(sectors) > 4:
            covered = [x for x in sectors if x not in set(missing)]
            what = f"<i>All but</i> {esc(', '.join(covered))}"
        else:
            what = esc(_join(missing))
        row = [str(i), Paragraph(esc(d.get(dcol, "")), st["cell"]), Paragraph(esc(d.get(pcol, "")), st["cell"])]
        if ncol:
            v = d.get(ncol)
            row.append(f"{v:,.0f}" if isinstance(v, (int, float)) and v == v and float(v).is_integer()
                       else (f"{v:,.2f}" if isinstance(v, float) and v == v else ""))
        row += [Paragraph(what, st["cell"]), str(len(missing) if isinstance(missing, list) else "")]
        rows.append(row)
    fixed = 10 * mm + 45 * mm + 35 * mm + (22 * mm if ncol else 0) + 14 * mm
    widths = [10 * mm, 45 * mm, 35 * mm] + ([22 * mm] if ncol else []) + [frame_w - fixed, 14 * mm]
    t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    cmds = _base_style(0) + [("ALIGN", (0, 1), (0, -1), "RIGHT"), ("ALIGN", (-1, 1), (-1, -1), "CENTER"),
                             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    for r in range(1, len(rows)):
        if r % 2 == 0:
            cmds.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f7f7f7")))
    t.setStyle(TableStyle(cmds))
    return [Paragraph(intro, st["base"]), Spacer(1, 2 * mm), t]


def overlaps_table(ov: pd.DataFrame, st: dict, frame_w: float, *, min_partners: int = 2,
                   rule: str | None = None, limit: int | None = None) -> list:
    """Cells where several partners do the same sub-sector at the same time, with the partners named."""
    rule = rule or (f"Listed when at least {min_partners} partners work in the same district and sub-sector "
                    "with overlapping dates.")
    if ov is None or len(ov) == 0:
        return [Paragraph(esc(rule) + " None found for these filters.", st["base"])]
    o = ov.reset_index() if _col(ov, "adm2_name", "district") is None else ov
    names = _col(o, "partner_names", "org_names", "partners")
    count = _col(o, "partners", "n_partners") if _col(o, "partners") != names else _col(o, "n_partners")
    c = {"district": _col(o, "district", "adm2_name"), "province": _col(o, "province", "adm1_name"),
         "sector": _col(o, "sector"), "sub": _col(o, "subsector", "sub_sector"), "acts": _col(o, "activities"),
         "from": _col(o, "overlap_from", "start", "start_date"), "to": _col(o, "overlap_to", "end", "end_date"),
         "people": _col(o, "targeted")}
    sort = [x for x in (count, c["province"], c["district"]) if x]
    if sort:
        o = o.sort_values(sort, ascending=[not bool(count)] + [True] * (len(sort) - 1), kind="stable")
    n_cells = len(o)
    if limit is not None and n_cells > limit:
        o = o.head(limit)
    header = ["District", "Province", "Sector / sub-sector", "Partners", "Who", "Activities",
              "Running together", "Targeted"]
    rows: list[list[Any]] = [[Paragraph(h, st["cellb"]) for h in header]]
    for r in o.to_dict("records"):
        who = r.get(names) if names else ""
        n = r.get(count) if count else (len(who) if isinstance(who, (list, tuple, set)) else "")
        what = " / ".join(str(r.get(k)) for k in (c["sector"], c["sub"]) if k and _join(r.get(k)))
        dates = f"{_date(r.get(c['from']))} – {_date(r.get(c['to']))}" if c["from"] else ""
        rows.append([Paragraph(esc(r.get(c["district"], "")), st["cell"]),
                     Paragraph(esc(r.get(c["province"], "") if c["province"] else ""), st["cell"]),
                     Paragraph(esc(what), st["cell"]), fmt_number(n),
                     Paragraph(esc(_join(who).replace(", ", "; ")), st["cell"]),
                     fmt_number(r.get(c["acts"])) if c["acts"] else "",
                     Paragraph(esc(dates), st["tiny"]),
                     fmt_number(r.get(c["people"])) if c["people"] else ""])
    fixed = [30 * mm, 26 * mm, 46 * mm, 15 * mm, 0, 16 * mm, 34 * mm, 17 * mm]
    fixed[4] = frame_w - sum(fixed)
    t = Table(rows, colWidths=fixed, repeatRows=1, hAlign="LEFT")
    cmds = _base_style(0) + [("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (3, 1), (3, -1), "CENTER"),
                             ("ALIGN", (5, 1), (5, -1), "CENTER"), ("ALIGN", (7, 1), (7, -1), "RIGHT")]
    for i in range(2, len(rows), 2):
        cmds.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f7f7f7")))
    t.setStyle(TableStyle(cmds))
    intro = f"{esc(rule)} {n_cells:,} found: the focal points of these partners should talk."
    if len(o) < n_cells:
        intro += (f" The {len(o)} with the most partners are listed; the full list is in the app and in "
                  "<i>python -m mapping overlaps</i>.")
    return [Paragraph(intro, st["base"]), Spacer(1, 2 * mm), t]


def _date(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return "open"
    try:
        return pd.Timestamp(v).strftime("%d %b %Y")
    except (TypeError, ValueError):
        return str(v)


def annex_flowables(acts: pd.DataFrame, units: pd.DataFrame, st: dict, frame_w: float) -> list:
    """Per district: each partner's work by sub-sector (activities, status, period, people), province order."""
    out: list = []
    if acts is None or acts.empty:
        return [Paragraph("No activities for these filters.", st["base"])]
    d = acts.astype({c: object for c in acts.columns if isinstance(acts[c].dtype, pd.CategoricalDtype)})
    d = d[d["adm2_pcode"].notna() & (d["adm2_pcode"].astype(str).str.strip() != "")].copy()
    for c in ("adm1_name", "adm2_name", "org_name", "sector"):
        d[c] = d[c].fillna("").astype(str)
    d["sub"] = d["subsector"].fillna("").astype(str)
    agg = d.groupby(["adm1_name", "adm2_name", "adm2_pcode", "org_name", "sector", "sub"], dropna=False).agg(
        n=("org_name", "size"), status=("status", lambda s: ", ".join(sorted(set(map(str, s.dropna()))))),
        start=("start_date", "min"), end=("end_date", lambda s: pd.NaT if s.isna().any() else s.max()),
        targeted=("targeted", "sum"), reached=("reached", "sum")).reset_index()
    header = ["Partner", "Sector", "Sub-sector", "Activities", "Status", "Period", "Targeted", "Reached"]
    widths_fixed = [60 * mm, 32 * mm, 0, 16 * mm, 30 * mm, 42 * mm, 18 * mm, 18 * mm]
    widths_fixed[2] = frame_w - sum(widths_fixed)
    for (prov, dist, _code), grp in agg.groupby(["adm1_name", "adm2_name", "adm2_pcode"], sort=True):
        partners = grp["org_name"].nunique()
        title = (f"<b>{esc(dist)}</b> ({esc(prov)}): {partners} partner{'s' if partners != 1 else ''}, "
                 f"{int(grp['n'].sum())} activit{'ies' if grp['n'].sum() != 1 else 'y'}")
        rows: list[list[Any]] = [[Paragraph(h, st["cellb"]) for h in header]]
        for r in grp.sort_values(["org_name", "sector", "sub"]).itertuples(index=False):
            rows.append([Paragraph(esc(r.org_name), st["cell"]), Paragraph(esc(r.sector), st["cell"]),
                         Paragraph(esc(r.sub), st["cell"]), str(int(r.n)), Paragraph(esc(r.status), st["cell"]),
                         f"{_date(r.start)} – {_date(r.end)}", fmt_number(r.targeted), fmt_number(r.reached)])
        t = Table(rows, colWidths=widths_fixed, repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle(_base_style(3) + [("VALIGN", (0, 0), (-1, -1), "TOP")]))
        out += [CondPageBreak(28 * mm), Spacer(1, 2 * mm), Paragraph(title, st["base"]), Spacer(1, 1 * mm), t]
    return out
