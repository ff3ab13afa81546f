"""Session, sign-in, cached loaders and error handling shared by every page.

Caching rules (issues 7 and 14): the boundary geometry is cached per boundary version with `st.cache_resource`
(one copy for everyone, never mutated); so is the consolidated dataset, keyed by the data version (which
changes with every submission, rollback, round or rate table, and covers the viewer's role and organisation) and
the contact policy, so a new submission shows at once, one role's view is never served to another, and forty
viewers share one frame instead of forty copies. Beside it, the same picture prepared for counting
(`analysis.frame.prepare`, which also depends on the boundary set), so a new filter only filters. Cached frames
are read-only by convention: nothing downstream assigns into them (a filtered frame is a copy; new columns go on
copies).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from mapping import config, workflow
from mapping.analysis import frame
from mapping.errors import StocktakeError
from mapping.geo import boundaries
from mapping.store import auth, db, picture, registry, sessions
from views import web

ACTOR_KEY = "actor"
SESSION_KEY = "session_id"  # this tab's browser session (mapping.store.sessions), checked on every run
_PENDING = "_session_script"  # a call to views/web.py's routes the next run must make from the browser
PUBLIC = db.PUBLIC
ROLE_LABELS = {"admin": "Secretariat (admin)", "focal_point": "Focal point", "viewer": "Group member (viewer)",
               "public": "Public visitor"}


# ---------------------------------------------------------------- engine and session


@st.cache_resource(show_spinner=False)
def _engine_for(url: str):
    return db.connect(url)


def engine():
    """The database engine for this deployment (one pool shared by all sessions)."""
    return _engine_for(config.database_url())


def restore_session() -> None:
    """Who is signed in, as the database says now: run first on every page run.

    A tab that signed in keeps its session id; a reloaded page, a new tab or a shared link brings the
    browser's cookie instead. Either is checked against the store each run, so a sign-out in another tab, a
    disabled account or a changed role takes effect at this tab's next action. An actor without a session
    (signed in through the identity provider) is re-read by id for the same reason.
    """
    state = st.session_state
    live = None
    sid = state.get(SESSION_KEY)
    if sid is not None:
        live = sessions.check(engine(), sid)
        if live is None:
            state.pop(SESSION_KEY, None)
            _forget("Your session has ended (signed out in another tab, unused for too long, or changed by the "
                    "secretariat). Sign in again to continue.")
            return
    else:
        cookie = st.context.cookies.get(sessions.COOKIE)
        if isinstance(cookie, str) and cookie:
            live = sessions.resolve(engine(), cookie)
    if live is not None:
        state[SESSION_KEY] = live.session_id
        state[ACTOR_KEY] = live.actor
        state["must_change_password"] = live.must_change_password
        if live.refresh_cookie:
            state[_PENDING] = (web.RENEW, None)
        return
    actor = state.get(ACTOR_KEY)
    if actor is not None and actor.user_id is not None:
        now = auth.user_by_id(engine(), actor.user_id)
        if now is None:
            _forget("Your account has been disabled. Ask the secretariat if this is a mistake.")
        else:
            state[ACTOR_KEY] = now


def _forget(note: str) -> None:
    st.session_state.pop(ACTOR_KEY, None)
    st.session_state.pop("must_change_password", None)
    st.session_state["_session_note"] = note
    _clear_work()


def session_scripts() -> None:
    """Make the browser call the cookie route this session needs (views/web.py), once; say why a session ended.

    The note stays, on whatever page the person opens, until they sign in again or dismiss it: a map or an
    upload can rerun a page on its own a moment after the session ended, so "the next page" is no safe moment
    to drop it.
    """
    state = st.session_state
    pending = state.pop(_PENDING, None)
    if pending:
        path, body = pending
        st.html(web.script(path, body), unsafe_allow_javascript=True)
    note = state.get("_session_note")
    if not note:
        return
    if signed_in() is not None:
        state.pop("_session_note", None)
        return
    st.warning(note, icon=":material/logout:")
    if st.button("Dismiss", key="session_note_dismiss"):
        state.pop("_session_note", None)
        st.rerun()


def must_change_password() -> bool:
    """After an admin's reset the one-time password only opens the page where a new one is chosen."""
    return bool(st.session_state.get("must_change_password")) and signed_in() is not None


def signed_in() -> db.Actor | None:
    """The signed-in user of this browser session, from the password form or from OIDC (`st.login`)."""
    actor = st.session_state.get(ACTOR_KEY)
    if actor is not None:
        return actor
    if oidc_configured():
        try:
            user = st.user
            if getattr(user, "is_logged_in", False) and user.get("email"):
                found = auth.user_for_email(engine(), str(user.get("email")))
                if found is not None:
                    st.session_state[ACTOR_KEY] = found
                    return found
        except (StocktakeError, AttributeError, KeyError):  # a broken sign-in must not break the public pages
            return None
    return None


def current_actor() -> db.Actor | None:
    """Who is looking: the signed-in user, else an anonymous 'public' visitor when the picture is public."""
    actor = signed_in()
    if actor is not None:
        return actor
    if anonymous_allowed():
        return PUBLIC
    return None


def anonymous_allowed() -> bool:
    """Visitors may read the picture (never contacts) when the deployment is public or runs the demo."""
    try:
        return db.public_view_enabled(engine())  # the engine's one rule: the explicit setting wins
    except StocktakeError:  # the database cannot be opened: nothing to show anyway
        return bool(config.public_view_setting())


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml at all (StreamlitSecretNotFoundError is one)
        return False


def sign_in(email: str, password: str) -> db.Actor:
    """Check the password, open a lasting session and have the browser fetch its cookie on the next run."""
    actor = auth.authenticate(engine(), email.strip(), password, client=_text(st.context.ip_address))
    opened = sessions.open_session(engine(), actor, method="password",
                                   user_agent=_text(st.context.headers.get("User-Agent")),
                                   client=_text(st.context.ip_address))
    st.session_state[ACTOR_KEY] = actor
    st.session_state[SESSION_KEY] = opened.session_id
    st.session_state["must_change_password"] = auth.must_change_password(engine(), actor.email)
    st.session_state[_PENDING] = (web.START, {"code": opened.code})
    return actor


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None  # outside a real browser (AppTest) these are not text


def sign_out() -> None:
    """End the session for every tab of this browser, and have the browser delete its cookie."""
    sid = st.session_state.pop(SESSION_KEY, None)
    if sid is not None:
        sessions.sign_out(engine(), session_id=sid)
    st.session_state[_PENDING] = (web.END, None)
    st.session_state.pop(ACTOR_KEY, None)
    st.session_state.pop("must_change_password", None)
    _clear_work()


def _clear_work() -> None:
    for key in list(st.session_state.keys()):
        if str(key).startswith(("upload_", "validated_", "submit_", "draft_")):
            st.session_state.pop(key, None)


# ---------------------------------------------------------------- errors


def message_for(exc: StocktakeError) -> str:
    """The engine's own words, then how to fix it; never the command-line advice (`cli_hint`): a page has no
    flags to give."""
    text = exc.message or "The request was refused."
    hint = exc.advice()
    return f"{text} {hint}" if hint else text


def show_error(exc: StocktakeError, what: str | None = None) -> None:
    """A user-caused error on the page: what went wrong and how to fix it, escaped (it may quote a file)."""
    prefix = f"{what}: " if what else ""
    st.error(esc(prefix + message_for(exc)))


@contextmanager
def guarded(what: str | None = None, *, stop: bool = False) -> Iterator[None]:
    """The views' one guard: a StocktakeError becomes its message and hint on the page; anything else is a
    defect, shown as a short note (never the exception's text, which may quote someone's data) and logged."""
    try:
        yield
    except ScriptControlException:
        raise
    except StocktakeError as exc:
        show_error(exc, what)
        if stop:
            st.stop()
    except Exception as exc:  # noqa: BLE001 - the views' one top-level guard
        prefix = f"{what}: " if what else ""
        st.error(esc(prefix + f"Something went wrong inside Stocktake ({exc.__class__.__name__}). Try again; if it "
                     "persists, tell the secretariat what you were doing."))
        print(traceback.format_exc(), flush=True)  # for the operator's log, not the page
        if stop:
            st.stop()


def call(fn: Callable[..., Any], *args: Any, what: str | None = None, **kw: Any) -> Any:
    """Run an engine call; on failure show the message and return None."""
    with guarded(what):
        return fn(*args, **kw)
    return None


def esc(text: Any) -> str:
    """Neutralise a user-supplied string before it goes into st.markdown.

    Streamlit already shows raw HTML as text (unsafe_allow_html is never used), so what remains is markdown
    syntax: a partner called "*Relief* [click](http://x)" must appear as written, not as a link.
    """
    out = "" if text is None else str(text)
    out = out.replace("\\", "\\\\")
    for ch in ("*", "_", "`", "[", "]", "#", "|", "$", "~", "<", ">"):
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ")


# ---------------------------------------------------------------- cached loaders


@dataclass
class Geo:
    """Everything a page needs from the active boundary set, built once per version."""

    version: str
    units: pd.DataFrame
    web_adm2: dict
    web_adm1: dict
    attribution: str
    disclaimer: str | None
    meta: dict


@st.cache_resource(show_spinner="Loading boundaries…", max_entries=4)
def _geo_for(version: str | None, shapefiles: str) -> Geo:
    bset = boundaries.load_set(version)
    meta = dict(bset.meta or {})
    return Geo(version=bset.version, units=boundaries.units(bset), web_adm2=boundaries.web_geojson(bset, 2),
               web_adm1=boundaries.web_geojson(bset, 1),
               attribution=meta.get("attribution") or f"Boundaries: {meta.get('source') or bset.version}",
               disclaimer=meta.get("disclaimer"), meta=meta)


@st.cache_resource(show_spinner=False, max_entries=4)
def _bset_for(version: str | None, shapefiles: str):
    return boundaries.load_set(version)


def boundary_version() -> str | None:
    try:
        return registry.active_boundary_version(engine())
    except StocktakeError:
        return None


def geo() -> Geo | None:
    """The active boundary set's geometry for maps, or None (with a message) when none is loaded yet."""
    version = boundary_version()
    try:
        return _geo_for(version, str(config.shapefiles_dir()))
    except boundaries.NoBoundariesError:  # a normal state before set-up
        st.warning("No boundary set is loaded yet, so there is no map. The secretariat can import one on the "
                   "Admin page.")
        return None
    except boundaries.BoundaryError as exc:  # a damaged set: say so, and how to repair it
        show_error(exc, "The map cannot be drawn")
        return None


def bset():
    return _bset_for(boundary_version(), str(config.shapefiles_dir()))


@st.cache_resource(show_spinner="Loading the consolidated picture…", max_entries=8, ttl=3600)
def _activities(url: str, data_version: str, round_name: str | None, role: str, org_id: int | None,
                org_name: str | None) -> pd.DataFrame:
    """One frame per data version, round and contact policy, shared by every session: never modify it.

    st.cache_resource hands out the object itself, where st.cache_data would unpickle a copy per run and per
    session (200,000 rows, forty viewers). The picture depends on the role (contacts) and, for a focal point,
    the organisation: the data version covers both, and no user's identity is in the key.
    """
    actor = db.Actor(user_id=None, email="", role=role, org_id=org_id, org_name=org_name)
    return picture.current_activities(_engine_for(url), actor, round_name=round_name)


@st.cache_resource(show_spinner="Preparing the picture…", max_entries=8, ttl=3600)
def _prepared(url: str, data_version: str, round_name: str | None, role: str, org_id: int | None,
              org_name: str | None, boundary_version: str | None, _units: pd.DataFrame | None) -> pd.DataFrame:
    """The raw frame of the same key prepared for counting, once per boundary set too: never modify it.

    Preparing 200,000 rows takes seconds; every analysis takes the prepared frame as it is, so a filter change
    only filters it. The units are those of `boundary_version` (the key), so they need no hashing.
    """
    return frame.prepare(_activities(url, data_version, round_name, role, org_id, org_name), _units)


def data_version(actor: db.Actor, round_name: str | None = None) -> str:
    return str(picture.data_version(engine(), actor, round_name=round_name))


def activities(actor: db.Actor, round_name: str | None = None) -> pd.DataFrame:
    """The consolidated picture this actor may see; cache key: data version, round, role and organisation."""
    version = data_version(actor, round_name)
    return _activities(config.database_url(), version, round_name, actor.role, actor.org_id, actor.org_name)


@dataclass(frozen=True)
class Frames:
    """One data version of the picture this actor may see, in the two forms the pages read."""

    version: str  # the data version both come from (cache keys of everything computed from them)
    raw: pd.DataFrame  # as stored: exports, filter choices (blank sectors blank, budgets as reported)
    prepared: pd.DataFrame  # cleaned and placed for counting: every analysis (analysis.frame.prepare)


def frames(actor: db.Actor, round_name: str | None, geo: Geo | None) -> Frames:
    """The picture as stored and as prepared for `geo`'s boundaries, both of the same data version, both cached."""
    version = data_version(actor, round_name)
    key = (config.database_url(), version, round_name, actor.role, actor.org_id, actor.org_name)
    return Frames(version, _activities(*key),
                  _prepared(*key, geo.version if geo is not None else None, geo.units if geo is not None else None))


def rounds() -> list[dict]:
    try:
        return list(registry.list_rounds(engine()))
    except StocktakeError:
        return []


def open_round() -> str | None:
    open_ones = [r["name"] for r in rounds() if not r.get("locked")]
    return open_ones[-1] if open_ones else None


def is_demo() -> bool:
    try:
        return workflow.is_demo(engine())
    except StocktakeError:
        return False


def demo_banner() -> None:
    if is_demo():
        st.info("**Illustrative demo data — fictional organisations.** Every organisation and activity shown "
                "here is invented to show how Stocktake works.", icon="ℹ️")


def require(actor: db.Actor | None, roles: tuple[str, ...]) -> db.Actor:
    """Stop the page with a clear message unless the actor has one of the roles (defence behind the menu).

    The account is read again first, so a page reached without app.py (Streamlit's testing harness runs page
    files directly) still sees a disabled account or a changed role.
    """
    if actor is not None:
        restore_session()
        actor = signed_in() or (current_actor() if "public" in roles else None)  # a public visitor stays one
    if actor is None or actor.role not in roles:
        st.error("This page is not available to your account. Sign in with an account that has access "
                 f"({', '.join(ROLE_LABELS.get(r, r) for r in roles)}).")
        st.stop()
    return actor


def can_see_contacts(actor: db.Actor | None) -> bool:
    """Whether this person's exports carry any contact details (the engine decides whose)."""
    return picture.contacts_shown(actor) != "none"
