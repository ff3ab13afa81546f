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
from views import core, programmes, render


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
programmes.flash()
if frame.empty:
    st.info("No programme is recorded yet. The secretariat adds them on the Admin page (Programmes and strategy); "
            "each owner's focal point can add its own here.")
    if actor.role in ("admin", "focal_point"):
        st.subheader("Add programmes")
        programmes.update_list(actor, frame, units)
    st.stop()

groups = list(load_target_groups().names)
ANY = "Any target group"


def _follow_filter() -> None:
    """The map and the portability view follow the target-group filter (each can then be changed on its own).

    A keyed select box keeps its own choice across reruns and ignores a new `index`, so picking mothers in the
    filter left the map on "any target group" until this set both."""
    picked = st.session_state.get("prog_groups") or []
    st.session_state["prog_map_group"] = picked[0] if len(picked) == 1 else ANY
    if len(picked) == 1:
        st.session_state["prog_port_group"] = picked[0]


provinces = sorted(units["adm1_name"].unique())
types = sorted({t for t in frame["programme_type"].dropna()})
c1, c2, c3 = st.columns(3)
pick_prov = c1.multiselect("Province", provinces, key="prog_provinces", placeholder="All provinces")
pick_type = c2.multiselect("Programme type", types, key="prog_types", placeholder="All types")
pick_group = c3.multiselect("Target group", groups, key="prog_groups", placeholder="All groups",
                            on_change=_follow_filter)
shown = an.filter_programmes(frame, units, provinces=pick_prov, types=pick_type, groups=pick_group)
group = pick_group[0] if len(pick_group) == 1 else None
for sentence in an.headlines(shown, units, group=group):
    st.markdown(f"- {core.esc(sentence)}")
st.caption(core.esc(an.COVERAGE_RULE))

st.subheader(f"Programmes ({len(shown)})")
# who runs it, for whom, what it gives, where and for how many people fit the screen; the rest scrolls into view
render.table(an.table(shown, units), ["programme", "owner", "target_groups", "benefit", "districts", "beneficiaries",
                                      "provinces", "programme_type", "beneficiaries_date", "beneficiaries_source",
                                      "start_year", "eligibility"],
             widths={"programme": 230, "owner": 200, "target_groups": 180, "benefit": 150, "districts": 80,
                     "beneficiaries": 90},
             labels={"programme": "Programme", "owner": "Owner", "provinces": "Provinces",
                     "programme_type": "Type", "target_groups": "Target groups", "benefit": "Benefit",
                     "districts": "Districts covered", "beneficiaries": "People",
                     "beneficiaries_date": "People as of", "beneficiaries_source": "Source",
                     "start_year": "Since", "eligibility": "Eligibility"}, key="prog_table", counts=("beneficiaries",))

st.subheader("Programme × province")
st.caption("Districts each programme covers in each province; 0 = none.")
matrix = an.programme_province_matrix(shown, units)
if len(matrix):
    st.dataframe(matrix, width="stretch", key="prog_matrix")

st.subheader("Where programmes reach a group")
map_group = st.selectbox("Target group on the map", [ANY, *groups], key="prog_map_group")
per = an.programmes_per_district(shown, units, group=None if map_group == ANY else map_group)
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
             widths={"target_groups": 150, "programme_a": 170, "owner_a": 160, "programme_b": 170, "owner_b": 160,
                     "shared_districts": 70, "districts": 100}, key="prog_pairs")

st.subheader("Portability: a family that moves")
p1, p2 = st.columns(2)
port_group = p1.selectbox("Target group", groups, key="prog_port_group")
labels = {r.adm2_pcode: f"{r.adm2_name} ({r.adm1_name})" for r in units.sort_values(["adm1_name", "adm2_name"])
          .itertuples()}
origin = p2.selectbox("District of origin", list(labels), format_func=labels.get, key="prog_port_origin")
port = an.portability(shown, units, group=port_group, origin=origin)
none = port["programme"].isna()
port.loc[none, "programme"], port.loc[none, "owner"] = "no programme for this group", ""
render.table(port, ["province", "where", "programme", "owner", "districts_covered", "districts_in_province"],
             labels={"province": "Province", "where": "Where", "programme": "Programme", "owner": "Owner",
                     "districts_covered": "Districts covered", "districts_in_province": "Districts in province"},
             widths={"province": 130, "where": 150, "programme": 240, "owner": 240, "districts_covered": 100,
                     "districts_in_province": 110}, key="prog_portability")

st.subheader("Programme names in returns")
programmes.programme_names(actor, frame)

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
    programmes.update_list(actor, frame, units)
