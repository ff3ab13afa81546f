"""An absurd figure that reached the store before ingest refused them (1e308 people, inf) must not break
the outputs: GeoJSON stays valid JSON, spreadsheets hold an empty cell, matrix totals stay numbers."""

from __future__ import annotations

import io
import json
import math
from types import SimpleNamespace

import pandas as pd
from openpyxl import load_workbook

from mapping.analysis import matrices
from mapping.outputs import export
from tests.factories.report import activity, frame

INF = float("inf")


def _strict_json(data: bytes):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(data, parse_constant=refuse)


def test_coverage_geojson_never_writes_infinity():
    import geopandas as gpd
    from shapely.geometry import box

    adm2 = gpd.GeoDataFrame({"adm2_pcode": ["PK617"], "adm2_name": ["Lahore"], "adm1_pcode": ["PK6"],
                             "adm1_name": ["Punjab"]}, geometry=[box(74, 31, 75, 32)], crs="EPSG:4326")
    bset = SimpleNamespace(version="t", adm2=adm2, adm1=None, meta={})
    summary = pd.DataFrame({"adm2_pcode": ["PK617"], "partners": [1], "targeted": [INF], "budget": [-INF]})
    props = _strict_json(export.coverage_geojson(bset, summary))["features"][0]["properties"]
    assert props["targeted"] is None and props["budget"] is None and props["partners"] == 1


def test_dataset_exports_leave_infinite_figures_empty():
    acts = frame([activity(targeted=INF, reached=400.0), activity(org_name="Beta Aid", targeted=1000.0)])
    wb = load_workbook(io.BytesIO(export.dataset_xlsx(acts)))
    ws = wb.worksheets[0]
    header = next(r for r in ws.iter_rows(values_only=True) if r and "Beneficiaries targeted" in r)
    col = header.index("Beneficiaries targeted")
    values = [r[col] for r in ws.iter_rows(values_only=True) if r and r[0] in ("Alpha Relief", "Beta Aid")]
    assert values == [None, 1000]
    text = export.dataset_csv(acts).decode("utf-8-sig")
    assert "inf" not in text.lower()


def test_matrix_sum_total_is_a_number_when_a_figure_is_infinite():
    acts = frame([activity(targeted=INF), activity(org_name="Beta Aid", targeted=1000.0),
                  activity(org_name="Gamma Aid", targeted=2000.0)])
    units = pd.DataFrame([("PK617", "Lahore", "PK6", "Punjab")],
                         columns=["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"])
    m = matrices.matrix(acts, units, rows="partner", cols="sector", measure="targeted", beneficiaries="sum")
    total = m.loc[matrices.TOTAL, matrices.TOTAL]
    assert math.isfinite(total) and total == 3000.0
