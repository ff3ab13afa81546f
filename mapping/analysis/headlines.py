"""Headline sentences: the numbers of the matrices, gaps and overlaps said in plain words.

They sit apart from `analysis` because they read its results rather than compute new ones; a test checks that
every sentence agrees with the tables it summarises.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mapping.analysis.filters import NOTHING_IN_VIEW
from mapping.analysis.frame import scope, sector_universe, units_in_scope
from mapping.analysis.matrices import (
    NATIONAL,
    PROVINCE_WIDE,
    TOTAL,
    Filters,
    gaps,
    matrix,
    overlaps,
    prepare,
    presence,
)

_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
          10: "ten"}


def _n(count: float, one: str, many: str) -> str:
    return f"{count:,.0f} {one if count == 1 else many}"


def _lower_first(text: str) -> str:
    # "Unconditional cash transfers" -> "unconditional cash transfers", but "WASH" and "IYCF" stay as written.
    return text[:1].lower() + text[1:] if len(text) > 1 and text[1:2].islower() else text


def carried_sentence(acts: pd.DataFrame) -> str | None:
    """Say how much of the picture is carried forward from earlier rounds: it is data, not a new report."""
    if "carried_forward" not in acts.columns or not len(acts):
        return None
    carried = acts[acts["carried_forward"].fillna(False).astype(bool)]
    if not len(carried):
        return None
    org = "partner" if "partner" in carried.columns else "org_name"
    k = carried[org].nunique()
    rounds = sorted(set(carried["round_name"].dropna().astype(str))) if "round_name" in carried.columns else []
    source = f" from {', '.join(rounds)}" if rounds else " from an earlier round"
    return (f"{_n(len(carried), 'activity', 'activities')} of {_n(k, 'partner', 'partners')} "
            f"{'is' if len(carried) == 1 else 'are'} carried forward{source}: "
            f"{'that partner has' if k == 1 else 'those partners have'} not reported in this round yet.")


def headlines(acts: pd.DataFrame, units: pd.DataFrame, sectors: list[str] | None = None, filters: Filters | None = None,
              need: Any = None, *, min_overlap: int = 3, beneficiaries: str = "max") -> list[str]:
    """Plain-language sentences for the cover of a snapshot, computed by the same functions as the tables."""
    a = prepare(acts, units)
    secs = sector_universe(sectors, filters)
    units_in = units_in_scope(units, filters)
    kw = dict(filters=filters, sectors=secs)
    act_m = matrix(a, units, rows="sector", cols="province", measure="activities", **kw)
    if act_m.loc[TOTAL, TOTAL] == 0:
        return [NOTHING_IN_VIEW]
    part_m = matrix(a, units, rows="sector", cols="province", measure="partners", **kw)
    pres = presence(a, units, filters=filters, sectors=secs)
    body = pres.drop(index=TOTAL, level=0)
    districts = body[~body.index.get_level_values(1).isin([PROVINCE_WIDE, NATIONAL])
                     & (body.index.get_level_values(0) != NATIONAL)]
    served = int((districts[TOTAL] > 0).sum())
    n_part, n_act = int(part_m.loc[TOTAL, TOTAL]), int(act_m.loc[TOTAL, TOTAL])
    verb = "reports" if n_part == 1 else "report"
    out = [f"{_n(n_part, 'partner', 'partners')} {verb} {_n(n_act, 'activity', 'activities')} in {served:,} of "
           f"{_n(len(units_in), 'district', 'districts')}."]
    scoped = scope(a, units, filters)
    if (carried := carried_sentence(scoped)) is not None:
        out.append(carried)
    wide = int((scoped["level"] != "district").sum())
    if wide:
        out.append(f"{wide:,} of these activities {'is' if wide == 1 else 'are'} province-wide or national.")
    g = gaps(a, units, secs, filters=filters, need=need)
    if len(g):
        per = g.groupby("sector").size().reindex(secs).fillna(0).astype(int)
        top = per.idxmax()
        sentence = f"No partner works on {top} in {_n(per[top], 'district', 'districts')}"
        if "need_quintile" in g.columns:
            high = int(((g["sector"] == top) & (g["need_quintile"] == 1)).sum())
            sentence += f", {high:,} of them in the top fifth by need"
        out.append(sentence + ".")
    elif secs:
        out.append("Every district in scope has at least one partner in each sector in scope.")
    for n in sorted({min_overlap, 2}, reverse=True):
        ov = overlaps(a, filters=filters, min_partners=n, units=units)
        if len(ov):
            per = ov.groupby("subsector")["adm2_pcode"].nunique().sort_values(ascending=False, kind="stable")
            per = per[per == per.iloc[0]].sort_index()
            sub, k = per.index[0], int(per.iloc[0])
            out.append(f"In {_n(k, 'district', 'districts')} {_WORDS.get(n, str(n))} or more partners run "
                       f"{_lower_first(sub)} at the same time.")
            break
    else:
        out.append("No two partners run the same sub-sector in the same district at the same time.")
    tgt = matrix(a, units, rows="sector", cols="province", measure="targeted", beneficiaries=beneficiaries, **kw)
    rch = matrix(a, units, rows="sector", cols="province", measure="reached", beneficiaries=beneficiaries, **kw)
    t, r = float(tgt.loc[TOTAL, TOTAL]), float(rch.loc[TOTAL, TOTAL])
    if t or r:
        how = ("counting only the highest single partner's figure in each district" if beneficiaries == "max"
               else "adding every partner's figures, so some people may be counted twice")
        out.append(f"They target {_n(t, 'person', 'people')} and have reached {r:,.0f} ({how}).")
    return out
