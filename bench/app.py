"""How fast the map page draws in a real browser, with the demo plus 10,000 generated activities.

    python bench/app.py [--scale N]     # N x 10,000 extra activities (default 1)

Prints `map_first_draw_seconds` (opening the map page until all district shapes are drawn inside the
st_folium iframe), `map_filter_update_seconds` (choosing a sector in the sidebar until the map shows the new
colours) and `map_html_bytes` (the map's HTML with every district). Targets: 3 s, 1.5 s, 1.5 MB.
Uses Debian's /usr/bin/chromium through Playwright; never downloads a browser.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, SHARED_BOUNDARIES, emit

from tests.factories.server import CHROMIUM, CHROMIUM_ARGS, free_port, serving

BENCH_ORGS = 25


def _env(base: Path) -> dict[str, str]:
    return {
        "STOCKTAKE_DATABASE_URL": f"sqlite:///{base / 'stocktake.db'}",
        "STOCKTAKE_SHAPEFILES_DIR": str(base / "shapefiles"),
        "STOCKTAKE_DATA_DIR": str(base / "data"),
        "STOCKTAKE_BOUNDARIES_FROM": str(SHARED_BOUNDARIES),
        "STOCKTAKE_TILES": "none",
        "STOCKTAKE_ADMIN_EMAIL": "bench@example.org",
        "STOCKTAKE_ADMIN_PASSWORD": "bench-admin-pass",
        "PYTHONPATH": str(ROOT),
    }


def _return(org: str, rows: int, units, rng: random.Random, sectors: list[tuple[str, str]]) -> bytes:
    import openpyxl

    from mapping.returns.schema import FIELDS

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Activities")
    ws.append([f.header for f in FIELDS])
    recs = units.to_dict("records")
    for i in range(rows):
        u = rng.choice(recs)
        sector, sub = rng.choice(sectors)
        row = {"org_name": org, "sector": sector, "subsector": sub, "activity": f"Generated activity {i}",
               "adm1_name": u["adm1_name"], "adm2_name": u["adm2_name"], "adm2_pcode": u["adm2_pcode"],
               "status": rng.choice(["ongoing", "planned", "completed"]), "start_date": "01/01/2026",
               "targeted": rng.randint(100, 20000), "activity_id": f"B-{org[-2:]}-{i}"}
        ws.append([row.get(f.name) for f in FIELDS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def prepare(extra: int) -> tuple[str, int]:
    """Demo + `extra` generated activities from fictional bench partners; returns (a sector to filter, bytes)."""
    from mapping import config, workflow
    from mapping.analysis.matrices import district_summary
    from mapping.geo import boundaries
    from mapping.outputs import maps
    from mapping.store import db, picture, registry

    workflow.setup(demo=True)
    engine = db.connect()
    bset = boundaries.load_set(registry.active_boundary_version(engine))
    units = boundaries.units(bset)
    vocab = workflow.context(engine).vocab
    sectors = [(s, sub) for s, sub, _ in vocab.sectors if sub][:30] or [(s, "") for s in vocab.sector_names]
    rng = random.Random(7)
    per_org = max(1, extra // BENCH_ORGS)
    for k in range(BENCH_ORGS):
        name = f"Bench Partner {k + 1:02d}"
        registry.add_org(engine, workflow.SYSTEM, name, acronym=f"BP{k + 1:02d}", org_type=vocab.org_types[0])
        _, outcome = workflow.submit_file(engine, workflow.SYSTEM, _return(name, per_org, units, rng, sectors),
                                          f"bench_{k + 1:02d}.xlsx", org=name)
        if outcome.status != "stored":
            raise SystemExit(f"bench return {name} was not stored: {outcome.message}")
    acts = picture.current_activities(engine, workflow.SYSTEM)
    m = maps.district_map(boundaries.web_geojson(bset, 2), boundaries.web_geojson(bset, 1),
                          district_summary(acts, units), attribution=bset.meta.get("attribution", ""),
                          tiles=config.tiles())
    counts = acts["sector"].value_counts()
    return str(counts.index[-1]), maps.html_size(m)


def _fills(frame) -> list[str]:
    return frame.locator("path.leaflet-interactive").evaluate_all("els => els.map(e => e.getAttribute('fill'))")


def browse(port: int, sector: str, districts: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 960})
        # warm the server once (first script run imports pandas, geopandas ...), as a real deployment would be
        page.goto(f"http://127.0.0.1:{port}/map", wait_until="domcontentloaded")
        page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first.locator(
            "path.leaflet-interactive").nth(districts - 1).wait_for(timeout=120_000)
        page.close()
        page = browser.new_page(viewport={"width": 1440, "height": 960})
        start = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/map", wait_until="domcontentloaded")
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
        frame.locator("path.leaflet-interactive").nth(districts - 1).wait_for(timeout=60_000)
        first = time.perf_counter() - start
        before = _fills(frame)
        page.wait_for_timeout(1500)
        box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Sector").first
        box.click()
        option = page.get_by_role("option", name=sector, exact=True)
        option.wait_for(timeout=10_000)
        start = time.perf_counter()
        option.click()
        deadline = start + 60
        while time.perf_counter() < deadline:
            try:
                now = _fills(frame)
            except Exception:  # noqa: BLE001 - the iframe is being replaced
                now = []
            if len(now) >= districts and now != before:
                break
            time.sleep(0.02)
        update = time.perf_counter() - start
        browser.close()
    return first, update


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiples of 10,000 extra activities")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: install Debian's chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="stocktake-bench-app-") as tmp:
        base = Path(tmp)
        env = _env(base)
        os.environ.update(env)
        sector, size = prepare(int(10_000 * args.scale))
        port = free_port()
        try:
            with serving(os.environ | env, port, base / "streamlit.log"):
                from mapping.geo import boundaries
                from mapping.store import db, registry

                units = boundaries.units(boundaries.load_set(registry.active_boundary_version(db.connect())))
                first, update = browse(port, sector, len(units))
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
    emit("map_first_draw_seconds", first, "s")
    emit("map_filter_update_seconds", update, "s")
    emit("map_html_bytes", size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
