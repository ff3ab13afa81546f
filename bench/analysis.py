"""Analysis speed: every matrix, the gaps and the overlaps for one filter change.

    python bench/analysis.py [--scale N]

Generates 200,000 activities (× scale) by 100 partners over the real 160 districts (../shared/boundaries when
present, else a synthetic country). The data is prepared once (as the app does per data version); then one
filter change re-runs all matrices + presence + gaps + thin coverage + overlaps. Target: total ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from _common import SHARED_BOUNDARIES, emit, timed

from mapping.analysis import matrices as an
from mapping.analysis.headlines import headlines
from mapping.returns import schema


def load_units() -> pd.DataFrame:
    path = SHARED_BOUNDARIES / "pak_adm2.geojson"
    if path.exists():
        feats = json.loads(path.read_text(encoding="utf-8"))["features"]
        return pd.DataFrame([{k: f["properties"][k] for k in ("adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name")}
                             for f in feats])
    rows = [(f"X{p}{d:02d}", f"District {p}-{d}", f"X{p}", f"Province {p}") for p in range(1, 8) for d in range(23)]
    return pd.DataFrame(rows[:160], columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"])


def make_acts(units: pd.DataFrame, n: int, partners: int = 100, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vocab = schema.load_vocabularies()
    pairs = [(s, sub) for s, sub, _ in vocab.sectors if sub]
    pick = rng.integers(0, len(pairs), n)
    uidx = rng.integers(0, len(units), n)
    wide = rng.random(n)
    scope = np.where(wide < 0.03, "national", np.where(wide < 0.08, "province", "district"))
    adm2 = units["adm2_pcode"].to_numpy()[uidx].astype(object)
    adm2_name = units["adm2_name"].to_numpy()[uidx].astype(object)
    adm1 = units["adm1_pcode"].to_numpy()[uidx].astype(object)
    adm1_name = units["adm1_name"].to_numpy()[uidx].astype(object)
    adm2[scope != "district"] = None
    adm2_name[scope != "district"] = None
    adm1[scope == "national"] = None
    adm1_name[scope == "national"] = None
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(30, 700, n), unit="D")
    end = end.where(rng.random(n) > 0.1)  # 10 % ongoing
    orgs = np.array([f"Partner {i:03d}" for i in range(partners)], dtype=object)
    df = pd.DataFrame({
        "org_name": orgs[rng.integers(0, partners, n)], "org_type": rng.choice(["NGO", "INGO", "UN agency"], n),
        "sector": [pairs[i][0] for i in pick], "subsector": [pairs[i][1] for i in pick],
        "activity": "Activity", "project": np.array([f"Programme {i}" for i in range(300)], dtype=object)[
            rng.integers(0, 300, n)],
        "adm1_pcode": adm1, "adm1_name": adm1_name, "adm2_pcode": adm2, "adm2_name": adm2_name, "scope": scope,
        "status": rng.choice(["ongoing", "planned", "completed"], n), "start_date": start, "end_date": end,
        "targeted": rng.integers(100, 10000, n).astype(float), "reached": rng.integers(0, 5000, n).astype(float),
        "budget": rng.integers(1000, 10**6, n).astype(float), "org_funder": rng.choice(["ECHO", "FCDO", "World Bank"], n),
    })
    for name in schema.FIELD_NAMES:
        if name not in df.columns:
            df[name] = None
    df["round_name"] = "2025"
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    units = load_units()
    sectors = schema.load_vocabularies().sector_names
    n = int(200_000 * args.scale)
    acts = make_acts(units, n)
    emit("activities", n, "rows")
    emit("districts", len(units), "units")
    with timed("prepare_seconds"):
        prepared = an.prepare(acts, units)
    f = an.Filters(period_start="2024-01-01", period_end="2025-12-31", statuses=("ongoing", "planned"))
    cpu = time.process_time()
    with timed() as total:
        with timed("filter_seconds"):
            an.apply_filters(prepared, f)
        for rows, cols, measure in (("partner", "district", "partners"), ("sector", "district", "partners"),
                                    ("partner", "sector", "activities"), ("subsector", "province", "partners"),
                                    ("district", "sector", "targeted")):
            with timed(f"matrix_{rows}_{cols}_{measure}_seconds"):
                an.matrix(prepared, units, rows=rows, cols=cols, measure=measure, filters=f, sectors=sectors)
        with timed("gaps_seconds"):
            an.gaps(prepared, units, sectors, filters=f)
        with timed("thin_coverage_seconds"):
            an.thin_coverage(prepared, units, sectors, filters=f)
        with timed("overlaps_seconds"):
            ov = an.overlaps(prepared, filters=f, min_partners=2, units=units)
    emit("total_seconds", total["seconds"], "s")
    # CPU time of this process: the same figure without other programmes competing for the cores.
    emit("total_cpu_seconds", time.process_time() - cpu, "s")
    emit("overlap_cells", len(ov), "cells")
    with timed("district_summary_seconds"):
        an.district_summary(prepared, units, filters=f, sectors=sectors)
    with timed("headlines_seconds"):
        headlines(prepared, units, sectors, filters=f)


if __name__ == "__main__":
    main()
