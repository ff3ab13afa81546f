"""Shared fixtures: a database on SQLite *and* on the real PostgreSQL server, and the shared boundaries.

PostgreSQL is not optional: when the server does not answer, every PostgreSQL test fails with a
message saying so; nothing is skipped silently.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_BOUNDARIES = PROJECT_ROOT.parent / "shared" / "boundaries"
BOUNDARIES_FILE = "pak_adm2.geojson"


def boundaries_for_tests() -> Path:
    """STOCKTAKE_TEST_BOUNDARIES when set, else ../shared/boundaries beside the project."""
    given = os.environ.get("STOCKTAKE_TEST_BOUNDARIES")
    return Path(given).expanduser() if given else SHARED_BOUNDARIES
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_admin_url() -> str:
    return os.environ.get("STOCKTAKE_TEST_PG_URL") or DEFAULT_PG_URL


@pytest.fixture(scope="session")
def pg_server_url():
    """Create one uniquely named database for this test session on the PostgreSQL server; drop it after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin_url = make_url(_pg_admin_url())
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except (OperationalError, OSError) as exc:  # a server that does not answer must stop the run loudly
        pytest.fail(
            f"PostgreSQL did not answer at {admin_url.render_as_string(hide_password=True)} ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}). Start the server or set STOCKTAKE_TEST_PG_URL; the store tests must run on it.",
            pytrace=False,
        )
    name = f"stocktake_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: a temporary SQLite file, or a clean schema in the session's PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'stocktake.db'}"
        return
    from sqlalchemy import create_engine, text

    url = request.getfixturevalue("pg_server_url")
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()
    yield url


@pytest.fixture(scope="session")
def shared_boundaries() -> Path:
    """The real Pakistan boundaries beside the project (read-only; never copied into the repo).

    Missing boundaries fail the test with where they were expected and how to provide them: a skip would let a
    run look green without ever having matched a real district.
    """
    folder = boundaries_for_tests()
    if not (folder / BOUNDARIES_FILE).exists():
        pytest.fail(f"The real boundaries are missing: expected {folder / BOUNDARIES_FILE} (with pak_adm1.geojson "
                    "beside it). Put the Pakistan admin-1/admin-2 GeoJSON files in ../shared/boundaries, or point "
                    "STOCKTAKE_TEST_BOUNDARIES at the folder that holds them.", pytrace=False)
    return folder


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    """Keep every test away from the developer's data/ and shapefiles/ folders."""
    monkeypatch.setenv("STOCKTAKE_SHAPEFILES_DIR", str(tmp_path / "shapefiles"))
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{tmp_path / 'default.db'}")
    monkeypatch.delenv("STOCKTAKE_COUNTRY", raising=False)  # the country comes from the test, not the developer


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say plainly how many tests ran on PostgreSQL, so a green run proves it was used."""
    stats = terminalreporter.stats
    pg = {k: sum(1 for r in stats.get(k, []) if "[postgresql" in getattr(r, "nodeid", "")) for k in
          ("passed", "failed", "error", "skipped")}
    terminalreporter.write_line(
        f"PostgreSQL store tests: {pg['passed']} passed, {pg['failed'] + pg['error']} failed, "
        f"{pg['skipped']} skipped (server {_pg_admin_url().split('@')[-1]})")
