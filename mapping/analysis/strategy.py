"""Partners' work read against the government's strategy: which pillars are crowded, which actions have nobody.

Counting rules (stated wherever these numbers show): an activity supports the objective or policy action its
Strategy cell names, and through it that objective's pillar; a policy action counts as supported only when an
activity names it; an objective is supported when an activity names it or one of its actions. A pillar is
"concentrated" when one partner holds at least `CONCENTRATION` of its activities or is its only partner.
"""

from __future__ import annotations

import pandas as pd

from mapping.returns.strategy import Framework

# the caller hands the activities in view: an empty frame may be a new deployment or a narrow filter
NO_ACTIVITY = "No activity in this view, so nothing can be read against the strategy."

__all__ = ["CONCENTRATION", "RULE", "concentrated_pillars", "headlines", "pillar_matrix", "tagged",
           "unsupported_actions"]

CONCENTRATION = 0.6
RULE = ("An activity supports the objective or policy action its Strategy column names, and that objective's "
        "pillar; a policy action counts as supported only when an activity names it.")
NOT_IN_FRAMEWORK = "(not in the framework)"


def _partner(acts: pd.DataFrame) -> pd.Series:
    return acts["partner"] if "partner" in acts.columns else acts["org_name"]


def tagged(acts: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Activities that name the strategy, with code, objective, pillar (codes) and partner added."""
    if "strategy" not in acts.columns or not len(acts):
        return pd.DataFrame(columns=[*acts.columns, "strategy_code", "objective", "pillar", "partner_name"])
    out = acts[acts["strategy"].notna() & (acts["strategy"].astype(str).str.strip() != "")].copy()
    codes = {v: fw.resolve(v) for v in out["strategy"].unique()}
    out["strategy_code"] = out["strategy"].map(codes)
    out["pillar"] = out["strategy_code"].map(lambda c: fw.pillar_of(c).code if c and fw.pillar_of(c) else
                                             NOT_IN_FRAMEWORK)
    out["objective"] = out["strategy_code"].map(lambda c: fw.objective_of(c).code if c and fw.objective_of(c)
                                                else None)
    out["partner_name"] = _partner(out)
    return out


def pillar_matrix(acts: pd.DataFrame, fw: Framework, *, rows: str = "partner",
                  measure: str = "activities") -> pd.DataFrame:
    """partner × pillar (or pillar × province): activities, or distinct partners; every pillar shown."""
    t = tagged(acts, fw)
    pillars = [p.code for p in fw.of_level("pillar")]
    label = {p.code: f"{p.code} {p.name}" for p in fw.of_level("pillar")}
    if rows == "partner":
        index, cols = "partner_name", "pillar"
    elif rows == "province":
        index, cols = "pillar", "adm1_name"
    else:
        raise ValueError(f"rows must be partner or province, not {rows!r}")
    if t.empty:
        m = pd.DataFrame(index=pd.Index([], name=index))
    elif measure == "partners":
        m = t.pivot_table(index=index, columns=cols, values="partner_name", aggfunc="nunique", fill_value=0)
    else:
        m = t.pivot_table(index=index, columns=cols, values="strategy_code", aggfunc="size", fill_value=0)
    if rows == "partner":
        m = m.reindex(columns=pillars + ([NOT_IN_FRAMEWORK] if NOT_IN_FRAMEWORK in m.columns else []),
                      fill_value=0)
        m.columns = [label.get(c, c) for c in m.columns]
        m.index.name = "Partner"
    else:
        m = m.reindex(index=pillars + ([NOT_IN_FRAMEWORK] if NOT_IN_FRAMEWORK in m.index else []), fill_value=0)
        m.index = [label.get(c, c) for c in m.index]
        m.index.name = "Pillar"
    m.columns.name = None
    if measure == "partners":
        return m.astype(int)
    m["Total"] = m.sum(axis=1)
    m.loc["Total"] = m.sum(axis=0)
    return m.astype(int)


def unsupported_actions(acts: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Every policy action no activity names, with its objective and pillar."""
    named = set(tagged(acts, fw)["strategy_code"].dropna())
    rows = []
    for a in fw.of_level("action"):
        if a.code in named:
            continue
        obj, pil = fw.objective_of(a.code), fw.pillar_of(a.code)
        rows.append({"code": a.code, "action": a.name, "objective": f"{obj.code} {obj.name}" if obj else None,
                     "pillar": f"{pil.code} {pil.name}" if pil else None})
    return pd.DataFrame(rows, columns=["code", "action", "objective", "pillar"])


def concentrated_pillars(acts: pd.DataFrame, fw: Framework, *, share: float = CONCENTRATION) -> pd.DataFrame:
    """Pillars where one partner carries the support: its share of the pillar's activities and the others."""
    t = tagged(acts, fw)
    rows = []
    for p in fw.of_level("pillar"):
        part = t[t["pillar"] == p.code]
        if part.empty:
            continue
        counts = part["partner_name"].value_counts()
        top, n = counts.index[0], int(counts.iloc[0])
        if len(counts) == 1 or n / len(part) >= share:
            rows.append({"pillar": f"{p.code} {p.name}", "partner": top, "share": round(n / len(part), 3),
                         "activities": len(part), "partners": len(counts)})
    return pd.DataFrame(rows, columns=["pillar", "partner", "share", "activities", "partners"])


def headlines(acts: pd.DataFrame, fw: Framework) -> list[str]:
    """The sentences the pages and the PDF say, from the same tables."""
    t = tagged(acts, fw)
    out = []
    if not len(acts):
        return [NO_ACTIVITY]
    share = len(t) / len(acts)
    out.append(f"{len(t):,} of {len(acts):,} activities ({share:.0%}) name the strategy objective or action they "
               "support.")
    gaps = unsupported_actions(acts, fw)
    for p in fw.of_level("pillar"):
        actions = [a for a in fw.of_level("action") if fw.pillar_of(a.code) and fw.pillar_of(a.code).code == p.code]
        missing = gaps[gaps["pillar"] == f"{p.code} {p.name}"]
        if actions and len(missing):
            out.append(f"No partner reports support to {len(missing)} of the {len(actions)} policy actions under "
                       f"pillar {p.code} ({p.name}).")
    for r in concentrated_pillars(acts, fw).to_dict("records"):
        if r["partners"] == 1:
            out.append(f"Pillar {r['pillar']} rests on one partner: {r['partner']}.")
        else:
            out.append(f"Pillar {r['pillar']} is concentrated: {r['partner']} holds {r['share']:.0%} of its "
                       f"{r['activities']} activities.")
    unknown = t[t["strategy_code"].isna()]
    if len(unknown):
        out.append(f"{len(unknown)} activities name a strategy item not in the framework "
                   f"({', '.join(sorted(unknown['strategy'].astype(str).unique())[:3])}…).")
    return out
