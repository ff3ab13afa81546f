"""Counting people in two hashed lists exactly, and hiding small counts so no one can be singled out."""

from __future__ import annotations

import numpy as np

from mapping.analysis import people_overlap as po
from mapping.returns.pseudonymise import read_hashed
from tests.factories.people import KEY_A, KEY_B, random_pair, write_hashed


def _lists(tmp_path, a, b, key_b=KEY_A):
    la = read_hashed(write_hashed(tmp_path / "a.csv", a).read_bytes(), "a.csv")
    lb = read_hashed(write_hashed(tmp_path / "b.csv", b, key_b).read_bytes(), "b.csv")
    return la, lb


def test_counts_equal_the_true_intersection(tmp_path):
    pcodes = ["XY0101", "XY0102", "XY0201", "XY0202", "XY0203"]
    a, b = random_pair(4000, 3000, 1200, pcodes, seed=3)
    exact = po.count(*_lists(tmp_path, a, b))
    da, db = dict(a), dict(b)
    both = set(da) & set(db)
    assert (exact.people_a, exact.people_b, exact.in_both) == (4000, 3000, len(both)) == (4000, 3000, 1200)
    assert exact.elsewhere == sum(da[n] != db[n] for n in both)
    for p in pcodes:
        assert exact.by_district[p] == {
            "in_both": sum(da[n] == db[n] == p for n in both),
            "only_a": sum(d == p for n, d in a if n not in db),
            "only_b": sum(d == p for n, d in b if n not in da),
            "people": len({n for n, d in a if d == p} | {n for n, d in b if d == p})}
    table = po.suppress(exact, ("A", "B"), threshold=10)
    assert table.total == {"in_both": 1200, "only_a": 2800, "only_b": 1800}
    assert sum(r["in_both"] for r in table.by_district) == 1200  # districts + "different districts" add up


def test_a_changed_key_gives_no_overlap(tmp_path):
    a, b = random_pair(500, 500, 500, ["XY0101"], seed=1)
    exact = po.count(*_lists(tmp_path, a, b, key_b=KEY_B))
    assert exact.in_both == 0 and exact.by_district["XY0101"]["only_a"] == 500


def test_full_hash_is_compared_not_only_its_first_half(tmp_path):
    la, lb = _lists(tmp_path, [(1, "XY0101"), (2, "XY0101")], [(1, "XY0101"), (3, "XY0101")])
    forged = lb.hashes.copy()
    j = int(np.flatnonzero((forged == la.hashes[0]).all(axis=1) | (forged == la.hashes[1]).all(axis=1))[0])
    forged[j, 15] ^= 1  # same first 8 bytes as a person in A, different last byte
    lb2 = type(lb)(forged, lb.districts, lb.pcodes)
    assert po.count(la, lb).in_both == 1 and po.count(la, lb2).in_both == 0


def _exact(rows: dict[str, tuple[int, int, int]], elsewhere: int) -> po.ExactOverlap:
    by = {p: {"in_both": x, "only_a": y, "only_b": z, "people": x + y + z} for p, (x, y, z) in rows.items()}
    both = sum(v[0] for v in rows.values()) + elsewhere
    return po.ExactOverlap(both + sum(v[1] for v in rows.values()), both + sum(v[2] for v in rows.values()), both,
                           by, elsewhere)


def _row(table, pcode):
    return next(r for r in table.by_district if r["adm2_pcode"] == pcode)


def test_small_cells_are_suppressed_primary_linked_and_secondary():
    exact = _exact({"D1": (4, 200, 300), "D2": (150, 120, 90), "D3": (60, 40, 35), "D4": (500, 400, 80)},
                   elsewhere=30)
    t = po.suppress(exact, ("A", "B"), threshold=10)
    assert _row(t, "D1")["in_both"] == "<10"                                    # primary
    assert _row(t, "D1")["only_a"] == _row(t, "D1")["only_b"] == "suppressed"  # linked: A knows its D1 total
    assert _row(t, "D1")["share"] is None
    # secondary: the in_both total (744) minus the shown cells would give D1 back, so one more cell is hidden
    in_both = [r["in_both"] for r in t.by_district]
    assert sum(isinstance(v, str) for v in in_both) >= 2
    assert t.total["in_both"] == 744
    shown = sum(v for v in in_both if isinstance(v, int))
    hidden_total = 744 - shown
    assert hidden_total >= 10 and hidden_total != 4
    # the hidden cells of every column add up to at least the threshold
    for col in ("only_a", "only_b"):
        cells = [(r[col], exact.by_district[r["adm2_pcode"]][col]) for r in t.by_district if r["adm2_pcode"]]
        hidden = [true for shown_v, true in cells if isinstance(shown_v, str)]
        assert len(hidden) != 1 and (not hidden or sum(hidden) >= 10)
    # the whole table, as the rule gives it: D3 is hidden to protect D1 in the "only" columns (linked across)
    assert [(r["in_both"], r["only_a"], r["only_b"]) for r in t.by_district] == [
        ("<10", "suppressed", "suppressed"), (150, 120, 90), ("suppressed", "suppressed", "suppressed"),
        (500, 400, 80), ("suppressed", None, None)]
    assert _row(t, "D4")["share"] == round(500 / 980, 4)
    assert "<10" in t.rule and "suppressed" in t.rule


def test_small_totals_hide_the_totals_they_would_reveal():
    t = po.suppress(_exact({"D1": (3, 50, 40), "D2": (2, 60, 70)}, elsewhere=1), ("A", "B"), threshold=10)
    assert t.total["in_both"] == "<10"
    # each programme knows its own size, so "only A" and "only B" totals would give "in both" away
    assert t.total["only_a"] == t.total["only_b"] == "suppressed"
    assert all(r["in_both"] in ("<10", "suppressed") for r in t.by_district)


def test_nothing_is_hidden_when_every_count_is_large_or_zero():
    t = po.suppress(_exact({"D1": (0, 50, 40), "D2": (20, 60, 70)}, elsewhere=0), ("A", "B"), threshold=10)
    assert t.total == {"in_both": 20, "only_a": 110, "only_b": 110}
    assert [r["in_both"] for r in t.by_district] == [0, 20, 0]


def test_the_threshold_is_configurable():
    exact = _exact({"D1": (12, 50, 40), "D2": (30, 60, 70)}, elsewhere=0)
    assert _row(po.suppress(exact, ("A", "B"), threshold=10), "D1")["in_both"] == 12
    assert _row(po.suppress(exact, ("A", "B"), threshold=20), "D1")["in_both"] == "<20"


def test_every_output_writes_a_figure_by_one_rule():
    # the page, the PDF, the command and the map tooltip all call these two: one cell never reads two ways
    assert [po.figure(v) for v in (1_204, np.int64(1_204), 1_204.0, 0, "<10", po.SECONDARY, None)] == [
        "1,204", "1,204", "1,204", "0", "<10", "suppressed", ""]
    assert (po.share_text(0.4249), po.share_text(1.0), po.share_text(None)) == ("42%", "100%", "")
    t = po.suppress(_exact({"D1": (4, 100, 30), "D2": (1_500, 2_000, 900), "D3": (1_200, 40, 50)}, 0), ("A", "B"))
    assert po.figure(t.total["only_a"]) == "2,140" and po.figure(_row(t, "D1")["in_both"]) == "<10"
    assert 'shown as "<10"' in t.rule  # the rule states the very form the cells use
