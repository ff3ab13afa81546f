"""One filter object for the map, the matrices, the PDF and the command line.

Every view passes the same `Filters` to the analysis, so a number on the map, in a matrix and in a
PDF cover always describes the same set of activities. It travels in URL query parameters
(`to_params`/`from_params`, exact round trip) and is described in plain words on PDF covers.

The counting engine under it (preparing the frame once, scoping it by a filter, the aggregation that applies the
counting rules) is `mapping.analysis.frame`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from mapping.errors import InvalidRequest

ROLES = ("reporting", "implementing")
NATIONAL = "National"
PROVINCE_WIDE = "Province-wide"
NOT_GIVEN = "(not given)"
PREPARED = "stocktake_prepared"  # attrs flag set by analysis.prepare: text columns already cleaned
# what every page, the PDF and the commands say when activities exist but the filters leave none: what happened
# and what to do about it, in one sentence
NOTHING_IN_VIEW = "No activity matches these filters: widen them, or clear them, to see the picture."

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
            raise InvalidRequest(f"partner_role must be one of {', '.join(ROLES)}, not {self.partner_role!r}")
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise InvalidRequest(f"The period starts ({self.period_start}) after it ends ({self.period_end}).")

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


def clean_text(s: pd.Series) -> pd.Series:
    """A text column as it is compared and shown: a missing value becomes "", spaces around a value go.

    A column of 200,000 activities holds a few hundred distinct names, so each distinct value is stripped once and
    the rows take theirs by position (many times faster than stripping every row). A column whose distinct values
    are not all text (numbers, which `factorize` would merge with equal ones: 1, 1.0 and True) is written out row by
    row as before.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, uniques = s.cat.codes.to_numpy(), s.cat.categories.to_numpy(dtype=object)
    else:
        codes, uniques = pd.factorize(s.to_numpy(dtype=object))
    if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        s = s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s
        return s.where(s.notna(), "").astype(str).str.strip()
    cleaned = np.array([u.strip() for u in uniques] + [""], dtype=object)  # code -1 (missing) takes the last: ""
    return pd.Series(cleaned[codes], index=s.index, name=s.name, dtype=object)


def _text(acts: pd.DataFrame, column: str) -> pd.Series:
    if column not in acts.columns:
        return pd.Series("", index=acts.index, dtype=object)
    s = acts[column]
    if acts.attrs.get(PREPARED):
        return s  # already clean (analysis.prepare); categorical columns stay categorical for speed
    return clean_text(s)


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
