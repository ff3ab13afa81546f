"""Programmes: the inter-provincial forum's view — who runs what for whom where, and where two serve the same
people. A thin view over `mapping.analysis.programmes`; the list itself is kept on the Admin page or by command."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from mapping import config, workflow
from mapping.analysis import programmes as an
from mapping.outputs import programmes as outputs
from mapping.returns.programmes import load_target_groups
from mapping.store import programmes as store_programmes
from views import core, render


@st.cache_data(max_entries=32, show_spinner="Drawing the map…")
def _map_png(key: str, version: str, _per: pd.Series, _bset) -> bytes:
    """The districts coloured by how many programmes serve the group (cached per counts and boundary set)."""
    from mapping.outputs import report_maps

    adm1, adm2 = report_maps.simplified_layers(_bset)
    png, _ = report_maps.partners_map_png(adm1, adm2, _per, legend_title="Programmes", dpi=110,
                                          zero_label="0 (no programme)")
    return png


st.title("Programmes")
core.demo_banner()
actor = core.require(core.current_actor(), ("public", "viewer", "focal_point", "admin"))
engine = core.engine()
with core.guarded("Loading the programmes", stop=True):
    frame, units = workflow.programmes_data(engine)
if frame.empty:
    st.info("No programme is recorded yet. The secretariat adds them on the Admin page (or with "
            "`python -m mapping programmes import`).")
    st.stop()

groups = list(load_target_groups().names)
provinces = sorted(units["adm1_name"].unique())
types = sorted({t for t in frame["programme_type"].dropna()})
c1, c2, c3 = st.columns(3)
pick_prov = c1.multiselect("Province", provinces, key="prog_provinces", placeholder="All provinces")
pick_type = c2.multiselect("Programme type", types, key="prog_types", placeholder="All types")
pick_group = c3.multiselect("Target group", groups, key="prog_groups", placeholder="All groups")
shown = an.filter_programmes(frame, units, provinces=pick_prov, types=pick_type, groups=pick_group)
group = pick_group[0] if len(pick_group) == 1 else None
for sentence in an.headlines(shown, units, group=group):
    st.markdown(f"- {core.esc(sentence)}")
st.caption(core.esc(an.COVERAGE_RULE))

st.subheader(f"Programmes ({len(shown)})")
render.table(an.table(shown, units), ["programme", "owner", "provinces", "programme_type", "target_groups",
                                      "benefit", "districts", "beneficiaries", "beneficiaries_date",
                                      "beneficiaries_source", "start_year", "eligibility"],
             labels={"programme": "Programme", "owner": "Owner", "provinces": "Provinces",
                     "programme_type": "Type", "target_groups": "Target groups", "benefit": "Benefit",
                     "districts": "Districts covered", "beneficiaries": "People",
                     "beneficiaries_date": "People as of", "beneficiaries_source": "Source",
                     "start_year": "Since", "eligibility": "Eligibility"}, key="prog_table")

st.subheader("Programme × province")
st.caption("Districts each programme covers in each province; 0 = none.")
matrix = an.programme_province_matrix(shown, units)
if len(matrix):
    st.dataframe(matrix, width="stretch", key="prog_matrix")

st.subheader("Where programmes reach a group")
map_group = st.selectbox("Target group on the map", ["Any target group", *groups],
                         index=1 + groups.index(group) if group else 0, key="prog_map_group")
per = an.programmes_per_district(shown, units, group=None if map_group == "Any target group" else map_group)
bset = core.bset()
if bset is not None:
    with core.guarded("Drawing the map"):
        key = hashlib.sha256(pd.util.hash_pandas_object(per).values.tobytes()).hexdigest()
        png = _map_png(key, bset.version, per, bset)
        st.image(png, caption=f"Programmes serving {map_group.lower()} per district "
                              f"({int((per > 0).sum())} of {len(per)} districts have at least one). "
                              + core.esc((bset.meta or {}).get("attribution") or ""))

st.subheader("Same group, same district")
st.caption("Two programmes of different owners that serve the same target group in the same districts.")
same_owner = st.toggle("Also pairs of one owner's programmes", key="prog_same_owner")
pairs = an.same_group_pairs(shown, units, group=group, same_owner=same_owner)
st.caption(f"{len(pairs)} pair{'s' if len(pairs) != 1 else ''}")
render.table(pairs, ["target_groups", "programme_a", "owner_a", "programme_b", "owner_b", "shared_districts",
                     "districts"],
             labels={"target_groups": "Target groups", "programme_a": "Programme", "owner_a": "Owner",
                     "programme_b": "and programme", "owner_b": "Owner ", "shared_districts": "Districts shared",
                     "districts": "Which"}, empty="No two programmes serve the same group in the same district.",
             key="prog_pairs")

st.subheader("Portability: a family that moves")
p1, p2 = st.columns(2)
port_group = p1.selectbox("Target group", groups, index=groups.index(group) if group else 0, key="prog_port_group")
labels = {r.adm2_pcode: f"{r.adm2_name} ({r.adm1_name})" for r in units.sort_values(["adm1_name", "adm2_name"])
          .itertuples()}
origin = p2.selectbox("District of origin", list(labels), format_func=labels.get, key="prog_port_origin")
port = an.portability(shown, units, group=port_group, origin=origin)
none = port["programme"].isna()
port.loc[none, "programme"], port.loc[none, "owner"] = "no programme for this group", ""
render.table(port, ["province", "where", "programme", "owner", "districts_covered", "districts_in_province"],
             labels={"province": "Province", "where": "Where", "programme": "Programme", "owner": "Owner",
                     "districts_covered": "Districts covered", "districts_in_province": "Districts in province"},
             key="prog_portability")

st.subheader("Programme names in returns")
acts = core.activities(actor)
links = an.link_activities(acts, frame)
linked = links[links["programme"].notna()]
st.caption(f"{len(linked)} of {len(links)} programme names written in returns name a recorded programme "
           f"({int(linked['activities'].sum()) if len(linked) else 0} activities). Names are matched exactly "
           "(ignoring case and spacing) to a programme or one of its other names; a close spelling is only "
           "suggested, and confirming it teaches the name once.")
render.table(links.fillna({"programme": "not recorded", "suggestion": ""}),
             ["project", "programme", "activities", "organisations", "suggestion"],
             labels={"project": "Name in the returns", "programme": "Programme", "activities": "Activities",
                     "organisations": "Organisations", "suggestion": "Did they mean"},
             empty="No return names a programme.", key="prog_links")
unlinked = links[links["programme"].isna()]
if actor.role in ("admin", "focal_point") and len(unlinked):
    l1, l2, l3 = st.columns([2, 2, 1])
    name = l1.selectbox("Name in the returns", list(unlinked["project"]), key="prog_link_name")
    suggested = unlinked.set_index("project").loc[name, "suggestion"]
    options = list(frame["name"])
    programme = l2.selectbox("is the programme", options, key="prog_link_to",
                             index=options.index(suggested) if isinstance(suggested, str) and suggested in options
                             else None, placeholder="Pick the programme")
    if l3.button("Learn this name", key="prog_link", disabled=programme is None):
        with core.guarded("Learning the name"):
            store_programmes.add_alias(engine, actor, programme, name)
            st.success(f"Returns that write “{core.esc(name)}” now count for {core.esc(programme)}.")
            st.rerun()

st.subheader("Export")
e1, e2 = st.columns(2)
with e1, core.guarded("Preparing the spreadsheet"):
    render.download("Programmes (.xlsx, with HXL row and matrix)",
                    outputs.programmes_xlsx(shown, units, title=config.title()), "programmes.xlsx", render.XLSX,
                    key="prog_xlsx")
with e2, core.guarded("Preparing the CSV"):
    render.download("Programmes (.csv, with HXL row)", outputs.programmes_csv(shown, units), "programmes.csv",
                    "text/csv", key="prog_csv")

if actor.role in ("admin", "focal_point"):
    st.subheader("Update the list")
    who = "any organisation's" if actor.role == "admin" else f"{core.esc(actor.org_name or '')}'s"
    st.caption(f"Upload a programmes sheet (the export above, edited, or the blank template) to add or update "
               f"{who} programmes. Rows are matched by programme name; every change is audited.")
    with core.guarded("Preparing the template"):
        render.download("Blank programmes template (.xlsx)", outputs.programmes_xlsx(
            frame.iloc[0:0], units, title="Programmes template"), "programmes_template.xlsx", render.XLSX,
            key="prog_template")
    sheet = st.file_uploader("Programmes sheet (.xlsx, .csv or .ods)", type=["xlsx", "csv", "ods"],
                             key="prog_upload")
    if sheet is not None:
        with core.guarded("Reading the programmes sheet"):
            parsed, _ = workflow.programmes_import(engine, actor, sheet.getvalue(), sheet.name, dry_run=True)
            if parsed.issues:
                render.table(pd.DataFrame([i.to_dict() for i in parsed.issues]),
                             ["row", "column", "value", "severity", "message", "suggestion"], key="prog_issues")
            if parsed.errors:
                st.error(f"{len(parsed.errors)} error(s): fix the sheet and upload it again. Nothing was stored.")
            elif st.button(f"Save {len(parsed.records)} programme(s)", type="primary", key="prog_save"):
                _, report = workflow.programmes_import(engine, actor, sheet.getvalue(), sheet.name)
                st.success(core.esc(report.sentence()))
