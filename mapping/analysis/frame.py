"""The counting engine every table stands on: the prepared frame, its scope under a filter, and aggregation.

`prepare` cleans the store's frame once per data version (texts stripped, location level, names from the
boundaries, categorical columns); `scope` is the prepared frame under one `Filters`, remembered for a few filters
because one change feeds many tables; `aggregate` applies the counting rules (distinct partners, activities once,
beneficiaries by the highest single partner per district) and `axis_order` lays the rows and columns out.
`matrices`, `profiles`, `changes` and `headlines` build their public tables from these names.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import pandas as pd

from mapping.analysis.filters import (
    NATIONAL,
    NOT_GIVEN,
    PREPARED,
    PROVINCE_WIDE,
    Filters,
    apply_filters,
    clean_text,
    partner_column,
)

_FAR = 10**8  # days: a missing start is "since ever", a missing end "ongoing"
_NUM = ("targeted", "reached", "budget")


# ------------------------------------------------------------------------------------------------ preparation
_TEXT = ("org_name", "org_acronym", "org_impl", "org_funder", "project", "sector", "subsector", "activity",
         "modality", "status", "org_type", "beneficiary_group", "adm1_pcode", "adm1_name", "adm2_pcode",
         "adm2_name", "scope", "round_name", "activity_id", "currency")
_CATS = ("partner_reporting", "partner_implementing", "org_name", "org_acronym", "org_impl", "org_funder", "project",
         "sector", "subsector", "modality", "status", "org_type", "beneficiary_group", "adm1_pcode", "adm2_pcode",
         "round_name", "level", "ounit", "pkey", "prov_name", "dist_name")


def unit_table(units: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]
    if units is None:
        return pd.DataFrame(columns=cols, dtype=object)
    u = units[cols].copy()
    for c in cols:
        u[c] = clean_text(u[c])
    return u.drop_duplicates("adm2_pcode").sort_values(["adm1_name", "adm2_name"], kind="stable").reset_index(drop=True)


def prepare(acts: pd.DataFrame, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Clean the activities once per data version: texts stripped, location level, names from the boundaries.

    Filters and every analysis accept the raw frame too (they call this), but the app and the benchmark
    prepare once and only filter per user change.
    """
    if acts.attrs.get(PREPARED):
        return acts
    a = pd.DataFrame(index=pd.RangeIndex(len(acts)))
    for c in acts.columns:
        a[c] = acts[c].to_numpy()
    for c in _TEXT:
        a[c] = clean_text(a[c]) if c in a.columns else ""
    for c in _NUM:
        # an infinite figure (stored before ingest refused them) would make every total inf or NaN: it counts as unknown
        a[c] = (pd.to_numeric(a[c], errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)
                if c in a.columns else np.nan)
    for c in ("start_date", "end_date"):
        a[c] = pd.to_datetime(a[c], errors="coerce") if c in a.columns else pd.NaT
    # one reporting currency for every budget total (the rate table the deployment keeps)
    from mapping.analysis import currency

    a["budget_as_reported"] = a["budget"]
    a["budget"], conversion = currency.convert(a["budget"], a["currency"], currency.load_rates())
    for c in ("sector", "subsector", "org_type"):
        a[c] = a[c].where(a[c] != "", NOT_GIVEN)
    u = unit_table(units)
    adm1_of = dict(zip(u["adm2_pcode"], u["adm1_pcode"]))
    name2 = dict(zip(u["adm2_pcode"], u["adm2_name"]))
    name1 = dict(zip(u["adm1_pcode"], u["adm1_name"]))
    adm2, scope_text = a["adm2_pcode"], a["scope"].str.lower()
    from_units = adm2.map(adm1_of)
    a["adm1_pcode"] = a["adm1_pcode"].where((a["adm1_pcode"] != "") | from_units.isna(), from_units).fillna("")
    adm1 = a["adm1_pcode"]
    level = np.where(adm2 != "", "district", np.where(adm1 != "", "province", "national"))
    level = np.where(scope_text == "national", "national",
                     np.where((scope_text == "province") & (level == "district"), "province", level))
    a["level"] = level
    a["prov_name"] = np.where(level == "national", NATIONAL,
                              adm1.map(name1).fillna(a["adm1_name"].where(a["adm1_name"] != "", adm1)))
    a["dist_name"] = np.where(level == "district", adm2.map(name2).fillna(a["adm2_name"].where(
        a["adm2_name"] != "", adm2)), "")
    a["ounit"] = np.where(level == "district", adm2, np.where(level == "province", "P:" + adm1, "N"))
    a["pkey"] = np.where(level == "national", "N", adm1)
    a["partner_reporting"] = partner_column(a, "reporting")
    a["partner_implementing"] = partner_column(a, "implementing")
    start = a["start_date"].to_numpy("datetime64[D]").astype("int64")
    end = a["end_date"].to_numpy("datetime64[D]").astype("int64")
    a["start_day"] = np.where(a["start_date"].isna(), -_FAR, start)
    a["end_day"] = np.where(a["end_date"].isna(), _FAR, end)
    a["_rid"] = np.arange(len(a))
    for c in _CATS:
        a[c] = a[c].astype("category")
    a.attrs = {PREPARED: True, "budget_conversion": conversion}
    return a


def as_stored(raw: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of a prepared frame (`rows`, any part of it) as the frame `prepare` was given holds them: a blank
    sector blank, not '(not given)', a budget in its own currency. Lets a page pick rows by the engine's rules on
    the prepared frame and show them as reported, without filtering the stored picture again."""
    return raw.iloc[rows["_rid"].to_numpy()] if len(rows) else raw.iloc[:0]


_SCOPE_CACHE: dict[tuple[int, Filters], tuple[weakref.ref, pd.DataFrame]] = {}
_SCOPE_LOCK = threading.Lock()


def scope(acts: pd.DataFrame, units: pd.DataFrame | None, filters: Filters | None) -> pd.DataFrame:
    """Prepared and filtered activities. One filter change feeds many tables, so the filtered frame of a
    prepared (immutable) frame is remembered for a few filters; the weak reference proves it is the same frame."""
    a = prepare(acts, units)
    f = filters or Filters()
    if a is not acts:
        return apply_filters(a, f)
    key = (id(a), f)
    with _SCOPE_LOCK:  # Streamlit serves sessions from several threads
        hit = _SCOPE_CACHE.get(key)
    if hit is not None and hit[0]() is a:
        return hit[1]
    out = apply_filters(a, f)
    with _SCOPE_LOCK:
        while len(_SCOPE_CACHE) >= 8:
            _SCOPE_CACHE.pop(next(iter(_SCOPE_CACHE)))
        _SCOPE_CACHE[key] = (weakref.ref(a), out)
    return out


def units_in_scope(units: pd.DataFrame | None, filters: Filters | None) -> pd.DataFrame:
    u = unit_table(units)
    f = filters or Filters()
    if f.provinces:
        want = {p.lower() for p in f.provinces}
        u = u[u["adm1_pcode"].str.lower().isin(want) | u["adm1_name"].str.lower().isin(want)]
    if f.districts:
        want = {d.lower() for d in f.districts}
        u = u[u["adm2_pcode"].str.lower().isin(want) | u["adm2_name"].str.lower().isin(want)]
    return u.reset_index(drop=True)


def sector_universe(sectors: list[str] | None, filters: Filters | None) -> list[str]:
    if sectors is None:
        from mapping.returns import schema

        sectors = schema.load_vocabularies().sector_names
    f = filters or Filters()
    if f.sectors:
        want = {s.lower() for s in f.sectors}
        sectors = [s for s in sectors if s.lower() in want]
    return list(dict.fromkeys(sectors))


# ------------------------------------------------------------------------------------------------ aggregation (the counting rules, shared by every table)
def aggregate(long: pd.DataFrame, keys: list[str], measure: str, rule: str, unit: str, dedupe: bool) -> pd.Series:
    """One measure per group of `keys` (no keys: the grand total), with the counting rules."""
    lk = list(keys)
    if not lk:
        long = long.assign(_all=0)
        lk = ["_all"]
    g = dict(observed=True, sort=False)
    if measure == "partners":
        return long.groupby(lk, **g)["partner"].nunique()
    if measure == "activities":
        return long.groupby(lk, **g)["_rid"].nunique() if dedupe else long.groupby(lk, **g).size()
    if dedupe:
        long = long.drop_duplicates([*lk, "_rid"])
    if measure == "budget" or rule == "sum":
        return long.groupby(lk, **g)[measure].sum()
    per = long.groupby([*lk, unit, "partner"], **g)[measure].sum()
    per = per.groupby(level=list(range(len(lk) + 1)), **g).max()
    return per.groupby(level=list(range(len(lk))), **g).sum()


def scalar(s: pd.Series) -> float:
    return float(s.iloc[0]) if len(s) else 0.0


def expand(a: pd.DataFrame, u: pd.DataFrame, district_axis: bool, province_axis: bool) -> pd.DataFrame:
    """Spread province-wide/national activities over the districts (or provinces) they cover."""
    a = a.assign(pkey=a["pkey"].astype(str), ounit=a["ounit"].astype(str))
    base = a[a["level"] == "district"].assign(dkey=lambda d: d["adm2_pcode"].astype(str))
    wide = a[a["level"] != "district"]
    if district_axis:
        prov = wide[wide["level"] == "province"].merge(
            u[["adm2_pcode", "adm1_pcode"]].rename(columns={"adm2_pcode": "dkey", "adm1_pcode": "_p"}),
            left_on=wide.loc[wide["level"] == "province", "adm1_pcode"].astype(str), right_on="_p", how="inner")
        nat = wide[wide["level"] == "national"].merge(u[["adm2_pcode"]].rename(columns={"adm2_pcode": "dkey"}),
                                                      how="cross")
        parts = [base, prov.drop(columns=["_p", "key_0"], errors="ignore"), nat]
        out = pd.concat([p for p in parts if len(p)] or [base], ignore_index=True)
        name1 = dict(zip(u["adm2_pcode"], u["adm1_pcode"]))
        out["pkey"] = out["dkey"].map(name1).fillna(out["pkey"].astype(str))
        return out
    if province_axis:
        provs = u[["adm1_pcode"]].drop_duplicates()
        nat = a[a["level"] == "national"].drop(columns=["pkey"]).merge(provs.rename(columns={"adm1_pcode": "pkey"}),
                                                                       how="cross")
        rest = a[a["level"] != "national"]
        out = pd.concat([p for p in (rest, nat) if len(p)] or [rest], ignore_index=True)
        out["dkey"] = out["ounit"]
        return out
    return a.assign(dkey=a["ounit"])


def axis_column(axis: str) -> str:
    return {"district": "dkey", "province": "pkey"}.get(axis, axis)


def _district_order(u: pd.DataFrame, present: set[str], expanded: bool,
                    a: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    """(key, province label, district label) in display order: districts, then each province's wide row."""
    out: list[tuple[str, str, str]] = []
    for p1, grp in u.groupby("adm1_pcode", sort=False):
        pname = grp["adm1_name"].iloc[0]
        out += [(k, pname, n) for k, n in zip(grp["adm2_pcode"], grp["adm2_name"])]
        if not expanded and f"P:{p1}" in present:
            out.append((f"P:{p1}", pname, PROVINCE_WIDE))
    known = {k for k, _, _ in out}
    stale = sorted(present - known - {"N"})
    if stale and a is not None and "dist_name" in a.columns:
        # A p-code the boundary set does not know (older boundaries): label it as the return named it.
        first = a.drop_duplicates("ounit")
        names = dict(zip(first["ounit"].astype(str), zip(first["prov_name"].astype(str), first["dist_name"].astype(str))))
    else:
        names = {}
    for k in stale:
        pname, dname = names.get(k, (k[2:] if k.startswith("P:") else k, k))
        out.append((k, pname, PROVINCE_WIDE if k.startswith("P:") else (dname or k)))
    if not expanded and "N" in present:
        out.append(("N", NATIONAL, NATIONAL))
    return out


def axis_order(axis: str, long: pd.DataFrame, a: pd.DataFrame, u: pd.DataFrame, expanded: bool,
           sectors: list[str] | None) -> tuple[list[str], list[Any]]:
    col = axis_column(axis)
    present = {str(x) for x in pd.unique(long[col])} if len(long) else set()
    if axis == "district":
        rows = _district_order(u, present, expanded, a)
        return [k for k, _, _ in rows], [(p, d) for _, p, d in rows]
    if axis == "province":
        provs = u.drop_duplicates("adm1_pcode")
        keys = list(provs["adm1_pcode"])
        labels = list(provs["adm1_name"])
        pname = a.drop_duplicates("pkey").set_index(a.drop_duplicates("pkey")["pkey"].astype(str))["prov_name"]
        for k in sorted(present - set(keys) - {"N"}):
            keys.append(k)
            labels.append(str(pname.get(k, k)))
        if "N" in present:
            keys.append("N")
            labels.append(NATIONAL)
        return keys, labels
    if axis == "partner":
        counts = a.groupby("partner", observed=True).size().reset_index(name="n")
        counts["partner"] = counts["partner"].astype(str)
        keys = list(counts.sort_values(["n", "partner"], ascending=[False, True])["partner"])
        return keys, keys
    if axis == "sector" and sectors is not None:
        keys = list(dict.fromkeys([*sectors, *sorted(present - set(sectors) - {NOT_GIVEN})]))
    elif axis == "subsector" and len(a):
        pairs = a.drop_duplicates("subsector")[["sector", "subsector"]].astype(str)
        order = {s: i for i, s in enumerate(sectors or [])}
        pairs["o"] = pairs["sector"].map(order).fillna(len(order))
        keys = list(pairs.sort_values(["o", "sector", "subsector"])["subsector"])
        keys = [k for k in keys if k != NOT_GIVEN]
    else:
        keys = sorted(present - {NOT_GIVEN})
    if NOT_GIVEN in present:
        keys.append(NOT_GIVEN)
    return keys, listed_labels(axis, keys, sectors if axis == "sector" else None)


def listed_labels(axis: str, keys: list[str], also: list[str] | None = None) -> list[str]:
    """A sector, sub-sector or organisation type kept as written (not yet mapped to the lists) is labelled
    '... (not on the list)', so a reader never takes it for one of the deployment's values. `also`: values the
    caller gave as this table's list (its `sectors`)."""
    from mapping.returns import schema

    if axis not in schema.LISTED_FIELDS:
        return keys
    listed = schema.load_vocabularies().listed(axis) | {NOT_GIVEN.lower()} | {str(s).lower() for s in also or ()}
    return [k if str(k).lower() in listed else schema.not_on_list_label(k) for k in keys]


def flat_district_labels(labels: list[tuple[str, str]]) -> list[str]:
    names = [d for _, d in labels]
    dup = {n for n in names if names.count(n) > 1}
    out = []
    for p, d in labels:
        if d == PROVINCE_WIDE:
            out.append(f"{PROVINCE_WIDE}: {p}")
        elif d in dup:
            out.append(f"{d} ({p})")
        else:
            out.append(d)
    return out


def joined(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    """Sorted distinct values of `col` per `key`, "; "-joined (string concatenation in numpy, not per group)."""
    d = pd.DataFrame({"k": df[key].to_numpy(), "v": df[col].astype(str).to_numpy()
                      if not isinstance(df[col].dtype, pd.CategoricalDtype) else df[col].to_numpy()})
    d = d.drop_duplicates()
    if not len(d):
        return pd.Series(dtype=object)
    d["v"] = d["v"].astype(str)
    d = d.sort_values(["k", "v"], kind="stable")
    k = d["k"].to_numpy()
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    joined = np.add.reduceat((d["v"] + "; ").to_numpy(dtype=object), starts)
    return pd.Series([j[:-2] for j in joined], index=k[starts])


def presence_long(a: pd.DataFrame, u: pd.DataFrame, sectors: list[str]) -> pd.DataFrame:
    d = a.loc[(a["level"] == "district").to_numpy(), ["adm2_pcode", "sector", "partner"]]
    cnt = d.groupby(["adm2_pcode", "sector"], observed=True)["partner"].nunique()
    cnt.index = cnt.index.set_levels([lv.astype(str) for lv in cnt.index.levels])
    full = pd.MultiIndex.from_product([list(u["adm2_pcode"]), sectors], names=["adm2_pcode", "sector"])
    out = cnt.reindex(full, fill_value=0).rename("partners").reset_index()
    out = out.merge(u.rename(columns={"adm2_name": "district", "adm1_name": "province"}), on="adm2_pcode")
    return out
