"""PDF snapshot speed: the full-country snapshot over Pakistan's 160 real districts.

    python bench/report.py [--scale N]     # N activities (default 10,000); target: at most 10 s

Prints report_seconds (build_snapshot alone, boundary simplification included), report_pages, report_bytes,
and export_xlsx_seconds for the dataset export of the same activities.
"""

from __future__ import annotations

import argparse
import io
import sys
from types import SimpleNamespace

from _common import SHARED_BOUNDARIES, emit, timed


def load_boundaries():
    """The shared Pakistan set, through `mapping.boundaries` when it exists, else read directly."""
    import geopandas as gpd

    meta = {"attribution": "Boundaries: Pakistan – Subnational Administrative Boundaries (COD-AB v01, 2022-09-09), "
                           "WFP SDI / UN OCHA, via HDX, CC BY-IGO 3.0.",
            "disclaimer": "The boundaries and names shown and the designations used on this map do not imply "
                          "official endorsement or acceptance by the United Nations."}
    adm1 = gpd.read_file(SHARED_BOUNDARIES / "pak_adm1.geojson")
    adm2 = gpd.read_file(SHARED_BOUNDARIES / "pak_adm2.geojson")
    bset = SimpleNamespace(version="bench-pak-2022-09-09", meta=meta, adm1=adm1, adm2=adm2)
    units = adm2[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]].copy()
    return bset, units


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=10_000, help="number of activities (default 10,000)")
    args = ap.parse_args()
    if not (SHARED_BOUNDARIES / "pak_adm2.geojson").exists():
        print(f"real boundaries not found at {SHARED_BOUNDARIES}", file=sys.stderr)
        return 2
    from pypdf import PdfReader

    from mapping.outputs import export, report
    from tests.factories.report import generated

    bset, units = load_boundaries()
    acts = generated(units, args.scale, orgs=60)
    missing = ["Partner 61 (fictional)", "Partner 62 (fictional)"]
    with timed() as t:
        pdf = report.build_snapshot(acts, units, bset, title="Development Partners Group (benchmark)",
                                    round_name="2026 Q1", returns_count=60, missing_orgs=missing,
                                    data_version="bench0001", sectors=[], sector_maps=["Health"], demo=True)
    emit("report_seconds", t["seconds"], "s")
    emit("report_pages", len(PdfReader(io.BytesIO(pdf)).pages), "pages")
    emit("report_bytes", len(pdf), "bytes")
    with timed() as t:
        export.dataset_xlsx(acts)
    emit("export_xlsx_seconds", t["seconds"], "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
