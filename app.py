"""Stocktake's browser app: the menu depends on who is signed in; every page is a thin view over `mapping/`.

Run with `streamlit run app.py` (or `make run`, which sets up the database, boundaries and demo first).
`streamlit run` finds `app` below (an `st.App`) and serves it: Streamlit's own routes plus the sign-in
cookie routes of `views/web.py`. The server imports this file once at start (there `__name__` is "app"), and
Streamlit runs it as the script of every page view (there `__name__` is "__main__"); only the second draws.
"""

from __future__ import annotations

import threading

import streamlit as st

from mapping import config
from mapping.store import db, people
from views import core, render, web

app = st.App(__file__, routes=web.routes())
if __name__ != "__main__":  # the server is importing the file: hand routing to st.navigation before any session
    web.own_routing()
    # and prepare the boundaries, the map's base and the public picture in the background, so the first visitor
    # after a start does not wait for them (issue 14)
    threading.Thread(target=render.warm_up, name="stocktake-warm-up", daemon=True).start()
    # hashed beneficiary lists past their retention are deleted now and every hour, with no cron (issue 16)
    threading.Thread(target=people.retention_job, args=(db.connect, threading.Event()),
                     name="stocktake-retention", daemon=True).start()

PAGES = {
    "overview": st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    "map": st.Page("pages/map.py", title="Map", icon=":material/map:", url_path="map"),
    "matrices": st.Page("pages/matrices.py", title="Matrices", icon=":material/grid_on:", url_path="matrices"),
    "gaps": st.Page("pages/gaps.py", title="Gaps & overlaps", icon=":material/join_inner:", url_path="gaps"),
    "programmes": st.Page("pages/programmes.py", title="Programmes", icon=":material/diversity_3:",
                          url_path="programmes"),
    "export": st.Page("pages/export.py", title="Export", icon=":material/download:", url_path="export"),
    "submit": st.Page("pages/submit.py", title="Submit a return", icon=":material/upload_file:",
                      url_path="submit"),
    "people": st.Page("pages/people.py", title="People in two programmes", icon=":material/group:",
                      url_path="people"),
    "admin": st.Page("pages/admin.py", title="Admin", icon=":material/admin_panel_settings:", url_path="admin"),
}
SIGNIN = st.Page("pages/signin.py", title="Sign in", icon=":material/login:", url_path="signin")
ACCOUNT = st.Page("pages/signin.py", title="Account / sign out", icon=":material/logout:", url_path="account")
BY_ROLE = {
    "public": ("overview", "map", "matrices", "gaps", "programmes", "export"),
    "viewer": ("overview", "map", "matrices", "gaps", "programmes", "export"),
    "focal_point": ("overview", "map", "matrices", "gaps", "programmes", "export", "submit", "people"),
    "admin": ("overview", "map", "matrices", "gaps", "programmes", "export", "submit", "people", "admin"),
}


def menu() -> dict[str, list]:
    """Sections of the navigation for the current visitor (a page not listed cannot be opened)."""
    signed = core.signed_in()
    actor = core.current_actor()
    if actor is None:  # private deployment, nobody signed in: only the sign-in page exists
        return {"": [st.Page("pages/signin.py", title="Sign in", icon=":material/login:", default=True)]}
    if core.must_change_password():  # a one-time password opens only the page to choose a new one
        return {"Account": [ACCOUNT]}
    names = BY_ROLE.get(actor.role, BY_ROLE["public"])
    sections: dict[str, list] = {"Picture": [PAGES[n] for n in names if n in ("overview", "map", "matrices",
                                                                            "gaps", "programmes", "export")]}
    work = [PAGES[n] for n in names if n in ("submit", "people", "admin")]
    if work:
        sections["Work"] = work
    sections["Account"] = [ACCOUNT if signed is not None else SIGNIN]
    return sections


def sidebar_identity() -> None:
    actor = core.signed_in()
    with st.sidebar:
        st.markdown(f"**{core.esc(config.title())}**")
        if actor is not None:
            org = f" · {core.esc(actor.org_name)}" if actor.org_name else ""
            st.caption(f"Signed in as {core.esc(actor.email)}  \n**{core.ROLE_LABELS.get(actor.role, actor.role)}**"
                       f"{org}")
        else:
            st.caption("Not signed in — public view" if core.current_actor() is not None else "Not signed in")


def main() -> None:
    st.set_page_config(page_title=config.title(), page_icon="🗺️", layout="wide", initial_sidebar_state="auto")
    with core.guarded("Starting the app", stop=True):
        core.restore_session()  # the browser's sign-in, re-checked on every run
        navigation = st.navigation(menu())
    if st.session_state.pop("_after_signin", False) and core.signed_in() is not None:
        st.switch_page(PAGES["overview"])  # land on the picture, with the menu for the new role
    if st.session_state.pop("_after_signout", False) and core.current_actor() is not None:
        st.switch_page(PAGES["overview"])
    core.session_scripts()  # hand the browser its sign-in cookie, renew it, or delete it
    sidebar_identity()
    # Streamlit's default top padding leaves a blank band above every title; a tighter page shows more picture.
    st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>")
    with core.guarded():  # the views' one guard: every page's errors end here as a message, never a traceback
        navigation.run()


if __name__ == "__main__":
    main()
