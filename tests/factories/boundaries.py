"""A fictional two-province country ("XY") in the layouts real publishers use, for boundary and matching tests.

Six 1°×1° districts in a row at 60–66°E, 30–31°N: provinces XY01 Northland (three western squares) and
XY02 Southmark (three eastern squares). Other engineers' tests use `tiny_country(tmp_path)`.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Polygon, box

PROVINCES = [("XY01", "Northland"), ("XY02", "Southmark")]
DISTRICTS = [  # adm2_pcode, adm2_name, adm1_pcode
    ("XY0101", "Ashford", "XY01"), ("XY0102", "Brookvale", "XY01"), ("XY0103", "Cedar Falls", "XY01"),
    ("XY0201", "Dunmore", "XY02"), ("XY0202", "Eastwick", "XY02"), ("XY0203", "Fernhill", "XY02"),
]
PROVINCE_NAMES = dict(PROVINCES)


def district_frame() -> gpd.GeoDataFrame:
    rows = []
    for i, (pc, name, p1) in enumerate(DISTRICTS):
        rows.append({"adm0_pcode": "XY", "adm1_pcode": p1, "adm1_name": PROVINCE_NAMES[p1], "adm2_pcode": pc,
                     "adm2_name": name, "geometry": box(60 + i, 30, 61 + i, 31)})
    return gpd.GeoDataFrame(rows, crs=4326)


def province_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame([{"adm0_pcode": "XY", "adm1_pcode": "XY01", "adm1_name": "Northland",
                              "geometry": box(60, 30, 63, 31)},
                             {"adm0_pcode": "XY", "adm1_pcode": "XY02", "adm1_name": "Southmark",
                              "geometry": box(63, 30, 66, 31)}], crs=4326)


def tiny_country(tmp_path: Path) -> Path:
    """A folder with xy_adm1.geojson and xy_adm2.geojson in OCHA's lower-case field style."""
    folder = Path(tmp_path) / "tiny_country"
    folder.mkdir(parents=True, exist_ok=True)
    province_frame().to_file(folder / "xy_adm1.geojson", driver="GeoJSON")
    district_frame().to_file(folder / "xy_adm2.geojson", driver="GeoJSON")
    return folder


def _zip_shapefile(folder: Path, stem: str, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w") as zf:
        for f in sorted(folder.glob(stem + ".*")):
            zf.write(f, f.name)
    return zip_path


def geoboundaries_zip(tmp_path: Path, *, crs: int = 3857) -> Path:
    """Both levels as zipped shapefiles with geoBoundaries fields (shapeName/shapeID, no nested codes), reprojected."""
    work = Path(tmp_path) / "gb_work"
    work.mkdir(parents=True, exist_ok=True)
    adm2 = district_frame()
    gb2 = gpd.GeoDataFrame({"shapeName": adm2["adm2_name"], "shapeID": [f"XY-ADM2-{900 + i}" for i in range(6)],
                            "shapeGroup": "XYZ", "shapeType": "ADM2"}, geometry=adm2.geometry, crs=4326).to_crs(crs)
    adm1 = province_frame()
    gb1 = gpd.GeoDataFrame({"shapeName": adm1["adm1_name"], "shapeID": ["XY-ADM1-17", "XY-ADM1-18"],
                            "shapeGroup": "XYZ", "shapeType": "ADM1"}, geometry=adm1.geometry, crs=4326).to_crs(crs)
    gb2.to_file(work / "geoBoundaries-XYZ-ADM2.shp")
    gb1.to_file(work / "geoBoundaries-XYZ-ADM1.shp")
    out = Path(tmp_path) / "geoBoundaries-XYZ-all.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for f in sorted(work.glob("geoBoundaries-XYZ-ADM*.*")):
            zf.write(f, f"geoBoundaries-XYZ/{f.name}")
    return out


def ocha_adm2_shapefile(tmp_path: Path, *, bowtie: bool = False, duplicate: bool = False,
                        missing: bool = False) -> Path:
    """Only the district layer, OCHA upper-case fields (ADM2_EN, ADM2_PCODE, ADM1_PCODE, ADM1_EN), zipped."""
    work = Path(tmp_path) / "ocha_work"
    work.mkdir(parents=True, exist_ok=True)
    adm2 = district_frame()
    gdf = gpd.GeoDataFrame({"ADM2_EN": adm2["adm2_name"], "ADM2_PCODE": adm2["adm2_pcode"],
                            "ADM1_EN": adm2["adm1_name"], "ADM1_PCODE": adm2["adm1_pcode"],
                            "ADM0_PCODE": "XY", "validOn": "2024-05-01"}, geometry=adm2.geometry, crs=4326)
    if bowtie:  # a self-intersecting ring, as hand-digitised files often have
        gdf.loc[5, "geometry"] = Polygon([(65, 30), (66, 31), (66, 30), (65, 31), (65, 30)])
    if duplicate:
        gdf.loc[4, "ADM2_PCODE"] = "XY0201"
    if missing:
        gdf.loc[2, "ADM2_PCODE"] = None
    gdf.to_file(work / "xy_admbnda_adm2_20240501.shp")
    return _zip_shapefile(work, "xy_admbnda_adm2_20240501", Path(tmp_path) / "xy_adm2_shp.zip")


def custom_fields_geojson(tmp_path: Path) -> Path:
    """District names and codes in fields no publisher uses, for --name-field/--code-field."""
    adm2 = district_frame()
    gdf = gpd.GeoDataFrame({"label": adm2["adm2_name"], "ref": adm2["adm2_pcode"],
                            "adm1_pcode": adm2["adm1_pcode"], "adm1_name": adm2["adm1_name"]},
                           geometry=adm2.geometry, crs=4326)
    path = Path(tmp_path) / "districts_custom.geojson"
    gdf.to_file(path, driver="GeoJSON")
    return path


def hdx_package(resources: list[dict], *, title: str = "Pakistan - Subnational Administrative Boundaries") -> bytes:
    """What HDX's CKAN `package_show` answers, reduced to the fields the importer reads."""
    return json.dumps({"success": True, "result": {
        "name": "cod-ab-pak", "title": title, "dataset_source": "WFP SDI / OCHA",
        "license_title": "Creative Commons Attribution for Intergovernmental Organisations",
        "dataset_date": "[2022-09-09T00:00:00 TO 2022-09-09T23:59:59]", "resources": resources}}).encode()


def topojson_file(tmp_path: Path) -> Path:
    """Both levels as two objects of one TopoJSON topology (districts share their arcs with nothing: simple)."""
    arcs: list = []
    objects: dict = {}
    for obj, frame, cols in (("xy_adm1", province_frame(), ["adm1_pcode", "adm1_name"]),
                             ("xy_adm2", district_frame(), ["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"])):
        geoms = []
        for _, row in frame.iterrows():
            arcs.append([list(c) for c in row.geometry.exterior.coords])
            geoms.append({"type": "Polygon", "arcs": [[len(arcs) - 1]], "properties": {c: row[c] for c in cols}})
        objects[obj] = {"type": "GeometryCollection", "geometries": geoms}
    path = Path(tmp_path) / "xy_admin.topojson"
    path.write_text(json.dumps({"type": "Topology", "objects": objects, "arcs": arcs}), encoding="utf-8")
    return path
