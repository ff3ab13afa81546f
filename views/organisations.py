"""The Admin page's identity tools: merge two records of one organisation (and undo it), add a name.

Only reads the form and calls the engine (`store.identity`), the twin of `orgs merge|unmerge|alias add`.
"""

from __future__ import annotations

import streamlit as st

from mapping.store import db, identity, registry
from views import core


def _done(message: str, *, clear: tuple[str, ...] = ()) -> None:
    """Show the result above the refreshed list (the Admin page's flash message); a refused form keeps its
    values, a done one is emptied."""
    st.session_state["admin_flash"] = message
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


def identity_tools(actor: db.Actor) -> None:
    """Below the organisation list: the records that are one organisation, and the names it goes by."""
    engine = core.engine()
    orgs = core.call(registry.list_orgs, engine, reference=True, merged=True) or []
    active = sorted(o["name"] for o in orgs if not o.get("merged_into_name"))
    merged = sorted(o["name"] for o in orgs if o.get("merged_into_name"))
    st.markdown("**Two records, one organisation**")
    st.caption("Merging counts every past and future return of the second record as the first one's: one partner "
               "in the map, the matrices and the PDF. Nothing is deleted; undo it below at any time.")
    with st.form("merge_orgs"):
        c1, c2 = st.columns(2)
        keep = c1.selectbox("Keep", [""] + active, key="merge_keep")
        other = c2.selectbox("Count as the kept one", [""] + active, key="merge_other")
        if st.form_submit_button("Merge") and keep and other:
            with core.guarded("Merging the organisations"):
                _done(identity.merge_orgs(engine, actor, keep, other).message, clear=("merge_keep", "merge_other"))
    if merged:
        with st.form("unmerge_org"):
            name = st.selectbox("Undo a merge", [""] + merged,
                                format_func=lambda n: n and f"{n} (now counted as "
                                f"{next(o['merged_into_name'] for o in orgs if o['name'] == n)})")
            if st.form_submit_button("Unmerge") and name:
                with core.guarded("Undoing the merge"):
                    _done(identity.unmerge_org(engine, actor, name).message)
    with st.form("org_alias"):
        st.markdown("**Another name of an organisation**")
        c1, c2 = st.columns(2)
        org = c1.selectbox("Organisation", [""] + active, key="alias_org")
        alias = c2.text_input("Name as returns write it", key="alias_text")
        if st.form_submit_button("Add the name") and org and alias.strip():
            with core.guarded("Adding the name"):
                name = identity.add_org_alias(engine, actor, org, alias)
                _done(f"'{alias.strip()}' is now a name of {name}.", clear=("alias_org", "alias_text"))
