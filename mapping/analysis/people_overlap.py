"""How many people two programmes both reach, from their keyed-hash lists, with small counts suppressed.

The exact counts (`count`) never leave the engine: only `suppress` output is shown, exported or put in a PDF.
A district's figures count people both programmes list *in that district*; people in both lists but listed in
different districts form one extra row, so each column adds up to its total. Suppression:

1. primary: a count from 1 to threshold − 1 is shown as "< threshold" (0 is shown: it discloses no one);
2. linked: when one figure of a row is hidden, the row's other figures are hidden too, because each programme
   knows its own number of people there and could subtract;
3. secondary: in each column, hidden cells must be at least two and add up to at least the threshold, else the
   next smallest shown cell is hidden as well (or, when none is left, the total), so no total gives a hidden
   cell away. Rules 2 and 3 repeat until nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mapping.returns.pseudonymise import HashedList

COLUMNS = ("in_both", "only_a", "only_b")
ELSEWHERE = "different districts"  # the row of people in both lists but listed in different districts
SECONDARY = "suppressed"


@dataclass(frozen=True)
class ExactOverlap:
    """The true counts; engine-internal (never shown): per district, the cross-district row, and totals."""

    people_a: int
    people_b: int
    in_both: int
    by_district: dict[str, dict[str, int]]   # pcode -> {in_both, only_a, only_b, people}
    elsewhere: int                            # in both lists, listed in different districts


@dataclass
class OverlapTable:
    """What anyone may see: figures as int, "<10" (primary) or "suppressed" (secondary or linked)."""

    programmes: tuple[str, str]
    threshold: int
    total: dict[str, int | str]
    by_district: list[dict] = field(default_factory=list)  # adm2_pcode, in_both, only_a, only_b, share
    round_name: str | None = None
    rule: str = ""

    def to_json(self) -> dict:
        return {"programmes": list(self.programmes), "round": self.round_name, **self.total,
                "threshold": self.threshold, "by_district": self.by_district, "suppression": self.rule}


def _matches(a: HashedList, b: HashedList) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (ia, ib) of the people in both lists, exactly (all 16 bytes compared)."""
    if not len(a) or not len(b):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ha, hb = a.hashes.view(">u8"), b.hashes.view(">u8")
    hi_a, hi_b = ha[:, 0], hb[:, 0]
    if (np.diff(hi_a) > 0).all() and (np.diff(hi_b) > 0).all():
        _, ia, ib = np.intersect1d(hi_a, hi_b, assume_unique=True, return_indices=True)
        keep = ha[ia, 1] == hb[ib, 1]
        return ia[keep], ib[keep]
    # two people sharing the first 8 bytes inside one list (chance ~1e-7 at 2 million): compare whole hashes
    va, vb = a.hashes.view("V16").ravel(), b.hashes.view("V16").ravel()
    _, ia, ib = np.intersect1d(va, vb, assume_unique=True, return_indices=True)
    return ia, ib


def count(a: HashedList, b: HashedList) -> ExactOverlap:
    """Exact counts of people in both lists and in each only, by district (see the module docstring)."""
    pcodes = sorted(set(a.pcodes) | set(b.pcodes))
    index = {p: i for i, p in enumerate(pcodes)}
    da = np.asarray([index[p] for p in a.pcodes], dtype=np.int64)[a.districts] if len(a) else np.empty(0, np.int64)
    db = np.asarray([index[p] for p in b.pcodes], dtype=np.int64)[b.districts] if len(b) else np.empty(0, np.int64)
    ia, ib = _matches(a, b)
    k = len(pcodes)
    in_a = np.zeros(len(a), bool)
    in_a[ia] = True
    in_b = np.zeros(len(b), bool)
    in_b[ib] = True
    same = da[ia] == db[ib]
    both = np.bincount(da[ia][same], minlength=k)
    only_a = np.bincount(da[~in_a], minlength=k)
    only_b = np.bincount(db[~in_b], minlength=k)
    listed_a, listed_b = np.bincount(da, minlength=k), np.bincount(db, minlength=k)
    by = {p: {"in_both": int(both[i]), "only_a": int(only_a[i]), "only_b": int(only_b[i]),
              "people": int(listed_a[i] + listed_b[i] - both[i])} for i, p in enumerate(pcodes)}
    return ExactOverlap(len(a), len(b), int(len(ia)), by, int((~same).sum()))


def suppress(exact: ExactOverlap, programmes: tuple[str, str], *, threshold: int = 10,
             round_name: str | None = None) -> OverlapTable:
    """The shareable table: primary, linked and secondary suppression as the module docstring says."""
    threshold = max(1, int(threshold))
    pcodes = sorted(exact.by_district)
    rows = [[exact.by_district[p][c] for c in COLUMNS] for p in pcodes]
    rows.append([exact.elsewhere, None, None])
    total = [exact.in_both, exact.people_a - exact.in_both, exact.people_b - exact.in_both]
    values = [*rows, total]  # the last row is the total
    hidden = [[v is not None and 0 < v < threshold for v in row] for row in values]
    primary = [list(h) for h in hidden]
    last = len(values) - 1
    changed = True
    while changed:
        changed = False
        for r, row in enumerate(values):  # linked: a row shows all its figures or none
            if any(hidden[r]) and not all(hidden[r][c] or row[c] is None for c in range(3)):
                hidden[r] = [row[c] is not None for c in range(3)]
                changed = True
        for c in range(3):  # secondary: per column, hidden cells must not be recoverable from the total
            if hidden[last][c]:
                continue
            cells = [r for r in range(last) if values[r][c] is not None and hidden[r][c]]
            if not cells or (len(cells) >= 2 and sum(values[r][c] for r in cells) >= threshold):
                continue
            shown = [r for r in range(last) if values[r][c] is not None and not hidden[r][c] and values[r][c] > 0]
            target = min(shown, key=lambda r: values[r][c]) if shown else last
            hidden[target] = [values[target][k] is not None for k in range(3)]  # linked at once
            changed = True
    small = f"<{threshold}"

    def cell(r: int, c: int) -> int | str | None:
        if values[r][c] is None:
            return None
        if hidden[r][c]:
            return small if primary[r][c] else SECONDARY
        return int(values[r][c])

    by_district = []
    for r, p in enumerate(pcodes):
        item = {"adm2_pcode": p, **{col: cell(r, c) for c, col in enumerate(COLUMNS)}}
        people = exact.by_district[p]["people"]
        both = item["in_both"]
        item["share"] = round(both / people, 4) if isinstance(both, int) and people >= threshold else None
        by_district.append(item)
    by_district.append({"adm2_pcode": None, "label": ELSEWHERE, "in_both": cell(last - 1, 0), "only_a": None,
                        "only_b": None, "share": None})
    return OverlapTable(programmes, threshold, {col: cell(last, c) for c, col in enumerate(COLUMNS)}, by_district,
                        round_name, rule_text(threshold))


def figure(value: int | str | None) -> str:
    """A figure as every output writes it (page, PDF, command line, map tooltip): whole numbers with thousands
    separated ("1,204"), a hidden one as suppression left it ("<10", "suppressed"), blank where none applies.
    One rule, so the screen, the paper and the shell never show one cell two ways."""
    if value is None:
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)


def share_text(share: float | None) -> str:
    """A district's share in both as every output writes it ("42%"), blank where it may not be shown."""
    return "" if share is None else f"{share:.0%}"


NO_OVERLAP_NOTE = ("Nobody is in both lists. If you expected people in common, check that both programmes hashed "
                   "with the same key: lists hashed with different keys never match.")


def rule_text(threshold: int) -> str:
    """The suppression rule in one sentence, stated wherever the figures appear."""
    return (f"Counts from 1 to {threshold - 1} are shown as \"<{threshold}\"; where a hidden count could be worked "
            f"out from a total or from a programme's own numbers, further figures are shown as \"{SECONDARY}\".")
