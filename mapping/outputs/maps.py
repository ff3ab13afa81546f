"""Folium maps for the screen: a district choropleth with province outlines, a legend and the attribution.

Kept apart from the app so the map can be tested by rendering it to HTML (st_folium is invisible to AppTest),
and so the page never decides colours. Colours come from `mapping.palette`, the scale the PDF and Excel
exports use too, so a district is the same colour everywhere. Every user-supplied string (district and
province names from the boundary file, organisation names, sectors) is html-escaped here, because Leaflet
tooltips are raw HTML. The output is deterministic (features sorted by p-code, no random jitter) so
streamlit-folium does not rerun in a loop.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from typing import Any

import folium
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from mapping.outputs import palette

# What the map can be coloured by; label is what the legend and the measure picker say.
MEASURES: dict[str, str] = {
    "partners": "Partners present",
    "activities": "Activities",
    "targeted": "Beneficiaries targeted",
    "reached": "Beneficiaries reached",
    "budget": "Budget",
    "gap": "Gaps and thin coverage",
    "need": "Need vs presence",
}
# Fixed colours outside the sequential scale. Orange sits far from the blues for every common colour-vision
# deficiency, so a gap never reads as "a little coverage".
GAP_COLOUR = "#f28e2b"
THIN_COLOUR = "#fdd49e"
COVERED_COLOUR = "#1d91c0"
NO_DATA_COLOUR = "#ffffff"
ZERO_COLOUR = palette.ZERO_COLOUR
PROVINCE_LINE = "#333333"
DEFAULT_ATTRIBUTION = "Boundaries: source not recorded"


def measures(summary: pd.DataFrame | None = None) -> dict[str, str]:
    """The measures that make sense for this summary (need vs presence only when a need figure is loaded)."""
    out = dict(MEASURES)
    if summary is None or "need" not in getattr(summary, "columns", []) or summary["need"].isna().all():
        out.pop("need")
    return out


def _num(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(f) else f


def _fmt(value: Any) -> str:
    """A number as people read it: 12,500 not 12500.0; lists joined; empty as a dash."""
    if value is None:
        return "–"
    if isinstance(value, (list, tuple, set)):
        items = sorted(str(v) for v in value if v not in (None, ""))
        return ", ".join(items) if items else "–"
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.0f}"
    text = str(value).strip()
    return text or "–"


def _count(value: Any) -> int:
    """gap_sectors may come as a count, a list or a '; '-joined string."""
    if isinstance(value, (list, tuple, set)):
        return len(value)
    if isinstance(value, str):
        return len([v for v in value.replace(";", ",").split(",") if v.strip()])
    return int(_num(value))


def legend_classes(summary: pd.DataFrame, measure: str) -> list[tuple[str, str]]:
    """(label, colour) pairs the legend shows, in reading order; the map uses exactly these colours."""
    if measure == "gap":
        return [("Gap: no partner", GAP_COLOUR), ("Thin: one partner", THIN_COLOUR),
                ("Two or more partners", COVERED_COLOUR)]
    column = _column(measure)
    values = summary[column] if column in summary.columns else pd.Series(dtype=float)
    vmax = max([_num(v) for v in values] + [0.0])
    if measure == "need":
        vmax = max(vmax, 1.0)
        return [(label, palette.heat_colour(hi, vmax)) for label, hi in _need_classes()] + \
               [("No need figure", NO_DATA_COLOUR)]
    classes = [(palette.class_label(lo, hi), palette.class_colour(lo, hi, int(math.ceil(vmax))))
               for lo, hi in palette.class_breaks(int(math.ceil(vmax)))]
    return [(_compact_label(label), colour) for label, colour in classes] + [("None reported", ZERO_COLOUR)]


def _compact_label(label: str) -> str:
    """'10000–99999' is hard to read on a legend; abbreviate thousands and millions."""
    def short(part: str) -> str:
        try:
            v = int(part)
        except ValueError:
            return part
        if v >= 1_000_000:
            return f"{v / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
        if v >= 10_000:
            return f"{v / 1000:.0f}k"
        return f"{v:,}"
    return "–".join(short(p) for p in label.split("–"))


def _need_classes() -> list[tuple[str, float]]:
    return [("High need, few partners", 1.0), ("High need, some partners", 0.6), ("Need met by presence", 0.25)]


def _column(measure: str) -> str:
    return {"gap": "partners", "need": "need"}.get(measure, measure)


def colour_for(row: dict | pd.Series | None, measure: str, vmax: float) -> str:
    """The fill of one district for a measure; grey when nothing is reported there."""
    if row is None:
        return {"gap": GAP_COLOUR, "need": NO_DATA_COLOUR}.get(measure, ZERO_COLOUR)
    partners = _num(row.get("partners"))
    if measure == "gap":
        if partners <= 0:
            return GAP_COLOUR
        return THIN_COLOUR if partners < 2 else COVERED_COLOUR
    if measure == "need":
        need = row.get("need")
        if need is None or (isinstance(need, float) and math.isnan(need)):
            return NO_DATA_COLOUR
        # need (0-1 share, or any scale normalised by vmax) against presence: high need with no partners is darkest.
        share = _num(need) / (vmax or 1.0)
        presence = min(1.0, partners / 3.0)
        return palette.heat_colour(max(0.0, share * (1 - presence)), 1.0) if share > 0 else ZERO_COLOUR
    value = _num(row.get(_column(measure)))
    if value <= 0:
        return ZERO_COLOUR
    classes = palette.class_breaks(int(math.ceil(vmax)))
    for lo, hi in classes:
        if value <= hi:
            return palette.class_colour(lo, hi, int(math.ceil(vmax)))
    return palette.heat_colour(value, vmax)


def _round_coords(coords: Any, ndigits: int) -> Any:
    if isinstance(coords, (list, tuple)):
        if coords and isinstance(coords[0], (int, float)):
            return [round(c, ndigits) for c in coords]
        return [_round_coords(c, ndigits) for c in coords]
    return coords


def _prop(props: dict, *names: str) -> Any:
    for name in names:
        if props.get(name) not in (None, ""):
            return props[name]
    return None


def _tooltip_html(name: str, province: str, row: dict | None, measure: str) -> str:
    """Pre-escaped HTML for one district's tooltip (Leaflet inserts it raw)."""
    esc = html.escape
    lines = [f"<b>{esc(name)}</b>", f"<span style='color:#555'>{esc(province)}</span>"]
    if not row or _num(row.get("activities")) <= 0 and _num(row.get("partners")) <= 0:
        lines.append("No activity reported — a gap")
    else:
        lines.append(f"Partners: {_fmt(row.get('partners'))} · Activities: {_fmt(row.get('activities'))}")
        names = row.get("partner_names")
        if isinstance(names, str) and names.strip():
            parts = [p.strip() for p in names.split(";") if p.strip()]
            more = f" and {len(parts) - 4} more" if len(parts) > 4 else ""
            lines.append(f"<i>{esc('; '.join(parts[:4]))}{more}</i>")
        if _num(row.get("targeted")) or _num(row.get("reached")):
            lines.append(f"Targeted: {_fmt(row.get('targeted'))} · Reached: {_fmt(row.get('reached'))}")
        if _num(row.get("budget")):
            lines.append(f"Budget: {_fmt(row.get('budget'))}")
        if row.get("sectors") not in (None, "") and not (isinstance(row.get("sectors"), float)):
            lines.append(f"Sectors: {esc(_fmt(row.get('sectors')))}")
    gaps = (row.get("gap_sector_names") or row.get("gap_sectors")) if row else None
    if isinstance(gaps, (str, list, tuple, set)) and _count(gaps):
        lines.append(f"Sectors missing: {esc(_fmt(gaps))}")
    if measure == "need" and row and row.get("need") is not None and not (
            isinstance(row.get("need"), float) and math.isnan(row.get("need"))):
        lines.append(f"Need: {_fmt(row.get('need'))}")
    return "<br>".join(lines)


def district_layer(web_adm2: dict, summary: pd.DataFrame, *, measure: str = "partners",
                   selected: str | None = None, ndigits: int | None = None) -> dict:
    """The district GeoJSON the map draws: minimal properties, fill colour and escaped tooltip per feature.

    Unused boundary attributes are dropped to keep the page light; `ndigits` rounds coordinates (4: about
    10 m) for sources that are not rounded already (`boundaries.web_geojson` is).
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    rows: dict[str, dict] = {}
    if summary is not None and len(summary) and "adm2_pcode" in summary.columns:
        for rec in summary.to_dict("records"):
            if rec.get("adm2_pcode"):
                rows[str(rec["adm2_pcode"])] = rec
    column = _column(measure)
    vmax = max([_num(r.get(column)) for r in rows.values()] + [0.0])
    features = []
    for feat in sorted(web_adm2.get("features", []),
                       key=lambda f: str(_prop(f.get("properties") or {}, "adm2_pcode", "ADM2_PCODE") or "")):
        props = feat.get("properties") or {}
        pcode = str(_prop(props, "adm2_pcode", "ADM2_PCODE") or "")
        name = str(_prop(props, "adm2_name", "ADM2_EN", "name") or pcode)
        province = str(_prop(props, "adm1_name", "ADM1_EN") or "")
        row = rows.get(pcode)
        features.append({
            "type": "Feature",
            "id": pcode,
            "properties": {
                "adm2_pcode": pcode,
                "adm2_name": html.escape(name),
                "adm1_name": html.escape(province),
                "fill": colour_for(row, measure, vmax),
                "selected": pcode == selected,
                "tip": _tooltip_html(name, province, row, measure),
            },
            "geometry": _geometry(feat, ndigits),
        })
    return {"type": "FeatureCollection", "features": features}


def _geometry(feat: dict, ndigits: int | None) -> dict:
    geom = feat["geometry"]
    if ndigits is None:
        return geom
    return {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"], ndigits)}


def province_layer(web_adm1: dict, ndigits: int | None = None) -> dict:
    features = []
    for feat in sorted(web_adm1.get("features", []),
                       key=lambda f: str(_prop(f.get("properties") or {}, "adm1_pcode", "ADM1_PCODE") or "")):
        props = feat.get("properties") or {}
        features.append({"type": "Feature",
                         "properties": {"adm1_name": html.escape(str(_prop(props, "adm1_name", "ADM1_EN") or ""))},
                         "geometry": _geometry(feat, ndigits)})
    return {"type": "FeatureCollection", "features": features}


def _bounds(collection: dict) -> list[list[float]] | None:
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, (list, tuple)):
            for part in c:
                walk(part)

    for feat in collection.get("features", []):
        walk((feat.get("geometry") or {}).get("coordinates"))
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


class _Control(MacroElement):
    """A fixed Leaflet control holding pre-escaped HTML (legend, attribution); works inside st_folium."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var ctl = L.control({position: {{ this.position|tojson }}});
            ctl.onAdd = function() {
                var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
                div.innerHTML = {{ this.content|tojson }};
                div.setAttribute('style', {{ this.style|tojson }});
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, content: str, *, position: str, css_class: str, style: str) -> None:
        super().__init__()
        self._name = "StocktakeControl"
        self.content = content
        self.position = position
        self.css_class = css_class
        self.style = style


def legend_html(summary: pd.DataFrame, measure: str, *, note: str | None = None) -> str:
    """The legend as HTML: what the colours mean, the province outline, and an optional filter note."""
    esc = html.escape
    items = "".join(
        f"<div><span style='display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;"
        f"border:1px solid #999;background:{colour}'></span>{esc(label)}</div>"
        for label, colour in legend_classes(summary, measure))
    outline = (f"<div><span style='display:inline-block;width:14px;height:0;margin-right:6px;vertical-align:middle;"
               f"border-top:2px solid {PROVINCE_LINE}'></span>Province boundary</div>")
    title = esc(MEASURES.get(measure, measure))
    unit = "per district" if measure not in ("gap", "need") else ""
    extra = f"<div style='margin-top:4px;color:#555;max-width:200px'>{esc(note)}</div>" if note else ""
    return (f"<div style='font-weight:600;margin-bottom:4px'>{title} {unit}</div>{items}{outline}{extra}")


def _tile_layer(tiles: str | None, attribution: str) -> tuple[Any, str | None]:
    """folium's tiles/attr arguments for a configured tile setting; 'none' means offline, no base map."""
    if tiles is None or str(tiles).strip().lower() in ("", "none", "off", "false", "0"):
        return None, None
    tiles = str(tiles).strip()
    if "{z}" in tiles:  # a URL template needs an explicit attribution
        return tiles, "Map tiles: " + html.escape(tiles.split("/")[2] if "//" in tiles else tiles)
    return tiles, None


def district_map(web_adm2: dict, web_adm1: dict, summary: pd.DataFrame, *, measure: str = "partners",
                 attribution: str = DEFAULT_ATTRIBUTION, tiles: str | None = "cartodbpositron",
                 selected: str | None = None, disclaimer: str | None = None, note: str | None = None,
                 ndigits: int | None = None, assets: str | None = None, compact: bool = False) -> folium.Map:
    """A district choropleth that a group member reads in ten seconds: colours, legend, outlines, source.

    `summary` is `analysis.district_summary` output (one row per adm2_pcode). Districts missing from it are
    drawn as gaps. `tiles` is a folium tile name, a URL template, or 'none' for offline deployments.
    `assets` is a base URL serving leaflet.js and leaflet.css (the app's vendored copy), so the map draws with
    no CDN; None keeps folium's CDN links. `compact` draws a smaller legend with no filter note and a
    one-line attribution, for a small map (the overview) where the full legend would run off the map.
    """
    tile_arg, tile_attr = _tile_layer(tiles, attribution)
    m = folium.Map(location=[30.0, 70.0], zoom_start=5, tiles=tile_arg, attr=tile_attr, control_scale=True,
                   prefer_canvas=False, zoom_snap=0.25)
    if assets:
        base = assets if assets.endswith("/") else assets + "/"
        # only Leaflet itself is needed: no jQuery, Bootstrap or icon fonts are used by this map
        m.default_js = [("leaflet", base + "leaflet.js")]
        m.default_css = [("leaflet_css", base + "leaflet.css")]
    districts = district_layer(web_adm2, summary, measure=measure, selected=selected, ndigits=ndigits)
    folium.GeoJson(
        districts,
        name="Districts",
        style_function=_district_style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        # Leaflet tooltips never wrap by default: a long partner or sector line ran off the map's edge
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True,
                                      style="white-space: normal; min-width: 180px; max-width: 300px;"),
        zoom_on_click=False,
    ).add_to(m)
    folium.GeoJson(
        province_layer(web_adm1, ndigits=ndigits),
        name="Provinces",
        style_function=lambda _f: {"fill": False, "color": PROVINCE_LINE, "weight": 2, "opacity": 0.9},
        interactive=False,
        control=False,
    ).add_to(m)
    text = html.escape(attribution or DEFAULT_ATTRIBUTION)
    if disclaimer:
        text += "<br><i>" + html.escape(disclaimer) + "</i>"
    _Control(text, position="bottomleft", css_class="stocktake-attribution",
             style="background:rgba(255,255,255,0.85);padding:2px 5px;font-size:10px;"
                   + ("max-width:260px;font-size:9px;" if compact else "max-width:340px;")
                   + "line-height:1.3;color:#333").add_to(m)
    legend_style = ("background:white;padding:6px 8px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,0.3);"
                    + ("font-size:10.5px;line-height:1.25;" if compact else "font-size:12px;line-height:1.5;"))
    _Control(legend_html(summary, measure, note=None if compact else note), position="bottomright",
             css_class="stocktake-legend", style=legend_style).add_to(m)
    bounds = _bounds(web_adm1) or _bounds(districts)
    if bounds:
        m.fit_bounds(bounds)
    return m


def _district_style(feature: dict) -> dict:
    props = feature["properties"]
    selected = bool(props.get("selected"))
    return {"fillColor": props["fill"], "fillOpacity": 0.85, "color": "#000000" if selected else "#7a7a7a",
            "weight": 3 if selected else 0.6}


def feature_pcode(clicked: dict | None) -> str | None:
    """The p-code of the district st_folium reports as clicked (`last_active_drawing`), if any."""
    if not clicked or not isinstance(clicked, dict):
        return None
    props = clicked.get("properties") or {}
    pcode = props.get("adm2_pcode") or clicked.get("id")
    return str(pcode) if pcode else None


def html_size(m: folium.Map) -> int:
    """Bytes of the map's standalone HTML: what the browser has to receive and parse."""
    return len(m.get_root().render().encode("utf-8"))


def summary_table(summary: pd.DataFrame, units: pd.DataFrame, columns: Iterable[str] = (
        "partners", "activities", "targeted", "reached")) -> pd.DataFrame:
    """Districts with names and key numbers, sorted the way the map legend reads (most partners first)."""
    cols = [c for c in columns if c in summary.columns]
    base = units[["adm2_pcode", "adm2_name", "adm1_name"]].drop_duplicates("adm2_pcode")
    out = base.merge(summary[["adm2_pcode", *cols]], on="adm2_pcode", how="left").fillna(dict.fromkeys(cols, 0))
    return out.sort_values([cols[0] if cols else "adm2_name", "adm2_name"],
                           ascending=[False, True] if cols else [True, True]).reset_index(drop=True)


def to_json(collection: dict) -> str:
    return json.dumps(collection, separators=(",", ":"), sort_keys=True)
