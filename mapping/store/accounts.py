"""The secretariat's account administration: disable, enable, change role or organisation, reset, unlock.

Every action is an admin's, is written to the audit log in the same transaction as the change, and (for
disabling, a role or organisation change and a reset) ends the account's sessions at once, so an open tab
loses its old rights at its next click rather than when it happens to sign out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from mapping.store import models as m
from mapping.store import sessions
from mapping.store.auth import USER_ROLES, email_key, hash_password
from mapping.store.db import Actor, StoreError, audit, require_admin, transaction
from mapping.store.registry import find_org


@dataclass(frozen=True)
class Changed:
    """What an action did, for the page and the command to report."""

    email: str
    message: str
    sessions_ended: int = 0
    password: str | None = None  # the one-time password of a reset, shown once


def _user(conn: Connection, email: str):
    email = (email or "").strip().lower()
    row = conn.execute(select(m.users).where(m.users.c.email == email)).first()
    if row is None:
        raise StoreError(f"There is no account for {email}.", cli_hint="List them: python -m mapping users list")
    return row


def _other_admins(conn: Connection, user_id: int) -> int:
    u = m.users
    return len(conn.execute(select(u.c.id).where(u.c.role == "admin").where(u.c.active.is_(True))
                            .where(u.c.id != user_id)).all())


def _ended(n: int) -> str:
    return f" {n} open session{'s' if n != 1 else ''} ended." if n else ""


def disable(engine: Engine, actor: Actor, email: str, *, reason: str | None = None) -> Changed:
    """Stop an account from signing in; its open tabs are signed out at their next action."""
    require_admin(actor, "disable accounts")
    with transaction(engine) as conn:
        row = _user(conn, email)
        if row.id == actor.user_id:
            raise StoreError("You cannot disable your own account.", hint="Ask another admin to do it.")
        if row.role == "admin" and row.active and not _other_admins(conn, row.id):
            raise StoreError(f"{row.email} is the last active admin; disabling it would leave no one to "
                             "administer Stocktake.", hint="Make another account admin first.")
        conn.execute(update(m.users).where(m.users.c.id == row.id).values(active=False))
        ended = sessions.end_for_user(conn, row.id, "account disabled")
        audit(conn, actor, "user.disable", "user", row.id, {"email": row.email, "reason": reason,
                                                            "sessions_ended": ended})
    return Changed(row.email, f"{row.email} is disabled.{_ended(ended)}", ended)


def enable(engine: Engine, actor: Actor, email: str) -> Changed:
    require_admin(actor, "enable accounts")
    with transaction(engine) as conn:
        row = _user(conn, email)
        conn.execute(update(m.users).where(m.users.c.id == row.id).values(active=True))
        audit(conn, actor, "user.enable", "user", row.id, {"email": row.email})
    return Changed(row.email, f"{row.email} can sign in again.")


def change_role(engine: Engine, actor: Actor, email: str, *, role: str | None = None,
                org: str | None = None) -> Changed:
    """Give an account another role and/or organisation; its sessions end so the new rights apply at once."""
    require_admin(actor, "change roles")
    with transaction(engine) as conn:
        row = _user(conn, email)
        new_role = role or row.role
        if new_role not in USER_ROLES:
            raise StoreError(f"Unknown role {new_role!r}; choose admin, focal_point or viewer.")
        org_row = find_org(conn, org) if org else None
        org_id = org_row.id if org_row else (row.org_id if new_role == "focal_point" else None)
        if new_role == "focal_point" and org_id is None:
            raise StoreError("A focal point belongs to an organisation.", hint="Choose the organisation.",
                             cli_hint="Give it with --org NAME.")
        if row.role == "admin" and new_role != "admin" and row.active and not _other_admins(conn, row.id):
            raise StoreError(f"{row.email} is the last active admin.", hint="Make another account admin first.")
        if new_role == row.role and org_id == row.org_id:
            raise StoreError(f"{row.email} already has that role and organisation; nothing changed.")
        conn.execute(update(m.users).where(m.users.c.id == row.id).values(role=new_role, org_id=org_id))
        ended = sessions.end_for_user(conn, row.id, "role changed")
        org_name = org_row.name if org_row else None
        audit(conn, actor, "user.role", "user", row.id, {"email": row.email, "from": row.role, "to": new_role,
                                                         "org": org_name, "sessions_ended": ended})
    where = f" for {org_name}" if org_name else ""
    return Changed(row.email, f"{row.email} is now {new_role.replace('_', ' ')}{where}.{_ended(ended)}", ended)


def reset_password(engine: Engine, actor: Actor, email: str, *, password: str | None = None) -> Changed:
    """Set a one-time password (generated unless given): it must be changed at the next sign-in.

    Also lifts any lock-out and ends the account's sessions, since a reset usually means a leaked password.
    """
    require_admin(actor, "reset passwords")
    one_time = password or secrets.token_urlsafe(9)
    with transaction(engine) as conn:
        row = _user(conn, email)
        conn.execute(update(m.users).where(m.users.c.id == row.id).values(
            password_hash=hash_password(one_time), must_change_password=True, failed_attempts=0,
            locked_until=None))
        conn.execute(delete(m.sign_in_limits).where(m.sign_in_limits.c.email_key == email_key(row.email)))
        ended = sessions.end_for_user(conn, row.id, "password reset")
        audit(conn, actor, "user.reset_password", "user", row.id, {"email": row.email, "sessions_ended": ended})
    return Changed(row.email, f"{row.email} has a one-time password; it must be changed at the next sign-in."
                   f"{_ended(ended)}", ended, one_time)


def unlock(engine: Engine, actor: Actor, email: str) -> Changed:
    """Lift every sign-in lock-out of an e-mail (from every address)."""
    require_admin(actor, "lift lock-outs")
    with transaction(engine) as conn:
        row = _user(conn, email)
        lifted = conn.execute(delete(m.sign_in_limits)
                              .where(m.sign_in_limits.c.email_key == email_key(row.email))).rowcount
        conn.execute(update(m.users).where(m.users.c.id == row.id).values(failed_attempts=0, locked_until=None))
        audit(conn, actor, "user.unlock", "user", row.id, {"email": row.email, "limits_cleared": lifted})
    return Changed(row.email, f"{row.email} can try to sign in again from anywhere.")
