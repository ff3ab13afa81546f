"""A people-overlap table as the pages show it: on *People in two programmes* and in *Gaps & overlaps*.

One drawing for both pages, so the two cannot drift apart: the totals, the district rows and the suppression
rule stated beside them. It is given only the suppressed `OverlapTable` (never a list or an exact count).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping.analysis import people_overlap as po
from views import core


def district_rows(table: po.OverlapTable, units: pd.DataFrame) -> pd.DataFrame:
    """One row per district the table has, then the 'in both, different districts' row; names from the units."""
    a, b = table.programmes
    names = dict(zip(units["adm2_pcode"], units["adm2_name"], strict=False))
    province = dict(zip(units["adm2_pcode"], units["adm1_name"], strict=False))
    return pd.DataFrame([{"District": names.get(r["adm2_pcode"], r["adm2_pcode"]) if r["adm2_pcode"]
                          else f"In both, {po.ELSEWHERE}",
                          "Province": province.get(r["adm2_pcode"], ""), "In both": po.figure(r["in_both"]),
                          f"Only in {a}": po.figure(r["only_a"]), f"Only in {b}": po.figure(r["only_b"]),
                          "Share in both": po.share_text(r.get("share"))}
                         for r in table.by_district])


def show(table: po.OverlapTable, units: pd.DataFrame | None) -> None:
    """Totals as metrics, the no-overlap advice when nobody is in both, the rule, then the district table."""
    a, b = table.programmes
    st.markdown(f"**{core.esc(a)} and {core.esc(b)}, round {core.esc(table.round_name)}**")
    m1, m2, m3 = st.columns(3)
    m1.metric("People in both", po.figure(table.total["in_both"]))
    m2.metric(f"Only in {a}", po.figure(table.total["only_a"]))
    m3.metric(f"Only in {b}", po.figure(table.total["only_b"]))
    if table.total["in_both"] == 0:
        st.warning(po.NO_OVERLAP_NOTE)
    st.caption("A district counts people both programmes list there; people in both lists but listed in "
               "different districts are the last row. " + table.rule)
    if units is None:
        units = pd.DataFrame(columns=["adm2_pcode", "adm2_name", "adm1_name"])
    st.dataframe(district_rows(table, units), hide_index=True, width="stretch")
