"""Export: the PDF snapshot for the meeting, and the data behind the picture (Excel with HXL row, CSV, GeoJSON)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from mapping import config, workflow
from mapping.outputs import export, report
from mapping.store import people, picture
from views import core, render, sidebar

v = sidebar.view()
st.title("Export")
core.demo_banner()
desc = sidebar.describe(v)
st.caption(f"Everything below follows the sidebar filters{': ' + core.esc(desc) if desc else ' (none set)'}.")
contacts = core.can_see_contacts(v.actor)
stamp = dt.date.today().isoformat()

st.subheader("PDF snapshot")
st.markdown("Cover with headline findings, the partner map, matrices, gaps and overlaps, and the counting rules — "
            "ready to print for the meeting.")
pairs = people.consented_pairs(core.engine(), v.actor)
chosen = st.multiselect("Add “People in two programmes” for", pairs, format_func=" + ".join, key="pdf_people",
                        help="Pairs whose owners both consented; only suppressed counts go into the PDF.") \
    if pairs else []
key = ("pdf", v.version, tuple(sorted(v.filters.to_params().items())),
       tuple(chosen))
if st.session_state.get("_pdf_key") != key:
    st.session_state.pop("_pdf", None)
if st.button("Build the PDF snapshot", type="primary", key="build_pdf", disabled=not len(v.acts) or v.geo is None):
    with st.spinner("Drawing maps and tables…"), core.guarded("Building the PDF"):
        data = workflow.snapshot_inputs(core.engine(), v.actor, round_name=v.filters.round_name, acts=v.acts)
        st.session_state["_pdf"] = report.build_snapshot(  # the prepared picture: not prepared a second time
            v.prepared, data.units, data.bset, filters=v.filters, title=config.title(),
            extra_sections=workflow.snapshot_extras(core.engine()),
            people=[workflow.people_overlap(core.engine(), v.actor, a, b) for a, b in chosen], **data.cover())
        st.session_state["_pdf_key"] = key
if st.session_state.get("_pdf"):
    render.download("Download the PDF snapshot", st.session_state["_pdf"], f"stocktake_snapshot_{stamp}.pdf",
                    "application/pdf", key="dl_pdf")
if not len(v.acts):
    st.caption("Nothing to export yet: no returns have been accepted.")

st.subheader("Data")
st.markdown(f"**{len(v.filtered):,} activities** in this view. The Excel and CSV files carry an HXL hashtag row. "
            + picture.CONTACT_SENTENCES[picture.contacts_shown(v.actor)])
c1, c2, c3 = st.columns(3)
with c1, core.guarded("Preparing the Excel file"):
    render.download("Activities (Excel)", render.cached_bytes(
        "xlsx", v, lambda: export.dataset_xlsx(v.filtered, include_contacts=contacts, title=config.title()), contacts),
                    f"stocktake_activities_{stamp}.xlsx", render.XLSX, key="dl_xlsx")
with c2, core.guarded("Preparing the CSV file"):
    render.download("Activities (CSV)", render.cached_bytes(
        "csv", v, lambda: export.dataset_csv(v.filtered, include_contacts=contacts), contacts),
                    f"stocktake_activities_{stamp}.csv", "text/csv", key="dl_csv")
with c3, core.guarded("Preparing the GeoJSON file"):
    if v.geo is not None:
        render.download("District coverage (GeoJSON)",
                        render.cached_bytes("geojson", v, lambda: export.coverage_geojson(
                            core.bset(), render.district_summary(v), simplify_tolerance=0.005), v.geo.version),
                        f"stocktake_coverage_{stamp}.geojson", "application/geo+json", key="dl_geojson",
                        help="Partners, activities and beneficiaries per district, for GIS tools.")
if v.geo is not None:
    st.caption(core.esc(v.geo.attribution))
