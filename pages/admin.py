"""Admin (secretariat): boundaries, vocabularies, organisations, accounts, rounds, submissions, review queue."""

from __future__ import annotations

import streamlit as st

from views import admin, core

actor = core.require(core.signed_in(), ("admin",))
st.title("Admin")
core.demo_banner()
admin.flash()

tabs = st.tabs(["Submissions", "Review place names", "Rounds", "Organisations", "Accounts", "Vocabularies",
                "Boundaries"])
sections = (admin.submissions_tab, admin.review_queue, admin.rounds, admin.organisations, admin.users,
            admin.vocabularies, admin.boundary_sets)
for tab, section in zip(tabs, sections, strict=True):
    with tab, core.guarded(tab.label if hasattr(tab, "label") else None):
        section(actor)
