"""Map: districts coloured by the chosen measure; click one to open its profile beside the map."""

from __future__ import annotations

import streamlit as st

from mapping.analysis import frame, profiles
from mapping.analysis import matrices as analysis
from mapping.analysis.filters import NOTHING_IN_VIEW
from mapping.outputs import maps
from views import core, render, sidebar

MAP_KEY = "district_map"
WIDE_SHOWN = 40  # lines under the map; the Export page lists every activity

v = sidebar.view()
st.title("Map")
core.demo_banner()
if v.geo is None:
    st.stop()

summary = render.district_summary(v)
options = maps.measures(summary)
top = st.columns([3, 2])
measure = top[0].radio("Colour districts by", list(options), format_func=options.get, horizontal=True,
                       key="map_measure")
if desc := sidebar.describe(v):
    top[1].caption(f"Showing: {core.esc(desc)}")

names = dict(zip(v.units["adm2_pcode"], v.units["adm2_name"], strict=False))
# st_folium repeats the last clicked feature on every rerun, and forgets it whenever the map is redrawn (a new
# selection or measure makes a new component). It copies a value to session_state[MAP_KEY] only when the browser
# sends one, i.e. on a click: popping it tells a fresh click (even on a district clicked before, after another
# was picked in the list) from the echo, and handling it before drawing outlines the right district at once.
fresh = st.session_state.pop(MAP_KEY, None)
clicked = maps.feature_pcode(fresh.get("last_active_drawing")) if isinstance(fresh, dict) else None
if clicked in names:
    st.session_state["map_district"] = clicked
    st.session_state.pop("_map_focus", None)
# a district picked in the list (not clicked on the map) is also brought into view, once
focus = st.session_state.pop("_map_focus", None)
left, right = st.columns([5, 3], gap="medium")
with left, core.guarded("Drawing the map"):
    render.map_panel(v, summary, measure=measure, height=620, key=MAP_KEY,
                     selected=st.session_state.get("map_district") or None, focus=focus)
with right:
    choices = [""] + sorted(names, key=lambda p: (names[p], p))
    if st.session_state.get("map_district") not in choices:
        st.session_state["map_district"] = ""
    pcode = st.selectbox("District profile", choices, key="map_district",
                         on_change=lambda: st.session_state.update(_map_focus=st.session_state.get("map_district")),
                         format_func=lambda p: "Click a district on the map, or pick one" if not p else
                         f"{names.get(p, p)} ({p})")
    if pcode:
        with core.guarded("Opening the district profile"):
            render.profile(render.shared("profile", v, lambda: profiles.district_profile(
                v.prepared, v.units, pcode, filters=v.filters), pcode))
    else:
        st.caption("The profile lists the partners, sectors, activities and donors in a district.")
        top_d = maps.summary_table(summary, v.units) if len(summary) else summary
        top_d = top_d[top_d["partners"] > 0].head(10) if "partners" in top_d.columns else top_d
        st.markdown("**Districts with the most partners**")
        # a numbered list, not a table: it fits the side panel and a phone, and the page's first paint does not
        # wait for the data grid's half-megabyte script before the map's frame is made (issue 14)
        render.ranking(top_d, empty="No activity reported yet." if not len(v.acts) else
                       NOTHING_IN_VIEW if not len(v.scoped) else
                       "No district-level activity in this view (the province-wide and national ones are below).")

wide = frame.as_stored(v.acts, render.wide_activities(v.scoped))  # listed as reported (a blank sub-sector blank)
with st.expander(f"Province-wide and national activities ({len(wide)}) — not drawn on the map",
                 expanded=bool(len(wide)) and len(wide) <= 15):
    render.wide_lines(wide, limit=WIDE_SHOWN, empty="None in this view.")
st.caption("Counting rules: " + " ".join(analysis.COUNTING_RULES[:3]))
