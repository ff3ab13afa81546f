"""Coordinates to districts: which admin-2 unit of the active boundary set holds a point.

Partners that publish to IATI often give only `location/point/pos` coordinates. A spatial index over the
district polygons places thousands of points in milliseconds; a point on a shared border goes to the unit
with the lowest p-code so the answer never depends on row order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["Place", "locate_points"]


@dataclass(frozen=True)
class Place:
    """The district (and its province) a point falls in."""

    adm1_pcode: str
    adm1_name: str
    adm2_pcode: str
    adm2_name: str


def locate_points(adm2: gpd.GeoDataFrame, lons: Sequence[float], lats: Sequence[float]) -> list[Place | None]:
    """One `Place` per point (None outside every district or for missing coordinates)."""
    out: list[Place | None] = [None] * len(lons)
    if not len(lons) or adm2 is None or not len(adm2):
        return out
    frame = adm2.to_crs(4326) if adm2.crs is not None and adm2.crs.to_epsg() != 4326 else adm2
    frame = frame.sort_values("adm2_pcode").reset_index(drop=True)
    xs = np.asarray(lons, dtype=float)
    ys = np.asarray(lats, dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    points = shapely.points(np.where(ok, xs, 0.0), np.where(ok, ys, 0.0))
    tree = shapely.STRtree(np.asarray(frame.geometry.values))
    point_idx, poly_idx = tree.query(points, predicate="intersects")
    first: dict[int, int] = {}
    for p, g in zip(point_idx.tolist(), poly_idx.tolist()):
        if ok[p] and (p not in first or g < first[p]):
            first[p] = g
    cols = frame[["adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name"]].astype(str).to_numpy()
    for p, g in first.items():
        a1, n1, a2, n2 = cols[g]
        out[p] = Place(a1, n1, a2, n2)
    return out
