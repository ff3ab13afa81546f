"""Matrices: partner × district, sector × district, partner × sector, heat-coloured like the map and the PDF."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import config
from mapping.analysis import currency, strategy
from mapping.analysis import matrices as analysis
from mapping.analysis.filters import NOTHING_IN_VIEW
from mapping.outputs import export, palette
from mapping.returns.strategy import load_framework
from mapping.store import registry
from views import core, render, sidebar

v = sidebar.view()
st.title("Matrices")
core.demo_banner()

# Districts run down the side (grouped by province): 160 columns would not fit a screen.
KINDS = {
    "Partner × district": ("district", "partner"),
    "Sector × district": ("district", "sector"),
    "Partner × sector": ("partner", "sector"),
}
MEASURE_LABELS = {"partners": "Partners", "activities": "Activities", "targeted": "Beneficiaries targeted",
                  "reached": "Beneficiaries reached", "budget": "Budget"}

c1, c2 = st.columns([1, 1])
kind = c1.radio("Matrix", list(KINDS), horizontal=True, key="mx_kind")
rows, cols = KINDS[kind]
measures = {k: val for k, val in MEASURE_LABELS.items() if not (k == "partners" and "partner" in (rows, cols))}
if st.session_state.get("mx_measure") not in measures:
    st.session_state["mx_measure"] = "activities" if "partner" in (rows, cols) else "partners"
measure = c2.radio("Count", list(measures), format_func=measures.get, horizontal=True, key="mx_measure")
t1, t2, t3 = st.columns(3)
only_active = "district" not in (rows, cols) or t1.toggle(
    "Only districts with activity", key="mx_only_active", value=True,
    help="Off: every district is listed, so the empty rows show the gaps.")
transpose = t2.toggle("Swap rows and columns", key="mx_transpose")
if desc := sidebar.describe(v):
    st.caption(f"Showing: {core.esc(desc)}")

if not len(v.acts):
    st.info("No activities reported yet, so the matrices are empty.")
    st.stop()
if not len(v.scoped):  # an all-blank matrix with a lone dot and two downloads said nothing
    st.info(core.esc(NOTHING_IN_VIEW))
    st.stop()

mx = None
with core.guarded("Building the matrix", stop=True):
    mx = analysis.matrix(v.prepared, v.units, rows=rows, cols=cols, measure=measure, filters=v.filters)
if mx is None or not len(mx):
    st.info("Nothing matches the filters.")
    st.stop()
if only_active and isinstance(mx.index, pd.MultiIndex):
    body_total = mx[export.TOTAL] if export.TOTAL in mx.columns else mx.sum(axis=1)
    keep = (body_total > 0).to_numpy() | [export.is_total_label(ix) for ix in mx.index]
    mx = mx[keep]
short = "partner" in (rows, cols) and t3.toggle("Acronyms for partners", key="mx_short", value=True,
                                                help="Full names are in the downloads and listed below the table.")
mx.index = mx.index.set_names([str(n).capitalize() if n else n for n in mx.index.names])
full = export.flat_labels(mx).T if transpose else mx
acronyms: dict[str, str] = {}
if short:
    acronyms = analysis.partner_acronyms(core.call(registry.list_orgs, core.engine()) or [])
    if rows == "partner":
        mx = mx.rename(index=acronyms)
    else:
        mx = mx.rename(columns=acronyms)
shown = export.flat_labels(mx).T if transpose else mx
if export.TOTAL in shown.columns:  # on screen the Total comes first, so it is visible without scrolling
    shown = shown[[export.TOTAL, *[c for c in shown.columns if c != export.TOTAL]]]

classes = palette.value_classes(export.matrix_vmax(shown))  # one key for screen, PDF and Excel


def _heat(data: pd.DataFrame) -> pd.DataFrame:
    """Cell styles: the shared heat scale for values, nothing for empty cells, bold grey for totals."""
    def cell(value, row_label, col_label):
        if export.is_total_label(row_label) or export.is_total_label(col_label):
            return "font-weight: 600; background-color: #f0f2f6"
        try:
            val = float(value)
        except (TypeError, ValueError):
            return ""
        if not val > 0:  # empty cells stay blank so the coloured ones stand out
            return "color: #c8c8c8"
        bg = palette.class_colour_of(val, classes)
        return f"background-color: {bg}; color: {palette.text_colour(bg)}"

    return pd.DataFrame([[cell(data.iat[i, j], data.index[i], data.columns[j]) for j in range(data.shape[1])]
                         for i in range(data.shape[0])], index=data.index, columns=data.columns)


def _cell_text(x) -> str:
    """Numbers with thousands separators; zero shows as a faint dot (the total still counts it)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return "·" if not x > 0 else f"{x:,.0f}"
    return x


styler = shown.style.apply(_heat, axis=None).format(_cell_text)


def _width(column) -> int:
    """Pixels for a column: as wide as its widest number, its header up to a cap (the header tooltip shows
    the rest), so a partner × district matrix fits the screen and no figure is cut."""
    values = [len(str(_cell_text(x))) for x in shown[column].tolist()]
    chars = max([min(len(str(column)), 16), *values])
    return max(40, round(7.5 * chars + 14))


col_cfg = {str(c): st.column_config.Column(width=_width(c)) for c in shown.columns}
unit = f" ({currency.load_rates().reporting})" if measure == "budget" and currency.load_rates() else ""
st.html(render.heat_legend(classes, measures[measure] + unit))
st.dataframe(styler, width="stretch", height=min(760, 40 + 35 * (len(shown) + 1)), column_config=col_cfg)
n_rows, n_cols = max(len(shown) - 1, 0), max(len(shown.columns) - 1, 0)
budget_note = currency.budget_note(v.filtered) if measure == "budget" else ""
st.caption(f"{n_rows} rows × {n_cols} columns; totals in bold (first column, last row). A dot means none; "
           "darker blue means more. "
           + core.esc(mx.attrs.get("rule", "")) + " " + core.esc(mx.attrs.get("wide", "")))
if budget_note:
    st.caption(core.esc(budget_note))

slug = kind.lower().replace(" × ", "_by_")
d1, d2, _ = st.columns([1, 1, 2])
with d1, core.guarded("Preparing the Excel file"):
    render.download("Download Excel (coloured)", export.matrix_xlsx(
        full, title=f"{config.title()} — {kind}, {measures[measure].lower()}", sheet=kind.replace(" × ", " x "),
        notes=[n for n in (desc, budget_note) if n]), f"stocktake_{slug}.xlsx", render.XLSX, key="mx_xlsx")
with d2, core.guarded("Preparing the CSV file"):
    render.download("Download CSV", export.matrix_csv(full), f"stocktake_{slug}.csv", "text/csv", key="mx_csv")
if short and acronyms:
    used = [n for n, a in sorted(acronyms.items(), key=lambda x: x[1])
            if a in set(map(str, shown.index)) | set(map(str, shown.columns))]
    with st.expander(f"Acronyms ({len(used)})"):
        st.markdown("  \n".join(f"**{core.esc(acronyms[n])}** — {core.esc(n)}" for n in used))

# ------------------------------------------------------------------ against the government's strategy
framework = load_framework()
if framework is not None:
    st.subheader("Against the strategy")
    s1, s2 = st.columns(2)
    strategy_rows = s1.radio("Strategy matrix", ["Partner × pillar", "Pillar × province"], horizontal=True,
                             key="mx_strategy_kind")
    strategy_measure = s2.radio("Count ", ["activities", "partners"], horizontal=True, key="mx_strategy_measure",
                                format_func=str.capitalize)
    with core.guarded("Reading the returns against the strategy"):
        scoped = v.filtered  # the stored rows: the strategy tables count partners as reported
        sm = strategy.pillar_matrix(scoped, framework, rows="partner" if strategy_rows.startswith("Partner")
                                    else "province", measure=strategy_measure)
        # pillar names are too long for columns (they were cut mid-word): a column is headed by its code, the
        # whole name on hover and in the key under the table; rows (pillar × province) keep the whole name
        pillars = {f"{p.code} {p.name}": p for p in framework.of_level("pillar")}
        sm = sm.rename(columns={c: pillars[c].code for c in sm.columns if c in pillars})
        narrow = {p.code: st.column_config.NumberColumn(p.code, help=f"{p.code} {p.name}")
                  for p in pillars.values() if p.code in sm.columns}
        st.dataframe(sm, width="stretch", key="mx_strategy", column_config=narrow)
        if narrow:
            st.caption("Pillars: " + "; ".join(f"**{core.esc(p.code)}** {core.esc(p.name)}"
                                                for p in pillars.values() if p.code in sm.columns) + ".")
        st.caption(core.esc(strategy.RULE) + " The Gaps page lists the policy actions nobody supports.")
