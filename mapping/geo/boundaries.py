"""Boundary sets: import, store, load and simplify the admin shapes every map and match is made against.

A boundary set is third-party data with a licence, a date and a vintage (Pakistan's district list changes),
so each set is kept whole in `shapefiles/<version>/` with its provenance in `meta.json`, and the version is
what submissions record. The `ACTIVE` file in `shapefiles/` names the set in use; the database mirrors it
(`store.register_boundary_set`), but the engine can work from the files alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import shapely.errors

from mapping import config
from mapping.geo import countries, sources
from mapping.geo.countries import iso3
from mapping.geo.files import (
    GDAL_ERRORS,
    IMPORT_ONE,
    IMPORT_ONE_CLI,
    BoundaryError,
    LevelFile,
    NoBoundariesError,
    cleanup,
    dissolve_provinces,
    link_to_provinces,
    list_level_files,
    read_layer,
    standardise,
    unpack,
)

__all__ = ["BoundaryError", "NoBoundariesError", "BoundarySet", "import_files", "import_path", "fetch", "load_set", "list_sets",
           "units", "web_geojson", "ensure_boundaries", "active_version", "set_active", "deployment_country",
           "set_country", "no_country_error"]

ACTIVE_FILE = "ACTIVE"
WEB_BUDGET_BYTES = 1_000_000
WEB_TOLERANCES = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064)
DEFAULT_DISCLAIMER = ("The boundaries and names shown and the designations used on this map do not imply official "
                      "endorsement or acceptance by the United Nations or by the coordination group.")


@dataclass
class BoundarySet:
    """One imported admin-1 + admin-2 set and where it came from."""

    version: str
    meta: dict
    adm1: gpd.GeoDataFrame
    adm2: gpd.GeoDataFrame
    folder: Path | None = None  # where the set is stored (holds the cached web copies)


def _dest(dest: Path | None) -> Path:
    return Path(dest) if dest is not None else config.shapefiles_dir()


# --------------------------------------------------------------------------- provenance

def read_source_notes(folder: Path) -> dict:
    """A SOURCE.md beside the files (as in ../shared/boundaries) carries the attribution users must see."""
    path = folder / "SOURCE.md"
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8", errors="replace")
    meta: dict = {}
    quotes = [ln.strip()[1:].strip() for ln in text.splitlines() if ln.strip().startswith(">")]
    for q in quotes:
        if q.startswith("Boundaries:") and "attribution" not in meta:
            meta["attribution"] = q
        elif "do not imply" in q and "disclaimer" not in meta:
            meta["disclaimer"] = q
    m = re.search(r"\*\*Licence:\*\*\s*([^\n(]+)", text)
    if m:
        meta["licence"] = m.group(1).strip().rstrip(".").strip()
    m = re.search(r"\*\*Name:\*\*\s*\*?([^*\n]+)", text)
    if m:
        meta["source"] = m.group(1).strip().rstrip(",")
    m = re.search(r"https://data\.humdata\.org/\S+", text)
    if m:
        meta["source_url"] = m.group(0).rstrip(").,")
    if meta.get("attribution"):
        d = re.search(r"\d{4}-\d{2}-\d{2}", meta["attribution"])
        if d:
            meta["date"] = d.group(0)
    return meta


def _country(used: dict, meta: dict) -> str | None:
    country = meta.get("country") or used.get("country_code")
    if not country:
        return None
    return iso3(str(country))


def _fingerprint(adm1: gpd.GeoDataFrame, adm2: gpd.GeoDataFrame) -> str:
    h = hashlib.sha256()
    for gdf in (adm1, adm2):
        cols = [c for c in gdf.columns if c != "geometry"]
        h.update(gdf[cols].astype(str).to_csv(index=False).encode())
        for wkb in shapely.to_wkb(gdf.geometry.values):
            h.update(wkb)
    return h.hexdigest()[:8]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --------------------------------------------------------------------------- import

def import_files(adm1: Path | None, adm2: Path | LevelFile, *, dest: Path | None = None, meta: dict | None = None,
                 name_field: str | None = None, code_field: str | None = None, activate: bool = True,
                 adm1_layer: LevelFile | None = None) -> BoundarySet:
    """Import one admin-2 file (and its admin-1 file, or provinces dissolved from it) as a new set."""
    meta = dict(meta or {})
    lf2 = adm2 if isinstance(adm2, LevelFile) else LevelFile(Path(adm2), 2)
    g2, used2 = standardise(read_layer(lf2), 2, lf2.path.name, name_field=name_field, code_field=code_field)
    lf1 = adm1_layer or (LevelFile(Path(adm1), 1) if adm1 else None)
    if lf1 is not None:
        g1, used1 = standardise(read_layer(lf1), 1, lf1.path.name)
        g2 = link_to_provinces(g2, g1, lf2.path.name)
    else:
        g1, used1 = dissolve_provinces(g2, lf2.path.name), {}
        g2 = link_to_provinces(g2, g1, lf2.path.name)
    g1 = g1.sort_values("adm1_pcode").reset_index(drop=True)
    g2 = g2.sort_values(["adm1_pcode", "adm2_pcode"]).reset_index(drop=True)

    notes = read_source_notes(lf2.path.parent)
    for key, value in notes.items():
        meta.setdefault(key, value)
    country = _country(used2 | used1, meta)
    meta["country"] = country
    meta.setdefault("date", used2.get("date") or used1.get("date") or _date_in_name(lf2.path.name))
    meta.setdefault("source", f"local file {lf2.path.name}")
    meta.setdefault("source_url", None)
    meta.setdefault("licence", "unknown: check the publisher's terms before sharing maps")
    meta.setdefault("disclaimer", DEFAULT_DISCLAIMER)
    if not meta.get("attribution"):
        meta["attribution"] = f"Boundaries: {meta['source']}" + (f" ({meta['date']})" if meta.get("date") else "") + (
            f", {meta['licence']}" if meta.get("licence") and not meta["licence"].startswith("unknown") else "")
    meta["fields"] = {"adm2": used2, "adm1": used1}
    meta["levels"] = [1, 2]
    meta["counts"] = {"adm1": int(len(g1)), "adm2": int(len(g2))}
    meta["imported_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    kind = meta.get("kind") or ("cod-ab" if used2.get("code_field", "").lower().startswith("adm")
                                else "geoboundaries" if used2.get("code_field") == "shapeID" else "custom")
    meta["kind"] = kind
    version = "-".join(p for p in (_slug(country or "xx"), kind, _slug(str(meta.get("date") or "undated")),
                                   _fingerprint(g1, g2)) if p)
    meta["version"] = version
    return _save(BoundarySet(version, meta, g1, g2), _dest(dest), activate=activate)


def _date_in_name(name: str) -> str | None:
    m = re.search(r"(19|20)(\d{2})(\d{2})(\d{2})", name)
    return f"{m.group(1)}{m.group(2)}-{m.group(3)}-{m.group(4)}" if m else None


def import_path(path: Path, *, dest: Path | None = None, meta: dict | None = None, name_field: str | None = None,
                code_field: str | None = None, level: int | None = None, activate: bool = True) -> BoundarySet:
    """Import a folder, zip or single file: find its admin-1 and admin-2 layers and import them together."""
    path = Path(path)
    folder, tmp = unpack(path)
    try:
        found = list_level_files(folder)
        if not found:
            raise BoundaryError(f"No polygon layer found in {path.name} (looked for {', '.join(('.shp', '.geojson', '.topojson', '.gpkg', '.zip'))}).")
        if len(found) == 1 and (level is not None or name_field or code_field):
            found[0].level = level or 2  # naming the fields says which layer this is
        by_level: dict[int, LevelFile] = {}
        for lf in found:
            if lf.level in (1, 2) and lf.level not in by_level:
                by_level[lf.level] = lf
        if 2 not in by_level:
            if len(found) == 1 and found[0].level is None:
                by_level[2] = found[0]
            else:
                levels = ", ".join(f"{lf.path.name}: level {lf.level or '?'}" for lf in found)
                raise BoundaryError(f"{path.name} holds no admin-2 (district) layer ({levels}).",
                                    hint="If the file is the district layer, name its p-code field (or give its "
                                    "level, 2) and import it again.")
        meta = dict(meta or {})
        if tmp is None and path.is_dir():
            for key, value in read_source_notes(path).items():
                meta.setdefault(key, value)
        return import_files(None, by_level[2], adm1_layer=by_level.get(1), dest=dest, meta=meta,
                            name_field=name_field, code_field=code_field, activate=activate)
    finally:
        cleanup(tmp)


def fetch(country: str, *, source: str = "hdx", levels: tuple[int, ...] = (1, 2), base_url: str | None = None,
          dest: Path | None = None, timeout: float = 60.0) -> BoundarySet:
    """Download the public boundary set for a country (`sources.download`) and import it."""
    tmp = Path(tempfile.mkdtemp(prefix="stocktake-fetch-"))
    try:
        files, meta = sources.download(country, source=source, levels=levels, base_url=base_url, into=tmp,
                                       timeout=timeout)
        if isinstance(files, Path):  # one bundle holding every level
            return import_path(files, dest=dest, meta=meta)
        return import_files(files.get(1), files[2], dest=dest, meta=meta)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- storage

def _save(bset: BoundarySet, dest: Path, *, activate: bool) -> BoundarySet:
    folder = dest / bset.version
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "meta.json").exists():
        bset.adm1.to_file(folder / "adm1.gpkg", driver="GPKG", layer="adm1")
        bset.adm2.to_file(folder / "adm2.gpkg", driver="GPKG", layer="adm2")
        (folder / "meta.json").write_text(json.dumps(bset.meta, indent=2, default=str), encoding="utf-8")
    else:  # same content imported again: keep the first import's record
        bset.meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if activate:
        set_active(bset.version, dest)
    bset.folder = folder
    return bset


def set_active(version: str, dest: Path | None = None) -> None:
    dest = _dest(dest)
    if not (dest / version / "meta.json").is_file():
        raise BoundaryError(f"There is no boundary set {version} in {dest}.")
    (dest / ACTIVE_FILE).write_text(version + "\n", encoding="utf-8")


def active_version(dest: Path | None = None) -> str | None:
    """The set named in ACTIVE, else the newest imported one, else None."""
    dest = _dest(dest)
    pointer = dest / ACTIVE_FILE
    if pointer.is_file():
        version = pointer.read_text(encoding="utf-8").strip()
        if version and (dest / version / "meta.json").is_file():
            return version
    sets = list_sets(dest)
    return sets[-1]["version"] if sets else None


def list_sets(dest: Path | None = None) -> list[dict]:
    """Every stored set's meta, oldest import first, with `active` marked."""
    dest = _dest(dest)
    if not dest.is_dir():
        return []
    out = []
    for meta_file in dest.glob("*/meta.json"):
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        meta["version"] = meta_file.parent.name
        meta["_mtime"] = meta_file.stat().st_mtime_ns
        out.append(meta)
    out.sort(key=lambda m: (str(m.get("imported_at") or ""), m.pop("_mtime")))
    pointer = dest / ACTIVE_FILE
    active = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else (out[-1]["version"] if out else None)
    for m in out:
        m["active"] = m["version"] == active
    return out


def load_set(version: str | None = None, dest: Path | None = None) -> BoundarySet:
    """The named set, or the active one; loaded once per process because every page and match needs it."""
    dest = _dest(dest)
    version = version or active_version(dest)
    if not version:
        raise NoBoundariesError(f"No boundary set has been imported into {dest}.", hint=IMPORT_ONE,
                                cli_hint=IMPORT_ONE_CLI)
    folder = dest / version
    if not (folder / "meta.json").is_file():
        raise BoundaryError(f"Boundary set {version} is not in {dest}.",
                            hint="Import it again, or make another boundary set active.")
    return _load_cached(str(folder.resolve()), (folder / "meta.json").stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _load_cached(folder: str, _mtime: int) -> BoundarySet:
    path = Path(folder)
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        adm1 = gpd.read_file(path / "adm1.gpkg")
        adm2 = gpd.read_file(path / "adm2.gpkg")
    except GDAL_ERRORS as exc:
        raise BoundaryError(f"Boundary set {path.name} in {path.parent} is damaged ({exc}).",
                            hint="Import the boundary files again, or make another boundary set active.") from exc
    for gdf in (adm1, adm2):
        if gdf.crs is None or gdf.crs.to_epsg() != 4326:
            gdf.set_crs(4326, allow_override=True, inplace=True)
    return BoundarySet(path.name, meta, adm1, adm2, path)


def units(bset: BoundarySet) -> pd.DataFrame:
    """The district list without shapes: what the gazetteer, the template and the matrices work from."""
    df = pd.DataFrame(bset.adm2[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]])
    return df.sort_values(["adm1_name", "adm2_name"]).reset_index(drop=True)


# --------------------------------------------------------------------------- web copy

def _round_coords(obj, ndigits: int):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float | int):
            return [round(float(v), ndigits) for v in obj]
        return [_round_coords(o, ndigits) for o in obj]
    return obj


def _feature_collection(gdf: gpd.GeoDataFrame, props: list[str], ndigits: int) -> dict:
    feats = []
    for row, geom in zip(gdf[props].itertuples(index=False), gdf.geometry.values, strict=True):
        g = shapely.geometry.mapping(geom)
        feats.append({"type": "Feature", "properties": dict(zip(props, row, strict=True)),
                      "geometry": {"type": g["type"], "coordinates": _round_coords(g["coordinates"], ndigits)}})
    return {"type": "FeatureCollection", "features": feats}


def simplify_coverage(geoms, tolerance: float, ndigits: int = 4):
    """Simplify polygons that share borders together, so the shared borders stay shared (no gaps or slivers)."""
    values = geoms.values if hasattr(geoms, "values") else geoms
    try:
        simple = shapely.coverage_simplify(values, tolerance)
    except (shapely.errors.ShapelyError, ValueError):  # not a clean coverage: one by one is the safe fallback
        simple = shapely.simplify(values, tolerance, preserve_topology=True)
    snapped = shapely.set_precision(simple, 10 ** -ndigits)
    return shapely.make_valid(snapped)


def _web_dump(data: dict) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def web_geojson(bset: BoundarySet, level: int, *, budget_bytes: int = WEB_BUDGET_BYTES, ndigits: int = 4) -> dict:
    """A light copy for browsers: the finest topology-preserving simplification that fits the size budget.

    Provinces are dissolved from the simplified districts so both layers draw the same borders.
    """
    folder = bset.folder
    cache = folder / f"adm{level}_web.geojson" if folder else None
    if cache is not None and cache.is_file():
        return _web_cached(str(cache), cache.stat().st_mtime_ns)
    if level not in (1, 2):
        raise BoundaryError(f"Level {level} is not in this boundary set (levels 1 and 2).")
    adm2 = bset.adm2
    chosen = None
    for tol in WEB_TOLERANCES:
        geoms = simplify_coverage(adm2.geometry, tol, ndigits)
        g2 = gpd.GeoDataFrame(adm2[["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"]].copy(),
                              geometry=geoms, crs=4326)
        fc2 = _feature_collection(g2, ["adm2_pcode", "adm2_name", "adm1_pcode", "adm1_name"], ndigits)
        text2 = _web_dump(fc2)
        if len(text2.encode()) <= budget_bytes or tol == WEB_TOLERANCES[-1]:
            chosen = (tol, g2, fc2, text2)
            break
    tol, g2, fc2, text2 = chosen
    g1 = g2[["adm1_pcode", "adm1_name", "geometry"]].dissolve(by="adm1_pcode", aggfunc="first", as_index=False)
    g1["geometry"] = shapely.set_precision(g1.geometry.values, 10 ** -ndigits)
    fc1 = _feature_collection(g1, ["adm1_pcode", "adm1_name"], ndigits)
    for fc in (fc1, fc2):
        fc["tolerance_deg"] = tol
        fc["boundary_version"] = bset.version
        fc["attribution"] = bset.meta.get("attribution")
    if folder is not None:
        for lvl, fc in ((1, fc1), (2, fc2)):
            tmp = folder / f"adm{lvl}_web.geojson.tmp"
            tmp.write_text(_web_dump(fc), encoding="utf-8")
            tmp.replace(folder / f"adm{lvl}_web.geojson")
    return fc1 if level == 1 else fc2


@functools.lru_cache(maxsize=8)
def _web_cached(path: str, _mtime: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- first run

NO_COUNTRY_HINT = ("Set STOCKTAKE_COUNTRY to the country's ISO3 code or name (e.g. STOCKTAKE_COUNTRY=KEN) and run "
                   "the set-up again, or an admin uploads the country's boundary files on the Admin page "
                   "(Boundaries tab).")


def no_country_error() -> NoBoundariesError:
    """What a first run without boundaries and without a country says: guessing a country would give a
    deployment for Kenya Pakistan's districts, so nothing is downloaded until someone says which."""
    return NoBoundariesError("No boundary set is imported and no country is set, so Stocktake does not know "
                             "which country's boundaries to download.", hint=NO_COUNTRY_HINT,
                             cli_hint=IMPORT_ONE_CLI)


def set_country(bset: BoundarySet | None) -> str | None:
    """The country a boundary set names, as ISO3 (its metadata, else its p-codes' letters); None when it
    names none or only an unlisted two-letter code (a fictional or custom set)."""
    if bset is None:
        return None
    code = iso3(str(bset.meta.get("country") or "")) or (
        countries.from_pcode(bset.adm2["adm2_pcode"].iloc[0]) if len(bset.adm2) else None)
    return code if code and len(code) == 3 else None


def deployment_country(bset: BoundarySet | None = None) -> str | None:
    """The country this deployment serves: the boundary set's when it names one, else STOCKTAKE_COUNTRY."""
    return set_country(bset) or countries.configured()


def ensure_boundaries(dest: Path | None = None) -> BoundarySet:
    """A usable set without asking: the active one, else the configured local copy (STOCKTAKE_BOUNDARIES_FROM),
    else the shared copy beside the project when it is STOCKTAKE_COUNTRY's, else that country's download.

    Without STOCKTAKE_COUNTRY the shared copy is taken as it is and, without one, NoBoundariesError says how to
    name the country or upload boundaries: no country is guessed.
    """
    dest = _dest(dest)
    if active_version(dest):
        return load_set(None, dest)
    local = config.env("STOCKTAKE_BOUNDARIES_FROM")
    if local:
        return import_path(Path(local), dest=dest)
    wanted = countries.configured()
    shared = config.shared_boundaries_dir()
    if shared.is_dir() and any(shared.iterdir()):
        bset = import_path(shared, dest=dest, activate=False)
        if wanted is None or set_country(bset) == wanted:
            set_active(bset.version, dest)
            return bset
        shutil.rmtree(bset.folder, ignore_errors=True)  # another country's copy: the first and only set in dest
    if wanted is None:
        raise no_country_error()
    return fetch(wanted, dest=dest)
