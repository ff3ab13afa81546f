"""Overview: what the picture says in a few sentences and figures, a small map, and how fresh the data is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import config
from mapping.analysis import matrices as analysis
from mapping.analysis.headlines import headlines
from mapping.store import registry
from views import core, render, sidebar

v = sidebar.view()
st.title(config.title())
core.demo_banner()
if desc := sidebar.describe(v):
    st.caption(f"Showing: {core.esc(desc)}")

summary = render.district_summary(v)
gaps = overlaps = pd.DataFrame()
with core.guarded("Finding gaps and overlaps"):
    if len(v.acts):
        gaps = analysis.gaps(v.acts, v.units, sectors=None, filters=v.filters, need=v.need)
        overlaps = analysis.overlaps(v.acts, filters=v.filters, units=v.units)

acts = v.filtered
district_acts = acts[acts["adm2_pcode"].notna()] if "adm2_pcode" in acts.columns else acts
covered = int((summary["partners"] > 0).sum()) if "partners" in summary.columns else 0
cols = st.columns(5)
cols[0].metric("Partners", f"{acts['org_name'].nunique() if 'org_name' in acts.columns else 0:,}")
cols[1].metric("Activities", f"{len(acts):,}")
cols[2].metric("Districts covered", f"{covered:,} of {len(v.units):,}")
cols[3].metric("Gaps", f"{len(gaps):,}", help="District × sector combinations with no partner (see Gaps & overlaps).")
cols[4].metric("Overlaps", f"{len(overlaps):,}",
               help="Places where several partners run the same kind of activity at the same time.")

left, right = st.columns([5, 4], gap="medium")
with left:
    st.markdown("#### What the picture says")
    lines: list[str] = []
    with core.guarded("Writing the headlines"):
        if len(v.acts):
            lines = list(headlines(v.acts, v.units, filters=v.filters, need=v.need))
    if lines:
        st.markdown("\n".join(f"- {core.esc(line)}" for line in lines))
    else:
        st.info("No activities have been reported yet. Focal points upload their returns on *Submit a return*.")
    with core.guarded("Drawing the map"):
        render.map_panel(v, summary, height=440, key="overview_map", interactive=False)
with right:
    st.markdown("#### Data freshness")
    orgs = core.call(registry.list_orgs, core.engine()) or []
    latest = pd.DataFrame(columns=["org_name", "submitted_at"])
    if len(v.acts) and "submitted_at" in v.acts.columns:
        fresh = v.acts
        if "carried_forward" in fresh.columns:
            fresh = fresh[~fresh["carried_forward"].fillna(False).astype(bool)]
        latest = fresh.groupby("org_name", as_index=False)["submitted_at"].max()
    rows = []
    last = dict(zip(latest["org_name"], latest["submitted_at"], strict=False))
    for org in orgs:
        when = last.get(org["name"])
        rows.append({"Organisation": org["name"], "reported": when is not None,
                     "Last return": pd.to_datetime(when).strftime("%d %b %Y") if when is not None else "not yet"})
    freshness = pd.DataFrame(rows)
    missing = [r["Organisation"] for r in rows if not r["reported"]]
    round_label = v.filters.round_name or core.open_round() or "this round"
    if missing:
        st.warning(f"{len(missing)} of {len(rows)} organisations have not reported in {core.esc(round_label)}: "
                   + ", ".join(core.esc(m) for m in missing[:12]) + (" …" if len(missing) > 12 else ""))
    elif rows:
        st.success(f"Every organisation has reported in {core.esc(round_label)}.")
    if len(freshness):
        # two columns so the table fits beside the map; organisations still to report come first
        shown = freshness.sort_values(["reported", "Organisation"])[["Last return", "Organisation"]]
        st.dataframe(shown, hide_index=True, width="stretch", height=min(520, 38 + 35 * len(shown)),
                     column_config={"Last return": st.column_config.TextColumn(width=96)})
    else:
        st.caption("No organisations registered yet.")
