"""Sign-in sessions that survive a reload, a new tab and a server restart, and end everywhere at once.

Why this shape: Streamlit keeps its state per browser tab and forgets it on every reload, so a sign-in must
live in the browser as a cookie. The cookie is HttpOnly (page scripts cannot read it), so it can only be set
by an HTTP response: at sign-in the store opens a session with a one-time hand-off code; the page posts the
code to the app's own `/api/session/start` route, which swaps it for a random token and sets the cookie.
The table keeps only SHA-256 hashes of the code and the token. Every page run checks the session again
(`check`), re-reading the account, so signing out, disabling, a role change or a password reset takes
effect at the next click in every tab. Sessions slide: each use pushes the expiry STOCKTAKE_SESSION_HOURS on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from mapping import config
from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, get_setting, require_admin, transaction, utcnow

COOKIE = "stocktake_session"
HANDOFF_TTL = dt.timedelta(minutes=2)
TOUCH_EVERY = dt.timedelta(minutes=1)  # at most one write per session per minute for the sliding expiry
COOKIE_REFRESH = dt.timedelta(minutes=10)  # the browser renews its cookie's lifetime this often


@dataclass(frozen=True)
class Opened:
    """A new session: its id (kept by the tab) and the one-time code the browser swaps for its cookie."""

    session_id: int
    code: str


@dataclass(frozen=True)
class Live:
    """A session that is still valid, the account as it is now, and whether the cookie wants renewing."""

    session_id: int
    actor: Actor
    must_change_password: bool
    refresh_cookie: bool


@dataclass(frozen=True)
class Cookie:
    """What the HTTP route sets: the signed value (token + HMAC) and its lifetime in seconds."""

    value: str
    max_age: int


def lifetime() -> dt.timedelta:
    """STOCKTAKE_SESSION_HOURS (default 12): how long a session lasts after its last use."""
    raw = config.env("STOCKTAKE_SESSION_HOURS", "12") or "12"
    try:
        hours = float(raw)
    except ValueError:
        hours = 12.0
    return dt.timedelta(hours=hours if hours > 0 else 12.0)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


_SECRETS: dict[str, bytes] = {}


def _signing_key(engine: Engine) -> bytes:
    """The deployment's cookie-signing key, made once and kept in the database so restarts keep sessions."""
    key = str(engine.url)
    if key not in _SECRETS:
        value = get_setting(engine, "session_signing_key")
        if not value:
            with transaction(engine) as conn:
                value = conn.execute(select(m.settings.c.value)
                                     .where(m.settings.c.key == "session_signing_key")).scalar()
                if not value:
                    value = secrets.token_hex(32)
                    conn.execute(insert(m.settings).values(key="session_signing_key", value=value))
        _SECRETS[key] = value.encode("ascii")
    return _SECRETS[key]


def sign(engine: Engine, token: str) -> str:
    """The cookie's value: the token and its HMAC, so a forged or damaged cookie is refused before any lookup."""
    mac = hmac.new(_signing_key(engine), token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return f"{token}.{mac}"


def unsign(engine: Engine, value: str | None) -> str | None:
    """The token inside a cookie's value, or None when the signature does not match."""
    token, _, mac = (value if isinstance(value, str) else "").rpartition(".")
    if not token or not mac:
        return None
    good = hmac.new(_signing_key(engine), token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return token if hmac.compare_digest(good, mac) else None


def open_session(engine: Engine, actor: Actor, *, method: str = "password", user_agent: str | None = None,
                 client: str | None = None, now: dt.datetime | None = None) -> Opened:
    """Start a session for a user who has just proven who they are."""
    if actor.user_id is None:
        raise StoreError("Only a stored account can have a browser session.")
    now = now or utcnow()
    code = secrets.token_urlsafe(32)
    with transaction(engine) as conn:
        sid = conn.execute(insert(m.user_sessions).values(
            user_id=actor.user_id, handoff_hash=_hash(code), handoff_expires_at=now + HANDOFF_TTL, method=method,
            user_agent=(user_agent or "")[:500] or None, client=(client or "")[:100] or None, created_at=now,
            last_seen_at=now, expires_at=now + lifetime())).inserted_primary_key[0]
    return Opened(session_id=int(sid), code=code)


def claim(engine: Engine, code: str, *, now: dt.datetime | None = None) -> Cookie | None:
    """Swap a hand-off code (once, within two minutes) for the cookie's token; None when it is not valid."""
    if not code:
        return None
    now = now or utcnow()
    t = m.user_sessions
    token = secrets.token_urlsafe(32)
    with transaction(engine) as conn:
        done = conn.execute(update(t).where(t.c.handoff_hash == _hash(code)).where(t.c.handoff_expires_at > now)
                            .where(t.c.ended_at.is_(None)).where(t.c.expires_at > now)
                            .values(handoff_hash=None, handoff_expires_at=None, token_hash=_hash(token),
                                    cookie_set_at=now)).rowcount
    return Cookie(value=sign(engine, token), max_age=int(lifetime().total_seconds())) if done else None


def _live(conn: Connection, where, now: dt.datetime) -> Live | None:
    t, u, o = m.user_sessions, m.users, m.organisations
    row = conn.execute(
        select(t.c.id, t.c.last_seen_at, t.c.cookie_set_at, u.c.id.label("uid"), u.c.email, u.c.role, u.c.org_id,
               u.c.active, u.c.must_change_password, o.c.name.label("org_name"))
        .join(u, u.c.id == t.c.user_id).outerjoin(o, o.c.id == u.c.org_id)
        .where(where).where(t.c.ended_at.is_(None)).where(t.c.expires_at > now)).first()
    if row is None:
        return None
    if not row.active:
        _end(conn, t.c.id == row.id, "account disabled", now)
        return None
    if row.last_seen_at <= now - TOUCH_EVERY:
        conn.execute(update(t).where(t.c.id == row.id).values(last_seen_at=now, expires_at=now + lifetime()))
    refresh = row.cookie_set_at is not None and row.cookie_set_at <= now - COOKIE_REFRESH
    actor = Actor(user_id=row.uid, email=row.email, role=row.role, org_id=row.org_id, org_name=row.org_name)
    return Live(session_id=int(row.id), actor=actor, must_change_password=bool(row.must_change_password),
                refresh_cookie=refresh)


def check(engine: Engine, session_id: int, *, now: dt.datetime | None = None) -> Live | None:
    """The session of a tab, with its account re-read now; None once it has ended, expired or been disabled."""
    now = now or utcnow()
    with transaction(engine) as conn:
        return _live(conn, m.user_sessions.c.id == int(session_id), now)


def resolve(engine: Engine, cookie: str | None, *, now: dt.datetime | None = None) -> Live | None:
    """The session behind a browser's cookie (a reload, a new tab, a shared link), or None."""
    token = unsign(engine, cookie)
    if not token:
        return None
    now = now or utcnow()
    with transaction(engine) as conn:
        return _live(conn, m.user_sessions.c.token_hash == _hash(token), now)


def renew_cookie(engine: Engine, cookie: str | None, *, now: dt.datetime | None = None) -> Cookie | None:
    """Re-issue a live cookie with a fresh lifetime (same token), so the browser keeps it while it is used."""
    token = unsign(engine, cookie)
    if not token:
        return None
    now = now or utcnow()
    t = m.user_sessions
    with transaction(engine) as conn:
        if _live(conn, t.c.token_hash == _hash(token), now) is None:
            return None
        conn.execute(update(t).where(t.c.token_hash == _hash(token)).values(cookie_set_at=now))
    return Cookie(value=sign(engine, token), max_age=int(lifetime().total_seconds()))


def _end(conn: Connection, where, reason: str, now: dt.datetime) -> int:
    t = m.user_sessions
    return conn.execute(update(t).where(where).where(t.c.ended_at.is_(None))
                        .values(ended_at=now, end_reason=reason[:200], handoff_hash=None)).rowcount


def sign_out(engine: Engine, *, session_id: int | None = None, cookie: str | None = None) -> None:
    """End this browser's session: every tab sharing its cookie is signed out at its next action."""
    now = utcnow()
    token = unsign(engine, cookie)
    t = m.user_sessions
    with transaction(engine) as conn:
        if session_id is not None:
            _end(conn, t.c.id == int(session_id), "signed out", now)
        if token:
            _end(conn, t.c.token_hash == _hash(token), "signed out", now)


def end_for_user(conn: Connection, user_id: int, reason: str) -> int:
    """End every session of an account inside the caller's transaction (disable, role change, reset)."""
    return _end(conn, m.user_sessions.c.user_id == int(user_id), reason, utcnow())


CLIENT_UNKNOWN = "not given"  # Streamlit names no address for a visitor on the same machine (or behind some proxies)


def list_sessions(engine: Engine, actor: Actor, *, email: str | None = None,
                  now: dt.datetime | None = None) -> list[dict]:
    """Live sessions, newest first: who, how they signed in, since when, last seen, until when, which browser."""
    require_admin(actor, "list sign-in sessions")
    now = now or utcnow()
    t, u = m.user_sessions, m.users
    stmt = (select(t, u.c.email).join(u, u.c.id == t.c.user_id).where(t.c.ended_at.is_(None))
            .where(t.c.expires_at > now).order_by(t.c.created_at.desc(), t.c.id.desc()))
    if email:
        stmt = stmt.where(u.c.email == email.strip().lower())
    with transaction(engine, write=False) as conn:
        rows = conn.execute(stmt).all()
    return [{"id": r.id, "email": r.email, "method": r.method, "since": r.created_at, "last_seen": r.last_seen_at,
             "expires": r.expires_at, "browser": browser_label(r.user_agent),
             "client": r.client or CLIENT_UNKNOWN} for r in rows]


def revoke(engine: Engine, actor: Actor, session_id: int) -> None:
    """An admin ends one session (a lost laptop, a shared computer); audited."""
    require_admin(actor, "end other people's sessions")
    t, u = m.user_sessions, m.users
    with transaction(engine) as conn:
        row = conn.execute(select(t.c.id, u.c.email).join(u, u.c.id == t.c.user_id)
                           .where(t.c.id == int(session_id))).first()
        if row is None:
            raise StoreError(f"There is no session {session_id}.", cli_hint="List them: python -m mapping users sessions")
        if not _end(conn, t.c.id == row.id, f"ended by {actor.email}", utcnow()):
            raise StoreError(f"Session {session_id} of {row.email} has already ended.")
        audit(conn, actor, "session.revoke", "session", row.id, {"email": row.email})


def browser_label(user_agent: str | None) -> str:
    """'Chrome on Linux' from a User-Agent header: enough for an admin to recognise a session."""
    ua = user_agent or ""
    if not ua:
        return "unknown"
    browser = next((name for key, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                                           ("HeadlessChrome", "Headless Chrome"), ("Chrome/", "Chrome"),
                                           ("Safari/", "Safari")) if key in ua), "a browser")
    system = next((name for key, name in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                          ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))
                   if key in ua), None)
    return f"{browser} on {system}" if system else browser
