"""Downloading a country's boundaries from the public sources, so nobody has to commit third-party shapes.

Two documented sources: geoBoundaries' API (`/api/current/<release>/<ISO3>/ADM<n>/` answers with a
`gjDownloadURL`) and HDX's CKAN API (`package_show?id=cod-ab-<iso3>` lists the COD-AB resources, per level
or as one zipped bundle). Network trouble becomes a `BoundaryError` that says what to do instead.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mapping.geo.files import BoundaryError

GEOBOUNDARIES_URL = "https://www.geoboundaries.org"
HDX_URL = "https://data.humdata.org"
USER_AGENT = "Stocktake/1.0 (3W mapping; boundaries download)"
MAX_DOWNLOAD_BYTES = 500_000_000
BY_HAND = "Or download the files by hand and upload them on the Admin page (Boundaries tab)."
BY_HAND_CLI = "Files downloaded by hand: python -m mapping boundaries import --from PATH."


def _get(url: str, timeout: float) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) URLs from the source APIs
            data = resp.read(MAX_DOWNLOAD_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise BoundaryError(f"{url} answered HTTP {exc.code} {exc.reason}. The source may have moved the files.",
                            hint=BY_HAND, cli_hint=BY_HAND_CLI) from exc
    except TimeoutError as exc:
        raise BoundaryError(f"{url} did not answer within {timeout:g} s.", hint="Try again later. " + BY_HAND,
                            cli_hint=BY_HAND_CLI) from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise BoundaryError(f"{url} did not answer within {timeout:g} s.",
                                hint="Try again later. " + BY_HAND,
                                cli_hint=BY_HAND_CLI) from exc
        raise BoundaryError(f"Could not reach {url} ({reason}).",
                            hint="Check the network connection. " + BY_HAND,
                            cli_hint=BY_HAND_CLI) from exc
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise BoundaryError(f"{url} is larger than {MAX_DOWNLOAD_BYTES // 1_000_000} MB; refused.")
    return data


def _json(url: str, timeout: float) -> dict:
    raw = _get(url, timeout)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BoundaryError(f"{url} did not return JSON; the API may have changed.") from exc


def _file_name(url: str, fallback: str) -> str:
    name = Path(urllib.parse.urlparse(url).path).name
    return name if name and "." in name else fallback


def download(country: str, *, source: str = "hdx", levels: tuple[int, ...] = (1, 2), base_url: str | None = None,
             into: Path, timeout: float = 60.0) -> tuple[dict[int, Path] | Path, dict]:
    """Download levels 1 and 2 for an ISO3 country code into a folder; importing them is `boundaries.fetch`'s job.

    Returns the files (one per level, or one bundle holding every level) and the source's metadata.
    """
    iso = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", iso):
        raise BoundaryError(f"'{country}' is not a three-letter ISO country code (e.g. KEN for Kenya).")
    if 2 not in levels:
        raise BoundaryError("Stocktake maps districts: level 2 must be among the levels to fetch.")
    if source == "geoboundaries":
        files, meta = _geoboundaries(iso, levels, (base_url or GEOBOUNDARIES_URL).rstrip("/"), into, timeout)
    elif source == "hdx":
        files, meta = _hdx(iso, levels, (base_url or HDX_URL).rstrip("/"), into, timeout)
    else:
        raise BoundaryError(f"Unknown source '{source}'; use hdx or geoboundaries.")
    meta["country"] = iso
    return files, meta


def _geoboundaries(iso: str, levels, base: str, tmp: Path, timeout: float) -> tuple[dict, dict]:
    files: dict[int, Path] = {}
    meta: dict = {}
    for level in sorted(set(levels)):
        info = None
        errors = []
        for release in ("gbHumanitarian", "gbOpen"):
            url = f"{base}/api/current/{release}/{iso}/ADM{level}/"
            try:
                info = _json(url, timeout)
                break
            except BoundaryError as exc:
                errors.append(exc.message)
        if info is None:
            raise BoundaryError(f"geoBoundaries has no ADM{level} set for {iso}: " + " / ".join(errors))
        if isinstance(info, list):
            info = info[0] if info else {}
        link = info.get("gjDownloadURL")
        if not link:
            raise BoundaryError(f"geoBoundaries' answer for {iso} ADM{level} has no gjDownloadURL.")
        target = tmp / f"{iso.lower()}_adm{level}.geojson"
        target.write_bytes(_get(urllib.parse.urljoin(base + "/", link), timeout))
        files[level] = target
        if level == 2 or not meta:
            source = info.get("boundarySource") or info.get("boundarySource-1") or "geoBoundaries"
            meta = {"source": f"{source} via geoBoundaries ({info.get('boundaryType', 'ADM')} "
                              f"{info.get('boundaryYearRepresented', '')})".replace(" )", ")"),
                    "source_url": info.get("apiURL") or f"{base}/api/current/gbOpen/{iso}/ADM{level}/",
                    "licence": info.get("boundaryLicense") or "see geoBoundaries metadata",
                    "date": str(info.get("sourceDataUpdateDate") or info.get("boundaryYearRepresented") or "")[:10]
                    or None, "kind": "geoboundaries"}
    meta["attribution"] = (f"Boundaries: {meta['source']}, {meta['licence']}; geoBoundaries (Runfola et al. 2020, "
                           "www.geoboundaries.org)")
    return files, meta


def _hdx(iso: str, levels, base: str, tmp: Path, timeout: float) -> tuple[dict | Path, dict]:
    url = f"{base}/api/3/action/package_show?id=cod-ab-{iso.lower()}"
    data = _json(url, timeout)
    if not data.get("success") or not isinstance(data.get("result"), dict):
        raise BoundaryError(f"HDX has no dataset cod-ab-{iso.lower()} ({url}).")
    pkg = data["result"]
    resources = pkg.get("resources") or []
    meta = {"source": f"{pkg.get('title') or 'COD-AB ' + iso} ({pkg.get('dataset_source') or 'OCHA'}), via HDX",
            "source_url": f"{base}/dataset/{pkg.get('name') or 'cod-ab-' + iso.lower()}",
            "licence": pkg.get("license_title") or "see the HDX dataset page", "kind": "cod-ab"}
    m = re.search(r"\d{4}-\d{2}-\d{2}", str(pkg.get("dataset_date") or pkg.get("last_modified") or ""))
    meta["date"] = m.group(0) if m else None
    meta["attribution"] = f"Boundaries: {meta['source']}" + (f" ({meta['date']})" if meta["date"] else "") + \
        f", {meta['licence']}"

    def fmt(r: dict) -> str:
        return f"{r.get('format', '')} {r.get('name', '')} {r.get('url', '')}".lower()

    def level_of(r: dict) -> int | None:
        m2 = re.search(r"adm(?:in)?[_\- ]?(\d)", (str(r.get("name", "")) + " " + str(r.get("url", ""))).lower())
        return int(m2.group(1)) if m2 else None

    per_level: dict[int, dict] = {}
    for r in resources:
        f = fmt(r)
        lvl = level_of(r)
        if lvl in levels and ("geojson" in f or "json" in f) and "zip" not in f and "_em" not in f:
            per_level.setdefault(lvl, r)
    if 2 in per_level:
        files = {}
        for lvl, r in per_level.items():
            target = tmp / _file_name(r["url"], f"{iso.lower()}_adm{lvl}.geojson")
            target.write_bytes(_get(urllib.parse.urljoin(base + "/", r["url"]), timeout))
            files[lvl] = target
        return files, meta
    bundles = [r for r in resources if "zip" in fmt(r) and any(k in fmt(r) for k in ("shp", "shapefile", "geojson"))]
    bundles.sort(key=lambda r: (0 if "shp" in fmt(r) or "shapefile" in fmt(r) else 1, len(fmt(r))))
    if not bundles:
        names = ", ".join(str(r.get("name")) for r in resources) or "none"
        raise BoundaryError(f"HDX cod-ab-{iso.lower()} has no GeoJSON or zipped shapefile resource (resources: "
                            f"{names}).")
    r = bundles[0]
    target = tmp / _file_name(r["url"], f"{iso.lower()}_boundaries.zip")
    target.write_bytes(_get(urllib.parse.urljoin(base + "/", r["url"]), timeout))
    return target, meta
