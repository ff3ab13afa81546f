"""The strategy framework as data: checked when set, and every way a return names an item is understood."""

from __future__ import annotations

import pytest

from mapping.errors import StocktakeError
from mapping.returns.strategy import load_framework, parse_framework
from tests.factories.programmes import STRATEGY_CSV as CSV


def test_codes_labels_and_names_resolve_to_one_item():
    fw = parse_framework(CSV)
    assert [fw.resolve(v) for v in ("A.1.x", "a.1.x", "A.1 — Regular cash", "A.1: Regular cash",
                                    "Index transfers to inflation", "  One   registry ", "Z.9", "", None)] == [
        "A.1.x", "A.1.x", "A.1", "A.1", "A.1.x", "B.1", None, None, None]
    assert fw.pillar_of("A.1.x").code == "A" and fw.objective_of("A.1.x").code == "A.1"
    assert fw.objective_of("A") is None
    assert fw.dropdown() == ["A.1 — Regular cash", "A.1.x — Index transfers to inflation", "B.1 — One registry"]


@pytest.mark.parametrize("bad, words", [
    (CSV + b"A.1,objective,A,Again\n", "code A.1 appears twice"),
    (CSV + b"C.1,action,B,Skips a level\n", "must be a objective listed above it"),
    (CSV + b"C,chapter,,What\n", "level 'chapter' is not one of"),
    (b"code,level,parent,name\nA.1,objective,,Orphan\n", "must be a pillar listed above it"),
    (b"code,level,parent,name\n", "has no pillar"),
    (CSV + b"C,pillar,,Padding" + b" x" * 500_000 + b"\n", "a strategy framework is a short CSV"),
])
def test_a_broken_framework_is_refused_with_the_row(bad, words):
    with pytest.raises(StocktakeError, match=words):
        parse_framework(bad, "framework.csv")


def test_the_shipped_illustrative_framework_has_four_pillars():
    fw = load_framework()
    assert len(fw.of_level("pillar")) == 4 and all("(illustrative)" in p.name for p in fw.of_level("pillar"))
    assert all(fw.pillar_of(a.code) is not None for a in fw.of_level("action"))
