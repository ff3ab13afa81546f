"""How fast and how right the matching of place names is.

1. The collected corpus (`tests/corpus/places_PAK.csv`: real-world spellings with the truth, blank truth =
   must not be matched automatically) against the real Pakistan boundary set:
     place_corpus_rows, place_auto_precision (target 100 %), place_auto_recall (target >= 99 %), and per
     step of the cascade: place_step_<name>_matched, _precision, _recall (share of rows with a truth).
2. N generated pairs (default 100,000) with the misspellings focal points make (case, filler words,
   abbreviations, provinces as KPK/AJK/GB, one typo in a fifth of the names):
     match_build_seconds, match_seconds (target <= 0.5 s for 100,000 pairs: each distinct pair is matched
     once; match_cpu_seconds: the same in CPU seconds), match_accuracy, match_auto_precision (must be 100 %).
3. Organisation names (`tests/corpus/organisations.csv`) against the starter list `data/organisations.csv`:
     org_corpus_rows, org_precision (target 100 %), org_recall (target >= 95 %), and per method.
Usage: python bench/match.py [--scale N]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
from collections import Counter
from pathlib import Path

from _common import ROOT, SHARED_BOUNDARIES, emit, timed

from mapping.geo import boundaries, gazetteer
from mapping.geo.gazetteer import Gazetteer

PROVINCE_FORMS = {"Khyber Pakhtunkhwa": ["KPK", "KP", "Khyber Pakhtunkhwa", "NWFP"],
                  "Azad Kashmir": ["AJK", "Azad Jammu & Kashmir", "Azad Kashmir"],
                  "Gilgit Baltistan": ["GB", "Gilgit-Baltistan"], "Islamabad": ["ICT", "Islamabad"],
                  "Balochistan": ["Balochistan", "Baluchistan"], "Sindh": ["Sindh", "SINDH"],
                  "Punjab": ["Punjab", "punjab"]}
KNOWN_FORMS = {"Dera Ghazi Khan": ["D.G. Khan", "DG Khan"], "D. I. Khan": ["D.I.Khan", "Dera Ismail Khan"],
               "Shaheed Benazir Abad": ["Nawabshah", "Shaheed Benazirabad"], "Leiah": ["Layyah"],
               "Kambar Shahdad Kot": ["Qambar Shahdadkot"], "Toba Tek Singh": ["T.T. Singh"],
               "Rahim Yar Khan": ["R.Y. Khan"], "Killa Abdullah": ["Qila Abdullah"], "East Karachi": ["Karachi East"]}


def typo(name: str, rng: random.Random) -> str:
    """One slip of the keyboard: a dropped, doubled or swapped letter inside a long word."""
    i = rng.randrange(1, max(2, len(name) - 2))
    if not name[i].isalpha() or len(name) < 7 or "." in name:
        return name
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        return name[:i] + name[i + 1:]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def make_pairs(units, n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    rows = units.to_dict("records")
    out = []
    for _ in range(n):
        u = rng.choice(rows)
        name = rng.choice(KNOWN_FORMS.get(u["adm2_name"], []) + [u["adm2_name"]] * 2)
        r = rng.random()
        if r < 0.2:
            name = typo(name, rng)
        elif r < 0.35:
            name = name.upper() + " District"
        elif r < 0.45:
            name = "Distt. " + name.lower()
        prov = rng.choice(PROVINCE_FORMS.get(u["adm1_name"], [u["adm1_name"]]))
        if rng.random() < 0.05:
            prov = ""
        out.append((prov, name, u["adm2_pcode"]))
    return out


def place_corpus(gaz: Gazetteer, units) -> None:
    """Precision and recall on the collected corpus, overall and for each step of the cascade."""
    path = ROOT / "tests" / "corpus" / "places_PAK.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    truth = dict(zip(units["adm2_name"], units["adm2_pcode"], strict=True))
    with_truth = sum(1 for r in rows if r["truth"])
    matched, right = Counter(), Counter()
    for r in rows:
        m = gaz.match(r["province"] or None, r["district"])
        if m.status == "matched":
            matched[m.step] += 1
            right[m.step] += m.adm2_pcode == truth.get(r["truth"])
    emit("place_corpus_rows", len(rows), "rows")
    emit("place_auto_precision", 100.0 * sum(right.values()) / max(sum(matched.values()), 1), "%")
    emit("place_auto_recall", 100.0 * sum(right.values()) / max(with_truth, 1), "%")
    for step in gazetteer.STEPS:
        name = step.__name__.removeprefix("step_")
        if matched[name]:
            emit(f"place_step_{name}_matched", matched[name], "rows")
            emit(f"place_step_{name}_precision", 100.0 * right[name] / matched[name], "%")
            emit(f"place_step_{name}_recall", 100.0 * right[name] / max(with_truth, 1), "%")


def org_corpus(gaz: Gazetteer) -> None:
    """Precision and recall of organisation matching, overall and per method, with the boundary set's places."""
    from mapping.returns.organisations import STARTER_LIST, OrgIndex, read_org_list

    orgs = [o | {"id": i} for i, o in enumerate(read_org_list(STARTER_LIST.read_text(encoding="utf-8")), start=1)]
    index = OrgIndex(orgs, gaz.place_names())
    with (ROOT / "tests" / "corpus" / "organisations.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    matched, right = Counter(), Counter()
    for r in rows:
        m = index.match(r["organisation"])
        if m.status == "matched":
            matched[m.method] += 1
            right[m.method] += m.org_name == r["truth"]
    with_truth = sum(1 for r in rows if r["truth"])
    emit("org_corpus_rows", len(rows), "rows")
    emit("org_precision", 100.0 * sum(right.values()) / max(sum(matched.values()), 1), "%")
    emit("org_recall", 100.0 * sum(right.values()) / max(with_truth, 1), "%")
    for method in sorted(matched):
        emit(f"org_method_{method}_matched", matched[method], "rows")
        emit(f"org_method_{method}_precision", 100.0 * right[method] / matched[method], "%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000, help="number of (province, district) pairs")
    args = parser.parse_args()
    dest = Path(tempfile.mkdtemp(prefix="stocktake-bench-"))
    bset = boundaries.import_path(SHARED_BOUNDARIES, dest=dest)
    units = boundaries.units(bset)
    pairs = make_pairs(units, args.scale)
    pak = Gazetteer.from_units(units, country=bset.meta["country"])
    place_corpus(pak, units)
    org_corpus(pak)
    with timed("match_build_seconds"):
        gaz = Gazetteer.from_units(units, country=bset.meta["country"])
    with timed() as t:
        matches = gaz.match_many((p, d) for p, d, _ in pairs)
    emit("match_seconds", t["seconds"], "s")
    emit("match_cpu_seconds", t["cpu"], "s")
    emit("match_distinct_pairs", len({(p, d) for p, d, _ in pairs}), "pairs")
    auto = [(m, truth) for m, (_, _, truth) in zip(matches, pairs, strict=True) if m.status == "matched"]
    right = sum(1 for m, truth in auto if m.adm2_pcode == truth)
    emit("match_accuracy", 100.0 * right / len(pairs), "%")
    emit("match_auto_precision", 100.0 * right / max(len(auto), 1), "%")
    emit("match_unresolved_with_truth_suggested", 100.0 * sum(
        1 for m, (_, _, truth) in zip(matches, pairs, strict=True)
        if m.status != "matched" and truth in [c["adm2_pcode"] for c in m.candidates]) / max(len(pairs) - len(auto), 1),
         "%")


if __name__ == "__main__":
    main()
