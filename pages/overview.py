"""Overview: what the picture says in a few sentences and figures, a small map, and how fresh the data is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import config
from mapping.analysis import matrices as analysis
from mapping.analysis.headlines import headlines
from mapping.store import reporting
from views import core, render, sidebar

v = sidebar.view()
st.title(config.title())
core.demo_banner()
if desc := sidebar.describe(v):
    st.caption(f"Showing: {core.esc(desc)}")

# Cheap first (issue 14): the figures, then the headlines and the freshness table, the map last, so nothing
# waits for the map and the map never waits for the tables.
summary = render.district_summary(v)
acts = v.scoped
covered = int((summary["partners"] > 0).sum()) if "partners" in summary.columns else 0
cols = st.columns(5)
named = acts["org_name"][acts["org_name"] != ""] if "org_name" in acts.columns else pd.Series(dtype=object)
cols[0].metric("Partners", f"{named.nunique():,}")
cols[1].metric("Activities", f"{len(acts):,}")
cols[2].metric("Districts covered", f"{covered:,} of {len(v.units):,}")
gaps = overlaps = pd.DataFrame()
with core.guarded("Finding gaps and overlaps"):
    if len(v.acts):
        gaps = render.shared("gaps", v, lambda: analysis.gaps(v.prepared, v.units, sectors=None, filters=v.filters,
                                                               need=v.need))
        overlaps = render.shared("overlaps", v, lambda: analysis.overlaps(v.prepared, filters=v.filters, units=v.units))
cols[3].metric("Gaps", f"{len(gaps):,}", help="District × sector combinations with no partner (see Gaps & overlaps).")
cols[4].metric("Overlaps", f"{len(overlaps):,}",
               help="Places where several partners run the same kind of activity at the same time.")

left, right = st.columns([5, 4], gap="medium")
with left:
    st.markdown("#### What the picture says")
    lines: list[str] = []
    with core.guarded("Writing the headlines"):
        if len(v.acts):
            lines = render.shared("headlines", v,
                                  lambda: list(headlines(v.prepared, v.units, filters=v.filters, need=v.need)))
    if lines:
        st.markdown("\n".join(f"- {core.esc(line)}" for line in lines))
    else:
        st.info("No activities have been reported yet. Focal points upload their returns on *Submit a return*.")
    map_slot = st.container()
with right:
    st.markdown("#### Data freshness")
    status = core.call(reporting.round_status, core.engine(), v.actor, v.filters.round_name or core.open_round(),
                       what="Reading who has reported")
    if status is None or not status.orgs:
        st.caption("No organisations registered yet.")
    else:
        say = st.success if not status.missing else st.warning
        say(core.esc(status.sentence()))
        # organisations still to report come first; a carried or rejected return is said, never "not yet";
        # the name leads and gets most of the narrow panel (a cut date reads better than a cut name)
        order = {"none": 0, "rejected": 1, "carried": 2, "reported": 3}
        shown = pd.DataFrame([{"Organisation": o.org, "Standing": o.label(), "_o": order[o.state]}
                              for o in status.orgs]).sort_values(["_o", "Organisation"]).drop(columns="_o")
        st.dataframe(shown, hide_index=True, width="stretch", height=min(520, 38 + 35 * len(shown)),
                     column_config={"Organisation": st.column_config.TextColumn(width=250)})

with map_slot, core.guarded("Drawing the map"):
    render.map_panel(v, summary, height=440, key="overview_map", interactive=False)
