"""The screen map, checked the way st_folium would draw it: by rendering the folium map to HTML."""

from __future__ import annotations

import json
import re

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
    adm1["features"][0]["properties"]["adm1_name"] = "<img src=x onerror=alert(2)>"
    adm2["features"][0]["properties"]["adm1_name"] = "<img src=x onerror=alert(2)>"
    m = maps.district_map(adm2, adm1, _summary(), measure="partners", attribution="<b>bold</b> source",
                          tiles="none", note="Sector: <i>Health</i>")
    page = _decoded_html(m)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x onerror=alert(2)>" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>bold</b> source" not in page and "&lt;b&gt;bold&lt;/b&gt; source" in page
    assert "<i>Health</i>" not in page and "&lt;i&gt;Health&lt;/i&gt;" in page
    # and no string can close the script element it travels in
    assert "</script>alert" not in m.get_root().render()


def test_tooltip_gives_district_province_and_key_numbers():
    adm2, _ = _geo(DISTRICTS)
    layer = maps.district_layer(adm2, _summary(), measure="targeted")
    tips = {f["properties"]["adm2_pcode"]: f["properties"]["tip"] for f in layer["features"]}
    assert tips["PK601"].startswith("<b>Attock</b>")
    assert "Punjab" in tips["PK601"]
    assert "Partners: 1 · Activities: 2" in tips["PK601"]
    assert "Beneficiaries targeted: 12,500" in tips["PK601"]
    assert "No activity reported — a gap" in tips["PK603"]
    budget = {f["properties"]["adm2_pcode"]: f["properties"]["tip"]
              for f in maps.district_layer(adm2, _summary(), measure="budget", unit="USD")["features"]}
    assert "Budget: 500,000 USD" in budget["PK602"]


def test_hover_box_stays_short_and_leaves_lists_to_the_profile():
    """Issue 20, defect 5: partner and sector lists made a 570 px hover box clipped at the top of the map."""
    adm2, _ = _geo(DISTRICTS)
    many = "; ".join(f"Partner number {i} (fictional)" for i in range(12))
    summary = _summary().assign(partner_names=[many, "<b>Evil</b> Org", ""],
                                sectors=["Health; Nutrition; WASH; Education; Protection; Shelter", "Health", ""],
                                gap_sector_names=["Nutrition; WASH; Education; Protection", "", "Health"])
    for measure in maps.MEASURES:
        if measure == "need":
            continue
        tips = {f["properties"]["adm2_pcode"]: f["properties"]["tip"]
                for f in maps.district_layer(adm2, summary, measure=measure)["features"]}
        for tip in tips.values():
            assert tip.count("<br>") <= 4, tip  # name, province, numbers, the measure, where details are
            assert "Partner number" not in tip and "Evil" not in tip and "Protection" not in tip
            assert len(tip) < 400
        assert tips["PK601"].endswith("Click for the district's profile</i>")


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
    page = maps.district_map(adm2, _geo(DISTRICTS)[1], _summary(), selected="PK602", tiles="none").get_root().render()
    assert '"selected":"PK602"' in page  # the runtime outlines it (weight 3, black) and brings it to the front
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


def test_need_legend_shows_the_colours_the_map_draws():
    """Issue 20, defect 3: the legend's three classes were one pale colour while the map was teal to navy."""
    adm2, _ = _geo(DISTRICTS)
    with_need = _summary().assign(need=[0.9, 0.1, 0.8])
    legend = maps.legend_classes(with_need, "need")
    colours = [c for _, c in legend]
    assert len(set(colours)) == len(colours)  # every class its own colour
    assert "#edf8b1" not in colours[:1] and colours[0] != colours[1]
    fills = {f["properties"]["adm2_pcode"]: f["properties"]["fill"]
             for f in maps.district_layer(adm2, with_need, measure="need")["features"]}
    assert set(fills.values()) <= set(colours)
    label = dict((c, lab) for lab, c in legend)
    assert label[fills["PK604"]] == "High need, few partners"  # need 0.8, nobody there
    assert label[fills["PK602"]] == "Low need or well covered"  # need 0.1, four partners
    assert label[fills["PK603"]] == "No need figure"
    html = maps.legend_html(with_need, "need")
    for name, colour in legend:
        assert f"background:{colour}'></span>{name}</div>" in html


def _real_layers(shared_boundaries) -> tuple[dict, dict, pd.DataFrame]:
    """Pakistan's real districts and provinces, simplified about as much as the app does."""
    gpd = pytest.importorskip("geopandas")
    adm2 = gpd.read_file(shared_boundaries / "pak_adm2.geojson")
    adm1 = gpd.read_file(shared_boundaries / "pak_adm1.geojson")
    adm2["geometry"] = adm2.geometry.simplify(0.01)
    adm1["geometry"] = adm1.geometry.simplify(0.01)
    return json.loads(adm2.to_json()), json.loads(adm1.to_json()), adm2


def test_real_boundaries_fit_the_size_budget(shared_boundaries):
    w2, w1, adm2 = _real_layers(shared_boundaries)
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


def test_budget_legend_names_the_currency_and_gives_ranges():
    """Issue 20, defect 11: '1–12, 13–173, 174–2,333' with no currency, on another scale than the matrix."""
    adm2, _ = _geo(DISTRICTS)
    summary = _summary().assign(budget=[120_000.0, 5_500_000.0, 0.0])
    labels = [label for label, _ in maps.legend_classes(summary, "budget")]
    assert labels[0] == "up to 1.5M" and labels[-2] == "4.5M–6M" and labels[-1] == "None reported"
    assert all("–" in lab or lab.startswith("up to") for lab in labels[:-1])  # ranges: every value has a colour
    fills = {f["properties"]["adm2_pcode"]: f["properties"]["fill"]
             for f in maps.district_layer(adm2, summary, measure="budget")["features"]}
    assert set(fills.values()) <= {c for _, c in maps.legend_classes(summary, "budget")}
    acts = pd.DataFrame({"budget": [100.0, 200.0, 50.0, 0.0], "currency": ["usd", "USD", None, "PKR"]})
    assert maps.budget_unit(acts) == "USD; 1 with no currency"
    assert maps.budget_unit(acts.assign(currency=["USD", "PKR", "USD", None])) == "PKR, USD added up, not converted"
    assert maps.budget_unit(acts.assign(currency="EUR")) == "EUR"
    html = maps.legend_html(summary, "budget", unit="USD")
    assert "Budget per district<div style='color:#555;font-weight:400'>USD</div>" in html
    assert "up to 1.5M</div>" in html


def test_counts_keep_one_class_per_value_and_amounts_round_ranges():
    summary = _summary().assign(activities=[2, 90, 0], targeted=[12_500.0, 187_654.0, 0.0])
    assert [lab for lab, _ in maps.legend_classes(summary, "activities")][:3] == ["1", "2–3", "4–7"]
    assert [lab for lab, _ in maps.legend_classes(summary, "targeted")][:-1] == [
        "up to 50k", "50k–100k", "100k–150k", "150k–200k"]


def test_a_filter_change_sends_kilobytes_and_the_base_map_stays_the_same(shared_boundaries):
    """Issue 14: the geometry is built once per boundary set; a new filter or measure only restyles it."""
    w2, w1, adm2 = _real_layers(shared_boundaries)
    name, text = maps.geometry_js(maps.web_geometry(w2, w1, ndigits=4))
    assert text.startswith(f"window.{maps.geometry_var(name)} = {{")
    summary = pd.DataFrame({"adm2_pcode": adm2["adm2_pcode"], "partners": range(len(adm2)),
                            "activities": range(len(adm2)), "budget": [1000.0 * i for i in range(len(adm2))]})
    base = maps.base_map(geometry_name=maps.geometry_var(name), tiles="none").get_root().render()
    again = maps.base_map(geometry_name=maps.geometry_var(name), tiles="none").get_root().render()
    assert len(base) < 30_000 < 200_000 < len(text)  # the page's script is small: the shapes come as a file
    strip = lambda page: re.sub(r"_[0-9a-f]{32}", "", page)  # noqa: E731 - folium's random element ids
    assert strip(base) == strip(again)
    for measure in ("partners", "budget", "gap"):
        script = maps.style_script(maps.map_style(summary, measure, unit="USD"), selected="PK601", focus="PK601")
        assert len(script.encode()) < 60_000, (measure, len(script))
        assert '"focus":"PK601"' in script and '"selected":"PK601"' in script
