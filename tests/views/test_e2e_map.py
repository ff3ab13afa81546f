"""End to end in Debian's Chromium: clicking a district on the Map page opens its profile beside the map.

AppTest cannot see st_folium, so this is the only test of the real click: Leaflet event → st_folium's returned
feature → `maps.feature_pcode` → the profile panel. Reuses the server helpers of tests/views/test_e2e.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving
from tests.views.test_e2e import ROOT, app_env, nav, prepared, wait_app

pytestmark = pytest.mark.browser

# Finds the district layer by p-code among the Leaflet maps of the iframe, and a point of the viewport where
# that district's path is the topmost element (a centroid can fall outside a crescent-shaped district).
FIND_POINT = """
pcode => {
    const maps = Object.values(window).filter(v => v instanceof L.Map);
    for (const map of maps) {
        let path = null;
        map.eachLayer(l => {
            if (l.feature && l.feature.properties && l.feature.properties.adm2_pcode === pcode) path = l._path;
        });
        if (!path) continue;
        const r = path.getBoundingClientRect();
        const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
        const points = [];
        for (let i = 0; i <= 12; i++) for (let j = 0; j <= 12; j++)
            points.push([r.left + r.width * i / 12, r.top + r.height * j / 12]);
        points.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
        for (const [x, y] of points) if (document.elementFromPoint(x, y) === path) return {x, y};
        return {error: 'path not hit-testable', rect: [r.left, r.top, r.width, r.height]};
    }
    return {error: 'no layer with that p-code', maps: maps.length};
}
"""


def busiest_district(base: Path, shared: Path) -> dict:
    """The district with the most partners in the demo, and its profile as the page would build it."""
    code = ("import json; from mapping import workflow; from mapping.geo import boundaries;"
            "from mapping.analysis import matrices as analysis, profiles; from mapping.store import db, picture, registry;"
            "e = db.connect();"
            "acts = picture.current_activities(e, workflow.SYSTEM);"
            "units = boundaries.units(boundaries.load_set(registry.active_boundary_version(e)));"
            "s = analysis.district_summary(acts, units);"
            "s = s[s['partners'] > 0].sort_values(['partners', 'adm2_pcode'], ascending=[False, True]);"
            "p = profiles.district_profile(acts, units, str(s.iloc[0]['adm2_pcode']));"
            "out = {k: p[k] for k in ('adm2_pcode', 'adm2_name', 'adm1_name', 'partners', 'partner_names')};"
            "o = units[units['adm2_pcode'] == s.iloc[1]['adm2_pcode']].iloc[0];"
            "out['other'] = [str(o['adm2_pcode']), str(o['adm2_name'])];"
            "print(json.dumps(out))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=app_env(base, shared), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def click_district(page, pcode: str) -> None:
    """Click the district's path with the real mouse, as a user would, once the map has drawn."""
    iframe = page.locator('iframe[title="streamlit_folium.st_folium"]').first
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=30_000)
    iframe.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # fit_bounds has settled
    point = frame.locator("body").evaluate(f"(_b) => ({FIND_POINT})({json.dumps(pcode)})")
    for _ in range(4):  # the map may be zoomed in on another district: zoom out, as a reader would
        if "error" not in point:
            break
        frame.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(600)
        point = frame.locator("body").evaluate(f"(_b) => ({FIND_POINT})({json.dumps(pcode)})")
    assert "error" not in point, point
    box = iframe.bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    wait_app(page)


def test_clicking_a_district_opens_its_profile_beside_the_map(tmp_path, shared_boundaries):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make system-test-deps)")
    prepared(tmp_path, shared_boundaries)
    target = busiest_district(tmp_path, shared_boundaries)
    assert target["partners"] >= 2, target  # the demo's busiest district has several partners
    pcode, name = target["adm2_pcode"], target["adm2_name"]
    partner = target["partner_names"][0]

    port = free_port()
    with serving(app_env(tmp_path, shared_boundaries), port, tmp_path / "streamlit.log"):
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 960})
            sent: list[float] = []  # what the browser asks of the server (a rerun, a widget's new value)
            page.on("websocket", lambda ws: ws.on("framesent", lambda _f: sent.append(1)))
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            wait_app(page)
            page.get_by_text("Illustrative demo data").first.wait_for(timeout=120_000)  # a cold server on a busy machine
            page.wait_for_timeout(1000)
            asked = len(sent)
            nav(page, "Map")  # anonymous: the demo opens the public view

            page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first.locator(
                "path.leaflet-interactive").first.wait_for(timeout=30_000)
            # opening the page is one request; a drawn map that nobody touched asks nothing more (a second run per
            # visit doubles the server's and every browser's work when a room opens the link)
            page.wait_for_timeout(2500)  # streamlit-folium reports a moved map after 250 ms
            assert len(sent) - asked == 1, f"opening the map sent {len(sent) - asked} messages: the page ran again"
            panel = page.get_by_role("heading", name=name, exact=True)
            assert panel.count() == 0, f"{name}'s profile is open before any click"

            click_district(page, pcode)
            panel.first.wait_for(timeout=20_000)
            page.get_by_text(f"{target['adm1_name']} · {pcode}").first.wait_for(timeout=5_000)
            page.get_by_text(partner).first.wait_for(timeout=5_000)
            combo = page.get_by_role("combobox", name="District profile")
            assert combo.input_value() == f"{name} ({pcode})"

            # pick another district in the list, then click the first one again: its profile must come back
            other_pcode, other_name = target["other"]
            combo.click()
            combo.fill(other_name)
            page.get_by_role("option", name=f"{other_name} ({other_pcode})").first.click()
            wait_app(page)
            page.get_by_role("heading", name=other_name, exact=True).first.wait_for(timeout=20_000)
            click_district(page, pcode)
            panel.first.wait_for(timeout=20_000)
            assert combo.input_value() == f"{name} ({pcode})"
            browser.close()
    log = (tmp_path / "streamlit.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


# Where the districts and the map's overlays are, seen from inside the st_folium iframe: how many district shapes
# are cut off by the map's edge, which controls (legend, attribution, zoom, scale) hide a district beneath them
# (hidden a moment and looked under, as a reader would move them), and each district's box on screen.
LAYOUT = """
() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const box = map.getContainer().getBoundingClientRect();
    const shapes = {};
    let cut = 0;
    map.eachLayer(l => {
        if (!l.feature || !l._path || !l.feature.properties.adm2_pcode) return;
        const r = l._path.getBoundingClientRect();
        shapes[l.feature.properties.adm2_pcode] = [r.left, r.top, r.width, r.height];
        if (!r.width && !r.height) return;  // under a pixel at this zoom: drawn as an empty path
        if (r.left < box.left - 1 || r.top < box.top - 1 || r.right > box.right + 1 || r.bottom > box.bottom + 1) cut++;
    });
    const covering = [];
    map.getContainer().querySelectorAll('.leaflet-control').forEach(el => {
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height) return;
        const old = el.style.visibility;
        el.style.visibility = 'hidden';
        let hits = 0;
        for (let i = 0; i <= 10; i++) for (let j = 0; j <= 10; j++) {
            const under = document.elementFromPoint(r.left + r.width * i / 10, r.top + r.height * j / 10);
            if (under && under.classList && under.classList.contains('leaflet-interactive')) hits++;
        }
        el.style.visibility = old;
        if (hits) covering.push(el.className + ': ' + hits + ' points');
    });
    return {map: [box.left, box.top, box.width, box.height], shapes, cut, covering};
}
"""


def _layout(page) -> dict:
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
    # every district in the DOM (a first visit on a busy machine takes a while); a district under a pixel wide is
    # drawn as an empty path, so "visible" is asked of the map, not of each shape
    frame.locator("path.leaflet-interactive").nth(159).wait_for(state="attached", timeout=180_000)
    page.wait_for_timeout(800)  # the frame has its final size and the map has fitted it
    return frame.locator("body").evaluate(f"(_b) => ({LAYOUT})()")


def test_map_framing_hover_box_and_a_district_picked_in_the_list(tmp_path, shared_boundaries):
    """Issue 20, defects 4 and 5: the whole country in view with the legend and attribution beside it, not on
    it (desktop and a 390 px phone); a short hover box inside the map; a district picked in the list is brought
    into view."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make system-test-deps)")
    prepared(tmp_path, shared_boundaries)
    target = busiest_district(tmp_path, shared_boundaries)
    port = free_port()
    with serving(app_env(tmp_path, shared_boundaries), port, tmp_path / "streamlit.log"):
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for width, height in ((390, 844), (1440, 960)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"http://127.0.0.1:{port}/map", wait_until="domcontentloaded")
                wait_app(page, timeout=180_000)
                seen = _layout(page)
                assert len(seen["shapes"]) == 160, len(seen["shapes"])
                assert seen["cut"] == 0, f"{seen['cut']} districts cut off by the map's edge at {width} px"
                assert seen["covering"] == [], f"overlays on the country at {width} px: {seen['covering']}"
            # page is the desktop one now. Hover the busiest district: a short box, wholly inside the map
            iframe = page.locator('iframe[title="streamlit_folium.st_folium"]').first
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
            iframe.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            point = frame.locator("body").evaluate(f"(_b) => ({FIND_POINT})({json.dumps(target['adm2_pcode'])})")
            assert "error" not in point, point
            box = iframe.bounding_box()
            page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
            tip = frame.locator(".leaflet-tooltip").first
            tip.wait_for(timeout=10_000)
            text = tip.inner_text()
            assert target["adm2_name"] in text and target["adm1_name"] in text, text
            assert "Partners:" in text and "profile" in text, text
            r = tip.evaluate("e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom, r.height]; }")
            assert r[2] <= 120, f"hover box {r[2]:.0f} px tall: {text!r}"
            assert r[0] >= 0 and r[1] <= seen["map"][3] + seen["map"][1], (r, seen["map"])
            assert not any(p in text for p in target["partner_names"][1:]), text  # the list is the profile's job

            # the smallest district is a few pixels wide at the country view; picking it in the list zooms to it
            small = min(seen["shapes"], key=lambda p: seen["shapes"][p][2] * seen["shapes"][p][3])
            before = seen["shapes"][small]
            name = frame.locator("body").evaluate(
                "(_b, pcode) => { let n = null; Object.values(window).find(v => v instanceof L.Map).eachLayer("
                "l => { if (l.feature && l.feature.properties.adm2_pcode === pcode) n = l.feature.properties.adm2_name; });"
                " return n; }", small)
            page.mouse.move(5, 5)
            combo = page.get_by_role("combobox", name="District profile")
            combo.click()
            combo.fill(name)
            page.get_by_role("option", name=f"{name} ({small})").first.click()
            wait_app(page)
            page.get_by_role("heading", name=name, exact=True).first.wait_for(timeout=30_000)
            after = _layout(page)
            shape = after["shapes"][small]
            assert shape[2] >= 8 * max(before[2], 1) and shape[2] >= 80, (before, shape)
            mx, my, mw, mh = after["map"]
            cx, cy = shape[0] + shape[2] / 2, shape[1] + shape[3] / 2
            assert mx < cx < mx + mw and my < cy < my + mh, (shape, after["map"])  # in view, not off to a side
            browser.close()
    log = (tmp_path / "streamlit.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
