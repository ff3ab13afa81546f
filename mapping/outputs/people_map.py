"""A district map of the share of people two programmes both reach, from the suppressed table only.

Self-contained on purpose (the general map module is being reworked): one folium layer, colours from
`mapping.outputs.palette` so the scale matches the rest of Stocktake, names escaped because Leaflet tooltips
are raw HTML. Districts whose figure is hidden or absent are drawn pale with "no figure shown".
"""

from __future__ import annotations

import copy
import html

import folium

from mapping.analysis.people_overlap import OverlapTable, figure, share_text
from mapping.outputs import palette

HIDDEN_COLOUR = "#f4f4f4"
SHARE_STEPS = (0.1, 0.25, 0.5, 0.75, 1.0)


def share_colour(share: float | None) -> str:
    """Colour of a district: the palette's heat scale on 0–100 %, pale when no share may be shown."""
    return HIDDEN_COLOUR if share is None else palette.heat_colour(max(share, 1e-6), 1.0)


def overlap_map(web_adm2: dict, table: OverlapTable, *, attribution: str = "", assets: str | None = None
                ) -> folium.Map:
    """Districts coloured by the share of people listed there (by either programme) who are in both lists."""
    rows = {r["adm2_pcode"]: r for r in table.by_district if r["adm2_pcode"]}
    features = []
    for feat in web_adm2.get("features", []):
        props = feat.get("properties", {})
        pcode = props.get("adm2_pcode")
        row = rows.get(pcode)
        share = row.get("share") if row else None
        name = html.escape(str(props.get("adm2_name") or pcode))
        if row is None:
            tip = f"<b>{name}</b><br>Neither programme lists people here"
        else:
            tip = f"<b>{name}</b><br>In both: {html.escape(figure(row['in_both']))}" + (
                f" ({share_text(share)})" if share is not None else "<br>no share shown (small numbers)")
        f = copy.copy(feat)
        f["properties"] = {"adm2_pcode": pcode, "tip": tip, "fill": share_colour(share)}
        features.append(f)
    m = folium.Map(location=[30.0, 70.0], zoom_start=5, tiles=None, control_scale=True, zoom_snap=0.25)
    if assets:
        base = assets if assets.endswith("/") else assets + "/"
        m.default_js = [("leaflet", base + "leaflet.js")]
        m.default_css = [("leaflet_css", base + "leaflet.css")]
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": sorted(features, key=lambda f: str(f["properties"]["adm2_pcode"]))},
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.9, "color": "#7a7a7a",
                                  "weight": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    ).add_to(m)
    if attribution:
        m.get_root().html.add_child(folium.Element(
            f"<div style='position:absolute;bottom:4px;left:8px;z-index:999;font-size:10px;background:"
            f"rgba(255,255,255,.85);padding:2px 4px'>{html.escape(attribution)}</div>"))
    bounds = layer.get_bounds()
    if bounds and all(v is not None for pair in bounds for v in pair):
        m.fit_bounds(bounds)
    return m


def legend() -> list[tuple[str, str]]:
    """(label, colour) for the page's legend, in reading order."""
    return [(f"up to {int(s * 100)} %", share_colour(s)) for s in SHARE_STEPS] + [("no figure shown",
                                                                                    HIDDEN_COLOUR)]
