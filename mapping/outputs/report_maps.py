"""Static district maps for the PDF snapshot, drawn with geopandas + matplotlib on the server (no browser).

A printed map has to explain itself: districts coloured by the number of distinct partners on a
colour-blind-safe scale (the same `palette` as the screen), zero shown as hatched grey "no partner"
rather than as a pale colour, province outlines and names, a legend, and a scale bar whose length is
computed for the map's latitude. The attribution and disclaimer are set as text under the image by
`report.py`, so they stay sharp and searchable.
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib.patheffects as pe
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from mapping.outputs import fonts, palette

_SIMPLIFIED: dict[tuple[str, float], tuple[Any, Any]] = {}
NO_PARTNER_HATCH = "////"
OUTSIDE_FILTER_COLOUR = "#ffffff"


def simplified_layers(bset: Any, tolerance: float = 0.01) -> tuple[Any, Any]:
    """adm1 and adm2 with shared edges simplified together (no slivers between districts), cached per set.

    0.01° (about 1 km) is invisible at A4 size and makes drawing Pakistan's 160 districts ~20× faster.
    """
    import shapely
    import shapely.errors

    key = (str(getattr(bset, "version", id(bset))), tolerance)
    if key in _SIMPLIFIED:
        return _SIMPLIFIED[key]
    adm2 = bset.adm2.copy()
    adm1 = bset.adm1.copy()
    for gdf in (adm2, adm1):
        try:
            gdf["geometry"] = shapely.coverage_simplify(gdf.geometry.values, tolerance)
        except (shapely.errors.ShapelyError, ValueError):  # not a clean coverage: simplify one by one
            gdf["geometry"] = gdf.geometry.simplify(tolerance, preserve_topology=True)
    if len(_SIMPLIFIED) > 8:
        _SIMPLIFIED.clear()
    _SIMPLIFIED[key] = (adm1, adm2)
    return adm1, adm2


def nice_scale_km(span_km: float) -> int:
    """A round scale-bar length close to a fifth of the map width (1, 2, 5 × 10^n km)."""
    target = max(span_km / 5, 1)
    exp = 10 ** math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * exp <= target:
            return int(m * exp)
    return int(exp)


def _draw_scale_bar(ax: Any, bounds: tuple[float, float, float, float]) -> int:
    minx, miny, maxx, maxy = bounds
    lat = (miny + maxy) / 2
    km_per_deg = 111.32 * math.cos(math.radians(lat))
    km = nice_scale_km((maxx - minx) * km_per_deg)
    deg = km / km_per_deg
    x0 = minx + (maxx - minx) * 0.04
    y0 = miny + (maxy - miny) * 0.035
    h = (maxy - miny) * 0.012
    half = deg / 2
    ax.add_patch(Rectangle((x0, y0), half, h, facecolor="#333333", edgecolor="#333333", lw=0.6, zorder=6))
    ax.add_patch(Rectangle((x0 + half, y0), half, h, facecolor="white", edgecolor="#333333", lw=0.6, zorder=6))
    halo = [pe.withStroke(linewidth=2.5, foreground="white")]
    for x, text in ((x0, "0"), (x0 + deg, f"{km} km")):
        ax.text(x, y0 + h * 1.8, text, ha="center", va="bottom", fontsize=7, zorder=7, path_effects=halo)
    return km


def _draw_north(ax: Any, bounds: tuple[float, float, float, float]) -> None:
    minx, miny, maxx, maxy = bounds
    x = maxx - (maxx - minx) * 0.04
    y = maxy - (maxy - miny) * 0.10
    ax.annotate("N", xy=(x, y + (maxy - miny) * 0.06), xytext=(x, y), ha="center", va="center", fontsize=9,
                fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 1.2}, zorder=7)


def partners_map_png(adm1: Any, adm2: Any, values: pd.Series, *, title: str | None = None,
                     legend_title: str = "Distinct partners", in_scope: set[str] | None = None,
                     height_in: float = 5.4, legend_in: float = 1.7, dpi: int = 150,
                     label_provinces: bool = True, zero_label: str = "0 (no partner)") -> tuple[bytes, dict]:
    """PNG of districts coloured by `values` (adm2_pcode -> count), and facts about it for the caption.

    `in_scope`: district p-codes the filters cover; others are drawn white so a filtered map does not
    show them as gaps. Returns (png bytes, {"vmax", "zero_districts", "scale_km", "classes"}).
    """
    counts = adm2["adm2_pcode"].map(values).fillna(0).astype(float)
    scoped = adm2["adm2_pcode"].isin(in_scope) if in_scope is not None else pd.Series(True, index=adm2.index)
    vmax = int(counts[scoped].max()) if scoped.any() else 0
    classes = palette.class_breaks(vmax)

    def colour(v: float, inside: bool) -> str:
        if not inside:
            return OUTSIDE_FILTER_COLOUR
        if v <= 0:
            return palette.ZERO_COLOUR
        for lo, hi in classes:
            if lo <= v <= hi:
                return palette.class_colour(lo, hi, vmax)
        return palette.heat_colour(v, vmax)

    colours = [colour(v, bool(s)) for v, s in zip(counts, scoped)]
    minx, miny, maxx, maxy = (float(b) for b in adm2.total_bounds)
    coslat = math.cos(math.radians((miny + maxy) / 2))
    padx, pady = (maxx - minx) * 0.03, (maxy - miny) * 0.03
    top_in = 0.35 if title else 0.05
    map_h = height_in - top_in - 0.05
    map_w = map_h * ((maxx - minx + 2 * padx) * coslat) / (maxy - miny + 2 * pady)
    width_in = map_w + legend_in + 0.1
    # Figure, not pyplot: no global state, so the app's threads can draw snapshots side by side (Agg, no display)
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_axes((0.05 / width_in, 0.05 / height_in, map_w / width_in, map_h / height_in))
    ax.set_axis_off()
    ax.set_aspect(1 / coslat)
    adm2.plot(ax=ax, color=colours, edgecolor="#9a9a9a", linewidth=0.25, zorder=1)
    zero = adm2[(counts <= 0) & scoped]
    if len(zero):
        zero.plot(ax=ax, facecolor="none", edgecolor="#b5b5b5", hatch=NO_PARTNER_HATCH, linewidth=0, zorder=2)
    adm1.boundary.plot(ax=ax, color="#222222", linewidth=0.9, zorder=3)
    ax.set_xlim(minx - padx, maxx + padx)
    ax.set_ylim(miny - pady, maxy + pady)
    if label_provinces:
        _label_provinces(ax, adm1)
    km = _draw_scale_bar(ax, (minx - padx, miny - pady, maxx + padx, maxy + pady))
    _draw_north(ax, (minx - padx, miny - pady, maxx + padx, maxy + pady))
    handles = [Patch(facecolor=palette.ZERO_COLOUR, edgecolor="#888888", hatch=NO_PARTNER_HATCH, label=zero_label)]
    handles += [Patch(facecolor=palette.class_colour(lo, hi, vmax), edgecolor="#888888",
                      label=palette.class_label(lo, hi)) for lo, hi in classes]
    if in_scope is not None and not scoped.all():
        handles.append(Patch(facecolor=OUTSIDE_FILTER_COLOUR, edgecolor="#888888", label="outside the filters"))
    fig.legend(handles=handles, title=legend_title, loc="lower left",
               bbox_to_anchor=((map_w + 0.1) / width_in, 0.05 / height_in), fontsize=8, title_fontsize=8.5,
               frameon=False, handlelength=1.8, handleheight=1.2, alignment="left")
    if title:
        fig.text(0.05 / width_in, 1 - 0.08 / height_in, title, fontsize=11, fontweight="bold", ha="left", va="top")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    facts = {"vmax": vmax, "zero_districts": int(((counts <= 0) & scoped).sum()), "scale_km": km,
             "classes": classes, "in_scope": int(scoped.sum())}
    return buf.getvalue(), facts


def _label_provinces(ax: Any, adm1: Any) -> None:
    """Province names inside each province; small ones (Islamabad, AJK) go east on a leader line, stacked so
    they never overlap each other or a big province's name."""
    import shapely
    import shapely.errors
    from shapely.ops import polylabel

    halo = [pe.withStroke(linewidth=3, foreground="white")]
    areas = shapely.area(adm1.geometry.values)
    big = float(areas.max()) if len(areas) else 0.0
    minx, miny, maxx, maxy = (float(b) for b in adm1.total_bounds)
    small = []
    for (_, row), area in zip(adm1.iterrows(), areas):
        name = fonts.visual(str(row.get("adm1_name") or row.get("adm1_pcode") or ""))  # Arabic-script names
        geom = row.geometry
        if not name or geom is None or geom.is_empty:
            continue
        part = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        try:
            pt = polylabel(part, tolerance=max(part.bounds[2] - part.bounds[0], 1e-9) / 100)
        except (shapely.errors.ShapelyError, ValueError):  # odd geometry: any interior point will do
            pt = part.representative_point()
        if big and area < big * 0.05:
            small.append((pt.y, pt.x, name, geom.bounds[2]))
            continue
        ax.text(pt.x, pt.y, name, fontsize=8.5, fontweight="bold", ha="center", va="center", zorder=9,
                color="#111111", path_effects=halo)
    step = (maxy - miny) * 0.045
    last_y = None
    tx = max((s[3] for s in small), default=maxx) + (maxx - minx) * 0.05
    for y, x, name, _east in sorted(small, reverse=True):
        ty = y if last_y is None else min(y, last_y - step)
        last_y = ty
        ax.annotate(name, xy=(x, y), xytext=(tx, ty), fontsize=7.5, ha="left", va="center", zorder=9,
                    path_effects=halo, arrowprops={"arrowstyle": "-", "color": "#333333", "lw": 0.6})
