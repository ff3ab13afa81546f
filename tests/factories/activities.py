"""Small, hand-built activity sets shaped like `store.current_activities`, for the analysis tests.

Two provinces of three districts each, so the right answer to every count is obvious by eye:
  Alpha (PA): A1 Amber, A2 Birch, A3 Cedar      Beta (PB): B1 Delta, B2 Elm, B3 Fir
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mapping.returns import schema

UNITS = [
    ("A1", "Amber", "PA", "Alpha"), ("A2", "Birch", "PA", "Alpha"), ("A3", "Cedar", "PA", "Alpha"),
    ("B1", "Delta", "PB", "Beta"), ("B2", "Elm", "PB", "Beta"), ("B3", "Fir", "PB", "Beta"),
]
DISTRICT_OF = {code: (name, p1, pname) for code, name, p1, pname in UNITS}
PROVINCE_NAME = {"PA": "Alpha", "PB": "Beta"}
SECTORS = ["Health", "Nutrition", "Social protection"]


def units_frame() -> pd.DataFrame:
    """What `boundaries.units` returns for the toy country."""
    return pd.DataFrame(UNITS, columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"])


def activity(**overrides) -> dict:
    """One district-level activity of 'Org A' in Amber (A1); `district="B2"` fills the names and province.

    `scope="province"` with `province="PB"` makes a province-wide row, `scope="national"` a national one.
    """
    row: dict = {name: None for name in schema.FIELD_NAMES}
    district = overrides.pop("district", "A1")
    province = overrides.pop("province", None)
    row.update({
        "org_name": "Org A", "org_type": "NGO", "sector": "Health", "subsector": "Primary health care",
        "activity": "Mobile clinics", "modality": "Service delivery", "status": "ongoing", "scope": "district",
        "start_date": "2025-01-01", "end_date": "2025-12-31", "targeted": 100.0, "reached": 50.0,
        "budget": 1000.0, "currency": "USD",
    })
    scope = overrides.get("scope", "district")
    if scope == "district":
        name, p1, pname = DISTRICT_OF[district]
        row.update(adm2_pcode=district, adm2_name=name, adm1_pcode=p1, adm1_name=pname)
    elif scope == "province":
        p1 = province or "PA"
        row.update(adm2_pcode=None, adm2_name=None, adm1_pcode=p1, adm1_name=PROVINCE_NAME[p1])
    else:
        row.update(adm2_pcode=None, adm2_name=None, adm1_pcode=None, adm1_name=None)
    row.update(overrides)
    return row


def frame(rows: Sequence[dict], *, round_name: str = "2025 round") -> pd.DataFrame:
    """The store's column contract: canonical fields + org_id, org_type, submission_id, round_name, …"""
    df = pd.DataFrame(list(rows), columns=list(schema.FIELD_NAMES))
    orgs = sorted(df["org_name"].dropna().unique())
    df["org_id"] = df["org_name"].map({o: i + 1 for i, o in enumerate(orgs)})
    df["submission_id"] = df["org_id"] * 10
    df["round_name"] = round_name
    df["submitted_at"] = pd.Timestamp("2025-06-30 12:00")
    df["carried_forward"] = False
    for c in ("start_date", "end_date"):
        df[c] = pd.to_datetime(df[c])
    for c in ("targeted", "reached", "budget"):
        df[c] = pd.to_numeric(df[c]).astype(float)
    return df
