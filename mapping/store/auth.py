"""Accounts and sign-in: argon2 password hashes, a lock-out after repeated failures, the first admin.

Sign-in through an OpenID Connect provider (Streamlit's `st.login`) ends in `user_for_email`: the provider
proves the e-mail, the users table decides the role. Built-in accounts use `authenticate`, which locks an
account for LOCKOUT after MAX_FAILURES wrong passwords so that passwords cannot be guessed online; e-mails
without an account are counted in `sign_in_limits` and locked alike, so the answers never tell them apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from mapping import config
from mapping.errors import StocktakeError
from mapping.store import models as m
from mapping.store.db import Actor, StoreError, audit, require_admin, transaction, utcnow
from mapping.store.registry import find_org

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MAX_LOCKOUT = dt.timedelta(hours=4)
FORGET_AFTER = dt.timedelta(hours=24)
MIN_PASSWORD = 8
USER_ROLES: tuple[str, ...] = ("admin", "focal_point", "viewer")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


class AuthError(StocktakeError):
    """Sign-in refused; the message says why and, when locked, when to try again."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists, so timing does not reveal valid e-mails."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _norm_email(email: str) -> str:
    return (email or "").strip().lower()


def _actor(row) -> Actor:
    return Actor(user_id=row.id, email=row.email, role=row.role, org_id=row.org_id,
                 org_name=getattr(row, "org_name", None))


def _user_select():
    u, o = m.users, m.organisations
    return select(u, o.c.name.label("org_name")).outerjoin(o, o.c.id == u.c.org_id)


def add_user(engine: Engine, actor: Actor, *, email: str, role: str, org: str | None = None,
             password: str | None = None, name: str | None = None, one_time: bool = False) -> int:
    """Create an account; without a password it can only sign in through the OpenID Connect provider.

    `one_time`: the password was generated and handed over, so it must be changed at the first sign-in.
    """
    require_admin(actor, "create accounts")
    email = _norm_email(email)
    if "@" not in email or " " in email:
        raise StoreError(f"{email!r} is not an e-mail address.")
    if role not in USER_ROLES:
        raise StoreError(f"Unknown role {role!r}; choose admin, focal_point or viewer.")
    if role == "focal_point" and not org:
        raise StoreError("A focal point belongs to an organisation: choose the organisation.",
                         cli_hint="Give it with --org NAME.")
    if password is not None and len(password) < MIN_PASSWORD:
        raise StoreError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    with transaction(engine) as conn:
        org_row = find_org(conn, org) if org else None
        if conn.execute(select(m.users.c.id).where(m.users.c.email == email)).first():
            raise StoreError(f"An account for {email} already exists.")
        uid = conn.execute(insert(m.users).values(
            email=email, name=name, role=role, org_id=org_row.id if org_row else None,
            password_hash=hash_password(password) if password else None, failed_attempts=0, active=True,
            must_change_password=bool(one_time and password),
            created_at=utcnow())).inserted_primary_key[0]
        conn.execute(delete(m.sign_in_limits).where(m.sign_in_limits.c.email_key == email_key(email)))
        audit(conn, actor, "user.add", "user", uid, {"email": email, "role": role,
                                                     "org": org_row.name if org_row else None})
    return int(uid)


def set_password(engine: Engine, actor: Actor, email: str, password: str) -> None:
    """Change a password (one's own, or anyone's for an admin) and lift any lock-out."""
    email = _norm_email(email)
    if actor.role != "admin" and _norm_email(actor.email) != email:
        require_admin(actor, "change another person's password")
    if len(password) < MIN_PASSWORD:
        raise StoreError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    with transaction(engine) as conn:
        uid = conn.execute(select(m.users.c.id).where(m.users.c.email == email)).scalar()
        if uid is None:
            raise StoreError(f"There is no account for {email}.")
        conn.execute(update(m.users).where(m.users.c.id == uid).values(
            password_hash=hash_password(password), failed_attempts=0, locked_until=None,
            must_change_password=False))
        conn.execute(delete(m.sign_in_limits).where(m.sign_in_limits.c.email_key == email_key(email)))
        audit(conn, actor, "user.password", "user", uid, {"email": email})


def change_own_password(engine: Engine, actor: Actor, *, current: str, new: str) -> None:
    """A signed-in person changes their own password (the app's Account page).

    The current password is checked through `authenticate`, so wrong guesses count towards the lock-out and an
    unattended browser session cannot be used to take the account over.
    """
    if actor.user_id is None:
        raise AuthError("Only a signed-in account has a password to change.")
    if new == current:
        raise StoreError("The new password is the same as the current one.", hint="Choose a different password.")
    if len(new) < MIN_PASSWORD:
        raise StoreError(f"The new password is too short: use at least {MIN_PASSWORD} characters.")
    try:
        authenticate(engine, actor.email, current)
    except AuthError as exc:
        raise AuthError(f"Your current password was not accepted. {exc.message}",
                        hint=exc.hint or "Type the password you signed in with.") from exc
    set_password(engine, actor, actor.email, new)


def list_users(engine: Engine, actor: Actor) -> list[dict]:
    require_admin(actor, "list accounts")
    t = m.sign_in_limits
    with transaction(engine, write=False) as conn:
        locked = dict(conn.execute(select(t.c.email_key, func.max(t.c.locked_until)).where(t.c.locked_until > utcnow())
                                   .group_by(t.c.email_key)).all())
        rows = conn.execute(_user_select().order_by(m.users.c.email))
        return [{"id": r.id, "email": r.email, "name": r.name, "role": r.role, "org": r.org_name,
                 "active": bool(r.active), "has_password": r.password_hash is not None,
                 "locked_until": locked.get(email_key(r.email)),
                 "must_change_password": bool(r.must_change_password)} for r in rows]


def user_by_id(engine: Engine, user_id: int) -> Actor | None:
    """The account as it is now (role, organisation), or None once it is disabled or gone."""
    with transaction(engine, write=False) as conn:
        row = conn.execute(_user_select().where(m.users.c.id == int(user_id))
                           .where(m.users.c.active.is_(True))).first()
    return _actor(row) if row else None


def user_for_email(engine: Engine, email: str) -> Actor | None:
    """The account behind an e-mail proven elsewhere (OpenID Connect), or None when there is none."""
    with transaction(engine, write=False) as conn:
        row = conn.execute(_user_select().where(m.users.c.email == _norm_email(email))
                           .where(m.users.c.active.is_(True))).first()
    return _actor(row) if row else None


def email_key(email: str) -> str:
    """The limiter's key for an e-mail: a hash, so the table holds no addresses."""
    return hashlib.sha256(_norm_email(email).encode("utf-8")).hexdigest()


def _client_key(client: str | None) -> str:
    return hashlib.sha256(("client:" + (client or "")).encode("utf-8")).hexdigest()


def lockout_for(lockouts: int) -> dt.timedelta:
    """15 minutes for the first lock-out, doubling for each further one from the same place, capped."""
    return min(LOCKOUT * (2 ** max(0, lockouts - 1)), MAX_LOCKOUT)


def _locked_message(email: str, until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return (f"Too many failed sign-ins for {email}. Try again after {until:%H:%M} UTC (in about {minutes} minutes), "
            "or ask an admin to reset the password.")


def _now_locked_message(email: str, until: dt.datetime, length: dt.timedelta) -> str:
    return (f"Wrong e-mail or password. Sign-in for {email} is now locked for "
            f"{int(length.total_seconds() // 60)} minutes, until {until:%H:%M} UTC.")


def _count_failure(conn, ekey: str, ckey: str, row, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Count one failure from one place; returns (failures, lock-out end when this one triggers it)."""
    t = m.sign_in_limits
    where = (t.c.email_key == ekey) & (t.c.client_key == ckey)
    if row is None:
        values = {"email_key": ekey, "client_key": ckey, "failures": 1, "lockouts": 0, "locked_until": None,
                  "last_failure_at": now}
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(t).values(**values).on_conflict_do_update(
                index_elements=[t.c.email_key, t.c.client_key],
                set_={"failures": t.c.failures + 1, "last_failure_at": now}))
        else:  # SQLite writers hold the database lock: no one else can insert the same key meanwhile
            conn.execute(insert(t).values(**values))
    else:
        # failures long ago, or a lock-out that has run out, start a fresh count; a quiet day forgets lock-outs
        stale = row.last_failure_at < now - LOCKOUT or (row.locked_until is not None and row.locked_until <= now)
        forgiven = row.last_failure_at < now - FORGET_AFTER
        conn.execute(update(t).where(where).values(
            failures=1 if stale else t.c.failures + 1, locked_until=None if stale else t.c.locked_until,
            lockouts=0 if forgiven else t.c.lockouts, last_failure_at=now))
    failures, lockouts = conn.execute(select(t.c.failures, t.c.lockouts).where(where)).one()
    if failures >= MAX_FAILURES:
        until = now + lockout_for(lockouts + 1)
        conn.execute(update(t).where(where).values(failures=0, lockouts=lockouts + 1, locked_until=until))
        return failures, until
    return failures, None


def authenticate(engine: Engine, email: str, password: str, *, client: str | None = None,
                 now: dt.datetime | None = None) -> Actor:
    """Check a password; five failures from one place lock that e-mail there (15 minutes, then 30, 60 ...).

    The count is per e-mail *and* client address, so a stranger failing on purpose locks only their own
    address out, never the account's owner elsewhere; admins can also always sign in through the identity
    provider or be reset with `python -m mapping users reset-password`. E-mails without an account are counted
    and locked the same way, with the same messages, so neither the answers nor the lock-out reveal whether
    an account exists.
    """
    now = now or utcnow()
    email = _norm_email(email)
    ekey, ckey = email_key(email), _client_key(client)
    t = m.sign_in_limits
    until = None
    with transaction(engine) as conn:
        row = conn.execute(_user_select().where(m.users.c.email == email)).first()
        limit = conn.execute(select(t).where(t.c.email_key == ekey).where(t.c.client_key == ckey)).first()
        password_hash = row.password_hash if row is not None else None
        if limit is not None and limit.locked_until is not None and limit.locked_until > now:
            verify_password(password_hash, password)  # the same work whether or not the account exists
            raise AuthError(_locked_message(email, limit.locked_until, now))
        ok = verify_password(password_hash, password)
        if ok and row.active:
            if limit is not None:
                conn.execute(delete(t).where(t.c.email_key == ekey).where(t.c.client_key == ckey))
            return _actor(row)
        if ok:  # the right password for a disabled account: only its owner can learn that it exists
            raise AuthError(f"The account {email} is disabled; ask an admin.")
        failures, until = _count_failure(conn, ekey, ckey, limit, now)
        if until is not None and row is not None:
            audit(conn, _actor(row), "user.locked", "user", row.id,
                  {"until": until, "failures": failures, "client": client})
    # the transaction has committed the count (and any lock-out) before the refusal
    if until is not None:
        raise AuthError(_now_locked_message(email, until, until - now))
    raise AuthError("Wrong e-mail or password.")


def must_change_password(engine: Engine, email: str) -> bool:
    """True after an admin's reset, until the person has chosen a new password."""
    with transaction(engine, write=False) as conn:
        return bool(conn.execute(select(m.users.c.must_change_password)
                                 .where(m.users.c.email == _norm_email(email))).scalar())


def locked_until(engine: Engine, email: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """The latest running lock-out of an e-mail from any place, or None."""
    now = now or utcnow()
    t = m.sign_in_limits
    with transaction(engine, write=False) as conn:
        return conn.execute(select(func.max(t.c.locked_until)).where(t.c.email_key == email_key(email))
                            .where(t.c.locked_until > now)).scalar()


def ensure_admin(engine: Engine) -> str | None:
    """First start: create the admin from STOCKTAKE_ADMIN_EMAIL/PASSWORD, or return a one-time password.

    Returns the generated password (to print once) or None when an admin exists or the password came from
    the environment.
    """
    with transaction(engine, write=False) as conn:
        if conn.execute(select(func.count()).select_from(m.users).where(m.users.c.role == "admin")).scalar():
            return None
    email = config.env("STOCKTAKE_ADMIN_EMAIL", "admin@localhost")
    password = config.env("STOCKTAKE_ADMIN_PASSWORD")
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    system = Actor(user_id=None, email="system", role="admin", org_id=None, org_name=None)
    if user_for_email(engine, email) is not None:
        raise StoreError(f"STOCKTAKE_ADMIN_EMAIL {email} belongs to an account that is not an admin.")
    try:
        add_user(engine, system, email=email, role="admin", password=password, name="Administrator")
    except IntegrityError:
        return None  # another process created it at the same moment
    except StoreError as exc:
        if "already exists" in str(exc):
            return None
        raise
    return generated
