"""Activities shaped like `picture.current_activities` output, for report and export tests and the benchmark."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pandas as pd

from mapping.returns import schema

SECTORS = tuple(schema.load_vocabularies().sector_names[:8])
ORG_TYPES = ("UN agency", "INGO", "NGO", "Government", "Donor")
STATUSES = ("planned", "ongoing", "completed", "suspended")


def activity(**kw) -> dict:
    """One activity with every canonical column; keyword arguments override the defaults."""
    row = {name: None for name in schema.FIELD_NAMES}
    row.update({
        "org_name": "Alpha Relief", "org_acronym": "AR", "org_type": "NGO", "sector": "Health",
        "subsector": "Primary health care", "activity": "Mobile clinics", "modality": "Service delivery",
        "adm1_name": "Punjab", "adm1_pcode": "PK6", "adm2_name": "Lahore", "adm2_pcode": "PK617",
        "scope": "district", "status": "ongoing", "start_date": pd.Timestamp("2026-01-01"),
        "end_date": pd.Timestamp("2026-12-31"), "targeted": 1000.0, "reached": 400.0, "budget": 50000.0,
        "currency": "USD", "contact_name": "A. Person", "contact_email": "a.person@example.org",
        "contact_phone": "+92 300 0000000",
    })
    row.update(kw)
    return row


def frame(rows: Sequence[dict], *, round_name: str = "2026 Q1") -> pd.DataFrame:
    """A `current_activities`-like DataFrame: canonical columns plus the store's own, dates datetime64."""
    df = pd.DataFrame(list(rows), columns=list(schema.FIELD_NAMES))
    orgs = sorted(df["org_name"].dropna().unique())
    df["org_id"] = df["org_name"].map({o: i + 1 for i, o in enumerate(orgs)})
    df["submission_id"] = df["org_id"]
    df["round_name"] = round_name
    df["submitted_at"] = pd.Timestamp("2026-03-01 09:00")
    df["carried_forward"] = False
    for col in ("start_date", "end_date", "submitted_at"):
        df[col] = pd.to_datetime(df[col])
    for col in ("targeted", "reached", "budget"):
        df[col] = pd.to_numeric(df[col]).astype(float)
    return df


def generated(units: pd.DataFrame, n: int, *, orgs: int = 40, seed: int = 8) -> pd.DataFrame:
    """`n` fictional activities spread over real districts (skewed: a few districts get most partners)."""
    rnd = random.Random(seed)
    org_names = [f"Partner {i:02d} (fictional)" for i in range(1, orgs + 1)]
    org_type = {o: ORG_TYPES[i % len(ORG_TYPES)] for i, o in enumerate(org_names)}
    udicts = units.to_dict("records")
    weights = [1 + (i * 7919 % 23) ** 1.5 for i in range(len(udicts))]
    picks = rnd.choices(range(len(udicts)), weights=weights, k=n)
    rows = []
    for i in range(n):
        u = udicts[picks[i]]
        org = rnd.choice(org_names)
        sector = rnd.choice(SECTORS)
        start = pd.Timestamp("2025-01-01") + pd.Timedelta(days=rnd.randrange(0, 500))
        rows.append(activity(
            org_name=org, org_acronym=None, org_type=org_type[org], sector=sector,
            subsector=f"{sector} – type {rnd.randrange(1, 4)}", activity=f"Activity {i}",
            adm1_name=u["adm1_name"], adm1_pcode=u["adm1_pcode"], adm2_name=u["adm2_name"],
            adm2_pcode=u["adm2_pcode"], status=rnd.choice(STATUSES), start_date=start,
            end_date=start + pd.Timedelta(days=rnd.randrange(60, 700)), targeted=float(rnd.randrange(100, 20000)),
            reached=float(rnd.randrange(0, 10000)), budget=float(rnd.randrange(1000, 900000)),
            project=f"Programme {rnd.randrange(1, 30)}", activity_id=f"A{i:05d}"))
    return frame(rows)


LAHORE = {"adm1_name": "Punjab", "adm1_pcode": "PK6", "adm2_name": "Lahore", "adm2_pcode": "PK617"}
QUETTA = {"adm1_name": "Balochistan", "adm1_pcode": "PK2", "adm2_name": "Quetta", "adm2_pcode": "PK226"}


def stored_world(rows: Sequence[dict], *, missing_org: str | None = "Zeta Aid (fictional)") -> dict:
    """A first-run database (real boundaries, an open round) holding `rows`, submitted the way an admin imports a
    consolidated 3W file: the Stocktake export of those rows goes through validation and into the store."""
    from mapping import workflow
    from mapping.outputs import export
    from mapping.store import db, registry

    info = workflow.setup()
    engine = db.connect()
    if missing_org:
        registry.add_org(engine, db.CLI_ADMIN, missing_org, org_type="NGO")
    data = export.dataset_xlsx(frame(rows))
    report = workflow.submit_file(engine, db.CLI_ADMIN, data, "consolidated.xlsx", org="",
                                            consolidated=True)
    result, outcomes = report.result, report.outcomes
    assert result.errors == [], [i.message for i in result.errors]
    assert {o.status for o in outcomes} == {"stored"}, [o.message for o in outcomes]
    return {"engine": engine, "round": info["round"], "outcomes": outcomes}
