"""District and partner profiles: one place, or one organisation, seen whole.

They exist apart from `mapping.analysis` because they answer a different question: not "how do the
numbers spread over the country" (matrices, gaps, overlaps) but "what is going on in this one district" or
"where does this partner work", the panel the map opens on a click and `stocktake profile` prints. They
count with the same rules and scoping as the tables (they reuse `mapping.filters` and the analysis
helpers), so a profile never disagrees with the matrix beside it. `mapping.analysis` still answers for
`district_profile` and `partner_profile`, so callers may keep importing them from there.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mapping.analysis.filters import Filters
from mapping.analysis.frame import aggregate, joined, listed_labels, scalar, scope, sector_universe, unit_table
from mapping.analysis.matrices import BENEFICIARY_RULES
from mapping.errors import InvalidRequest

__all__ = ["district_profile", "partner_profile"]


def _records(df: pd.DataFrame, cols: list[str]) -> list[dict]:
    out = df[[c for c in cols if c in df.columns]].copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object)
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")


_ROW_COLS = ["partner", "org_name", "org_impl", "sector", "subsector", "activity", "project", "status", "modality",
             "start_date", "end_date", "targeted", "reached", "budget", "currency", "org_funder", "beneficiary_group"]


def _donors(df: pd.DataFrame) -> list[str]:
    raw = df["org_funder"].astype(str)
    names = raw[raw != ""].str.split(r"\s*[;,/|]\s*", regex=True).explode()
    return sorted({n.strip() for n in names if n and n.strip()})


def _labelled(rows: pd.DataFrame) -> pd.DataFrame:
    """Sector and sub-sector values kept as written (not yet mapped to the lists) read '... (not on the list)', as
    in the matrices: a profile reader must not take them for the deployment's own sectors."""
    out = rows
    for col in ("sector", "subsector"):
        if col not in rows.columns or not len(rows):
            continue
        values = rows[col].astype(object)
        keys = sorted({str(v) for v in values.dropna() if str(v).strip()})
        labels = dict(zip(keys, listed_labels(col, keys), strict=True))
        if any(k != v for k, v in labels.items()):
            out = out.assign(**{col: values.map(lambda v, lab=labels: lab.get(str(v), v) if pd.notna(v) else v)})
    return out


def district_profile(acts: pd.DataFrame, units: pd.DataFrame, adm2_pcode: str, filters: Filters | None = None,
                     sectors: list[str] | None = None, beneficiaries: str = "max") -> dict:
    """One district: who is there, doing what, since when, with which donors, and what reaches it from above."""
    a = scope(acts, units, filters)
    u = unit_table(units)
    row = u[u["adm2_pcode"] == adm2_pcode]
    if not len(row):
        raise InvalidRequest(f"District p-code {adm2_pcode!r} is not in the boundary set.")
    name, p1, pname = row.iloc[0]["adm2_name"], row.iloc[0]["adm1_pcode"], row.iloc[0]["adm1_name"]
    here = _labelled(a[(a["level"] == "district") & (a["adm2_pcode"].astype(str) == adm2_pcode)])
    wide = _labelled(a[((a["level"] == "province") & (a["adm1_pcode"].astype(str) == p1)) | (a["level"] == "national")])
    starts = here["start_date"].dropna()
    by_sector = here.assign(sector=here["sector"].astype(str)).groupby("sector").agg(
        partners=("partner", "nunique"), activities=("_rid", "size")).reset_index()
    by_partner = here.assign(partner=here["partner"].astype(str)).groupby("partner").agg(
        activities=("_rid", "size"), since=("start_date", "min")).reset_index()
    by_partner["sectors"] = by_partner["partner"].map(joined(here.assign(p=here["partner"].astype(str)), "p", "sector"))
    secs = sector_universe(sectors, filters)
    present = set(by_sector["sector"])
    figures = {m: scalar(aggregate(here.assign(dkey=adm2_pcode), [], m, beneficiaries, "dkey", False))
               for m in ("targeted", "reached", "budget")}
    return {
        "adm2_pcode": adm2_pcode, "adm2_name": name, "adm1_pcode": p1, "adm1_name": pname,
        "filters": (filters or Filters()).describe(),
        "partners": int(here["partner"].nunique()), "activities": int(len(here)),
        "partner_names": sorted(here["partner"].astype(str).unique()),
        "since": starts.min() if len(starts) else None,
        **figures, "rule": BENEFICIARY_RULES[beneficiaries],
        "sectors": by_sector.sort_values(["partners", "sector"], ascending=[False, True]).to_dict("records"),
        "by_partner": _records(by_partner.sort_values(["activities", "partner"], ascending=[False, True]),
                               ["partner", "activities", "since", "sectors"]),
        "gap_sectors": [s for s in secs if s not in present],
        "donors": _donors(here),
        "activities_list": _records(here.sort_values(["partner", "sector", "start_date"]), _ROW_COLS),
        "wide_activities": _records(wide.assign(level=wide["level"].astype(str)).sort_values(["level", "partner"]),
                                    ["level", *_ROW_COLS]),
    }


def partner_profile(acts: pd.DataFrame, org: str, previous: pd.DataFrame | None = None, *,
                    units: pd.DataFrame | None = None, filters: Filters | None = None) -> dict:
    """One partner: where it works, in which sectors, and how its footprint changed since the previous round."""

    def footprint(frame: pd.DataFrame) -> pd.DataFrame:
        a = scope(frame, units, filters)
        low = org.strip().lower()
        hit = (a["partner"].astype(str).str.lower() == low) | (a["org_name"].astype(str).str.lower() == low) | (
            a["org_acronym"].astype(str).str.lower() == low)
        return a[hit.to_numpy()]

    mine = footprint(acts)
    d = mine[mine["level"] == "district"]
    districts = d.drop_duplicates("adm2_pcode").sort_values(["prov_name", "dist_name"])
    sectors = mine.assign(sector=mine["sector"].astype(str)).groupby("sector").agg(
        activities=("_rid", "size"), districts=("adm2_pcode", "nunique")).reset_index()
    out: dict[str, Any] = {
        "org": str(mine["org_name"].iloc[0]) if len(mine) else org,
        "org_type": str(mine["org_type"].iloc[0]) if len(mine) else None,
        "activities": int(len(mine)),
        "districts": [{"adm2_pcode": str(k), "adm2_name": str(n), "adm1_name": str(p)}
                      for k, n, p in zip(districts["adm2_pcode"], districts["dist_name"], districts["prov_name"])],
        "provinces": sorted(set(mine.loc[mine["level"] != "national", "prov_name"].astype(str))),
        "province_wide": sorted(set(mine.loc[mine["level"] == "province", "prov_name"].astype(str))),
        "national": int((mine["level"] == "national").sum()),
        "sectors": sectors.sort_values(["activities", "sector"], ascending=[False, True]).to_dict("records"),
        "donors": _donors(mine),
        "implementers": sorted({str(x) for x in mine["org_impl"].astype(str) if x}),
    }
    if previous is not None:
        before = footprint(previous)
        now_d = set(d["adm2_pcode"].astype(str))
        then_d = set(before.loc[before["level"] == "district", "adm2_pcode"].astype(str))
        now_s, then_s = set(mine["sector"].astype(str)), set(before["sector"].astype(str))
        out.update({
            "activities_before": int(len(before)), "districts_before": len(then_d),
            "districts_added": sorted(now_d - then_d), "districts_dropped": sorted(then_d - now_d),
            "sectors_added": sorted(now_s - then_s), "sectors_dropped": sorted(then_s - now_s),
        })
    return out
