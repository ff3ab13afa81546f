"""Folium maps for the screen: a district choropleth with province outlines, a legend and the attribution.

The map is built in two parts so forty people can open it at once (issue 14):
- the *base*: geometry, province outlines, attribution and a small Leaflet runtime. It depends only on the
  boundary set, so the app builds it once per process and every session reuses it; the geometry can live in a
  separate JavaScript file (`geometry_js`) the browser fetches once instead of riding inside the page.
- the *style*: one fill and a short tooltip line per district plus the legend (`map_style`), a few kilobytes,
  applied by `style_script`. A filter or measure change sends only this; the drawn shapes are restyled in place.
`district_map` puts both into one standalone map (the PDF-free export, the tests, the benchmark's floor).

Kept apart from the app so the map can be tested by rendering it to HTML, and so the page never decides
colours. Colours come from `mapping.outputs.palette`, the scale the PDF and Excel exports use too. Every
user-supplied string (district and province names from the boundary file, the legend's filter note) is
html-escaped here, because Leaflet tooltips and controls are raw HTML; JSON put into scripts escapes `<`, `>`
and `&` so no string can close the script. The output is deterministic (features sorted by p-code) so
streamlit-folium keeps the same map between reruns.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import folium
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from mapping.errors import InvalidRequest
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
# Measures that are counts (integer classes such as 1, 2, 3-4) rather than amounts (round ranges).
COUNT_MEASURES = ("partners", "activities")
# Fixed colours outside the sequential scale. Orange sits far from the blues for every common colour-vision
# deficiency, so a gap never reads as "a little coverage".
GAP_COLOUR = "#f28e2b"
THIN_COLOUR = "#fdd49e"
COVERED_COLOUR = "#1d91c0"
NO_DATA_COLOUR = "#ffffff"
ZERO_COLOUR = palette.ZERO_COLOUR
PROVINCE_LINE = "#333333"
DEFAULT_ATTRIBUTION = "Boundaries: source not recorded"
# Need vs presence: score = need share x (1 - presence), in classes drawn from the map's own teal-to-navy scale.
NEED_CLASSES: tuple[tuple[str, float, str], ...] = (
    ("High need, few partners", 0.5, palette.YLGNBU_CLASSES[3][2]),
    ("Need partly met", 0.2, palette.YLGNBU_CLASSES[3][1]),
    ("Low need or well covered", 0.0, palette.YLGNBU_CLASSES[3][0]),
)


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


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


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


def _column(measure: str) -> str:
    return {"gap": "partners", "need": "need"}.get(measure, measure)


def _vmax(summary: pd.DataFrame | None, measure: str) -> float:
    column = _column(measure)
    if summary is None or column not in getattr(summary, "columns", []):
        return 0.0
    return max([_num(v) for v in summary[column]] + [0.0])


def _classes(measure: str, vmax: float) -> list[tuple[str, str, float]]:
    """(label, colour, upper bound) of each class of a numeric measure, lowest first."""
    if measure in COUNT_MEASURES:
        top = int(math.ceil(vmax))
        return [(palette.class_label(lo, hi), palette.class_colour(lo, hi, top), float(hi))
                for lo, hi in palette.class_breaks(top)]
    ranges = palette.amount_breaks(vmax)
    return [(palette.amount_label(lo, hi), palette.amount_colour(i, len(ranges)), hi)
            for i, (lo, hi) in enumerate(ranges)]


def legend_classes(summary: pd.DataFrame, measure: str) -> list[tuple[str, str]]:
    """(label, colour) pairs the legend shows, in reading order; the map uses exactly these colours."""
    if measure == "gap":
        return [("Gap: no partner", GAP_COLOUR), ("Thin: one partner", THIN_COLOUR),
                ("Two or more partners", COVERED_COLOUR)]
    if measure == "need":
        return [(label, colour) for label, _, colour in NEED_CLASSES] + [("No need figure", NO_DATA_COLOUR)]
    vmax = _vmax(summary, measure)
    return [(label, colour) for label, colour, _ in _classes(measure, vmax)] + [("None reported", ZERO_COLOUR)]


def colour_for(row: dict | pd.Series | None, measure: str, vmax: float) -> str:
    """The fill of one district for a measure; grey when nothing is reported there; always a legend colour."""
    if row is None:
        return {"gap": GAP_COLOUR, "need": NO_DATA_COLOUR}.get(measure, ZERO_COLOUR)
    partners = _num(row.get("partners"))
    if measure == "gap":
        if partners <= 0:
            return GAP_COLOUR
        return THIN_COLOUR if partners < 2 else COVERED_COLOUR
    if measure == "need":
        need = row.get("need")
        if _missing(need):
            return NO_DATA_COLOUR
        # need (a share, or any scale normalised by vmax) against presence: high need with no partner scores 1
        score = _num(need) / (vmax or 1.0) * (1 - min(1.0, partners / 3.0))
        return next(colour for _, low, colour in NEED_CLASSES if score >= low)
    value = _num(row.get(_column(measure)))
    if value <= 0:
        return ZERO_COLOUR
    classes = _classes(measure, vmax)
    for _, colour, hi in classes:
        if value <= hi:
            return colour
    return classes[-1][1] if classes else ZERO_COLOUR


def _prop(props: dict, *names: str) -> Any:
    for name in names:
        if props.get(name) not in (None, ""):
            return props[name]
    return None


def budget_unit(acts: pd.DataFrame | None) -> str:
    """What the budget figures are in, for the legend: one currency, or the currencies added up (not converted).

    Budgets are summed as reported; saying so is the honest legend until the deployment keeps a rate table.
    """
    if acts is None or not len(acts) or "budget" not in acts.columns:
        return ""
    spent = acts[pd.to_numeric(acts["budget"], errors="coerce").fillna(0) > 0]
    if not len(spent):
        return ""
    cur = spent["currency"] if "currency" in spent.columns else pd.Series([None] * len(spent), index=spent.index)
    text = cur.astype("string").str.strip().str.upper()
    named = sorted({c for c in text.dropna() if c})
    unstated = int((text.isna() | (text == "")).sum())
    if len(named) == 1 and not unstated:
        return named[0]
    parts = [", ".join(named) + " added up, not converted" if len(named) > 1 else (named[0] if named else "")]
    if unstated:
        parts.append(f"{unstated:,} with no currency")
    return "; ".join(p for p in parts if p)


def _measure_line(row: dict, measure: str, unit: str) -> str | None:
    if measure in ("targeted", "reached"):
        return f"{MEASURES[measure]}: {_fmt(_num(row.get(measure)))}"
    if measure == "budget":
        suffix = f" {unit}" if unit and "," not in unit and ";" not in unit else ""
        return f"Budget: {_fmt(_num(row.get('budget')))}{html.escape(suffix)}"
    if measure == "gap":
        n = _count(row.get("gap_sector_names") or row.get("gap_sectors"))
        return f"Sectors with no partner: {n}" if n else None
    if measure == "need" and not _missing(row.get("need")):
        return f"Need: {_fmt(row.get('need'))}"
    return None


def tooltip_lines(row: dict | None, measure: str, *, unit: str = "", hint: bool = True) -> str:
    """The short hover text under a district's name and province: its numbers, then where the details are.

    Short on purpose (issue 20): partner and sector lists made a 570 px box that ran off the map; they belong
    to the profile a click opens.
    """
    if not row or _num(row.get("activities")) <= 0 and _num(row.get("partners")) <= 0:
        lines = ["No activity reported — a gap"]
    else:
        lines = [f"Partners: {_fmt(row.get('partners'))} · Activities: {_fmt(row.get('activities'))}"]
        extra = _measure_line(row, measure, unit)
        if extra:
            lines.append(extra)
    if hint:
        lines.append("<i style='color:#555'>Click for the district's profile</i>")
    return "<br>".join(lines)


def _tip_head(name: str, province: str) -> str:
    return f"<b>{html.escape(name)}</b><br><span style='color:#555'>{html.escape(province)}</span>"


@dataclass(frozen=True)
class MapStyle:
    """What changes with the data, the filters and the measure: a fill and a tooltip line per district, the legend."""

    fills: dict[str, str]
    tips: dict[str, str]
    legend: str
    measure: str = "partners"
    default_fill: str = ZERO_COLOUR
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"fills": self.fills, "tips": self.tips, "legend": self.legend, "default": self.default_fill}


def map_style(summary: pd.DataFrame | None, measure: str = "partners", *, unit: str = "", note: str | None = None,
              compact: bool = False, hint: bool = True) -> MapStyle:
    """Fills, tooltip lines and the legend for one measure: everything a filter change needs to send."""
    if measure not in MEASURES:
        raise InvalidRequest(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    rows: dict[str, dict] = {}
    if summary is not None and len(summary) and "adm2_pcode" in summary.columns:
        for rec in summary.to_dict("records"):
            if rec.get("adm2_pcode"):
                rows[str(rec["adm2_pcode"])] = rec
    vmax = _vmax(summary, measure)
    fills = {p: colour_for(r, measure, vmax) for p, r in sorted(rows.items())}
    tips = {p: tooltip_lines(r, measure, unit=unit, hint=hint) for p, r in sorted(rows.items())}
    tips[""] = tooltip_lines(None, measure, hint=hint)  # every district not in the summary
    return MapStyle(fills=fills, tips=tips, legend=legend_html(summary, measure, note=note, unit=unit),
                    measure=measure, default_fill=colour_for(None, measure, vmax),
                    extra={"compact": compact})


def district_layer(web_adm2: dict, summary: pd.DataFrame, *, measure: str = "partners",
                   selected: str | None = None, ndigits: int | None = None, unit: str = "") -> dict:
    """The district GeoJSON as drawn: minimal properties, fill colour and escaped tooltip per feature.

    Unused boundary attributes are dropped to keep the page light; `ndigits` rounds coordinates (4: about
    10 m) for sources that are not rounded already (`boundaries.web_geojson` is).
    """
    style = map_style(summary, measure, unit=unit)
    features = []
    for feat in _sorted_features(web_adm2, "adm2_pcode", "ADM2_PCODE"):
        props = feat.get("properties") or {}
        pcode = str(_prop(props, "adm2_pcode", "ADM2_PCODE") or "")
        name = str(_prop(props, "adm2_name", "ADM2_EN", "name") or pcode)
        province = str(_prop(props, "adm1_name", "ADM1_EN") or "")
        features.append({
            "type": "Feature",
            "id": pcode,
            "properties": {
                "adm2_pcode": pcode,
                "adm2_name": html.escape(name),
                "adm1_name": html.escape(province),
                "fill": style.fills.get(pcode, style.default_fill),
                "selected": pcode == selected,
                "tip": _tip_head(name, province) + "<br>" + style.tips.get(pcode, style.tips[""]),
            },
            "geometry": _geometry(feat, ndigits),
        })
    return {"type": "FeatureCollection", "features": features}


def _sorted_features(collection: dict, *keys: str) -> list[dict]:
    return sorted(collection.get("features", []), key=lambda f: str(_prop(f.get("properties") or {}, *keys) or ""))


def _round_coords(coords: Any, ndigits: int) -> Any:
    if isinstance(coords, (list, tuple)):
        if coords and isinstance(coords[0], (int, float)):
            return [round(c, ndigits) for c in coords]
        return [_round_coords(c, ndigits) for c in coords]
    return coords


def _geometry(feat: dict, ndigits: int | None) -> dict:
    geom = feat["geometry"]
    if ndigits is None:
        return geom
    return {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"], ndigits)}


def province_layer(web_adm1: dict, ndigits: int | None = None) -> dict:
    features = []
    for feat in _sorted_features(web_adm1, "adm1_pcode", "ADM1_PCODE"):
        props = feat.get("properties") or {}
        features.append({"type": "Feature",
                         "properties": {"adm1_name": html.escape(str(_prop(props, "adm1_name", "ADM1_EN") or ""))},
                         "geometry": _geometry(feat, ndigits)})
    return {"type": "FeatureCollection", "features": features}


def web_geometry(web_adm2: dict, web_adm1: dict, *, ndigits: int | None = None) -> dict:
    """The shapes the browser draws, with names already escaped: districts (p-code, name, province) and provinces."""
    districts = []
    for feat in _sorted_features(web_adm2, "adm2_pcode", "ADM2_PCODE"):
        props = feat.get("properties") or {}
        pcode = str(_prop(props, "adm2_pcode", "ADM2_PCODE") or "")
        districts.append({
            "type": "Feature", "id": pcode,
            "properties": {"adm2_pcode": pcode,
                           "adm2_name": html.escape(str(_prop(props, "adm2_name", "ADM2_EN", "name") or pcode)),
                           "adm1_name": html.escape(str(_prop(props, "adm1_name", "ADM1_EN") or ""))},
            "geometry": _geometry(feat, ndigits)})
    return {"districts": {"type": "FeatureCollection", "features": districts},
            "provinces": province_layer(web_adm1, ndigits=ndigits)}


def to_json(collection: Any) -> str:
    """Compact JSON that is safe inside a <script> element (no '<', '>' or '&' survive unescaped)."""
    text = json.dumps(collection, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def geometry_js(geometry: dict) -> tuple[str, str]:
    """(name, text) of a JavaScript file defining the geometry, named by its content so browsers may keep it."""
    body = to_json(geometry)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    var = f"stocktake_geometry_{digest}"
    return f"geometry-{digest}.js", f"window.{var} = {body};\n"


def geometry_var(file_name: str) -> str:
    return "stocktake_geometry_" + file_name.removeprefix("geometry-").removesuffix(".js")


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
    """A fixed Leaflet control holding pre-escaped HTML (the attribution); works inside st_folium."""

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


# The browser half of the map. `window.stocktake` draws the districts and provinces from the geometry, shows a
# tooltip that never runs off the map, keeps the legend, attribution and zoom buttons off the country when it
# fits the view (also on a phone and after a resize), and restyles in place: `stocktake.apply(style)` sets the
# fills, tooltip lines, legend and selected district, and pans to a district picked in the list.
_RUNTIME_JS = """
(function() {
    var map = %(map)s;
    var geo = %(geometry)s;
    var S = {map: map, fills: {}, tips: {}, fallback: %(default)s, selected: null, focused: null,
             moved: false, fitting: false, pad: null};
    window.stocktake = S;
    function style(f) {
        var p = f.properties.adm2_pcode, sel = p === S.selected;
        return {fillColor: S.fills[p] || S.fallback, fillOpacity: 0.85, color: sel ? '#000000' : '#7a7a7a',
                weight: sel ? 3 : 0.6, opacity: 1};
    }
    var Tip = L.Tooltip.extend({
        _setPosition: function(pos) {
            L.Tooltip.prototype._setPosition.call(this, pos);
            var el = this._container, m = this._map;
            if (!el || !m) return;
            var at = L.DomUtil.getPosition(el), c = m.layerPointToContainerPoint(at), size = m.getSize();
            var dy = 0;
            if (c.y < 4) dy = 4 - c.y;
            else if (c.y + el.offsetHeight > size.y - 4) dy = size.y - 4 - el.offsetHeight - c.y;
            if (dy) L.DomUtil.setPosition(el, at.add([0, dy]));
        }
    });
    S.districts = L.geoJson(geo.districts, {style: style}).addTo(map);
    S.districts.bindTooltip(new Tip({sticky: true, direction: 'auto', opacity: 0.95,
                                     className: 'stocktake-tip'}, S.districts).setContent(function(layer) {
        var p = layer.feature.properties;
        return '<b>' + p.adm2_name + '</b><br><span style="color:#555">' + p.adm1_name + '</span><br>' +
               (S.tips[p.adm2_pcode] || S.tips[''] || '');
    }));
    S.districts.on('mouseover', function(e) { e.layer.setStyle({weight: 2.5, color: '#000000'}); });
    S.districts.on('mouseout', function(e) { e.layer.setStyle(style(e.layer.feature)); });
    L.geoJson(geo.provinces, {interactive: false, style: function() { return %(province_style)s; }}).addTo(map);
    var legend = L.control({position: 'bottomright'});
    legend.onAdd = function() {
        var div = L.DomUtil.create('div', 'stocktake-legend');
        div.setAttribute('style', %(legend_style)s);
        L.DomEvent.disableClickPropagation(div);
        return div;
    };
    legend.addTo(map);
    S.legend = legend.getContainer();
    var css = document.createElement('style');
    css.textContent = '.stocktake-tip{white-space:normal;min-width:220px;max-width:280px;line-height:1.35}';
    document.head.appendChild(css);
    S.bounds = S.districts.getBounds();

    // Does any district lie under this control? Hide it a moment and look at what is drawn beneath.
    function covers(el) {
        var r = el.getBoundingClientRect();
        if (!r.width || !r.height) return false;
        var old = el.style.visibility, hit = false;
        el.style.visibility = 'hidden';
        for (var x = r.left - 2; x <= r.right + 2 && !hit; x += 6) for (var y = r.top - 2; y <= r.bottom + 2 && !hit; y += 6) {
            var under = document.elementFromPoint(x, y);
            hit = !!(under && under.classList && under.classList.contains('leaflet-interactive'));
        }
        el.style.visibility = old;
        return hit;
    }
    function corner(el) {
        var box = el.parentNode;
        return {top: L.DomUtil.hasClass(box, 'leaflet-top'), left: L.DomUtil.hasClass(box, 'leaflet-left')};
    }
    // Fit the data area, then make room for every control that covers a district: reserve a strip along the
    // side (or the top/bottom) that costs the least zoom, and fit again.
    S.fit = function() {
        var size = map.getSize();
        if (!S.bounds.isValid()) return;
        clearTimeout(S.retry);
        if (!size.x || !size.y || window.innerWidth < size.x || window.innerHeight < size.y) {
            // the frame does not show the whole map yet: fit plainly now, and look under the controls later
            if (size.x && size.y) { S.fitting = true; map.fitBounds(S.bounds, {animate: false}); S.fitting = false; }
            S.retry = setTimeout(function() { if (!S.moved) S.fit(); }, 300);
            return;
        }
        S.fitting = true;
        var tl = L.point(6, 6), br = L.point(6, 6);
        map.fitBounds(S.bounds, {paddingTopLeft: tl, paddingBottomRight: br, animate: false});
        var controls = map.getContainer().querySelectorAll('.leaflet-control');
        for (var round = 0; round < 3; round++) {
            var moved = false;
            controls.forEach(function(el) {
                if (!covers(el)) return;
                var r = el.getBoundingClientRect(), c = corner(el), room = tl.add(br);
                var wide = L.point(r.width + 10, 0), tall = L.point(0, r.height + 10);
                var okWide = room.x + wide.x < size.x * 0.6, okTall = room.y + tall.y < size.y * 0.6;
                if (!okWide && !okTall) return;  // a control this large cannot be avoided: leave the fit
                var zw = okWide ? map.getBoundsZoom(S.bounds, false, room.add(wide)) : -1;
                var zt = okTall ? map.getBoundsZoom(S.bounds, false, room.add(tall)) : -1;
                var add = zw >= zt ? wide : tall;
                if (add.x) { if (c.left) tl = tl.add(add); else br = br.add(add); }
                else { if (c.top) tl = tl.add(add); else br = br.add(add); }
                moved = true;
            });
            if (!moved) break;
            map.fitBounds(S.bounds, {paddingTopLeft: tl, paddingBottomRight: br, animate: false});
        }
        S.pad = {tl: tl, br: br};
        S.fitting = false;
    };
    // only the user's own drag or zoom keeps the view; a resize (the frame settling, a phone turning) refits
    map.on('dragstart zoomstart', function() { if (!S.fitting) S.moved = true; });
    map.on('resize', function() { if (!S.moved) S.fit(); });
    // the frame around the map may be sized after the map is drawn: what lies under a control can only be seen
    // once the frame shows the whole map, so fit again when it grows (unless the reader has moved the map)
    window.addEventListener('resize', function() { if (!S.moved && S.fitted) S.fit(); });
    S.apply = function(u) {
        S.fills = u.fills || {};
        S.tips = u.tips || {};
        S.fallback = u['default'] || S.fallback;
        S.selected = u.selected || null;
        S.districts.setStyle(style);
        S.legend.innerHTML = u.legend || '';
        var chosen = null;
        S.districts.eachLayer(function(l) { if (l.feature.properties.adm2_pcode === S.selected) chosen = l; });
        if (chosen) chosen.bringToFront();
        if (!S.fitted) {
            S.fitted = true;
            S.fit();
            setTimeout(function() { if (!S.moved) S.fit(); }, 400);
        }
        if (u.focus && u.focus !== S.focused && chosen) {
            var pad = S.pad || {tl: L.point(6, 6), br: L.point(6, 6)};
            S.fitting = true;
            map.fitBounds(chosen.getBounds(), {paddingTopLeft: pad.tl, paddingBottomRight: pad.br, maxZoom: 11,
                                               animate: false});
            S.fitting = false;
            S.moved = true;
        }
        S.focused = u.focus || null;
    };
})();
"""


class _Runtime(MacroElement):
    """The browser half of the map (`_RUNTIME_JS`), added to a folium map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.code(this._parent.get_name()) }}
        {% endmacro %}
    """)

    def __init__(self, *, geometry: dict | None, geometry_name: str | None, compact: bool) -> None:
        super().__init__()
        self._name = "StocktakeRuntime"
        self.geometry = geometry
        self.geometry_name = geometry_name
        self.compact = compact

    def code(self, map_name: str) -> str:
        geometry = to_json(self.geometry) if self.geometry is not None else f"window.{self.geometry_name}"
        legend_style = ("background:white;padding:6px 8px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,0.3);"
                        + ("font-size:10.5px;line-height:1.25;" if self.compact
                           else "font-size:12px;line-height:1.5;max-width:230px;"))
        province = {"fill": False, "color": PROVINCE_LINE, "weight": 2, "opacity": 0.9}
        return _RUNTIME_JS % {"map": map_name, "geometry": geometry, "default": json.dumps(ZERO_COLOUR),
                              "legend_style": json.dumps(legend_style), "province_style": json.dumps(province)}


class _Script(MacroElement):
    """A ready script (the style of a standalone map) run after the map is built."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.text }}
        {% endmacro %}
    """)

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "StocktakeStyle"
        self.text = text


def legend_html(summary: pd.DataFrame | None, measure: str, *, note: str | None = None, unit: str = "") -> str:
    """The legend as HTML: what the colours mean (ranges, with the currency for budgets), the province outline,
    and an optional filter note."""
    esc = html.escape
    items = "".join(
        f"<div><span style='display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;"
        f"border:1px solid #999;background:{colour}'></span>{esc(label)}</div>"
        for label, colour in legend_classes(summary, measure))
    outline = (f"<div><span style='display:inline-block;width:14px;height:0;margin-right:6px;vertical-align:middle;"
               f"border-top:2px solid {PROVINCE_LINE}'></span>Province boundary</div>")
    title = esc(MEASURES.get(measure, measure))
    per = " per district" if measure not in ("gap", "need") else ""
    currency = (f"<div style='color:#555;font-weight:400'>{esc(unit)}</div>"
                if measure == "budget" and unit else "")
    extra = f"<div style='margin-top:4px;color:#555;max-width:200px'>{esc(note)}</div>" if note else ""
    return f"<div style='font-weight:600;margin-bottom:4px'>{title}{per}{currency}</div>{items}{outline}{extra}"


def style_script(style: MapStyle, *, selected: str | None = None, focus: str | None = None) -> str:
    """The few kilobytes of JavaScript that restyle a drawn map; `focus` pans and zooms to that district."""
    payload = {**style.as_dict(), "selected": selected or None, "focus": focus or None}
    return f"window.stocktake && window.stocktake.apply({to_json(payload)});\n"


def _tile_layer(tiles: str | None, attribution: str) -> tuple[Any, str | None]:
    """folium's tiles/attr arguments for a configured tile setting; 'none' means offline, no base map."""
    if tiles is None or str(tiles).strip().lower() in ("", "none", "off", "false", "0"):
        return None, None
    tiles = str(tiles).strip()
    if "{z}" in tiles:  # a URL template needs an explicit attribution
        return tiles, "Map tiles: " + html.escape(tiles.split("/")[2] if "//" in tiles else tiles)
    return tiles, None


def base_map(*, geometry: dict | None = None, geometry_name: str | None = None,
             attribution: str = DEFAULT_ATTRIBUTION, tiles: str | None = "cartodbpositron",
             disclaimer: str | None = None, assets: str | None = None, compact: bool = False,
             bounds: list[list[float]] | None = None) -> folium.Map:
    """The part of the map that depends only on the boundary set: build once, share between sessions.

    `geometry` (from `web_geometry`) is drawn inline; or `geometry_name` names the global a `geometry_js` file
    defines (the app serves that file, so the page itself stays small). `assets` is a base URL serving
    leaflet.js and leaflet.css (the app's vendored copy), so the map draws with no CDN; None keeps folium's
    CDN links. `compact` draws a smaller legend and attribution, for the overview's small map.
    """
    tile_arg, tile_attr = _tile_layer(tiles, attribution)
    center = [30.0, 70.0]
    if bounds:
        center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = folium.Map(location=center, zoom_start=5, tiles=tile_arg, attr=tile_attr, control_scale=True,
                   prefer_canvas=False, zoom_snap=0.25)
    if assets:
        base = assets if assets.endswith("/") else assets + "/"
        # only Leaflet itself is needed: no jQuery, Bootstrap or icon fonts are used by this map
        m.default_js = [("leaflet", base + "leaflet.js")]
        m.default_css = [("leaflet_css", base + "leaflet.css")]
    _Runtime(geometry=geometry, geometry_name=geometry_name, compact=compact).add_to(m)
    text = html.escape(attribution or DEFAULT_ATTRIBUTION)
    if disclaimer:
        text += "<br><i>" + html.escape(disclaimer) + "</i>"
    _Control(text, position="bottomleft", css_class="stocktake-attribution",
             style="background:rgba(255,255,255,0.85);padding:2px 5px;font-size:10px;"
                   + ("max-width:260px;font-size:9px;" if compact else "max-width:340px;")
                   + "line-height:1.3;color:#333").add_to(m)
    return m


def district_map(web_adm2: dict, web_adm1: dict, summary: pd.DataFrame, *, measure: str = "partners",
                 attribution: str = DEFAULT_ATTRIBUTION, tiles: str | None = "cartodbpositron",
                 selected: str | None = None, disclaimer: str | None = None, note: str | None = None,
                 ndigits: int | None = None, assets: str | None = None, compact: bool = False,
                 unit: str = "") -> folium.Map:
    """A standalone district choropleth a group member reads in ten seconds: colours, legend, outlines, source.

    The same base and style the app draws, in one file. `summary` is `analysis.district_summary` output (one
    row per adm2_pcode); districts missing from it are drawn as gaps. `tiles` is a folium tile name, a URL
    template, or 'none' for offline deployments. `unit` says what budgets are in (`budget_unit`).
    """
    geometry = web_geometry(web_adm2, web_adm1, ndigits=ndigits)
    m = base_map(geometry=geometry, attribution=attribution, tiles=tiles, disclaimer=disclaimer, assets=assets,
                 compact=compact, bounds=_bounds(geometry["districts"]))
    style = map_style(summary, measure, unit=unit, note=None if compact else note, compact=compact,
                      hint=not compact)
    _Script(style_script(style, selected=selected)).add_to(m)
    return m


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
