"""The Admin page's "Waiting rows" section: rows kept with their returns until the secretariat settles them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import workflow
from mapping.returns.schema import FIELD_BY_NAME
from mapping.store import db, review
from views import core, render


def column_label(field: str | None) -> str:
    """The template's header for a stored field ("District", not "adm2_name"): the words the return used."""
    return FIELD_BY_NAME[field].header if field in FIELD_BY_NAME else str(field or "")


def waiting_rows(actor: db.Actor) -> None:
    """Grouped by problem and value: one answer settles every row with that value, and the picture updates."""
    st.caption("Rows stored with their returns but not counted yet: an unknown district, an unreadable date or "
               "number. One answer settles every row with that value (a district is also learned for later "
               "returns); dropped rows stay stored but never count.")
    engine = core.engine()
    items = core.call(review.queue, engine, actor, what="Reading the review queue") or []
    if not items:
        st.success("No row is waiting: every stored row counts in the picture.")
        return
    frame = pd.DataFrame([{"field": column_label(i["field"]), "value": i["value"] or "(empty)", "rows": i["rows"],
                           "reason": i["reason"], "orgs": "; ".join(i["orgs"]),
                           "province": "; ".join(i["provinces"])} for i in items])
    render.table(frame, ["field", "value", "rows", "reason", "province", "orgs"],
                 labels={"field": "Column", "value": "Value as written", "rows": "Rows", "reason": "Problem",
                         "province": "Province as written", "orgs": "Organisations"}, key="waiting_rows", height=260)
    labels = {f"{column_label(i['field'])} '{i['value'] or ''}' ({i['rows']} row{'s' * (i['rows'] != 1)})": i
              for i in items}
    c1, c2 = st.columns([3, 2])
    pick = c1.selectbox("Value", list(labels), key="waiting_pick")
    item = labels[pick]
    hint = ("a district p-code, e.g. PK607" if item["field"] in workflow.PLACE_FIELDS else
            "a date, e.g. 2026-03-01" if item["field"] in ("start_date", "end_date") else
            "a number" if item["field"] in ("targeted", "reached", "targeted_hh", "reached_hh", "budget") else
            "the value on the list")
    to = c2.text_input("stands for", key="waiting_to", placeholder=hint)
    b1, b2, _ = st.columns([1, 1, 3])
    if b1.button("Settle these rows", type="primary", key="waiting_settle", disabled=not to.strip()):
        n = core.call(workflow.resolve_queued, engine, actor, item["field"], item["value"], to=to,
                      what="Settling the rows")
        if n:
            st.session_state["admin_flash"] = f"{n} row(s) settled as {to}; they now count in the picture."
            st.session_state.pop("waiting_to", None)
            st.rerun()
    if b2.button("Drop these rows", key="waiting_drop"):
        n = core.call(workflow.resolve_queued, engine, actor, item["field"], item["value"], drop=True,
                      what="Dropping the rows")
        if n:
            st.session_state["admin_flash"] = f"{n} row(s) dropped: kept for the record, never counted."
            st.rerun()
