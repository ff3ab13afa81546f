"""The screen map, checked the way st_folium would draw it: by rendering the folium map to HTML."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mapping.outputs import maps, palette


def _square(x: float, y: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}


def _geo(districts: list[tuple[str, str, str]]) -> tuple[dict, dict]:
    adm2 = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adm2_pcode": p, "adm2_name": n, "adm1_name": prov, "adm1_pcode": "X1"},
         "geometry": _square(60 + i, 25.123456789)} for i, (p, n, prov) in enumerate(districts)]}
    adm1 = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adm1_pcode": "X1", "adm1_name": "Punjab"},
         "geometry": {"type": "Polygon", "coordinates": [[[60, 25], [64, 25], [64, 27], [60, 27], [60, 25]]]}}]}
    return adm2, adm1


DISTRICTS = [("PK603", "Bahawalpur", "Punjab"), ("PK601", "Attock", "Punjab"),
             ("PK602", "<script>alert(1)</script>", "Punjab"), ("PK604", "Lahore", "Punjab")]


def _summary() -> pd.DataFrame:
    return pd.DataFrame([
        {"adm2_pcode": "PK601", "partners": 1, "activities": 2, "targeted": 12500.0, "reached": 300.0,
         "budget": 0.0, "sectors": "Health", "gap_sectors": "Nutrition; WASH"},
        {"adm2_pcode": "PK602", "partners": 4, "activities": 9, "targeted": 0.0, "reached": 0.0, "budget": 5e5,
         "sectors": "Health; <img src=x onerror=alert(2)>", "gap_sectors": ""},
        {"adm2_pcode": "PK604", "partners": 0, "activities": 0, "targeted": 0.0, "reached": 0.0, "budget": 0.0,
         "sectors": "", "gap_sectors": "Health"},
    ])


def _decoded_html(m) -> str:
    """The page as the browser sees the JSON strings (\\u003c -> <), so escaping is checked honestly."""
    raw = m.get_root().render()
    return raw.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&").replace("\\u0027", "'")


def test_districts_coloured_by_partners_with_grey_for_nothing_reported():
    adm2, adm1 = _geo(DISTRICTS)
    layer = maps.district_layer(adm2, _summary(), measure="partners", ndigits=4)
    fills = {f["properties"]["adm2_pcode"]: f["properties"]["fill"] for f in layer["features"]}
    # 4 partners is the maximum: the darkest class; 1 partner the lightest class; none -> the zero grey
    assert fills["PK602"] == palette.class_colour(4, 4, 4)
    assert fills["PK601"] == palette.class_colour(1, 1, 4)
    assert fills["PK601"] != fills["PK602"]
    assert fills["PK604"] == palette.ZERO_COLOUR == "#eeeeee"
    assert fills["PK603"] == palette.ZERO_COLOUR  # not in the summary at all
    # deterministic: features sorted by p-code, coordinates rounded to 4 decimals
    assert [f["properties"]["adm2_pcode"] for f in layer["features"]] == ["PK601", "PK602", "PK603", "PK604"]
    assert layer["features"][0]["geometry"]["coordinates"][0][0] == [61, 25.1235]


def test_gap_measure_marks_gaps_in_orange_and_thin_coverage_apart():
    adm2, adm1 = _geo(DISTRICTS)
    layer = maps.district_layer(adm2, _summary(), measure="gap")
    fills = {f["properties"]["adm2_pcode"]: f["properties"]["fill"] for f in layer["features"]}
    assert fills == {"PK601": maps.THIN_COLOUR, "PK602": maps.COVERED_COLOUR, "PK603": maps.GAP_COLOUR,
                     "PK604": maps.GAP_COLOUR}
    labels = [label for label, _ in maps.legend_classes(_summary(), "gap")]
    assert labels == ["Gap: no partner", "Thin: one partner", "Two or more partners"]


def test_legend_says_what_colours_mean_and_attribution_is_on_the_map():
    adm2, adm1 = _geo(DISTRICTS)
    attribution = "Boundaries: Pakistan – Subnational Administrative Boundaries (COD-AB v01, 2022-09-09), CC BY-IGO 3.0."
    m = maps.district_map(adm2, adm1, _summary(), measure="partners", attribution=attribution, tiles="none",
                          disclaimer="The boundaries shown do not imply official endorsement.")
    page = _decoded_html(m)
    assert "Partners present per district" in page
    for label in ("1", "2", "3", "4", "None reported", "Province boundary"):
        assert f"</span>{label}</div>" in page
    assert attribution.replace("–", "\\u2013") in m.get_root().render() or attribution in page
    assert "do not imply official endorsement" in page
    # offline: no tile layer at all
    assert "tile.openstreetmap" not in page and "basemaps.cartocdn" not in page
    # province outlines drawn on top of the districts, not filled
    assert page.index('"name": "Provinces"') if '"name": "Provinces"' in page else True
    assert '"fill": false' in page


def test_every_user_string_is_escaped_in_tooltips():
    adm2, adm1 = _geo(DISTRICTS)
    m = maps.district_map(adm2, adm1, _summary(), measure="partners", attribution="<b>bold</b> source",
                          tiles="none")
    page = _decoded_html(m)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x onerror=alert(2)>" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>bold</b> source" not in page and "&lt;b&gt;bold&lt;/b&gt; source" in page


def test_tooltip_gives_district_province_and_key_numbers():
    adm2, _ = _geo(DISTRICTS)
    layer = maps.district_layer(adm2, _summary(), measure="partners")
    tips = {f["properties"]["adm2_pcode"]: f["properties"]["tip"] for f in layer["features"]}
    assert tips["PK601"].startswith("<b>Attock</b>")
    assert "Punjab" in tips["PK601"]
    assert "Partners: 1 · Activities: 2" in tips["PK601"]
    assert "Targeted: 12,500 · Reached: 300" in tips["PK601"]
    assert "Sectors missing: Nutrition; WASH" in tips["PK601"]
    assert "No activity reported — a gap" in tips["PK603"]
    assert "Budget: 500,000" in tips["PK602"]


def test_tiles_configurable():
    adm2, adm1 = _geo(DISTRICTS)
    osm = maps.district_map(adm2, adm1, _summary(), tiles="OpenStreetMap").get_root().render()
    assert "tile.openstreetmap.org" in osm
    custom = maps.district_map(adm2, adm1, _summary(), tiles="https://tiles.example.org/{z}/{x}/{y}.png")
    html = custom.get_root().render()
    assert "tiles.example.org/{z}/{x}/{y}.png" in html
    assert "Map tiles: tiles.example.org" in html


def test_selected_district_outlined_and_click_maps_back_to_pcode():
    adm2, _ = _geo(DISTRICTS)
    layer = maps.district_layer(adm2, _summary(), selected="PK602")
    sel = [f for f in layer["features"] if f["properties"]["selected"]]
    assert [f["properties"]["adm2_pcode"] for f in sel] == ["PK602"]
    assert maps._district_style(sel[0])["weight"] == 3
    assert maps.feature_pcode({"type": "Feature", "properties": {"adm2_pcode": "PK602"}}) == "PK602"
    assert maps.feature_pcode(None) is None


def test_unknown_measure_refused():
    adm2, _ = _geo(DISTRICTS)
    with pytest.raises(ValueError, match="unknown measure 'colour'"):
        maps.district_layer(adm2, _summary(), measure="colour")


def test_need_measure_offered_only_with_need_figures():
    assert "need" not in maps.measures(_summary())
    with_need = _summary().assign(need=[0.9, 0.2, 0.8])
    assert maps.measures(with_need)["need"] == "Need vs presence"
    fills = {f["properties"]["adm2_pcode"]: f["properties"]["fill"]
             for f in maps.district_layer(_geo(DISTRICTS)[0], with_need, measure="need")["features"]}
    # PK604: high need and no partner -> darker than PK602: low need, four partners
    assert fills["PK604"] != fills["PK602"]
    assert fills["PK603"] == maps.NO_DATA_COLOUR


def test_real_boundaries_fit_the_size_budget(shared_boundaries):
    gpd = pytest.importorskip("geopandas")
    adm2 = gpd.read_file(shared_boundaries / "pak_adm2.geojson")
    adm1 = gpd.read_file(shared_boundaries / "pak_adm1.geojson")
    adm2["geometry"] = adm2.geometry.simplify(0.01)
    adm1["geometry"] = adm1.geometry.simplify(0.01)
    w2, w1 = json.loads(adm2.to_json()), json.loads(adm1.to_json())
    summary = pd.DataFrame({"adm2_pcode": adm2["adm2_pcode"], "partners": range(len(adm2)),
                            "activities": range(len(adm2))})
    m = maps.district_map(w2, w1, summary, tiles="none")
    layer = maps.district_layer(w2, summary)
    assert len(layer["features"]) == 160
    assert maps.html_size(m) < 1_500_000


def test_leaflet_served_locally_when_assets_given():
    adm2, adm1 = _geo(DISTRICTS)
    page = maps.district_map(adm2, adm1, _summary(), tiles="none", assets="/app/static/leaflet").get_root().render()
    assert '<script src="/app/static/leaflet/leaflet.js"></script>' in page
    assert "/app/static/leaflet/leaflet.css" in page
    assert "cdn.jsdelivr.net" not in page and "code.jquery.com" not in page


def test_partner_names_in_tooltip_are_escaped_and_capped():
    adm2, _ = _geo(DISTRICTS)
    summary = _summary().assign(partner_names=["A; B; C; D; E; F", "<b>Evil</b> Org", ""],
                                gap_sector_names=["Nutrition; WASH", "", "Health"])
    tips = {f["properties"]["adm2_pcode"]: f["properties"]["tip"]
            for f in maps.district_layer(adm2, summary)["features"]}
    assert "<i>A; B; C; D and 2 more</i>" in tips["PK601"]
    assert "&lt;b&gt;Evil&lt;/b&gt; Org" in tips["PK602"] and "<b>Evil</b>" not in tips["PK602"]
    assert "Sectors missing: Nutrition; WASH" in tips["PK601"]


def test_compact_legend_for_the_small_overview_map_keeps_classes_and_drops_the_note():
    adm2, adm1 = _geo(DISTRICTS)
    full = _decoded_html(maps.district_map(adm2, adm1, _summary(), tiles="none", note="Round: 2026 H2"))
    small = _decoded_html(maps.district_map(adm2, adm1, _summary(), tiles="none", note="Round: 2026 H2",
                                            compact=True, disclaimer="No endorsement implied."))
    assert "Round: 2026 H2" in full and "Round: 2026 H2" not in small
    assert "font-size:10.5px;line-height:1.25" in small and "font-size:12px;line-height:1.5" in full
    for label in ("1", "4", "None reported", "Province boundary"):
        assert f"</span>{label}</div>" in small
    assert "No endorsement implied." in small  # the licence's disclaimer stays, even on the small map
