"""Engine, migrations, the acting user, permission checks and the audit log: what every store module shares.

SQLite gets WAL, foreign keys and a busy timeout; writers take the write lock up front (BEGIN IMMEDIATE) so
concurrent uploads queue instead of failing. PostgreSQL writers lock the organisation's row. Alembic runs to
head on `connect()`, guarded so two processes starting together do not both migrate.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text, update
from sqlalchemy.engine import Connection, Engine, create_engine, make_url
from sqlalchemy.exc import OperationalError

from mapping import config
from mapping.errors import StocktakeError
from mapping.store import models as m

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_MIGRATE_LOCK = threading.Lock()
_PG_MIGRATION_LOCK = 727_368_250  # advisory lock key: one process migrates, the others wait


@dataclass(frozen=True)
class Actor:
    """Who is acting: every permission check and audit row is about this person."""

    user_id: int | None
    email: str
    role: str  # admin | focal_point | viewer | public
    org_id: int | None
    org_name: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


PUBLIC = Actor(user_id=None, email="public", role="public", org_id=None, org_name=None)
CLI_ADMIN = Actor(user_id=None, email="cli", role="admin", org_id=None, org_name=None)


class PermissionDenied(StocktakeError):
    """The role does not allow the action; the message says so in plain words."""


class StoreError(StocktakeError, ValueError):
    """The request cannot be carried out as asked (unknown organisation, round already exists ...)."""


class DatabaseUnavailable(StocktakeError):
    """The database cannot be reached or dropped the connection; the transaction was rolled back.

    The message names the database (never its password) and the driver's first line of complaint; it never
    carries the SQL or its parameters, which hold row values and contact e-mails."""


_SQLITE_DOWN = ("unable to open database file", "disk i/o error", "file is not a database", "malformed",
                "readonly database", "no such table: alembic_version")


def _unavailable(context) -> None:
    """SQLAlchemy's error hook: connection failures become `DatabaseUnavailable`; others pass unchanged."""
    orig = context.original_exception
    engine = context.engine
    first = (str(orig).strip().splitlines() or [orig.__class__.__name__])[0][:200]
    sqlite_down = isinstance(orig, sqlite3.OperationalError) and any(w in first.lower() for w in _SQLITE_DOWN)
    pg_down = engine is not None and engine.dialect.name == "postgresql" and (
        context.is_disconnect or context.connection is None or orig.__class__.__name__ in
        ("OperationalError", "InterfaceError") and not getattr(orig, "sqlstate", None))
    if not (context.is_disconnect or sqlite_down or pg_down):
        return
    where = engine.url.render_as_string(hide_password=True) if engine is not None else "the database"
    raise DatabaseUnavailable(
        f"The database cannot be reached ({where}: {first}). Nothing was changed: anything under way was "
        "rolled back.",
        hint="Check that the database server is running and that STOCKTAKE_DATABASE_URL points at it, then "
             "try again.") from None


def utcnow() -> dt.datetime:
    """Naive UTC: both databases store it the same way."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- engine and migrations

def connect(url: str | None = None) -> Engine:
    """The engine for `url` (default: STOCKTAKE_DATABASE_URL or data/stocktake.db), migrated to head.

    Engines are cached per URL; the schema version is checked on every call (one cheap query) so a database
    recreated under a running process is migrated again.
    """
    url = url or config.database_url()
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = _make_engine(url)
    try:
        _migrate(engine)
    except OperationalError as exc:
        where = make_url(url).render_as_string(hide_password=True)
        raise StoreError(f"Cannot open the database {where} ({str(exc.orig).strip()[:200]}).",
                         hint="Check STOCKTAKE_DATABASE_URL and that the database server is running.") from exc
    return engine


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def _make_engine(url: str) -> Engine:
    engine = _new_engine(url)
    event.listen(engine, "handle_error", _unavailable)
    return engine


def _new_engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        connect_args = {"prepare_threshold": None} if u.get_driver_name() == "psycopg" else {}
        return create_engine(u, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args)
    if u.database and u.database != ":memory:":
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(u, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised through every SQLite test
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        for pragma in ("busy_timeout=60000", "foreign_keys=ON", "synchronous=NORMAL"):
            cur.execute(f"PRAGMA {pragma}")
        # Switching a new file to WAL needs a moment of exclusive access; SQLite may answer "locked" at once
        # (without waiting on the busy timeout) when another process opens the file at the same instant.
        for attempt in range(200):
            try:
                cur.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 199:
                    raise
                time.sleep(0.05)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two uploads queue instead of failing with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("stocktake_write") else "BEGIN")

    return engine


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Connection]:
    """One transaction; writers serialise on SQLite (BEGIN IMMEDIATE), PostgreSQL uses row locks."""
    with engine.connect() as conn:
        if write:
            conn.execution_options(stocktake_write=True)
        with conn.begin():
            yield conn


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


_HEAD: list[str] = []


def _head() -> str:
    if not _HEAD:
        from alembic.script import ScriptDirectory

        _HEAD.append(ScriptDirectory.from_config(_alembic_config()).get_current_head())
    return _HEAD[0]


def _current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _migrate(engine: Engine) -> None:
    """Bring the schema to head; safe when two processes or threads start at the same moment."""
    if _current_revision(engine) == _head():
        return
    from alembic import command

    with _MIGRATE_LOCK:
        engine.dispose()  # pooled connections may point at a schema that was dropped and recreated
        with engine.connect() as conn:
            # SQLite alters a table by copying it and dropping the old one; with foreign keys on, dropping a
            # table that other rows point at (organisations, users) fails, so an existing database with data
            # could not be upgraded. Switch them off for the migration (only outside a transaction does the
            # pragma count) and check every reference afterwards instead.
            raw = conn.connection.driver_connection if is_sqlite(engine) else None
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                conn.execution_options(stocktake_write=True)
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                    cfg = _alembic_config()
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    if raw is not None and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise StoreError("The database upgrade left rows pointing at missing rows; it was undone.")
            finally:
                if raw is not None:
                    raw.execute("PRAGMA foreign_keys=ON")


def new_revision(message: str, url: str | None = None) -> None:
    """Developers: write a migration for a change to mapping/models.py (compares with a database at head)."""
    from alembic import command

    with tempfile.TemporaryDirectory() as tmp:
        target = url or f"sqlite:///{Path(tmp) / 'revision.db'}"
        engine = connect(target)
        with transaction(engine) as conn:
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)
        engine.dispose()
        _ENGINES.pop(target, None)


# --------------------------------------------------------------------------- permissions and audit

ROLE_LABELS = {"admin": "admin", "focal_point": "focal point", "viewer": "viewer", "public": "public visitor"}


def require_admin(actor: Actor, what: str) -> None:
    if actor.role != "admin":
        raise PermissionDenied(f"Only an admin can {what}; {actor.email} is signed in as "
                               f"{ROLE_LABELS.get(actor.role, actor.role)}.")


def require_org(actor: Actor, org_id: int, org_name: str, what: str) -> None:
    """Admins act for anyone; a focal point only for its own organisation; viewers never write."""
    if actor.role == "admin":
        return
    if actor.role == "focal_point" and actor.org_id is not None and actor.org_id == org_id:
        return
    if actor.role == "focal_point":
        raise PermissionDenied(f"{actor.email} is the focal point of {actor.org_name or 'no organisation'} and "
                               f"cannot {what} for {org_name}.")
    raise PermissionDenied(f"A {ROLE_LABELS.get(actor.role, actor.role)} cannot {what}; ask the secretariat "
                           "for a focal point account.")


def audit(conn: Connection, actor: Actor, action: str, object_type: str | None = None,
          object_id: Any = None, detail: dict | None = None) -> None:
    """Append one row to the audit log on the caller's connection, i.e. inside the change's transaction."""
    conn.execute(insert(m.audit_log).values(
        at=utcnow(), user_id=actor.user_id, email=actor.email, action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id), detail=jsonable(detail or {})))


def audit_log(engine: Engine, actor: Actor, *, limit: int = 500, object_type: str | None = None,
              object_id: Any = None, action: str | None = None) -> list[dict]:
    """The latest audit entries, newest first (admins only: it names people)."""
    require_admin(actor, "read the audit log")
    t = m.audit_log
    stmt = select(t).order_by(t.c.id.desc()).limit(limit)
    if object_type:
        stmt = stmt.where(t.c.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(t.c.object_id == str(object_id))
    if action:
        stmt = stmt.where(t.c.action == action)
    with transaction(engine, write=False) as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def jsonable(value: Any) -> Any:
    """Make a value safe for a JSON column (dates as ISO text, NaN as null, unknown objects as text)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return str(value)


# --------------------------------------------------------------------------- settings

def get_setting(engine: Engine, key: str, default: str | None = None) -> str | None:
    with transaction(engine, write=False) as conn:
        value = conn.execute(select(m.settings.c.value).where(m.settings.c.key == key)).scalar()
    return default if value is None else value


def set_setting(engine: Engine, actor: Actor, key: str, value: str | None) -> None:
    require_admin(actor, "change settings")
    with transaction(engine) as conn:
        done = conn.execute(update(m.settings).where(m.settings.c.key == key).values(value=value)).rowcount
        if not done:
            conn.execute(insert(m.settings).values(key=key, value=value))
        audit(conn, actor, "setting.set", "setting", key, {"value": value})


def public_view_enabled(engine: Engine) -> bool:
    """The public read-only view: STOCKTAKE_PUBLIC_VIEW decides when it is set (1/true/yes/on or 0/false/no/off),
    so an operator can switch a demo database's view off; unset, the database's setting or the demo decides."""
    explicit = config.public_view_setting()
    if explicit is not None:
        return explicit
    return get_setting(engine, "public_view") == "1" or get_setting(engine, "demo") == "1"
