"""Submit page: "Start from our IATI data" — an IATI file (or the IATI Datastore) to a pre-filled draft.

The draft is only offered for download: the focal point reviews it and uploads it like any return. The IATI
file stays in the session so the validation report can name activities missing on either side.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import config, workflow
from views import core, render

SOURCE_KEY = "iati_source"  # (filename, bytes) of the IATI data this session drafted from


def start_from_iati(engine, org: str | None, round_name: str | None) -> None:
    """The expander with the IATI upload (and Datastore fetch when configured) and the draft download."""
    with st.expander("Start from our IATI data (no retyping: a draft pre-filled from what you publish)"):
        st.caption("Upload your organisation's IATI activity file (.xml). Stocktake drafts your return from it: "
                   "districts from location codes, names or coordinates, sectors from DAC codes, budgets for this "
                   "round. Review the draft, then upload it below as your return.")
        upload = st.file_uploader("IATI activity file", type=["xml"], key="iati_upload")
        source = (upload.name, upload.getvalue()) if upload is not None else None
        base = config.iati_datastore_url()
        if base:
            c1, c2 = st.columns([2, 1])
            publisher = c1.text_input("Or fetch from the IATI Datastore: publisher identifier",
                                      placeholder="e.g. XM-DAC-41122", key="iati_publisher")
            if c2.button("Fetch", key="iati_fetch", disabled=not publisher):
                with core.guarded("Fetching from the IATI Datastore"):
                    ctx = workflow.context(engine)
                    data = workflow.iati_fetch(publisher, country=workflow.iati_country(ctx) or "")
                    st.session_state["iati_fetched"] = (f"{publisher}.xml", data)
            source = source or st.session_state.get("iati_fetched")
        if source is None:
            return
        name, data = source
        with core.guarded("Reading the IATI file"):
            draft, book = _draft(engine, name, data, org, round_name)
            st.session_state[SOURCE_KEY] = (name, data)
            st.success(f"{draft.activities_drafted} of {draft.activities_read} IATI activities became "
                       f"{len(draft.rows)} draft rows.")
            render.download("Download the draft return", book, f"{name.rsplit('.', 1)[0]}_draft.xlsx", render.XLSX,
                            key="iati_draft_dl",
                            help="Your template pre-filled from IATI, with an 'IATI notes' sheet of what needs you.")
            if draft.notes:
                st.caption(f"{len(draft.notes)} note(s): what could not be mapped (also in the draft's notes sheet)")
                render.table(pd.DataFrame([n.__dict__ for n in draft.notes]), ["activity", "what", "value", "message"],
                             labels={"activity": "IATI activity", "what": "What", "value": "Value",
                                     "message": "Note"}, key="iati_notes")


@st.cache_data(show_spinner="Drafting from IATI…", max_entries=8, ttl=3600)
def _cached_draft(url: str, name: str, data: bytes, org: str | None, round_name: str | None):
    return workflow.iati_draft(core._engine_for(url), data, name, org=org, round_name=round_name)


def _draft(engine, name: str, data: bytes, org: str | None, round_name: str | None):
    return _cached_draft(config.database_url(), name, data, org, round_name)


def second_opinion(engine, result, org: str | None) -> list:
    """Warnings from the IATI data this session drafted from (none when there is none)."""
    source = st.session_state.get(SOURCE_KEY)
    if not source:
        return []
    return core.call(workflow.iati_second_opinion, engine, result, source[1], source[0], org=org,
                     what="Comparing with your IATI data") or []
