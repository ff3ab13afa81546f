"""Who does what where: matrices, presence, gaps, overlaps.

Pure pandas, independent of any view, so the map, the matrices, the PDF and the command line show the
same numbers. Input is `store.current_activities` output (or `prepare(...)` of it, which the app caches per
data version so a filter change only re-runs the cheap part) and `boundaries.units`.
Overlap detection and all counts are vectorised; there is no Python loop over activities.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mapping.analysis.filters import NATIONAL, NOT_GIVEN, PROVINCE_WIDE, Filters, apply_filters
from mapping.analysis.frame import (
    aggregate,
    axis_column,
    axis_order,
    expand,
    flat_district_labels,
    joined,
    prepare,
    presence_long,
    scalar,
    scope,
    sector_universe,
    unit_table,
    units_in_scope,
)
from mapping.errors import InvalidRequest, StocktakeError

__all__ = [
    "AXES", "COUNTING_RULES", "RULES", "rule", "Filters", "MEASURES", "NATIONAL", "PROVINCE_WIDE", "TOTAL", "apply_filters",
    "district_summary", "gaps", "matrix", "overlaps",
    "overlap_activities", "prepare", "presence", "programme_overlaps", "province_comparison",
    "partner_acronyms", "read_need", "thin_coverage",
]

TOTAL = "Total"
NEED_HINT = "Give a CSV with a district p-code column and one number per district (e.g. people in need)."
AXES = ("partner", "sector", "subsector", "district", "province", "org_type")
MEASURES = ("partners", "activities", "targeted", "reached", "budget")
BENEFICIARY_RULES = {
    "max": ("Beneficiaries (targeted, reached) per district are the highest single partner's figure there "
            "(a partner's own activities in the district are added up); districts are then added together. "
            "This cannot count the same people twice when several partners work in one district."),
    "sum": ("Beneficiaries (targeted, reached) are every activity's figure added up; people served by two "
            "partners are counted twice."),
}
# The counting rules, by name; a rule with a placeholder is said with the value actually used (`rule`).
RULES: dict[str, str] = {
    "partners": "Partners: distinct organisations. A Total of partners is the number of distinct partners in that row "
                "or column, not the sum of the cells, because one partner works in many places.",
    "partner_role": "Partner role: by default the reporting organisation counts; with the implementing role, the "
                    "implementing partner counts when one is named, otherwise the reporting organisation.",
    "activities": "Activities: rows of the returns after filtering; each activity counts once in every Total.",
    "beneficiaries_max": BENEFICIARY_RULES["max"] + " (Default.)",
    "beneficiaries_sum": BENEFICIARY_RULES["sum"] + " (Only on request.)",
    "budget": "Budget: added up across activities, in the currency each partner reported.",
    "period": "Period: an activity counts when its start and end dates overlap the chosen period; no start date "
              "means 'since ever', no end date means 'ongoing'.",
    "wide": "Province-wide and national activities are shown in their own 'Province-wide' and 'National' rows, not "
            "spread over districts, unless asked; then they count in every district of their province (or country). "
            "They never fill a district gap.",
    "gap": "Gap: a district and sector where no partner reports a district-level activity. Thin coverage: exactly "
           "one partner.",
    "overlap": "Overlap: a district and sub-sector where at least {min_partners} different partners{default_note} have "
               "activities "
               "running on at least one same day (for intervals this is the same as every pair of them "
               "overlapping). The activities listed are those running while {min_partners} or more partners are "
               "present; start and end dates are inclusive.",
    "programme_overlap": "Programme overlap: two different programmes (the 'Programme / project' field) of different "
                         "organisations that serve the same beneficiary group, or work in the same sub-sector, in at "
                         "least one common district (two programmes of one organisation only when asked).",
    "coverage": "Coverage share: districts of the province with at least one district-level activity, divided by all "
                "districts of the province.",
}
RULE_DEFAULTS = {"min_partners": "N", "default_note": " (default 2)"}


def rule(name: str, **values: object) -> str:
    """A counting rule in words, with the values this table used (the general wording when none is given)."""
    given = {k: str(v) for k, v in values.items()}
    return RULES[name].format(**(RULE_DEFAULTS | ({"default_note": ""} if given else {}) | given))


# Every rule as the PDF and the pages list them, in this order.
COUNTING_RULES: list[str] = [rule(name) for name in RULES]


def matrix(acts: pd.DataFrame, units: pd.DataFrame, *, rows: str, cols: str, measure: str,
           filters: Filters | None = None, include_wide: bool = False, beneficiaries: str = "max",
           sectors: list[str] | None = None) -> pd.DataFrame:
    """A rows × cols table of one measure, with a Total row and column computed by the same counting rule.

    Districts are rows grouped by province (MultiIndex province, district) and every district in the filtered
    provinces is listed, so zeros show the gaps. `df.attrs` says which rule produced the numbers.
    """
    if rows not in AXES or cols not in AXES or rows == cols:
        raise InvalidRequest(f"rows and cols must be two different axes among {', '.join(AXES)}")
    if measure not in MEASURES:
        raise InvalidRequest(f"measure must be one of {', '.join(MEASURES)}")
    if beneficiaries not in BENEFICIARY_RULES:
        raise InvalidRequest("beneficiaries must be 'max' or 'sum'")
    full = scope(acts, units, filters)
    u = units_in_scope(units, filters)
    if sectors is not None:
        sectors = sector_universe(sectors, filters)  # a sector filter narrows the listed sectors too
    district_axis = "district" in (rows, cols)
    province_axis = "province" in (rows, cols)
    rc, cc = axis_column(rows), axis_column(cols)
    keep = {"partner", "_rid", "ounit", "level", "pkey", "adm1_pcode", "adm2_pcode", "sector", "prov_name", "dist_name"}
    keep |= {rows, cols, measure} & set(full.columns)
    a = full[[c for c in full.columns if c in keep]]
    expanded = include_wide and (district_axis or province_axis) and bool((a["level"] != "district").any())
    long = expand(a, u, district_axis, province_axis) if expanded else a.assign(dkey=a["ounit"])
    unit = "dkey" if district_axis else "ounit"
    rkeys, rlabels = axis_order(rows, long, a, u, expanded, sectors)
    ckeys, clabels = axis_order(cols, long, a, u, expanded, sectors)
    body = aggregate(long, [rc, cc], measure, beneficiaries, unit, False)
    table = body.unstack(cc) if len(body) else pd.DataFrame()
    table = table.reindex(index=rkeys, columns=ckeys).fillna(0)
    # A total along the district axis stays inside one district, so the district is its unit there.
    rtot = aggregate(long, [rc], measure, beneficiaries, "dkey" if rows == "district" else "ounit",
                expanded).reindex(rkeys).fillna(0)
    ctot = aggregate(long, [cc], measure, beneficiaries, "dkey" if cols == "district" else "ounit",
                expanded).reindex(ckeys).fillna(0)
    grand = scalar(aggregate(long, [], measure, beneficiaries, "ounit", expanded))
    out = pd.DataFrame(table.to_numpy(dtype=float), columns=ckeys)
    out[TOTAL] = rtot.to_numpy(dtype=float)
    out.loc[len(out)] = [*ctot.to_numpy(dtype=float), grand]
    if measure in ("partners", "activities"):
        out = out.astype("int64")
    out.columns = pd.Index([*(flat_district_labels(clabels) if cols == "district" else clabels), TOTAL], name=cols)
    if rows == "district":
        out.index = pd.MultiIndex.from_tuples([*rlabels, (TOTAL, TOTAL)], names=["province", "district"])
    else:
        out.index = pd.Index([*rlabels, TOTAL], name=rows)
    out.attrs = {
        "rows": rows, "cols": cols, "measure": measure, "include_wide": include_wide,
        "filters": (filters or Filters()).describe(),
        "rule": (BENEFICIARY_RULES[beneficiaries] if measure in ("targeted", "reached")
                 else rule("partners") if measure == "partners" else rule("activities") if measure == "activities"
                 else rule("budget")),
        "beneficiaries": beneficiaries,
        "wide": ("Province-wide and national activities are counted in every district of their province or country."
                 if include_wide else "Province-wide and national activities are in their own rows."),
    }
    return out


# ------------------------------------------------------------------------------------------------ presence & gaps
def _need(need: Any) -> tuple[pd.Series | None, str | None]:
    """A need indicator as a Series indexed by district p-code, and its label."""
    if need is None:
        return None, None
    if isinstance(need, tuple):
        need, label = need
    else:
        label = None
    if isinstance(need, pd.DataFrame):
        key = "adm2_pcode" if "adm2_pcode" in need.columns else need.columns[0]
        num = [c for c in need.columns if c != key and pd.api.types.is_numeric_dtype(need[c])]
        col = num[0] if num else [c for c in need.columns if c != key][0]
        s = pd.Series(pd.to_numeric(need[col], errors="coerce").to_numpy(), index=need[key].astype(str).str.strip())
        label = label or need.attrs.get("label") or str(col)
    else:
        s = pd.to_numeric(need, errors="coerce")
        s.index = s.index.astype(str).str.strip()
        label = label or need.attrs.get("label") or (str(need.name) if need.name is not None else "need")
    return s[~s.index.duplicated()], label


def partner_acronyms(orgs: list[dict]) -> dict[str, str]:
    """Organisation name -> the acronym to show for it in a matrix, for those whose acronym is unambiguous.

    An acronym shared by two organisations (or equal to another's name) would merge two rows into one, so those
    organisations keep their full names.
    """
    taken = [o["acronym"] for o in orgs if o.get("acronym")] + [o["name"] for o in orgs]
    return {o["name"]: o["acronym"] for o in orgs if o.get("acronym") and taken.count(o["acronym"]) == 1}


def read_need(path_or_bytes: Any) -> pd.DataFrame:
    """A need CSV (district p-code + one number: population, poverty rate …) as adm2_pcode + value columns."""
    import io

    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    try:
        df = pd.read_csv(src, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise StocktakeError(f"The need file is not a readable CSV ({exc}).", hint=NEED_HINT) from exc
    lower = {c.lower().strip(): c for c in df.columns}
    key = next((lower[k] for k in ("adm2_pcode", "pcode", "p-code", "district_pcode", "district pcode") if k in lower),
               df.columns[0])
    values = [c for c in df.columns if c != key and pd.to_numeric(df[c], errors="coerce").notna().any()]
    if not values:
        raise StocktakeError("The need file has no numeric column next to the district p-code.", hint=NEED_HINT)
    out = pd.DataFrame({"adm2_pcode": df[key].str.strip(), values[0]: pd.to_numeric(df[values[0]], errors="coerce")})
    out.attrs["label"] = values[0]
    return out


def _need_columns(frame: pd.DataFrame, u: pd.DataFrame, need: Any) -> pd.DataFrame:
    s, label = _need(need)
    if s is None:
        return frame
    vals = u["adm2_pcode"].map(s)
    rank = vals.rank(ascending=False, method="min")
    quint = np.ceil(5 * rank / max(int(vals.notna().sum()), 1))
    lookup = pd.DataFrame({"adm2_pcode": u["adm2_pcode"], "need": vals, "need_rank": rank.astype("Int64"),
                           "need_quintile": pd.Series(quint).astype("Int64")})
    out = frame.merge(lookup, on="adm2_pcode", how="left")
    out.attrs["need_label"] = label
    return out


def presence(acts: pd.DataFrame, units: pd.DataFrame, filters: Filters | None = None,
             sectors: list[str] | None = None, include_wide: bool = False) -> pd.DataFrame:
    """District × sector: distinct partners (province-wide/national rows in their own rows unless asked)."""
    return matrix(acts, units, rows="district", cols="sector", measure="partners", filters=filters,
                  include_wide=include_wide, sectors=sector_universe(sectors, filters))


def _cells(acts, units, sectors, filters, need, wanted: int | None) -> pd.DataFrame:
    a = scope(acts, units, filters)
    u = units_in_scope(units, filters)
    secs = sector_universe(sectors, filters)
    p = presence_long(a, u, secs)
    p = p[p["partners"] == 0] if wanted == 0 else p[p["partners"] == 1]
    if wanted == 1:
        d = a.loc[(a["level"] == "district").to_numpy(), ["adm2_pcode", "sector", "partner"]].drop_duplicates()
        d = d.astype(str)
        p = p.merge(d, on=["adm2_pcode", "sector"], how="left")
    # Province-wide or national partners in the sector that touch the district: context, never a fill.
    w = a.loc[(a["level"] != "district").to_numpy(), ["pkey", "sector", "partner"]].drop_duplicates().astype(str)
    pw = w[w["pkey"] != "N"].groupby(["pkey", "sector"])["partner"].nunique().rename("pw").reset_index()
    nat = w[w["pkey"] == "N"].groupby("sector")["partner"].nunique().rename("nat").reset_index()
    p = p.merge(pw.rename(columns={"pkey": "adm1_pcode"}), on=["adm1_pcode", "sector"], how="left")
    p = p.merge(nat, on="sector", how="left")
    p["wide_partners"] = p["pw"].fillna(0).astype(int) + p["nat"].fillna(0).astype(int)
    p = _need_columns(p.drop(columns=["pw", "nat"]), u, need)
    order = {s: i for i, s in enumerate(secs)}
    p["_s"] = p["sector"].map(order)
    by = (["need"] if "need" in p.columns else []) + ["province", "district", "_s"]
    p = p.sort_values(by, ascending=[False] * ("need" in p.columns) + [True, True, True],
                      na_position="last", kind="stable").drop(columns="_s").reset_index(drop=True)
    first = ["adm2_pcode", "district", "adm1_pcode", "province", "sector", "partners"]
    return p[first + [c for c in p.columns if c not in first]]


def gaps(acts: pd.DataFrame, units: pd.DataFrame, sectors: list[str] | None = None, filters: Filters | None = None,
         need: Any = None) -> pd.DataFrame:
    """District × sector cells where no partner works, highest need first when a need figure is given.

    Columns: adm2_pcode, district, adm1_pcode, province, sector, partners (0), wide_partners (province-wide or
    national partners in that sector: context only) and, with `need`, need, need_rank (1 = highest) and
    need_quintile (1 = top fifth by need).
    """
    out = _cells(acts, units, sectors, filters, need, 0)
    out.attrs["rule"] = rule("gap")
    return out


def thin_coverage(acts: pd.DataFrame, units: pd.DataFrame, sectors: list[str] | None = None,
                  filters: Filters | None = None, need: Any = None) -> pd.DataFrame:
    """District × sector cells with exactly one partner (named), where one exit would leave a gap."""
    out = _cells(acts, units, sectors, filters, need, 1)
    out.attrs["rule"] = rule("gap")
    return out


def gap_districts(summary: pd.DataFrame, filters: Filters | None = None) -> pd.DataFrame:
    """The districts of `district_summary` that miss at least one sector, in the order the Gaps page lists them.

    Only the districts `filters` cover: the summary has every district of the boundary set (the map draws them
    all), and with a province chosen every other province's district would read as having no partner at all.
    With a need figure: neediest first (the Need column says why). Without: by province, and within a province
    the districts nobody works in first, then those missing most sectors. attrs["order"] says which, in words.
    """
    has_need = "need" in summary.columns and summary["need"].notna().any()
    out = summary[summary["gap_sectors"] > 0]
    if filters is not None and (filters.provinces or filters.districts):
        out = out[out["adm2_pcode"].isin(set(units_in_scope(summary, filters)["adm2_pcode"]))]
    if has_need:
        label = summary.attrs.get("need_label") or "need"
        out = out.sort_values(["need", "partners", "gap_sectors", "adm2_name"],
                              ascending=[False, True, False, True], na_position="last")
        order = (f"Ranked by need (“{label}”), highest first; districts without a need figure come last, "
                 "then fewer partners first.")
    else:
        out = out.sort_values(["adm1_name", "partners", "gap_sectors", "adm2_name"],
                              ascending=[True, True, False, True])
        order = ("Listed by province; within a province, districts with no partner at all first, then those "
                 "missing most sectors. Load a need figure to rank them by need.")
    out = out.assign(gap_sector_names=out["gap_sector_names"].where(out["partners"] > 0,
                                                                    "every sector (no partner at all)"))
    out = out.reset_index(drop=True)
    out.attrs = dict(summary.attrs) | {"order": order}
    return out


def district_summary(acts: pd.DataFrame, units: pd.DataFrame, filters: Filters | None = None,
                     sectors: list[str] | None = None, *, need: Any = None, include_wide: bool = False,
                     beneficiaries: str = "max") -> pd.DataFrame:
    """One row per district of the boundary set (all of them): what the map colours and its tooltip shows."""
    a = scope(acts, units, filters)
    u = unit_table(units)
    slim = a[["partner", "_rid", "ounit", "level", "pkey", "adm1_pcode", "adm2_pcode", "sector", *MEASURES[2:]]]
    if include_wide:
        long = expand(slim, u, True, False)
    else:
        long = slim[(slim["level"] == "district").to_numpy()]
        long = long.assign(dkey=long["ounit"])
    long = long[long["dkey"].isin(list(u["adm2_pcode"])).to_numpy()]
    out = u.copy()
    key = out["adm2_pcode"]
    for m in MEASURES:
        s = aggregate(long, ["dkey"], m, beneficiaries, "dkey", False)
        out[m] = key.map(s).fillna(0).to_numpy()
    out["partners"] = out["partners"].astype(int)
    out["activities"] = out["activities"].astype(int)
    out["sectors"] = key.map(joined(long, "dkey", "sector")).fillna("")
    out["partner_names"] = key.map(joined(long, "dkey", "partner")).fillna("")
    secs = sector_universe(sectors, filters)
    d = long[long["level"] == "district"] if include_wide else long
    present = d[["dkey", "sector"]].astype(str).drop_duplicates()
    present = present[present["sector"].isin(secs)]
    full = pd.MultiIndex.from_product([list(key), secs], names=["dkey", "sector"]).to_frame(index=False)
    missing = full.merge(present, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    order = {s: i for i, s in enumerate(secs)}
    missing = missing.assign(o=missing["sector"].map(order)).sort_values(["dkey", "o"])
    out["gap_sectors"] = key.map(missing.groupby("dkey").size()).fillna(0).astype(int)
    out["gap_sector_names"] = key.map(missing.groupby("dkey")["sector"].agg("; ".join)).fillna("")
    s, label = _need(need)
    if s is not None:
        out["need"] = key.map(s)
        out.attrs["need_label"] = label
    out.attrs["rule"] = BENEFICIARY_RULES[beneficiaries]
    return out


# ------------------------------------------------------------------------------------------------ overlaps
def _overlap_core(acts: pd.DataFrame, filters: Filters | None, min_partners: int, by: str,
                  units: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sweep each district × `by` cell: the windows where ≥ N distinct partners run activities at once.

    Per (cell, partner) the intervals are merged first, so a partner never counts twice; then +1/-1 events are
    sorted by (cell, day) and a running sum gives the number of partners present. Each cell's events sum to
    zero, so one global cumulative sum serves every cell. No Python loop over rows or cells.
    """
    if min_partners < 2:
        raise InvalidRequest("An overlap needs at least 2 partners.")
    a = scope(acts, units, filters)
    slim = ["adm2_pcode", "dist_name", "adm1_pcode", "prov_name", "sector", by, "partner", "start_day", "end_day",
            "_rid", "targeted", "reached"]
    d = a.loc[((a["level"] == "district") & (a[by] != NOT_GIVEN) & (a[by] != "") & a[by].notna()).to_numpy(),
              list(dict.fromkeys(slim))]
    empty = (pd.DataFrame(columns=["cell", "from_day", "to_day"]), d.iloc[0:0].assign(cell=0))
    if not len(d):
        return empty
    cell = d.groupby(["adm2_pcode", by], observed=True, sort=False).ngroup().to_numpy()
    pcode = d["partner"].cat.codes.to_numpy().astype(np.int64)
    s, e = d["start_day"].to_numpy(), d["end_day"].to_numpy()
    e = np.maximum(e, s)  # an end before the start is a typo; treat it as a one-day activity
    order = np.lexsort((s, pcode, cell))
    c, pc, ss, ee = cell[order], pcode[order], s[order], e[order]
    grp = c.astype(np.int64) * (int(pc.max()) + 1) + pc
    cm = pd.Series(ee).groupby(grp).cummax().to_numpy()
    first = np.r_[True, grp[1:] != grp[:-1]]
    new_block = first | (ss > np.r_[0, cm[:-1]])
    block = np.cumsum(new_block) - 1
    b_start = ss[new_block]
    b_end = np.maximum.reduceat(cm, np.flatnonzero(new_block))
    b_cell = c[new_block]
    times = np.r_[b_start, b_end + 1]
    delta = np.r_[np.ones(len(b_start), np.int64), -np.ones(len(b_start), np.int64)]
    cells = np.r_[b_cell, b_cell]
    ev = np.lexsort((delta, times, cells))
    times, delta, cells = times[ev], delta[ev], cells[ev]
    conc = np.cumsum(delta)
    nxt_same = np.r_[cells[1:] == cells[:-1], False]
    nxt_time = np.r_[times[1:], 0]
    active = (conc >= min_partners) & nxt_same & (nxt_time > times)
    if not active.any():
        return empty
    # Merge touching active segments of a cell into windows.
    prev_active = np.r_[False, active[:-1]] & np.r_[False, cells[1:] == cells[:-1]]
    seg_start = active & ~prev_active
    win_id = np.cumsum(seg_start) - 1
    win = pd.DataFrame({"cell": cells[active], "w": win_id[active], "from_day": times[active],
                        "to_day": nxt_time[active] - 1, "peak": conc[active]})
    win = win.groupby(["cell", "w"], sort=False).agg(from_day=("from_day", "min"), to_day=("to_day", "max"),
                                                      peak=("peak", "max")).reset_index()
    del block
    flagged = np.zeros(int(cell.max()) + 1, dtype=bool)
    flagged[win["cell"].to_numpy()] = True
    rows = d.assign(cell=cell)[flagged[cell]]
    m = rows[["cell", "start_day", "end_day", "_rid"]].merge(win[["cell", "from_day", "to_day"]], on="cell")
    keep = (np.maximum(m["start_day"], m["from_day"]) <= np.minimum(np.maximum(m["end_day"], m["start_day"]),
                                                                    m["to_day"])).to_numpy()
    rid = rows["_rid"].to_numpy()
    hit = np.zeros(int(rid.max()) + 1, dtype=bool)
    hit[m["_rid"].to_numpy()[keep]] = True
    return win, rows[hit[rid]]


def _days(values: Any) -> pd.Series:
    v = np.asarray(values, dtype=np.int64)
    out = pd.Series(v.astype("datetime64[D]").astype("datetime64[ns]"))
    return out.where(np.abs(v) < 10**8)


def overlaps(acts: pd.DataFrame, *, units: pd.DataFrame | None = None, filters: Filters | None = None,
             min_partners: int = 2, by: str = "subsector", beneficiaries: str = "max",
             details: bool = False) -> pd.DataFrame:
    """District × sub-sector cells where at least `min_partners` partners work at the same time.

    One row per cell: district, province, sector, the sub-sector, partners (who run overlapping activities),
    peak_partners (most at once), partner_names, activities, overlap_from/overlap_to (first and last day with
    ≥ N partners; NaT = open-ended), targeted/reached by the beneficiary rule (see attrs["rule"]).
    With details=True a `details` column reads "Org A: Mobile clinics (2025-01-01 to ongoing, 1,000 targeted); …"
    (all rows at once: `overlap_activities`). Every argument after `acts` is named: `units` (the boundary
    set's districts, for names and the province filter) and `filters` are easy to swap by position.
    """
    win, rows = _overlap_core(acts, filters, min_partners, by, units)
    cols = ["adm2_pcode", "district", "adm1_pcode", "province", "sector", by, "partners", "peak_partners",
            "partner_names", "activities", "overlap_from", "overlap_to", "targeted", "reached"]
    if not len(rows):
        out = pd.DataFrame(columns=list(dict.fromkeys(cols)))
    else:
        r = rows
        g = r.groupby("cell", sort=False)
        out = pd.DataFrame({
            "adm2_pcode": g["adm2_pcode"].first().astype(str), "district": g["dist_name"].first().astype(str),
            "adm1_pcode": g["adm1_pcode"].first().astype(str), "province": g["prov_name"].first().astype(str),
            "sector": g["sector"].first().astype(str), by: g[by].first().astype(str),
            "partners": g["partner"].nunique(), "activities": g.size(),
        })
        out["partner_names"] = joined(r, "cell", "partner")
        w = win.groupby("cell").agg(f=("from_day", "min"), t=("to_day", "max"), peak=("peak", "max"))
        out["peak_partners"] = w["peak"].reindex(out.index).astype(int)
        out["overlap_from"] = _days(w["f"].reindex(out.index)).to_numpy()
        out["overlap_to"] = _days(w["t"].reindex(out.index)).to_numpy()
        for m in ("targeted", "reached"):
            per = r.groupby(["cell", "partner"], observed=True)[m].sum()
            out[m] = (per.groupby(level=0).max() if beneficiaries == "max" else per.groupby(level=0).sum())
        if details:
            out["details"] = _details(acts, units, filters, r)
        out = out.sort_values(["partners", "province", "district", by], ascending=[False, True, True, True])
        out = out[list(dict.fromkeys(cols + (["details"] if details else [])))].reset_index(drop=True)
    out.attrs = {"rule": rule("overlap", min_partners=min_partners),
                 "beneficiaries": BENEFICIARY_RULES[beneficiaries], "min_partners": min_partners}
    return out


def _details(acts: pd.DataFrame, units: pd.DataFrame | None, filters: Filters | None,
             rows: pd.DataFrame) -> pd.Series:
    """One readable line per overlap cell, built with vectorised string operations."""
    a = scope(acts, units, filters)
    extra = a.loc[a["_rid"].isin(rows["_rid"]).to_numpy(), ["_rid", "activity", "start_date", "end_date"]]
    r = rows[["cell", "_rid", "partner", "targeted"]].merge(extra, on="_rid").sort_values(["cell", "partner",
                                                                                            "start_date"])
    start = r["start_date"].dt.strftime("%Y-%m-%d").fillna("no start date")
    end = r["end_date"].dt.strftime("%Y-%m-%d").fillna("ongoing")
    tgt = r["targeted"].map(lambda v: "" if pd.isna(v) else f", {v:,.0f} targeted")
    act = r["activity"].astype(str)
    text = (r["partner"].astype(str) + np.where(act != "", ": " + act, "") + " (" + start + " to " + end + tgt
            + "); ")
    k = r["cell"].to_numpy()
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.array([], dtype=int)
    joined = np.add.reduceat(text.to_numpy(dtype=object), starts) if len(k) else []
    return pd.Series([j[:-2] for j in joined], index=k[starts] if len(k) else [], dtype=object)


def overlap_activities(acts: pd.DataFrame, *, units: pd.DataFrame | None = None, filters: Filters | None = None,
                       min_partners: int = 2, by: str = "subsector") -> pd.DataFrame:
    """The activities behind `overlaps`: who, what, dates and beneficiaries, so two focal points can talk."""
    _, core = _overlap_core(acts, filters, min_partners, by, units)
    a = scope(acts, units, filters)
    rows = a[a["_rid"].isin(set(core["_rid"])).to_numpy()]
    cols = ["adm2_pcode", "dist_name", "prov_name", "sector", "subsector", "partner", "org_name", "activity",
            "project", "status", "start_date", "end_date", "targeted", "reached", "org_funder"]
    cols = list(dict.fromkeys([*cols[:4], by, *cols[4:]]))
    out = rows[cols].astype({c: object for c in cols if isinstance(rows[c].dtype, pd.CategoricalDtype)})
    out = out.rename(columns={"dist_name": "district", "prov_name": "province"})
    return out.sort_values(["province", "district", by, "partner", "start_date"]).reset_index(drop=True)


PROGRAMME_PAIRS = {"between": "between organisations", "within": "within one organisation",
                   "all": "between or within organisations"}


def programme_overlaps(acts: pd.DataFrame, *, units: pd.DataFrame | None = None, filters: Filters | None = None,
                       min_districts: int = 1, basis: tuple[str, ...] = ("beneficiary_group", "subsector"),
                       pairs: str = "between") -> pd.DataFrame:
    """Pairs of different programmes serving the same group (or sub-sector) in common districts.

    `pairs`: "between" (default) pairs programmes of different organisations, the ones a coordination group
    must introduce to each other; "within" pairs two programmes of one organisation, its own business to
    align; "all" both. Programmes run by several organisations pair "between" when they share none of them.
    """
    if pairs not in PROGRAMME_PAIRS:
        raise ValueError(f"pairs must be one of {', '.join(PROGRAMME_PAIRS)}, not {pairs!r}.")
    a = scope(acts, units, filters)
    d = a[(a["level"] == "district") & (a["project"].astype(str) != "")]
    labels = {"beneficiary_group": "beneficiary group", "subsector": "sub-sector", "sector": "sector"}
    parts = []
    for col in basis:
        x = d[["project", col, "adm2_pcode", "dist_name", "partner"]].astype(str)
        x = x[(x[col] != "") & (x[col] != NOT_GIVEN)].rename(columns={col: "shared_value"})
        orgs = x.groupby("project")["partner"].agg(lambda s: "; ".join(sorted(set(s))))
        x = x.drop(columns="partner").drop_duplicates()
        pair = x.merge(x, on=["shared_value", "adm2_pcode", "dist_name"], suffixes=("_a", "_b"))
        pair = pair[pair["project_a"] < pair["project_b"]]
        if not len(pair):
            continue
        g = pair.sort_values("dist_name").groupby(["project_a", "project_b", "shared_value"])
        res = g.agg(districts=("adm2_pcode", "nunique"), district_names=("dist_name", lambda s: "; ".join(
            dict.fromkeys(s)))).reset_index()
        res.insert(2, "shared_on", labels.get(col, col))
        res["orgs_a"] = res["project_a"].map(orgs)
        res["orgs_b"] = res["project_b"].map(orgs)
        parts.append(res)
    cols = ["project_a", "orgs_a", "project_b", "orgs_b", "shared_on", "shared_value", "districts", "district_names"]
    if not parts:
        out = pd.DataFrame(columns=cols)
        out.attrs = {"rule": rule("programme_overlap"), "pairs": PROGRAMME_PAIRS[pairs]}
        return out
    out = pd.concat(parts, ignore_index=True)[cols]
    out = out[out["districts"] >= min_districts]
    if pairs != "all":
        shared = [bool(set(str(a).split("; ")) & set(str(b).split("; ")))
                  for a, b in zip(out["orgs_a"], out["orgs_b"], strict=True)]
        out = out[pd.Series([x == (pairs == "within") for x in shared], index=out.index, dtype=bool)]
    out = out.sort_values(["districts", "project_a", "project_b"], ascending=[False, True, True])
    out = out.reset_index(drop=True)
    out.attrs["rule"] = rule("programme_overlap")
    out.attrs["pairs"] = PROGRAMME_PAIRS[pairs]
    return out


def province_comparison(acts: pd.DataFrame, units: pd.DataFrame, filters: Filters | None = None) -> pd.DataFrame:
    """Sub-sector × province, long: programmes, partners, districts reached and coverage share per province."""
    a = scope(acts, units, filters)
    u = units_in_scope(units, filters)
    a = a[a["level"] != "national"]
    x = a[["sector", "subsector", "pkey", "project", "partner", "level", "adm2_pcode"]].astype(str)
    x = x[x["subsector"] != NOT_GIVEN]
    keys = ["sector", "subsector", "pkey"]
    g = x.groupby(keys)
    out = pd.DataFrame({
        "programmes": x[x["project"] != ""].groupby(keys)["project"].nunique(),
        "partners": g["partner"].nunique(),
        "districts_reached": x[x["level"] == "district"].groupby(keys)["adm2_pcode"].nunique(),
        "province_wide_activities": x[x["level"] == "province"].groupby(keys).size(),
    }).fillna(0).astype(int).reset_index()
    total = u.groupby("adm1_pcode").size()
    names = u.drop_duplicates("adm1_pcode").set_index("adm1_pcode")["adm1_name"]
    out = out[out["pkey"].isin(set(total.index))]
    out["districts_total"] = out["pkey"].map(total).astype(int)
    out["coverage"] = (out["districts_reached"] / out["districts_total"]).round(3)
    out.insert(2, "province", out["pkey"].map(names))
    out = out.rename(columns={"pkey": "adm1_pcode"}).sort_values(["sector", "subsector", "province"])
    out.attrs["rule"] = rule("coverage")
    return out.reset_index(drop=True)
