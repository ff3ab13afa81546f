"""Change between two rounds of returns: which activities are new, changed or ended, and where coverage moved.

A stocktake is repeated (quarterly, yearly); the question after the second round is what moved. That is a
comparison of two whole rounds, not a view of one, so it lives apart from `mapping.analysis`. Coverage
changes reuse the analysis' own presence count, so "gained" and "lost" agree with the gap tables of each
round. `mapping.analysis` still answers for `round_changes` and `coverage_changes`, so callers may keep
importing them from there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapping.analysis.filters import Filters
from mapping.analysis.frame import prepare, presence_long, scope, sector_universe, units_in_scope

__all__ = ["coverage_changes", "round_changes"]

_COMPARED = ("sector", "subsector", "activity", "project", "status", "modality", "org_impl", "org_funder",
             "beneficiary_group", "start_date", "end_date", "targeted", "reached", "budget", "currency")


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    a = prepare(frame)
    org = a["org_name"].astype(str).str.lower()
    aid = a["activity_id"].astype(str)
    place = a["ounit"].astype(str)
    fallback = (org + "|" + a["sector"].astype(str).str.lower() + "|" + a["subsector"].astype(str).str.lower() + "|"
                + place + "|" + a["activity"].astype(str).str.lower())
    key = np.where(aid != "", "id|" + org + "|" + aid.str.lower(), "row|" + fallback)
    out = a.assign(key=key)
    # Same fallback key twice in one round: number the copies so neither is lost.
    out["key"] = out["key"] + "#" + out.groupby("key").cumcount().astype(str)
    return out.drop_duplicates("key").set_index("key")


def round_changes(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """New, changed and ended activities, matched by activity ID (or organisation+sector+sub-sector+place+activity).

    Columns: change (new | changed | ended), org_name, sector, subsector, district, province, activity,
    fields (what changed, for 'changed'), key.
    """
    p, c = _keyed(previous), _keyed(current)
    new = c.index.difference(p.index)
    ended = p.index.difference(c.index)
    both = c.index.intersection(p.index)
    changed_fields = pd.Series("", index=both, dtype=object)
    for col in _COMPARED:
        if col not in c.columns or col not in p.columns:
            continue
        x, y = c.loc[both, col], p.loc[both, col]
        if isinstance(x.dtype, pd.CategoricalDtype):
            x, y = x.astype(str), y.astype(str)
        diff = ~((x == y) | (x.isna() & y.isna()))
        changed_fields[diff] = changed_fields[diff] + ", " + col
    changed = changed_fields[changed_fields != ""].str.lstrip(", ")
    cols = ["org_name", "sector", "subsector", "dist_name", "prov_name", "activity"]

    def part(frame: pd.DataFrame, idx: pd.Index, label: str) -> pd.DataFrame:
        x = frame.loc[idx, cols].astype(str).assign(change=label)
        return x.reset_index()

    out = pd.concat([part(c, new, "new"), part(c, changed.index, "changed").assign(fields=changed.to_numpy()),
                     part(p, ended, "ended")], ignore_index=True)
    out["fields"] = out.get("fields", pd.Series(dtype=object)).fillna("")
    out = out.rename(columns={"dist_name": "district", "prov_name": "province"})
    order = {"new": 0, "changed": 1, "ended": 2}
    out = out.sort_values(["change", "org_name", "province", "district", "sector"],
                          key=lambda s: s.map(order) if s.name == "change" else s)
    return out[["change", "org_name", "sector", "subsector", "district", "province", "activity", "fields",
                "key"]].reset_index(drop=True)


def coverage_changes(previous: pd.DataFrame, current: pd.DataFrame, units: pd.DataFrame,
                     sectors: list[str] | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """District × sector cells that gained their first partner or lost all of them between two rounds."""
    u = units_in_scope(units, filters)
    secs = sector_universe(sectors, filters)
    before = presence_long(scope(previous, units, filters), u, secs)
    after = presence_long(scope(current, units, filters), u, secs)
    m = before.merge(after[["adm2_pcode", "sector", "partners"]], on=["adm2_pcode", "sector"],
                     suffixes=("_before", "_after"))
    m = m[(m["partners_before"] == 0) != (m["partners_after"] == 0)].copy()
    m["change"] = np.where(m["partners_after"] > 0, "gained", "lost")
    m = m.sort_values(["change", "province", "district", "sector"], ascending=[False, True, True, True])
    return m[["change", "adm2_pcode", "district", "adm1_pcode", "province", "sector", "partners_before",
              "partners_after"]].reset_index(drop=True)
