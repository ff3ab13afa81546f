"""Gaps & overlaps: where nobody works, where one partner carries a district, and who should talk to whom."""

from __future__ import annotations

import streamlit as st

from mapping import workflow
from mapping.analysis import matrices as analysis
from mapping.analysis import strategy
from mapping.returns.strategy import load_framework
from mapping.store import people
from views import admin, core, render, sidebar
from views import people as people_view

v = sidebar.view()
st.title("Gaps & overlaps")
core.demo_banner()
if desc := sidebar.describe(v):
    st.caption(f"Showing: {core.esc(desc)}")
if v.actor is not None and v.actor.role == "admin":  # the need figure is kept where it ranks the gaps
    with st.expander("Need indicator (ranks the gaps for everyone)"):
        admin.flash()
        admin.need_indicator(v.actor)
if not len(v.acts):
    st.info("No activities reported yet: every district is a gap until returns come in.")
    st.stop()

tab_gaps, tab_thin, tab_overlaps = st.tabs(["Gaps", "Thin coverage", "Overlaps"])
with tab_gaps:
    st.markdown("Districts and sectors with **no partner** reporting a district-level activity in this view.")
    with core.guarded("Ranking the gaps"):
        gaps = analysis.gaps(v.prepared, v.units, sectors=None, filters=v.filters, need=v.need)
        summary = render.district_summary(v)
        by_district = analysis.gap_districts(summary, v.filters)  # the districts in view, not the whole map
        empty = int((by_district["partners"] == 0).sum())
        st.caption(f"{len(gaps):,} district × sector gaps in {len(by_district):,} districts; "
                   f"{empty:,} districts have no partner at all. {core.esc(by_district.attrs['order'])}")
        ranked = "need" in by_district.columns and by_district["need"].notna().any()
        # ranked by need: the Need column comes first, so the order explains itself without scrolling
        render.table(by_district, [*(["need"] if ranked else []), "adm2_name", "adm1_name", "adm2_pcode", "partners",
                                   "gap_sectors", "gap_sector_names"],
                     empty="No gaps in this view: every district has every sector covered.", height=460,
                     widths={"need": 90, "adm2_name": 150, "adm1_name": 150, "adm2_pcode": 76, "partners": 76,
                             "gap_sectors": 120, "gap_sector_names": "large"})
        with st.expander(f"Every gap, one row per district and sector ({len(gaps):,})"):
            render.table(gaps, ["district", "province", "sector", "wide_partners",
                                *(["need", "need_rank"] if "need" in gaps.columns else [])], height=400)
with tab_thin:
    st.markdown("Districts where **a single partner** carries a sector: at risk if that partner leaves.")
    with core.guarded("Finding thin coverage"):
        thin = analysis.thin_coverage(v.prepared, v.units, sectors=None, filters=v.filters, need=v.need)
        st.caption(f"{len(thin):,} district × sector combinations with one partner")
        render.table(thin, ["district", "province", "sector", "partner", "wide_partners",
                            *(["need", "need_rank"] if "need" in thin.columns else [])],
                     labels={"partner": "The one partner"}, empty="No thin coverage in this view.", height=520)
with tab_overlaps:
    st.markdown("Places where **several partners** run the same kind of activity at the same time. "
                "The partners listed should be put in touch so beneficiaries are not covered twice.")
    with core.guarded("Finding overlaps"):
        overlaps = analysis.overlaps(v.prepared, filters=v.filters, units=v.units)
        st.caption(f"{len(overlaps):,} overlap groups")
        # where, what and whom to put in touch fit the screen (the partners were cut off after the first one or
        # two); the sector, counts and dates scroll into view
        render.table(overlaps, ["district", "province", "subsector", "partner_names", "sector", "peak_partners",
                                "activities", "overlap_from", "overlap_to", "targeted"],
                     labels={"partner_names": "Partners to put in touch"}, empty="No overlaps in this view.",
                     widths={"district": 130, "province": 130, "subsector": 180, "partner_names": 460}, height=520)
    st.markdown("**Same programme type reported by several partners**")
    pairs = st.radio("Pair programmes", list(analysis.PROGRAMME_PAIRS), format_func=analysis.PROGRAMME_PAIRS.get,
                     horizontal=True, key="gaps_programme_pairs",
                     help="Between organisations: the programmes to put in touch. Within one organisation: its "
                          "own programmes that serve the same people.")
    with core.guarded("Finding programme overlaps"):
        prog = analysis.programme_overlaps(v.prepared, filters=v.filters, units=v.units, pairs=pairs)
        st.caption(f"{len(prog):,} pairs of programmes {core.esc(prog.attrs.get('pairs', ''))}")
        render.table(prog, ["project_a", "orgs_a", "project_b", "orgs_b", "shared_on", "shared_value", "districts",
                            "district_names"],
                     labels={"project_a": "Programme", "orgs_a": "Organisation", "project_b": "Other programme",
                             "orgs_b": "Its organisation", "shared_on": "Shared", "shared_value": "What",
                             "districts": "Districts in common", "district_names": "Which districts"},
                     empty="No two programmes serve the same people in a common district in this view.", height=360)
    if v.actor is not None and v.actor.role in ("admin", "focal_point"):  # never for viewers and the public
        st.markdown("**People in two programmes**")
        st.caption("How many people two programmes both reach, from hashed beneficiary lists, once both owners "
                   "have agreed. Uploads, consent and the share map are on *People in two programmes*.")
        with core.guarded("Counting people in two programmes"):
            people_pairs = people.consented_pairs(core.engine(), v.actor)
            if not people_pairs:
                st.caption("No two programmes you can see have both agreed to compare their people yet.")
            else:
                pair = st.selectbox("Programmes whose owners both agreed", people_pairs, format_func=" + ".join,
                                    key="gaps_people_pair")
                if st.button("Count the people in both", key="gaps_people_count"):
                    st.session_state.pop("gaps_people_table", None)
                    st.session_state["gaps_people_table"] = workflow.people_overlap(core.engine(), v.actor, *pair)
                table = st.session_state.get("gaps_people_table")
                if table is not None and table.programmes == tuple(pair):
                    people_view.show(table, v.units)
st.caption(" ".join(analysis.COUNTING_RULES))

framework = load_framework()
if framework is not None:
    st.subheader("Gaps against the strategy")
    with core.guarded("Reading the returns against the strategy"):
        scoped = v.filtered  # the stored rows: the strategy tables count partners as reported
        for sentence in strategy.headlines(scoped, framework):
            st.markdown(f"- {core.esc(sentence)}")
        unsupported = strategy.unsupported_actions(scoped, framework)
        st.caption(f"{len(unsupported)} of {len(framework.of_level('action'))} policy actions have no partner "
                   "support in this view. " + core.esc(strategy.RULE))
        render.table(unsupported, ["code", "action", "objective", "pillar"],
                     labels={"code": "Code", "action": "Policy action", "objective": "Objective", "pillar": "Pillar"},
                     empty="Every policy action has at least one partner in this view.", key="gaps_strategy")
        st.markdown("**Pillars resting on one partner**")
        st.caption(f"A pillar is listed when one partner holds {strategy.CONCENTRATION:.0%} or more of the "
                   "activities that support it, or is its only partner.")
        concentrated = strategy.concentrated_pillars(scoped, framework)
        concentrated["share"] = concentrated["share"].map(lambda x: f"{x:.0%}")  # 0.667 reads as 67%
        render.table(concentrated, ["pillar", "partner", "share", "activities", "partners"],
                     labels={"pillar": "Pillar", "partner": "Partner carrying it", "share": "Its share",
                             "activities": "Activities", "partners": "Partners"},
                     empty="No pillar rests on one partner.", key="gaps_strategy_concentrated")
