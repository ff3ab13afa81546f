"""Gaps & overlaps: where nobody works, where one partner carries a district, and who should talk to whom."""

from __future__ import annotations

import streamlit as st

from mapping.analysis import matrices as analysis
from views import core, render, sidebar

v = sidebar.view()
st.title("Gaps & overlaps")
core.demo_banner()
if desc := sidebar.describe(v):
    st.caption(f"Showing: {core.esc(desc)}")
if not len(v.acts):
    st.info("No activities reported yet: every district is a gap until returns come in.")
    st.stop()

tab_gaps, tab_thin, tab_overlaps = st.tabs(["Gaps", "Thin coverage", "Overlaps"])
with tab_gaps:
    st.markdown("Districts and sectors with **no partner** reporting a district-level activity in this view. "
                "Districts with nobody at all come first; with a need figure loaded, the neediest rank first.")
    with core.guarded("Ranking the gaps"):
        gaps = analysis.gaps(v.acts, v.units, sectors=None, filters=v.filters, need=v.need)
        summary = render.district_summary(v)
        by_district = summary[summary["gap_sectors"] > 0].sort_values(
            (["need"] if "need" in summary.columns else []) + ["partners", "gap_sectors", "adm2_name"],
            ascending=([False] if "need" in summary.columns else []) + [True, False, True])
        by_district = by_district.assign(gap_sector_names=by_district["gap_sector_names"].where(
            by_district["partners"] > 0, "every sector (no partner at all)"))
        empty = int((summary["partners"] == 0).sum())
        st.caption(f"{len(gaps):,} district × sector gaps in {len(by_district):,} districts; "
                   f"{empty:,} districts have no partner at all.")
        render.table(by_district, ["adm2_name", "adm1_name", "adm2_pcode", "partners", "gap_sectors",
                                   "gap_sector_names", *(["need"] if "need" in by_district.columns else [])],
                     empty="No gaps in this view: every district has every sector covered.", height=460,
                     widths={"adm2_name": 150, "adm1_name": 150, "adm2_pcode": 76, "partners": 76, "gap_sectors": 120,
                             "gap_sector_names": "large"})
        with st.expander(f"Every gap, one row per district and sector ({len(gaps):,})"):
            render.table(gaps, ["district", "province", "sector", "wide_partners",
                                *(["need", "need_rank"] if "need" in gaps.columns else [])], height=400)
with tab_thin:
    st.markdown("Districts where **a single partner** carries a sector: at risk if that partner leaves.")
    with core.guarded("Finding thin coverage"):
        thin = analysis.thin_coverage(v.acts, v.units, sectors=None, filters=v.filters, need=v.need)
        st.caption(f"{len(thin):,} district × sector combinations with one partner")
        render.table(thin, ["district", "province", "sector", "partner", "wide_partners",
                            *(["need", "need_rank"] if "need" in thin.columns else [])],
                     labels={"partner": "The one partner"}, empty="No thin coverage in this view.", height=520)
with tab_overlaps:
    st.markdown("Places where **several partners** run the same kind of activity at the same time. "
                "The partners listed should be put in touch so beneficiaries are not covered twice.")
    with core.guarded("Finding overlaps"):
        overlaps = analysis.overlaps(v.acts, filters=v.filters, units=v.units)
        st.caption(f"{len(overlaps):,} overlap groups")
        render.table(overlaps, ["district", "province", "sector", "subsector", "partner_names", "peak_partners",
                                "activities", "overlap_from", "overlap_to", "targeted"],
                     labels={"partner_names": "Partners to put in touch"}, empty="No overlaps in this view.",
                     height=520)
    programme = getattr(analysis, "programme_overlaps", None)
    if programme is not None:
        with core.guarded("Finding programme overlaps"):
            prog = programme(v.acts, filters=v.filters, units=v.units)
            if prog is not None and len(prog):
                st.markdown("**Same programme type reported by several partners**")
                render.table(prog, height=360)
st.caption(" ".join(getattr(analysis, "COUNTING_RULES", [])))
