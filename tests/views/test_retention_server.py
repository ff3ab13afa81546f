"""The running app server deletes hashed beneficiary lists past their retention by itself (issue 16): no page
visit, no command and no cron is needed."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from sqlalchemy import func, select

from mapping.returns.pseudonymise import read_hashed
from mapping.store import db, models
from mapping.store import people as sp
from tests.factories.people import write_hashed
from tests.factories.server import free_port, serving
from tests.factories.store import ORG_A, ORG_B, fast_hashing, world

OLD, FRESH = "Old Cash (fictional)", "Fresh MCH (fictional)"


def _lists(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(models.programmes.c.name).join(
            models.people_lists, models.people_lists.c.programme_id == models.programmes.c.id)).scalars())


def test_the_server_deletes_expired_lists_without_anyone_asking(tmp_path, shared_boundaries, monkeypatch):
    fast_hashing(monkeypatch)
    url = f"sqlite:///{tmp_path / 'stocktake.db'}"
    w = world(url)
    for name, org in ((OLD, ORG_A), (FRESH, ORG_B)):
        sp.add_programme(w.engine, w.admin, name, owner_org=org)
    hashed = read_hashed(write_hashed(tmp_path / "h.csv", [(1, "PK601"), (2, "PK602")]).read_bytes(), "h.csv")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    sp.upload(w.engine, w.focal_b, FRESH, hashed, round_name="2026 H1", now=now)
    sp.upload(w.engine, w.focal_a, OLD, hashed, round_name="2026 H1", now=now - dt.timedelta(days=91))
    assert _lists(w.engine) == [FRESH, OLD]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]), STOCKTAKE_DATABASE_URL=url,
               STOCKTAKE_SHAPEFILES_DIR=str(tmp_path / "shapefiles"), STOCKTAKE_DATA_DIR=str(tmp_path / "data"),
               STOCKTAKE_BOUNDARIES_FROM=str(shared_boundaries), STOCKTAKE_TILES="none")
    with serving(env, free_port(), tmp_path / "streamlit.log", timeout=120):
        deadline = time.monotonic() + 90
        while _lists(w.engine) != [FRESH] and time.monotonic() < deadline:
            time.sleep(0.5)
    assert _lists(w.engine) == [FRESH]
    purge = db.audit_log(w.engine, w.admin, action="people.purge")
    assert [(e["email"], e["detail"]["programme"]) for e in purge] == [("system", OLD)]
    with w.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(models.people_lists)).scalar_one() == 1
