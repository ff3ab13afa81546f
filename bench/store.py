"""Store speed: storing returns, loading the consolidated picture, concurrent uploads (SQLite; PostgreSQL with --pg).

python bench/submissions.py [--scale N] [--pg URL]   (scale 1 = 20 organisations x 10,000 activities = 200k)
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import threading
from pathlib import Path

from _common import emit, timed

from mapping.returns.result import IngestResult
from mapping.store import db, picture, registry, submissions


def _records(org: str, n: int) -> list[dict]:
    return [{"org_name": org, "sector": "Health", "activity": f"Clinic {i}", "adm1_pcode": "PK6",
             "adm2_pcode": f"PK6{i % 90:02d}", "status": "ongoing", "start_date": dt.date(2026, 1, 1 + i % 28),
             "targeted": 100 + i, "budget": 1000.0, "contact_email": "focal@example.org", "activity_id": f"{org}-{i}",
             "_row": i + 3, "match_method": "exact", "match_score": 100.0} for i in range(n)]


def _result(records: list[dict]) -> IngestResult:
    """What ingest returns for a clean return holding `records` (the store's input, without reading a file)."""
    return IngestResult(file="bench.xlsx", sheet="Activities", columns=[], rows=len(records), records=records,
                        issues=[], unknown_columns=[])


def run(url: str, scale: float, label: str) -> None:
    engine = db.connect(url)
    admin = db.CLI_ADMIN
    registry.add_round(engine, admin, "Bench", "2026-01-01", "2026-12-31")
    orgs, per_org = 20, max(1, int(10_000 * scale))
    with timed() as t:
        for k in range(orgs):
            name = f"Bench org {k}"
            registry.add_org(engine, admin, name)
            submissions.submit(engine, admin, org=name, filename="bench.xlsx", data=f"file {k}".encode() * 1000,
                         result=_result(_records(name, per_org)), boundary_version=None, round_name="Bench")
    emit(f"{label}_store_activities_per_second", orgs * per_org / t["seconds"], "rows/s")
    with timed(f"{label}_load_picture_{orgs * per_org}_rows"):
        df = picture.current_activities(engine, admin)
    assert len(df) == orgs * per_org
    focal = db.Actor(None, "focal@example.org", "focal_point", 1, "Bench org 0")
    with timed(f"{label}_load_picture_focal_point"):
        picture.current_activities(engine, focal)
    small = _result(_records("x", 50))
    outcomes: list = []
    threads = [threading.Thread(target=lambda k=k: outcomes.append(submissions.submit(
        engine, admin, org=f"Bench org {k % orgs}", filename="again.xlsx", data=f"again {k}".encode(),
        result=small, boundary_version=None, round_name="Bench"))) for k in range(20)]
    with timed(f"{label}_20_concurrent_submissions"):
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert sorted(o.status for o in outcomes) == ["stored"] * 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pg", metavar="URL", help="also run on this (empty) PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.scale, "sqlite")
    if args.pg:
        run(args.pg, args.scale, "postgresql")


if __name__ == "__main__":
    main()
