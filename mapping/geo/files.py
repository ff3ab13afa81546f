"""Reading third-party boundary files into Stocktake's standard layers.

Boundary files come from many publishers (OCHA COD-AB in two field styles, geoBoundaries, national
agencies) and in many containers (shapefile, zip, GeoJSON, TopoJSON, GeoPackage). Everything downstream
wants one shape: EPSG:4326 polygons with `adm1_pcode, adm1_name[, adm2_pcode, adm2_name]`. This module
does that translation and refuses, with a message a secretariat can act on, files that would give a map
with two districts under one code or a district with no code.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio.errors
import shapely

from mapping.errors import StocktakeError

VECTOR_SUFFIXES = (".shp", ".geojson", ".json", ".topojson", ".gpkg")
SKIP_WORDS = ("line", "point", "centroid", "capital", "label")
MAX_ZIP_BYTES = 2_000_000_000


class BoundaryError(StocktakeError):
    """A boundary file that cannot be used, with the reason in plain words."""


class NoBoundariesError(BoundaryError):
    """No boundary set has been imported yet: a normal state before set-up, unlike a damaged set."""


# What reading a vector file can raise: GDAL's own errors, the OS, and pyogrio's checks of what it was given.
GDAL_ERRORS: tuple[type[Exception], ...] = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
                                            pyogrio.errors.FieldError, pyogrio.errors.FeatureError,
                                            pyogrio.errors.GeometryError, pyogrio.errors.CRSError, OSError, ValueError)
NAME_CODES = "Fix the file, or name the field that holds the p-codes (the p-code field option)."
IMPORT_ONE = "An admin imports one on the Admin page (Boundaries tab)."
IMPORT_ONE_CLI = "Or: python -m mapping boundaries fetch --country ISO3, or boundaries import --from PATH."


@dataclass
class LevelFile:
    """One candidate file (or GeoPackage layer) and the admin level it holds."""

    path: Path
    level: int | None
    layer: str | None = None


def code_candidates(level: int) -> list[str]:
    """Field names publishers use for a level's p-code, best first."""
    return [f"adm{level}_pcode", f"ADM{level}_PCODE", f"admin{level}Pcode", f"ADM{level}_CODE", f"adm{level}_code",
            f"GID_{level}", "shapeID", "pcode", "PCODE"]


def name_candidates(level: int) -> list[str]:
    return [f"adm{level}_name", f"ADM{level}_EN", f"adm{level}_en", f"ADM{level}_NAME", f"admin{level}Name_en",
            f"admin{level}Name", f"NAME_{level}", "shapeName", "name", "NAME"]


def _pick(columns: Iterable[str], candidates: list[str]) -> str | None:
    cols = list(columns)
    for cand in candidates:
        if cand in cols:
            return cand
    lower = {c.lower(): c for c in cols}
    for cand in candidates:
        if cand.lower() in lower:
            return lower[cand.lower()]
    return None


def level_from_fields(columns: Iterable[str], shape_type: str | None = None) -> int | None:
    """The deepest admin level whose code or name field is present (geoBoundaries says it in shapeType)."""
    cols = {c.lower() for c in columns}
    for level in (3, 2, 1):
        if f"adm{level}_pcode" in cols or f"adm{level}_en" in cols or f"adm{level}_name" in cols:
            return level
    if shape_type:
        m = re.fullmatch(r"ADM(\d)", str(shape_type).strip().upper())
        if m:
            return int(m.group(1))
    return None


def level_from_name(name: str) -> int | None:
    m = re.search(r"adm(?:in)?[_\- ]?(\d)", name.lower())
    return int(m.group(1)) if m else None


def _is_skippable(path: Path) -> bool:
    stem = path.stem.lower()
    return any(w in stem for w in SKIP_WORDS) or stem.endswith("_em")


# Each format is opened only by the driver its extension names, after its first bytes say it really is that
# format: GDAL would otherwise pick a driver by content, and a virtual-layer (VRT) file posing as GeoJSON can
# open any file the server can read (the app's own database included) or run SQL.
DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".topojson": "TopoJSON", ".shp": "ESRI Shapefile",
           ".gpkg": "GPKG"}
MAX_NESTING = 3


def check_format(path: Path) -> str:
    """The one driver allowed for `path`, after checking its content matches its extension; else refuse."""
    path = Path(path)
    suffix = path.suffix.lower()
    driver = DRIVERS.get(suffix)
    if driver is None:
        raise BoundaryError(f"{path.name}: boundary files must be GeoJSON, TopoJSON, a shapefile or a GeoPackage "
                            f"(.geojson, .json, .topojson, .shp, .gpkg); '{suffix or 'no extension'}' is not read.")
    with open(path, "rb") as fh:
        head = fh.read(100)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    ok = {"GeoJSON": text.startswith(b"{"), "TopoJSON": text.startswith(b"{"),
          "ESRI Shapefile": head[:4] == b"\x00\x00\x27\x0a",
          "GPKG": head[:16] == b"SQLite format 3\x00" and head[68:72] in (b"GPKG", b"GP10", b"GP11")}[driver]
    if not ok:
        what = ("an XML file (a GDAL virtual layer, which can read other files on the server)"
                if text.startswith(b"<") else "not what its name says")
        raise BoundaryError(f"{path.name} was refused: its name says {driver} but its content is {what}. Export the "
                            "boundaries again as GeoJSON, a zipped shapefile or a GeoPackage.")
    return driver


def _opened_by(path: Path, layer: str | None, driver: str) -> None:
    """After GDAL has opened the file: the driver it used must be the one the extension names."""
    import pyogrio

    try:
        used = pyogrio.read_info(path, layer=layer).get("driver")
    except GDAL_ERRORS:  # unreadable: the caller's own read reports it
        return
    if used and used != driver and not (driver == "GeoJSON" and used in ("TopoJSON", "ESRIJSON")):
        raise BoundaryError(f"{path.name} was refused: it was opened as {used}, not {driver}. Export the boundaries "
                            "again as GeoJSON, a zipped shapefile or a GeoPackage.")


def _safe_extract(zip_path: Path, into: Path, budget: dict | None = None, depth: int = 0) -> None:
    """Unpack a zip, and the zips inside it, against one budget of bytes for the whole tree: nested archives
    share the cap instead of each getting its own."""
    budget = budget if budget is not None else {"left": MAX_ZIP_BYTES}
    if depth > MAX_NESTING:
        raise BoundaryError(f"{zip_path.name} nests zip files more than {MAX_NESTING} deep; refused.")
    try:
        with zipfile.ZipFile(zip_path) as zf:
            total = sum(i.file_size for i in zf.infolist())
            if total > budget["left"]:
                raise BoundaryError(f"{zip_path.name} unpacks to {total / 1e9:.1f} GB, more than is left of the "
                                    f"{MAX_ZIP_BYTES / 1e9:.0f} GB a boundary upload may unpack to (nested zips "
                                    "included); refused.")
            budget["left"] -= total
            for info in zf.infolist():
                target = (into / info.filename).resolve()
                if not str(target).startswith(str(into.resolve())):
                    raise BoundaryError(f"{zip_path.name} holds a file outside its folder ({info.filename}); refused.")
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        raise BoundaryError(f"{zip_path.name} is not a readable zip file ({exc}).") from exc
    for inner in list(into.rglob("*.zip")):  # HDX bundles sometimes nest one zip per format
        sub = inner.with_suffix("")
        sub.mkdir(exist_ok=True)
        _safe_extract(inner, sub, budget, depth + 1)
        inner.unlink()


def unpack(path: Path) -> tuple[Path, Path | None]:
    """A folder to search for layers; the temporary folder to delete afterwards (or None)."""
    path = Path(path)
    if not path.exists():
        raise BoundaryError(f"{path} does not exist.")
    if path.is_dir():
        return path, None
    if path.suffix.lower() == ".zip":
        tmp = Path(tempfile.mkdtemp(prefix="stocktake-bnd-"))
        _safe_extract(path, tmp)
        return tmp, tmp
    return path, None


def cleanup(tmp: Path | None) -> None:
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def list_level_files(path: Path) -> list[LevelFile]:
    """Every polygon layer under `path` with the admin level it appears to hold."""
    import pyogrio

    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in VECTOR_SUFFIXES)
    out: list[LevelFile] = []
    for f in files:
        if _is_skippable(f) or f.name.startswith("."):
            continue
        if f.suffix.lower() == ".json" and path.is_dir() and not _looks_like_json(f):
            continue  # a folder's stray .json that is not even JSON is no layer
        driver = check_format(f)
        try:
            layers = pyogrio.list_layers(f)
        except GDAL_ERRORS:  # a .json that is not geodata is simply not a layer
            continue
        for layer_name, geom_type in layers:
            if geom_type and "polygon" not in str(geom_type).lower() and str(geom_type).lower() != "unknown":
                continue
            layer = str(layer_name) if len(layers) > 1 else None
            _opened_by(f, layer, driver)
            try:
                info = pyogrio.read_info(f, layer=layer)
                fields = list(info["fields"])
            except GDAL_ERRORS:
                continue
            shape_type = None
            if "shapeType" in fields:
                try:
                    shape_type = pyogrio.read_dataframe(f, layer=layer, columns=["shapeType"], read_geometry=False,
                                                        max_features=1)["shapeType"].iloc[0]
                except (*GDAL_ERRORS, KeyError, IndexError):
                    shape_type = None
            level = level_from_fields(fields, shape_type) or level_from_name(f.stem + " " + (layer or ""))
            out.append(LevelFile(f, level, layer))
    return out


def _looks_like_json(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(100).lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))


def read_layer(lf: LevelFile) -> gpd.GeoDataFrame:
    driver = check_format(lf.path)
    _opened_by(lf.path, lf.layer, driver)
    try:
        gdf = gpd.read_file(lf.path, layer=lf.layer) if lf.layer else gpd.read_file(lf.path)
    except GDAL_ERRORS as exc:  # GDAL's reasons vary; the user needs the file name
        raise BoundaryError(f"Could not read {lf.path.name}: {exc}") from exc
    if gdf.empty:
        raise BoundaryError(f"{lf.path.name} has no features.")
    return gdf


def to_wgs84(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    """Web maps and the gazetteer's spatial checks assume longitude/latitude."""
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if -180.5 <= minx <= maxx <= 180.5 and -90.5 <= miny <= maxy <= 90.5:
            return gdf.set_crs(4326)
        raise BoundaryError(f"{label} has no coordinate reference system (.prj missing?) and its coordinates are "
                            "not longitude/latitude; add the .prj file to the zip.")
    if gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf


def check_geometry_types(gdf: gpd.GeoDataFrame, label: str) -> None:
    """A district is an area: a line or a point in the file means it is not a boundary layer."""
    kinds = gdf.geometry.geom_type
    bad = kinds[kinds.notna() & ~kinds.isin(["Polygon", "MultiPolygon"])]
    if len(bad):
        first = ", ".join(str(int(i) + 1) for i in bad.index[:5])
        raise BoundaryError(f"{label}: {len(bad)} feature(s) are {', '.join(sorted(set(bad)))}, not polygons "
                            f"(features {first}). Districts and provinces must be Polygon or MultiPolygon; choose the "
                            "boundary (polygon) layer, not lines or points.")


def check_coordinates(gdf: gpd.GeoDataFrame, label: str) -> None:
    """GeoJSON is longitude/latitude by definition, so GDAL assumes WGS84 even for a file in metres: coordinates
    outside ±180/±90 mean a projected file without its CRS, which would draw nowhere."""
    minx, miny, maxx, maxy = gdf.total_bounds
    if not (-180.5 <= minx <= maxx <= 180.5 and -90.5 <= miny <= maxy <= 90.5):
        raise BoundaryError(f"{label}: coordinates run from ({minx:,.0f}, {miny:,.0f}) to ({maxx:,.0f}, {maxy:,.0f}), "
                            "which is not longitude/latitude: the file is projected (metres) but does not say in "
                            "which system. Export it again in WGS84 (EPSG:4326), or as a shapefile with its .prj file.")


def repair(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Self-intersecting rings (common in digitised files) break dissolves and areas; keep polygon parts."""
    values = geoms.values
    bad = ~shapely.is_valid(values)
    if bad.any():
        fixed = shapely.make_valid(values[bad])
        fixed = [_polygonal(g) for g in fixed]
        values = values.copy()
        values[bad] = fixed
    return gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs)


def _polygonal(geom):
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def _clean_codes(series: pd.Series) -> pd.Series:
    return series.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == ""
                      else str(v).strip())


def check_codes(codes: pd.Series, names: pd.Series, label: str, field: str) -> None:
    """Two districts under one code would silently merge partners' work on the map; refuse instead."""
    missing = codes[codes.isna()]
    if len(missing):
        rows = ", ".join(str(int(i) + 1) for i in missing.index[:5])
        who = ", ".join(str(n) for n in names.loc[missing.index[:5]])
        raise BoundaryError(f"{label}: {len(missing)} feature(s) have no p-code in field '{field}' (features {rows}: "
                            f"{who}). Every unit needs its own code.", hint=NAME_CODES)
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        holders = names[codes == first].astype(str).tolist()
        others = sorted(set(dup) - {first})
        more = f" (also {', '.join(others[:5])})" if others else ""
        raise BoundaryError(f"{label}: p-code {first} is used by {len(holders)} features ({', '.join(holders)}){more}. "
                            "P-codes must be unique.", hint=NAME_CODES)


def standardise(gdf: gpd.GeoDataFrame, level: int, label: str, *, name_field: str | None = None,
                code_field: str | None = None) -> tuple[gpd.GeoDataFrame, dict]:
    """Rename the publisher's fields to ours, reproject, repair; report which fields were used."""
    cols = [c for c in gdf.columns if c != "geometry"]
    code = code_field or _pick(cols, code_candidates(level))
    name = name_field or _pick(cols, name_candidates(level))
    for field in (code_field, name_field):
        if field and field not in cols:
            raise BoundaryError(f"{label}: there is no field '{field}'. Fields present: {', '.join(cols)}.")
    for wanted, what in ((code, "p-code"), (name, "name")):
        if not wanted:
            raise BoundaryError(f"{label}: could not find the admin-{level} {what} field among {', '.join(cols)}.",
                                hint=f"Name the field that holds the {what}s (the {what} field option).")
    check_geometry_types(gdf, label)
    gdf = to_wgs84(gdf, label)
    check_coordinates(gdf, label)
    out = pd.DataFrame({f"adm{level}_pcode": _clean_codes(gdf[code]),
                        f"adm{level}_name": gdf[name].astype(str).str.strip()})
    if gdf.geometry.is_empty.any() or gdf.geometry.isna().any():
        bad = gdf.index[gdf.geometry.is_empty | gdf.geometry.isna()]
        raise BoundaryError(f"{label}: {len(bad)} feature(s) have no geometry ({', '.join(out[f'adm{level}_name'].loc[bad[:5]])}).")
    check_codes(out[f"adm{level}_pcode"], out[f"adm{level}_name"], label, code)
    used = {"code_field": code, "name_field": name}
    if level >= 2:
        pcode1 = _pick(cols, [f"adm{level - 1}_pcode", f"ADM{level - 1}_PCODE", f"GID_{level - 1}"])
        name1 = _pick(cols, [f"adm{level - 1}_name", f"ADM{level - 1}_EN", f"ADM{level - 1}_NAME", f"NAME_{level - 1}"])
        if pcode1:
            out["adm1_pcode"] = _clean_codes(gdf[pcode1])
            used["parent_field"] = pcode1
        if name1:
            out["adm1_name"] = gdf[name1].astype(str).str.strip()
    meta_fields = {}
    for f in ("adm0_pcode", "ADM0_PCODE", "shapeGroup", "GID_0"):
        if f in cols and gdf[f].notna().any():
            meta_fields["country_code"] = str(gdf[f].dropna().iloc[0])
            break
    for f in ("valid_on", "date", "validOn"):
        if f in cols and gdf[f].notna().any():
            meta_fields["date"] = str(gdf[f].dropna().astype(str).max())[:10]
            break
    used.update(meta_fields)
    result = gpd.GeoDataFrame(out, geometry=repair(gdf.geometry).values, crs=4326)
    return result, used


def link_to_provinces(adm2: gpd.GeoDataFrame, adm1: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    """Give each district its province: by p-code prefix when codes nest, else by where the district lies."""
    adm2 = adm2.copy()
    known = set(adm1["adm1_pcode"])
    have = "adm1_pcode" in adm2.columns and adm2["adm1_pcode"].notna().all() and set(adm2["adm1_pcode"]) <= known
    if not have:
        codes1 = sorted(known, key=len, reverse=True)

        def by_prefix(code: str) -> str | None:
            hits = [c for c in codes1 if code.startswith(c) and len(code) > len(c)]
            return hits[0] if hits else None

        prefixed = adm2["adm2_pcode"].map(by_prefix)
        if prefixed.notna().all():
            adm2["adm1_pcode"] = prefixed
        else:
            points = gpd.GeoDataFrame(geometry=adm2.geometry.representative_point(), crs=4326)
            joined = gpd.sjoin(points, adm1[["adm1_pcode", "geometry"]], how="left", predicate="within")
            joined = joined[~joined.index.duplicated(keep="first")]
            adm2["adm1_pcode"] = joined["adm1_pcode"].reindex(adm2.index)
            lost = adm2[adm2["adm1_pcode"].isna()]
            if len(lost):
                raise BoundaryError(f"{label}: {len(lost)} district(s) lie in no province of the admin-1 file "
                                    f"({', '.join(lost['adm2_name'].head(5))}). Are the two files from the same set?")
    names = dict(zip(adm1["adm1_pcode"], adm1["adm1_name"], strict=False))
    adm2["adm1_name"] = adm2["adm1_pcode"].map(names)
    return adm2[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name", "geometry"]]


def dissolve_provinces(adm2: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    """Only districts were given: build provinces from their parent fields, so the map still has outlines."""
    if "adm1_pcode" not in adm2.columns or adm2["adm1_pcode"].isna().any():
        raise BoundaryError(f"{label}: the district file has no province p-code field, so provinces cannot be "
                            "built from it. Import the admin-1 file too.")
    if "adm1_name" not in adm2.columns:
        adm2 = adm2.assign(adm1_name=adm2["adm1_pcode"])
    parts = adm2[["adm1_pcode", "adm1_name", "geometry"]]
    adm1 = parts.dissolve(by="adm1_pcode", aggfunc="first", as_index=False)
    return gpd.GeoDataFrame(adm1[["adm1_pcode", "adm1_name", "geometry"]], crs=4326)
