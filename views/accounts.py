"""The Admin page's account administration: disable or enable, role and organisation, one-time password reset,
lifting a lock-out, and the list of open sessions. Each button is one engine call (`mapping.store.accounts`,
`mapping.store.sessions`); the engine checks the admin, writes the audit log and ends sessions where needed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping.store import accounts, auth, db, registry, sessions
from views import core, render


def _done(message: str) -> None:
    st.session_state["admin_flash"] = message
    st.rerun()


def manage(actor: db.Actor) -> None:
    engine = core.engine()
    people = core.call(auth.list_users, engine, actor) or []
    if not people:
        return
    st.markdown("**Manage an account**")
    by_email = {p["email"]: p for p in people}
    email = st.selectbox("Account", list(by_email), key="acct_pick")
    person = by_email[email]
    state = "active" if person["active"] else "disabled"
    notes = [core.ROLE_LABELS.get(person["role"], person["role"]), state]
    if person.get("org"):
        notes.append(person["org"])
    if person.get("locked_until"):
        notes.append(f"sign-in locked until {person['locked_until']:%H:%M} UTC")
    if person.get("must_change_password"):
        notes.append("must choose a new password at the next sign-in")
    st.caption(core.esc(" · ".join(notes)))

    c1, c2, c3 = st.columns(3)
    if person["active"]:
        if c1.button("Disable account", key="acct_disable", help="Refuses sign-in and signs out its open tabs."):
            with core.guarded("Disabling the account"):
                _done(accounts.disable(engine, actor, email).message)
    elif c1.button("Enable account", key="acct_enable"):
        with core.guarded("Enabling the account"):
            _done(accounts.enable(engine, actor, email).message)
    if c2.button("Reset password", key="acct_reset",
                 help="A one-time password, shown once here, to be changed at the next sign-in."):
        with core.guarded("Resetting the password"):
            done = accounts.reset_password(engine, actor, email)
            _done(f"{done.message} One-time password: {done.password} — give it to the person privately.")
    if c3.button("Lift lock-out", key="acct_unlock", disabled=not person.get("locked_until")):
        with core.guarded("Lifting the lock-out"):
            _done(accounts.unlock(engine, actor, email).message)

    orgs = [o["name"] for o in core.call(registry.list_orgs, engine) or []]
    with st.form("acct_role"):
        r1, r2 = st.columns(2)
        roles = ["focal_point", "viewer", "admin"]
        role = r1.selectbox("New role", roles, index=roles.index(person["role"]) if person["role"] in roles else 0,
                            format_func=lambda r: core.ROLE_LABELS.get(r, r), key=f"acct_role_{email}")
        choices = [""] + orgs
        org = r2.selectbox("Its organisation", choices, key=f"acct_org_{email}",
                           index=choices.index(person["org"]) if person.get("org") in choices else 0)
        if st.form_submit_button("Change role"):
            with core.guarded("Changing the role"):
                _done(accounts.change_role(engine, actor, email, role=role, org=org or None).message)

    st.markdown("**Signed in now**")
    live = core.call(sessions.list_sessions, engine, actor) or []
    render.table(pd.DataFrame(live), ["email", "method", "since", "last_seen", "expires", "browser", "client"],
                 empty="Nobody is signed in with a lasting session.")
    if live:
        labels = {s["id"]: f"{s['email']} — {s['browser']}, since {s['since']:%d %b %H:%M} UTC" for s in live}
        c1, c2 = st.columns([3, 1])
        sid = c1.selectbox("Session", list(labels), format_func=labels.get, key="acct_session")
        if c2.button("End session", key="acct_revoke"):
            with core.guarded("Ending the session"):
                sessions.revoke(engine, actor, sid)
                _done(f"Ended the session of {labels[sid].split(' — ')[0]}; that browser is signed out at its next "
                      "action.")
