"""People in two programmes: compare two consenting programmes' keyed-hash lists; upload, consent, delete.

A thin view: the rules (who may, consent, suppression, retention) live in `mapping.store.people`,
`mapping.analysis.people_overlap` and `mapping.workflow`; this page reads choices and shows the suppressed table.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import config, workflow
from mapping.analysis import people_overlap as po
from mapping.errors import StocktakeError
from mapping.geo import boundaries
from mapping.outputs import people_map
from mapping.returns import pseudonymise
from mapping.returns.identity_numbers import IdFormat, id_format
from mapping.store import people as sp
from mapping.store import registry
from views import core, render
from views import people as people_view

actor = core.require(core.current_actor(), ("admin", "focal_point"))
engine = core.engine()
threshold = config.people_min_cell()

st.title("People in two programmes")
st.markdown(
    "How many people two programmes **both** reach, without anyone handing over a beneficiary list. Each programme "
    "hashes its list on its own computer with a key the two agree between themselves (Stocktake never sees it), "
    "uploads only the hashes, and the comparison runs once **both owners have agreed**. Lists are deleted after "
    f"{sp.retention_days()} days or on request; nobody can download a list or see who is in both.")
st.info(f"**Small numbers are hidden.** {po.rule_text(threshold)}", icon=":material/shield:")


def _refused(exc: StocktakeError) -> None:
    st.error(core.esc(str(exc)) + (f"  \n{core.esc(exc.hint)}" if exc.hint else ""))


@st.cache_data(show_spinner=False, max_entries=4)
def _offline_page(version: str, _units: pd.DataFrame, _id_format: IdFormat, country: str | None) -> bytes:
    return pseudonymise.page_html(pseudonymise.district_table(_units), id_format=_id_format,
                                  boundary_version=version).encode("utf-8")


programmes = sp.list_programmes(engine)
names = [p["name"] for p in programmes]
owned = [p["name"] for p in programmes if actor.is_admin or p["owner_org_id"] == actor.org_id]
round_names = [r["name"] for r in core.rounds()]
tab_compare, tab_lists, tab_tool = st.tabs(["Compare", "Lists and consent", "Pseudonymise tool (offline)"])

with tab_compare:
    if len(names) < 2:
        st.info("Two programmes are needed. Add them under *Lists and consent*.")
    else:
        c1, c2, c3 = st.columns([2, 2, 1])
        a = c1.selectbox("Programme A", names, key="people_a")
        b = c2.selectbox("Programme B", [n for n in names if n != a], key="people_b")
        rnd = c3.selectbox("Round", ["Latest with both lists", *round_names], key="people_round")
        if st.button("Compare", type="primary", key="people_compare"):
            try:
                st.session_state["people_table"] = workflow.people_overlap(
                    engine, actor, a, b, round_name=None if rnd.startswith("Latest") else rnd)
            except StocktakeError as exc:
                st.session_state.pop("people_table", None)
                _refused(exc)
        table = st.session_state.get("people_table")
        if table is not None and table.programmes == (a, b):
            geo = core.geo()
            people_view.show(table, geo.units if geo is not None else None)
            if geo is not None:
                from streamlit_folium import st_folium

                st.markdown("**Share of the people listed in a district (by either programme) who are in both**")
                st_folium(people_map.overlap_map(geo.web_adm2, table, attribution=geo.attribution,
                                                 assets=render.LEAFLET_ASSETS),
                          key="people_map", height=520, use_container_width=True, returned_objects=[])
                st.html("<div style='font-size:13px'>" + " ".join(
                    f"<span style='display:inline-block;width:14px;height:14px;background:{colour};border:1px "
                    f"solid #999;vertical-align:middle;margin:0 4px 0 10px'></span>{label}"
                    for label, colour in people_map.legend()) + "</div>")

with tab_lists:
    st.subheader("Hashed lists")
    with core.guarded("Listing the hashed lists"):
        lists = sp.uploads(engine, actor)
        render.table(pd.DataFrame(lists), ["programme", "round", "people", "uploaded_by", "uploaded_at",
                                           "expires_at"],
                     labels={"expires_at": "Deleted on", "uploaded_by": "Uploaded by"},
                     empty="No hashed lists you may see.")
    if owned:
        st.markdown("**Upload a hashed list** (made by `pseudonymise hash` or the offline page; never the "
                    "beneficiary list itself). A new upload replaces the programme's list for that round.")
        c1, c2 = st.columns(2)
        prog = c1.selectbox("Programme", owned, key="people_up_prog")
        up_round = c2.selectbox("Round", ["Open round covering today", *round_names], key="people_up_round")
        file = st.file_uploader("Hashed list (.csv)", type=["csv"], key="people_up_file",
                                help="Lists larger than the upload limit: python -m mapping people upload")
        if st.button("Upload", type="primary", key="people_upload", disabled=file is None):
            try:
                outcome = workflow.people_upload(engine, actor, file.getvalue(), file.name, programme=prog,
                                                 round_name=None if up_round.startswith("Open") else up_round)
                st.success(core.esc(outcome.message))
            except StocktakeError as exc:
                _refused(exc)
    st.subheader("Consent")
    with core.guarded("Listing consents"):
        render.table(pd.DataFrame(sp.consents(engine, actor)), ["programme", "with", "by", "at", "both"],
                     labels={"programme": "Owner of", "with": "Agrees to compare with", "by": "Agreed by",
                             "both": "Both agreed"}, empty="No consent recorded yet.")
    mine = [p["name"] for p in programmes if actor.role == "focal_point" and p["owner_org_id"] == actor.org_id]
    if mine and len(names) > 1:
        c1, c2 = st.columns(2)
        own = c1.selectbox("Your programme", mine, key="people_consent_own")
        other = c2.selectbox("Compare with", [n for n in names if n != own], key="people_consent_other")
        b1, b2 = st.columns(2)
        for label, given, col in (("Agree to compare", True, b1), ("Withdraw consent", False, b2)):
            if col.button(label, key=f"people_consent_{given}", width="stretch"):
                try:
                    sp.set_consent(engine, actor, own, other, given=given)
                    st.success(f"Recorded: {core.esc(own)} {'agrees' if given else 'no longer agrees'} to be "
                               f"compared with {core.esc(other)}.")
                except StocktakeError as exc:
                    _refused(exc)
    elif actor.is_admin:
        st.caption("Consent is given by each owner's focal point; an admin cannot consent on their behalf.")
    if owned:
        st.subheader("Delete now")
        c1, c2 = st.columns([2, 1])
        gone = c1.selectbox("Programme", owned, key="people_delete_prog")
        if c2.button("Delete its hashed lists", key="people_delete", width="stretch"):
            try:
                n = sp.delete_lists(engine, actor, gone)
                st.success(f"{n} hashed list{'s' if n != 1 else ''} of {core.esc(gone)} deleted.")
            except StocktakeError as exc:
                _refused(exc)
    with st.expander("Add a programme"):
        with st.form("people_programme"):
            pname = st.text_input("Programme name")
            orgs = [o["name"] for o in registry.list_orgs(engine)]
            org = st.selectbox("Owner organisation", orgs) if actor.is_admin else actor.org_name
            if st.form_submit_button("Add programme") and pname.strip():
                try:
                    sp.add_programme(engine, actor, pname, owner_org=org)
                    st.success(f"Programme {core.esc(pname.strip())} added.")
                except StocktakeError as exc:
                    _refused(exc)

with tab_tool:
    st.markdown(
        "Programme staff hash their own list **on their own computer**. The offline page below does it in the "
        "browser with nothing sent anywhere, and gives exactly the same file as the command. Both programmes use "
        "the same key; keep it between the two of you.")
    fmt = id_format(None)
    with core.guarded("Preparing the offline page"):
        geo = core.geo()
        if geo is not None:
            country = boundaries.deployment_country(core.bset())
            fmt = id_format(country)
            render.download("Download the offline pseudonymisation page (.html)",
                            _offline_page(geo.version, geo.units, fmt, country),
                            "stocktake-pseudonymise.html", "text/html", key="people_page")
    if fmt.unchecked_note():
        st.warning(core.esc(fmt.unchecked_note()))
    st.code("python -m mapping pseudonymise key --out KEY\n"
            "python -m mapping pseudonymise hash LIST.csv --id-column ID --district-column District "
            "--key-file KEY --out HASHED.csv", language="bash")
    st.caption(f"Numbers are checked against the format of {core.esc(fmt.a_name)} ({core.esc(fmt.length)} "
               f"{core.esc(fmt.characters)}). Why a key: {core.esc(fmt.why_a_key())} See docs/privacy.md for what "
               "Stocktake's operator can and cannot learn.")
