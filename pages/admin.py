"""Admin (secretariat): submissions, review queue, rounds, organisations, accounts, vocabularies, programmes and
the strategy framework, boundaries.

One section at a time, chosen with a segmented control whose choice lives in the session: after any action
(which reruns the page) the secretariat is still where it acted, and an error shows under that action.
`st.tabs` cannot do this: every rerun opens its first tab again.
"""

from __future__ import annotations

import streamlit as st

from views import admin, core, programmes, review

actor = core.require(core.signed_in(), ("admin",))
st.title("Admin")
core.demo_banner()

SECTIONS = {"Submissions": admin.submissions_tab, "Reporting": admin.reporting_tab,
            "Review place names": admin.review_queue,
            "Waiting rows": review.waiting_rows,
            "Rounds": admin.rounds, "Organisations": admin.organisations, "Accounts": admin.users,
            "Vocabularies": admin.vocabularies, "Programmes and strategy": programmes.admin_section,
            "Exchange rates": admin.exchange_rates,
            "Boundaries": admin.boundary_sets}
KEY, LAST = "admin_section", "admin_section_last"


def _keep_section() -> None:
    """Clicking the chosen section again would deselect it: stay on it instead."""
    if st.session_state.get(KEY) is None:
        st.session_state[KEY] = st.session_state.get(LAST) or next(iter(SECTIONS))


if st.session_state.get(KEY) not in SECTIONS:
    st.session_state[KEY] = st.session_state.get(LAST) or next(iter(SECTIONS))
section = st.segmented_control("Section", list(SECTIONS), key=KEY, on_change=_keep_section,
                               label_visibility="collapsed") or next(iter(SECTIONS))
st.session_state[LAST] = section
admin.flash()
with core.guarded(section):
    SECTIONS[section](actor)
