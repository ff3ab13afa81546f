"""The overlap-share map: colours from the suppressed table only, names escaped in tooltips."""

from __future__ import annotations

from mapping.analysis import people_overlap as po
from mapping.outputs import people_map


def _square(pcode: str, name: str, x: float) -> dict:
    return {"type": "Feature", "properties": {"adm2_pcode": pcode, "adm2_name": name},
            "geometry": {"type": "Polygon", "coordinates": [[[x, 30], [x + 1, 30], [x + 1, 31], [x, 31], [x, 30]]]}}


def test_districts_are_coloured_by_shown_share_and_hidden_ones_are_pale():
    exact = po.ExactOverlap(people_a=1_333, people_b=1_243, in_both=1_103, elsewhere=100, by_district={
        "XY01": {"in_both": 500, "only_a": 100, "only_b": 50, "people": 650},
        "XY02": {"in_both": 500, "only_a": 90, "only_b": 60, "people": 650},
        "XY03": {"in_both": 3, "only_a": 40, "only_b": 30, "people": 73}})
    table = po.suppress(exact, ("A", "B"), threshold=10)
    geo = {"type": "FeatureCollection", "features": [_square("XY01", "Ash<script>", 60), _square("XY02", "Birch", 61),
                                                      _square("XY03", "Cedar", 62), _square("XY04", "Dune", 63)]}
    html = people_map.overlap_map(geo, table, attribution="Boundaries: test & co").get_root().render()
    share = 500 / 650
    assert people_map.share_colour(share) in html
    assert people_map.HIDDEN_COLOUR in html  # Cedar (suppressed) and Dune (nobody listed)
    assert "Ash<script>" not in html and "Ash\\u0026lt;script\\u0026gt;" in html  # escaped, then JSON-encoded
    assert "Neither programme lists people here" in html and "no share shown (small numbers)" in html
    assert "Boundaries: test &amp; co" in html
    assert people_map.share_colour(0.9) != people_map.share_colour(0.1)
