"""Boundary sets: import from every layout, refuse bad files, download for real, and a light web copy."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from mapping.cli import main
from mapping.geo import boundaries
from mapping.geo.boundaries import BoundaryError
from tests.factories import boundaries as fb

ATTRIBUTION = ("Boundaries: Pakistan – Subnational Administrative Boundaries (COD-AB v01, 2022-09-09), "
               "WFP SDI / UN OCHA, via HDX, CC BY-IGO 3.0.")


@pytest.fixture(scope="module")
def pak_dest(shared_boundaries, tmp_path_factory):
    dest = tmp_path_factory.mktemp("pak_sets")
    boundaries.import_path(shared_boundaries, dest=dest)
    return dest


@pytest.fixture(scope="module")
def pak(pak_dest):
    return boundaries.load_set(dest=pak_dest)


# --------------------------------------------------------------------------- real Pakistan set

def test_shared_pakistan_set_imports_with_its_provenance(pak, pak_dest):
    assert re.fullmatch(r"pak-cod-ab-2022-09-09-[0-9a-f]{8}", pak.version)
    assert (len(pak.adm1), len(pak.adm2)) == (7, 160)
    assert pak.meta["counts"] == {"adm1": 7, "adm2": 160}
    assert pak.meta["attribution"] == ATTRIBUTION
    assert pak.meta["licence"] == "Creative Commons Attribution for Intergovernmental Organisations, CC BY-IGO 3.0"
    assert pak.meta["disclaimer"].startswith("The boundaries and names shown and the designations used on this map")
    assert pak.meta["source_url"] == "https://data.humdata.org/dataset/cod-ab-pak"
    assert (pak.meta["country"], pak.meta["date"]) == ("PAK", "2022-09-09")
    assert pak.adm2.crs.to_epsg() == 4326
    assert list(pak.adm2.columns) == ["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name", "geometry"]
    row = pak.adm2.set_index("adm2_pcode").loc["PK617"]
    assert (row["adm2_name"], row["adm1_pcode"], row["adm1_name"]) == ("Lahore", "PK6", "Punjab")
    assert boundaries.active_version(pak_dest) == pak.version
    assert [s["version"] for s in boundaries.list_sets(pak_dest) if s["active"]] == [pak.version]


def test_units_lists_every_district_with_its_province(pak):
    u = boundaries.units(pak)
    assert list(u.columns) == ["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]
    assert len(u) == 160 and u["adm2_pcode"].is_unique
    assert u.groupby("adm1_name").size().to_dict() == {"Azad Kashmir": 10, "Balochistan": 35, "Gilgit Baltistan": 14,
                                                       "Islamabad": 1, "Khyber Pakhtunkhwa": 35, "Punjab": 36,
                                                       "Sindh": 29}
    assert u.iloc[0].tolist() == ["PK101", "Bagh", "PK1", "Azad Kashmir"]


def test_loading_is_cached_in_the_process(pak_dest):
    a = boundaries.load_set(dest=pak_dest)
    b = boundaries.load_set(a.version, dest=pak_dest)
    assert a is b


def test_web_copy_fits_one_megabyte_without_gaps_or_overlaps(pak):
    web = boundaries.web_geojson(pak, 2)
    text = json.dumps(web, separators=(",", ":"))
    assert len(text.encode()) <= 1_000_000
    assert len(web["features"]) == 160
    assert set(web["features"][0]["properties"]) == {"adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"}
    assert web["attribution"] == ATTRIBUTION
    coords = re.findall(r"-?\d+\.(\d+)", text[text.index('"coordinates"'):][:20000])
    assert coords and max(len(c) for c in coords) <= 4
    simple = gpd.GeoDataFrame.from_features(web["features"], crs=4326)
    orig_union = shapely.union_all(pak.adm2.geometry.values)
    new_union = shapely.union_all(simple.geometry.values)
    # the outline of the country hardly moves, and no sliver opens between districts
    assert new_union.symmetric_difference(orig_union).area / orig_union.area < 0.005
    assert abs(shapely.area(simple.geometry.values).sum() - new_union.area) / new_union.area < 1e-4
    holes = sum(len(p.interiors) for p in getattr(new_union, "geoms", [new_union]))
    orig_holes = sum(len(p.interiors) for p in getattr(orig_union, "geoms", [orig_union]))
    assert holes <= orig_holes
    cached = pak.folder / "adm2_web.geojson"
    assert cached.is_file() and boundaries.web_geojson(pak, 2)["features"][5] == web["features"][5]
    provinces = boundaries.web_geojson(pak, 1)
    assert sorted(f["properties"]["adm1_pcode"] for f in provinces["features"]) == [f"PK{i}" for i in range(1, 8)]


# --------------------------------------------------------------------------- other layouts (synthetic country)

def test_tiny_country_geojson_folder(tmp_path):
    bset = boundaries.import_path(fb.tiny_country(tmp_path), dest=tmp_path / "sets")
    assert bset.version.startswith("xy-cod-ab-undated-")
    assert boundaries.units(bset)["adm2_pcode"].tolist() == ["XY0101", "XY0102", "XY0103", "XY0201", "XY0202",
                                                             "XY0203"]
    assert bset.meta["attribution"] == "Boundaries: local file xy_adm2.geojson"
    assert bset.meta["licence"].startswith("unknown")


def test_geoboundaries_zip_is_reprojected_and_linked_by_location(tmp_path):
    bset = boundaries.import_path(fb.geoboundaries_zip(tmp_path, crs=3857), dest=tmp_path / "sets")
    assert bset.version.startswith("xyz-geoboundaries-")
    assert bset.adm2.crs.to_epsg() == 4326
    assert bset.adm2.total_bounds == pytest.approx([60, 30, 66, 31], abs=1e-6)
    parents = dict(zip(bset.adm2["adm2_name"], bset.adm2["adm1_name"], strict=True))
    assert parents == {"Ashford": "Northland", "Brookvale": "Northland", "Cedar Falls": "Northland",
                       "Dunmore": "Southmark", "Eastwick": "Southmark", "Fernhill": "Southmark"}
    assert bset.meta["fields"]["adm2"]["code_field"] == "shapeID"


def test_districts_are_linked_by_pcode_prefix_before_location(tmp_path):
    adm2 = fb.district_frame().drop(columns=["adm1_pcode", "adm1_name"])
    adm2.loc[0, "geometry"] = adm2.loc[5, "geometry"]  # XY0101 drawn in the east: its code still says XY01
    adm2.to_file(tmp_path / "d.geojson", driver="GeoJSON")
    fb.province_frame().to_file(tmp_path / "p.geojson", driver="GeoJSON")
    bset = boundaries.import_files(tmp_path / "p.geojson", tmp_path / "d.geojson", dest=tmp_path / "sets")
    assert dict(zip(bset.adm2["adm2_pcode"], bset.adm2["adm1_pcode"], strict=True)) == {
        "XY0101": "XY01", "XY0102": "XY01", "XY0103": "XY01", "XY0201": "XY02", "XY0202": "XY02", "XY0203": "XY02"}


def test_districts_only_shapefile_builds_provinces_and_repairs_geometry(tmp_path):
    bset = boundaries.import_path(fb.ocha_adm2_shapefile(tmp_path, bowtie=True), dest=tmp_path / "sets")
    assert bset.adm2.is_valid.all()
    fern = bset.adm2.set_index("adm2_pcode").loc["XY0203", "geometry"]
    assert fern.area == pytest.approx(0.5)  # the bow-tie's two triangles, not zero
    areas = dict(zip(bset.adm1["adm1_name"], shapely.area(bset.adm1.geometry.values).round(3), strict=True))
    assert areas == {"Northland": 3.0, "Southmark": 2.5}
    assert bset.meta["date"] == "2024-05-01"
    assert bset.meta["fields"]["adm2"]["name_field"] == "ADM2_EN"


def test_topojson_and_geopackage_with_both_levels_in_one_file(tmp_path):
    topo = boundaries.import_path(fb.topojson_file(tmp_path), dest=tmp_path / "a")
    assert boundaries.units(topo)["adm1_name"].tolist() == ["Northland"] * 3 + ["Southmark"] * 3
    assert shapely.area(topo.adm1.geometry.values).tolist() == [3.0, 3.0]
    gpkg = tmp_path / "xy.gpkg"
    fb.province_frame().to_file(gpkg, layer="provinces", driver="GPKG")
    fb.district_frame().to_file(gpkg, layer="districts", driver="GPKG")
    bset = boundaries.import_path(gpkg, dest=tmp_path / "b")
    assert (len(bset.adm1), len(bset.adm2)) == (2, 6)
    assert bset.adm2.set_index("adm2_pcode").loc["XY0202", "adm1_name"] == "Southmark"


def test_switching_the_active_set(tmp_path, capsys):
    first = boundaries.import_path(fb.tiny_country(tmp_path))
    second = boundaries.import_path(fb.geoboundaries_zip(tmp_path))
    assert boundaries.load_set().version == second.version
    assert main(["boundaries", "use", first.version]) == 0
    assert boundaries.load_set().version == first.version
    assert [s["active"] for s in boundaries.list_sets()] == [True, False]
    assert main(["boundaries", "use", "nope"]) == 1
    assert "There is no boundary set nope" in capsys.readouterr().err


def test_duplicate_and_missing_pcodes_are_refused_with_a_clear_message(tmp_path):
    with pytest.raises(BoundaryError) as exc:
        boundaries.import_path(fb.ocha_adm2_shapefile(tmp_path / "d", duplicate=True), dest=tmp_path / "sets")
    assert exc.value.message == ("xy_admbnda_adm2_20240501.shp: p-code XY0201 is used by 2 features "
                                 "(Dunmore, Eastwick). P-codes must be unique.")
    assert exc.value.hint == "Fix the file, or name the field that holds the p-codes (the p-code field option)."
    with pytest.raises(BoundaryError) as exc:
        boundaries.import_path(fb.ocha_adm2_shapefile(tmp_path / "m", missing=True), dest=tmp_path / "sets")
    assert "1 feature(s) have no p-code in field 'ADM2_PCODE' (features 3: Cedar Falls)" in exc.value.message
    assert boundaries.list_sets(tmp_path / "sets") == []


def test_named_fields_and_a_level_for_a_single_file(tmp_path, capsys):
    path = fb.custom_fields_geojson(tmp_path)
    with pytest.raises(BoundaryError, match=r"districts_custom.geojson holds no admin-2 \(district\) layer "
                                            r"\(districts_custom.geojson: level 1\)\.$"):
        boundaries.import_path(path, dest=tmp_path / "sets")
    with pytest.raises(BoundaryError, match="could not find the admin-2 p-code field among label, ref, adm1_pcode"):
        boundaries.import_path(path, dest=tmp_path / "sets", level=2)
    rc = main(["boundaries", "import", "--from", str(path), "--name-field", "label", "--code-field", "ref",
               "--level", "2"])
    assert rc == 0
    assert "Imported 6 districts in 2 provinces as xx-custom-undated-" in capsys.readouterr().out
    assert boundaries.units(boundaries.load_set())["adm2_name"].tolist()[:2] == ["Ashford", "Brookvale"]
    rc = main(["boundaries", "import", "--from", str(path), "--name-field", "nope"])
    assert rc == 1 and "there is no field 'nope'" in capsys.readouterr().err


def test_cli_import_info_list_and_refusals(tmp_path, capsys):
    folder = fb.tiny_country(tmp_path)
    assert main(["boundaries", "import", "--from", str(folder)]) == 0
    capsys.readouterr()
    assert main(["boundaries", "info"]) == 0
    out = capsys.readouterr().out
    assert "Features:    2 provinces, 6 districts" in out
    assert "Attribution: Boundaries: local file xy_adm2.geojson" in out
    assert main(["boundaries", "list"]) == 0
    assert re.search(r"^\* xy-cod-ab-undated-\w{8}  undated  2 provinces / 6 districts", capsys.readouterr().out, re.M)
    assert main(["boundaries", "import", "--from", str(tmp_path / "missing.zip")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = fb.ocha_adm2_shapefile(tmp_path / "dup", duplicate=True)
    assert main(["boundaries", "import", "--from", str(bad)]) == 1
    assert "Import refused: " in capsys.readouterr().err
    notzip = tmp_path / "broken.zip"
    notzip.write_bytes(b"not a zip at all")
    assert main(["boundaries", "fetch", "--from", str(notzip)]) == 1
    assert "broken.zip is not a readable zip file" in capsys.readouterr().err


def test_ensure_boundaries_uses_the_configured_copy_once(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(fb.tiny_country(tmp_path)))
    first = boundaries.ensure_boundaries()
    assert first.meta["counts"] == {"adm1": 2, "adm2": 6}
    monkeypatch.setenv("STOCKTAKE_BOUNDARIES_FROM", str(tmp_path / "gone"))
    again = boundaries.ensure_boundaries()  # the active set wins; nothing is imported again
    assert again.version == first.version
    assert len(boundaries.list_sets()) == 1


# --------------------------------------------------------------------------- downloads from a local server

class _Server:
    """A throw-away HTTP server on 127.0.0.1 serving a dict of path -> bytes (or a delay)."""

    def __init__(self, routes: dict[str, bytes | float]):
        routes_ref = routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                body = routes_ref.get(self.path)
                if isinstance(body, float):
                    time.sleep(body)
                    body = b"{}"
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the time-out test)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_fetch_from_geoboundaries_api_layout(shared_boundaries, tmp_path):
    routes: dict[str, bytes | float] = {}
    for level in (1, 2):
        routes[f"/api/current/gbHumanitarian/PAK/ADM{level}/"] = json.dumps({
            "boundaryISO": "PAK", "boundaryType": f"ADM{level}", "boundarySource": "OCHA ROAP, WFP",
            "boundaryLicense": "Creative Commons Attribution for Intergovernmental Organisations",
            "boundaryYearRepresented": "2022", "sourceDataUpdateDate": "2022-09-09",
            "gjDownloadURL": f"/data/gbHumanitarian/PAK/geoBoundaries-PAK-ADM{level}.geojson"}).encode()
        routes[f"/data/gbHumanitarian/PAK/geoBoundaries-PAK-ADM{level}.geojson"] = \
            (shared_boundaries / f"pak_adm{level}.geojson").read_bytes()
    with _Server(routes) as srv:
        bset = boundaries.fetch("PAK", source="geoboundaries", base_url=srv.url, dest=tmp_path / "sets")
    assert bset.meta["counts"] == {"adm1": 7, "adm2": 160}
    assert bset.meta["source"] == "OCHA ROAP, WFP via geoBoundaries (ADM2 2022)"
    assert bset.meta["attribution"].startswith("Boundaries: OCHA ROAP, WFP via geoBoundaries (ADM2 2022), Creative")
    assert bset.meta["date"] == "2022-09-09"
    assert boundaries.active_version(tmp_path / "sets") == bset.version


def test_fetch_from_hdx_bundle_layout_and_cli(tmp_path, capsys, monkeypatch):
    folder = fb.tiny_country(tmp_path)
    bundle = tmp_path / "xyz_admin_boundaries.geojson.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    pkg = fb.hdx_package([{"name": "xyz_admin_boundaries.xlsx", "format": "XLSX", "url": "/d/x.xlsx"},
                          {"name": "xyz_admin_boundaries.geojson.zip", "format": "GeoJSON",
                           "url": "/dataset/files/xyz_admin_boundaries.geojson.zip"}], title="XYZ boundaries")
    routes = {"/api/3/action/package_show?id=cod-ab-xyz": pkg,
              "/dataset/files/xyz_admin_boundaries.geojson.zip": bundle.read_bytes()}
    with _Server(routes) as srv:
        rc = main(["boundaries", "fetch", "--country", "XYZ", "--source", "hdx", "--base-url", srv.url])
    assert rc == 0, capsys.readouterr().err
    assert "Downloaded 6 districts in 2 provinces from hdx as xyz-cod-ab-2022-09-09-" in capsys.readouterr().out
    meta = boundaries.load_set().meta
    assert meta["source"] == "XYZ boundaries (WFP SDI / OCHA), via HDX"
    assert meta["attribution"] == ("Boundaries: XYZ boundaries (WFP SDI / OCHA), via HDX (2022-09-09), Creative "
                                   "Commons Attribution for Intergovernmental Organisations")


def test_fetch_from_hdx_per_level_geojson(shared_boundaries, tmp_path):
    pkg = fb.hdx_package([{"name": f"pak_admbnda_adm{n}_wfp_20220909.geojson", "format": "GeoJSON",
                           "url": f"/files/pak_admbnda_adm{n}_wfp_20220909.geojson"} for n in (1, 2)])
    routes = {"/api/3/action/package_show?id=cod-ab-pak": pkg}
    for n in (1, 2):
        routes[f"/files/pak_admbnda_adm{n}_wfp_20220909.geojson"] = (shared_boundaries / f"pak_adm{n}.geojson").read_bytes()
    with _Server(routes) as srv:
        bset = boundaries.fetch("PAK", base_url=srv.url, dest=tmp_path / "sets")
    assert bset.version.startswith("pak-cod-ab-2022-09-09-")
    assert bset.meta["source_url"].endswith("/dataset/cod-ab-pak")
    assert boundaries.units(bset).shape == (160, 4)


def test_fetch_failures_say_what_happened(tmp_path):
    with _Server({"/api/3/action/package_show?id=cod-ab-pak": 1.0}) as srv:
        with pytest.raises(BoundaryError, match=r"did not answer within 0.3 s"):
            boundaries.fetch("PAK", base_url=srv.url, dest=tmp_path, timeout=0.3)
        with pytest.raises(BoundaryError, match=r"geoBoundaries has no ADM1 set for PAK: .*answered HTTP 404"):
            boundaries.fetch("PAK", source="geoboundaries", base_url=srv.url, dest=tmp_path)
        port = srv.url.rsplit(":", 1)[1]
    with pytest.raises(BoundaryError, match=r"Could not reach http://127.0.0.1:" + port):
        boundaries.fetch("PAK", base_url=f"http://127.0.0.1:{port}", dest=tmp_path, timeout=2)
    with pytest.raises(BoundaryError, match="not a three-letter ISO country code"):
        boundaries.fetch("Pakistan", dest=tmp_path)
    assert boundaries.list_sets(tmp_path) == []


def test_store_records_the_active_set_when_importing_from_the_cli(tmp_path, monkeypatch, capsys):
    db = tmp_path / "rec.db"
    monkeypatch.setenv("STOCKTAKE_DATABASE_URL", f"sqlite:///{db}")
    src = tmp_path / "copy"
    shutil.copytree(fb.tiny_country(tmp_path), src)
    assert main(["boundaries", "import", "--from", str(src)]) == 0
    from mapping.store import db, registry

    active = registry.active_boundary_version(db.connect())
    assert active == boundaries.active_version()
    assert Path(boundaries.load_set().folder, "meta.json").is_file()
