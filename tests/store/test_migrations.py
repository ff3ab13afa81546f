"""An existing database with data upgrades to the newest schema (SQLite copies tables to alter them)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from mapping.store import auth, db


def test_a_database_with_organisations_and_accounts_upgrades_to_head(db_url):
    engine = db._make_engine(db_url)
    with db.transaction(engine) as conn:
        cfg = db._alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")  # a deployment from before the later revisions
    with db.transaction(engine) as conn:
        conn.execute(text("INSERT INTO organisations (id, name, aliases, created_at) "
                          "VALUES (1, 'Alpha Relief', '[]', '2026-01-01')"))
        conn.execute(text("INSERT INTO users (email, role, org_id, failed_attempts, active, created_at) "
                          "VALUES ('focal@alpha.example', 'focal_point', 1, 0, true, '2026-01-01')"))
    engine.dispose()
    upgraded = db.connect(db_url)
    assert db._current_revision(upgraded) == db._head()
    actor = auth.user_for_email(upgraded, "focal@alpha.example")
    assert (actor.role, actor.org_name) == ("focal_point", "Alpha Relief")
    if upgraded.dialect.name == "sqlite":  # foreign keys are on again for everyone else
        with upgraded.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
