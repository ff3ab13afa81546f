"""The bad-boundary catalogue (issue 13): files an admin might be tricked into importing, or import by mistake.

Each case runs `python -m mapping boundaries import --from FILE` in one fresh process against a deployment
whose tiny-country set is active and which holds one organisation's return; the test checks the exit code,
the message, the peak memory and that the active set, the other sets and the stored data are unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from unittest import mock

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from mapping.geo import boundaries, files
from mapping.geo.files import BoundaryError
from tests.factories import boundaries as fb
from tests.factories.returns import row, template_return

PROJECT = Path(__file__).resolve().parents[2]
PEAK_MB = 600
ORG = "Northern Alliance for Child Welfare"
SECRET = "secret.admin@example.org"


def vrt_as_geojson(folder: Path, target: Path) -> Path:
    """A GDAL virtual layer named .geojson over the app's database: every account becomes a 'district'."""
    path = folder / "districts.geojson"
    path.write_text(f"""<OGRVRTDataSource><OGRVRTLayer name="districts">
<SrcDataSource>{target}</SrcDataSource>
<SrcSQL dialect="sqlite">select email as adm2_name, password_hash as adm2_pcode, 'XY01' as adm1_pcode,
'POLYGON((60 30,61 30,61 31,60 31,60 30))' as wkt from users</SrcSQL>
<GeometryField encoding="WKT" field="wkt"/><GeometryType>wkbPolygon</GeometryType>
</OGRVRTLayer></OGRVRTDataSource>""", encoding="utf-8")
    return path


def zipped(folder: Path, inner: Path, name: str) -> Path:
    out = folder / name
    with zipfile.ZipFile(out, "w") as zf:
        zf.write(inner, inner.name)
    return out


def line_districts(folder: Path) -> Path:
    """Districts of which one was digitised as a line (its road), so the layer's geometry type is mixed."""
    adm2 = fb.district_frame()
    geoms = list(adm2.geometry)
    geoms[3] = LineString(list(geoms[3].exterior.coords)[:3])
    path = folder / "xy_adm2_mixed.geojson"
    gpd.GeoDataFrame(adm2.drop(columns="geometry"), geometry=geoms, crs=4326).to_file(path, driver="GeoJSON")
    return path


def projected_without_crs(folder: Path) -> Path:
    """Districts in Web Mercator metres written as GeoJSON without any CRS member (so GDAL assumes WGS84)."""
    adm2 = fb.district_frame().to_crs(3857)
    data = json.loads(adm2.to_json())
    data.pop("crs", None)
    path = folder / "xy_adm2_metres.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def traversal_zip(folder: Path) -> Path:
    out = folder / "evil.zip"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("../../outside.geojson", "{}")
    return out


def vrt_named_vrt(folder: Path, target: Path) -> Path:
    path = vrt_as_geojson(folder, target)
    return path.rename(folder / "districts.vrt")


# id, builder(folder, secret_db) -> path, exit code, words in the message
CASES = [
    ("vrt-posing-as-geojson", lambda d, db: vrt_as_geojson(d, db), 1,
     ["districts.geojson was refused", "an XML file (a GDAL virtual layer"]),
    ("vrt-posing-as-geojson-in-a-zip", lambda d, db: zipped(d, vrt_as_geojson(d, db), "bnd.zip"), 1,
     ["districts.geojson was refused"]),
    ("vrt-by-its-own-name", lambda d, db: vrt_named_vrt(d, db), 1, ["'.vrt' is not read"]),
    ("a-line-among-districts", lambda d, _db: line_districts(d), 1,
     ["1 feature(s) are LineString, not polygons (features 4)"]),
    ("projected-geojson-without-crs", lambda d, _db: projected_without_crs(d), 1,
     ["is not longitude/latitude", "EPSG:4326"]),
    ("path-traversal-zip", lambda d, _db: traversal_zip(d), 1, ["holds a file outside its folder"]),
]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    from mapping import workflow
    from mapping.store import auth, db, registry
    from tests.factories.catalogue import _state

    base = tmp_path_factory.mktemp("bnd_catalogue")
    env = {"STOCKTAKE_DATABASE_URL": f"sqlite:///{base / 'stocktake.db'}", "STOCKTAKE_DATA_DIR": str(base / "data"),
           "STOCKTAKE_SHAPEFILES_DIR": str(base / "shapefiles"),
           "STOCKTAKE_BOUNDARIES_FROM": str(fb.tiny_country(base)), "STOCKTAKE_ADMIN_PASSWORD": "catalogue-admin-1"}
    secret = base / "stocktake.db"  # the app's own database: accounts with e-mails and password hashes
    with mock.patch.dict(os.environ, env):
        workflow.setup()
        engine = db.connect()
        auth.add_user(engine, db.CLI_ADMIN, email=SECRET, role="admin", password="a-long-admin-pass-1")
        registry.add_org(engine, db.CLI_ADMIN, ORG, acronym="NACW", org_type="International NGO")
        data = template_return([row(org_name="NACW", adm1_name="Southmark", adm2_name="Dunmore")])
        outcome = workflow.submit_file(engine, db.CLI_ADMIN, data, "nacw.xlsx", org=ORG)
        assert outcome.status == "stored", outcome.message
        engine.dispose()
        before = _state(ORG)
    plan = {"other_org": ORG, "cases": []}
    for case_id, build, _code, _words in CASES:
        folder = base / "files" / case_id
        folder.mkdir(parents=True)
        plan["cases"].append({"id": case_id, "argv": ["boundaries", "import", "--from", str(build(folder, secret))]})
    plan_path = base / "plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "tests.factories.catalogue", str(plan_path)], cwd=PROJECT,
                          env=os.environ | env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    return {r["id"]: r for r in results}, before, base


@pytest.mark.parametrize(("case_id", "build", "code", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_boundary_file(catalogue, case_id, build, code, words):
    results, before, base = catalogue
    got = results[case_id]
    said = got["stdout"] + got["stderr"]
    assert got["code"] == code, said
    for word in words:
        assert word in said, said
    assert "Traceback" not in said and SECRET not in said
    assert got["peak_mb"] <= PEAK_MB
    assert got["state"] == before  # the active set, every other set and all stored data unchanged
    stored = "".join(p.read_text(errors="ignore") for p in (base / "shapefiles").rglob("*") if p.is_file()
                     and p.suffix in (".json", ".geojson", ".csv"))
    assert SECRET not in stored


def test_nested_zips_share_one_unpack_budget(tmp_path, monkeypatch):
    """Two inner zips, each within the cap alone, together over it: refused before the second is unpacked."""
    inner_dir = tmp_path / "inner"
    inner_dir.mkdir()
    for name in ("a", "b"):
        with zipfile.ZipFile(inner_dir / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"{name}/pad.txt", b"0" * 600_000)
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        for name in ("a", "b"):
            zf.write(inner_dir / f"{name}.zip", f"{name}.zip")
    monkeypatch.setattr(files, "MAX_ZIP_BYTES", 1_000_000)
    with pytest.raises(BoundaryError) as err:
        boundaries.import_path(outer, dest=tmp_path / "sets")
    assert "more than is left of the" in str(err.value) and "nested zips included" in str(err.value)


def test_each_format_opens_only_with_its_own_driver(tmp_path):
    folder = fb.tiny_country(tmp_path)
    assert files.check_format(folder / "xy_adm2.geojson") == "GeoJSON"
    shp = fb.ocha_adm2_shapefile(tmp_path / "s")
    bset = boundaries.import_path(shp, dest=tmp_path / "sets")
    assert bset.meta["counts"]["adm2"] == 6
    fake = tmp_path / "fake.gpkg"
    fake.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)  # a plain SQLite database, not a GeoPackage
    with pytest.raises(BoundaryError) as err:
        files.check_format(fake)
    assert "its name says GPKG but its content is not what its name says" in str(err.value)
