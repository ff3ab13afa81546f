"""Database down or cut mid-write: every command says so plainly (exit 2), never a traceback, never row values.

The cut is real: a PostgreSQL trigger terminates the server process that is inserting the activities, as a
crashed or restarted server would, while the INSERT carries the focal point's contact e-mail.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from mapping import workflow
from mapping.cli import main
from mapping.store import auth, db, registry
from tests.factories import boundaries as fb
from tests.factories.bad_files import good_return

EMAIL = "private.focal@irp.example"
DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/stocktake"  # nothing listens on port 1


@pytest.mark.parametrize("argv", [["users", "list"], ["history", "--org", "IRP"], ["orgs", "list"],
                                  ["rounds", "list"], ["audit"], ["submit", "RETURN", "--org", "IRP", "--user",
                                                                  EMAIL]],
                         ids=["users-list", "history", "orgs-list", "rounds-list", "audit", "submit"])
def test_commands_say_the_database_cannot_be_reached(argv, tmp_path, monkeypatch, capsys):
    path = tmp_path / "return.xlsx"
    path.write_bytes(good_return(2, contact_email=EMAIL))
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", DOWN)
    code = main([str(path) if a == "RETURN" else a for a in argv])
    out = capsys.readouterr()
    said = out.out + out.err
    assert code == 2
    assert said.startswith("The database cannot be reached (postgresql+psycopg://postgres@127.0.0.1:1/stocktake: "
                           "connection failed"), said
    assert "Check that the database server is running and that STOCKTAKE_DATABASE_URL points at it" in said
    assert "Traceback" not in said and EMAIL not in said


@pytest.fixture
def pg_deployment(pg_server_url, tmp_path, monkeypatch):
    """A clean PostgreSQL schema with the tiny country, IRP and its focal point."""
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", pg_server_url)
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(fb.tiny_country(tmp_path)))
    monkeypatch.setenv("STOCKTAKE_ADMIN_PASSWORD", "deployment-admin-1")
    workflow.setup(url=pg_server_url)
    engine = db.connect(pg_server_url)
    registry.add_org(engine, db.CLI_ADMIN, "Indus Relief Partners", acronym="IRP", org_type="National NGO")
    auth.add_user(engine, db.CLI_ADMIN, email=EMAIL, role="focal_point", org="IRP", password="focal-pass-123")
    yield engine, admin
    with admin.connect() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS cut_insert ON activities"))
    admin.dispose()


def test_connection_cut_mid_insert_rolls_back_and_prints_no_row_values(pg_deployment, tmp_path, capsys):
    engine, admin = pg_deployment
    with admin.connect() as conn:
        conn.execute(text("CREATE OR REPLACE FUNCTION stocktake_cut() RETURNS trigger AS $$ BEGIN "
                          "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$ LANGUAGE plpgsql"))
        conn.execute(text("CREATE TRIGGER cut_insert BEFORE INSERT ON activities FOR EACH ROW "
                          "EXECUTE FUNCTION stocktake_cut()"))
    path = tmp_path / "return.xlsx"
    path.write_bytes(good_return(3, contact_email=EMAIL, contact_name="Private Person"))
    code = main(["submit", str(path), "--org", "IRP", "--user", EMAIL])
    out = capsys.readouterr()
    said = out.out + out.err
    assert code == 2, said
    assert said.startswith("The database cannot be reached"), said
    assert "Nothing was changed" in said
    for private in (EMAIL, "Private Person", "Mobile clinic", "INSERT"):
        assert private not in said, said
    with admin.connect() as conn:
        conn.execute(text("DROP TRIGGER cut_insert ON activities"))
        stored = conn.execute(text("select count(*) from submissions where status = 'accepted'")).scalar()
        rows = conn.execute(text("select count(*) from activities")).scalar()
    assert (stored, rows) == (0, 0)  # the submission was stored whole or not at all
    engine.dispose()
    assert main(["submit", str(path), "--org", "IRP", "--user", EMAIL]) == 0  # and works once the server is back
