"""Sign in with e-mail and password (or the organisation's identity provider); pages/account.py signs out."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapping import config, workflow
from mapping.errors import StocktakeError
from mapping.store import auth
from views import core

actor = core.signed_in()

if actor is not None:
    st.title("Your account")
    org = f" for **{core.esc(actor.org_name)}**" if actor.org_name else ""
    st.markdown(f"Signed in as **{core.esc(actor.email)}** — {core.ROLE_LABELS.get(actor.role, actor.role)}{org}.")
    if core.must_change_password():
        st.warning("You signed in with a one-time password. Choose your own password to continue.")
        with st.form("new_password"):
            first = st.text_input("New password", type="password", autocomplete="new-password")
            again = st.text_input("New password again", type="password", autocomplete="new-password")
            if st.form_submit_button("Save my new password", type="primary"):
                if first != again:
                    st.error("The two passwords differ; type the same one twice.")
                else:
                    with core.guarded("Saving the password"):
                        auth.set_password(core.engine(), actor, actor.email, first)
                        st.session_state["must_change_password"] = False
                        st.session_state["_after_signin"] = True
                        st.rerun()
    elif actor.user_id is not None:  # a person changes their own password, knowing the current one
        st.subheader("Change your password")
        if msg := st.session_state.pop("account_flash", None):
            st.success(msg)
        with st.form("password", clear_on_submit=True):
            current = st.text_input("Current password", type="password", key="pw_current",
                                    autocomplete="current-password")
            new = st.text_input("New password", type="password", key="pw_new", autocomplete="new-password",
                                help=f"At least {auth.MIN_PASSWORD} characters.")
            again = st.text_input("New password again", type="password", key="pw_again", autocomplete="new-password")
            change = st.form_submit_button("Change password")
        if change:
            if not current or not new:
                st.error("Type your current password and the new one.")
            elif new != again:
                st.error("The two new passwords differ; nothing was changed.")
            else:
                with core.guarded():  # wrong current password, too short, locked out: said in the engine's words
                    auth.change_own_password(core.engine(), actor, current=current, new=new)
                    st.session_state["account_flash"] = ("Your password was changed. Use the new one next time you "
                                                         "sign in.")
                    st.rerun()
    if st.button("Sign out", type="primary", key="signout"):
        core.sign_out()
        st.session_state["_after_signout"] = True
        if core.oidc_configured() and getattr(st.user, "is_logged_in", False):
            st.logout()
        st.rerun()
    st.stop()

st.title(config.title())
st.subheader("Sign in")
core.demo_banner()
if core.is_demo():
    with core.guarded("Listing the demo accounts"):
        accounts = workflow.demo_accounts(core.engine())
        if accounts:
            st.caption("Demo accounts: `admin@demo.stocktake` / `demo-admin` (secretariat), "
                       "`viewer@demo.stocktake` / `demo-viewer` (group member), and one focal point per "
                       "fictional organisation with the password `demo-focal`.")
            with st.expander(f"All {len(accounts)} demo accounts"):
                st.dataframe(pd.DataFrame([{"E-mail": a["email"], "Role": core.ROLE_LABELS.get(a["role"], a["role"]),
                                            "Organisation": a["org"] or "", "Password": a["password"]}
                                           for a in accounts]), hide_index=True, width="stretch")

if core.oidc_configured():
    if getattr(st.user, "is_logged_in", False):
        st.warning(f"{core.esc(st.user.get('email'))} has no Stocktake account. Ask the secretariat to add you.")
        if st.button("Sign out of the identity provider"):
            st.logout()
    elif st.button("Sign in with your organisation account", type="primary"):
        st.login()
    st.divider()

with st.form("signin", clear_on_submit=False):
    email = st.text_input("E-mail", key="signin_email", autocomplete="username")
    password = st.text_input("Password", type="password", key="signin_password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    if not email.strip() or not password:
        st.error("Enter your e-mail and password.")
    else:
        try:
            who = core.sign_in(email, password)
        except StocktakeError as exc:  # wrong password, locked out, unknown account: say which
            core.show_error(exc)
        else:
            st.session_state["_after_signin"] = True
            st.rerun()

if not core.anonymous_allowed():
    st.info("The consolidated picture is visible to signed-in members of the group only.")
