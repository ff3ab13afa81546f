"""One filter object for the map, the matrices, the PDF and the command line — and the counting engine under it.

Every view passes the same `Filters` to the analysis, so a number on the map, in a matrix and in a
PDF cover always describes the same set of activities. It travels in URL query parameters
(`to_params`/`from_params`, exact round trip) and is described in plain words on PDF covers.

Below the filter: `prepare` (clean the store's frame once per data version) and the aggregation helpers that
apply the counting rules (distinct partners, activities once, beneficiaries by the highest single partner per
district) for `mapping.analysis`, which holds the public tables.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

ROLES = ("reporting", "implementing")
NATIONAL = "National"
PROVINCE_WIDE = "Province-wide"
NOT_GIVEN = "(not given)"
_FAR = 10**8  # days: a missing start is "since ever", a missing end "ongoing"
_NUM = ("targeted", "reached", "budget")
PREPARED = "stocktake_prepared"  # attrs flag set by analysis.prepare: text columns already cleaned

# field name -> (URL key, plain-words label singular, plural)
_LISTS: dict[str, tuple[str, str, str]] = {
    "sectors": ("sec", "Sector", "Sectors"),
    "subsectors": ("sub", "Sub-sector", "Sub-sectors"),
    "provinces": ("prov", "Province", "Provinces"),
    "districts": ("dist", "District", "Districts"),
    "orgs": ("org", "Organisation", "Organisations"),
    "org_types": ("otype", "Organisation type", "Organisation types"),
    "donors": ("donor", "Donor", "Donors"),
    "statuses": ("status", "Status", "Statuses"),
    "modalities": ("mod", "Modality", "Modalities"),
}


def _enc(item: str) -> str:
    # Names may hold commas ("Save the Children, Pakistan"); escape them so the comma-joined list round-trips.
    return item.replace("%", "%25").replace(",", "%2C")


def _dec(item: str) -> str:
    return item.replace("%2C", ",").replace("%2c", ",").replace("%25", "%")


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


@dataclass(frozen=True)
class Filters:
    """What the user chose to look at. Empty tuples mean "all"."""

    period_start: date | None = None
    period_end: date | None = None
    round_name: str | None = None
    provinces: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    subsectors: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    org_types: tuple[str, ...] = ()
    donors: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    partner_role: str = "reporting"

    def __post_init__(self) -> None:
        for name in _LISTS:
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(str(v) for v in (value or ()) if str(v).strip() != ""))
        object.__setattr__(self, "period_start", _as_date(self.period_start))
        object.__setattr__(self, "period_end", _as_date(self.period_end))
        if self.partner_role not in ROLES:
            raise ValueError(f"partner_role must be one of {', '.join(ROLES)}, not {self.partner_role!r}")
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError(f"The period starts ({self.period_start}) after it ends ({self.period_end}).")

    def replace(self, **changes: Any) -> Filters:
        return replace(self, **changes)

    @property
    def is_empty(self) -> bool:
        return self == Filters()

    def to_params(self) -> dict[str, str]:
        """Short URL query parameters; only what is set, so a shared link stays readable."""
        out: dict[str, str] = {}
        if self.period_start:
            out["from"] = self.period_start.isoformat()
        if self.period_end:
            out["to"] = self.period_end.isoformat()
        if self.round_name:
            out["round"] = self.round_name
        for name, (key, _, _) in _LISTS.items():
            values = getattr(self, name)
            if values:
                out[key] = ",".join(_enc(v) for v in values)
        if self.partner_role != "reporting":
            out["role"] = self.partner_role
        return out

    @classmethod
    def from_params(cls, params: Any) -> Filters:
        """Read `to_params` output back (also a Streamlit query-params mapping; unknown keys ignored)."""

        def get(key: str) -> str | None:
            value = params.get(key) if hasattr(params, "get") else None
            if isinstance(value, (list, tuple)):
                value = value[-1] if value else None
            return None if value in (None, "") else str(value)

        kw: dict[str, Any] = {}
        for name, (key, _, _) in _LISTS.items():
            raw = get(key)
            if raw:
                kw[name] = tuple(_dec(v) for v in raw.split(","))
        for name, key in (("period_start", "from"), ("period_end", "to")):
            raw = get(key)
            if raw:
                kw[name] = _as_date(raw)
        if get("round"):
            kw["round_name"] = get("round")
        if get("role"):
            kw["partner_role"] = get("role")
        return cls(**kw)

    def describe(self) -> str:
        """The filter in plain words, for PDF covers and export notes."""
        parts: list[str] = []
        if self.round_name:
            parts.append(f"Round: {self.round_name}")
        for name, (_, one, many) in _LISTS.items():
            values = getattr(self, name)
            if values:
                parts.append(f"{one if len(values) == 1 else many}: {', '.join(values)}")
        if self.period_start and self.period_end:
            parts.append(f"period {self.period_start.isoformat()} to {self.period_end.isoformat()}")
        elif self.period_start:
            parts.append(f"period from {self.period_start.isoformat()}")
        elif self.period_end:
            parts.append(f"period up to {self.period_end.isoformat()}")
        if self.partner_role == "implementing":
            parts.append("partners counted as implementing organisations")
        return "; ".join(parts) if parts else "All activities"


FILTER_FIELDS = tuple(f.name for f in fields(Filters))


def _text(acts: pd.DataFrame, column: str) -> pd.Series:
    if column not in acts.columns:
        return pd.Series("", index=acts.index, dtype=object)
    s = acts[column]
    if acts.attrs.get(PREPARED):
        return s  # already clean (analysis.prepare); categorical columns stay categorical for speed
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    return s.where(s.notna(), "").astype(str).str.strip()


def partner_column(acts: pd.DataFrame, role: str = "reporting") -> pd.Series:
    """Who counts as the partner: the reporting organisation, or the implementer when one is named."""
    if acts.attrs.get(PREPARED) and f"partner_{role}" in acts.columns:
        return acts[f"partner_{role}"]
    org = _text(acts, "org_name")
    if role == "implementing":
        impl = _text(acts, "org_impl")
        return impl.where(impl != "", org)
    return org


def _on_values(series: pd.Series, test) -> np.ndarray:
    """Apply a vectorised test to the distinct values only when the column is categorical (fast path)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = pd.Series(series.cat.categories.astype(str))
        ok = np.append(np.asarray(test(cats), dtype=bool), False)  # code -1 (missing) -> False
        return ok[series.cat.codes.to_numpy()]
    return np.asarray(test(series.astype(str)), dtype=bool)


def _isin(series: pd.Series, values: tuple[str, ...]) -> np.ndarray:
    wanted = {v.strip().lower() for v in values}
    return _on_values(series, lambda s: s.str.lower().isin(wanted).to_numpy())


def apply_filters(acts: pd.DataFrame, f: Filters | None = None) -> pd.DataFrame:
    """The activities the filter keeps, with a `partner` column for the chosen partner role.

    Period rule: an activity counts when [start, end] overlaps the period; a missing start date means
    "since ever" and a missing end date means "ongoing". Province and district filters accept p-codes or
    names (case-insensitive). A province filter keeps national activities out; a national activity is not
    "in" Sindh.
    """
    f = f or Filters()
    out = acts.copy(deep=False)
    out["partner"] = partner_column(acts, f.partner_role)
    if f.is_empty or (f == Filters(partner_role=f.partner_role)) or not len(out):
        return out
    mask = np.ones(len(out), dtype=bool)
    if f.round_name and "round_name" in out.columns:
        # The round picks the picture (store.current_activities(round_name=…)); returns carried forward from an
        # earlier round belong to it, so they stay even though their own round name differs.
        in_round = _on_values(_text(out, "round_name"), lambda s: (s == f.round_name).to_numpy())
        if "carried_forward" in out.columns:
            in_round |= out["carried_forward"].fillna(False).astype(bool).to_numpy()
        mask &= in_round
    if f.period_end is not None and "start_date" in out.columns:
        start = pd.to_datetime(out["start_date"], errors="coerce")
        mask &= (start.isna() | (start <= pd.Timestamp(f.period_end))).to_numpy()
    if f.period_start is not None and "end_date" in out.columns:
        end = pd.to_datetime(out["end_date"], errors="coerce")
        mask &= (end.isna() | (end >= pd.Timestamp(f.period_start))).to_numpy()
    if f.provinces:
        mask &= _isin(_text(out, "adm1_pcode"), f.provinces) | _isin(_text(out, "adm1_name"), f.provinces)
    if f.districts:
        mask &= _isin(_text(out, "adm2_pcode"), f.districts) | _isin(_text(out, "adm2_name"), f.districts)
    for name, column in (("sectors", "sector"), ("subsectors", "subsector"), ("org_types", "org_type"),
                         ("statuses", "status"), ("modalities", "modality")):
        values = getattr(f, name)
        if values:
            mask &= _isin(_text(out, column), values)
    if f.orgs:
        mask &= (_isin(_text(out, "partner"), f.orgs) | _isin(_text(out, "org_name"), f.orgs)
                 | _isin(_text(out, "org_acronym"), f.orgs))
    if f.donors:
        funder = _text(out, "org_funder")
        # A row may name several donors ("ECHO; FCDO"); match any of them as a whole name.
        pattern = r"(?:^|[;,/|]\s*)(?:" + "|".join(re.escape(d.strip()) for d in f.donors) + r")\s*(?:$|[;,/|])"
        mask &= _on_values(funder, lambda s: s.str.contains(pattern, case=False, regex=True).to_numpy())
    return out[mask]


# ------------------------------------------------------------------------------------------------ preparation
_TEXT = ("org_name", "org_acronym", "org_impl", "org_funder", "project", "sector", "subsector", "activity",
         "modality", "status", "org_type", "beneficiary_group", "adm1_pcode", "adm1_name", "adm2_pcode",
         "adm2_name", "scope", "round_name", "activity_id", "currency")
_CATS = ("partner_reporting", "partner_implementing", "org_name", "org_acronym", "org_impl", "org_funder", "project",
         "sector", "subsector", "modality", "status", "org_type", "beneficiary_group", "adm1_pcode", "adm2_pcode",
         "round_name", "level", "ounit", "pkey", "prov_name", "dist_name")

def _clean(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    return s.where(s.notna(), "").astype(str).str.strip()


def _units(units: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]
    if units is None:
        return pd.DataFrame(columns=cols, dtype=object)
    u = units[cols].copy()
    for c in cols:
        u[c] = _clean(u[c])
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
        a[c] = _clean(a[c]) if c in a.columns else ""
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
    u = _units(units)
    adm1_of = dict(zip(u["adm2_pcode"], u["adm1_pcode"]))
    name2 = dict(zip(u["adm2_pcode"], u["adm2_name"]))
    name1 = dict(zip(u["adm1_pcode"], u["adm1_name"]))
    adm2, scope = a["adm2_pcode"], a["scope"].str.lower()
    from_units = adm2.map(adm1_of)
    a["adm1_pcode"] = a["adm1_pcode"].where((a["adm1_pcode"] != "") | from_units.isna(), from_units).fillna("")
    adm1 = a["adm1_pcode"]
    level = np.where(adm2 != "", "district", np.where(adm1 != "", "province", "national"))
    level = np.where(scope == "national", "national",
                     np.where((scope == "province") & (level == "district"), "province", level))
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


_SCOPE_CACHE: dict[tuple[int, Filters], tuple[weakref.ref, pd.DataFrame]] = {}
_SCOPE_LOCK = threading.Lock()


def _scope(acts: pd.DataFrame, units: pd.DataFrame | None, filters: Filters | None) -> pd.DataFrame:
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


def _units_in_scope(units: pd.DataFrame | None, filters: Filters | None) -> pd.DataFrame:
    u = _units(units)
    f = filters or Filters()
    if f.provinces:
        want = {p.lower() for p in f.provinces}
        u = u[u["adm1_pcode"].str.lower().isin(want) | u["adm1_name"].str.lower().isin(want)]
    if f.districts:
        want = {d.lower() for d in f.districts}
        u = u[u["adm2_pcode"].str.lower().isin(want) | u["adm2_name"].str.lower().isin(want)]
    return u.reset_index(drop=True)


def _sector_universe(sectors: list[str] | None, filters: Filters | None) -> list[str]:
    if sectors is None:
        from mapping.returns import schema

        sectors = schema.load_vocabularies().sector_names
    f = filters or Filters()
    if f.sectors:
        want = {s.lower() for s in f.sectors}
        sectors = [s for s in sectors if s.lower() in want]
    return list(dict.fromkeys(sectors))


# ------------------------------------------------------------------------------------------------ aggregation (the counting rules, shared by every table)
def _agg(long: pd.DataFrame, keys: list[str], measure: str, rule: str, unit: str, dedupe: bool) -> pd.Series:
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


def _scalar(s: pd.Series) -> float:
    return float(s.iloc[0]) if len(s) else 0.0


def _expand(a: pd.DataFrame, u: pd.DataFrame, district_axis: bool, province_axis: bool) -> pd.DataFrame:
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


def _axis_col(axis: str) -> str:
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


def _order(axis: str, long: pd.DataFrame, a: pd.DataFrame, u: pd.DataFrame, expanded: bool,
           sectors: list[str] | None) -> tuple[list[str], list[Any]]:
    col = _axis_col(axis)
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
    return keys, keys


def _flat_district_labels(labels: list[tuple[str, str]]) -> list[str]:
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
