"""Partners' work against the strategy: matrices, unsupported actions, concentration and the sentences."""

from __future__ import annotations

import pandas as pd

from mapping.analysis import strategy as an
from mapping.returns.strategy import parse_framework

FW = parse_framework(b"""code,level,parent,name
A,pillar,,Protect the poor
A.1,objective,A,Regular cash
A.1.x,action,A.1,Index transfers
A.1.y,action,A.1,Disability top-up
B,pillar,,Systems
B.1,objective,B,One registry
B.1.x,action,B.1,Dynamic registration
""")


def acts(*rows):
    return pd.DataFrame([{"org_name": o, "strategy": s, "adm1_name": p} for o, s, p in rows])


ACTS = acts(("Alpha", "A.1.x — Index transfers", "North"), ("Alpha", "A.1", "North"), ("Beta", "A.1.x", "South"),
            ("Gamma", "B.1.x", "North"), ("Gamma", "Dynamic registration", "South"), ("Delta", None, "North"),
            ("Delta", "Z.9 Something else", "South"))


def test_partner_by_pillar_and_pillar_by_province():
    m = an.pillar_matrix(ACTS, FW)
    assert list(m.columns) == ["A Protect the poor", "B Systems", "(not in the framework)", "Total"]
    assert m.loc["Alpha", "A Protect the poor"] == 2 and m.loc["Gamma", "B Systems"] == 2
    assert m.loc["Delta", "(not in the framework)"] == 1 and m.loc["Total", "Total"] == 6
    p = an.pillar_matrix(ACTS, FW, rows="province", measure="partners")
    assert p.loc["A Protect the poor", "North"] == 1 and p.loc["A Protect the poor", "South"] == 1


def test_unsupported_actions_and_concentrated_pillars():
    gaps = an.unsupported_actions(ACTS, FW)
    assert list(gaps["code"]) == ["A.1.y"]  # naming objective A.1 does not support its actions
    conc = an.concentrated_pillars(ACTS, FW)
    assert conc.to_dict("records") == [
        {"pillar": "A Protect the poor", "partner": "Alpha", "share": 0.667, "activities": 3, "partners": 2},
        {"pillar": "B Systems", "partner": "Gamma", "share": 1.0, "activities": 2, "partners": 1}]
    assert an.concentrated_pillars(ACTS, FW, share=0.7)["pillar"].tolist() == ["B Systems"]


def test_headlines_say_it_in_sentences():
    lines = an.headlines(ACTS, FW)
    assert lines[0] == "6 of 7 activities (86%) name the strategy objective or action they support."
    assert "No partner reports support to 1 of the 2 policy actions under pillar A (Protect the poor)." in lines
    assert "Pillar B Systems rests on one partner: Gamma." in lines
    assert "Pillar A Protect the poor is concentrated: Alpha holds 67% of its 3 activities." in lines
    assert lines[-1].startswith("1 activities name a strategy item not in the framework (Z.9 Something else")
    assert an.headlines(acts(), FW) == ["No activity in this view, so nothing can be read against the strategy."]
