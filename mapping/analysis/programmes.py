"""The forum's questions about programmes: where each one reaches, who else serves the same people there,
and where a family that moves can turn. Pure pandas over the programme list and the boundary units.

Coverage rule (stated on the page and in the PDF): a programme covers the districts it lists; one that lists
none covers every district of its provinces; one with neither covers the whole country.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import combinations

import pandas as pd

from mapping.returns.programmes import name_key

__all__ = ["COVERAGE_RULE", "NO_GROUP", "coverage", "filter_programmes", "headlines", "link_activities", "portability",
           "programme_province_matrix", "programmes_per_district", "same_group_pairs", "table"]

COVERAGE_RULE = ("A programme covers the districts it lists; one that lists none covers every district of its "
                 "provinces; one with neither covers the whole country.")
NO_GROUP = "(no target group given)"


def _names(units: pd.DataFrame) -> tuple[dict, dict, dict]:
    u = units.drop_duplicates("adm2_pcode")
    return (dict(zip(u["adm2_pcode"], u["adm2_name"])), dict(zip(u["adm2_pcode"], u["adm1_pcode"])),
            dict(zip(u["adm1_pcode"], u["adm1_name"])))


def coverage(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """One row per (programme, target group, district) the programme covers."""
    d_name, d_prov, p_name = _names(units)
    by_province: dict[str, list[str]] = {}
    for code, prov in d_prov.items():
        by_province.setdefault(prov, []).append(code)
    everywhere = list(d_name)
    rows = []
    for rec in frame.to_dict("records"):
        districts = [d for d in rec.get("districts") or [] if d in d_name]
        if not districts:
            provs = rec.get("provinces") or []
            districts = [d for p in provs for d in by_province.get(p, [])] if provs else everywhere
        for group in rec.get("target_groups") or [NO_GROUP]:
            for d in districts:
                rows.append({"programme": rec["name"], "owner": rec["owner"], "programme_type": rec.get("programme_type"),
                             "target_group": group, "adm2_pcode": d, "adm2_name": d_name[d],
                             "adm1_pcode": d_prov[d], "adm1_name": p_name.get(d_prov[d], d_prov[d])})
    return pd.DataFrame(rows, columns=["programme", "owner", "programme_type", "target_group", "adm2_pcode",
                                       "adm2_name", "adm1_pcode", "adm1_name"])


def filter_programmes(frame: pd.DataFrame, units: pd.DataFrame, *, provinces: Sequence[str] = (),
                      types: Sequence[str] = (), groups: Sequence[str] = ()) -> pd.DataFrame:
    """Programmes reaching any of `provinces` (names or p-codes), of any of `types`, serving any of `groups`."""
    out = frame
    if types:
        out = out[out["programme_type"].isin(list(types))]
    if groups:
        wanted = set(groups)
        out = out[out["target_groups"].map(lambda gs: bool(wanted & set(gs or [])))]
    if provinces:
        cov = coverage(out, units)
        wanted = set(provinces)
        hit = cov[cov["adm1_pcode"].isin(wanted) | cov["adm1_name"].isin(wanted)]["programme"].unique()
        out = out[out["name"].isin(hit)]
    return out


def table(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """One row per programme with readable provinces, districts covered, groups and benefit."""
    cov = coverage(frame, units)
    n_districts = cov.drop_duplicates(["programme", "adm2_pcode"]).groupby("programme").size()
    _, _, p_name = _names(units)
    rows = []
    for rec in frame.to_dict("records"):
        provs = rec.get("provinces") or ([] if not rec.get("districts") else
                                          sorted(set(cov.loc[cov["programme"] == rec["name"], "adm1_pcode"])))
        amount = rec.get("benefit_amount")
        benefit = rec.get("benefit") or ""
        if amount is not None and amount == amount:
            benefit = f"{benefit} {amount:,.0f} {rec.get('benefit_currency') or ''}".strip()
            if rec.get("benefit_frequency"):
                benefit += f" {rec['benefit_frequency']}"
        rows.append({"programme": rec["name"], "owner": rec["owner"], "provinces": ", ".join(
                     p_name.get(p, p) for p in provs) or "Whole country", "programme_type": rec.get("programme_type"),
                     "target_groups": ", ".join(rec.get("target_groups") or []), "benefit": benefit or None,
                     "districts": int(n_districts.get(rec["name"], 0)), "beneficiaries": rec.get("beneficiaries"),
                     "beneficiaries_date": rec.get("beneficiaries_date"),
                     "beneficiaries_source": rec.get("beneficiaries_source"), "start_year": rec.get("start_year"),
                     "eligibility": rec.get("eligibility"), "link": rec.get("link")})
    return pd.DataFrame(rows, columns=["programme", "owner", "provinces", "programme_type", "target_groups", "benefit",
                                       "districts", "beneficiaries", "beneficiaries_date", "beneficiaries_source",
                                       "start_year", "eligibility", "link"])


def programme_province_matrix(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Districts each programme covers in each province (blank: none), with totals."""
    cov = coverage(frame, units).drop_duplicates(["programme", "adm2_pcode"])
    if cov.empty:
        return pd.DataFrame()
    m = cov.pivot_table(index="programme", columns="adm1_name", values="adm2_pcode", aggfunc="count", fill_value=0)
    m["Total"] = m.sum(axis=1)
    m.loc["Total"] = m.sum(axis=0)
    m.index.name = "Programme"
    m.columns.name = None
    return m.astype(int)


def programmes_per_district(frame: pd.DataFrame, units: pd.DataFrame, *, group: str | None = None) -> pd.Series:
    """adm2_pcode → how many programmes serve `group` (any group when None) there; 0 for the rest."""
    cov = coverage(frame, units)
    if group:
        cov = cov[cov["target_group"] == group]
    counts = cov.drop_duplicates(["programme", "adm2_pcode"]).groupby("adm2_pcode")["programme"].nunique()
    return counts.reindex(units["adm2_pcode"].unique(), fill_value=0).astype(int)


def same_group_pairs(frame: pd.DataFrame, units: pd.DataFrame, *, group: str | None = None,
                     same_owner: bool = False) -> pd.DataFrame:
    """Two programmes serving the same group in the same districts: the conversation the forum should have.

    One row per pair of programmes, however many groups they share: two mother-and-child programmes that both
    serve pregnant women and children under 2 are one conversation, not two. `shared_districts` counts the
    districts where they serve at least one common group.
    """
    cov = coverage(frame, units)
    cov = cov[cov["target_group"] != NO_GROUP]
    if group:
        cov = cov[cov["target_group"] == group]
    owner = cov.drop_duplicates("programme").set_index("programme")["owner"].to_dict()
    names = dict(zip(cov["adm2_pcode"], cov["adm2_name"]))
    shared: dict[tuple[str, str], tuple[list[str], set[str]]] = {}
    for g, part in cov.groupby("target_group", sort=False):
        where = part.groupby("programme")["adm2_pcode"].agg(set).to_dict()
        for a, b in combinations(sorted(where), 2):
            if owner[a] == owner[b] and not same_owner:
                continue
            common = where[a] & where[b]
            if common:
                groups, districts = shared.setdefault((a, b), ([], set()))
                groups.append(str(g))
                districts |= common
    rows = []
    for (a, b), (groups, districts) in shared.items():
        listed = sorted(names[d] for d in districts)
        rows.append({"target_groups": ", ".join(groups), "programme_a": a, "owner_a": owner[a], "programme_b": b,
                     "owner_b": owner[b], "shared_districts": len(districts),
                     "districts": ", ".join(listed[:8]) + (f" and {len(listed) - 8} more" if len(listed) > 8
                                                           else "")})
    out = pd.DataFrame(rows, columns=["target_groups", "programme_a", "owner_a", "programme_b", "owner_b",
                                      "shared_districts", "districts"])
    return out.sort_values(["shared_districts", "programme_a", "programme_b"],
                           ascending=[False, True, True]).reset_index(drop=True)


def portability(frame: pd.DataFrame, units: pd.DataFrame, *, group: str, origin: str) -> pd.DataFrame:
    """For a family of `group` in district `origin`: what serves it at home and in each other province."""
    d_name, d_prov, p_name = _names(units)
    if origin not in d_prov:
        raise KeyError(origin)
    home = d_prov[origin]
    cov = coverage(frame, units)
    cov = cov[cov["target_group"] == group]
    rows = []
    at_home = cov[cov["adm2_pcode"] == origin]
    for prog in sorted(at_home["programme"].unique()):
        owner = at_home.loc[at_home["programme"] == prog, "owner"].iloc[0]
        rows.append({"where": f"{d_name[origin]} (home district)", "province": p_name.get(home, home),
                     "programme": prog, "owner": owner, "districts_covered": 1, "districts_in_province": 1})
    per_province = units.drop_duplicates("adm2_pcode").groupby("adm1_pcode")["adm2_pcode"].nunique()
    for prov in sorted(per_province.index, key=lambda p: p_name.get(p, p)):
        if prov == home:
            continue
        part = cov[cov["adm1_pcode"] == prov]
        if part.empty:
            rows.append({"where": "other province", "province": p_name.get(prov, prov), "programme": None,
                         "owner": None, "districts_covered": 0, "districts_in_province": int(per_province[prov])})
            continue
        for prog, grp in part.groupby("programme"):
            rows.append({"where": "other province", "province": p_name.get(prov, prov), "programme": prog,
                         "owner": grp["owner"].iloc[0], "districts_covered": int(grp["adm2_pcode"].nunique()),
                         "districts_in_province": int(per_province[prov])})
    return pd.DataFrame(rows, columns=["where", "province", "programme", "owner", "districts_covered",
                                       "districts_in_province"])


def headlines(frame: pd.DataFrame, units: pd.DataFrame, *, group: str | None = None) -> list[str]:
    """Plain sentences from the same functions as the tables."""
    if frame.empty:
        return ["No programme is recorded yet."]
    out = []
    owners = frame["owner"].nunique()
    out.append(f"{len(frame)} programme{'s' if len(frame) != 1 else ''} of {owners} owner"
               f"{'s' if owners != 1 else ''} are recorded.")
    pairs = same_group_pairs(frame, units, group=group)
    if len(pairs):
        top = pairs.iloc[0]
        out.append(f"{len(pairs)} pair{'s' if len(pairs) != 1 else ''} of programmes of different owners serve the "
                   f"same group in the same districts; the largest: {top['programme_a']} and {top['programme_b']} "
                   f"({top['target_groups']}; {top['shared_districts']} districts).")
    if group:
        per = programmes_per_district(frame, units, group=group)
        none = int((per == 0).sum())
        out.append(f"{none} of {len(per)} districts have no programme for {group.lower()}.")
    return out



def _words_close(a: str, b: str) -> bool:
    """Every word one name has and the other lacks is a misspelling of one of the other's words.

    "Nort Mothers" is close to "North Mothers"; "DWPO Social programme 2" is not close to "FSPA Social programme
    2" (another owner's programme) nor to "... programme 1", though whole-string similarity rates both highly.
    """
    from rapidfuzz import fuzz

    wa, wb = set(a.split()), set(b.split())
    return all(any(fuzz.ratio(w, o) >= 75 for o in other) for only, other in ((wa - wb, wb), (wb - wa, wa))
               for w in only)


def link_activities(acts: pd.DataFrame, frame: pd.DataFrame, not_programmes: Collection[str] = ()) -> pd.DataFrame:
    """Each programme name a return writes (its Programme / project column) and the record it names, if any.

    A name matches a record's name or one of its other names, ignoring case and spacing; nothing is guessed:
    a close spelling is only a suggestion, to be confirmed once (it then becomes one of the record's names).
    A name someone marked as not a programme (`not_programmes`, e.g. "Staff training") waits for nothing: it is
    flagged `not_programme`, gets no suggestion and comes last, so the queue only holds names still to decide.
    Rows come as the review queue wants them: names with a suggestion first, then the other unrecorded names,
    then the matched ones, then those marked not a programme; the most used first within each.
    """
    from rapidfuzz import fuzz, process

    columns = ["project", "programme", "activities", "organisations", "suggestion", "not_programme"]
    if "project" not in acts.columns or not len(acts):
        return pd.DataFrame(columns=columns)
    names: dict[str, str] = {}
    for rec in frame.to_dict("records"):
        names[name_key(rec["name"])] = rec["name"]
        for alias in rec.get("aliases") or []:
            names.setdefault(name_key(alias), rec["name"])
    marked = {name_key(n) for n in not_programmes}
    partner = acts["partner"] if "partner" in acts.columns else acts["org_name"]
    used = acts.assign(_p=partner)[acts["project"].notna() & (acts["project"].astype(str).str.strip() != "")]
    rows = []
    for project, part in used.groupby(used["project"].astype(str).str.strip()):
        key = name_key(project)
        hit = names.get(key)
        not_programme = hit is None and key in marked  # a name that is a programme's stays linked
        suggestion = None
        if hit is None and names and not not_programme:
            close = [c for c, _, _ in process.extract(key, list(names), scorer=fuzz.token_sort_ratio,
                                                       score_cutoff=85, limit=5) if _words_close(key, c)]
            suggestion = names[close[0]] if close else None
        rows.append({"project": project, "programme": hit, "activities": len(part),
                     "organisations": ", ".join(sorted(part["_p"].astype(str).unique())), "suggestion": suggestion,
                     "not_programme": not_programme})
    out = pd.DataFrame(rows, columns=columns)
    # 0 suggested, 1 unrecorded, 3 matched (2 + no suggestion), 4 marked not a programme
    order = (out["programme"].notna() * 2 + out["suggestion"].isna()).where(~out["not_programme"].astype(bool), 4)
    return out.assign(_o=order).sort_values(["_o", "activities", "project"], ascending=[True, False, True]).drop(
        columns="_o").reset_index(drop=True)
